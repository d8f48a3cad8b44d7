package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Caller is the thread a call runs on, as the Host knows it (for sockrun's
// VM, the Lua thread state): the core hands it back to the Host around
// each wait and never looks inside it.
type Caller interface{}

// Host is what the core needs of the VM that runs the script: the one
// interface a wait goes through, to release the interpreter lock and take
// it back.
type Host interface {
	// Context is the run's context: done when the run is interrupted or
	// over. Every wait ends when it is done.
	Context() context.Context
	// WaitContext is the context a wait of c's thread watches: Context,
	// or for the main thread one also done when a signal is due there. It
	// is called with the lock held.
	WaitContext(c Caller) context.Context
	// Unlock releases the interpreter lock held by c's thread.
	Unlock(c Caller)
	// Lock takes the interpreter lock back for c's thread.
	Lock(c Caller)
}

// A ServingHost is a Host told when a script starts to serve: the first
// accept on each listening socket calls Serving (socket activation's
// readiness, sd_notify's READY=1). With the lock held.
type ServingHost interface {
	Serving()
}

// A MainWaker is a Host that wakes a wait of the main thread itself when a
// signal is due there: cheaper, per wait, than a registration with the
// wait context (context.AfterFunc allocates, and adds to and removes from
// the context's children under its lock).
type MainWaker interface {
	// WakeMainOn makes wake run once ctx, the main thread's wait context,
	// is done by a signal due there, and returns what unregisters it,
	// which reports false if wake ran (it has returned by then). It
	// returns nil, registering nothing, if ctx is not the main thread's
	// wait context or a wait is registered already: the caller
	// registers with ctx itself then. Called with the lock held.
	WakeMainOn(ctx context.Context, wake func()) (stop func() bool)
}

// A Holder is a face's socket object: it holds a socket of the core (nil
// while it has none), which what works on any face's sockets reaches
// through it (LuaSocket's select takes the Python face's sockets too).
type Holder interface {
	CoreSocket() *Socket
}

// State is where a socket is in its life, as the core tracks it.
type State uint32

const (
	// Created: a new socket, neither bound nor connected.
	Created State = iota
	// Bound: bound to a local address (bind, or a datagram sent from an
	// unbound socket, which the kernel binds).
	Bound
	// Listening: listen was called; accept takes connections.
	Listening
	// Connecting: a non-blocking connect is under way.
	Connecting
	// Connected: a stream socket with a peer (connect, accept), or a
	// datagram socket with a default destination.
	Connected
	// RdShut: connected, with reading shut down (shutdown(SHUT_RD)).
	RdShut
	// WrShut: connected, with writing shut down (shutdown(SHUT_WR)): the
	// peer has been sent end of stream.
	WrShut
	// Shut: both directions shut down.
	Shut
	// Closed: closed; every call but close raises EBADF.
	Closed
)

var stateNames = [...]string{"CREATED", "BOUND", "LISTENING", "CONNECTING", "CONNECTED", "RD_SHUT", "WR_SHUT", "SHUT", "CLOSED"}

func (st State) String() string {
	if int(st) < len(stateNames) {
		return stateNames[st]
	}
	return fmt.Sprintf("State(%d)", uint32(st))
}

// ErrTimeout is the error of a call that ran past its deadline (the
// socket's timeout or its absolute deadline), as Python's socket.timeout.
var ErrTimeout = errors.New("timed out")

// ErrDontWait is EAGAIN from a call given MSG_DONTWAIT (or made in
// non-blocking mode): the caller asked not to wait. It wraps unix.EAGAIN.
var ErrDontWait error = dontWaitError{}

// dontWaitError is ErrDontWait's type: a value made without fmt, which would
// otherwise be set up at every start for this one error.
type dontWaitError struct{}

func (dontWaitError) Error() string { return "MSG_DONTWAIT: " + unix.EAGAIN.Error() }
func (dontWaitError) Unwrap() error { return unix.EAGAIN }

// Socket is one socket of the core. The zero value is not usable: Open,
// Init or Accept makes one. A face embeds it in its own object, so that a
// socket is one allocation.
type Socket struct {
	host   Host
	fd     int
	file   *os.File
	rc     syscall.RawConn
	family int
	stype  int
	proto  int

	// timeout is Python's: negative blocks, zero is non-blocking, positive
	// is a deadline for each call. deadline, if not zero, is an absolute
	// deadline for every call (LuaSocket's total timeout).
	timeout  time.Duration
	deadline time.Time
	// waitTimeout, if positive, bounds each wait of a call rather than the
	// call (LuaSocket's block timeout): a call that makes progress now and
	// then may go on past it.
	waitTimeout time.Duration

	state     atomic.Uint32
	closed    atomic.Bool
	closeOnce sync.Once

	// busy counts the threads inside a read (0) or write (1) call on this
	// socket; armed says whether that direction has a deadline set.
	busy  [2]int
	armed [2]bool
	// ops are the socket's own ioOps, one per direction, made on first use.
	ops [2]*ioOp
	// group is the run's group of sockets this one is in, if any.
	group *Group
	// accepted: accept made this socket (limits.max_connections counts it).
	accepted bool
	// served: an accept was called on this listening socket.
	served bool

	// rbuf holds bytes received from the transport and not yet returned
	// to the script: the one read path of a stream socket.
	rbuf readBuffer
	// rerr is an error a read met after it had data to return: the next
	// read that finds the buffer empty returns it.
	rerr error

	// dq, on a UDP socket, holds the datagrams read ahead (dgram.go).
	dq *dgramQueue

	// truncated is what the kernel dropped of the last datagram read;
	// truncatedTotal counts the datagrams cut short.
	truncated, truncatedTotal int

	// peer is the connected peer's address, once known.
	peer unix.Sockaddr

	// conn, if set, carries the socket's bytes instead of the descriptor
	// (a TLS connection over RawConn).
	conn Transport

	// traffic counts what the socket's calls moved (Traffic).
	traffic Traffic

	// box is the header of the last read's boxed copy (boxed.go), until a
	// face takes it.
	box unsafe.Pointer
}

// Traffic is what a socket's calls have moved so far, whatever face made
// them: the bytes handed to the script (Received, peeks included), the
// bytes the kernel or the transport took from it (Sent), the reads that
// met the end of the stream (Ends), and the calls that named an address
// (connect, a send to an address: Aimed) with the last one's address as
// the kernel was given it (To: a name the script wrote, "localhost",
// resolved). The call path takes it before
// and after a call, so that a trace shows what each call moved and where
// it went (two threads reading, or two writing, one socket at once would
// see each other's bytes in a call that waited). It is read and written
// with the interpreter lock held.
type Traffic struct {
	Received, Sent, Ends, Aimed int64
	To                          unix.Sockaddr
}

// aimed notes that a call connects or sends to sa.
func (s *Socket) aimed(sa unix.Sockaddr) {
	s.traffic.Aimed++
	s.traffic.To = sa
}

// Traffic is what the socket's calls have moved so far.
func (s *Socket) Traffic() Traffic { return s.traffic }

// received counts the bytes of data, handed to the script, and returns
// data.
func (s *Socket) received(data string) string {
	s.traffic.Received += int64(len(data))
	if s.group != nil {
		s.group.received.Add(int64(len(data)))
	}
	return data
}

// sent counts n bytes sent (none for a negative n).
func (s *Socket) sent(n int) {
	s.traffic.Sent += int64(max(n, 0))
	if s.group != nil && n > 0 {
		s.group.sent.Add(int64(n))
	}
}

const (
	dirRead  = 0
	dirWrite = 1
)

// Open creates a non-blocking, close-on-exec OS socket of family, type and
// protocol, in s.
func Open(h Host, s *Socket, family, stype, proto int) error {
	fd, err := unix.Socket(family, stype|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	if err := Init(h, s, fd, family, stype, proto, Created); err != nil {
		unix.Close(fd)
		return err
	}
	s.newDgramQueue()
	return nil
}

// Init makes s the socket of fd, an open non-blocking descriptor, in
// state st. On error fd is left open.
func Init(h Host, s *Socket, fd, family, stype, proto int, st State) error {
	f := os.NewFile(uintptr(fd), "socket")
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	s.host, s.fd, s.file, s.rc = h, fd, f, rc
	s.family, s.stype, s.proto = family, stype, proto
	s.timeout = -1
	s.state.Store(uint32(st))
	return nil
}

// Family, Type and Proto are the socket's family, type and protocol.
func (s *Socket) Family() int { return s.family }

// Type is the socket's type (SOCK_STREAM, SOCK_DGRAM, ...).
func (s *Socket) Type() int { return s.stype }

// Proto is the socket's protocol.
func (s *Socket) Proto() int { return s.proto }

// FD is the descriptor, or -1 once closed. Safe from any goroutine.
func (s *Socket) FD() int {
	if s.closed.Load() {
		return -1
	}
	return s.fd
}

// IsClosed reports whether the socket was closed. Safe from any goroutine.
func (s *Socket) IsClosed() bool { return s.closed.Load() }

// State is the socket's state. Safe from any goroutine.
func (s *Socket) State() State {
	if s.closed.Load() {
		return Closed
	}
	return State(s.state.Load())
}

// StateName is the state's name: "CONNECTED".
func (s *Socket) StateName() string { return s.State().String() }

func (s *Socket) setState(st State) { s.state.Store(uint32(st)) }

// stream reports whether the socket carries a byte stream (TCP, a unix
// stream socket), whose reads go through the receive buffer.
func (s *Socket) stream() bool { return s.stype == unix.SOCK_STREAM }

// Timeout is the socket's timeout per call: negative blocks, zero is
// non-blocking, positive is a deadline for each call.
func (s *Socket) Timeout() time.Duration { return s.timeout }

// SetTimeout sets the timeout per call (see Timeout).
func (s *Socket) SetTimeout(d time.Duration) { s.timeout = d }

// Deadline is the socket's absolute deadline, zero if none.
func (s *Socket) Deadline() time.Time { return s.deadline }

// SetDeadline sets an absolute deadline for every call from now on (zero
// removes it). With a timeout per call as well, the nearer one applies.
func (s *Socket) SetDeadline(t time.Time) { s.deadline = t }

// WaitTimeout is the bound on each wait of a call, zero if none.
func (s *Socket) WaitTimeout() time.Duration { return s.waitTimeout }

// SetWaitTimeout bounds each wait of a call on the descriptor to d (zero
// or negative: no bound), as LuaSocket's block timeout: a call that waits
// several times (a read of n bytes that arrive in pieces) may take longer
// than d in all, as long as no single wait does. The timeout per call and
// the absolute deadline still apply; the nearest ends the wait.
func (s *Socket) SetWaitTimeout(d time.Duration) { s.waitTimeout = max(d, 0) }

// Close closes the socket once; threads blocked on it wake up with EBADF.
// Safe from any goroutine. Unread buffered bytes, and datagrams read ahead,
// are dropped.
func (s *Socket) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.group != nil {
			s.group.remove(s)
		}
		err = s.file.Close()
		if s.dq != nil {
			s.dq.release() // the datagrams read ahead go with the socket
		}
	})
	return err
}

