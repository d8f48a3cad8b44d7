package store

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testredis"
)

// The suite below runs against both stores: the in-process one and Redis
// (a redis-server the test starts). Both must give the same answers and
// the same errors; what is only Redis's (its encoding as other clients see
// it, a server that stops) is in redis_test.go.

// backends are the stores under test: each call of a backend's open gives
// a store of its own, empty.
func backends(t *testing.T) map[string]func(t *testing.T) Store {
	srv := testredis.Start(t)
	var mu sync.Mutex
	db := 0
	return map[string]func(t *testing.T) Store{
		"memory": func(t *testing.T) Store { return NewMemory() },
		"redis": func(t *testing.T) Store {
			mu.Lock()
			db++
			n := db
			mu.Unlock()
			if n >= testredis.Databases {
				t.Fatal("out of databases: raise testredis.Databases")
			}
			url := srv.URL(n)
			if n%2 == 0 {
				url = srv.TCPURL(n) // both ways of reaching Redis
			}
			st, err := OpenRedis(url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	}
}

// suite runs each test of the suite against each backend.
func TestStoreSuite(t *testing.T) {
	tests := map[string]func(t *testing.T, st Store){
		"Types":        suiteTypes,
		"AddDelete":    suiteAddDelete,
		"Incr":         suiteIncr,
		"Keys":         suiteKeys,
		"TTL":          suiteTTL,
		"Concurrent":   suiteConcurrent,
		"PubSub":       suitePubSub,
		"PubSubClosed": suitePubSubClosed,
	}
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			for test, f := range tests {
				t.Run(test, func(t *testing.T) { f(t, open(t)) })
			}
		})
	}
}

// fullRoom is about what the bounded stores below take before they are
// full.
const fullRoom = 256 << 10

// boundedBackends are the stores with a bound, each call of open a store
// of its own: the in-process one made with a bound of fullRoom
// (limits.max_shared), and Redis on a redis-server of its own whose
// maxmemory (noeviction, its default policy) is what it uses now plus
// fullRoom.
func boundedBackends(t *testing.T) map[string]func(t *testing.T) Store {
	srv := testredis.Start(t)
	raw := rawClient(t, srv.URL(0))
	var mu sync.Mutex
	db := 0
	return map[string]func(t *testing.T) Store{
		"memory": func(t *testing.T) Store { return NewMemoryMax(fullRoom, "limits.max_shared is 256 KiB") },
		"redis": func(t *testing.T) Store {
			mu.Lock()
			db++
			n := db
			mu.Unlock()
			st := openRedis(t, srv.URL(n))
			// The store's connection first: it counts in Redis's memory.
			if _, _, err := st.Get(ctx, "warm"); err != nil {
				t.Fatal(err)
			}
			info, err := raw.InfoMap(ctx, "memory").Result()
			must(t, err)
			used, err := strconv.ParseInt(info["Memory"]["used_memory"], 10, 64)
			must(t, err)
			must(t, raw.ConfigSet(ctx, "maxmemory", strconv.FormatInt(used+fullRoom, 10)).Err())
			t.Cleanup(func() { raw.ConfigSet(ctx, "maxmemory", "0") })
			return st
		},
	}
}

