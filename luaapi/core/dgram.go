package core

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Datagrams read ahead. A UDP socket read one datagram per system call
// spends most of its time entering the kernel: when several datagrams are
// waiting, a read of an IPv4 or IPv6 datagram socket takes them all in one
// recvmmsg (up to dgramBatch of them) into the socket's datagram queue,
// returns the first, and serves the next reads from the queue without a
// system call. The queue is the kernel's receive queue continued: every
// read of the socket (recv, recvfrom, recvmsg, a peek, LuaSocket's
// receive) takes from it first, in order, and only then asks the kernel.
// What a script sees stays what one recvfrom per call gives:
//
//   - a datagram is kept whole (each has room for the largest UDP
//     datagram), so a read smaller than it cuts it then, and reports what
//     it dropped, as the kernel would;
//   - MSG_PEEK returns the first datagram and leaves it first;
//   - a socket with datagrams queued is readable for select, and a read
//     of it does not wait, whatever its timeout;
//   - close drops them, as it drops the kernel's queue;
//   - the kernel reports an error (an ICMP port unreachable, as
//     ECONNREFUSED) to the next read before the datagrams it holds. Only a
//     connected socket, or one with IP_RECVERR, gets such errors: the
//     queue reads ahead only on an unconnected socket none of whose
//     options can add errors or ancillary data to its datagrams (keepsReadAhead
//     lists those it can have), and once the socket leaves that state
//     (connect, another option) it reads ahead no more, and the datagrams
//     it still has queued are each served after a look at SO_ERROR, which
//     returns a pending error first, as the kernel does;
//   - sockets on one OS socket (dup, fromfd, a LuaSocket setfd) share the
//     queue, and read ahead no more.
//
// Reads that look at the queue and then at the kernel do both under the
// queue's mutex, so that two threads (or two sockets on one descriptor)
// never see datagrams out of the kernel's order.
//
// Sends are not batched: a sendto that returned before its datagram went
// out could not raise the error the kernel gives it (EMSGSIZE, EACCES to a
// broadcast address without SO_BROADCAST, ECONNREFUSED on a connected
// socket, ENOBUFS), and its datagram would leave when the script next
// waits, not when it called.

// dgramBatch is the most datagrams one read takes from the kernel.
const dgramBatch = 16

// dgramSlot is the room for each datagram of a batch: more than the
// largest UDP datagram (65,507 bytes of data over IPv4, 65,527 over IPv6
// without jumbograms, which loopback's MTU does not allow).
const dgramSlot = 64 << 10

// dgramQueue is the datagrams a socket read ahead: b's [next, n). It is
// shared by the sockets on one OS socket; mu guards everything in it.
type dgramQueue struct {
	mu      sync.Mutex
	b       *dgramBuf // nil when empty
	next, n int
	// refs counts the open sockets sharing the queue: the last one's
	// close drops the datagrams.
	refs int
	// off: no more reading ahead (the socket was connected, dup'd, given
	// an option not in keepsReadAhead ...). checkErr: each datagram still
	// queued is served after a look at SO_ERROR.
	off, checkErr bool
	// from is the last IPv4 sender a datagram came from (senderOf).
	from *unix.SockaddrInet4
	// spare, while a read that holds the interpreter lock works on the
	// queue, is its group's spare batch (Group.dgramSpare): the batch
	// the queue fills comes from there, and a drained one goes back
	// there, rather than through the pool. Nil otherwise.
	spare **dgramBuf
}

// dgramBuf is one batch: the messages of a recvmmsg, their buffers and
// the senders' addresses. Batches come from a pool and go back when their
// last datagram is read, so an idle socket holds none.
type dgramBuf struct {
	buf  *[]byte
	slot int
	hdrs [dgramBatch]unix.Mmsghdr
	iov  [dgramBatch]unix.Iovec
	addr [dgramBatch]unix.RawSockaddrAny
	// used is how many headers the last read filled in.
	used int
}

var dgramBufs sync.Pool

