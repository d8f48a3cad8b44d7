package store

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is the in-process store: every worker (VM) and thread of one
// run shares it, no other process sees it. It holds plain Go values
// (string, float64, bool), never Lua values, and its mutexes are held only
// for map operations, never across anything that blocks; no call waits.
// The runner creates one per run (unless shared.url names a Redis) and
// hands it to every VM in Config.Shared.
type Memory struct {
	mu     sync.Mutex
	m      map[string]entry
	writes int // since the last sweep of expired entries

	now func() time.Time // time.Now; tests replace it

	subMu sync.Mutex
	subs  map[string]map[*Subscription]struct{} // by channel
}

type entry struct {
	v       any       // string, float64 or bool
	expires time.Time // zero: never
}

// sweepEvery is how many writes pass between sweeps of expired entries, so
// that keys set with a TTL and never read again do not pile up.
const sweepEvery = 4096

// NewMemory returns an empty in-process store.
func NewMemory() *Memory {
	return &Memory{m: map[string]entry{}, now: time.Now, subs: map[string]map[*Subscription]struct{}{}}
}

var _ Store = (*Memory)(nil)

// Remote is false: no call of the in-process store waits.
func (st *Memory) Remote() bool { return false }

// Name is "in-process".
func (st *Memory) Name() string { return "in-process" }

// Close does nothing: the store goes with the process.
func (st *Memory) Close() error { return nil }

// expiry is when a value set now with ttl expires (zero: never).
func (st *Memory) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return st.now().Add(ttl)
}

// live returns key's entry if it exists and has not expired, deleting it
// if it has. The caller holds st.mu.
func (st *Memory) live(key string, now time.Time) (entry, bool) {
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
func (st *Memory) wrote(now time.Time) {
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
func (st *Memory) Get(_ context.Context, key string) (any, bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.live(key, st.now())
	if !ok {
		return nil, false, nil
	}
	return e.v, true, nil
}

// Set stores v (string, float64 or bool) under key; a positive ttl makes it
// expire after that long.
func (st *Memory) Set(_ context.Context, key string, v any, ttl time.Duration) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	st.m[key] = entry{v: v, expires: st.expiry(ttl)}
	st.wrote(now)
	return nil
}

// Add stores v under key only if key is absent (or expired), and reports
// whether it did.
func (st *Memory) Add(_ context.Context, key string, v any, ttl time.Duration) (bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	if _, ok := st.live(key, now); ok {
		return false, nil
	}
	st.m[key] = entry{v: v, expires: st.expiry(ttl)}
	st.wrote(now)
	return true, nil
}

// Incr adds delta to key's number and returns the result. An absent (or
// expired) key starts at init, without expiry; an existing key keeps its
// expiry. A key holding a string or boolean is an *ErrNotNumber.
func (st *Memory) Incr(_ context.Context, key string, delta, init float64) (float64, error) {
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
func (st *Memory) Delete(_ context.Context, key string) (bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.live(key, st.now())
	delete(st.m, key)
	return ok, nil
}

// Keys returns the keys present, sorted.
func (st *Memory) Keys(context.Context) ([]string, error) {
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
	return keys, nil
}

// Publish hands text to every subscription to channel in this process
// and returns how many took it.
func (st *Memory) Publish(_ context.Context, channel, text string) (int, error) {
	st.subMu.Lock()
	defer st.subMu.Unlock()
	n := 0
	for sub := range st.subs[channel] {
		if sub.deliver(Message{Channel: channel, Text: text}) {
			n++
		}
	}
	return n, nil
}

// Subscribe returns a subscription to channels; closing it takes it off
// them.
func (st *Memory) Subscribe(_ context.Context, channels []string) (*Subscription, error) {
	var sub *Subscription
	sub = newSubscription(channels, func() {
		st.subMu.Lock()
		defer st.subMu.Unlock()
		for _, ch := range sub.channels {
			delete(st.subs[ch], sub)
			if len(st.subs[ch]) == 0 {
				delete(st.subs, ch)
			}
		}
	})
	st.subMu.Lock()
	defer st.subMu.Unlock()
	for _, ch := range channels {
		if st.subs[ch] == nil {
			st.subs[ch] = map[*Subscription]struct{}{}
		}
		st.subs[ch][sub] = struct{}{}
	}
	return sub, nil
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
