package store

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Store is the key-value store that every worker (VM) and thread of
// one run shares: the only state that crosses VMs. It holds plain Go
// values (string, float64, bool), never Lua values, and its mutex is held
// only for map operations, never across anything that blocks. The runner
// creates one per run and hands it to every VM in Config.Shared.
type Store struct {
	mu     sync.Mutex
	m      map[string]entry
	writes int // since the last sweep of expired entries

	now func() time.Time // time.Now; tests replace it
}

type entry struct {
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

// New returns an empty store.
func New() *Store {
	return &Store{m: map[string]entry{}, now: time.Now}
}

// expiry is when a value set now with ttl expires (zero: never).
func (st *Store) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return st.now().Add(ttl)
}

// live returns key's entry if it exists and has not expired, deleting it
// if it has. The caller holds st.mu.
func (st *Store) live(key string, now time.Time) (entry, bool) {
	e, ok := st.m[key]
	if !ok {
		return e, false
	}
	if !e.expires.IsZero() && !now.Before(e.expires) {
		delete(st.m, key)
		return entry{}, false
	}
	return e, true
}

// wrote counts a write and sweeps expired entries now and then. The caller
// holds st.mu.
func (st *Store) wrote(now time.Time) {
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
func (st *Store) Get(key string) (any, bool) {
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
func (st *Store) Set(key string, v any, ttl time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	st.m[key] = entry{v: v, expires: st.expiry(ttl)}
	st.wrote(now)
}

// Add stores v under key only if key is absent (or expired), and reports
// whether it did.
func (st *Store) Add(key string, v any, ttl time.Duration) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	if _, ok := st.live(key, now); ok {
		return false
	}
	st.m[key] = entry{v: v, expires: st.expiry(ttl)}
	st.wrote(now)
	return true
}

// Incr adds delta to key's number and returns the result. An absent (or
// expired) key starts at init, without expiry; an existing key keeps its
// expiry. A key holding a string or boolean is an *ErrNotNumber.
func (st *Store) Incr(key string, delta, init float64) (float64, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	e, ok := st.live(key, now)
	if !ok {
		e = entry{v: init}
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
func (st *Store) Delete(key string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.live(key, st.now())
	delete(st.m, key)
	return ok
}

// Keys returns the keys present, sorted.
func (st *Store) Keys() []string {
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
