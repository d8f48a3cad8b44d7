package lua51

// Weak tables: a table whose metatable's __mode holds "k" (weak keys),
// "v" (weak values) or both loses, at collectgarbage("collect"), every
// entry whose weak key or value is an object nothing else reaches, as in
// Lua 5.1. gopher-lua has no weak tables (a table holds its keys and
// values as Go references) and no finalizers on Lua values.
//
// The design uses Go's garbage collector as the judge of reachability,
// because no mark phase from the public API could be sound: sockrun holds
// Lua values where no Lua root leads (the stacks of threads running on
// goroutines of their own, callbacks and metatables kept in Go structs,
// the Go stacks of functions that are running), and a register above a
// frame's named locals is reachable only through gopher-lua's unexported
// fields. A wrong removal is worse than a kept entry, so:
//
//  1. setmetatable and debug.setmetatable note each table given a
//     metatable with a __mode, in a per-VM set of weak pointers (a noted
//     table is not kept alive by being noted). A __mode put into a
//     metatable after setmetatable gave it to a table counts once
//     setmetatable is called again: noting every table that gets any
//     metatable would cost each object of a class a weak pointer;
//  2. ClearWeakTables (collectgarbage("collect")) takes each noted table
//     that still has a weak __mode, reads its entries in traversal order
//     and empties it: *t is overwritten with an empty table, so gopher-lua's
//     own slices and maps of that table (which keep even deleted keys)
//     no longer reference anything. An entry's weak parts — a key of a "k"
//     table, a value of a "v" table, when it is a table, function, userdata
//     or thread — are kept as Go weak pointers, its other parts as strong
//     references (strings, numbers and booleans are values, never removed);
//  3. runtime.GC() runs a full collection: an object that a strong
//     reference anywhere reaches — a Lua stack, a global, another table, a
//     Go struct, a goroutine's stack, the strong part of a weak entry —
//     survives; one that only weak entries held is collected, and its weak
//     pointers turn nil;
//  4. each table gets back, in their order, the entries whose weak parts
//     all survived. An entry removed because its value died keeps its key
//     as a deleted key (as gopher-lua keeps a key assigned nil), so that a
//     traversal in progress at that key goes on.
//
// Every removal is of an object the Go collector found unreachable, so no
// reachable entry is ever removed. An entry can be kept that Lua 5.1
// would remove, when gopher-lua itself still references the object: a
// register above the top of a stack not yet overwritten, a frame popped
// from a call stack, a key deleted from an ordinary table (gopher-lua
// keeps deleted keys in the table's key list). Weak tables are cleared
// only by collectgarbage("collect"), not as the Go collector runs on its
// own: clearing needs the interpreter lock and the table emptied during a
// collection, which only a call from the script can arrange.

import (
	"runtime"
	"strings"
	"sync"
	"weak"

	lua "github.com/yuin/gopher-lua"
)

func init() {
	correct("weak", openWeak)
}

// openWeak replaces setmetatable with Lua 5.1's, which notes weak tables;
// collectgarbage("collect") clears them (baselib.go).
func openWeak(L *lua.LState, _ Options) {
	L.SetGlobal("setmetatable", L.NewFunction(weakSetmetatable))
}

// weakState is what the weak tables of one VM need.
type weakState struct {
	// tables are the tables noted as weak, held weakly.
	tables map[weak.Pointer[lua.LTable]]struct{}
	// pruneAt is the size of tables at which its dead pointers are
	// dropped, so that a script making weak tables and never collecting
	// does not grow it without bound.
	pruneAt int
	// builtin are the metatables debug.setmetatable gave to the values of
	// types without metatables of their own, for debug.getmetatable to
	// see past a __metatable field.
	builtin map[lua.LValueType]lua.LValue
}

// weakStates are the weakState of each VM, by its *lua.Global, held
// weakly.
var weakStates sync.Map // weak.Pointer[lua.Global] → *weakState

