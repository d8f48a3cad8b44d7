package core

import (
	"errors"
	"math/bits"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Buffers come from size-classed pools and go back as soon as they are
// drained, so that an idle connection holds no receive buffer.
var bufPools [17]sync.Pool // 64 B .. 4 MiB

// DefaultMaxRecv is the most bytes one read asks of the transport unless
// limits.max_recv says otherwise (Group.SetMaxRecv): a larger request is
// clamped, never allocated.
const DefaultMaxRecv = 4 << 20

// ClampMaxRecv is limits.max_recv n as the core applies it: within 64
// bytes and 256 MiB, DefaultMaxRecv for 0 (not set).
func ClampMaxRecv(n int) int {
	if n == 0 {
		return DefaultMaxRecv
	}
	return min(max(n, 64), 256<<20)
}

// maxRecv is the most bytes one read of s asks of the transport: its
// group's limit, or DefaultMaxRecv for a socket in no group.
func (s *Socket) maxRecv() int {
	if s.group != nil {
		return s.group.maxRecv
	}
	return DefaultMaxRecv
}

// readAhead is how much a stream read asks of the transport when the
// script asks for less: what arrives beyond the request waits in the
// receive buffer for the next read, instead of costing a system call and
// an interpreter round trip each.
const readAhead = 64 << 10

// sizeClass is the pool of a buffer of n bytes: c for 64<<c bytes, the
// smallest that holds n.
func sizeClass(n int) int {
	if n <= 64 {
		return 0
	}
	return bits.Len(uint(n-1)) - 6
}

func getBuf(n int) *[]byte {
	c := sizeClass(n)
	if c >= len(bufPools) {
		b := newBuf(n) // larger than any pool: the garbage collector's
		return &b
	}
	if b, ok := bufPools[c].Get().(*[]byte); ok {
		return b
	}
	b := newBuf(64 << c)
	return &b
}

// newBuf allocates a buffer of n bytes without zeroing it. Only the bytes
// a read writes into a buffer are ever looked at (the same holds for a
// pooled buffer, which keeps a previous connection's bytes), and a large
// take hands its buffer over to Lua as the string, so a bulk transfer
// allocates a fresh 64 KiB buffer for every chunk: zeroing them with make
// was 8% of the server's CPU. strings.Builder's Grow allocates without
// zeroing; the one byte written makes its String point at the buffer.
func newBuf(n int) []byte {
	var sb strings.Builder
	sb.Grow(n)
	sb.WriteByte(0)
	return unsafe.Slice(unsafe.StringData(sb.String()), n)
}

func putBuf(b *[]byte) {
	if c := sizeClass(cap(*b)); 64<<c == cap(*b) && c < len(bufPools) {
		bufPools[c].Put(b)
	}
}

// ErrTransportFlags is the error of a call a transport such as TLS cannot
// carry: a flag other than MSG_PEEK, MSG_WAITALL and MSG_DONTWAIT, or a
// destination address.
var ErrTransportFlags = errors.New("not possible over the socket's TLS layer")

// readBuffer is a stream socket's receive buffer: (*b)[r:w] are the bytes
// received and not yet returned. b is nil when it is empty.
type readBuffer struct {
	b    *[]byte
	r, w int
	// borrowed says b is the group's scratch buffer (Group.scratch), which
	// a plain recv reads into while it holds the interpreter lock; it
	// never stays borrowed past that recv (recvStream).
	borrowed bool
	// lastFill is the count the last fill read: a socket whose reads are
	// large does not read into the scratch buffer, whose bytes a take
	// must copy where a large take of a pooled buffer hands it over.
	lastFill int
	// scan is how far a read up to a delimiter searched the bytes
	// buffered: a read that comes back (non-blocking, or after a
	// timeout) searches only what came since.
	scan scanMemo
}

// scanMemo says that the first n buffered bytes hold no delim (though a
// delim may start in the last len(delim)-1 of them). Consuming bytes
// forgets it.
type scanMemo struct {
	delim string
	n     int
}

// scanned is how many of the first buffered bytes are known to hold no
// delim.
func (rb *readBuffer) scanned(delim string) int {
	if rb.scan.delim != delim {
		return 0
	}
	return min(rb.scan.n, rb.len())
}

// setScanned records that the first n buffered bytes hold no delim.
func (rb *readBuffer) setScanned(delim string, n int) { rb.scan = scanMemo{delim, n} }

func (rb *readBuffer) len() int { return rb.w - rb.r }

func (rb *readBuffer) bytes() []byte {
	if rb.b == nil {
		return nil
	}
	return (*rb.b)[rb.r:rb.w]
}

// take returns the first n buffered bytes as a string and drops them.
// Small takes copy the bytes (their one copy, boxed: boxed.go, whose
// header it returns) and keep the buffer for the next read. A take of
// everything the buffer holds, when that is a lot, turns the buffer
// itself into the string instead (no header): the buffer leaves the pool
// for good (nothing writes to it again), and a bulk transfer copies no
// byte between the kernel and Lua.
func (rb *readBuffer) take(n int) (string, unsafe.Pointer) {
	if rb.r == 0 && n == rb.w && n >= donateMin && !rb.borrowed {
		s := unsafe.String(&(*rb.b)[0], n)
		rb.b, rb.r, rb.w = nil, 0, 0
		rb.scan = scanMemo{}
		return s, nil
	}
	s, hdr := boxedCopy((*rb.b)[rb.r : rb.r+n])
	rb.drop(n)
	return s, hdr
}

// donateMin is the size from which a take hands its buffer over rather
// than copy out of it: below it, a string that holds a whole 64 KiB
// buffer would waste more than the copy costs.
const donateMin = 32 << 10

// drop discards the first n buffered bytes, giving the buffer back to its
// pool once it is empty.
func (rb *readBuffer) drop(n int) {
	rb.r += n
	rb.scan = scanMemo{}
	if rb.r == rb.w {
		if !rb.borrowed {
			putBuf(rb.b)
		}
		rb.b, rb.r, rb.w, rb.borrowed = nil, 0, 0, false
	}
}

// own copies the bytes of a borrowed buffer into a pooled one, before the
// interpreter lock is released. (A test, inlined where it is called, twice
// a recv; the copy is ownCopy.)
func (rb *readBuffer) own() {
	if rb.borrowed {
		rb.ownCopy()
	}
}

func (rb *readBuffer) ownCopy() {
	b := getBuf(rb.len())
	n := copy(*b, rb.bytes())
	rb.b, rb.r, rb.w, rb.borrowed = b, 0, n, false
}

// adopt appends (*b)[:n], just read, taking over b when the buffer is
// empty (no copy) and giving it back to its pool otherwise (borrowed: b is
// the scratch buffer, which goes back to no pool).
func (rb *readBuffer) adopt(b *[]byte, n int, borrowed bool) {
	rb.lastFill = n
	if n == 0 {
		if !borrowed {
			putBuf(b)
		}
		return
	}
	if rb.b == nil {
		rb.b, rb.r, rb.w, rb.borrowed = b, 0, n, borrowed
		return
	}
	rb.append((*b)[:n])
	if !borrowed {
		putBuf(b)
	}
}

// append adds p after the buffered bytes.
func (rb *readBuffer) append(p []byte) {
	rb.own()
	if rb.b == nil {
		rb.b = getBuf(len(p))
	} else if rb.w+len(p) > cap(*rb.b) {
		if rb.len()+len(p) <= cap(*rb.b) {
			copy(*rb.b, (*rb.b)[rb.r:rb.w])
		} else {
			// Half as large again at least: a buffer that grows by a
			// read at a time would copy its bytes again on every read.
			nb := getBuf(max(rb.len()+len(p), cap(*rb.b)+cap(*rb.b)/2))
			copy(*nb, (*rb.b)[rb.r:rb.w])
			putBuf(rb.b)
			rb.b = nb
		}
		rb.r, rb.w = 0, rb.len()
	}
	rb.w += copy((*rb.b)[rb.w:cap(*rb.b)], p)
}

// Buffered is the count of bytes received and not yet returned to the
// script: a read is served from them first, and select counts a socket
// that has some as readable.
func (s *Socket) Buffered() int { return s.rbuf.len() }

// Unread is the count of bytes the socket received that the script has
// not read: Buffered, and what the kernel still holds for it (FIONREAD,
// Linux's SIOCINQ): every byte of a stream; on a datagram socket the size
// of the first datagram waiting, which is all the kernel tells. A
// listening or closed socket has none in the kernel. Datagrams read ahead
// (dgram.go) are the first waiting.
func (s *Socket) Unread() int {
	n := s.Buffered()
	if s.dq != nil {
		if k, first := s.dq.queued(); k > 0 {
			// The first datagram waiting is the first read ahead.
			return n + first
		}
	}
	var queued int
	if err := s.control(func(fd int) error {
		var err error
		queued, err = unix.IoctlGetInt(fd, unix.SIOCINQ)
		return err
	}); err == nil && queued > 0 {
		n += queued
	}
	return n
}

// Recv reads up to n bytes: "" at end of stream (or n == 0). Flags are the
// socket's MSG_ flags. On a stream socket every read goes through the
// receive buffer: MSG_PEEK returns bytes without consuming them,
// MSG_WAITALL waits until n bytes, end of stream or the deadline (on a
// timeout the bytes read so far stay buffered for the next call), and
// MSG_DONTWAIT does not wait. Other flags (MSG_OOB, MSG_TRUNC, ...) and
// datagram sockets read the transport directly.
func (s *Socket) Recv(c Caller, n, flags int) (string, error) {
	if s.stream() && flags&^(unix.MSG_PEEK|unix.MSG_WAITALL|unix.MSG_DONTWAIT) == 0 {
		return s.recvStream(c, n, flags)
	}
	if s.conn != nil {
		return "", ErrTransportFlags
	}
	data, _, err := s.recvDirect(c, n, flags, false)
	return data, err
}

// RecvFrom is Recv that also returns the sender's address: nil on a
// connected stream, where Recv's buffer serves it.
func (s *Socket) RecvFrom(c Caller, n, flags int) (string, unix.Sockaddr, error) {
	if s.stream() && flags&^(unix.MSG_PEEK|unix.MSG_WAITALL|unix.MSG_DONTWAIT) == 0 {
		data, err := s.recvStream(c, n, flags)
		return data, nil, err
	}
	if s.conn != nil {
		return "", nil, ErrTransportFlags
	}
	return s.recvDirect(c, n, flags, true)
}

// recvStream is Recv on a stream socket: through the receive buffer.
func (s *Socket) recvStream(c Caller, n, flags int) (string, error) {
	if n <= 0 {
		return "", nil
	}
	if flags&(unix.MSG_PEEK|unix.MSG_WAITALL) == unix.MSG_PEEK && s.family == unix.AF_UNIX && s.rbuf.len() == 0 && s.rerr == nil && s.conn == nil {
		// A unix socket reads no more than asked (fill), so a peek that
		// filled the buffer would make the next read return only the
		// peeked bytes, and drop the descriptors that came with them.
		// With nothing buffered it peeks in the kernel instead: the
		// bytes stay there for the next read, and for recvmsg. (Other
		// sockets read ahead: a peek fills the buffer with all there
		// is, which the next read returns.)
		data, _, err := s.recvDirect(c, n, flags, false)
		return data, err
	}
	need := 1
	if flags&unix.MSG_WAITALL != 0 {
		need = n
	}
	var cd callDL
	if s.rbuf.len() < need {
		cd = s.callDeadline()
	}
	for s.rbuf.len() < need {
		if flags == unix.MSG_WAITALL && s.rbuf.len() >= longReadMin {
			return s.recvWaitAllLong(c, n, cd)
		}
		// A plain recv may read into the group's scratch buffer (fill):
		// what it takes is copied out of it below, and the rest made the
		// socket's own, before anything releases the lock.
		got, err := s.fill(c, n-s.rbuf.len(), flags&unix.MSG_DONTWAIT, cd, flags == 0)
		if err == errKicked {
			continue // another thread's read filled the buffer: look again
		}
		if err != nil {
			if s.rbuf.len() > 0 && errors.Is(err, unix.EAGAIN) {
				break // not to wait: what there is, as the kernel gives it
			}
			if s.rbuf.len() == 0 || errors.Is(err, ErrTimeout) || s.host.WaitContext(c).Err() != nil {
				// Nothing to return, or a deadline: what was read stays
				// buffered for the next call.
				return "", err
			}
			s.rerr = err // returned by the next read, after these bytes
			break
		}
		if got == 0 {
			break // end of stream: return what there is
		}
	}
	k := min(n, s.rbuf.len())
	if k == 0 {
		return "", nil
	}
	if flags&unix.MSG_PEEK != 0 {
		return s.received(string(s.rbuf.bytes()[:k])), nil
	}
	data := s.take(k)
	s.rbuf.own() // (a borrowed buffer holding more than the script asked for)
	return data, nil
}

// recvWaitAllLong is recvStream with MSG_WAITALL going on as a long read,
// without the lock: n bytes, fewer at the end of the stream.
func (s *Socket) recvWaitAllLong(c Caller, n int, cd callDL) (string, error) {
	res, _, _, err := s.longRead(c, cd, n, func(b []byte, eof bool) int {
		if len(b) >= n || eof {
			return min(n, len(b))
		}
		return readMore
	})
	if err == nil {
		return res, nil
	}
	if s.rbuf.len() == 0 || errors.Is(err, ErrTimeout) || s.host.WaitContext(c).Err() != nil {
		return "", err // as recvStream: what came stays buffered
	}
	s.rerr = err // returned by the next read, after these bytes
	return s.take(min(n, s.rbuf.len())), nil
}

// fill reads once from the transport into the receive buffer, at least
// want bytes' room (more, up to readAhead, when the script asked for
// less), waiting as the socket's mode says. It returns the count read: 0
// at end of stream.
//
// With scratch, a read made while the lock is held (one that finds bytes
// at once, as most do under load) goes into the group's scratch buffer
// instead of a pooled one, and the receive buffer borrows it: the caller
// must take those bytes or own them (readBuffer.own) before it releases
// the lock or returns to Lua. A read made after a wait (without the lock)
// uses a pooled buffer, as do all reads without scratch.
//
// (Its name and the line of its io call, 25 lines down, are as
// default.pgo knows them, so that the profile-guided build still inlines
// io here; regenerating the profile lifts that.)
func (s *Socket) fill(c Caller, want, flags int, cd callDL, scratch bool) (int, error) {
	if err := s.rerr; err != nil {
		s.rerr = nil
		return 0, err
	}
	ahead := readAhead
	if s.family == unix.AF_UNIX {
		// Bytes of a unix socket may carry descriptors (SCM_RIGHTS) that
		// a read without recvmsg drops: read no more than asked, so a
		// later recvmsg still gets its descriptors.
		ahead = 0
	}
	size := min(max(want, ahead), s.maxRecv())
	var b *[]byte
	var n int
	var err error
	borrowed := false
	if s.conn != nil {
		b = getBuf(size)
		n, err = s.connRead(c, (*b)[:size], flags, cd)
	} else {
		// The buffer is taken inside the poller's callback, only when there
		// is something to read (an idle connection holds none).
		op := s.op(c, dirRead)
		op.call, op.size, op.flags, op.scratch = recvCall, size, flags, s.scratchFor(scratch, size)
		err = s.io(op, dirRead, cd)
		n, b, borrowed = op.n, op.pb, op.borrowed
		op.pb, op.buf, op.scratch = nil, nil, nil
	}
	if err != nil || n < 0 {
		if b != nil && !borrowed {
			putBuf(b)
		}
		return 0, err
	}
	if n == 0 {
		s.traffic.Ends++
	}
	s.rbuf.adopt(b, n, borrowed)
	if s.busy[dirRead] > 0 && s.conn == nil {
		s.kick()
	}
	return n, nil
}

// errKicked is how a thread waiting to read learns that another thread's
// read filled the receive buffer: the kernel may have nothing more, so
// without a kick it would wait for bytes that are already here.
var errKicked = errors.New("receive buffer filled by another thread")

// kick wakes the threads waiting in the poller to read the socket, by
// setting the read deadline in the past; each returns errKicked (its own
// deadline has not passed) and looks at the buffer again. The next read
// sets the deadline it needs.
func (s *Socket) kick() {
	s.file.SetReadDeadline(aLongTimeAgo)
	s.armed[dirRead] = true
}

// scratchFor is the scratch buffer for a read of size bytes that fill may
// make into it (scratch), or nil: a socket in no group has none, and one
// whose reads are large reads into pooled buffers, which a large take
// hands over rather than copies.
func (s *Socket) scratchFor(scratch bool, size int) *[]byte {
	if !scratch || s.group == nil || size > readAhead || s.rbuf.lastFill >= donateMin {
		return nil
	}
	return s.group.scratch
}

// take returns the first n buffered bytes (the one copy) and drops them,
// and records the copy's box (Boxed).
func (s *Socket) take(n int) string {
	if n == 0 {
		return ""
	}
	data, hdr := s.rbuf.take(n)
	s.box = hdr
	return s.received(data)
}

// recvDirect reads one chunk (a datagram) of up to n bytes from the
// descriptor into a pooled buffer and returns it as a string (the one
// copy), and the sender if from is set. A socket with a datagram queue
// reads it first, and reads ahead into it (dgram.go).
func (s *Socket) recvDirect(c Caller, n, flags int, from bool) (string, unix.Sockaddr, error) {
	size := min(n, s.maxRecv())
	if size <= 0 {
		return "", nil, nil
	}
	if s.stype == unix.SOCK_DGRAM || s.stype == unix.SOCK_SEQPACKET {
		// MSG_TRUNC makes the kernel say how long the datagram was, so
		// that a read that dropped part of it can say so (Truncated).
		flags |= unix.MSG_TRUNC
	}
	q := s.dq
	if flags&unix.MSG_ERRQUEUE != 0 {
		q = nil // the kernel's error queue, not its receive queue
	}
	peek := flags&unix.MSG_PEEK != 0
	var data string
	var got int
	var sa unix.Sockaddr
	var err error
	if q != nil {
		// Queued already: no wait, no poller.
		var ok bool
		q.mu.Lock()
		data, got, sa, ok, err = q.pop(s.fd, size, peek, &s.box)
		q.mu.Unlock()
		if ok {
			return s.recvDone(data, got, size, sa, peek, err)
		}
	}
	cd := s.callDeadline()
	var op *ioOp
	for {
		op = s.op(c, dirRead)
		op.call, op.size, op.flags, op.from = recvCall, size, flags, from
		if q != nil {
			op.call, op.q, op.spare = recvQueueCall, q, s.dgramSpare()
			// A plain read may take a batch; a peek, or a read with
			// other flags, asks the kernel for one datagram as before.
			op.batch = flags&^(unix.MSG_TRUNC|unix.MSG_DONTWAIT) == 0
			op.slot = min(dgramSlot, s.maxRecv())
		}
		if err = s.io(op, dirRead, cd); err != errKicked {
			break
		}
	}
	// (No other thread of the socket waits in the poller for what a batch
	// queued: a batch is read in the poller's callback, which one thread
	// at a time runs, holding the descriptor's read lock; the next one's
	// callback looks at the queue before the kernel.)
	got, sa, b := op.n, op.sa, op.pb
	data = op.data
	if err == nil && !op.queued {
		data, op.box = boxedCopy((*b)[:min(got, size)])
	}
	s.box = op.box
	op.pb, op.buf, op.sa, op.q, op.data, op.box = nil, nil, nil, nil, "", nil
	if b != nil {
		putBuf(b)
	}
	return s.recvDone(data, got, size, sa, peek, err)
}

// recvDone is the end of a datagram read that asked for size bytes of one
// got bytes long: counts them, and notes what the kernel dropped.
func (s *Socket) recvDone(data string, got, size int, sa unix.Sockaddr, peek bool, err error) (string, unix.Sockaddr, error) {
	s.truncated = 0
	if err != nil {
		return "", sa, err
	}
	data = s.received(data)
	if got > size && !peek {
		// (A peek drops nothing: the datagram stays whole.)
		s.truncated = got - size
		s.truncatedTotal++
		if s.group != nil {
			s.group.truncated.Add(1)
		}
	}
	return data, sa, nil
}

// Truncated is how many bytes of the datagram the last read returned the
// kernel dropped, because the read asked for fewer: 0 if none.
func (s *Socket) Truncated() int { return s.truncated }

// TruncatedTotal is how many datagrams reads on the socket cut short.
func (s *Socket) TruncatedTotal() int { return s.truncatedTotal }
