package core

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWaitTimeout checks the bound on each wait (LuaSocket's block
// timeout): a read whose bytes come in pieces, each sooner than the bound,
// succeeds though it takes longer than the bound in all; a wait with
// nothing coming ends at the bound; and the absolute deadline still ends
// the call when it is nearer.
func TestWaitTimeout(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	client, s := pair(t, h, L)

	const piece = 40 * time.Millisecond
	s.SetWaitTimeout(10 * piece)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 15 { // 600 ms in all, more than the bound of 400 ms
			time.Sleep(piece)
			client.Control(func(fd int) error { _, err := unix.Write(fd, []byte("x")); return err })
		}
	}()
	got, err := s.RecvExactly(L, 15)
	if err != nil || got != "xxxxxxxxxxxxxxx" {
		t.Fatalf("read in pieces: %q, %v", got, err)
	}
	h.mu.Unlock()
	<-done
	h.mu.Lock()

	s.SetWaitTimeout(50 * time.Millisecond)
	start := time.Now()
	if _, err := s.Recv(L, 1, 0); !errors.Is(err, ErrTimeout) {
		t.Fatalf("nothing coming: %v, want a timeout", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("the wait took %v, want at least its 50ms", d)
	}

	s.SetWaitTimeout(time.Hour)
	s.SetDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := s.Recv(L, 1, 0); !errors.Is(err, ErrTimeout) {
		t.Fatalf("absolute deadline nearer: %v, want a timeout", err)
	}
	if s.WaitTimeout() != time.Hour {
		t.Fatalf("WaitTimeout = %v", s.WaitTimeout())
	}
}