var aLongTimeAgo = time.Unix(1, 0)

// interrupt runs once the run's context is done (Ctrl-C, os.exit, the end
// of the run; Group does it for all its sockets with one registration): it
// wakes every thread waiting on the socket, by setting both deadlines in
// the past. A call that starts waiting later sees the context done first,
// so no wait outlives the run. A transport laid over the descriptor reads
// and writes through it, so it wakes too.
func (s *Socket) interrupt() {
	s.file.SetReadDeadline(aLongTimeAgo)
	s.file.SetWriteDeadline(aLongTimeAgo)
}

// control runs f on the descriptor; f makes a system call that does not
// block.
func (s *Socket) control(f func(fd int) error) error {
	var err error
	if cerr := s.rc.Control(func(fd uintptr) { err = f(int(fd)) }); cerr != nil {
		return unix.EBADF
	}
	return err
}

// Control runs f on the descriptor, for a system call that does not
// block and that the core has no method for.
func (s *Socket) Control(f func(fd int) error) error {
	s.noReadAhead(true) // f may change anything: read the kernel directly
	return s.control(f)
}

// retryEINTR repeats a system call interrupted by a signal.
func retryEINTR(f func() error) error {
	for {
		if err := f(); err != unix.EINTR {
			return err
		}
	}
}

