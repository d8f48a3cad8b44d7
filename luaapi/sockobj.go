package luaapi

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// Socket is a script's socket: a real OS socket, created non-blocking and
// registered with Go's netpoller (through an *os.File), so that a thread
// waiting on it costs a goroutine and no OS thread.
//
// Fields other than closed are touched only with the interpreter lock held.
type Socket struct {
	rt     *Runtime
	fd     int
	file   *os.File
	rc     syscall.RawConn
	family int
	stype  int
	proto  int

	// timeout is Python's: negative blocks, zero is non-blocking, positive
	// is a deadline for each call.
	timeout time.Duration

	closed    atomic.Bool
	closeOnce sync.Once

	// busy counts the threads inside a read (0) or write (1) call on this
	// socket; deadline says whether that direction has a deadline set.
	busy     [2]int
	deadline [2]bool
	// ops are the socket's own ioOps, one per direction, made on first use.
	ops [2]*ioOp
	// unwatch cancels the registration of interrupt with the run's context.
	unwatch func() bool

	// rbuf holds received bytes not yet returned to the script. recv
	// consumes it first, so that framing reads added beside recv never lose
	// or reorder a byte.
	rbuf []byte

	ud *lua.LUserData
}

const (
	dirRead  = 0
	dirWrite = 1
)

const socketMetaName = "socket.socket"

// newSocket wraps an open, non-blocking descriptor.
func (rt *Runtime) newSocket(L *lua.LState, fd, family, stype, proto int) (*Socket, error) {
	f := os.NewFile(uintptr(fd), "socket")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &Socket{rt: rt, fd: fd, file: f, rc: rc, family: family, stype: stype, proto: proto, timeout: rt.defaultTimeout}
	s.unwatch = context.AfterFunc(rt.host.Context(), s.interrupt)
	s.ud = L.NewUserData()
	s.ud.Value = s
	L.SetMetatable(s.ud, L.GetTypeMetatable(socketMetaName))
	rt.track(s)
	return s, nil
}

// openSocketFD creates a non-blocking, close-on-exec OS socket.
func openSocketFD(family, stype, proto int) (int, error) {
	fd, err := unix.Socket(family, stype|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

// closeFD closes the descriptor once; threads blocked on the socket wake up
// with EBADF. Safe from any goroutine.
func (s *Socket) closeFD() {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.unwatch()
		s.rt.untrack(s)
		s.file.Close()
	})
}

var aLongTimeAgo = time.Unix(1, 0)

// interrupt runs once the run's context is done (Ctrl-C, os.exit, the end
// of the run): it wakes every thread waiting on the socket, by setting both
// deadlines in the past. Registered once per socket rather than per wait,
// which would cost a registration with the context on every call that
// blocks. A call that starts waiting later sees the context done first
// (ioOp.try), so no wait outlives the run.
func (s *Socket) interrupt() {
	s.file.SetReadDeadline(aLongTimeAgo)
	s.file.SetWriteDeadline(aLongTimeAgo)
}

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
	s    *Socket
	L    *lua.LState
	call func(op *ioOp, fd int) error // the system call, retried until not EAGAIN

	buf     []byte        // the bytes to send
	size    int           // recv: the most bytes to return
	flags   int           // send and recv flags
	sa      unix.Sockaddr // sendto, connect: the destination; recvfrom, accept: the source
	from    bool          // recvfrom: the source address is wanted
	started bool          // connect: the handshake is under way

	n    int    // bytes sent or received; accept: the new descriptor
	data string // recv: the bytes received

	wait     bool  // not in non-blocking mode: wait when the call would block
	unlocked bool  // the interpreter lock is released
	err      error // call's result

	tryFD func(fd uintptr) bool // op.try, bound once
}

// op returns a cleared ioOp for a call on s in direction dir.
func (s *Socket) op(L *lua.LState, dir int) *ioOp {
	op := s.ops[dir]
	if op == nil || s.busy[dir] > 0 {
		op = &ioOp{}
		op.tryFD = op.try
		if s.ops[dir] == nil {
			s.ops[dir] = op
		}
	}
	*op = ioOp{s: s, L: L, tryFD: op.tryFD}
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
	if err := op.s.rt.host.Context().Err(); err != nil {
		// Interrupted: the deadlines that wake waiters may be set
		// already, before this call reset them; don't wait.
		op.err = err
		return true
	}
	if !op.unlocked {
		op.unlocked = true
		op.s.rt.host.Unlock(op.L)
	}
	return false
}

