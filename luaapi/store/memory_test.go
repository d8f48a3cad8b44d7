package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

var ctx = context.Background()

// TestMemoryConcurrent hammers one store from many goroutines, as the
// workers of a run do; -race checks the locking, the counts check
// atomicity.
func TestMemoryConcurrent(t *testing.T) {
	st := NewMemory()
	const goroutines, rounds = 32, 500
	var wg sync.WaitGroup
	addWins := make([]int, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				if _, err := st.Incr(ctx, "count", 1, 0); err != nil {
					t.Error(err)
					return
				}
				key := fmt.Sprintf("k%d", i%17)
				st.Set(ctx, key, float64(g), 0)
				st.Get(ctx, key)
				if ok, _ := st.Add(ctx, fmt.Sprintf("once%d", i), float64(g), 0); ok {
					addWins[g]++
				}
				if i%50 == 0 {
					st.Keys(ctx)
					st.Delete(ctx, key)
				}
				st.Set(ctx, "ttl", "x", time.Nanosecond)
			}
		}()
	}
	wg.Wait()
	if v, _, _ := st.Get(ctx, "count"); v != float64(goroutines*rounds) {
		t.Errorf("count = %v, want %d", v, goroutines*rounds)
	}
	wins := 0
	for _, w := range addWins {
		wins += w
	}
	if wins != rounds {
		t.Errorf("add succeeded %d times for %d keys, want once each", wins, rounds)
	}
	checkUsed(t, st)
}

// checkUsed fails the test unless the bytes st counts are the sum of its
// entries' sizes: every write, delete and expiry kept the count.
func checkUsed(t *testing.T, st *Memory) int64 {
	t.Helper()
	st.mu.Lock()
	defer st.mu.Unlock()
	var sum int64
	for k, e := range st.m {
		sum += entrySize(k, e.v)
	}
	if st.used != sum {
		t.Errorf("the store counts %d bytes, its entries hold %d", st.used, sum)
	}
	return sum
}

// TestMemoryAccounting: the bytes the store counts follow each write:
// a key's bytes, its string value's and the fixed overhead; an overwrite
// counts the difference, incr of an existing number nothing, and delete
// and expiry give the bytes back.
func TestMemoryAccounting(t *testing.T) {
	st := NewMemoryMax(1<<20, "")
	now := time.Unix(1000, 0)
	st.now = func() time.Time { return now }
	steps := []struct {
		what string
		do   func() error
		want int64
	}{
		{"set a string", func() error { return st.Set(ctx, "a", "xxxx", 0) }, 1 + 4 + entryOverhead},
		{"overwrite it shorter", func() error { return st.Set(ctx, "a", "xx", 0) }, 1 + 2 + entryOverhead},
		{"set a number", func() error { return st.Set(ctx, "nn", 1.0, 0) }, 1 + 2 + 2 + 2*entryOverhead},
		{"incr it", func() error { _, err := st.Incr(ctx, "nn", 5, 0); return err }, 5 + 2*entryOverhead},
		{"incr a new key", func() error { _, err := st.Incr(ctx, "new", 1, 0); return err }, 8 + 3*entryOverhead},
		{"add a boolean", func() error { _, err := st.Add(ctx, "b", true, time.Second); return err }, 9 + 4*entryOverhead},
		{"add it again", func() error { _, err := st.Add(ctx, "b", "longer", 0); return err }, 9 + 4*entryOverhead},
		{"delete a", func() error { _, err := st.Delete(ctx, "a"); return err }, 6 + 3*entryOverhead},
		{"delete a again", func() error { _, err := st.Delete(ctx, "a"); return err }, 6 + 3*entryOverhead},
		{"b expires, read", func() error { now = now.Add(time.Second); st.Get(ctx, "b"); return nil }, 5 + 2*entryOverhead},
		{"set with a TTL", func() error { return st.Set(ctx, "t", "abc", time.Second) }, 9 + 3*entryOverhead},
		{"t expires, deleted", func() error { now = now.Add(time.Second); st.Delete(ctx, "t"); return nil }, 5 + 2*entryOverhead},
		{"set with a TTL again", func() error { return st.Set(ctx, "t", "abc", time.Second) }, 9 + 3*entryOverhead},
		{"t expires, overwritten", func() error { now = now.Add(time.Second); return st.Set(ctx, "t", 1.0, 0) }, 6 + 3*entryOverhead},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		if got := checkUsed(t, st); got != s.want {
			t.Fatalf("after %s: %d bytes, want %d", s.what, got, s.want)
		}
	}
}

