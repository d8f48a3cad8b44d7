package api

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// The registry is the list of everything a script sees that sockrun adds to
// Lua: each module, its functions, the object types it hands out with their
// methods, and its constants, with the Lua signature and a one-line summary
// of each: one entry per function, found by module, type and name (Find).
// VM.Open builds the VM's modules from it, the docs check holds docs/ to
// it, and editor definitions and `sockrun doc` are made from it. A module
// is added by registering it from its own package:
//
//	func init() { api.Register(&api.Module{Name: "struct", Funcs: []api.Func{...}}) }
//
// Open is not edited. A module with state has a New that makes its
// instance for each VM; its functions made with Method receive it.

// Func is one script-facing function or method.
type Func struct {
	// Name is the key the function is stored under: "recv".
	Name string
	// Sig is the Lua signature as the docs head it:
	// "socket.socket([family [, type [, proto]]])", "sock:recv(bufsize [, flags])".
	Sig string
	// Summary is one line on what it does and returns.
	Summary string
	// What it means (meaning.go): what it does, where the bytes of a
	// receive or a send are, its parameters' and results' kinds, how it
	// fails. Declared with Does, Receives, Sends, Params, Returns and
	// Failing.
	Dir    Direction
	DataAt Place
	In     []Param
	Out    []Kind
	Fail   Failure
	// Quiet says the function touches no socket and no network although
	// its module does (socket.time reads a clock): --trace leaves it out.
	// Declared with Local.
	Quiet bool
	// TypeParams are the editor definitions' generic parameters ("T");
	// Alts are other ways to call it, each its parameters (Or).
	TypeParams string
	Alts       [][]Param
	// paramsDeclared is how many parameters the signature had when
	// Params was given its kinds.
	paramsDeclared int
	// bind makes the Go function for one VM, from the instance of the
	// module that registered the function (or its type). It runs through
	// the call path (callpath.go).
	bind func(inst any) lua.LGFunction
}

// HasFunction reports whether f has a Go function (Fn and Method give it
// one).
func (f *Func) HasFunction() bool { return f.bind != nil }

// Fn is the registry's entry of fn, a function that keeps no state of its
// own module (or gets it from its self argument).
func Fn(name, sig, summary string, fn lua.LGFunction) Func {
	return Func{Name: name, Sig: sig, Summary: summary, bind: func(any) lua.LGFunction { return fn }}
}

// Method is the registry's entry of fn, a function of a module's state:
// each VM calls it with the instance its module's New made there
// ((*Module).recv, with M the module's instance type).
func Method[M any](name, sig, summary string, fn func(m M, L *lua.LState) int) Func {
	return Func{Name: name, Sig: sig, Summary: summary, bind: func(inst any) lua.LGFunction {
		m := inst.(M)
		return func(L *lua.LState) int { return fn(m, L) }
	}}
}

// Type is a kind of object a module hands out: a userdata with a metatable
// whose __index is the methods table.
type Type struct {
	// Name is the object's kind in messages and docs: "socket", "queue".
	Name string
	// Meta is the metatable's name in the Lua registry.
	Meta string
	// Methods makes the object's methods, documented as Self:name(...):
	// MethodList calls it once, when they are first needed (the first
	// object of the type, the docs), so that a run builds the methods of
	// the types it uses only. A list several types share is a
	// sync.OnceValue.
	Methods func() []Func
	// Inherits, if set, is a type whose methods this one has too (an SSL
	// socket has every socket method).
	Inherits *Type
	// Fields are values read (and perhaps set) as obj.name, beside the
	// methods: ctx.verify_mode.
	Fields []Field
	// Metamethods (__tostring, __eq, __len, ...) are set on the metatable
	// as they are: they are how Lua operators see the object, not calls a
	// trace or the docs list one by one.
	Metamethods map[string]lua.LGFunction
	// Summary is one line on the object, for the editor definitions.
	Summary string
	// Values are fields the object has that its face sets itself (not
	// Fields): the socket object's family, type and proto. They are
	// documented, not installed.
	Values []Value
	// Setup, if set, runs once the type's metatable is made, with it:
	// what the module changes in it. A VM makes a type's metatable at its
	// first use (Metatable), not when it opens.
	Setup func(L *lua.LState, mt *lua.LTable)

	methodsOnce sync.Once
	methods     []Func
}