// io runs op's system call in direction dir, with the interpreter lock
// held. If it would block (EAGAIN) and the socket is not in non-blocking
// mode, it releases the lock, waits in Go's netpoller for the descriptor
// to be ready, and tries again unlocked, until the call returns something
// other than EAGAIN, the socket's timeout passes, the socket is closed, or
// the run is interrupted. It returns with the lock held; the results are
// in op.
func (s *Socket) io(op *ioOp, dir int) error {
	timeout := s.timeout
	op.wait = timeout != 0
	if timeout > 0 {
		s.setDeadline(dir, time.Now().Add(timeout))
		s.deadline[dir] = true
	} else if s.deadline[dir] {
		s.setDeadline(dir, time.Time{})
		s.deadline[dir] = false
	}
	// A thread already waiting in this direction holds the descriptor's
	// read (or write) lock inside the poller: entering it while holding the
	// interpreter lock would stop every thread until that one is served.
	if s.busy[dir] > 0 {
		op.unlocked = true
	}
	s.busy[dir]++
	host := s.rt.host
	if op.unlocked {
		host.Unlock(op.L)
	}
	var werr error
	if dir == dirRead {
		werr = s.rc.Read(op.tryFD)
	} else {
		werr = s.rc.Write(op.tryFD)
	}
	if op.unlocked {
		host.Lock(op.L)
	}
	op.L = nil
	s.busy[dir]--
	if werr != nil {
		if host.Context().Err() != nil {
			return werr
		}
		if os.IsTimeout(werr) {
			return errTimeout
		}
		return unix.EBADF
	}
	return op.err
}

func (s *Socket) setDeadline(dir int, t time.Time) {
	if dir == dirRead {
		s.file.SetReadDeadline(t)
	} else {
		s.file.SetWriteDeadline(t)
	}
}

// control runs f on the descriptor, with the interpreter lock held; f makes
// a system call that does not block.
func (s *Socket) control(f func(fd int) error) error {
	var err error
	if cerr := s.rc.Control(func(fd uintptr) { err = f(int(fd)) }); cerr != nil {
		return unix.EBADF
	}
	return err
}

// Buffers for recv come from size-classed pools and go back while a thread
// waits, so an idle connection holds no receive buffer.
var bufPools [17]sync.Pool // 64 B .. 4 MiB

const maxRecvBuf = 4 << 20

func getBuf(n int) *[]byte {
	c := 0
	for size := 64; size < n; size <<= 1 {
		c++
	}
	if b, ok := bufPools[c].Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 64<<c)
	return &b
}

func putBuf(b *[]byte) {
	c := 0
	for size := 64; size < cap(*b); size <<= 1 {
		c++
	}
	bufPools[c].Put(b)
}

func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// retryEINTR repeats a system call interrupted by a signal.
func retryEINTR(f func() error) error {
	for {
		if err := f(); err != unix.EINTR {
			return err
		}
	}
}