// StringBytes is the bytes of str, without a copy; they must not be
// changed.
func StringBytes(str string) []byte {
	return unsafe.Slice(unsafe.StringData(str), len(str))
}

// Bind binds the socket to a local address.
func (s *Socket) Bind(sa unix.Sockaddr) error {
	if err := s.control(func(fd int) error { return unix.Bind(fd, sa) }); err != nil {
		return err
	}
	if s.State() == Created {
		s.setState(Bound)
	}
	return nil
}

// Listen makes the socket accept connections; backlog below 0 is 0.
func (s *Socket) Listen(backlog int) error {
	if err := s.control(func(fd int) error { return unix.Listen(fd, max(backlog, 0)) }); err != nil {
		return err
	}
	s.setState(Listening)
	return nil
}

// Shutdown shuts down reading (SHUT_RD), writing (SHUT_WR) or both.
func (s *Socket) Shutdown(how int) error {
	if err := s.control(func(fd int) error { return unix.Shutdown(fd, how) }); err != nil {
		return err
	}
	st := s.State()
	rd := how == unix.SHUT_RD || how == unix.SHUT_RDWR || st == RdShut || st == Shut
	wr := how == unix.SHUT_WR || how == unix.SHUT_RDWR || st == WrShut || st == Shut
	switch {
	case rd && wr:
		s.setState(Shut)
	case rd:
		s.setState(RdShut)
	case wr:
		s.setState(WrShut)
	}
	return nil
}

