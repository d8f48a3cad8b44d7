// Package lua51 is the Lua layer under every script: it makes gopher-lua
// run Lua 5.1 as lua5.1 runs it. gopher-lua stays the VM and none of its
// source is copied here; where it differs from Lua 5.1, this package
// corrects it on the path sockrun owns:
//
//   - Compile is the one compile step for every chunk (the script, -e, the
//     prompt, require, dofile, loadfile, loadstring, load): gopher-lua's
//     parser, a pass over the syntax tree that rewrites the shapes
//     gopher-lua compiles wrongly, then gopher-lua's compiler;
//   - Open opens the standard libraries and replaces the functions whose
//     answers differ from Lua 5.1's.
//
// The package knows nothing of sockets or of sockrun's runner: it sees a
// *lua.LState and the Options the host gives it.
package lua51

import (
	"io"

	lua "github.com/yuin/gopher-lua"
)

// Options are what the host tells the Lua layer about the states it runs.
type Options struct {
	// Stdin is what loadfile() and dofile() without a file name read.
	Stdin io.Reader
	// Host is asked by the built-ins that run long or make large strings
	// (longcall.go); nil runs them without asking.
	Host Host
}

// correction is one group of library functions replaced or added, opened
// after gopher-lua's standard libraries.
type correction struct {
	name string
	open func(L *lua.LState, opts Options)
}

// corrections are opened in the order of their files' names (the order
// of their init functions); none depends on another's being opened first.
var corrections []correction

// correct registers a correction; each file of the library calls it from
// its init.
func correct(name string, open func(L *lua.LState, opts Options)) {
	corrections = append(corrections, correction{name, open})
}

// standard are gopher-lua's standard libraries a script has, in the order
// lua5.1 opens them.
var standard = []struct {
	name string
	open lua.LGFunction
}{
	{lua.BaseLibName, lua.OpenBase},
	{lua.LoadLibName, lua.OpenPackage},
	{lua.TabLibName, lua.OpenTable},
	{lua.IoLibName, lua.OpenIo},
	{lua.OsLibName, lua.OpenOs},
	{lua.StringLibName, lua.OpenString},
	{lua.MathLibName, lua.OpenMath},
	{lua.CoroutineLibName, lua.OpenCoroutine},
}

// Open opens Lua 5.1's standard libraries in L (L was made with
// SkipOpenLibs) and corrects them.
func Open(L *lua.LState, opts Options) {
	for _, lib := range standard {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, c := range corrections {
		c.open(L, opts)
	}
}