// weakStateOf is L's VM's weakState. It is touched only under the VM's
// interpreter lock.
func weakStateOf(L *lua.LState) *weakState {
	p := weak.Make(L.G)
	if s, ok := weakStates.Load(p); ok {
		return s.(*weakState)
	}
	s := &weakState{tables: map[weak.Pointer[lua.LTable]]struct{}{}, pruneAt: 64, builtin: map[lua.LValueType]lua.LValue{}}
	if actual, loaded := weakStates.LoadOrStore(p, s); loaded {
		return actual.(*weakState)
	}
	runtime.AddCleanup(L.G, func(p weak.Pointer[lua.Global]) { weakStates.Delete(p) }, p)
	return s
}

// weakMode is whether table t has weak keys and weak values: its
// metatable's __mode holds "k", "v".
func weakMode(t *lua.LTable) (keys, values bool) {
	mt, ok := t.Metatable.(*lua.LTable)
	if !ok {
		return false, false
	}
	mode, ok := mt.RawGetString("__mode").(lua.LString)
	if !ok {
		return false, false
	}
	return strings.ContainsRune(string(mode), 'k'), strings.ContainsRune(string(mode), 'v')
}

// weakNote notes t as a weak table if its metatable has a weak __mode.
func weakNote(L *lua.LState, t *lua.LTable) {
	if k, v := weakMode(t); !k && !v {
		return
	}
	s := weakStateOf(L)
	s.tables[weak.Make(t)] = struct{}{}
	if len(s.tables) >= s.pruneAt {
		for p := range s.tables {
			if p.Value() == nil {
				delete(s.tables, p)
			}
		}
		s.pruneAt = max(64, 2*len(s.tables))
	}
}

// weakSetMetatable sets the metatable of obj to mt (nil or a table): of a
// table or userdata, its own; of another value, that of every value of
// its type. A table given a weak __mode is noted.
func weakSetMetatable(L *lua.LState, obj, mt lua.LValue) {
	switch o := obj.(type) {
	case *lua.LTable:
		o.Metatable = mt
		weakNote(L, o)
	case *lua.LUserData:
		o.Metatable = mt
	default:
		L.SetMetatable(obj, mt)
		weakStateOf(L).builtin[obj.Type()] = mt
	}
}

// weakRawMetatable is the metatable of v, without regard to a
// __metatable field.
func weakRawMetatable(L *lua.LState, v lua.LValue) lua.LValue {
	var mt lua.LValue
	switch o := v.(type) {
	case *lua.LTable:
		mt = o.Metatable
	case *lua.LUserData:
		mt = o.Metatable
	default:
		// gopher-lua answers the __metatable field of a metatable it
		// keeps by type; the one debug.setmetatable gave is known.
		mt = L.GetMetatable(v)
		if set, ok := weakStateOf(L).builtin[v.Type()]; ok && set != lua.LNil {
			if t, ok := set.(*lua.LTable); ok && (mt == set || t.RawGetString("__metatable") == mt) {
				mt = set
			}
		}
	}
	if mt == nil {
		return lua.LNil
	}
	return mt
}

// weakSetmetatable is setmetatable(table, metatable) as Lua 5.1's: the
// table's metatable (nil or a table) set, unless its metatable has a
// __metatable field; returns the table.
func weakSetmetatable(L *lua.LState) int {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		debugTypeError(L, 1, "table")
	}
	mt := L.Get(2)
	switch mt.(type) {
	case *lua.LNilType, *lua.LTable:
	default:
		debugArgError(L, 2, "nil or table expected")
	}
	if L.GetTop() < 2 {
		debugArgError(L, 2, "nil or table expected")
	}
	if old, ok := t.Metatable.(*lua.LTable); ok && old.RawGetString("__metatable") != lua.LNil {
		debugRaise(L, "cannot change a protected metatable")
	}
	weakSetMetatable(L, t, mt)
	L.SetTop(1)
	return 1
}