// socketType is the Python-style socket object.
var socketType = &Type{
	Name: "socket",
	Meta: socketMetaName,
	Methods: []Func{
		{"bind", "sock:bind(address)", "binds the socket to a local address", (*Runtime).socketBind},
		{"listen", "sock:listen([backlog])", "makes the socket accept connections", (*Runtime).socketListen},
		{"accept", "sock:accept()", "waits for a connection; returns conn, address", (*Runtime).socketAccept},
		{"connect", "sock:connect(address)", "connects to a remote address", (*Runtime).socketConnect},
		{"connect_ex", "sock:connect_ex(address)", "connects; returns 0 or the errno instead of raising", (*Runtime).socketConnectEx},
		{"send", "sock:send(data [, flags])", "sends what the kernel takes now; returns the count sent", (*Runtime).socketSend},
		{"sendall", "sock:sendall(data [, flags])", "sends all of data, waiting as needed", (*Runtime).socketSendall},
		{"recv", "sock:recv(bufsize [, flags])", "waits for data; returns up to bufsize bytes, \"\" at end of stream", (*Runtime).socketRecv},
		{"sendto", "sock:sendto(data, [flags,] address)", "sends a datagram to address; returns the count sent", (*Runtime).socketSendto},
		{"recvfrom", "sock:recvfrom(bufsize [, flags])", "waits for a datagram; returns data, address", (*Runtime).socketRecvfrom},
		{"shutdown", "sock:shutdown(how)", "shuts down reading, writing or both", (*Runtime).socketShutdown},
		{"close", "sock:close()", "closes the socket", (*Runtime).socketClose},
		{"settimeout", "sock:settimeout(seconds)", "nil blocks, 0 is non-blocking, seconds a deadline for each call", (*Runtime).socketSettimeout},
		{"gettimeout", "sock:gettimeout()", "the timeout in seconds, or nil", (*Runtime).socketGettimeout},
		{"setblocking", "sock:setblocking(flag)", "true is settimeout(nil), false settimeout(0)", (*Runtime).socketSetblocking},
		{"getblocking", "sock:getblocking()", "false in non-blocking mode", (*Runtime).socketGetblocking},
		{"setsockopt", "sock:setsockopt(level, option, value)", "sets a socket option", (*Runtime).socketSetsockopt},
		{"getsockopt", "sock:getsockopt(level, option [, buflen])", "an option's value, or buflen raw bytes of it", (*Runtime).socketGetsockopt},
		{"getsockname", "sock:getsockname()", "the local address", (*Runtime).socketGetsockname},
		{"getpeername", "sock:getpeername()", "the remote address", (*Runtime).socketGetpeername},
		{"fileno", "sock:fileno()", "the descriptor, or -1 once closed", (*Runtime).socketFileno},
	},
	Metamethods: map[string]func(*Runtime, *lua.LState) int{
		"__tostring": (*Runtime).socketTostring,
		"__eq": func(_ *Runtime, L *lua.LState) int {
			a, _ := L.CheckUserData(1).Value.(*Socket)
			b, _ := L.CheckUserData(2).Value.(*Socket)
			L.Push(lua.LBool(a != nil && a == b))
			return 1
		},
	},
}

// checkSocket returns the open socket that method fn was called on.
func checkSocket(L *lua.LState, fn string) *Socket {
	s := checkSocketAny(L, fn)
	if s.closed.Load() {
		s.rt.raise(L, unix.EBADF, fn, "")
	}
	return s
}

// checkSocketAny returns the socket fn was called on, open or closed.
func checkSocketAny(L *lua.LState, fn string) *Socket {
	return checkSelf[*Socket](L, fn, "socket", "sock")
}

// socketBind is sock:bind(address) or sock:bind(host, port): binds the
// socket to a local address. Returns nothing.
func (rt *Runtime) socketBind(L *lua.LState) int {
	s := checkSocket(L, "bind")
	a, _ := checkAddr(L, s.family, 2, "bind", 1)
	sa, err := rt.sockaddrOf(L, s.family, a)
	if err == nil {
		err = s.control(func(fd int) error { return unix.Bind(fd, sa) })
	}
	if err != nil {
		rt.raise(L, err, "bind", a.String())
	}
	return 0
}

// socketListen is sock:listen([backlog]): makes the socket accept
// connections. Returns nothing.
func (rt *Runtime) socketListen(L *lua.LState) int {
	s := checkSocket(L, "listen")
	backlog := optInt(L, 2, "listen", 1, 128)
	if backlog < 0 {
		backlog = 0
	}
	if err := s.control(func(fd int) error { return unix.Listen(fd, backlog) }); err != nil {
		rt.raise(L, err, "listen", s.localString())
	}
	return 0
}

