package core

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Long reads. A read that cannot be done with what the receive buffer
// holds reads more, holding the interpreter lock: the reads that do not
// wait return at once, and a wait releases the lock. That suits a line or
// a message of a few KiB. But a client that sends a line of 40 MiB
// without a pause never makes its thread wait: each read finds more
// bytes, and every other thread of the server waited for the whole line.
// So once a read has buffered longReadMin bytes and is not done, it goes
// on without the lock: the bytes are Go memory, in a buffer of the read's
// own, until they become a Lua string; the lock is taken back only to
// hand over the result and put back what is left.

// longReadMin is how many bytes a read buffers, holding the lock, before
// it goes on without it: a few reads of readAhead, so that the common
// message costs no hand-off of the lock.
const longReadMin = 256 << 10

// What a long read's done function returns, other than an end >= 0 (the
// read is over and its result is the first end bytes).
const (
	readMore = -1 // not done: read more
	readKeep = -2 // over, consuming nothing (no delimiter within the limit)
)

// longRead goes on with a read that has buffered longReadMin bytes or
// more and is not done, with the interpreter lock released. It takes the
// receive buffer's bytes into a buffer of its own and reads into it,
// within cd, growing it geometrically and never beyond what limit bytes
// need, until done(b, eof), called after each read with every byte the
// read holds (eof: the stream ended), returns an end >= 0 or readKeep, or
// a read fails. With an end it returns the first end bytes as res,
// consumed (made into a string without the lock); in every case it puts
// what is left back at the front of the receive buffer, so that on an
// error or readKeep nothing is lost. done must not touch Lua: it runs
// without the lock.
func (s *Socket) longRead(c Caller, cd callDL, limit int, done func(b []byte, eof bool) int) (res string, end int, eof bool, err error) {
	acc := s.rbuf.detach()
	maxRecv := s.maxRecv()
	waitTimeout := s.waitTimeout
	ctx := s.host.WaitContext(c)
	// Another thread reading the socket meanwhile waits in the poller
	// (io sees busy), not holding the lock; deadlines are set below.
	s.busy[dirRead]++
	s.armed[dirRead] = true
	stop := s.wakeOn(ctx, s.wakeRead)
	s.host.Unlock(c)

	// Nothing below touches Lua or the socket's fields guarded by the
	// lock, until Lock.
	end = readMore
	for {
		if cap(acc)-len(acc) < readAhead {
			acc = growBuf(acc, limit)
		}
		room := acc[len(acc):min(cap(acc), len(acc)+maxRecv)]
		var n int
		n, err = s.readOnce(ctx, room, cd, waitTimeout)
		if err == errKicked {
			err = nil
			continue // another thread's read woke the wait: wait again
		}
		if err != nil {
			break
		}
		if n == 0 {
			eof = true
			end = done(acc, true)
			break
		}
		acc = acc[:len(acc)+n]
		if end = done(acc, false); end != readMore {
			break
		}
	}
	var rest []byte
	if err == nil && end >= 0 {
		res, rest = splitBuf(acc, end)
	} else {
		end = readKeep
		rest = acc
	}

	s.host.Lock(c)
	if stop != nil {
		stop()
	}
	s.busy[dirRead]--
	s.rbuf.restore(rest)
	if s.busy[dirRead] > 0 && s.rbuf.len() > 0 && s.conn == nil {
		s.kick() // a thread waiting to read: the buffer has bytes for it
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			err = cerr
		}
	}
	return res, end, eof, err
}

// wakeRead wakes a read waiting on the socket (a signal due in the main
// thread): its deadline is set in the past.
func (s *Socket) wakeRead() {
	if s.conn != nil {
		s.conn.SetReadDeadline(aLongTimeAgo)
		return
	}
	s.file.SetReadDeadline(aLongTimeAgo)
}