// TestMemoryFull: a store at its bound refuses what would grow it, with
// an *ErrFull naming the bound, and keeps what it held; it still does
// what does not grow it (incr of an existing number, a shorter value, an
// add of a present key), and delete makes room.
func TestMemoryFull(t *testing.T) {
	const max = 10_000
	st := NewMemoryMax(max, "limits.max_shared is 10000 bytes")
	value := strings.Repeat("v", 100)
	var err error
	n := 0
	for ; n < max; n++ {
		if err = st.Set(ctx, fmt.Sprintf("k%03d", n), value, 0); err != nil {
			break
		}
	}
	var full *ErrFull
	if !errors.As(err, &full) || full.Max != max || err.Error() != "shared store is full: limits.max_shared is 10000 bytes" {
		t.Fatalf("after %d sets: %v", n, err)
	}
	size := entrySize("k000", value)
	if used := checkUsed(t, st); used > max || used+size <= max || n != max/int(size) {
		t.Fatalf("%d entries of %d bytes hold %d bytes; refused at the next, bound %d", n, size, used, max)
	}
	if _, ok, _ := st.Get(ctx, fmt.Sprintf("k%03d", n)); ok {
		t.Error("the refused key was stored")
	}
	if _, err := st.Incr(ctx, "counter", 1, 0); !errors.As(err, &full) {
		t.Errorf("incr of a new key: %v", err)
	}
	if ok, err := st.Add(ctx, "added", value, 0); ok || !errors.As(err, &full) {
		t.Errorf("add of a new key: %v %v", ok, err)
	}
	if err := st.Set(ctx, "k000", value+value, 0); !errors.As(err, &full) {
		t.Errorf("a longer value: %v", err)
	}
	if v, _, _ := st.Get(ctx, "k000"); v != value {
		t.Errorf("a refused overwrite changed the value to %q", v)
	}
	// What does not grow the store goes on.
	if err := st.Set(ctx, "k000", "short", 0); err != nil {
		t.Errorf("a shorter value: %v", err)
	}
	if ok, err := st.Add(ctx, "k001", value, 0); ok || err != nil {
		t.Errorf("add of a present key: %v %v", ok, err)
	}
	if err := st.Set(ctx, "k002", 7.0, 0); err != nil {
		t.Fatalf("a number for a string: %v", err)
	}
	for range 10 {
		if _, err := st.Incr(ctx, "k002", 1, 0); err != nil {
			t.Fatalf("incr of an existing number: %v", err)
		}
	}
	if keys, err := st.Keys(ctx); len(keys) != n || err != nil {
		t.Errorf("keys: %d, %v", len(keys), err)
	}
	// Delete makes room.
	if ok, err := st.Delete(ctx, "k003"); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if err := st.Set(ctx, "k999", value, 0); err != nil {
		t.Errorf("set after a delete: %v", err)
	}
	checkUsed(t, st)
}

