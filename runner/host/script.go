package runner

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

// chunk is one piece of Lua a run runs: a -e chunk, a -l module, or the
// script itself.
type chunk struct {
	name string // in messages: the script's path, "stdin" or "(command line)"
	src  string // the Lua source; unused for a module
	// module is -l's NAME or GLOBAL=NAME: the run requires NAME and sets
	// the global (NAME if not given) to what it returns, as lua -l does.
	module string
}

// script is what a run runs, in order: the -e chunks and -l modules as
// given, then the script file, if any, with its arguments.
type script struct {
	path string   // the script file, "-" for standard input, "" for none
	pre  []chunk  // -e chunks and -l modules, in the order given
	args []string // arg[1..], and the script's "..."
	// before is the command line before the script, arg's negative
	// indices as lua sets them: the program and its options
	// (sockrun -e x s.lua gives arg[-3] == "sockrun", arg[-2] == "-e").
	before []string
	src    string // the script's source, once read

	// protos are the chunks' compiled prototypes (nil for a module),
	// compiled once: the syntax check (checkQuiet, before any worker
	// starts) and every worker's VM share them, as gopher-lua's
	// prototypes are read-only once compiled.
	protos []*lua.FunctionProto
}

// name is arg[0]: the script's path, "stdin", or "(command line)" when
// only -e chunks run.
func (s *script) name() string {
	switch s.path {
	case "":
		return "(command line)"
	case "-":
		return "stdin"
	}
	return s.path
}

// arg0 is arg[0]: the script's path ("-" for standard input, as lua), or
// "(command line)" when only -e chunks run.
func (s *script) arg0() string {
	if s.path == "" {
		return "(command line)"
	}
	return s.path
}

// dir is the script's directory, first on package.path.
func (s *script) dir() string {
	if s.path == "" || s.path == "-" {
		return "."
	}
	return filepath.Dir(s.path)
}

// read reads the script's source: the file, or standard input for "-". A
// first line starting with "#" (#!/usr/bin/env sockrun) is blanked, as
// lua does, keeping the line numbers.
func (s *script) read(env *Env) error {
	var b []byte
	var err error
	switch s.path {
	case "":
		return nil
	case "-":
		if b, err = io.ReadAll(env.Stdin); err != nil {
			return fmt.Errorf("cannot read stdin: %v", err)
		}
	default:
		if fi, err := os.Stat(s.path); err == nil && fi.IsDir() {
			return fmt.Errorf("%s is a directory", s.path)
		}
		if b, err = os.ReadFile(s.path); err != nil {
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

// chunks is everything the run runs, in order.
func (s *script) chunks() []chunk {
	if s.path == "" {
		return s.pre
	}
	return append(s.pre[:len(s.pre):len(s.pre)], chunk{name: s.name(), src: s.src})
}

// compile compiles every chunk in L, reporting the first syntax error as
// "file:line: message".
func (s *script) compile(L *lua.LState) ([]*lua.LFunction, error) {
	if s.protos == nil {
		protos, err := compileChunks(s.chunks())
		if err != nil {
			return nil, err
		}
		s.protos = protos
	}
	var fns []*lua.LFunction
	for i, c := range s.chunks() {
		if c.module != "" {
			fns = append(fns, requireFunc(L, c.module))
			continue
		}
		fns = append(fns, L.NewFunctionFromProto(s.protos[i]))
	}
	return fns, nil
}

// compileChunks compiles each chunk of Lua source into its prototype (nil
// for a module), reporting the first syntax error as "file:line: message".
func compileChunks(chunks []chunk) ([]*lua.FunctionProto, error) {
	protos := make([]*lua.FunctionProto, len(chunks))
	for i, c := range chunks {
		if c.module != "" {
			continue
		}
		var err error
		if protos[i], err = lua51.Compile(c.src, c.name); err != nil {
			return nil, err
		}
	}
	return protos, nil
}

// load compiles the run's chunks into the one function the main thread
// runs, and the arguments to call it with: the only chunk itself (so its
// traceback is the script's alone), or a function that calls each in
// turn. As lua does, the script is called with its arguments as "...";
// the -e chunks with none.
func (s *script) load(L *lua.LState) (*lua.LFunction, []lua.LValue, error) {
	fns, err := s.compile(L)
	if err != nil {
		return nil, nil, err
	}
	var args []lua.LValue
	if s.path != "" {
		args = make([]lua.LValue, len(s.args))
		for i, a := range s.args {
			args[i] = lua.LString(a)
		}
	}
	if len(fns) == 1 {
		return fns[0], args, nil
	}
	return L.NewFunction(func(L *lua.LState) int {
		for i, fn := range fns {
			L.Push(fn)
			n := 0
			if i == len(fns)-1 {
				// The script is the last chunk; args is nil without one.
				for _, a := range args {
					L.Push(a)
				}
				n = len(args)
			}
			L.Call(n, 0)
		}
		return 0
	}), nil, nil
}

// requireFunc is -l's work: GLOBAL = require(NAME).
func requireFunc(L *lua.LState, module string) *lua.LFunction {
	global, name, ok := strings.Cut(module, "=")
	if !ok {
		name = global
	}
	return L.NewFunction(func(L *lua.LState) int {
		L.Push(L.GetGlobal("require"))
		L.Push(lua.LString(name))
		L.Call(1, 1)
		L.SetGlobal(global, L.Get(-1))
		return 0
	})
}

// explainError gives err, from a PCall in L, lua5.1's message where it is
// a runtime error gopher-lua words differently ("attempt to index global
// 'sockt' (a nil value)": lua51.Explain). Call it with the interpreter lock
// held, right after the PCall.
func explainError(L *lua.LState, err error) error {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		if s, ok := apiErr.Object.(lua.LString); ok {
			apiErr.Object = lua.LString(lua51.Explain(L, string(s)))
		}
	}
	return err
}

// incomplete reports whether err, from compiling src, says that src ends
// before its statement does (the prompt then asks for more), as lua5.1's
// prompt decides it.
func incomplete(err error) bool {
	var se *lua51.SyntaxError
	return errors.As(err, &se) && se.Incomplete()
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

// chunkFlag is -e or -l: each use appends to the one list both share, so
// that the chunks and modules run in the order given.
type chunkFlag struct {
	list   *[]chunk
	module bool
}

// String implements pflag.Value.
func (f chunkFlag) String() string { return "" }

// Type implements pflag.Value.
func (f chunkFlag) Type() string {
	if f.module {
		return "NAME"
	}
	return "CHUNK"
}

// Set implements pflag.Value.
func (f chunkFlag) Set(val string) error {
	if f.module {
		if val == "" || strings.HasSuffix(val, "=") {
			return errors.New("want a module name")
		}
		*f.list = append(*f.list, chunk{name: "(command line)", module: val})
	} else {
		*f.list = append(*f.list, chunk{name: "(command line)", src: val})
	}
	return nil
}
