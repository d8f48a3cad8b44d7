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
//
// A store made by NewMemoryMax holds at most a number of bytes
// (limits.max_shared), counted by entrySize, as Redis's maxmemory with
// its noeviction policy: a write that would take it past the bound is
// refused with an *ErrFull, after expired entries are swept; reads and
// deletes always work, so that a client can make room.
type Memory struct {
	mu     sync.Mutex
	m      map[string]entry
	writes int    // since the last sweep of expired entries
	max    int64  // the most bytes the entries may hold; 0: no bound
	used   int64  // what the entries hold, the sum of their entrySize
	limit  string // names max in errors (ErrFull.Limit)
	// soonest is when the first entry with a TTL expires, or earlier: no
	// entry expires before it (zero: none has a TTL). Until then a sweep
	// has nothing to do, so a full store that refuses write after write
	// does not walk its map each time.
	soonest time.Time

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

// entryOverhead is what an entry costs beyond the bytes of its key and of
// its string value: the map's slot (the key's string header and the
// entry, 56 bytes) and its share of the table's free slots, the boxes of
// the value's interface and the allocations' rounding. Measured with
// runtime.ReadMemStats over maps of 1,000 to 1,500,000 entries (keys of
// 6 to 13 bytes; number, boolean, 8- and 100-byte string values): 90 to
// 167 bytes, by how full the table is since it last grew; 128 is the
// middle.
const entryOverhead = 128

// entrySize is the bytes an entry of key holding v counts for against the
// bound.
func entrySize(key string, v any) int64 {
	n := int64(len(key)) + entryOverhead
	if s, ok := v.(string); ok {
		n += int64(len(s))
	}
	return n
}

// NewMemory returns an empty in-process store without a bound.
func NewMemory() *Memory { return NewMemoryMax(0, "") }

// NewMemoryMax returns an empty in-process store that holds at most max
// bytes, as entrySize counts them (0: no bound); limit names the bound in
// its errors ("limits.max_shared is 64 MiB").
func NewMemoryMax(max int64, limit string) *Memory {
	return &Memory{m: map[string]entry{}, max: max, limit: limit, now: time.Now, subs: map[string]map[*Subscription]struct{}{}}
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
		st.remove(key, e)
		return entry{}, false
	}
	return e, true
}

// remove deletes key, whose entry is e, and gives its bytes back. The
// caller holds st.mu.
func (st *Memory) remove(key string, e entry) {
	delete(st.m, key)
	st.used -= entrySize(key, e.v)
}

// put stores e under key, where old is key's live entry if had, unless
// that would take the store past its bound even after expired entries
// are swept: then it stores nothing and returns an *ErrFull. A write that
// does not grow the store (a number replacing a number, a shorter
// string) is never refused. The caller holds st.mu.
func (st *Memory) put(key string, e entry, old entry, had bool, now time.Time) error {
	grow := entrySize(key, e.v)
	if had {
		grow -= entrySize(key, old.v)
	}
	if grow > 0 && st.max > 0 && st.used+grow > st.max {
		st.sweep(now) // key's own entry is live: the sweep leaves it
		if st.used+grow > st.max {
			return &ErrFull{Max: st.max, Limit: st.limit}
		}
	}
	st.m[key] = e
	st.used += grow
	if !e.expires.IsZero() && (st.soonest.IsZero() || e.expires.Before(st.soonest)) {
		st.soonest = e.expires
	}
	st.wrote(now)
	return nil
}

// wrote counts a write and sweeps expired entries now and then. The caller
// holds st.mu.
func (st *Memory) wrote(now time.Time) {
	st.writes++
	if st.writes < sweepEvery {
		return
	}
	st.writes = 0
	st.sweep(now)
}

// sweep deletes the entries expired at now, if any can have, and notes
// when the first of the others expires. The caller holds st.mu.
func (st *Memory) sweep(now time.Time) {
	if st.soonest.IsZero() || now.Before(st.soonest) {
		return
	}
	st.soonest = time.Time{}
	for k, e := range st.m {
		switch {
		case e.expires.IsZero():
		case !now.Before(e.expires):
			st.remove(k, e)
		case st.soonest.IsZero() || e.expires.Before(st.soonest):
			st.soonest = e.expires
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
// expire after that long. Past the store's bound it is an *ErrFull, and
// key keeps what it held.
func (st *Memory) Set(_ context.Context, key string, v any, ttl time.Duration) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	old, had := st.live(key, now)
	return st.put(key, entry{v: v, expires: st.expiry(ttl)}, old, had, now)
}

// Add stores v under key only if key is absent (or expired), and reports
// whether it did. Past the store's bound it is an *ErrFull.
func (st *Memory) Add(_ context.Context, key string, v any, ttl time.Duration) (bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	if _, ok := st.live(key, now); ok {
		return false, nil
	}
	if err := st.put(key, entry{v: v, expires: st.expiry(ttl)}, entry{}, false, now); err != nil {
		return false, err
	}
	return true, nil
}

// Incr adds delta to key's number and returns the result. An absent (or
// expired) key starts at init, without expiry; an existing key keeps its
// expiry. A key holding a string or boolean is an *ErrNotNumber. An
// existing key's number takes no more room; a new key past the store's
// bound is an *ErrFull.
func (st *Memory) Incr(_ context.Context, key string, delta, init float64) (float64, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	old, had := st.live(key, now)
	e := old
	if !had {
		e = entry{v: init}
	}
	n, isNum := e.v.(float64)
	if !isNum {
		return 0, &ErrNotNumber{Key: key, Kind: sharedKind(e.v)}
	}
	e.v = n + delta
	if err := st.put(key, e, old, had, now); err != nil {
		return 0, err
	}
	return n + delta, nil
}

// Delete removes key and reports whether it was there.
func (st *Memory) Delete(_ context.Context, key string) (bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.live(key, st.now())
	if ok {
		st.remove(key, e)
	}
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
