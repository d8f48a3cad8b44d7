package luaapi

import (
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The registry is the list of everything a script sees that sockrun adds to
// Lua: each module, its functions, the object types it hands out with their
// methods, and its constants, with the Lua signature and a one-line summary
// of each. Runtime.Open builds the VM's modules from it, the docs check
// (registry_test.go) holds docs/ to it, and editor definitions and
// `sockrun doc` are made from it. A module is added by registering it from
// its own file:
//
//	func init() { register(&Module{Name: "struct", Funcs: []Func{...}}) }
//
// Open is not edited.

// Func is one script-facing function or method.
type Func struct {
	// Name is the key the function is stored under: "recv".
	Name string
	// Sig is the Lua signature as the docs head it:
	// "socket.socket([family [, type [, proto]]])", "sock:recv(bufsize [, flags])".
	Sig string
	// Summary is one line on what it does and returns.
	Summary string
	// Fn is the Go function. It runs through the call path (callpath.go).
	Fn func(rt *Runtime, L *lua.LState) int
}

// Type is a kind of object a module hands out: a userdata with a metatable
// whose __index is the methods table.
type Type struct {
	// Name is the object's kind in messages and docs: "socket", "queue".
	Name string
	// Meta is the metatable's name in the Lua registry.
	Meta string
	// Methods are the object's methods, documented as Self:name(...).
	Methods []Func
	// Inherits, if set, is a type whose methods this one has too (an SSL
	// socket has every socket method).
	Inherits *Type
	// Fields are values read (and perhaps set) as obj.name, beside the
	// methods: ctx.verify_mode.
	Fields []Field
	// Metamethods (__tostring, __eq, __len, ...) are set on the metatable
	// as they are: they are how Lua operators see the object, not calls a
	// trace or the docs list one by one.
	Metamethods map[string]func(rt *Runtime, L *lua.LState) int
}

// Field is a value of an object read as obj.name, and set as obj.name = v
// if Set is not nil.
type Field struct {
	Name    string
	Summary string
	Get     func(rt *Runtime, L *lua.LState, obj *lua.LUserData) lua.LValue
	// Set stores v (at stack index 3 of the __newindex call, for argument
	// errors); nil makes the field read-only.
	Set func(rt *Runtime, L *lua.LState, obj *lua.LUserData, v lua.LValue)
}

// Const is a named constant of a module.
type Const struct {
	Name  string
	Value lua.LValue
}

// ModuleKind says how a module's table reaches scripts.
type ModuleKind int

const (
	// NewModule is a table of its own, a global and what require returns.
	NewModule ModuleKind = iota
	// ExtendGlobal adds its functions to an existing global table of the
	// same name ("io", "os"), or to the globals themselves ("_G").
	ExtendGlobal
	// RequireOnly is a table of its own that only require returns, with
	// no global: the native halves of libraries written in Lua
	// ("mime.core", loaded by mime.lua), and submodules ("socket.unix").
	RequireOnly
)

// Module is one script-facing module.
type Module struct {
	Name    string
	Kind    ModuleKind
	Summary string
	// Doc is the file in docs/ that documents the module.
	Doc   string
	Funcs []Func
	Types []*Type
	// Consts lists the module's constants; made when the VM opens, since
	// some are computed (every errno name).
	Consts func() []Const
	// Setup, if set, runs after the module's table is filled, with the
	// interpreter lock held: fields that are not functions or constants,
	// metatables of the module table itself.
	Setup func(rt *Runtime, L *lua.LState, mod *lua.LTable)
	// Order sorts modules when they open; lower first, then by name.
	Order int
}

var registry []*Module

// register adds a module to the registry; each module's file calls it from
// init.
func register(m *Module) {
	registry = append(registry, m)
	sort.SliceStable(registry, func(i, j int) bool {
		if registry[i].Order != registry[j].Order {
			return registry[i].Order < registry[j].Order
		}
		return registry[i].Name < registry[j].Name
	})
}

// Modules returns the registry: every script-facing module, in the order
// the VM opens them. The caller must not change what it returns.
func Modules() []*Module { return registry }

// Open registers sockrun's modules in L, as the registry lists them: each
// new module as a global and for require, each extension into its global
// table. It then makes the main thread's handle.
func (rt *Runtime) Open(L *lua.LState) {
	openErrorMeta(L)
	openAddrMeta(L)
	opened := map[string]bool{}
	for _, m := range registry {
		m := m
		switch {
		case m.Kind == ExtendGlobal:
			var t *lua.LTable
			if m.Name == "_G" {
				t = L.G.Global
			} else {
				var ok bool
				if t, ok = L.GetGlobal(m.Name).(*lua.LTable); !ok {
					continue // that standard library is not opened
				}
			}
			rt.fill(L, m, t)
		case !opened[m.Name]:
			// Every part registered under this name fills one table: the
			// socket module is Python's face and LuaSocket's.
			opened[m.Name] = true
			parts := modulesNamed(m.Name)
			L.PreloadModule(m.Name, func(L *lua.LState) int {
				mod := L.NewTable()
				for _, part := range parts {
					rt.fill(L, part, mod)
				}
				L.Push(mod)
				return 1
			})
			if m.Kind != RequireOnly {
				L.SetGlobal(m.Name, requireModule(L, m.Name))
			}
		}
	}
	rt.threads.main = rt.newThread(L, "main")
}

// modulesNamed are the parts of the module name, in registry order: a
// module may be registered in parts from several files, each with its
// own doc file.
func modulesNamed(name string) []*Module {
	var parts []*Module
	for _, m := range registry {
		if m.Name == name && m.Kind != ExtendGlobal {
			parts = append(parts, m)
		}
	}
	return parts
}

// fill sets a module's types, functions and constants in t, then runs its
// Setup.
func (rt *Runtime) fill(L *lua.LState, m *Module, t *lua.LTable) {
	for _, ty := range m.Types {
		mt := L.NewTypeMetatable(ty.Meta)
		methods := L.NewTable()
		for t := ty; t != nil; t = t.Inherits {
			for i := range t.Methods {
				if methods.RawGetString(t.Methods[i].Name) == lua.LNil {
					methods.RawSetString(t.Methods[i].Name, L.NewFunction(rt.call(m, ty, &t.Methods[i])))
				}
			}
		}
		rt.setNoMethod(L, ty, methods)
		if len(ty.Fields) == 0 {
			L.SetField(mt, "__index", methods)
		} else {
			rt.setFields(L, ty, mt, methods)
		}
		L.SetField(mt, "__name", lua.LString(ty.Name))
		for name, f := range ty.Metamethods {
			f := f
			L.SetField(mt, name, L.NewFunction(func(L *lua.LState) int { return f(rt, L) }))
		}
	}
	for i := range m.Funcs {
		t.RawSetString(m.Funcs[i].Name, L.NewFunction(rt.call(m, nil, &m.Funcs[i])))
	}
	if m.Consts != nil {
		for _, c := range m.Consts() {
			t.RawSetString(c.Name, c.Value)
		}
	}
	if m.Setup != nil {
		m.Setup(rt, L, t)
	}
}

// setFields makes the metatable mt of type ty look up methods, then
// fields, and store fields that can be set.
func (rt *Runtime) setFields(L *lua.LState, ty *Type, mt, methods *lua.LTable) {
	fields := map[string]*Field{}
	for i := range ty.Fields {
		fields[ty.Fields[i].Name] = &ty.Fields[i]
	}
	L.SetField(mt, "__index", L.NewFunction(func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		key := L.Get(2)
		if m := methods.RawGet(key); m != lua.LNil {
			L.Push(m)
			return 1
		}
		if name, ok := key.(lua.LString); ok {
			if f := fields[string(name)]; f != nil {
				L.Push(f.Get(rt, L, ud))
				return 1
			}
		}
		noMethod(L, ty, key)
		return 0
	}))
	L.SetField(mt, "__newindex", L.NewFunction(func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		name := lua.LVAsString(L.Get(2))
		f := fields[name]
		if f == nil || f.Set == nil {
			misuse(L, "cannot set field '%s' of a %s", name, ty.Name)
		}
		f.Set(rt, L, ud, L.Get(3))
		return 0
	}))
}

