package luaapi

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// SharedStore is the key-value store that every worker (VM) and thread of
// one run shares: the only state that crosses VMs. It holds plain Go
// values (string, float64, bool), never Lua values, and its mutex is held
// only for map operations, never across anything that blocks. The runner
// creates one per run and hands it to every VM in Config.Shared.
type SharedStore struct {
	mu     sync.Mutex
	m      map[string]sharedEntry
	writes int // since the last sweep of expired entries

	now func() time.Time // time.Now; tests replace it
}

type sharedEntry struct {
	v       any       // string, float64 or bool
	expires time.Time // zero: never
}

// sweepEvery is how many writes pass between sweeps of expired entries, so
// that keys set with a TTL and never read again do not pile up.
const sweepEvery = 4096

// ErrNotNumber is returned by Incr when the key holds something other than
// a number.
type ErrNotNumber struct {
	Key  string
	Kind string // "string", "boolean"
}

func (e *ErrNotNumber) Error() string {
	return fmt.Sprintf("shared key %q holds a %s, not a number", e.Key, e.Kind)
}

// NewSharedStore returns an empty store.
func NewSharedStore() *SharedStore {
	return &SharedStore{m: map[string]sharedEntry{}, now: time.Now}
}

// expiry is when a value set now with ttl expires (zero: never).
func (st *SharedStore) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return st.now().Add(ttl)
}

// live returns key's entry if it exists and has not expired, deleting it
// if it has. The caller holds st.mu.
func (st *SharedStore) live(key string, now time.Time) (sharedEntry, bool) {
	e, ok := st.m[key]
	if !ok {
		return e, false
	}
	if !e.expires.IsZero() && !now.Before(e.expires) {
		delete(st.m, key)
		return sharedEntry{}, false
	}
	return e, true
}

// wrote counts a write and sweeps expired entries now and then. The caller
// holds st.mu.
func (st *SharedStore) wrote(now time.Time) {
	st.writes++
	if st.writes < sweepEvery {
		return
	}
	st.writes = 0
	for k, e := range st.m {
		if !e.expires.IsZero() && !now.Before(e.expires) {
			delete(st.m, k)
		}
	}
}

// Get returns key's value and whether it is there.
func (st *SharedStore) Get(key string) (any, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.live(key, st.now())
	if !ok {
		return nil, false
	}
	return e.v, true
}

// Set stores v (string, float64 or bool) under key; a positive ttl makes it
// expire after that long.
func (st *SharedStore) Set(key string, v any, ttl time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	st.m[key] = sharedEntry{v: v, expires: st.expiry(ttl)}
	st.wrote(now)
}

// Add stores v under key only if key is absent (or expired), and reports
// whether it did.
func (st *SharedStore) Add(key string, v any, ttl time.Duration) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	if _, ok := st.live(key, now); ok {
		return false
	}
	st.m[key] = sharedEntry{v: v, expires: st.expiry(ttl)}
	st.wrote(now)
	return true
}

// Incr adds delta to key's number and returns the result. An absent (or
// expired) key starts at init, without expiry; an existing key keeps its
// expiry. A key holding a string or boolean is an *ErrNotNumber.
func (st *SharedStore) Incr(key string, delta, init float64) (float64, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	e, ok := st.live(key, now)
	if !ok {
		e = sharedEntry{v: init}
	}
	n, isNum := e.v.(float64)
	if !isNum {
		return 0, &ErrNotNumber{Key: key, Kind: sharedKind(e.v)}
	}
	e.v = n + delta
	st.m[key] = e
	st.wrote(now)
	return n + delta, nil
}

// Delete removes key and reports whether it was there.
func (st *SharedStore) Delete(key string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.live(key, st.now())
	delete(st.m, key)
	return ok
}

// Keys returns the keys present, sorted.
func (st *SharedStore) Keys() []string {
	st.mu.Lock()
	now := st.now()
	keys := make([]string, 0, len(st.m))
	for k := range st.m {
		if _, ok := st.live(k, now); ok {
			keys = append(keys, k)
		}
	}
	st.mu.Unlock()
	slices.Sort(keys)
	return keys
}

func sharedKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return "number"
}

