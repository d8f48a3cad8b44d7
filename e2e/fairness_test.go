package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// flood keeps a connection to addr busy at full speed until stop: one
// goroutine writes, another reads and counts what comes back. It returns
// the count of bytes read so far, updated as they arrive.
func flood(t *testing.T, addr string, stop <-chan struct{}) *atomic.Int64 {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var echoed atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		chunk := bytes.Repeat([]byte("flood "), 256<<10/6)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	wg.Go(func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			echoed.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	t.Cleanup(func() {
		c.Close() // ends both goroutines
		wg.Wait()
	})
	return &echoed
}

// TestBusyClientDoesNotStarveOthers: while one client keeps its connection
// to the threaded echo server busy (writing and reading at full speed, so
// its thread's calls never block), ten other clients each get every ping
// echoed. Before the switch interval's hand-off the busy thread kept the
// interpreter lock and their echoes took seconds each. The bound is on the
// whole exchange, generous for a busy machine; no latency is asserted.
func TestBusyClientDoesNotStarveOthers(t *testing.T) {
	const clients, pings = 10, 100
	p := start(t, "--var", "port=0", script("threaded_echo_server.lua"))
	addr := p.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]

	stop := make(chan struct{})
	defer close(stop)
	echoed := flood(t, addr, stop)
	// Wait until the flood runs: the server has echoed a good part of it.
	for deadline := time.Now().Add(10 * time.Second); echoed.Load() < 1<<20; {
		if time.Now().After(deadline) {
			t.Fatalf("the flooding client got %d bytes back in 10 s", echoed.Load())
		}
		time.Sleep(time.Millisecond) // polling a condition
	}

	began := time.Now()
	clientsAtOnce(t, addr, clients, 10*time.Second, func(i int, c net.Conn) error {
		for j := range pings {
			ping := fmt.Sprintf("ping %d %d\n", i, j)
			if _, err := io.WriteString(c, ping); err != nil {
				return err
			}
			got := make([]byte, len(ping))
			if _, err := io.ReadFull(c, got); err != nil {
				return fmt.Errorf("ping %d of %d: %w", j+1, pings, err)
			}
			if string(got) != ping {
				return fmt.Errorf("ping %d: echoed %q", j+1, got)
			}
		}
		return nil
	})
	t.Logf("%d clients × %d pings answered in %v while one client flooded (%d bytes echoed to it)",
		clients, pings, time.Since(began), echoed.Load())
	p.signal(syscall.SIGINT)
	if code := p.wait(10 * time.Second); code != 130 {
		t.Errorf("exit %d after Ctrl-C, want 130", code)
	}
}
