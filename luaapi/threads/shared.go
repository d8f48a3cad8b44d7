package threads

import (
	"math"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/store"
	lua "github.com/yuin/gopher-lua"
)

// Shared is the shared module's state in one VM: the run's store.
type Shared struct {
	store *store.Store
}

// newShared is the shared module's instance: Config.Shared, or a store of
// the VM's own.
func newShared(vm *api.VM) any {
	st := vm.Config().Shared
	if st == nil {
		st = store.New()
	}
	return &Shared{store: st}
}

func init() {
	api.Register(&api.Module{
		Name:    "shared",
		Summary: "a key-value store common to every worker of the run",
		Doc:     "docs/threads.md",
		New:     newShared,
		Funcs: []api.Func{
			api.Method("get", "shared.get(key)", "the value of key, or nil", (*Shared).sharedGet).
				Params(api.Str).Returns(api.T("string|number|boolean|nil")),
			api.Method("set", "shared.set(key, value [, ttl])", "stores value under key, for ttl seconds if given", (*Shared).sharedSet).
				Params(api.Str, api.T("string|number|boolean|nil"), api.Num),
			api.Method("add", "shared.add(key, value [, ttl])", "stores value only if key is absent; returns whether it did", (*Shared).sharedAdd).
				Params(api.Str, api.T("string|number|boolean"), api.Num).Returns(api.Bool),
			api.Method("incr", "shared.incr(key [, delta [, init]])", "adds delta to a number atomically; returns the new value", (*Shared).sharedIncr).
				Params(api.Str, api.Num, api.Num).Returns(api.Num),
			api.Method("delete", "shared.delete(key)", "removes key; returns whether it was there", (*Shared).sharedDelete).
				Params(api.Str).Returns(api.Bool),
			api.Method("keys", "shared.keys()", "the live keys, sorted", (*Shared).sharedKeys).
				Returns(api.T("string[]")),
		},
	})
}

// checkSharedKey reads a key argument: a string (a number is converted, as
// Lua does).
func checkSharedKey(L *lua.LState, fn string) string {
	return api.CheckString(L, 1, fn)
}

// checkSharedValue reads a value argument as the Go value the store keeps.
func checkSharedValue(L *lua.LState, n int, fn string) any {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return float64(v)
	case lua.LBool:
		return bool(v)
	}
	api.ArgError(L, n, fn, "string, number or boolean expected, got "+api.TypeName(L.Get(n)))
	return nil
}

// checkTTL reads an optional time to live in seconds: nil or 0 is none.
func checkTTL(L *lua.LState, n int, fn string) time.Duration {
	v := L.Get(n)
	if v == lua.LNil {
		return 0
	}
	f, ok := v.(lua.LNumber)
	if !ok {
		api.ArgError(L, n, fn, "number or nil expected for ttl, got "+api.TypeName(v))
	}
	if f < 0 || math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		api.ArgError(L, n, fn, "ttl must be 0 (none) or more seconds, got "+f.String())
	}
	if float64(f)*float64(time.Second) >= math.MaxInt64 {
		// Past what a Duration holds (292 years): converting would wrap to
		// a negative TTL, a key that expires as it is stored. Clamp, as
		// api.Seconds() does for sleep.
		return math.MaxInt64
	}
	d := time.Duration(float64(f) * float64(time.Second))
	if f > 0 && d <= 0 {
		d = 1 // a TTL too small to count is the smallest one, not none
	}
	return d
}

// optNumber reads an optional number argument.
func optNumber(L *lua.LState, n int, fn string, def float64) float64 {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return def
	case lua.LNumber:
		return float64(v)
	}
	api.ArgError(L, n, fn, "number expected, got "+api.TypeName(L.Get(n)))
	return 0
}

func sharedValue(v any) lua.LValue {
	switch v := v.(type) {
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	}
	return lua.LNil
}

// sharedGet is shared.get(key): the value stored under key, or nil.
func (m *Shared) sharedGet(L *lua.LState) int {
	v, _ := m.store.Get(checkSharedKey(L, "get"))
	L.Push(sharedValue(v))
	return 1
}

// sharedSet is shared.set(key, value [, ttl]): stores value (a string,
// number or boolean) under key, replacing what was there; with ttl
// (seconds) it expires after that long. Returns nothing.
func (m *Shared) sharedSet(L *lua.LState) int {
	key := checkSharedKey(L, "set")
	v := checkSharedValue(L, 2, "set")
	m.store.Set(key, v, checkTTL(L, 3, "set"))
	return 0
}

// sharedAdd is shared.add(key, value [, ttl]): as set, but only if key is
// absent. Returns true if it stored value, false if key was there.
func (m *Shared) sharedAdd(L *lua.LState) int {
	key := checkSharedKey(L, "add")
	v := checkSharedValue(L, 2, "add")
	L.Push(lua.LBool(m.store.Add(key, v, checkTTL(L, 3, "add"))))
	return 1
}

// sharedIncr is shared.incr(key [, delta [, init]]): adds delta (default
// 1) to the number under key, atomically across workers and threads, and
// returns the new number. An absent key starts at init (default 0). Raises
// if key holds a string or boolean.
func (m *Shared) sharedIncr(L *lua.LState) int {
	key := checkSharedKey(L, "incr")
	delta := optNumber(L, 2, "incr", 1)
	init := optNumber(L, 3, "incr", 0)
	n, err := m.store.Incr(key, delta, init)
	if err != nil {
		api.Misuse(L, "%v (incr)", err)
	}
	L.Push(lua.LNumber(n))
	return 1
}

// sharedDelete is shared.delete(key): removes key. Returns true if it was
// there.
func (m *Shared) sharedDelete(L *lua.LState) int {
	L.Push(lua.LBool(m.store.Delete(checkSharedKey(L, "delete"))))
	return 1
}

// sharedKeys is shared.keys(): a sorted list of the keys present.
func (m *Shared) sharedKeys(L *lua.LState) int {
	keys := m.store.Keys()
	t := L.CreateTable(len(keys), 0)
	for _, k := range keys {
		t.Append(lua.LString(k))
	}
	L.Push(t)
	return 1
}