// getDgramBuf is a batch whose datagrams have slot bytes of room each:
// *spare, if there is one (spare may be nil), else one from the pool.
func getDgramBuf(slot int, spare **dgramBuf) *dgramBuf {
	var b *dgramBuf
	if spare != nil && *spare != nil {
		b, *spare = *spare, nil
	} else {
		b, _ = dgramBufs.Get().(*dgramBuf)
	}
	if b == nil {
		b = &dgramBuf{}
	}
	if b.buf == nil || b.slot != slot {
		if b.buf != nil {
			putBuf(b.buf)
		}
		b.buf, b.slot = getBuf(slot*dgramBatch), slot
		b.init()
	}
	return b
}

// putDgramBuf gives b back: to *spare if it is empty (spare may be nil),
// else to the pool.
func putDgramBuf(b *dgramBuf, spare **dgramBuf) {
	if spare != nil && *spare == nil {
		*spare = b
		return
	}
	dgramBufs.Put(b)
}

// init points each message header at its slot of the buffer and at its
// room for the sender's address, once for every read of the batch.
func (b *dgramBuf) init() {
	for i := range b.hdrs {
		b.iov[i].Base = &(*b.buf)[i*b.slot]
		b.iov[i].SetLen(b.slot)
		h := &b.hdrs[i]
		*h = unix.Mmsghdr{}
		h.Hdr.Name = (*byte)(unsafe.Pointer(&b.addr[i]))
		h.Hdr.Namelen = unix.SizeofSockaddrAny
		h.Hdr.Iov = &b.iov[i]
		h.Hdr.SetIovlen(1)
	}
	b.used = 0
}

// read takes up to dgramBatch datagrams from fd, without waiting, and
// returns the count.
func (b *dgramBuf) read(fd int) (int, error) {
	// The kernel wrote each sender's address length, and the message's
	// length and flags, into the headers the last read filled in: give
	// them back their room (the rest of each header it leaves as init set
	// it).
	for i := range b.used {
		h := &b.hdrs[i]
		h.Hdr.Namelen = unix.SizeofSockaddrAny
		h.Hdr.Flags = 0
		h.Len = 0
	}
	b.used = 0
	for {
		// MSG_TRUNC: each message's length is the datagram's, even if
		// it did not fit (which no UDP datagram does not).
		k, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.hdrs[0])),
			dgramBatch, unix.MSG_TRUNC, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		b.used = int(k)
		return int(k), nil
	}
}

// datagram is datagram i: its bytes, up to size of them, as a string (the
// one copy, boxed: its header goes to *box), its length as sent, and its
// sender (senderOf, with *from).
func (b *dgramBuf) datagram(i, size int, box *unsafe.Pointer, from **unix.SockaddrInet4) (string, int, unix.Sockaddr) {
	h := &b.hdrs[i]
	n := int(h.Len)
	data, hdr := boxedCopy((*b.buf)[i*b.slot : i*b.slot+min(n, size, b.slot)])
	*box = hdr
	return data, n, senderOf(&b.addr[i], h.Hdr.Namelen, from)
}

// senderOf is decodeSockaddr for the sender of a datagram, with *from, the
// IPv4 sender decoded last, given again when this one is the same address
// and port (and *from set to a new one when it is not): a UDP server's
// datagrams come from the same few clients, and the address is an
// allocation per datagram otherwise. Whoever gets a sender only reads it
// (core.sendto encodes it on the stack), as pysocket's cache of senders
// already relies on.
func senderOf(rsa *unix.RawSockaddrAny, l uint32, from **unix.SockaddrInet4) unix.Sockaddr {
	if l < 2 || rsa.Addr.Family != unix.AF_INET {
		return decodeSockaddr(rsa, l)
	}
	pp := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
	p := (*[2]byte)(unsafe.Pointer(&pp.Port))
	port := int(p[0])<<8 | int(p[1])
	if a := *from; a != nil && a.Port == port && a.Addr == pp.Addr {
		return a
	}
	a := &unix.SockaddrInet4{Port: port, Addr: pp.Addr}
	*from = a
	return a
}

func (q *dgramQueue) len() int { return q.n - q.next }

