package core

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fuzzDelims are the delimiters RecvUntil is fuzzed with: the protocols'
// own, and one that is two bytes of the same kind.
var fuzzDelims = []string{"\n", "\r\n", "\r\n\r\n", "\x00", "aa"}

// FuzzFramingReads has the peer of a socket pair write data in chunks of
// fuzzed sizes (each byte of splits a chunk's length, 1-256) and the other
// end read it with a fuzzed sequence of reads: each byte of ops a read
// kind (RecvLine, RecvUntil, RecvExactly, Recv with no flag, MSG_PEEK,
// MSG_WAITALL, MSG_DONTWAIT) and its size. It checks that no read panics,
// that every byte comes out once and in order, that each read returns what
// its kind promises of the bytes at that point of the stream (a line ends
// at the first end of line, a read up to a delimiter at the first
// delimiter, a TooLongError only when there is no delimiter within max,
// MSG_WAITALL all it asked for unless the stream ends), and that the end
// of the stream is seen once all the bytes are read. A read that hangs
// times out and fails the test.
func FuzzFramingReads(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"), []byte{5, 200}, []byte{0x00, 0x09, 0x02})
	f.Add([]byte("*1\r\n$4\r\nPING\r\n"), []byte{1}, []byte{0x11, 0x02, 0x2a, 0x03})
	f.Add([]byte("no newline at all"), []byte{3, 7}, []byte{0x08, 0x04, 0x05, 0x06})
	f.Add([]byte("a\r\r\n\n\x00aaa"), []byte{}, []byte{0x01, 0x09, 0x11, 0x19, 0x21})
	h := &testHost{}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	f.Cleanup(h.cancel)
	// The reader and the writer each have a state of their own, used only
	// while holding h's lock.
	rL, wL := &thread{}, &thread{}
	f.Fuzz(func(t *testing.T, data, splits, ops []byte) {
		if len(data) > 1<<16 || len(ops) == 0 {
			return // larger writes only fill the socket buffer
		}
		var r, w Socket
		h.mu.Lock()
		if err := Socketpair(h, &r, &w, unix.AF_UNIX, unix.SOCK_STREAM, 0); err != nil {
			h.mu.Unlock()
			t.Fatal(err)
		}
		r.SetTimeout(10 * time.Second)
		written := make(chan error, 1)
		go func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			rest := data
			for i := 0; len(rest) > 0; i++ {
				n := 64
				if len(splits) > 0 {
					n = int(splits[i%len(splits)]) + 1
				}
				n = min(n, len(rest))
				if _, err := w.SendAll(wL, rest[:n], 0); err != nil {
					written <- err
					return
				}
				rest = rest[n:]
				// Let the reader in between chunks.
				h.mu.Unlock()
				h.mu.Lock()
			}
			written <- w.Shutdown(unix.SHUT_WR)
		}()
		defer func() {
			r.Close()
			h.mu.Unlock()
			<-written
			w.Close()
		}()

		pos, stalled := 0, 0
		for i := 0; pos < len(data); i++ {
			op := ops[i%len(ops)]
			if stalled >= 3 {
				op = 3 // a plain recv: it always gets bytes
			}
			before := pos
			pos = fuzzRead(t, rL, &r, data, pos, op)
			if pos == before {
				stalled++
			} else {
				stalled = 0
			}
		}
		got, err := r.Recv(rL, 16, 0)
		if got != "" || err != nil {
			t.Fatalf("after all %d bytes: recv gave %q, %v; want the end of the stream", len(data), got, err)
		}
	})
}

