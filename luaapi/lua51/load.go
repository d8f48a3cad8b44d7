package lua51

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"
)

// The functions that turn source into functions: loadstring, load,
// loadfile, dofile and require's searchers compile through Compile, with
// Lua 5.1's chunk names and error returns. gopher-lua's compile with its
// own parser and compiler only, name a chunk as given ("<string>" for
// loadstring), and differ in their messages ("can not open file").

func init() { correct("load", openLoad) }

// openLoad replaces the base library's loaders and the package library's
// require and searchers.
func openLoad(L *lua.LState, opts Options) {
	stdin := opts.Stdin
	L.SetGlobal("loadstring", L.NewFunction(baseLoadString))
	L.SetGlobal("load", L.NewFunction(baseLoad))
	L.SetGlobal("loadfile", L.NewFunction(func(L *lua.LState) int {
		return baseLoadFile(L, stdin)
	}))
	L.SetGlobal("dofile", L.NewFunction(func(L *lua.LState) int {
		return baseDoFile(L, stdin)
	}))
	pkg, ok := L.GetGlobal("package").(*lua.LTable)
	if !ok {
		return
	}
	p := &packageLib{pkg: pkg, sentinel: L.NewUserData()}
	loaders, ok := pkg.RawGetString("loaders").(*lua.LTable)
	if !ok {
		loaders = L.NewTable()
		pkg.RawSetString("loaders", loaders)
	}
	loaders.RawSetInt(1, L.NewFunction(p.loaderPreload))
	loaders.RawSetInt(2, L.NewFunction(p.loaderLua))
	loaders.RawSetInt(3, L.NewFunction(p.loaderC))
	loaders.RawSetInt(4, L.NewFunction(p.loaderCRoot))
	L.SetGlobal("require", L.NewFunction(p.require))
}

// ChunkID is how Lua 5.1 shows a chunk's name (luaO_chunkid, with the
// LUA_IDSIZE of Debian's lua5.1, 80): "=name" as name, "@file" as the file
// (its last 72 bytes after "..." if longer), any other name as the source
// it is: `[string "first line..."]`.
func ChunkID(source string) string {
	const idSize = 80
	switch {
	case strings.HasPrefix(source, "="):
		if len(source) > idSize {
			return source[1:idSize]
		}
		return source[1:]
	case strings.HasPrefix(source, "@"):
		name := source[1:]
		if max := idSize - len(" '...' ") - 1; len(name) > max {
			return "..." + name[len(name)-max:]
		}
		return name
	}
	max := idSize - len(` [string "..."] `) - 1
	n := strings.IndexAny(source, "\n\r")
	if n < 0 {
		n = len(source)
	}
	if n > max {
		n = max
	}
	if n < len(source) {
		return `[string "` + source[:n] + `..."]`
	}
	return `[string "` + source + `"]`
}

// loadChunk compiles src as the chunk named chunkname (as given to
// loadstring: see ChunkID) into a function of L.
func loadChunk(L *lua.LState, src, chunkname string) (*lua.LFunction, error) {
	name := ChunkID(chunkname)
	if strings.HasPrefix(src, "\x1bLua") {
		return nil, errors.New(name + ": precompiled chunks are not supported: load the Lua source")
	}
	proto, err := Compile(src, name)
	if err != nil {
		return nil, err
	}
	return L.NewFunctionFromProto(proto), nil
}

// loadResult pushes what load, loadstring and loadfile return: the
// function, or nil and the message.
func loadResult(L *lua.LState, fn *lua.LFunction, err error) int {
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(fn)
	return 1
}

// baseLoadString is loadstring(s [, chunkname]): s compiled, named
// chunkname or s itself; or nil and the message.
func baseLoadString(L *lua.LState) int {
	src := L.CheckString(1)
	fn, err := loadChunk(L, src, L.OptString(2, src))
	return loadResult(L, fn, err)
}

