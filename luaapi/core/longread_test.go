package core

import (
	"bytes"
	"crypto/tls"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pattern is n bytes that tell where they came from: a reordered or lost
// piece shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%23)
	}
	return b
}

// TestLongReadsLeaveTheLock: while a read up to a delimiter, to the end
// of the stream or of a count goes on through a stream that never pauses
// (each read finds more bytes waiting, so it never waits), another thread
// gets the interpreter lock. Before, such a read held the lock until it
// was done: a client sending one long line froze every thread of the
// server. The other thread asks for the lock once 16 MiB are under way;
// the stream goes on until it has the lock (or for 10 s), then ends.
func TestLongReadsLeaveTheLock(t *testing.T) {
	reads := []struct {
		name string
		end  func(c *Socket) // ends the stream so that the read is done
		read func(s *Socket, L Caller) (string, error)
	}{
		{"RecvUntil", sendNewline, func(s *Socket, L Caller) (string, error) {
			return s.RecvUntil(L, "\n", math.MaxInt)
		}},
		{"RecvAll", shutWrite, func(s *Socket, L Caller) (string, error) { return s.RecvAll(L) }},
		{"RecvExactly", shutWrite, func(s *Socket, L Caller) (string, error) {
			got, err := s.RecvExactly(L, math.MaxInt)
			var inc *IncompleteError
			if errors.As(err, &inc) {
				return inc.Partial, nil
			}
			return got, err
		}},
		{"Recv MSG_WAITALL", shutWrite, func(s *Socket, L Caller) (string, error) {
			return s.Recv(L, math.MaxInt, unix.MSG_WAITALL)
		}},
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			h := newHost(t)
			L := &thread{}
			h.mu.Lock()
			defer h.mu.Unlock()
			c, s := pair(t, h, L)

			asking := make(chan struct{}) // 16 MiB are under way
			locked := make(chan struct{}) // the other thread had the lock
			go func() {
				<-asking
				h.mu.Lock()
				close(locked)
				h.mu.Unlock()
			}()
			sent := make(chan int, 1)
			go func() {
				chunk := bytes.Repeat([]byte("x"), 1<<20)
				total := 0
				bound := time.After(10 * time.Second)
				w := c.NetConn()
			stream:
				for {
					if _, err := w.Write(chunk); err != nil {
						break
					}
					if total += len(chunk); total == 16<<20 {
						close(asking)
					}
					select {
					case <-locked:
						break stream
					case <-bound:
						break stream
					default:
					}
				}
				r.end(c)
				sent <- total
			}()
			got, err := r.read(s, L)
			total := <-sent
			if err != nil || len(got) < total || strings.Trim(got[:total], "x") != "" {
				t.Fatalf("read %d bytes of %d: %v", len(got), total, err)
			}
			select {
			case <-locked:
			default:
				t.Fatalf("no other thread had the lock while %d bytes were read", total)
			}
		})
	}
}

func sendNewline(c *Socket) { c.NetConn().Write([]byte("\n")) }
func shutWrite(c *Socket)   { c.Shutdown(unix.SHUT_WR) }