// MethodList is ty's methods, made by Methods at the first call.
func (ty *Type) MethodList() []Func {
	ty.methodsOnce.Do(func() {
		if ty.Methods != nil {
			ty.methods = ty.Methods()
		}
	})
	return ty.methods
}

// Value is a documented value a module or an object has beside its
// functions, methods and constants: a field its Setup or its face sets
// (socket.errorcode, sock.family), or a global (vars). Type is its LuaLS
// type.
type Value struct {
	Name    string
	Type    string
	Summary string
}

// Shape is the shape of a table a module's functions take or return,
// named after the module (socket.address, socket.serveroptions), for the
// editor definitions: a class with fields, or, with Alias set, another
// name of a LuaLS type.
type Shape struct {
	Name    string
	Summary string
	Fields  []Value
	Alias   string
}

// Field is a value of an object read as obj.name, and set as obj.name = v
// if Set is not nil.
type Field struct {
	Name    string
	Summary string
	// Type is its LuaLS type: "boolean", "integer".
	Type string
	Get  func(L *lua.LState, obj *lua.LUserData) lua.LValue
	// Set stores v (at stack index 3 of the __newindex call, for argument
	// errors); nil makes the field read-only.
	Set func(L *lua.LState, obj *lua.LUserData, v lua.LValue)
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
	// New, if set, makes the module's instance for one VM when the VM is
	// made: the state its functions share, holding what it needs of vm.
	// Functions made with Method receive it. A module that shares
	// another's state returns vm.Instance(other).
	New func(vm *VM) any
	// Setup, if set, runs after the module's table is filled, with the
	// interpreter lock held and the module's instance (nil if it has
	// none): fields that are not functions or constants, metatables of
	// the module table itself. SetupOf adapts a method of the instance.
	Setup func(inst any, L *lua.LState, mod *lua.LTable)
	// Order sorts modules when they open; lower first, then by name.
	Order int
	// Secondary marks a part of a module registered in parts that is
	// another library's API, kept for that library's scripts (LuaSocket's
	// part of socket), rather than the module's own: `sockrun doc` shows
	// it after the module's own part, and in brief.
	Secondary bool
	// Network marks a module of sockets and the network: --trace shows
	// the calls of its functions and its objects' methods, but those of a
	// function declared Local (a clock).
	Network bool
	// Families are the named families of the module's constants that
	// parameters take (meaning.go): "AF_*", "MSG_*".
	Families []*Family
	// What the editor definitions (luals.go) say beside the functions,
	// types and constants: the module table's other fields (Values), the
	// shapes of tables its functions take and return, the LuaLS type of
	// calling the module table itself (Callable: select, socket.unix),
	// and the file they go in (Defs; unset, the module's name + ".lua").
	Values   []Value
	Shapes   []Shape
	Callable string
	Defs     string
}

// SetupOf is a Module's Setup from f, a method of its instance type M.
func SetupOf[M any](f func(m M, L *lua.LState, mod *lua.LTable)) func(any, *lua.LState, *lua.LTable) {
	return func(inst any, L *lua.LState, mod *lua.LTable) { f(inst.(M), L, mod) }
}

var registry []*Module