func mustGet(t *testing.T, st Store, key string) any {
	t.Helper()
	v, ok, err := st.Get(ctx, key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	if !ok {
		return nil
	}
	return v
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestStoreFull: both stores, bounded, refuse a write past the bound with
// an *ErrFull (not a StoreError), store nothing of it, and go on reading
// and deleting; a delete makes room for new writes.
func TestStoreFull(t *testing.T) {
	for name, open := range boundedBackends(t) {
		t.Run(name, func(t *testing.T) { suiteFull(t, open(t)) })
	}
}

func suiteFull(t *testing.T, st Store) {
	value := strings.Repeat("x", 1000)
	var err error
	n := 0
	for ; n < 10*fullRoom/len(value); n++ {
		if err = st.Set(ctx, fmt.Sprintf("k%04d", n), value, 0); err != nil {
			break
		}
	}
	var full *ErrFull
	var se *StoreError
	if !errors.As(err, &full) || errors.As(err, &se) || !strings.HasPrefix(err.Error(), "shared store is full: ") {
		t.Fatalf("after %d sets of 1000 bytes: %v (%T), want an *ErrFull", n, err, err)
	}
	t.Logf("full after %d sets: %v", n, err)
	if n < fullRoom/len(value)/2 {
		t.Fatalf("full after %d sets of 1000 bytes, with room for about %d KiB", n, fullRoom>>10)
	}
	if got := mustGet(t, st, fmt.Sprintf("k%04d", n)); got != nil {
		t.Error("the refused key was stored")
	}
	// Writes of new keys are refused alike, whatever their kind.
	if ok, err := st.Add(ctx, fmt.Sprintf("a%04d", n), value, 0); ok || !errors.As(err, &full) {
		t.Errorf("add of a new key: %v %v", ok, err)
	}
	for i := range 100 {
		if _, err = st.Incr(ctx, fmt.Sprintf("c%04d", i), 1, 0); err != nil {
			break
		}
	}
	if !errors.As(err, &full) {
		t.Errorf("incr of new keys: %v", err)
	}
	// Reads go on.
	if got := mustGet(t, st, "k0000"); got != value {
		t.Errorf("get when full: %.20q", got)
	}
	if keys, err := st.Keys(ctx); len(keys) < n || err != nil {
		t.Errorf("keys when full: %d, %v", len(keys), err)
	}
	// Deletes go on, and make room. (All of them: Redis gives back
	// less than what a key took, in its count of memory.)
	for i := range n {
		if ok, err := st.Delete(ctx, fmt.Sprintf("k%04d", i)); !ok || err != nil {
			t.Fatalf("delete when full: %v %v", ok, err)
		}
	}
	if err := st.Set(ctx, "after", value, 0); err != nil {
		t.Errorf("set after deletes: %v", err)
	}
	if n, err := st.Incr(ctx, "counter", 1, 0); n != 1 || err != nil {
		t.Errorf("incr after deletes: %v %v", n, err)
	}
}

// suiteTypes: every value comes back with its type and its exact value.
func suiteTypes(t *testing.T, st Store) {
	values := []any{"text", "", "a\x00b", "42", "s:x", "b:true", "inf", "1e3", " 5",
		42.0, -7.0, 0.1, 0.30000000000000004, 1e21, 1.5e-300, float64(1 << 53), float64(1<<53 + 2), -0.5, math.MaxFloat64,
		math.Inf(1), math.Inf(-1), true, false}
	for i, v := range values {
		key := fmt.Sprint("k", i)
		must(t, st.Set(ctx, key, v, 0))
		got := mustGet(t, st, key)
		if got != v {
			t.Errorf("%T %#v came back as %T %#v", v, v, got, got)
		}
	}
	must(t, st.Set(ctx, "nan", math.NaN(), 0))
	if got, ok := mustGet(t, st, "nan").(float64); !ok || !math.IsNaN(got) {
		t.Errorf("NaN came back as %#v", got)
	}
	if got := mustGet(t, st, "absent"); got != nil {
		t.Errorf("absent key: %#v", got)
	}
}

func suiteAddDelete(t *testing.T, st Store) {
	if ok, err := st.Add(ctx, "k", "first", 0); !ok || err != nil {
		t.Fatalf("add absent: %v %v", ok, err)
	}
	if ok, err := st.Add(ctx, "k", "second", 0); ok || err != nil {
		t.Fatalf("add present: %v %v", ok, err)
	}
	if got := mustGet(t, st, "k"); got != "first" {
		t.Errorf("add replaced the value: %#v", got)
	}
	if ok, err := st.Delete(ctx, "k"); !ok || err != nil {
		t.Errorf("delete present: %v %v", ok, err)
	}
	if ok, err := st.Delete(ctx, "k"); ok || err != nil {
		t.Errorf("delete absent: %v %v", ok, err)
	}
	if ok, _ := st.Add(ctx, "k", false, 0); !ok {
		t.Error("add after delete")
	}
	if got := mustGet(t, st, "k"); got != false {
		t.Errorf("got %#v", got)
	}
}

func suiteIncr(t *testing.T, st Store) {
	steps := []struct {
		key         string
		delta, init float64
		want        float64
	}{
		{"n", 1, 0, 1}, {"n", 1, 0, 2}, {"n", 10, 0, 12}, {"n", -2.5, 0, 9.5},
		{"from10", 1, 10, 11}, {"from10", 1, 10, 12},
		{"f", 0.1, 0, 0.1}, {"f", 0.2, 0, 0.30000000000000004}, // double arithmetic, as Lua's
		{"big", 1, 1 << 53, 1<<53 + 1}, // not representable: rounds as a double does
		{"inf", math.Inf(1), 0, math.Inf(1)}, {"inf", 1, 0, math.Inf(1)},
	}
	for _, s := range steps {
		got, err := st.Incr(ctx, s.key, s.delta, s.init)
		if err != nil || got != s.want {
			t.Errorf("incr(%q, %v, %v) = %v, %v; want %v", s.key, s.delta, s.init, got, err, s.want)
		}
	}
	must(t, st.Set(ctx, "num", 5.0, 0))
	if got, _ := st.Incr(ctx, "num", 1, 0); got != 6 {
		t.Errorf("incr of a set number: %v", got)
	}
	if got := mustGet(t, st, "num"); got != 6.0 {
		t.Errorf("get after incr: %#v", got)
	}
	for key, v := range map[string]any{"str": "5", "bool": true, "empty": ""} {
		must(t, st.Set(ctx, key, v, 0))
		_, err := st.Incr(ctx, key, 1, 0)
		var nn *ErrNotNumber
		kind := map[bool]string{true: "boolean", false: "string"}[key == "bool"]
		want := fmt.Sprintf("shared key %q holds a %s, not a number", key, kind)
		if !errors.As(err, &nn) || err.Error() != want {
			t.Errorf("incr of %#v: %v; want %s", v, err, want)
		}
		if got := mustGet(t, st, key); got != v {
			t.Errorf("incr changed %#v to %#v", v, got)
		}
	}
}

func suiteKeys(t *testing.T, st Store) {
	keys, err := st.Keys(ctx)
	if err != nil || len(keys) != 0 {
		t.Fatalf("empty store: %q %v", keys, err)
	}
	for _, k := range []string{"pear", "apple", "fig", "Banana", "10", "9"} {
		must(t, st.Set(ctx, k, 1.0, 0))
	}
	st.Delete(ctx, "fig")
	keys, err = st.Keys(ctx)
	if got := fmt.Sprint(keys); err != nil || got != "[10 9 Banana apple pear]" {
		t.Errorf("keys = %s, %v", got, err)
	}
}

// waitGone waits until key has expired: the TTL under test passing, not
// a wait for something else.
func waitGone(t *testing.T, st Store, key string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for mustGet(t, st, key) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("%q still there 10 s after its TTL", key)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func suiteTTL(t *testing.T, st Store) {
	ttl := 50 * time.Millisecond
	must(t, st.Set(ctx, "short", "v", ttl))
	must(t, st.Set(ctx, "long", "v", time.Hour))
	must(t, st.Set(ctx, "huge", "v", math.MaxInt64)) // 292 years: what a Duration holds
	must(t, st.Set(ctx, "tiny", "v", time.Nanosecond))
	ok, err := st.Add(ctx, "counter", 1.0, ttl)
	if !ok || err != nil {
		t.Fatalf("add: %v %v", ok, err)
	}
	if _, err := st.Incr(ctx, "counter", 1, 0); err != nil {
		t.Fatal(err)
	}
	must(t, st.Set(ctx, "reset", "v", ttl))
	must(t, st.Set(ctx, "reset", "w", 0)) // a set without ttl drops the expiry
	waitGone(t, st, "short")
	waitGone(t, st, "counter") // incr kept the TTL
	waitGone(t, st, "tiny")    // the smallest TTL is a TTL, not none
	for _, k := range []string{"long", "huge", "reset"} {
		if mustGet(t, st, k) == nil {
			t.Errorf("%q expired", k)
		}
	}
	keys, _ := st.Keys(ctx)
	if got := fmt.Sprint(keys); got != "[huge long reset]" {
		t.Errorf("keys = %s: expired keys listed", got)
	}
	if n, err := st.Incr(ctx, "counter", 1, 100); n != 101 || err != nil {
		t.Errorf("incr over an expired key: %v %v", n, err)
	}
	if ok, _ := st.Add(ctx, "short", "new", 0); !ok {
		t.Error("add over an expired key")
	}
}

// suiteConcurrent: incr from many goroutines counts each once.
func suiteConcurrent(t *testing.T, st Store) {
	const goroutines, rounds = 16, 100
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range rounds {
				if _, err := st.Incr(ctx, "count", 1, 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := mustGet(t, st, "count"); got != float64(goroutines*rounds) {
		t.Errorf("count = %v, want %d", got, goroutines*rounds)
	}
}

// take waits for the subscription's next message.
func take(t *testing.T, sub *Subscription) Message {
	t.Helper()
	select {
	case <-sub.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10 s")
	}
	m, ok := sub.Take()
	if !ok {
		t.Fatal("ready, but nothing to take")
	}
	return m
}

func suitePubSub(t *testing.T, st Store) {
	prefix := t.Name() + ":" // channels are not per database in Redis
	news, err := st.Subscribe(ctx, []string{prefix + "news", prefix + "sport"})
	must(t, err)
	defer news.Close()
	other, err := st.Subscribe(ctx, []string{prefix + "news"})
	must(t, err)
	defer other.Close()
	if n, err := st.Publish(ctx, prefix+"news", "first"); n != 2 || err != nil {
		t.Errorf("publish to two subscriptions: %d %v", n, err)
	}
	if n, err := st.Publish(ctx, prefix+"sport", "second\x00binary"); n != 1 || err != nil {
		t.Errorf("publish to one: %d %v", n, err)
	}
	if n, err := st.Publish(ctx, prefix+"nobody", "lost"); n != 0 || err != nil {
		t.Errorf("publish to none: %d %v", n, err)
	}
	for i := range 100 {
		st.Publish(ctx, prefix+"news", fmt.Sprint(i))
	}
	want := []Message{{Channel: prefix + "news", Text: "first"}, {Channel: prefix + "sport", Text: "second\x00binary"}}
	for _, w := range want {
		if m := take(t, news); m != w {
			t.Errorf("got %+v, want %+v", m, w)
		}
	}
	if m := take(t, other); m.Text != "first" {
		t.Errorf("other got %+v", m)
	}
	for i := range 100 {
		if m := take(t, news); m.Text != fmt.Sprint(i) {
			t.Fatalf("message %d: %+v: out of order", i, m)
		}
	}
	if n := news.Len(); n != 0 {
		t.Errorf("%d left", n)
	}
}

// suitePubSubClosed: a closed subscription receives nothing more, still
// hands out what it holds, and wakes whoever waits.
func suitePubSubClosed(t *testing.T, st Store) {
	ch := t.Name()
	sub, err := st.Subscribe(ctx, []string{ch})
	must(t, err)
	st.Publish(ctx, ch, "kept")
	take(t, sub) // it arrived: the next one is queued too once published
	st.Publish(ctx, ch, "queued")
	select {
	case <-sub.Ready(): // it arrived (Redis delivers on a goroutine of its own)
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived")
	}
	sub.Close()
	sub.Close()
	must(t, func() error { _, err := st.Publish(ctx, ch, "after"); return err }())
	if m, ok := sub.Take(); !ok || m.Text != "queued" {
		t.Errorf("what was queued: %+v %v", m, ok)
	}
	select {
	case <-sub.Ready():
	default:
		t.Error("a closed subscription is not ready")
	}
	if _, ok := sub.Take(); ok {
		t.Error("a message after close")
	}
}
