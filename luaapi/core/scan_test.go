package core

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// TestScanner checks a parser's reads through the receive buffer: what a
// recv left buffered is seen first, More appends, Take and Discard
// consume, and what the scanner leaves is what the next recv returns.
func TestScanner(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	c, s := pair(t, h, L)
	if _, err := c.SendAll(L, []byte("ab\ncd"), 0); err != nil {
		t.Fatal(err)
	}
	// recv reads ahead: "cd" stays buffered behind the line.
	if line, ok, err := s.RecvLine(L, 100); err != nil || !ok || line != "ab" {
		t.Fatalf("recvline: %q %v %v", line, ok, err)
	}
	sc := s.Scanner(L)
	for !bytes.Equal(sc.Buffered(), []byte("cd")) {
		if n, err := sc.More(0); err != nil || n == 0 {
			t.Fatalf("more: %d %v (buffered %q)", n, err, sc.Buffered())
		}
	}
	c.SendAll(L, []byte("efgh"), 0)
	for len(sc.Buffered()) < 6 {
		if n, err := sc.More(0); err != nil || n == 0 {
			t.Fatalf("more: %d %v", n, err)
		}
	}
	if got := sc.Take(3); got != "cde" {
		t.Fatalf("take: %q", got)
	}
	sc.Discard(1)
	if got, err := s.Recv(L, 10, 0); err != nil || got != "gh" {
		t.Fatalf("recv after the scanner: %q %v", got, err)
	}
	sc.Discard(5) // nothing buffered: nothing to drop
	c.SendAll(L, []byte("xyz"), 0)
	if err := sc.Fill(3); err != nil || string(sc.Buffered()) != "xyz" {
		t.Fatalf("fill: %v %q", err, sc.Buffered())
	}
	sc.Discard(3)
	c.Close()
	if err := sc.Fill(1); err != nil || len(sc.Buffered()) != 0 {
		t.Fatalf("fill at the end of the stream: %v %q", err, sc.Buffered())
	}
	if n, err := sc.More(0); n != 0 || err != nil {
		t.Fatalf("more at the end of the stream: %d %v", n, err)
	}
}

// TestScannerDeadline checks that a Scanner's waits share one deadline,
// the one SetDeadline gives (even on a non-blocking socket), and that
// what was read before it passed stays buffered.
func TestScannerDeadline(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	c, s := pair(t, h, L)
	s.SetTimeout(0)
	sc := s.Scanner(L)
	if _, err := sc.More(0); !errors.Is(err, ErrDontWait) {
		t.Fatalf("non-blocking: %v, want EAGAIN", err)
	}
	c.SendAll(L, []byte("abc"), 0)
	sc = s.Scanner(L)
	sc.SetDeadline(time.Now().Add(50 * time.Millisecond))
	var err error
	for err == nil {
		_, err = sc.More(0)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("past the deadline: %v", err)
	}
	if string(sc.Buffered()) != "abc" {
		t.Fatalf("buffered %q after the timeout", sc.Buffered())
	}
	sc.ResetDeadline() // the socket's own: non-blocking
	if _, err := sc.More(0); !errors.Is(err, ErrDontWait) {
		t.Fatalf("after ResetDeadline: %v, want EAGAIN", err)
	}
}
