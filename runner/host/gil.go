package host

import (
	"sync"
	"sync/atomic"
	"time"
)

// defaultSwitchInterval is how long a thread may keep the interpreter lock
// while others wait for it, as CPython's default switch interval.
const defaultSwitchInterval = 5 * time.Millisecond

// gil is a VM's interpreter lock: only the goroutine holding it runs Lua or
// touches Lua values. It is fair, as CPython's GIL:
//
//   - Unlock hands the lock straight to the thread that has waited longest
//     (FIFO), so a thread that releases it and asks again at once goes
//     behind every thread already waiting.
//   - A thread that holds the lock while others wait for it longer than the
//     switch interval is asked to drop it: a watch timer, running only
//     while threads wait, sets a drop request when a whole interval passes
//     without the lock changing hands. The holder looks at that flag at its
//     next call into sockrun (Checkpoint, one atomic load) and, if it is
//     set, hands the lock to the first waiter and queues at the tail.
//   - A thread busy in Lua code that calls nothing of sockrun never comes
//     to a Checkpoint: once a drop request has gone unanswered for
//     preemptAfter intervals, the watch sets preempt too, and the holder
//     hands the lock over between two Lua instructions (the Lua states'
//     contexts look at it before each one: luaContext). Code that runs
//     from one call into sockrun to the next in less time than that is
//     never interrupted in the middle, which is what lets a script update
//     a shared table without a lock.
//
// The long built-ins check in (lua51.Host): between their callbacks into
// Lua, and a long pattern search or a large copy runs without the lock.
type gil struct {
	drop     atomic.Bool  // a waiter asks the holder to hand the lock over
	preempt  atomic.Bool  // ... and has asked for preemptAfter intervals: between two instructions
	interval atomic.Int64 // the switch interval, in nanoseconds

	// waited is the time threads spent waiting for the lock, in
	// nanoseconds, and waits how many times one waited (--metrics); read
	// from any goroutine. A lock taken at once costs nothing here.
	waited, waits atomic.Int64

	mu       sync.Mutex // guards what follows
	held     bool
	waiters  []*gilWaiter // waiters[head:] wait, first in first served; none unless held
	head     int
	switches uint64 // hand-offs so far
	watching bool   // the watch timer is armed
	watchAt  uint64 // switches when it was armed
	stale    int    // watch intervals in a row without a hand-off
	timer    *time.Timer
	// onPreempt is called, g.mu held, at each interval preempt stands:
	// the VM marks its threads' contexts, which they look at before each
	// instruction.
	onPreempt func()
}

// preemptAfter is how many switch intervals a drop request may go
// unanswered, the holder running Lua code that calls nothing of sockrun,
// before the holder is made to hand the lock over between two Lua
// instructions: 50 ms at the default interval. CPython switches at any
// instruction after one interval; sockrun waits longer, so that code
// between two calls into sockrun stays whole unless it runs that long.
const preemptAfter = 10

// gilWaiter is a thread waiting for the lock: the lock is handed to it by a
// send on ch.
type gilWaiter struct{ ch chan struct{} }

var gilWaiters = sync.Pool{New: func() any { return &gilWaiter{ch: make(chan struct{}, 1)} }}

func newGIL() *gil {
	g := &gil{}
	g.interval.Store(int64(defaultSwitchInterval))
	return g
}

// Interval is the switch interval.
func (g *gil) Interval() time.Duration { return time.Duration(g.interval.Load()) }

// SetInterval sets the switch interval; it takes effect when the watch
// timer is next armed.
func (g *gil) SetInterval(d time.Duration) { g.interval.Store(int64(d)) }

// Lock takes the lock, waiting behind every thread already waiting.
func (g *gil) Lock() { g.lock() }

// lock is Lock; it reports whether the thread had to wait (--trace).
func (g *gil) lock() (waited bool) {
	g.mu.Lock()
	if !g.held {
		g.held = true
		g.mu.Unlock()
		return false
	}
	w := g.enqueue()
	g.mu.Unlock()
	g.await(w)
	return true
}