// LocalString is the socket's bound address as messages print it
// ("127.0.0.1:9999", "[::1]:5000", a path), "" if it has none: not
// bound, unnamed, or the wildcard address with no port yet.
func (s *Socket) LocalString() string {
	sa, err := s.LocalAddr()
	if err != nil {
		return ""
	}
	switch a := sa.(type) {
	case *unix.SockaddrUnix:
		if a.Name == "" {
			return ""
		}
	case *unix.SockaddrInet4:
		if a.Port == 0 && a.Addr == [4]byte{} {
			return ""
		}
	case *unix.SockaddrInet6:
		if a.Port == 0 && a.Addr == [16]byte{} {
			return ""
		}
	}
	return SockaddrString(sa)
}

// PeerString is the connected peer's address as messages print it, ""
// if none: the one accept or connect gave, which a reset does not erase,
// else the kernel's.
func (s *Socket) PeerString() string {
	if sa := s.Peer(); sa != nil {
		return SockaddrString(sa)
	}
	sa, err := s.PeerAddr()
	if err != nil {
		return ""
	}
	return SockaddrString(sa)
}

// Endpoints are the socket's local and peer addresses (LocalString,
// PeerString); both "" once it is closed.
func (s *Socket) Endpoints() (local, peer string) {
	if s.IsClosed() {
		return "", ""
	}
	return s.LocalString(), s.PeerString()
}

// LocalAddr is the socket's bound address (getsockname).
func (s *Socket) LocalAddr() (unix.Sockaddr, error) {
	var sa unix.Sockaddr
	err := s.control(func(fd int) (err error) { sa, err = unix.Getsockname(fd); return err })
	return sa, err
}