// pop returns the first datagram queued (ok false if none), up to size
// bytes of it (its copy's box in *box), its length and its sender, and
// drops it unless peek. With checkErr it first takes a pending error of
// fd, as the kernel's next read would (err, nothing dropped). q.mu is
// held.
func (q *dgramQueue) pop(fd, size int, peek bool, box *unsafe.Pointer) (data string, n int, sa unix.Sockaddr, ok bool, err error) {
	if q.len() == 0 {
		return "", 0, nil, false, nil
	}
	if q.checkErr {
		if soerr, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); gerr == nil && soerr != 0 {
			return "", 0, nil, true, unix.Errno(soerr)
		}
	}
	data, n, sa = q.b.datagram(q.next, size, box, &q.from)
	if !peek {
		q.next++
		q.drain()
	}
	return data, n, sa, true, nil
}

// drain gives the batch back once its last datagram was read. q.mu is
// held.
func (q *dgramQueue) drain() {
	if q.next >= q.n && q.b != nil {
		putDgramBuf(q.b, q.spare)
		q.b, q.next, q.n = nil, 0, 0
	}
}

// fill reads a batch from fd into the empty queue, if it may, and returns
// its first datagram as pop does (ok false: it may not; err: the kernel's,
// EAGAIN when nothing waits). q.mu is held.
func (q *dgramQueue) fill(fd, size, slot int, box *unsafe.Pointer) (data string, n int, sa unix.Sockaddr, ok bool, err error) {
	if q.off {
		return "", 0, nil, false, nil
	}
	b := getDgramBuf(slot, q.spare)
	k, err := b.read(fd)
	if err != nil || k == 0 {
		putDgramBuf(b, q.spare)
		return "", 0, nil, true, err
	}
	for i := range k {
		if b.hdrs[i].Hdr.Flags&unix.MSG_CTRUNC != 0 {
			// Ancillary data came that keepsReadAhead did not expect: the
			// datagrams read from now on will have theirs.
			q.off = true
		}
	}
	q.b, q.next, q.n = b, 0, k
	return q.pop(fd, size, false, box)
}

// stop makes the queue read ahead no more; with errs, the datagrams still
// queued are served after a look at SO_ERROR.
func (q *dgramQueue) stop(errs bool) {
	q.mu.Lock()
	q.off = true
	q.checkErr = q.checkErr || errs
	q.mu.Unlock()
}

// release is a sharing socket's close: the last one drops the queue.
func (q *dgramQueue) release() {
	q.mu.Lock()
	q.refs--
	if q.refs <= 0 && q.b != nil {
		putDgramBuf(q.b, nil)
		q.b, q.next, q.n = nil, 0, 0
	}
	q.mu.Unlock()
}

// queued is the count of datagrams queued, and the length of the first.
func (q *dgramQueue) queued() (int, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.len() == 0 {
		return 0, 0
	}
	return q.len(), int(q.b.hdrs[q.next].Len)
}

// newDgramQueue gives s, just opened, a datagram queue if it is a socket
// that may read ahead: IPv4 or IPv6, SOCK_DGRAM, UDP.
func (s *Socket) newDgramQueue() {
	if (s.family == unix.AF_INET || s.family == unix.AF_INET6) && s.stype == unix.SOCK_DGRAM &&
		(s.proto == 0 || s.proto == unix.IPPROTO_UDP) {
		s.dq = &dgramQueue{refs: 1}
	}
}

// noReadAhead makes the socket read ahead no more (see dgramQueue), with
// errs when the kernel may now report errors to its reads.
func (s *Socket) noReadAhead(errs bool) {
	if s.dq != nil {
		s.dq.stop(errs)
	}
}