// Register adds a module to the registry; each module's package calls it
// from init.
func Register(m *Module) {
	for _, fam := range m.Families {
		fam.module = m
	}
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

// Find is the registered function name of module (a module function) or
// of its type typeName (a method, typeName not ""), nil if there is none.
func Find(module, typeName, name string) *Func {
	for _, m := range registry {
		if m.Name != module {
			continue
		}
		if typeName == "" {
			for i := range m.Funcs {
				if m.Funcs[i].Name == name {
					return &m.Funcs[i]
				}
			}
			continue
		}
		for _, ty := range m.Types {
			if ty.Name != typeName {
				continue
			}
			for t := ty; t != nil; t = t.Inherits {
				methods := t.MethodList()
				for i := range methods {
					if methods[i].Name == name {
						return &methods[i]
					}
				}
			}
		}
	}
	return nil
}

// owners are the modules that register each type, whose instance the
// type's methods get.
func owners() map[*Type]*Module {
	o := map[*Type]*Module{}
	for _, m := range registry {
		for _, ty := range m.Types {
			o[ty] = m
		}
	}
	return o
}

// Open registers sockrun's modules in L, the VM's main state, as the
// registry lists them: each new module as a global and for require, each
// extension into its global table.
func (vm *VM) Open(L *lua.LState) {
	vm.mainL = L
	openErrorMeta(L)
	vm.owner = owners()
	vm.types = map[string]pendingType{}
	lua51.SetRegistryCompleter(L, vm)
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
			vm.fill(L, m, t, constsOf(m))
		case !opened[m.Name]:
			// Every part registered under this name fills one table: the
			// socket module is Python's face and LuaSocket's.
			opened[m.Name] = true
			parts := modulesNamed(m.Name)
			L.PreloadModule(m.Name, func(L *lua.LState) int {
				// The table is made at the size it is filled to, the
				// constants counted: a Lua table's map grows by rehashing.
				size := 0
				consts := make([][]Const, len(parts))
				for i, part := range parts {
					consts[i] = constsOf(part)
					size += len(part.Funcs) + len(consts[i])
				}
				mod := L.CreateTable(0, size)
				for i, part := range parts {
					vm.fill(L, part, mod, consts[i])
				}
				guardModule(L, m.Name, mod)
				L.Push(mod)
				return 1
			})
			if m.Kind != RequireOnly {
				L.SetGlobal(m.Name, RequireModule(L, m.Name))
			}
		}
	}
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

// constsOf is m's constants, nil if it has none.
func constsOf(m *Module) []Const {
	if m.Consts == nil {
		return nil
	}
	return m.Consts()
}

// fill sets a module's functions and constants (consts, constsOf(m)) in
// t, then runs its Setup. Its types' metatables are made at their first
// use (makeType).
func (vm *VM) fill(L *lua.LState, m *Module, t *lua.LTable, consts []Const) {
	inst := vm.Instance(m)
	for _, ty := range m.Types {
		if _, made := L.G.Registry.RawGetString(ty.Meta).(*lua.LTable); made {
			vm.makeType(L, m, ty) // opened again: made again, as it was
		} else {
			vm.types[ty.Meta] = pendingType{m, ty}
		}
	}
	for i := range m.Funcs {
		t.RawSetString(m.Funcs[i].Name, L.NewFunction(vm.call(m, nil, &m.Funcs[i], inst)))
	}
	for _, c := range consts {
		t.RawSetString(c.Name, c.Value)
	}
	if m.Setup != nil {
		m.Setup(inst, L, t)
	}
}

// pendingType is a type of module m whose metatable a VM makes at its
// first use: most runs make objects of few of the types, or none, and a
// type's methods are most of what opening a VM would make.
type pendingType struct {
	m  *Module
	ty *Type
}

// Metatable is the metatable registered in L's registry as meta
// (L.GetTypeMetatable): a registered type's is made at its first use,
// here. Every object of a registered type gets its metatable from here
// (NewObject does).
func Metatable(L *lua.LState, meta string) lua.LValue {
	if mt := L.G.Registry.RawGetString(meta); mt != lua.LNil {
		return mt
	}
	if vm, ok := lua51.RegistryCompleterOf(L).(*VM); ok {
		if p, ok := vm.types[meta]; ok {
			return vm.makeType(L, p.m, p.ty)
		}
	}
	return lua.LNil
}

// CompleteRegistry implements lua51.RegistryCompleter: it makes the
// metatables of every type not made yet, so that debug.getregistry shows
// the registry as if they had been made when the VM opened.
func (vm *VM) CompleteRegistry(L *lua.LState) {
	metas := make([]string, 0, len(vm.types))
	for meta := range vm.types {
		metas = append(metas, meta)
	}
	sort.Strings(metas)
	for _, meta := range metas {
		if p, ok := vm.types[meta]; ok {
			vm.makeType(L, p.m, p.ty)
		}
	}
}