// Peer is the peer's address as the socket learned it (from accept or
// connect), nil if it has none: still known after the peer reset the
// connection, when getpeername fails.
func (s *Socket) Peer() unix.Sockaddr { return s.peer }

// PeerAddr is the connected peer's address (getpeername).
func (s *Socket) PeerAddr() (unix.Sockaddr, error) {
	var sa unix.Sockaddr
	err := s.control(func(fd int) (err error) { sa, err = unix.Getpeername(fd); return err })
	return sa, err
}

// SetsockoptInt sets an integer option.
func (s *Socket) SetsockoptInt(level, opt, v int) error {
	s.setsockopt(level, opt)
	return s.control(func(fd int) error { return unix.SetsockoptInt(fd, level, opt, v) })
}

// SetsockoptString sets an option to raw bytes.
func (s *Socket) SetsockoptString(level, opt int, v string) error {
	s.setsockopt(level, opt)
	return s.control(func(fd int) error { return unix.SetsockoptString(fd, level, opt, v) })
}

// SetsockoptLinger sets SO_LINGER-shaped option.
func (s *Socket) SetsockoptLinger(level, opt int, l *unix.Linger) error {
	s.setsockopt(level, opt)
	return s.control(func(fd int) error { return unix.SetsockoptLinger(fd, level, opt, l) })
}

// GetsockoptInt reads an integer option.
func (s *Socket) GetsockoptInt(level, opt int) (int, error) {
	var v int
	err := s.control(func(fd int) (err error) { v, err = unix.GetsockoptInt(fd, level, opt); return err })
	return v, err
}

// MaxSockoptLen is the largest buflen GetsockoptBytes takes, as in Python.
const MaxSockoptLen = 1024

// ErrSockoptLen is the error of a buflen outside 1..MaxSockoptLen.
var ErrSockoptLen = errors.New("getsockopt buflen out of range")

// GetsockoptBytes reads an option's raw value, at most buflen bytes of it.
// (unix.GetsockoptString stops at the first NUL byte, which cuts most
// binary values short.)
func (s *Socket) GetsockoptBytes(level, opt, buflen int) (string, error) {
	if buflen < 1 || buflen > MaxSockoptLen {
		return "", ErrSockoptLen
	}
	var v string
	err := s.control(func(fd int) error {
		buf := make([]byte, buflen)
		n := uint32(buflen)
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
		if e != 0 {
			return e
		}
		v = string(buf[:min(int(n), buflen)])
		return nil
	})
	return v, err
}

// Unlocked runs f with the interpreter lock released, for blocking work
// that is not one of the socket's calls (a TLS handshake over the
// socket's transport). f must not touch Lua. It ends early with the run's
// context error if the run ends, since the socket's waits are woken.
func (s *Socket) Unlocked(c Caller, f func() error) error {
	ctx := s.host.WaitContext(c)
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := s.wakeOn(ctx, s.interrupt)
	s.host.Unlock(c)
	err := f()
	s.host.Lock(c)
	if stop != nil && !stop() {
		s.armed = [2]bool{true, true}
	}
	if cerr := ctx.Err(); cerr != nil && err != nil {
		return cerr
	}
	return err
}

// wakeOn registers wake to run when ctx, a wait context that is not the
// run's (the main thread's), is done, and returns what unregisters it
// (false: it ran); nil for the run's context, which the group watches.
func (s *Socket) wakeOn(ctx context.Context, wake func()) func() bool {
	if ctx == s.host.Context() {
		return nil
	}
	if stop := s.wakeMainOn(ctx, wake); stop != nil {
		return stop
	}
	return context.AfterFunc(ctx, wake)
}

// wakeMainOn is the host's WakeMainOn, if it has one.
func (s *Socket) wakeMainOn(ctx context.Context, wake func()) func() bool {
	if mw, ok := s.host.(MainWaker); ok {
		return mw.WakeMainOn(ctx, wake)
	}
	return nil
}