// TestLongReadResults checks what each read returns when it goes on as a
// long read, and what it leaves for the next: every byte, in order.
func TestLongReadResults(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	c, s := pair(t, h, L)
	send := func(b []byte) {
		go c.NetConn().Write(b)
	}
	const big = 5 << 20
	data := pattern(big)

	// A line of 5 MiB, then more: the line, then the rest.
	send(append(append(append([]byte{}, data...), '\n'), "tail"...))
	line, err := s.RecvUntil(L, "\n", math.MaxInt)
	if err != nil || line != string(data)+"\n" {
		t.Fatalf("RecvUntil: %d bytes, %v", len(line), err)
	}
	if got, err := s.RecvExactly(L, 4); got != "tail" || err != nil {
		t.Fatalf("after the line: %q, %v", got, err)
	}

	// A delimiter of two bytes, in two writes.
	go func() {
		w := c.NetConn()
		w.Write(append(append([]byte{}, data[:big-1]...), '\r'))
		w.Write([]byte("\nafter"))
	}()
	line, err = s.RecvUntil(L, "\r\n", math.MaxInt)
	if err != nil || line != string(data[:big-1])+"\r\n" {
		t.Fatalf("RecvUntil CRLF: %d bytes, %v", len(line), err)
	}
	if got, err := s.RecvExactly(L, 5); got != "after" || err != nil {
		t.Fatalf("after the CRLF line: %q, %v", got, err)
	}

	// No delimiter within max: nothing consumed.
	send(data[:2<<20])
	if _, err := s.RecvUntil(L, "\n", 1<<20); !errors.As(err, new(*TooLongError)) {
		t.Fatalf("too long: %v", err)
	}
	if got, err := s.RecvExactly(L, 2<<20); err != nil || got != string(data[:2<<20]) {
		t.Fatalf("after too long: %d bytes, %v", len(got), err)
	}

	// A count: exactly it, the rest left.
	send(data)
	if got, err := s.RecvExactly(L, big-3); err != nil || got != string(data[:big-3]) {
		t.Fatalf("RecvExactly: %d bytes, %v", len(got), err)
	}
	if got, err := s.Recv(L, 10, 0); err != nil || got != string(data[big-3:]) {
		t.Fatalf("after RecvExactly: %q, %v", got, err)
	}
	send(data)
	if got, err := s.Recv(L, big, unix.MSG_WAITALL); err != nil || got != string(data) {
		t.Fatalf("MSG_WAITALL: %d bytes, %v", len(got), err)
	}

	// A timeout: what came stays, and the next call has it all.
	s.SetTimeout(200 * time.Millisecond)
	send(data)
	if _, err := s.RecvUntil(L, "\n", math.MaxInt); !errors.Is(err, ErrTimeout) {
		t.Fatalf("RecvUntil past its timeout: %v", err)
	}
	s.SetTimeout(-1)
	send([]byte("\n"))
	if line, err := s.RecvUntil(L, "\n", math.MaxInt); err != nil || line != string(data)+"\n" {
		t.Fatalf("after the timeout: %d bytes, %v", len(line), err)
	}

	// The end of the stream: a line without its end, then everything.
	go func() {
		c.NetConn().Write(data)
		c.Shutdown(unix.SHUT_WR)
	}()
	_, err = s.RecvUntil(L, "\n", math.MaxInt)
	var inc *IncompleteError
	if !errors.As(err, &inc) || inc.Partial != string(data) {
		t.Fatalf("RecvUntil at the end: %v", err)
	}
	if got, err := s.RecvAll(L); got != "" || err != nil {
		t.Fatalf("RecvAll after the end: %q, %v", got, err)
	}
}

// TestLongReadAll reads a stream of 5 MiB to its end.
func TestLongReadAll(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	c, s := pair(t, h, L)
	data := pattern(5 << 20)
	go func() {
		c.NetConn().Write(data)
		c.Shutdown(unix.SHUT_WR)
	}()
	if got, err := s.RecvAll(L); err != nil || got != string(data) {
		t.Fatalf("RecvAll: %d bytes, %v", len(got), err)
	}
}

// TestLongReadTLS reads a line of 3 MiB through TLS.
func TestLongReadTLS(t *testing.T) {
	h := newHost(t)
	L, L2 := &thread{}, &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	c, s := pair(t, h, L)
	cert, pool := selfSigned(t)
	tc := tls.Client(c.NetConn(), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	ts := tls.Server(s.NetConn(), &tls.Config{Certificates: []tls.Certificate{cert}})
	served := make(chan error, 1)
	go func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		served <- s.Unlocked(L2, ts.Handshake)
	}()
	if err := c.Unlocked(L, tc.Handshake); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	h.mu.Unlock()
	err := <-served
	h.mu.Lock()
	if err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	s.SetTransport(ts)
	data := pattern(3 << 20)
	go func() {
		tc.Write(data)
		tc.Write([]byte("\nmore"))
		tc.CloseWrite()
	}()
	line, err := s.RecvUntil(L, "\n", math.MaxInt)
	if err != nil || line != string(data)+"\n" {
		t.Fatalf("RecvUntil over TLS: %d bytes, %v", len(line), err)
	}
	if got, err := s.RecvAll(L); got != "more" || err != nil {
		t.Fatalf("the rest: %q, %v", got, err)
	}
}

// TestRecvUntilAfterAnotherThreadTook: while a read up to a delimiter
// waits, another thread takes buffered bytes it had searched; the read
// then searches what is left from its start. (It used to search from
// where it had got to, past the end of what was left: a slice out of
// range.)
func TestRecvUntilAfterAnotherThreadTook(t *testing.T) {
	h := newHost(t)
	L, L2 := &thread{}, &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	c, s := pair(t, h, L)
	c.NetConn().Write([]byte("abcdefgh"))
	if got, err := s.Recv(L, 8, unix.MSG_PEEK|unix.MSG_WAITALL); got != "abcdefgh" || err != nil {
		t.Fatalf("peek: %q, %v", got, err)
	}
	took := make(chan string, 1)
	go func() {
		// The read below waits for more: its lock is free.
		h.mu.Lock()
		defer h.mu.Unlock()
		got, _ := s.Recv(L2, 7, 0)
		took <- got
		c.NetConn().Write([]byte("x\n"))
	}()
	line, err := s.RecvUntil(L, "\n", math.MaxInt)
	if got := <-took; got != "abcdefg" {
		t.Fatalf("the other thread took %q", got)
	}
	if err != nil || line != "hx\n" {
		t.Fatalf("RecvUntil: %q, %v; want the rest of the line", line, err)
	}
}
