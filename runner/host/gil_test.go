package host

import (
	"sync"
	"testing"
	"time"
)

// waitQueued waits until n threads wait for g.
func waitQueued(t *testing.T, g *gil, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for g.waiting() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d threads wait for the lock, want %d", g.waiting(), n)
		}
		time.Sleep(time.Millisecond) // polling a condition
	}
}

// TestGILHandsOffInOrder: Unlock hands the lock to the waiters in the
// order they asked for it, and a thread that releases it and asks again
// goes behind them.
func TestGILHandsOffInOrder(t *testing.T) {
	g := newGIL()
	g.SetInterval(time.Hour) // no drop requests: only Unlock hands over
	g.Lock()
	var order []int // appended under g
	var wg sync.WaitGroup
	const n = 8
	for i := range n {
		wg.Go(func() {
			g.Lock()
			order = append(order, i)
			g.Unlock()
		})
		waitQueued(t, g, i+1) // the next one queues behind this one
	}
	// The holder releases and asks again at once: it must come last.
	g.Unlock()
	g.Lock()
	order = append(order, n)
	g.Unlock()
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("served in order %v, want 0..%d", order, n)
		}
	}
}

// TestGILCheckpointAfterInterval: a holder's Checkpoint hands the lock to
// a waiter only once the waiter has waited a switch interval, never
// without a waiter, and then takes it back after the waiter.
func TestGILCheckpointAfterInterval(t *testing.T) {
	const interval = 50 * time.Millisecond
	g := newGIL()
	g.SetInterval(interval)
	g.Lock()
	// Without a waiter, no checkpoint hands over, however long it holds.
	for start := time.Now(); time.Since(start) < 3*interval; {
		if g.Checkpoint() {
			t.Fatal("a checkpoint with nobody waiting gave the lock away")
		}
	}
	var ran []string // appended under g
	queued := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.Lock()
		ran = append(ran, "waiter")
		g.Unlock()
	}()
	waitQueued(t, g, 1)
	deadline := time.Now().Add(10 * time.Second)
	for !g.Checkpoint() {
		if time.Now().After(deadline) {
			t.Fatal("the holder never handed the lock over at a checkpoint")
		}
	}
	if waited := time.Since(queued); waited < interval {
		t.Errorf("handed over after %v, before the switch interval (%v)", waited, interval)
	}
	ran = append(ran, "holder")
	g.Unlock()
	<-done
	if len(ran) != 2 || ran[0] != "waiter" {
		t.Errorf("ran %v, want the waiter first", ran)
	}
	// The drop request is spent: the next holder keeps the lock.
	g.Lock()
	if g.Checkpoint() {
		t.Error("a checkpoint handed over with nobody waiting")
	}
	g.Unlock()
}

// TestGILPreemptsAfterUnansweredDrops: a holder that never comes to a
// Checkpoint (Lua code calling nothing of sockrun) is asked to hand the
// lock over between instructions (preempt) only once the drop request has
// stood preemptAfter switch intervals; handing it over clears both.
func TestGILPreemptsAfterUnansweredDrops(t *testing.T) {
	const interval = 20 * time.Millisecond
	g := newGIL()
	g.SetInterval(interval)
	g.Lock()
	queued := time.Now()
	done := make(chan struct{})
	ran := false // set under g
	go func() {
		defer close(done)
		g.Lock()
		ran = true
		g.Unlock()
	}()
	waitQueued(t, g, 1)
	deadline := time.Now().Add(20 * time.Second)
	for !g.preempt.Load() {
		if time.Now().After(deadline) {
			t.Fatal("a holder that never checks in was never asked to hand over between instructions")
		}
		time.Sleep(time.Millisecond) // polling a condition
	}
	if waited := time.Since(queued); waited < preemptAfter*interval {
		t.Errorf("preempt set after %v, before %d intervals (%v)", waited, preemptAfter, preemptAfter*interval)
	}
	if !g.drop.Load() {
		t.Error("preempt without a drop request")
	}
	if !g.Yield() {
		t.Fatal("Yield found nobody waiting")
	}
	if g.preempt.Load() || g.drop.Load() {
		t.Error("the requests outlived the hand-over")
	}
	if !ran {
		t.Error("Yield returned before the waiter ran")
	}
	g.Unlock()
	<-done
}

// TestGILYieldRotates: Yield passes the lock round every waiter in turn,
// the yielding thread going to the tail.
func TestGILYieldRotates(t *testing.T) {
	g := newGIL()
	g.SetInterval(time.Hour)
	g.Lock()
	var order []int
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			g.Lock()
			order = append(order, i)
			g.Unlock()
		})
		waitQueued(t, g, i+1)
	}
	if !g.Yield() {
		t.Fatal("Yield with waiters did not yield")
	}
	order = append(order, -1) // back after all three
	g.Unlock()
	wg.Wait()
	want := []int{0, 1, 2, -1}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	g.Lock()
	if g.Yield() {
		t.Error("Yield with nobody waiting yielded")
	}
	g.Unlock()
}

// TestGILExclusive: many threads taking, checkpointing and releasing the
// lock never hold it at once (the race detector checks the counter), and
// the busy ones hand it over to each other.
func TestGILExclusive(t *testing.T) {
	g := newGIL()
	g.SetInterval(100 * time.Microsecond)
	counter, owner := 0, -1 // touched only by the holder
	var wg sync.WaitGroup
	const threads, rounds = 8, 300
	for me := range threads {
		wg.Go(func() {
			for range rounds {
				g.Lock()
				owner = me
				for range 50 {
					if owner != me {
						t.Errorf("thread %d holds the lock that thread %d took", owner, me)
					}
					counter++
					if g.Checkpoint() {
						owner = me // others ran meanwhile
					}
				}
				g.Unlock()
			}
		})
	}
	wg.Wait()
	if counter != threads*rounds*50 {
		t.Errorf("counter %d, want %d", counter, threads*rounds*50)
	}
}

// TestTryLock: TryLock takes a free lock and never waits for a held one.
func TestTryLock(t *testing.T) {
	g := newGIL()
	if !g.TryLock() {
		t.Fatal("TryLock of a free lock failed")
	}
	if g.TryLock() {
		t.Fatal("TryLock of a held lock succeeded")
	}
	g.Unlock()
	if !g.TryLock() {
		t.Fatal("TryLock after Unlock failed")
	}
	g.Unlock()
}

// TestGILCountsWaits: a lock taken at once counts no wait; one taken
// after waiting for the holder counts one, with the time it waited (at
// least as long as the holder kept it after the waiter queued); Waited
// answers while the lock is held.
func TestGILCountsWaits(t *testing.T) {
	g := newGIL()
	g.SetInterval(time.Hour)
	g.Lock()
	if d, n := g.Waited(); d != 0 || n != 0 {
		t.Fatalf("after an uncontended Lock: waited %v, %d times; want none", d, n)
	}
	var wg sync.WaitGroup
	took := false
	wg.Go(func() {
		g.Lock()
		took = true
		g.Unlock()
	})
	waitQueued(t, g, 1)
	time.Sleep(5 * time.Millisecond) // the holder keeps the lock: the waiter's wait is at least this
	if _, n := g.Waited(); n != 0 {
		t.Fatalf("a wait counted before it ended: %d", n)
	}
	g.Unlock()
	wg.Wait()
	d, n := g.Waited()
	if !took || n != 1 || d < 5*time.Millisecond {
		t.Fatalf("waited %v, %d times; want 1 wait of at least 5ms", d, n)
	}
}