// weakRef is a weak reference to a collectable Lua value: one of its
// pointers is set.
type weakRef struct {
	t  weak.Pointer[lua.LTable]
	f  weak.Pointer[lua.LFunction]
	u  weak.Pointer[lua.LUserData]
	th weak.Pointer[lua.LState]
}

// weakRefOf is a weak reference to v; ok is false for a value that is
// never removed from a weak table (nil, a boolean, a number, a string, a
// channel).
func weakRefOf(v lua.LValue) (r weakRef, ok bool) {
	switch o := v.(type) {
	case *lua.LTable:
		r.t = weak.Make(o)
	case *lua.LFunction:
		r.f = weak.Make(o)
	case *lua.LUserData:
		r.u = weak.Make(o)
	case *lua.LState:
		r.th = weak.Make(o)
	default:
		return r, false
	}
	return r, true
}

// value is the referenced value, nil once it was collected.
func (r weakRef) value() lua.LValue {
	if t := r.t.Value(); t != nil {
		return t
	}
	if f := r.f.Value(); f != nil {
		return f
	}
	if u := r.u.Value(); u != nil {
		return u
	}
	if th := r.th.Value(); th != nil {
		return th
	}
	return nil
}

// weakEntry is an entry of a weak table during a collection: its strong
// parts as values, its weak parts as weak references (k or v nil).
type weakEntry struct {
	k, v   lua.LValue
	wk, wv weakRef
}

// weakDetached is a weak table emptied for a collection, with its entries.
type weakDetached struct {
	t       *lua.LTable
	entries []weakEntry
}

// weakDetach empties t, keeping its entries with their weak parts held
// weakly.
func weakDetach(t *lua.LTable, weakKeys, weakValues bool) *weakDetached {
	d := &weakDetached{t: t}
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		e := weakEntry{k: k, v: v}
		if weakKeys {
			if r, ok := weakRefOf(k); ok {
				e.k, e.wk = nil, r
			}
		}
		if weakValues {
			if r, ok := weakRefOf(v); ok {
				e.v, e.wv = nil, r
			}
		}
		d.entries = append(d.entries, e)
	}
	mt := t.Metatable
	*t = lua.LTable{}
	t.Metatable = mt
	return d
}

// reattach puts back into the table the entries whose weak parts
// survived, and reports how many did not.
func (d *weakDetached) reattach() int {
	removed := 0
	for _, e := range d.entries {
		k, v := e.k, e.v
		if k == nil {
			k = e.wk.value()
		}
		if v == nil {
			v = e.wv.value()
		}
		switch {
		case k != nil && v != nil:
			d.t.RawSet(k, v)
		case k != nil:
			removed++
			if _, isNumber := k.(lua.LNumber); !isNumber {
				// A deleted key, as gopher-lua keeps one: next(t, k)
				// goes on from it.
				d.t.RawSet(k, lua.LTrue)
				d.t.RawSet(k, lua.LNil)
			}
		default:
			removed++
		}
	}
	return removed
}

// ClearWeakTables is collectgarbage("collect") for weak tables: it runs a
// full Go garbage collection (runtime.GC) and removes from the weak tables
// of L's VM every entry whose weak key or weak value (a table, function,
// userdata or thread) nothing else references; it returns how many
// entries it removed. The caller holds the interpreter lock, as for any
// Lua call; no other runtime.GC is needed for "collect".
func ClearWeakTables(L *lua.LState) int {
	s := weakStateOf(L)
	var detached []*weakDetached
	for p := range s.tables {
		t := p.Value()
		if t == nil {
			delete(s.tables, p)
			continue
		}
		k, v := weakMode(t)
		if !k && !v {
			delete(s.tables, p)
			continue
		}
		detached = append(detached, weakDetach(t, k, v))
	}
	runtime.GC()
	removed := 0
	for _, d := range detached {
		removed += d.reattach()
	}
	return removed
}