// baseLoad is load(func [, chunkname]): the chunk whose pieces func
// returns, one call at a time until it returns nil or "", compiled and
// named chunkname ("=(load)"); or nil and the message, also when func
// fails or returns anything but a string or number.
func baseLoad(L *lua.LState) int {
	reader := L.CheckFunction(1)
	chunkname := L.OptString(2, "=(load)")
	var src strings.Builder
	for {
		L.Push(reader)
		if err := L.PCall(0, 1, nil); err != nil {
			L.Push(lua.LNil)
			var apiErr *lua.ApiError
			if errors.As(err, &apiErr) {
				L.Push(apiErr.Object)
			} else {
				L.Push(lua.LString(err.Error()))
			}
			return 2
		}
		piece := L.Get(-1)
		L.Pop(1)
		if piece == lua.LNil {
			break
		}
		var s string
		switch v := piece.(type) {
		case lua.LString:
			s = string(v)
		case lua.LNumber:
			s = FormatNumber(float64(v))
		default:
			L.Push(lua.LNil)
			L.Push(lua.LString(Where(L, 1) + "reader function must return a string"))
			return 2
		}
		if s == "" {
			break
		}
		src.WriteString(s)
	}
	fn, err := loadChunk(L, src.String(), chunkname)
	return loadResult(L, fn, err)
}

// raisef is raise with a message formatted as fmt.Sprintf does.
func raisef(L *lua.LState, format string, args ...any) {
	raise(L, fmt.Sprintf(format, args...))
}

// loadFile is luaL_loadfile: the file at path ("" for standard input, read
// from stdin), its first line blanked if it starts with "#", compiled.
func loadFile(L *lua.LState, path string, stdin io.Reader) (*lua.LFunction, error) {
	chunkname := "@" + path
	var b []byte
	var err error
	if path == "" {
		chunkname = "=stdin"
		if stdin == nil {
			return nil, errors.New("cannot read stdin: no standard input")
		}
		if b, err = io.ReadAll(stdin); err != nil {
			return nil, errors.New("cannot read stdin: " + errorText(err))
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, errors.New("cannot open " + path + ": " + errorText(err))
		}
		b, err = io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, errors.New("cannot read " + path + ": " + errorText(err))
		}
	}
	return loadChunk(L, skipShebang(string(b)), chunkname)
}

// skipShebang blanks a first line that starts with "#" (#!/usr/bin/lua),
// keeping its newline so that line numbers stay, as luaL_loadfile does.
func skipShebang(src string) string {
	if !strings.HasPrefix(src, "#") {
		return src
	}
	if i := strings.IndexByte(src, '\n'); i >= 0 {
		return src[i:]
	}
	return ""
}

// errorText is err as C's strerror writes it, for an errno in its chain.
func errorText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return strerror(errno)
	}
	return err.Error()
}

// baseLoadFile is loadfile([filename]): the file (standard input if none)
// compiled, named by its path; or nil and the message.
func baseLoadFile(L *lua.LState, stdin io.Reader) int {
	fn, err := loadFile(L, L.OptString(1, ""), stdin)
	return loadResult(L, fn, err)
}

// baseDoFile is dofile([filename]): the file (standard input if none) run,
// its values returned; a failure to load it is raised.
func baseDoFile(L *lua.LState, stdin io.Reader) int {
	path := L.OptString(1, "")
	top := L.GetTop()
	fn, err := loadFile(L, path, stdin)
	if err != nil {
		L.Error(lua.LString(err.Error()), 0)
	}
	L.Push(fn)
	L.Call(0, lua.MultRet)
	return L.GetTop() - top
}

// packageLib is the package library's state: its table (where require and
// the searchers find loaders, preload, path and cpath, as Lua 5.1's do,
// even when the global "package" is replaced) and the value package.loaded
// holds for a module being loaded.
type packageLib struct {
	pkg      *lua.LTable
	sentinel *lua.LUserData
}

// loaded is package.loaded (the registry's _LOADED, which is the same
// table).
func (p *packageLib) loaded(L *lua.LState) *lua.LTable {
	if t, ok := L.G.Registry.RawGetString("_LOADED").(*lua.LTable); ok {
		return t
	}
	t := L.NewTable()
	L.G.Registry.RawSetString("_LOADED", t)
	p.pkg.RawSetString("loaded", t)
	return t
}