// makeType makes the metatable of ty, a type of module m, in the registry
// and returns it: its methods (inherited ones bound to the instance of
// the module that registered them, vm.owner), its fields, name and
// metamethods, then ty.Setup.
func (vm *VM) makeType(L *lua.LState, m *Module, ty *Type) *lua.LTable {
	delete(vm.types, ty.Meta)
	inst := vm.Instance(m)
	mt := typeMetatable(L, ty)
	size := 0
	for t := ty; t != nil; t = t.Inherits {
		size += len(t.MethodList())
	}
	methods := L.CreateTable(0, size)
	for t := ty; t != nil; t = t.Inherits {
		tinst := inst
		if o := vm.owner[t]; o != nil {
			tinst = vm.Instance(o)
		}
		list := t.MethodList()
		for i := range list {
			if methods.RawGetString(list[i].Name) == lua.LNil {
				methods.RawSetString(list[i].Name, L.NewFunction(vm.call(m, ty, &list[i], tinst)))
			}
		}
	}
	setNoMethod(L, ty, methods)
	if len(ty.Fields) == 0 {
		L.SetField(mt, "__index", methods)
	} else {
		setFields(L, ty, mt, methods)
	}
	L.SetField(mt, "__name", lua.LString(ty.Name))
	for name, f := range ty.Metamethods {
		L.SetField(mt, name, L.NewFunction(f))
	}
	if ty.Setup != nil {
		ty.Setup(L, mt)
	}
	return mt
}

// typeMetatable is L.NewTypeMetatable(ty.Meta), made with room for what
// fill sets in it (__index, __name, __newindex and the metamethods)
// rather than gopher-lua's default 32 slots of array and of hash.
func typeMetatable(L *lua.LState, ty *Type) *lua.LTable {
	if mt, ok := L.G.Registry.RawGetString(ty.Meta).(*lua.LTable); ok {
		return mt
	}
	mt := L.CreateTable(0, 3+len(ty.Metamethods))
	L.SetField(L.G.Registry, ty.Meta, mt)
	return mt
}

// setFields makes the metatable mt of type ty look up methods, then
// fields, and store fields that can be set.
func setFields(L *lua.LState, ty *Type, mt, methods *lua.LTable) {
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
				L.Push(f.Get(L, ud))
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
			Misuse(L, "cannot set field '%s' of a %s", name, ty.Name)
		}
		f.Set(L, ud, L.Get(3))
		return 0
	}))
}

// setNoMethod makes a lookup of a name that ty's methods table lacks raise
// "socket object has no method 'makefile_x'", with a suggestion when a
// name is close, rather than return nil and leave the script to fail with
// "attempt to call a non-function object".
func setNoMethod(L *lua.LState, ty *Type, methods *lua.LTable) {
	mt := L.CreateTable(0, 1)
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
		Misuse(L, "%s object has no method %s", ty.Name, L.ToStringMeta(key).String())
	}
	msg := fmt.Sprintf("%s object has no method '%s'", ty.Name, string(name))
	if near := nearest(string(name), ty); near != "" {
		msg += "; did you mean '" + near + "'?"
	}
	Misuse(L, "%s", msg)
}

// nearest is the method or field of ty (or of the types it inherits)
// closest to name, if one is close enough to be a likely typo.
func nearest(name string, ty *Type) string {
	var names []string
	for t := ty; t != nil; t = t.Inherits {
		for _, f := range t.MethodList() {
			names = append(names, f.Name)
		}
		for _, f := range t.Fields {
			names = append(names, f.Name)
		}
	}
	return closest(name, names)
}

// closest is the name of names closest to name, if one is close enough to
// be a likely typo: how a missing method's error and a missing module
// field's (missing.go) suggest one.
func closest(name string, names []string) string {
	best, bestDist := "", 3
	for _, cand := range names {
		d := EditDistance(strings.ToLower(name), strings.ToLower(cand))
		if d < bestDist || d == bestDist && best != "" && cand < best {
			best, bestDist = cand, d
		}
		if strings.HasPrefix(cand, name) && len(name) >= 3 && bestDist > 1 {
			best, bestDist = cand, 1
		}
	}
	if bestDist > max(1, len(name)/3) {
		return ""
	}
	return best
}

// EditDistance is the number of edits that make a into b: a byte
// inserted, deleted or changed, or two adjacent bytes swapped (the
// optimal string alignment distance: "spwan" is one edit from "spawn", as
// a typist sees it). It is how the suggestions of a missing method or
// module field and of sockrun doc find close names.
func EditDistance(a, b string) int {
	// Rows i-2, i-1 and i of the table of distances between prefixes.
	prev2 := make([]int, len(b)+1)
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
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// RequireModule loads a module as require would and returns it.
func RequireModule(L *lua.LState, name string) lua.LValue {
	L.Push(L.GetGlobal("require"))
	L.Push(lua.LString(name))
	L.Call(1, 1)
	v := L.Get(-1)
	L.Pop(1)
	return v
}