// setNoMethod makes a lookup of a name that ty's methods table lacks raise
// "socket object has no method 'makefile_x'", with a suggestion when a
// name is close, rather than return nil and leave the script to fail with
// "attempt to call a non-function object".
func (rt *Runtime) setNoMethod(L *lua.LState, ty *Type, methods *lua.LTable) {
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		noMethod(L, ty, L.Get(2))
		return 0
	}))
	L.SetMetatable(methods, mt)
}

// noMethod raises the error of a lookup of key, which ty does not have.
func noMethod(L *lua.LState, ty *Type, key lua.LValue) {
	name, ok := key.(lua.LString)
	if !ok {
		misuse(L, "%s object has no method %s", ty.Name, L.ToStringMeta(key).String())
	}
	msg := fmt.Sprintf("%s object has no method '%s'", ty.Name, string(name))
	if near := nearest(string(name), ty); near != "" {
		msg += "; did you mean '" + near + "'?"
	}
	misuse(L, "%s", msg)
}

// nearest is the method or field of ty (or of the types it inherits)
// closest to name, if one is close enough to be a likely typo.
func nearest(name string, ty *Type) string {
	best, bestDist := "", 3
	consider := func(cand string) {
		d := EditDistance(strings.ToLower(name), strings.ToLower(cand))
		if d < bestDist || d == bestDist && best != "" && cand < best {
			best, bestDist = cand, d
		}
		if strings.HasPrefix(cand, name) && len(name) >= 3 && bestDist > 1 {
			best, bestDist = cand, 1
		}
	}
	for t := ty; t != nil; t = t.Inherits {
		for _, f := range t.Methods {
			consider(f.Name)
		}
		for _, f := range t.Fields {
			consider(f.Name)
		}
	}
	if bestDist > max(1, len(name)/3) {
		return ""
	}
	return best
}

// EditDistance is the Levenshtein distance between a and b: how the
// suggestions of a missing method and of sockrun doc find close names.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// requireModule loads a module as require would and returns it.
func requireModule(L *lua.LState, name string) lua.LValue {
	L.Push(L.GetGlobal("require"))
	L.Push(lua.LString(name))
	L.Call(1, 1)
	v := L.Get(-1)
	L.Pop(1)
	return v
}