// fuzzRead makes the read op describes on r, checks what it returned
// against data read up to pos so far, and returns the new position.
func fuzzRead(t *testing.T, L Caller, r *Socket, data []byte, pos int, op byte) int {
	t.Helper()
	rest := data[pos:]
	size := int(op>>3) + 1 // 1-32
	var inc *IncompleteError
	var long *TooLongError
	switch op & 7 {
	case 0: // RecvLine
		line, ok, err := r.RecvLine(L, size)
		switch {
		case errors.As(err, &long):
			checkTooLong(t, rest, "\n", size)
			return pos
		case err != nil:
			t.Fatalf("recv_line(%d) at %d: %v", size, pos, err)
		case !ok:
			t.Fatalf("recv_line(%d) at %d of %d: end of stream", size, pos, len(data))
		case !bytes.HasPrefix(rest, []byte(line)) || bytes.IndexByte([]byte(line), '\n') >= 0:
			t.Fatalf("recv_line(%d) at %d gave %q; the stream has %q", size, pos, line, rest)
		}
		after := rest[len(line):]
		switch {
		case bytes.HasPrefix(after, []byte("\n")):
			return pos + len(line) + 1
		case bytes.HasPrefix(after, []byte("\r\n")):
			return pos + len(line) + 2
		case len(after) != 0:
			t.Fatalf("recv_line(%d) at %d gave %q, not a whole line of %q", size, pos, line, rest)
		}
		return pos + len(line)
	case 1, 2: // RecvUntil
		delim := fuzzDelims[int(op>>3)%len(fuzzDelims)]
		max := size * 4
		got, err := r.RecvUntil(L, delim, max)
		switch {
		case errors.As(err, &long):
			checkTooLong(t, rest, delim, max)
			return pos
		case errors.As(err, &inc):
			if inc.Partial != string(rest) || bytes.Contains(rest, []byte(delim)) {
				t.Fatalf("recv_until(%q, %d) at %d: end of stream after %q; the stream has %q", delim, max, pos, inc.Partial, rest)
			}
			return len(data)
		case err != nil:
			t.Fatalf("recv_until(%q, %d) at %d: %v", delim, max, pos, err)
		}
		if i := bytes.Index(rest, []byte(delim)); i < 0 || got != string(rest[:i+len(delim)]) {
			t.Fatalf("recv_until(%q, %d) at %d gave %q; the stream has %q", delim, max, pos, got, rest)
		}
		return pos + len(got)
	case 3, 4, 5, 6: // Recv with no flag, MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT
		flags := [...]int{0, unix.MSG_PEEK, unix.MSG_WAITALL, unix.MSG_DONTWAIT}[op&7-3]
		if op&7 == 3 && op>>3 == 0 {
			size = 1 << 16 // the stall breaker's read
		}
		got, err := r.Recv(L, size, flags)
		switch {
		case flags == unix.MSG_DONTWAIT && errors.Is(err, unix.EAGAIN):
			return pos
		case err != nil:
			t.Fatalf("recv(%d, %#x) at %d: %v", size, flags, pos, err)
		case got == "" || len(got) > size || !bytes.HasPrefix(rest, []byte(got)):
			t.Fatalf("recv(%d, %#x) at %d gave %q; the stream has %q", size, flags, pos, got, rest)
		case flags == unix.MSG_WAITALL && len(got) != min(size, len(rest)):
			t.Fatalf("recv(%d, MSG_WAITALL) at %d gave %d bytes of %d", size, pos, len(got), len(rest))
		case flags == unix.MSG_PEEK:
			return pos
		}
		return pos + len(got)
	default: // RecvExactly
		got, err := r.RecvExactly(L, size)
		switch {
		case errors.As(err, &inc):
			if inc.Partial != string(rest) || len(rest) >= size {
				t.Fatalf("recv_exactly(%d) at %d: end of stream after %q; the stream has %q", size, pos, inc.Partial, rest)
			}
			return len(data)
		case err != nil:
			t.Fatalf("recv_exactly(%d) at %d: %v", size, pos, err)
		case len(rest) < size || got != string(rest[:size]):
			t.Fatalf("recv_exactly(%d) at %d gave %q; the stream has %q", size, pos, got, rest)
		}
		return pos + size
	}
}

// checkTooLong fails the test unless rest has no delim ending within max
// bytes and has max bytes to show it: the only case for a TooLongError.
func checkTooLong(t *testing.T, rest []byte, delim string, max int) {
	t.Helper()
	i := bytes.Index(rest, []byte(delim))
	if i >= 0 && i+len(delim) <= max || i < 0 && len(rest) < max {
		t.Fatalf("no %q within %d bytes, but the stream has %q", delim, max, rest)
	}
}
