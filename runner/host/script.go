package host

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// Chunk is one piece of Lua a run runs: a -e chunk, a -l module, or the
// script itself.
type Chunk struct {
	Name string // in messages: the script's path, "stdin" or "(command line)"
	Src  string // the Lua source; unused for a module
	// Module is -l's NAME or GLOBAL=NAME: the run requires NAME and sets
	// the global (NAME if not given) to what it returns, as lua -l does.
	Module string
}

// Script is what a run runs, in order: the -e chunks and -l modules as
// given, then the script file, if any, with its arguments.
type Script struct {
	Path string   // the script file, "-" for standard input, "" for none
	Pre  []Chunk  // -e chunks and -l modules, in the order given
	Args []string // arg[1..], and the script's "..."
	// Before is the command line before the script, arg's negative
	// indices as lua sets them: the program and its options
	// (sockrun -e x s.lua gives arg[-3] == "sockrun", arg[-2] == "-e").
	Before []string
	src    string // the script's source, once read

	// protos are the chunks' compiled prototypes (nil for a module),
	// compiled once: the syntax check (Check, before any worker starts)
	// and every worker's VM share them, as gopher-lua's prototypes are
	// read-only once compiled.
	protos []*lua.FunctionProto
}

// Name is the script as messages name it: its path, "stdin", or
// "(command line)" when only -e chunks run.
func (s *Script) Name() string {
	switch s.Path {
	case "":
		return "(command line)"
	case "-":
		return "stdin"
	}
	return s.Path
}

// Arg0 is arg[0]: the script's path ("-" for standard input, as lua), or
// "(command line)" when only -e chunks run.
func (s *Script) Arg0() string {
	if s.Path == "" {
		return "(command line)"
	}
	return s.Path
}

// Dir is the script's directory, first on package.path.
func (s *Script) Dir() string {
	if s.Path == "" || s.Path == "-" {
		return "."
	}
	return filepath.Dir(s.Path)
}

// Read reads the script's source: the file, or standard input for "-". A
// first line starting with "#" (#!/usr/bin/env sockrun) is blanked, as
// lua does, keeping the line numbers.
func (s *Script) Read(env *Env) error {
	var b []byte
	var err error
	switch s.Path {
	case "":
		return nil
	case "-":
		if b, err = io.ReadAll(env.Stdin); err != nil {
			return fmt.Errorf("cannot read stdin: %v", err)
		}
	default:
		if fi, err := os.Stat(s.Path); err == nil && fi.IsDir() {
			return fmt.Errorf("%s is a directory", s.Path)
		}
		if b, err = os.ReadFile(s.Path); err != nil {
			var pathErr *os.PathError
			if errors.As(err, &pathErr) {
				return fmt.Errorf("cannot open %s: %v", pathErr.Path, pathErr.Err)
			}
			return err
		}
	}
	s.src = skipShebang(string(b))
	return nil
}

// skipShebang blanks a first line that starts with "#".
func skipShebang(src string) string {
	if !strings.HasPrefix(src, "#") {
		return src
	}
	if i := strings.IndexByte(src, '\n'); i >= 0 {
		return src[i:]
	}
	return ""
}

// Chunks is everything the run runs, in order.
func (s *Script) Chunks() []Chunk {
	if s.Path == "" {
		return s.Pre
	}
	return append(s.Pre[:len(s.Pre):len(s.Pre)], Chunk{Name: s.Name(), Src: s.src})
}

// Check reads the script's source and compiles every chunk, reporting
// the first syntax error as "file:line: message". Load, later, uses what
// it compiled.
func (s *Script) Check(env *Env) error {
	if err := s.Read(env); err != nil {
		return err
	}
	protos, err := compileChunks(s.Chunks())
	if err != nil {
		return err
	}
	s.protos = protos
	return nil
}