// socketAccept is sock:accept(): waits for a connection and returns conn,
// address.
func (rt *Runtime) socketAccept(L *lua.LState) int {
	s := checkSocket(L, "accept")
	op := s.op(L, dirRead)
	op.call = acceptCall
	err := s.io(op, dirRead)
	nfd, sa := op.n, op.sa
	if err != nil {
		rt.raise(L, err, "accept", s.localString())
	}
	conn, err := rt.newSocket(L, nfd, s.family, s.stype, s.proto)
	if err != nil {
		unix.Close(nfd)
		rt.raise(L, err, "accept", s.localString())
	}
	L.Push(conn.ud)
	L.Push(sockaddrValue(L, sa))
	return 2
}

func acceptCall(op *ioOp, fd int) error {
	for {
		nfd, sa, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != unix.EINTR {
			op.n, op.sa = nfd, sa
			return err
		}
	}
}

// connect connects s to a, waiting (lock released) for the handshake.
func (rt *Runtime) connect(L *lua.LState, s *Socket, a addrArg) error {
	sa, err := rt.sockaddrOf(L, s.family, a)
	if err != nil {
		return err
	}
	op := s.op(L, dirWrite)
	op.call, op.sa = connectCall, sa
	return s.io(op, dirWrite)
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
		return syscall.Errno(soerr)
	}
	return unix.EAGAIN
}

// socketConnect is sock:connect(address) or sock:connect(host, port):
// connects to a remote address. Returns nothing.
func (rt *Runtime) socketConnect(L *lua.LState) int {
	s := checkSocket(L, "connect")
	a, _ := checkAddr(L, s.family, 2, "connect", 1)
	if err := rt.connect(L, s, a); err != nil {
		rt.raise(L, err, "connect", a.String())
	}
	return 0
}

// socketConnectEx is sock:connect_ex(address): as connect, but returns the
// errno (0 on success) instead of raising.
func (rt *Runtime) socketConnectEx(L *lua.LState) int {
	s := checkSocket(L, "connect_ex")
	a, _ := checkAddr(L, s.family, 2, "connect_ex", 1)
	err := rt.connect(L, s, a)
	if err == nil {
		L.Push(lua.LNumber(0))
		return 1
	}
	e := toOSError(rt.host.Context(), err, "connect_ex", a.String())
	if e.Class == "KeyboardInterrupt" || e.Class == "socket.gaierror" {
		L.Error(errorValue(L, e), 0)
	}
	L.Push(lua.LNumber(e.Errno))
	return 1
}

// socketSend is sock:send(data [, flags]): sends what the kernel takes now
// (waiting until it takes something) and returns the count of bytes sent.
func (rt *Runtime) socketSend(L *lua.LState) int {
	s := checkSocket(L, "send")
	data := checkBytes(L, 2, "send", 1)
	flags := optInt(L, 3, "send", 1, 0)
	op := s.op(L, dirWrite)
	op.call, op.buf, op.flags = sendCall, bytesOf(data), flags
	err := s.io(op, dirWrite)
	n := op.n
	op.buf = nil
	if err != nil {
		rt.raise(L, err, "send", s.peerString())
	}
	L.Push(lua.LNumber(n))
	return 1
}

// sendCall sends what the kernel takes of op.buf now, to op.sa if set.
func sendCall(op *ioOp, fd int) error {
	for {
		n, err := unix.SendmsgN(fd, op.buf, nil, op.sa, op.flags|unix.MSG_NOSIGNAL)
		if err != unix.EINTR {
			op.n = n
			return dontWait(op.flags, err)
		}
	}
}