func init() {
	register(&Module{
		Name:    "shared",
		Summary: "a key-value store common to every worker of the run",
		Doc:     "docs/threads.md",
		Funcs: []Func{
			{"get", "shared.get(key)", "the value of key, or nil", (*Runtime).sharedGet},
			{"set", "shared.set(key, value [, ttl])", "stores value under key, for ttl seconds if given", (*Runtime).sharedSet},
			{"add", "shared.add(key, value [, ttl])", "stores value only if key is absent; returns whether it did", (*Runtime).sharedAdd},
			{"incr", "shared.incr(key [, delta [, init]])", "adds delta to a number atomically; returns the new value", (*Runtime).sharedIncr},
			{"delete", "shared.delete(key)", "removes key; returns whether it was there", (*Runtime).sharedDelete},
			{"keys", "shared.keys()", "the live keys, sorted", (*Runtime).sharedKeys},
		},
	})
}

// checkSharedKey reads a key argument: a string (a number is converted, as
// Lua does).
func checkSharedKey(L *lua.LState, fn string) string {
	return checkString(L, 1, fn)
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
	argError(L, n, fn, "string, number or boolean expected, got "+typeName(L.Get(n)))
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
		argError(L, n, fn, "number or nil expected for ttl, got "+typeName(v))
	}
	if f < 0 || math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		argError(L, n, fn, "ttl must be 0 (none) or more seconds, got "+f.String())
	}
	if float64(f)*float64(time.Second) >= math.MaxInt64 {
		// Past what a Duration holds (292 years): converting would wrap to
		// a negative TTL, a key that expires as it is stored. Clamp, as
		// seconds() does for sleep.
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
	argError(L, n, fn, "number expected, got "+typeName(L.Get(n)))
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
func (rt *Runtime) sharedGet(L *lua.LState) int {
	v, _ := rt.shared().Get(checkSharedKey(L, "get"))
	L.Push(sharedValue(v))
	return 1
}

// sharedSet is shared.set(key, value [, ttl]): stores value (a string,
// number or boolean) under key, replacing what was there; with ttl
// (seconds) it expires after that long. Returns nothing.
func (rt *Runtime) sharedSet(L *lua.LState) int {
	key := checkSharedKey(L, "set")
	v := checkSharedValue(L, 2, "set")
	rt.shared().Set(key, v, checkTTL(L, 3, "set"))
	return 0
}

// sharedAdd is shared.add(key, value [, ttl]): as set, but only if key is
// absent. Returns true if it stored value, false if key was there.
func (rt *Runtime) sharedAdd(L *lua.LState) int {
	key := checkSharedKey(L, "add")
	v := checkSharedValue(L, 2, "add")
	L.Push(lua.LBool(rt.shared().Add(key, v, checkTTL(L, 3, "add"))))
	return 1
}

// sharedIncr is shared.incr(key [, delta [, init]]): adds delta (default
// 1) to the number under key, atomically across workers and threads, and
// returns the new number. An absent key starts at init (default 0). Raises
// if key holds a string or boolean.
func (rt *Runtime) sharedIncr(L *lua.LState) int {
	key := checkSharedKey(L, "incr")
	delta := optNumber(L, 2, "incr", 1)
	init := optNumber(L, 3, "incr", 0)
	n, err := rt.shared().Incr(key, delta, init)
	if err != nil {
		misuse(L, "%v (incr)", err)
	}
	L.Push(lua.LNumber(n))
	return 1
}

// sharedDelete is shared.delete(key): removes key. Returns true if it was
// there.
func (rt *Runtime) sharedDelete(L *lua.LState) int {
	L.Push(lua.LBool(rt.shared().Delete(checkSharedKey(L, "delete"))))
	return 1
}

// sharedKeys is shared.keys(): a sorted list of the keys present.
func (rt *Runtime) sharedKeys(L *lua.LState) int {
	keys := rt.shared().Keys()
	t := L.CreateTable(len(keys), 0)
	for _, k := range keys {
		t.Append(lua.LString(k))
	}
	L.Push(t)
	return 1
}

// shared is the run's store (Config.Shared, or the VM's own).
func (rt *Runtime) shared() *SharedStore { return rt.cfg.Shared }
