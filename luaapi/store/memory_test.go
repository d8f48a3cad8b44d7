package store

import (
	"context"
	"errors"
	"fmt"
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
