package core

import (
	"context"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ioOp is one socket call's non-blocking system call, with its arguments
// and results. The caller sets the arguments and reads the results with the
// interpreter lock held; the system call runs inside the poller's callback,
// first with the lock held, then, once it would block, unlocked: call must
// not touch Lua.
//
// A socket keeps one ioOp per direction, bound to the poller's callback
// once, and call is a top-level function, so a socket call allocates
// nothing for its bookkeeping. A thread calling in a direction another
// thread is already waiting in gets an ioOp of its own.
type ioOp struct {
	ioCall
	tryFD  func(fd uintptr) bool // op.try, bound once
	wakeFD func()                // op.wake, bound once
}

// ioCall is an ioOp's state for one call, cleared for each.
type ioCall struct {
	s    *Socket
	c    Caller                       // the calling thread, for the Host
	call func(op *ioOp, fd int) error // the system call, retried until not EAGAIN

	buf     []byte  // send: the bytes to send; recv: where to read
	size    int     // recv: the most bytes to read
	pb      *[]byte // recv: the pooled buffer read into, once there was something
	scratch *[]byte // recv: the group's scratch buffer, to read into while the lock is held
	// borrowed says pb is scratch.
	borrowed bool
	flags    int           // send and recv flags
	sa       unix.Sockaddr // sendto, connect: the destination; recvfrom, accept: the source
	from     bool          // recvfrom: the source address is wanted
	started  bool          // connect: the handshake is under way

	n int // bytes sent or received; accept: the new descriptor

	file int   // sendfile: the file's descriptor
	off  int64 // sendfile: the offset in the file
	left int64 // sendfile: the bytes still to send

	oob      []byte // sendmsg: the ancillary data; recvmsg: room for it
	oobn     int    // recvmsg: ancillary bytes received
	msgFlags int    // recvmsg: the flags the kernel returned

	q      *dgramQueue    // recv on a socket with a datagram queue: the queue
	spare  **dgramBuf     // recv: the group's spare batch, for q while the lock is held
	batch  bool           // recv: a batch may be read ahead into q
	slot   int            // recv: the room for each datagram of a batch
	data   string         // recv: the datagram, if it came from q or a batch
	box    unsafe.Pointer // recv: its copy's box (boxed.go)
	queued bool           // recv: data is set

	wait     bool  // not in non-blocking mode: wait when the call would block
	unlocked bool  // the interpreter lock is released
	err      error // call's result

	// ctx is the context the calling thread's wait watches (WaitContext),
	// read while the lock is held, when the call first would wait (nil
	// until then: most calls do not); dir the call's direction. A wait of
	// the main thread, whose context is not the run's, registers stopWake
	// to be woken when a signal is due there.
	ctx      context.Context
	dir      int
	stopWake func() bool
}

// op returns a cleared ioOp for a call on s in direction dir.
func (s *Socket) op(c Caller, dir int) *ioOp {
	op := s.ops[dir]
	if op == nil || s.busy[dir] > 0 {
		op = &ioOp{}
		op.tryFD, op.wakeFD = op.try, op.wake
		if s.ops[dir] == nil {
			s.ops[dir] = op
		}
	}
	op.ioCall = ioCall{s: s, c: c}
	return op
}

// try is the poller's callback: it makes the system call and says whether
// the call is over. The first time the call would block it releases the
// interpreter lock, so that other threads run while this one waits.
func (op *ioOp) try(fd uintptr) bool {
	op.err = op.call(op, int(fd))
	if op.err != unix.EAGAIN || !op.wait {
		return true
	}
	if op.ctx == nil {
		// The first time the call would wait: the lock is still held
		// (io sets ctx itself before it unlocks).
		op.ctx = op.s.host.WaitContext(op.c)
	}
	if err := op.ctx.Err(); err != nil {
		// Interrupted: the deadlines that wake waiters may be set
		// already, before this call reset them; don't wait.
		op.err = err
		return true
	}
	if !op.unlocked {
		op.unlocked = true
		op.wakeOnSignal()
		op.s.host.Unlock(op.c)
	}
	return false
}

// wakeOnSignal makes a wait of the main thread end when a signal is due
// there, by setting the deadline of its direction in the past; the run's
// end wakes every wait through the group. The lock is held.
func (op *ioOp) wakeOnSignal() {
	s, dir := op.s, op.dir
	if op.ctx == s.host.Context() {
		return // the run's: the group wakes the socket (and no closure is made)
	}
	// The host's wake runs op.wake before its stop returns, while the op
	// is still this wait's; a context's may run it later, when the op
	// serves another call: it gets a closure of its own.
	if op.stopWake = s.wakeMainOn(op.ctx, op.wakeFD); op.stopWake == nil {
		op.stopWake = context.AfterFunc(op.ctx, func() { s.setFileDeadline(dir, aLongTimeAgo) })
	}
}

// wake ends op's wait: its direction's deadline is set in the past.
func (op *ioOp) wake() { op.s.setFileDeadline(op.dir, aLongTimeAgo) }

// callDL is how long one call of the socket may wait: until at (zero:
// no limit), or not at all if !wait (non-blocking mode). A call that makes
// several system calls (MSG_WAITALL, the framing reads, sendall) has one
// deadline for all of them, so that a peer sending a byte at a time cannot
// stretch it.
type callDL struct {
	at   time.Time
	wait bool
}

// callDeadline is the deadline of a call starting now: the socket's
// timeout per call from now, or its absolute deadline, whichever is
// nearer.
func (s *Socket) callDeadline() callDL {
	if s.timeout < 0 && s.deadline.IsZero() {
		return callDL{wait: true} // blocking, as sockets are by default
	}
	return s.callDeadlineTimed()
}

// callDeadlineTimed is callDeadline for a socket with a timeout or a
// deadline.
func (s *Socket) callDeadlineTimed() callDL {
	if s.timeout == 0 {
		return callDL{}
	}
	var dl time.Time
	if s.timeout > 0 {
		dl = time.Now().Add(s.timeout)
	}
	if !s.deadline.IsZero() && (dl.IsZero() || s.deadline.Before(dl)) {
		dl = s.deadline
	}
	return callDL{dl, true}
}

// arm sets the descriptor's deadline in direction dir for a call that
// ends at dl (zero: none), touching the poller only when it changes. (Small
// enough to be inlined: a call with no deadline on a socket that had none
// costs two tests.)
func (s *Socket) arm(dir int, dl time.Time) {
	if !dl.IsZero() || s.armed[dir] {
		s.rearm(dir, dl)
	}
}

// rearm is arm's work: the deadline set, or one set before removed.
func (s *Socket) rearm(dir int, dl time.Time) {
	if !dl.IsZero() {
		s.setFileDeadline(dir, dl)
		s.armed[dir] = true
	} else if s.armed[dir] {
		s.setFileDeadline(dir, time.Time{})
		s.armed[dir] = false
	}
}

func (s *Socket) setFileDeadline(dir int, t time.Time) {
	if dir == dirRead {
		s.file.SetReadDeadline(t)
	} else {
		s.file.SetWriteDeadline(t)
	}
}

// io runs op's system call in direction dir, with the interpreter lock
// held. If it would block (EAGAIN) and the socket is not in non-blocking
// mode, it releases the lock, waits in Go's netpoller for the descriptor
// to be ready, and tries again unlocked, until the call returns something
// other than EAGAIN, the call's deadline passes, the socket is closed, or
// the run is interrupted. It returns with the lock held; the results are
// in op.
func (s *Socket) io(op *ioOp, dir int, cd callDL) error {
	dl := cd.at
	if s.waitTimeout > 0 && cd.wait {
		if w := time.Now().Add(s.waitTimeout); dl.IsZero() || w.Before(dl) {
			dl = w // this wait's own bound (SetWaitTimeout)
		}
	}
	op.wait = cd.wait
	s.arm(dir, dl)
	// A thread already waiting in this direction holds the descriptor's
	// read (or write) lock inside the poller: entering it while holding the
	// interpreter lock would stop every thread until that one is served.
	if s.busy[dir] > 0 {
		op.unlocked = true
	}
	s.busy[dir]++
	host, c := s.host, op.c
	op.dir = dir
	if op.unlocked {
		op.ctx = host.WaitContext(c)
		op.wakeOnSignal()
		host.Unlock(c)
	}
	var werr error
	if dir == dirRead {
		werr = s.rc.Read(op.tryFD)
	} else {
		werr = s.rc.Write(op.tryFD)
	}
	if op.unlocked {
		host.Lock(c)
	}
	if op.stopWake != nil && !op.stopWake() {
		s.armed[dir] = true // the wake set the deadline in the past
	}
	ctx := op.ctx
	op.c, op.ctx, op.stopWake = nil, nil, nil
	s.busy[dir]--
	if werr != nil {
		if ctx == nil {
			// The poller refused the call before it would wait (a
			// closed descriptor): the lock was held all along.
			ctx = host.WaitContext(c)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if os.IsTimeout(werr) {
			if dir == dirRead && (dl.IsZero() || time.Now().Before(dl)) {
				return errKicked
			}
			if s.group != nil {
				s.group.timeouts.Add(1)
			}
			return ErrTimeout
		}
		return unix.EBADF
	}
	if op.err == unix.EAGAIN && !op.wait {
		return ErrDontWait
	}
	return op.err
}

// Accept waits for a connection and makes conn its socket, connected, with
// the listener's family, type and protocol and the default timeout given.
// It returns the peer's address.
func (s *Socket) Accept(c Caller, conn *Socket) (unix.Sockaddr, error) {
	if !s.served {
		s.served = true
		if h, ok := s.host.(ServingHost); ok {
			h.Serving()
		}
	}
	if err := s.waitRoomToAccept(c); err != nil {
		return nil, err
	}
	op := s.op(c, dirRead)
	op.call = acceptCall
	err := s.io(op, dirRead, s.callDeadline())
	nfd, sa := op.n, op.sa
	op.sa = nil
	if err != nil {
		return nil, err
	}
	if err := Init(s.host, conn, nfd, s.family, s.stype, s.proto, Connected); err != nil {
		unix.Close(nfd)
		return nil, err
	}
	conn.peer = sa
	conn.accepted = true
	return sa, nil
}

// waitRoomToAccept waits, the lock released, while the group holds as many
// accepted sockets as limits.max_connections allows: the kernel keeps new
// clients in the listen backlog meanwhile (refusing them would teach
// clients to retry in a storm). The socket's timeout bounds the wait.
func (s *Socket) waitRoomToAccept(c Caller) error {
	if s.group == nil {
		return nil
	}
	cd := s.callDeadline()
	for {
		ok, changed := s.group.roomToAccept()
		if ok {
			return nil
		}
		if !cd.wait {
			return ErrDontWait
		}
		var timer <-chan time.Time
		if !cd.at.IsZero() {
			t := time.NewTimer(time.Until(cd.at))
			defer t.Stop()
			timer = t.C
		}
		ctx := s.host.WaitContext(c)
		s.host.Unlock(c)
		select {
		case <-changed:
		case <-timer:
		case <-ctx.Done():
		}
		s.host.Lock(c)
		if err := ctx.Err(); err != nil {
			return err
		}
		if timer != nil && !cd.at.After(time.Now()) {
			s.group.timeouts.Add(1)
			return ErrTimeout
		}
	}
}

func acceptCall(op *ioOp, fd int) error {
	for {
		nfd, sa, err := accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != unix.EINTR {
			op.n, op.sa = nfd, sa
			return err
		}
	}
}

// Connect connects the socket to sa, waiting (lock released) for the
// handshake. In non-blocking mode it returns EINPROGRESS and the socket is
// CONNECTING.
func (s *Socket) Connect(c Caller, sa unix.Sockaddr) error {
	before := s.State()
	s.noReadAhead(true) // a connected datagram socket's reads report ICMP errors
	s.aimed(sa)
	op := s.op(c, dirWrite)
	op.call, op.sa = connectCall, sa
	err := s.io(op, dirWrite, s.callDeadline())
	op.sa = nil
	switch {
	case err == nil || err == unix.EISCONN:
		s.setState(Connected)
		s.peer = sa
	case err == unix.EINPROGRESS || err == unix.EALREADY:
		s.setState(Connecting)
	case before == Connecting:
		// The handshake under way failed: the socket can try again.
		s.setState(Created)
	}
	return err
}

func connectCall(op *ioOp, fd int) error {
	if !op.started {
		err := retryEINTR(func() error { return unix.Connect(fd, op.sa) })
		if err == unix.EAGAIN && op.s.family == unix.AF_UNIX {
			return unix.EAGAIN // the listener's backlog is full: wait, try again
		}
		op.started = true
		if err != unix.EINPROGRESS {
			return err
		}
		if !op.wait {
			return unix.EINPROGRESS
		}
	}
	// The handshake is under way: done when the socket has a peer or
	// reports an error.
	if _, err := unix.Getpeername(fd); err == nil {
		// Linux records the connect as done only when connect is
		// called again; until then a script's second connect
		// would succeed instead of failing with EISCONN.
		unix.Connect(fd, op.sa)
		return nil
	}
	soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if soerr != 0 {
		// Linux forgets the failed handshake only when connect is called
		// again too: until then the next connect fails with
		// ECONNABORTED instead of trying again (as a blocking connect,
		// which sees the error itself, would).
		unix.Connect(fd, op.sa)
		return syscall.Errno(soerr)
	}
	return unix.EAGAIN
}

// Send sends what the transport takes of b now, waiting until it takes
// something, and returns the count sent.
func (s *Socket) Send(c Caller, b []byte, flags int) (int, error) {
	if s.conn != nil && flags&^unix.MSG_DONTWAIT != 0 {
		return 0, ErrTransportFlags
	}
	if s.conn != nil {
		n, err := s.connWrite(c, b, s.callDeadline())
		s.sent(n)
		return n, err
	}
	op := s.op(c, dirWrite)
	op.call, op.buf, op.flags = sendCall, b, flags
	err := s.io(op, dirWrite, s.callDeadline())
	n := op.n
	op.buf = nil
	s.sent(n)
	return n, err
}

// SendTo sends a datagram (or stream bytes) to sa and returns the count
// sent. From an unbound socket it binds it, as the kernel does.
func (s *Socket) SendTo(c Caller, b []byte, flags int, sa unix.Sockaddr) (int, error) {
	if s.conn != nil {
		return 0, ErrTransportFlags
	}
	if sa != nil {
		s.aimed(sa)
	}
	op := s.op(c, dirWrite)
	op.call, op.buf, op.flags, op.sa = sendCall, b, flags, sa
	err := s.io(op, dirWrite, s.callDeadline())
	n := op.n
	op.buf, op.sa = nil, nil
	s.sent(n)
	if err == nil && s.State() == Created {
		s.setState(Bound)
	}
	return n, err
}

// sendCall sends what the kernel takes of op.buf now, to op.sa if set.
func sendCall(op *ioOp, fd int) error {
	for {
		n, err := sendto(fd, op.buf, op.sa, op.flags|unix.MSG_NOSIGNAL)
		if err != unix.EINTR {
			op.n = max(n, 0) // a failed call sent nothing (the system call says -1)
			return dontWait(op.flags, err)
		}
	}
}

// SendAll sends all of b, waiting as needed, and returns the count sent:
// len(b), or what was sent before the error.
func (s *Socket) SendAll(c Caller, b []byte, flags int) (int, error) {
	if s.conn != nil && flags&^unix.MSG_DONTWAIT != 0 {
		return 0, ErrTransportFlags
	}
	if s.conn != nil {
		n, err := s.connWrite(c, b, s.callDeadline())
		s.sent(n)
		return n, err
	}
	op := s.op(c, dirWrite)
	op.call, op.buf, op.flags = sendallCall, b, flags
	err := s.io(op, dirWrite, s.callDeadline())
	sent := len(b) - len(op.buf)
	op.buf = nil
	s.sent(sent)
	return sent, err
}

// sendallCall sends op.buf, consuming it, until all is sent or the kernel
// takes no more now.
func sendallCall(op *ioOp, fd int) error {
	for len(op.buf) > 0 {
		var n int
		var err error
		if op.flags == 0 {
			n, err = unix.Write(fd, op.buf)
		} else {
			n, err = unix.SendmsgN(fd, op.buf, nil, nil, op.flags|unix.MSG_NOSIGNAL)
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return dontWait(op.flags, err)
		}
		op.buf = op.buf[n:]
	}
	return nil
}

// dontWait turns EAGAIN into ErrDontWait if flags has MSG_DONTWAIT.
func dontWait(flags int, err error) error {
	if err == unix.EAGAIN && flags&unix.MSG_DONTWAIT != 0 {
		return ErrDontWait
	}
	return err
}

// recvCall reads what the kernel has, up to op.size bytes, into a pooled
// buffer it takes (op.pb) when the call succeeds; while the kernel has
// nothing, the buffer goes back to its pool.
func recvCall(op *ioOp, fd int) error {
	if op.pb == nil {
		if op.scratch != nil && !op.unlocked {
			// The lock is held: no other thread of the VM touches
			// the scratch buffer until the caller has its bytes.
			op.pb, op.borrowed = op.scratch, true
		} else {
			op.pb = getBuf(op.size)
		}
		op.buf = (*op.pb)[:op.size]
	}
	for {
		var n int
		var err error
		if op.flags == 0 && !op.from {
			n, err = unix.Read(fd, op.buf)
		} else {
			n, op.sa, err = recvfrom(fd, op.buf, op.flags)
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if !op.borrowed {
				putBuf(op.pb)
			}
			op.pb, op.buf, op.borrowed = nil, nil, false
		}
		op.n = n
		return dontWait(op.flags, err)
	}
}
