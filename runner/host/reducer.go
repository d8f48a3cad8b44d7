package host

import (
	"io"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The memory reducer gives the heap's garbage back to the system once the
// process goes quiet, as V8's memory reducer and the JVM's periodic
// collections do. The garbage collector lets the heap grow to twice what
// was live at its last collection (plus the GC floor), and the runtime
// keeps the pages it freed for the next allocations: right for a busy
// server, but a server that has just accepted 10,000 connections and now
// holds them idle keeps the garbage of their start-up resident, about a
// third of its memory, for as long as it stays idle. So when almost
// nothing has been allocated for quietFor, and the heap holds at least
// minReclaim more than was live, the reducer runs one collection that
// returns the freed pages. It does not run again until the heap has grown
// by minReclaim again, so a server that alternates bursts and pauses pays
// one collection, and the refaulting of what it returned, per minReclaim
// allocated at most.
const (
	reducerTick = 250 * time.Millisecond
	// quietBytes is the most a tick may allocate and still count as quiet:
	// a timer or an idle accept loop allocates a little.
	quietBytes = 256 << 10
	quietFor   = 2 // ticks
	minReclaim = 16 << 20
)

// reducerMetrics are what the reducer reads each tick; reading them does
// not stop the world.
var reducerMetrics = []string{
	"/gc/heap/allocs:bytes",
	"/gc/heap/live:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
}

// startMemoryReducer starts the reducer and returns what stops it. Its
// goroutine starts with its first reading, a tick from now: a script done
// before then costs it nothing (the first metrics.Read sets up the
// runtime's table of metrics).
func startMemoryReducer(stderr io.Writer) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	start := time.AfterFunc(reducerTick, func() {
		defer close(stopped)
		defer recoverTo(stderr, "the memory reducer")
		runReducer(done, reducerTick, debug.FreeOSMemory)
	})
	return func() {
		close(done)
		if !start.Stop() {
			<-stopped
		}
	}
}

// runReducer is the reducer's loop until done is closed: it reads the
// heap's metrics now and every tick, and calls release when quietness
// says so.
func runReducer(done <-chan struct{}, tick time.Duration, release func()) {
	samples := make([]metrics.Sample, len(reducerMetrics))
	for i, name := range reducerMetrics {
		samples[i].Name = name
	}
	read := func() (allocs, reclaimable uint64) {
		metrics.Read(samples)
		v := func(i int) uint64 {
			if samples[i].Value.Kind() != metrics.KindUint64 {
				return 0
			}
			return samples[i].Value.Uint64()
		}
		// The heap's pages not yet returned, less what the last collection
		// found live: garbage not yet collected, and pages freed but kept.
		held := v(2) + v(3) + v(4)
		if live := v(1); held > live {
			reclaimable = held - live
		}
		return v(0), reclaimable
	}
	q := newQuietness(read())
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		if q.observe(read()) {
			release()
			// What the collection itself allocated is not activity.
			q.released(read())
		}
	}
}

// quietness decides, from the heap's metrics read once per tick, when the
// reducer releases.
type quietness struct {
	last  uint64 // allocated bytes at the last reading
	quiet int    // quiet ticks in a row
	// grown is what has been allocated since the last release: the next
	// waits for minReclaim of it, so that a heap whose spans are merely
	// fragmented is not collected again every quietFor ticks.
	grown uint64
}

func newQuietness(allocs, _ uint64) *quietness {
	return &quietness{last: allocs, grown: minReclaim}
}

// observe takes a tick's reading (bytes allocated so far, bytes the heap
// could give back) and reports whether to release now.
func (q *quietness) observe(allocs, reclaimable uint64) bool {
	if allocs-q.last > quietBytes {
		q.quiet = 0
	} else {
		q.quiet++
	}
	q.grown += allocs - q.last
	q.last = allocs
	return q.quiet >= quietFor && reclaimable >= minReclaim && q.grown >= minReclaim
}

// released takes the reading just after a release.
func (q *quietness) released(allocs, _ uint64) {
	q.last, q.grown = allocs, 0
}