// keepsReadAhead reports whether setting option opt of level leaves what the
// kernel's reads give unchanged: no errors (IP_RECVERR), no ancillary
// data (IP_PKTINFO, SO_TIMESTAMP ...). Other options stop the reading
// ahead.
func keepsReadAhead(level, opt int) bool {
	switch level {
	case unix.SOL_SOCKET:
		switch opt {
		case unix.SO_REUSEADDR, unix.SO_REUSEPORT, unix.SO_BROADCAST, unix.SO_SNDBUF, unix.SO_RCVBUF,
			unix.SO_SNDBUFFORCE, unix.SO_RCVBUFFORCE, unix.SO_KEEPALIVE, unix.SO_LINGER, unix.SO_PRIORITY,
			unix.SO_DONTROUTE, unix.SO_SNDTIMEO, unix.SO_RCVTIMEO, unix.SO_BINDTODEVICE:
			return true
		}
	case unix.IPPROTO_IP:
		switch opt {
		case unix.IP_TTL, unix.IP_TOS, unix.IP_MULTICAST_TTL, unix.IP_MULTICAST_LOOP, unix.IP_MULTICAST_IF,
			unix.IP_ADD_MEMBERSHIP, unix.IP_DROP_MEMBERSHIP, unix.IP_ADD_SOURCE_MEMBERSHIP,
			unix.IP_DROP_SOURCE_MEMBERSHIP:
			return true
		}
	case unix.IPPROTO_IPV6:
		switch opt {
		case unix.IPV6_V6ONLY, unix.IPV6_UNICAST_HOPS, unix.IPV6_MULTICAST_HOPS, unix.IPV6_MULTICAST_LOOP,
			unix.IPV6_MULTICAST_IF, unix.IPV6_JOIN_GROUP, unix.IPV6_LEAVE_GROUP, unix.IPV6_TCLASS:
			return true
		}
	}
	return false
}

// setsockopt notes that option opt of level is being set (keepsReadAhead).
func (s *Socket) setsockopt(level, opt int) {
	if s.dq != nil && !keepsReadAhead(level, opt) {
		s.dq.stop(true)
	}
}

// Readable reports whether a read of the socket returns at once with what
// it holds already: bytes in its receive buffer, or datagrams read ahead.
// select counts such a socket readable.
func (s *Socket) Readable() bool {
	if s.rbuf.len() > 0 {
		return true
	}
	if s.dq != nil {
		n, _ := s.dq.queued()
		return n > 0
	}
	return false
}

// Share makes s, a socket on a duplicate of the descriptor of o (fromfd,
// LuaSocket's setfd), read o's queued datagrams first, as the kernel's
// queue they continue is one; neither reads ahead from then on.
func (s *Socket) Share(o *Socket) {
	q := o.dq
	if q == nil || s == o {
		return
	}
	q.mu.Lock()
	q.refs++
	q.off = true
	q.mu.Unlock()
	if s.dq != nil && s.dq != q {
		s.dq.release()
	}
	s.dq = q
}

// recvQueueCall is recvCall on a socket with a datagram queue: the queue
// first, then, if it may (op.batch), a batch from the kernel, else one
// read of the kernel as recvCall. The datagram comes back in op.data,
// with its length in op.n (queued is set).
func recvQueueCall(op *ioOp, fd int) error {
	// (No defer for the unlock: it ran on every datagram, and what runs
	// under the lock does not panic.)
	q := op.q
	q.mu.Lock()
	if !op.unlocked {
		q.spare = op.spare // the lock is held: the group's spare batch is ours
	}
	var ok bool
	var err error
	op.data, op.n, op.sa, ok, err = q.pop(fd, op.size, op.flags&unix.MSG_PEEK != 0, &op.box)
	if !ok && op.batch {
		op.data, op.n, op.sa, ok, err = q.fill(fd, op.size, op.slot, &op.box)
	}
	q.spare = nil
	if ok {
		q.mu.Unlock()
		op.queued = err == nil
		return dontWait(op.flags, err)
	}
	err = recvCall(op, fd)
	q.mu.Unlock()
	return err
}

// recvmsgQueueCall is recvmsgCall on a socket with a datagram queue: a
// queued datagram first (no ancillary data: the socket reads ahead only
// while its datagrams have none), else recvmsgCall.
func recvmsgQueueCall(op *ioOp, fd int) error {
	q := op.q
	q.mu.Lock()
	defer q.mu.Unlock()
	var box unsafe.Pointer // (recvmsg's data is not boxed)
	data, n, sa, ok, err := q.pop(fd, len(op.buf), op.flags&unix.MSG_PEEK != 0, &box)
	if !ok {
		return recvmsgCall(op, fd)
	}
	if err != nil {
		return err
	}
	op.data, op.n, op.sa, op.queued = data, n, sa, true
	op.oobn, op.msgFlags = 0, 0
	if n > len(op.buf) {
		op.msgFlags = unix.MSG_TRUNC
	}
	return nil
}
