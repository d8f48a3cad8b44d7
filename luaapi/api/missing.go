package api

import (
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// A name a module does not have is an error, as Python's
// "module 'socket' has no attribute 'create_conection'. Did you mean:
// 'create_connection'?": read as nil, a misspelt function would fail later
// with "attempt to call a non-function object", and a misspelt constant
// would silently choose a default (socket.socket(socket.AF_INET,
// socket.SOCK_DGRAN) made a TCP socket). So reading a name that one of
// sockrun's module tables lacks raises "module 'socket' has no field
// 'SOCK_DGRAN'; did you mean 'SOCK_DGRAM'?", with the suggestion
// made as a missing method's is (closest).
//
// Lua libraries written for LuaSocket probe a few fields that may be
// absent (if not socket._DEBUG then ...): those names, listed in probed,
// read as nil; so do names that begin with two underscores, which
// libraries read of any table to learn what it is (__index, __name), and
// keys that are not strings (ipairs). A script tests whether a module has
// a name with rawget(socket, "SO_REUSEPORT"), which never raises. Setting
// a new name in a module table works as for any table (mime.lua adds its
// functions to mime.core's). docs/api.md lists the allowed names.

// probed are, for each module, the names it may lack that Lua libraries
// written for LuaSocket read to learn whether it has them: reading one
// gives nil, as in LuaSocket. Each is there because a library needs it.
var probed = map[string][]string{
	// LuaSocket's test clients (test/testclnt.lua, utestclnt.lua) read
	// socket._DEBUG, which LuaSocket sets only when built with
	// LUASOCKET_DEBUG (sockrun: --luasocket-debug). Nothing else of
	// LuaSocket's Lua modules, ltn12, mime.lua or Copas reads a name the
	// modules lack (TestLuaSocketTestPair, TestLuaSocketMimeTest,
	// TestCopasEcho and the LuaSocket e2e tests, run with every miss
	// logged).
	"socket": {"_DEBUG"},
}

// guardModule makes mod, the table of module name, raise on a read of a
// name it lacks (missingField). It keeps what mod's metatable already
// has (__call of a module that can be called).
func guardModule(L *lua.LState, name string, mod *lua.LTable) {
	var types []*Type
	for _, m := range modulesNamed(name) {
		types = append(types, m.Types...)
	}
	// The Python face's types first: LuaSocket's are named by class,
	// "tcp{client}", and a name both have is the Python face's to show.
	sort.SliceStable(types, func(i, j int) bool {
		return !strings.Contains(types[i].Name, "{") && strings.Contains(types[j].Name, "{")
	})
	GuardTable(L, name, mod, types)
}

// GuardTable makes t, the table a script reads as name ("socket.dns"),
// raise on a read of a name it lacks, as a module's table does; types are
// the objects whose methods the message may point to (the module's).
func GuardTable(L *lua.LState, name string, t *lua.LTable, types []*Type) {
	mt, ok := L.GetMetatable(t).(*lua.LTable)
	if !ok {
		mt = L.NewTable()
		L.SetMetatable(t, mt)
	}
	if mt.RawGetString("__index") != lua.LNil {
		return // the table answers missing names itself
	}
	allowed := map[string]bool{}
	for _, n := range probed[name] {
		allowed[n] = true
	}
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		key := L.Get(2)
		if s, ok := key.(lua.LString); !ok || allowed[string(s)] || strings.HasPrefix(string(s), "__") {
			L.Push(lua.LNil)
			return 1
		}
		missingField(L, name, L.CheckTable(1), key, types)
		return 0
	}))
}

// missingField raises the error of a read of key, which the table mod of
// module name does not have: with the closest of the names it has, or,
// for the name of a method of one of types (socket.recv), where that
// method is.
func missingField(L *lua.LState, name string, mod *lua.LTable, key lua.LValue, types []*Type) {
	field := lua.LVAsString(key)
	msg := fmt.Sprintf("module '%s' has no field '%s'", name, field)
	var names []string
	mod.ForEach(func(k, _ lua.LValue) {
		if ks, ok := k.(lua.LString); ok {
			names = append(names, string(ks))
		}
	})
	sort.Strings(names)
	if ty, f := methodNamed(field, types); f != nil {
		msg += fmt.Sprintf("; '%s' is a method of %s objects: %s", f.Name, ty.Name, f.Sig)
	} else if near := closest(field, names); near != "" {
		msg += "; did you mean '" + near + "'?"
	} else if ty, f := methodNamed(closest(field, methodNames(types)), types); f != nil {
		msg += fmt.Sprintf("; did you mean the method '%s' of %s objects: %s?", f.Name, ty.Name, f.Sig)
	}
	Misuse(L, "%s", msg)
}

// methodNamed is the first of types with a method name (its own or
// inherited), and that method; nil if none has it.
func methodNamed(name string, types []*Type) (*Type, *Func) {
	if name == "" {
		return nil, nil
	}
	for _, ty := range types {
		for t := ty; t != nil; t = t.Inherits {
			methods := t.MethodList()
			for i := range methods {
				if methods[i].Name == name {
					return ty, &methods[i]
				}
			}
		}
	}
	return nil, nil
}

// methodNames are the names of the methods of types.
func methodNames(types []*Type) []string {
	var names []string
	for _, ty := range types {
		for t := ty; t != nil; t = t.Inherits {
			for _, f := range t.MethodList() {
				names = append(names, f.Name)
			}
		}
	}
	return names
}