// readOnce reads once into p, without the interpreter lock, waiting (in
// blocking mode) until the deadline of the call or of this wait
// (waitTimeout, LuaSocket's block timeout). It returns 0 at the end of
// the stream; errKicked when another thread's read woke the wait; the
// errors io returns otherwise.
func (s *Socket) readOnce(ctx context.Context, p []byte, cd callDL, waitTimeout time.Duration) (int, error) {
	dl := cd.at
	if waitTimeout > 0 && cd.wait {
		if w := time.Now().Add(waitTimeout); dl.IsZero() || w.Before(dl) {
			dl = w
		}
	}
	if s.conn != nil {
		return s.readOnceConn(ctx, p, cd, dl)
	}
	// The deadline first, then the look at the context: an interrupt
	// that comes later sets the deadline in the past after this one.
	s.file.SetReadDeadline(dl)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	var serr error
	rerr := s.rc.Read(func(fd uintptr) bool {
		for {
			n, serr = unix.Read(int(fd), p)
			if serr != unix.EINTR {
				break
			}
		}
		return serr != unix.EAGAIN || !cd.wait
	})
	if rerr != nil {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if os.IsTimeout(rerr) {
			if dl.IsZero() || time.Now().Before(dl) {
				return 0, errKicked
			}
			s.countTimeout()
			return 0, ErrTimeout
		}
		return 0, unix.EBADF
	}
	if serr == unix.EAGAIN {
		return 0, ErrDontWait
	}
	if serr != nil {
		return 0, serr
	}
	return n, nil
}

// readOnceConn is readOnce through the socket's transport (TLS).
func (s *Socket) readOnceConn(ctx context.Context, p []byte, cd callDL, dl time.Time) (int, error) {
	if !cd.wait {
		dl = aLongTimeAgo
	}
	s.conn.SetReadDeadline(dl)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err := s.conn.Read(p)
	if n > 0 || errors.Is(err, io.EOF) {
		return n, nil // an error with bytes comes again on the next read
	}
	if err == nil {
		return 0, errKicked // nothing read, no error: read again
	}
	if cerr := ctx.Err(); cerr != nil {
		return 0, cerr
	}
	if os.IsTimeout(err) || errors.Is(err, ErrTimeout) {
		if dl == aLongTimeAgo {
			return 0, ErrDontWait
		}
		if dl.IsZero() || time.Now().Before(dl) {
			return 0, errKicked
		}
		s.countTimeout()
		return 0, ErrTimeout
	}
	return 0, err
}

// countTimeout counts a call that ran past its deadline in the group's
// statistics. Safe without the lock.
func (s *Socket) countTimeout() {
	if s.group != nil {
		s.group.timeouts.Add(1)
	}
}

// growBuf returns b with room for at least readAhead more bytes: its
// bytes in a buffer half as large again (so that a read of n bytes costs
// O(n) copies in all), but no larger than limit bytes need, with a
// read's worth to spare.
func growBuf(b []byte, limit int) []byte {
	want := len(b) + readAhead
	size := max(want, cap(b)+cap(b)/2, 2*readAhead)
	if limit < math.MaxInt-readAhead {
		size = max(want, min(size, limit+readAhead))
	}
	nb := newBuf(size)[:len(b)]
	copy(nb, b)
	return nb
}

// splitBuf returns the first end bytes of b as a string and the rest in a
// buffer of their own. When the string is most of b's room, b becomes the
// string (no copy; nothing writes to b again); otherwise the string is a
// copy, so that it does not keep the room alive.
func splitBuf(b []byte, end int) (string, []byte) {
	var rest []byte
	if len(b) > end {
		rest = newBuf(len(b) - end)
		copy(rest, b[end:])
	}
	if end == 0 {
		return "", rest
	}
	if cap(b)-end <= end/4 {
		return unsafe.String(&b[0], end), rest
	}
	return string(b[:end]), rest
}

// detach takes the buffered bytes out of the receive buffer, which is left
// empty: its own buffer when the bytes start it, else a copy.
func (rb *readBuffer) detach() []byte {
	rb.own() // (never borrowed here: a long read follows no plain recv)
	if rb.b == nil {
		return nil
	}
	var b []byte
	if rb.r == 0 {
		b = (*rb.b)[:rb.w]
	} else {
		b = newBuf(max(rb.len(), 2*readAhead))[:rb.len()]
		copy(b, rb.bytes())
		putBuf(rb.b)
	}
	rb.b, rb.r, rb.w = nil, 0, 0
	rb.scan = scanMemo{}
	return b
}

// restore puts b, bytes that came before any the buffer holds, back at
// its front; b becomes the buffer's when it is empty.
func (rb *readBuffer) restore(b []byte) {
	if len(b) == 0 {
		return
	}
	if rb.b == nil {
		rb.b, rb.r, rb.w = &b, 0, len(b)
		return
	}
	// Another thread read the socket meanwhile: its bytes came later.
	later := rb.bytes()
	nb := b
	if cap(b)-len(b) < len(later) {
		nb = newBuf(len(b) + len(later))[:len(b)]
		copy(nb, b)
	}
	nb = append(nb, later...)
	putBuf(rb.b)
	rb.b, rb.r, rb.w = &nb, 0, len(nb)
	rb.scan = scanMemo{}
}