// Waited is how long threads have waited for the lock in all, and how
// many times one did.
func (g *gil) Waited() (time.Duration, int64) {
	return time.Duration(g.waited.Load()), g.waits.Load()
}

// TryLock takes the lock if no thread holds it, and reports whether it
// did; it never waits.
func (g *gil) TryLock() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held {
		return false
	}
	g.held = true
	return true
}

// Unlock releases the lock: to the first waiter if there is one.
func (g *gil) Unlock() {
	g.mu.Lock()
	g.clearRequests()
	if g.head == len(g.waiters) {
		g.held = false
		g.mu.Unlock()
		return
	}
	next := g.dequeue()
	g.mu.Unlock()
	next.ch <- struct{}{}
}

// Checkpoint is called by the holder at every call into sockrun. If a
// waiter has asked for the lock, it hands the lock over, waits for its
// turn at the tail of the queue, and reports true: the caller holds the
// lock again, but other threads have run meanwhile.
func (g *gil) Checkpoint() bool {
	if !g.drop.Load() {
		return false
	}
	return g.Yield()
}

// Yield hands the lock to the first waiter, if any, and takes it back in
// turn after every thread that was waiting. It reports whether it did.
func (g *gil) Yield() bool {
	g.mu.Lock()
	g.clearRequests()
	if g.head == len(g.waiters) {
		g.mu.Unlock()
		return false
	}
	next := g.dequeue()
	w := g.enqueue()
	g.mu.Unlock()
	next.ch <- struct{}{}
	g.await(w)
	return true
}

// enqueue adds a waiter at the tail and arms the watch timer if it is not.
// g.mu is held.
func (g *gil) enqueue() *gilWaiter {
	w := gilWaiters.Get().(*gilWaiter)
	if g.head > 0 && len(g.waiters) == cap(g.waiters) {
		// Reuse the room of the waiters served before growing.
		n := copy(g.waiters, g.waiters[g.head:])
		clear(g.waiters[n:])
		g.waiters, g.head = g.waiters[:n], 0
	}
	g.waiters = append(g.waiters, w)
	if !g.watching {
		g.watching = true
		g.watchAt, g.stale = g.switches, 0
		if g.timer == nil {
			g.timer = time.AfterFunc(g.Interval(), g.watch)
		} else {
			g.timer.Reset(g.Interval())
		}
	}
	return w
}

// dequeue removes the first waiter; the lock passes to it, so the drop
// request (addressed to the previous holder) is void. g.mu is held.
func (g *gil) dequeue() *gilWaiter {
	w := g.waiters[g.head]
	g.waiters[g.head] = nil
	g.head++
	if g.head == len(g.waiters) {
		g.waiters, g.head = g.waiters[:0], 0
	}
	g.switches++
	g.clearRequests()
	return w
}

// clearRequests voids the requests to hand the lock over: they were
// addressed to a holder that is handing it over. g.mu is held.
func (g *gil) clearRequests() {
	g.drop.Store(false)
	g.preempt.Store(false)
	g.stale = 0
}

// await waits until the lock is handed to w, and counts the wait.
func (g *gil) await(w *gilWaiter) {
	start := time.Now()
	<-w.ch
	g.waited.Add(int64(time.Since(start)))
	g.waits.Add(1)
	gilWaiters.Put(w)
}

// watch runs every switch interval while threads wait: if the lock has not
// changed hands for a whole interval, it asks the holder to drop it. So
// the holder always gets at least one interval, and at most two, before it
// is asked; and if the request stands for preemptAfter intervals, it asks
// for the lock between two instructions.
func (g *gil) watch() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.head == len(g.waiters) {
		g.watching = false
		return
	}
	if g.switches == g.watchAt {
		g.drop.Store(true)
		if g.stale++; g.stale > preemptAfter {
			// Marked again at every interval it stands: a mark the
			// running state did not see (another cleared it) is renewed.
			g.preempt.Store(true)
			if g.onPreempt != nil {
				g.onPreempt()
			}
		}
	} else {
		g.stale = 0
	}
	g.watchAt = g.switches
	g.timer.Reset(g.Interval())
}

// waiting is the number of threads waiting for the lock.
func (g *gil) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.waiters) - g.head
}
