package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestStoreConcurrent hammers one store from many goroutines, as the
// workers of a run do; -race checks the locking, the counts check
// atomicity.
func TestStoreConcurrent(t *testing.T) {
	st := New()
	const goroutines, rounds = 32, 500
	var wg sync.WaitGroup
	addWins := make([]int, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				if _, err := st.Incr("count", 1, 0); err != nil {
					t.Error(err)
					return
				}
				key := fmt.Sprintf("k%d", i%17)
				st.Set(key, float64(g), 0)
				st.Get(key)
				if st.Add(fmt.Sprintf("once%d", i), float64(g), 0) {
					addWins[g]++
				}
				if i%50 == 0 {
					st.Keys()
					st.Delete(key)
				}
				st.Set("ttl", "x", time.Nanosecond)
			}
		}()
	}
	wg.Wait()
	if v, _ := st.Get("count"); v != float64(goroutines*rounds) {
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

func TestStoreTTL(t *testing.T) {
	st := New()
	now := time.Unix(1000, 0)
	st.now = func() time.Time { return now }
	st.Set("a", "v", 10*time.Second)
	st.Set("b", true, 0)
	if !st.Add("c", 1.0, time.Second) {
		t.Fatal("add of an absent key failed")
	}
	if n, err := st.Incr("c", 2, 0); err != nil || n != 3 {
		t.Fatalf("incr = %v, %v", n, err)
	}
	now = now.Add(time.Second) // c expires now: the TTL is a deadline
	if _, ok := st.Get("c"); ok {
		t.Error("c outlived its TTL (incr must keep it)")
	}
	if got := fmt.Sprint(st.Keys()); got != "[a b]" {
		t.Errorf("keys = %s", got)
	}
	now = now.Add(9 * time.Second)
	if v, ok := st.Get("a"); ok {
		t.Errorf("a = %v after its TTL", v)
	}
	if v, ok := st.Get("b"); !ok || v != true {
		t.Errorf("b = %v, %v", v, ok)
	}
	if !st.Add("a", "new", 0) {
		t.Error("add over an expired key failed")
	}
	if st.Delete("zzz") || !st.Delete("a") {
		t.Error("delete reports")
	}
}

func TestStoreSweep(t *testing.T) {
	st := New()
	now := time.Unix(1000, 0)
	st.now = func() time.Time { return now }
	for i := range 100 {
		st.Set(fmt.Sprintf("old%d", i), 1.0, time.Second)
	}
	now = now.Add(2 * time.Second)
	for i := range sweepEvery {
		st.Set("fresh", float64(i), 0)
	}
	st.mu.Lock()
	n := len(st.m)
	st.mu.Unlock()
	if n != 1 {
		t.Errorf("%d entries after a sweep, want 1: expired keys never read must not pile up", n)
	}
}

func TestStoreIncrNotNumber(t *testing.T) {
	st := New()
	st.Set("s", "text", 0)
	_, err := st.Incr("s", 1, 0)
	var nn *ErrNotNumber
	if !errors.As(err, &nn) || nn.Kind != "string" || nn.Key != "s" {
		t.Fatalf("err = %v", err)
	}
	if v, _ := st.Get("s"); v != "text" {
		t.Errorf("value changed to %v", v)
	}
}