// socketSendall is sock:sendall(data [, flags]): sends all of data,
// waiting as needed, or raises. Returns nothing.
func (rt *Runtime) socketSendall(L *lua.LState) int {
	s := checkSocket(L, "sendall")
	data := checkBytes(L, 2, "sendall", 1)
	flags := optInt(L, 3, "sendall", 1, 0)
	op := s.op(L, dirWrite)
	op.call, op.buf, op.flags = sendallCall, bytesOf(data), flags
	err := s.io(op, dirWrite)
	op.buf = nil
	if err != nil {
		rt.raise(L, err, "sendall", s.peerString())
	}
	return 0
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

// socketRecv is sock:recv(bufsize [, flags]): waits for data and returns up
// to bufsize bytes of it; "" at end of stream.
func (rt *Runtime) socketRecv(L *lua.LState) int {
	s := checkSocket(L, "recv")
	bufsize := checkInt(L, 2, "recv", 1)
	if bufsize < 0 {
		argError(L, 1, "recv", "negative buffersize")
	}
	flags := optInt(L, 3, "recv", 1, 0)
	if len(s.rbuf) > 0 && flags == 0 {
		n := min(bufsize, len(s.rbuf))
		L.Push(lua.LString(s.rbuf[:n]))
		s.rbuf = s.rbuf[n:]
		return 1
	}
	data, _, err := s.recv(L, bufsize, flags, false)
	if err != nil {
		rt.raise(L, err, "recv", s.peerString())
	}
	L.Push(lua.LString(data))
	return 1
}

// recv reads one chunk of up to bufsize bytes into a pooled buffer and
// returns it as a string (the one copy), and the sender if from is set.
func (s *Socket) recv(L *lua.LState, bufsize, flags int, from bool) (string, unix.Sockaddr, error) {
	op := s.op(L, dirRead)
	op.call, op.size, op.flags, op.from = recvCall, min(bufsize, maxRecvBuf), flags, from
	err := s.io(op, dirRead)
	data, sa := op.data, op.sa
	op.data = ""
	return data, sa, err
}

// recvCall reads up to op.size bytes into a pooled buffer and keeps them
// as op.data, a string: the one copy of the bytes.
func recvCall(op *ioOp, fd int) error {
	if op.size == 0 {
		return nil
	}
	b := getBuf(op.size)
	buf := (*b)[:op.size]
	for {
		var n int
		var err error
		if op.flags == 0 && !op.from {
			n, err = unix.Read(fd, buf)
		} else {
			n, op.sa, err = unix.Recvfrom(fd, buf, op.flags)
		}
		if err == unix.EINTR {
			continue
		}
		if err == nil {
			op.data = string(buf[:n])
		}
		putBuf(b)
		return dontWait(op.flags, err)
	}
}

// socketSendto is sock:sendto(data, [flags,] address): sends a datagram to
// address and returns the count of bytes sent.
func (rt *Runtime) socketSendto(L *lua.LState) int {
	s := checkSocket(L, "sendto")
	data := checkBytes(L, 2, "sendto", 1)
	flags, n := 0, 3
	if L.Get(3).Type() == lua.LTNumber && L.GetTop() >= 4 {
		flags, n = checkInt(L, 3, "sendto", 1), 4
	}
	a, _ := checkAddr(L, s.family, n, "sendto", 1)
	sa, err := rt.sockaddrOf(L, s.family, a)
	var sent int
	if err == nil {
		op := s.op(L, dirWrite)
		op.call, op.buf, op.flags, op.sa = sendCall, bytesOf(data), flags, sa
		err = s.io(op, dirWrite)
		sent = op.n
		op.buf, op.sa = nil, nil
	}
	if err != nil {
		rt.raise(L, err, "sendto", a.String())
	}
	L.Push(lua.LNumber(sent))
	return 1
}

// socketRecvfrom is sock:recvfrom(bufsize [, flags]): waits for a datagram
// and returns data, address (nil address for a connected stream).
func (rt *Runtime) socketRecvfrom(L *lua.LState) int {
	s := checkSocket(L, "recvfrom")
	bufsize := checkInt(L, 2, "recvfrom", 1)
	if bufsize < 0 {
		argError(L, 1, "recvfrom", "negative buffersize")
	}
	flags := optInt(L, 3, "recvfrom", 1, 0)
	data, sa, err := s.recv(L, bufsize, flags, true)
	if err != nil {
		rt.raise(L, err, "recvfrom", s.localString())
	}
	L.Push(lua.LString(data))
	if sa == nil {
		L.Push(lua.LNil)
	} else {
		L.Push(sockaddrValue(L, sa))
	}
	return 2
}

// socketShutdown is sock:shutdown(how): shuts down reading (SHUT_RD),
// writing (SHUT_WR) or both (SHUT_RDWR). Returns nothing.
func (rt *Runtime) socketShutdown(L *lua.LState) int {
	s := checkSocket(L, "shutdown")
	how := checkInt(L, 2, "shutdown", 1)
	if err := s.control(func(fd int) error { return unix.Shutdown(fd, how) }); err != nil {
		rt.raise(L, err, "shutdown", s.peerString())
	}
	return 0
}

// socketClose is sock:close(): closes the socket; closing twice is
// harmless. Threads blocked on it wake up with EBADF.
func (rt *Runtime) socketClose(L *lua.LState) int {
	checkSocketAny(L, "close").closeFD()
	return 0
}

// socketSettimeout is sock:settimeout(seconds|nil): nil blocks, 0 makes the
// socket non-blocking, a positive number is a deadline for each call.
func (rt *Runtime) socketSettimeout(L *lua.LState) int {
	s := checkSocket(L, "settimeout")
	s.timeout = checkTimeout(L, 2, "settimeout", 1)
	return 0
}

// checkTimeout reads a Python timeout: nil (blocking) or seconds >= 0.
func checkTimeout(L *lua.LState, n int, fn string, shift int) time.Duration {
	v := L.Get(n)
	if v == lua.LNil {
		return -1
	}
	f, ok := v.(lua.LNumber)
	if !ok {
		argError(L, n-shift, fn, "number or nil expected, got "+typeName(v))
	}
	if f < 0 || f != f {
		argError(L, n-shift, fn, "timeout value out of range")
	}
	return seconds(float64(f))
}

func timeoutValue(d time.Duration) lua.LValue {
	if d < 0 {
		return lua.LNil
	}
	return lua.LNumber(d.Seconds())
}

// socketGettimeout is sock:gettimeout(): the timeout in seconds, or nil.
func (rt *Runtime) socketGettimeout(L *lua.LState) int {
	L.Push(timeoutValue(checkSocket(L, "gettimeout").timeout))
	return 1
}

// socketSetblocking is sock:setblocking(flag): true is settimeout(nil),
// false is settimeout(0).
func (rt *Runtime) socketSetblocking(L *lua.LState) int {
	s := checkSocket(L, "setblocking")
	if checkFlag(L, 2, "setblocking", 1) {
		s.timeout = -1
	} else {
		s.timeout = 0
	}
	return 0
}

// socketGetblocking is sock:getblocking(): false in non-blocking mode.
func (rt *Runtime) socketGetblocking(L *lua.LState) int {
	L.Push(lua.LBool(checkSocket(L, "getblocking").timeout != 0))
	return 1
}

// socketSetsockopt is sock:setsockopt(level, option, value): value is a
// number, a boolean, a string of raw bytes, or for SO_LINGER a table
// {onoff, seconds}. Returns nothing.
func (rt *Runtime) socketSetsockopt(L *lua.LState) int {
	s := checkSocket(L, "setsockopt")
	level := checkInt(L, 2, "setsockopt", 1)
	opt := checkInt(L, 3, "setsockopt", 1)
	var set func(fd int) error
	switch v := L.Get(4).(type) {
	case lua.LNumber:
		set = func(fd int) error { return unix.SetsockoptInt(fd, level, opt, int(v)) }
	case lua.LBool:
		n := 0
		if v {
			n = 1
		}
		set = func(fd int) error { return unix.SetsockoptInt(fd, level, opt, n) }
	case lua.LString:
		set = func(fd int) error { return unix.SetsockoptString(fd, level, opt, string(v)) }
	case *lua.LTable:
		l := &unix.Linger{Onoff: int32(lua.LVAsNumber(v.RawGetInt(1))), Linger: int32(lua.LVAsNumber(v.RawGetInt(2)))}
		set = func(fd int) error { return unix.SetsockoptLinger(fd, level, opt, l) }
	default:
		argError(L, 3, "setsockopt", "number, boolean, string or table expected, got "+typeName(L.Get(4)))
	}
	if err := s.control(set); err != nil {
		rt.raise(L, err, "setsockopt", optionName(level, opt))
	}
	return 0
}

// socketGetsockopt is sock:getsockopt(level, option [, buflen]): the
// option's integer value, or buflen raw bytes if buflen is given.
func (rt *Runtime) socketGetsockopt(L *lua.LState) int {
	s := checkSocket(L, "getsockopt")
	level := checkInt(L, 2, "getsockopt", 1)
	opt := checkInt(L, 3, "getsockopt", 1)
	buflen := optInt(L, 4, "getsockopt", 1, 0)
	var result lua.LValue
	err := s.control(func(fd int) error {
		if buflen != 0 {
			v, err := getsockoptBytes(fd, level, opt, buflen)
			result = lua.LString(v)
			return err
		}
		v, err := unix.GetsockoptInt(fd, level, opt)
		result = lua.LNumber(v)
		return err
	})
	if err != nil {
		rt.raise(L, err, "getsockopt", optionName(level, opt))
	}
	L.Push(result)
	return 1
}

// socketGetsockname is sock:getsockname(): the local address.
func (rt *Runtime) socketGetsockname(L *lua.LState) int {
	s := checkSocket(L, "getsockname")
	var sa unix.Sockaddr
	err := s.control(func(fd int) (err error) { sa, err = unix.Getsockname(fd); return err })
	if err != nil {
		rt.raise(L, err, "getsockname", "")
	}
	L.Push(sockaddrValue(L, sa))
	return 1
}

// socketGetpeername is sock:getpeername(): the remote address; raises
// ENOTCONN if not connected.
func (rt *Runtime) socketGetpeername(L *lua.LState) int {
	s := checkSocket(L, "getpeername")
	var sa unix.Sockaddr
	err := s.control(func(fd int) (err error) { sa, err = unix.Getpeername(fd); return err })
	if err != nil {
		rt.raise(L, err, "getpeername", "")
	}
	L.Push(sockaddrValue(L, sa))
	return 1
}

// socketFileno is sock:fileno(): the descriptor, or -1 once closed.
func (rt *Runtime) socketFileno(L *lua.LState) int {
	s := checkSocketAny(L, "fileno")
	if s.closed.Load() {
		L.Push(lua.LNumber(-1))
	} else {
		L.Push(lua.LNumber(s.fd))
	}
	return 1
}

// socketTostring is tostring(sock), as Python's repr:
// <socket fd=3, family=AF_INET, type=SOCK_STREAM, laddr=127.0.0.1:9999>.
func (rt *Runtime) socketTostring(L *lua.LState) int {
	s := checkSocketAny(L, "__tostring")
	L.Push(lua.LString(s.String()))
	return 1
}

func (s *Socket) String() string {
	var b strings.Builder
	b.WriteString("<socket ")
	if s.closed.Load() {
		b.WriteString("[closed] fd=-1")
	} else {
		fmt.Fprintf(&b, "fd=%d", s.fd)
	}
	fmt.Fprintf(&b, ", family=%s, type=%s", constName(familyNames, s.family), constName(typeNames, s.stype))
	if s.proto != 0 {
		fmt.Fprintf(&b, ", proto=%d", s.proto)
	}
	if !s.closed.Load() {
		if l := s.localString(); l != "" {
			fmt.Fprintf(&b, ", laddr=%s", l)
		}
		if r := s.peerString(); r != "" {
			fmt.Fprintf(&b, ", raddr=%s", r)
		}
	}
	b.WriteString(">")
	return b.String()
}

// localString is the bound address for messages, "" if none.
func (s *Socket) localString() string {
	var sa unix.Sockaddr
	if s.control(func(fd int) (err error) { sa, err = unix.Getsockname(fd); return err }) != nil {
		return ""
	}
	if u, ok := sa.(*unix.SockaddrUnix); ok && u.Name == "" {
		return ""
	}
	if in, ok := sa.(*unix.SockaddrInet4); ok && in.Port == 0 && in.Addr == [4]byte{} {
		return ""
	}
	if in, ok := sa.(*unix.SockaddrInet6); ok && in.Port == 0 && in.Addr == [16]byte{} {
		return ""
	}
	return sockaddrString(sa)
}

// peerString is the connected peer's address for messages, "" if none.
func (s *Socket) peerString() string {
	var sa unix.Sockaddr
	if s.control(func(fd int) (err error) { sa, err = unix.Getpeername(fd); return err }) != nil {
		return ""
	}
	return sockaddrString(sa)
}