// require is require(name) as Lua 5.1's ll_require: package.loaded[name]
// if set; else each of package.loaders in turn until one returns a
// function, which is called with name and whose value (or true) becomes
// package.loaded[name]; "module 'name' not found:" and the loaders'
// messages if none does.
func (p *packageLib) require(L *lua.LState) int {
	name := L.CheckString(1)
	L.SetTop(1)
	loaded := p.loaded(L)
	if v := loaded.RawGetString(name); lua.LVAsBool(v) {
		if v == p.sentinel {
			raisef(L, "loop or previous error loading module '%s'", name)
		}
		L.Push(v)
		return 1
	}
	loaders, ok := p.pkg.RawGetString("loaders").(*lua.LTable)
	if !ok {
		raisef(L, "'package.loaders' must be a table")
	}
	var msg strings.Builder
	var module lua.LValue
	for i := 1; ; i++ {
		loader := loaders.RawGetInt(i)
		if loader == lua.LNil {
			raisef(L, "module '%s' not found:%s", name, msg.String())
		}
		L.Push(loader)
		L.Push(lua.LString(name))
		L.Call(1, 1)
		ret := L.Get(-1)
		L.Pop(1)
		if _, ok := ret.(*lua.LFunction); ok {
			module = ret
			break
		}
		switch v := ret.(type) {
		case lua.LString:
			msg.WriteString(string(v))
		case lua.LNumber:
			msg.WriteString(FormatNumber(float64(v)))
		}
	}
	loaded.RawSetString(name, p.sentinel)
	L.Push(module)
	L.Push(lua.LString(name))
	L.Call(1, 1)
	if ret := L.Get(-1); ret != lua.LNil {
		loaded.RawSetString(name, ret)
	}
	L.Pop(1)
	if loaded.RawGetString(name) == p.sentinel {
		loaded.RawSetString(name, lua.LTrue)
	}
	L.Push(loaded.RawGetString(name))
	return 1
}

// loaderPreload is package.loaders[1]: package.preload[name], or why not.
func (p *packageLib) loaderPreload(L *lua.LState) int {
	name := L.CheckString(1)
	preload, ok := p.pkg.RawGetString("preload").(*lua.LTable)
	if !ok {
		raisef(L, "'package.preload' must be a table")
	}
	if v := L.GetField(preload, name); v != lua.LNil {
		L.Push(v)
		return 1
	}
	L.Push(lua.LString("\n\tno field package.preload['" + name + "']"))
	return 1
}

// findFile is Lua 5.1's findfile: the first file of package[pname]'s
// templates, with name's dots as slashes for "?", that opens; or "" and
// the list of those tried.
func (p *packageLib) findFile(L *lua.LState, name, pname string) (string, string) {
	name = strings.ReplaceAll(name, ".", "/")
	var path string
	switch v := p.pkg.RawGetString(pname).(type) {
	case lua.LString:
		path = string(v)
	case lua.LNumber:
		path = FormatNumber(float64(v))
	default:
		raisef(L, "'package.%s' must be a string", pname)
	}
	var tried strings.Builder
	for _, template := range strings.Split(path, ";") {
		if template == "" {
			continue
		}
		file := strings.ReplaceAll(template, "?", name)
		if f, err := os.Open(file); err == nil {
			f.Close()
			return file, ""
		}
		tried.WriteString("\n\tno file '" + file + "'")
	}
	return "", tried.String()
}

// loaderLua is package.loaders[2]: the Lua file package.path finds for
// name, compiled; or the files tried. A file that does not compile is an
// error.
func (p *packageLib) loaderLua(L *lua.LState) int {
	name := L.CheckString(1)
	file, tried := p.findFile(L, name, "path")
	if file == "" {
		L.Push(lua.LString(tried))
		return 1
	}
	fn, err := loadFile(L, file, nil)
	if err != nil {
		raisef(L, "error loading module '%s' from file '%s':\n\t%s", name, file, err.Error())
	}
	L.Push(fn)
	return 1
}

// noCModules is why a C module found on package.cpath does not load: the
// message of a Lua 5.1 built without dynamic libraries, which sockrun is.
const noCModules = "dynamic libraries not enabled; check your Lua installation"

// loaderC is package.loaders[3]: a C library package.cpath finds for name
// cannot load; the files tried if none is found.
func (p *packageLib) loaderC(L *lua.LState) int {
	name := L.CheckString(1)
	file, tried := p.findFile(L, name, "cpath")
	if file == "" {
		L.Push(lua.LString(tried))
		return 1
	}
	raisef(L, "error loading module '%s' from file '%s':\n\t%s", name, file, noCModules)
	return 0
}

// loaderCRoot is package.loaders[4]: for "a.b", a C library package.cpath
// finds for "a" cannot load; the files tried if none is found.
func (p *packageLib) loaderCRoot(L *lua.LState) int {
	name := L.CheckString(1)
	root, _, ok := strings.Cut(name, ".")
	if !ok {
		return 0
	}
	file, tried := p.findFile(L, root, "cpath")
	if file == "" {
		L.Push(lua.LString(tried))
		return 1
	}
	raisef(L, "error loading module '%s' from file '%s':\n\t%s", name, file, noCModules)
	return 0
}