// TestMemoryFullSweeps: before refusing a write, the store sweeps the
// entries that expired, even those never read again.
func TestMemoryFullSweeps(t *testing.T) {
	st := NewMemoryMax(10_000, "")
	now := time.Unix(1000, 0)
	st.now = func() time.Time { return now }
	st.Set(ctx, "forever", "x", 0)
	st.Set(ctx, "later", "x", time.Hour)
	var err error
	for i := 0; err == nil && i < 1000; i++ {
		err = st.Set(ctx, fmt.Sprint("short", i), strings.Repeat("v", 100), time.Second)
	}
	if err := st.Set(ctx, "new", "v", 0); err == nil {
		t.Fatal("a full store took a new key")
	}
	now = now.Add(time.Second)
	if err := st.Set(ctx, "new", strings.Repeat("v", 5000), 0); err != nil {
		t.Fatalf("with the short-lived keys expired: %v", err)
	}
	if keys, _ := st.Keys(ctx); fmt.Sprint(keys) != "[forever later new]" {
		t.Errorf("keys: %s", keys)
	}
	checkUsed(t, st)
	// Nothing expired since: a refusal finds nothing to sweep, and the
	// entry that will expire first is still known.
	if err := st.Set(ctx, "huge", strings.Repeat("v", 10_000), 0); err == nil {
		t.Fatal("a value past the bound was taken")
	}
	now = now.Add(time.Hour)
	if err := st.Set(ctx, "more", strings.Repeat("v", 4000), 0); err != nil {
		t.Errorf("with later expired: %v", err)
	}
	checkUsed(t, st)
}

func TestMemoryTTL(t *testing.T) {
	st := NewMemory()
	now := time.Unix(1000, 0)
	st.now = func() time.Time { return now }
	st.Set(ctx, "a", "v", 10*time.Second)
	st.Set(ctx, "b", true, 0)
	if ok, _ := st.Add(ctx, "c", 1.0, time.Second); !ok {
		t.Fatal("add of an absent key failed")
	}
	if n, err := st.Incr(ctx, "c", 2, 0); err != nil || n != 3 {
		t.Fatalf("incr = %v, %v", n, err)
	}
	now = now.Add(time.Second) // c expires now: the TTL is a deadline
	if _, ok, _ := st.Get(ctx, "c"); ok {
		t.Error("c outlived its TTL (incr must keep it)")
	}
	if keys, _ := st.Keys(ctx); fmt.Sprint(keys) != "[a b]" {
		t.Errorf("keys = %s", keys)
	}
	now = now.Add(9 * time.Second)
	if v, ok, _ := st.Get(ctx, "a"); ok {
		t.Errorf("a = %v after its TTL", v)
	}
	if v, ok, _ := st.Get(ctx, "b"); !ok || v != true {
		t.Errorf("b = %v, %v", v, ok)
	}
	if ok, _ := st.Add(ctx, "a", "new", 0); !ok {
		t.Error("add over an expired key failed")
	}
	gone, _ := st.Delete(ctx, "zzz")
	there, _ := st.Delete(ctx, "a")
	if gone || !there {
		t.Error("delete reports")
	}
}

func TestMemorySweep(t *testing.T) {
	st := NewMemory()
	now := time.Unix(1000, 0)
	st.now = func() time.Time { return now }
	for i := range 100 {
		st.Set(ctx, fmt.Sprintf("old%d", i), 1.0, time.Second)
	}
	now = now.Add(2 * time.Second)
	for i := range sweepEvery {
		st.Set(ctx, "fresh", float64(i), 0)
	}
	st.mu.Lock()
	n := len(st.m)
	st.mu.Unlock()
	if n != 1 {
		t.Errorf("%d entries after a sweep, want 1: expired keys never read must not pile up", n)
	}
}

func TestMemoryIncrNotNumber(t *testing.T) {
	st := NewMemory()
	st.Set(ctx, "s", "text", 0)
	_, err := st.Incr(ctx, "s", 1, 0)
	var nn *ErrNotNumber
	if !errors.As(err, &nn) || nn.Kind != "string" || nn.Key != "s" {
		t.Fatalf("err = %v", err)
	}
	if v, _, _ := st.Get(ctx, "s"); v != "text" {
		t.Errorf("value changed to %v", v)
	}
}
