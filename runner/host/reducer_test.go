package host

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestQuietness walks the reducer's decision through a burst, a pause, a
// release, a pause with nothing new to give back, and a slow trickle.
func TestQuietness(t *testing.T) {
	const mib = 1 << 20
	q := newQuietness(0, 0)
	allocs := uint64(0)
	tick := func(allocated, reclaimable uint64) bool {
		allocs += allocated
		return q.observe(allocs, reclaimable)
	}
	steps := []struct {
		what                   string
		allocated, reclaimable uint64
		release                bool
	}{
		{"a burst", 40 * mib, 30 * mib, false},
		{"still busy", 8 * mib, 34 * mib, false},
		{"first quiet tick", 0, 34 * mib, false},
		{"second quiet tick", 100 << 10, 34 * mib, true},
	}
	for _, s := range steps {
		if got := tick(s.allocated, s.reclaimable); got != s.release {
			t.Fatalf("%s: release %v, want %v", s.what, got, s.release)
		}
	}
	q.released(allocs, 0)
	// Fragmented spans the collection could not give back: no release
	// again until the heap has grown.
	for i := range 20 {
		if tick(0, 20*mib) {
			t.Fatalf("quiet tick %d after a release, nothing allocated: released again", i)
		}
	}
	// A trickle under quietBytes a tick stays quiet; once it adds up to
	// minReclaim and there is that much to give back, release.
	released := false
	for i := 0; i < 2*minReclaim/quietBytes && !released; i++ {
		released = tick(quietBytes, 20*mib)
		if released && allocs < minReclaim {
			t.Fatalf("released after %d bytes allocated, want %d", allocs, minReclaim)
		}
	}
	if !released {
		t.Fatal("a slow trickle adding up to minReclaim never released")
	}
	q.released(allocs, 0)
	// Busy again: a tick over quietBytes restarts the count.
	if tick(20*mib, 30*mib) || tick(0, 30*mib) {
		t.Fatal("released before quietFor quiet ticks")
	}
	if !tick(0, 30*mib) {
		t.Fatal("no release after quietFor quiet ticks")
	}
	// Quiet, but too little to give back.
	q.released(allocs, 0)
	if tick(20*mib, 1*mib) || tick(0, 1*mib) || tick(0, 1*mib) {
		t.Fatal("released with less than minReclaim to give back")
	}
}

// sink keeps the test's garbage reachable until it is dropped.
var sink [][]byte

// TestReducerReleasesGarbage runs the reducer's loop on this process's
// real heap metrics: garbage past minReclaim, then quiet, brings a release.
func TestReducerReleasesGarbage(t *testing.T) {
	// No collection until the reducer's: it would turn the garbage into
	// free pages that the runtime's scavenger may return before the
	// reducer looks.
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range 2 * minReclaim / (64 << 10) {
		sink = append(sink, make([]byte, 64<<10))
	}
	sink = nil
	released := make(chan struct{}, 1)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		runReducer(done, 5*time.Millisecond, func() {
			select {
			case released <- struct{}{}:
			default:
			}
		})
	}()
	defer func() { close(done); <-stopped }()
	select {
	case <-released:
	case <-time.After(20 * time.Second):
		t.Fatal("no release within 20 s of dropping 32 MiB of garbage")
	}
}