// compileChunks compiles each chunk of Lua source into its prototype (nil
// for a module), reporting the first syntax error as "file:line: message".
func compileChunks(chunks []Chunk) ([]*lua.FunctionProto, error) {
	protos := make([]*lua.FunctionProto, len(chunks))
	for i, c := range chunks {
		if c.Module != "" {
			continue
		}
		var err error
		if protos[i], err = lua51.Compile(c.Src, c.Name); err != nil {
			return nil, err
		}
	}
	return protos, nil
}

// Call is one of the run's chunks as the main thread runs it, as lua.c
// runs each of its -e, -l and script chunks (docall): a compiled chunk and
// its arguments, or for a -l module require(NAME), whose value becomes a
// global. Each is called from the host, so that an error's traceback is
// the chunk's own frames and nothing of the host's.
type Call struct {
	// Fn is the compiled chunk; nil for a module, whose call is the
	// global require as it is when the call runs.
	Fn   *lua.LFunction
	Args []lua.LValue
	// Module is the name require is called with, and Global the global
	// set to what it returns (-l GLOBAL=NAME; NAME when not given).
	Module, Global string
}

// Run calls c on L, the main thread's state, with the interpreter lock
// held: protected, with Lua 5.1's traceback of an error
// (lua51.HostCall), as lua.c's docall.
func (c Call) Run(L *lua.LState) error {
	if c.Fn == nil {
		L.Push(L.GetGlobal("require"))
		L.Push(lua.LString(c.Module))
		if err := lua51.HostCall(L, 1, 1); err != nil {
			return err
		}
		L.SetGlobal(c.Global, L.Get(-1))
		L.Pop(1)
		return nil
	}
	L.Push(c.Fn)
	for _, a := range c.Args {
		L.Push(a)
	}
	return lua51.HostCall(L, len(c.Args), 0)
}

// Load compiles the run's chunks into the calls the main thread makes in
// turn, stopping at the first that fails. As lua does, the script is
// called with its arguments as "..."; the -e chunks with none.
func (s *Script) Load(L *lua.LState) ([]Call, error) {
	if s.protos == nil {
		protos, err := compileChunks(s.Chunks())
		if err != nil {
			return nil, err
		}
		s.protos = protos
	}
	var calls []Call
	for i, c := range s.Chunks() {
		if c.Module != "" {
			global, name, ok := strings.Cut(c.Module, "=")
			if !ok {
				name = global
			}
			calls = append(calls, Call{Module: name, Global: global})
			continue
		}
		calls = append(calls, Call{Fn: L.NewFunctionFromProto(s.protos[i])})
	}
	if s.Path != "" {
		// The script is the last chunk.
		args := make([]lua.LValue, len(s.Args))
		for i, a := range s.Args {
			args[i] = lua.LString(a)
		}
		calls[len(calls)-1].Args = args
	}
	return calls, nil
}

// packagePath is package.path for a script in dir: the script's directory
// first, then the config's path entries, then LUA_PATH (";;" in it
// standing for the default, as in lua) or the default, ./?.lua;./?/init.lua.
func packagePath(dir, cfgPath, luaPath string, hasLuaPath bool) string {
	const def = "./?.lua;./?/init.lua"
	parts := []string{filepath.Join(dir, "?.lua"), filepath.Join(dir, "?", "init.lua")}
	if cfgPath != "" {
		parts = append(parts, cfgPath)
	}
	if hasLuaPath {
		parts = append(parts, expandDefaultPath(luaPath, def))
	} else {
		parts = append(parts, def)
	}
	return cleanPath(strings.Join(parts, ";"))
}

// expandDefaultPath replaces the first ";;" of p with the default path.
func expandDefaultPath(p, def string) string {
	return strings.Replace(p, ";;", ";"+def+";", 1)
}

// cleanPath drops empty entries from a ;-separated path.
func cleanPath(p string) string {
	parts := strings.Split(p, ";")
	out := parts[:0]
	for _, e := range parts {
		if e != "" {
			out = append(out, e)
		}
	}
	return strings.Join(out, ";")
}
