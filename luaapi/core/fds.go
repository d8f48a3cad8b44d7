package core

import (
	"os"

	"golang.org/x/sys/unix"
)

// Socketpair makes a and b the two ends of a new connected pair of
// sockets of family (AF_UNIX), type and protocol.
func Socketpair(h Host, a, b *Socket, family, stype, proto int) error {
	fds, err := unix.Socketpair(family, stype|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return os.NewSyscallError("socketpair", err)
	}
	if err := Init(h, a, fds[0], family, stype, proto, Connected); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return err
	}
	if err := Init(h, b, fds[1], family, stype, proto, Connected); err != nil {
		a.Close()
		unix.Close(fds[1])
		return err
	}
	return nil
}

// Dup makes into a socket on a duplicate of s's descriptor: the same OS
// socket, in the same state, with its own receive buffer (bytes s has
// buffered stay s's).
func (s *Socket) Dup(into *Socket) error {
	var nfd int
	err := s.control(func(fd int) (err error) {
		nfd, err = unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return os.NewSyscallError("dup", err)
	}
	if err := Init(s.host, into, nfd, s.family, s.stype, s.proto, s.State()); err != nil {
		unix.Close(nfd)
		return err
	}
	into.peer = s.peer
	into.Share(s)
	return nil
}

// Adopt makes s the socket of fd, a descriptor the script got from
// elsewhere (a received SCM_RIGHTS, an inherited one): it is made
// non-blocking and close-on-exec, and its family, type and protocol read
// from the kernel when given as 0 or -1. It returns the state it found.
func Adopt(h Host, s *Socket, fd, family, stype, proto int) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	if family <= 0 {
		v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
		if err != nil {
			return os.NewSyscallError("getsockopt", err)
		}
		family = v
	}
	if stype <= 0 {
		v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
		if err != nil {
			return os.NewSyscallError("getsockopt", err)
		}
		stype = v
	}
	if proto < 0 {
		v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
		if err != nil {
			return os.NewSyscallError("getsockopt", err)
		}
		proto = v
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	unix.CloseOnExec(fd)
	st := Created
	if acc, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err == nil && acc == 1 {
		st = Listening
	} else if _, err := unix.Getpeername(fd); err == nil {
		st = Connected
	} else if sa, err := unix.Getsockname(fd); err == nil && !unnamed(sa) {
		st = Bound
	}
	return Init(h, s, fd, family, stype, proto, st)
}

// unnamed reports whether sa is an address no bind gave.
func unnamed(sa unix.Sockaddr) bool {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return a.Port == 0
	case *unix.SockaddrInet6:
		return a.Port == 0
	case *unix.SockaddrUnix:
		return a.Name == ""
	}
	return false
}

// SendMsg sends the concatenation of buffers with the ancillary data oob
// (SCM_RIGHTS descriptors, ...), to sa if set, as sendmsg(2); it returns
// the count of bytes sent. A stream socket may send fewer than all.
func (s *Socket) SendMsg(c Caller, buffers [][]byte, oob []byte, flags int, sa unix.Sockaddr) (int, error) {
	if s.conn != nil {
		return 0, ErrTransportFlags
	}
	var data []byte
	if len(buffers) == 1 {
		data = buffers[0]
	} else {
		for _, b := range buffers {
			data = append(data, b...)
		}
	}
	if sa != nil {
		s.aimed(sa)
	}
	op := s.op(c, dirWrite)
	op.call, op.buf, op.oob, op.flags, op.sa = sendmsgCall, data, oob, flags, sa
	err := s.io(op, dirWrite, s.callDeadline())
	n := op.n
	op.buf, op.oob, op.sa = nil, nil, nil
	s.sent(n)
	return n, err
}

func sendmsgCall(op *ioOp, fd int) error {
	for {
		n, err := unix.SendmsgN(fd, op.buf, op.oob, op.sa, op.flags|unix.MSG_NOSIGNAL)
		if err != unix.EINTR {
			op.n = max(n, 0) // a failed call sent nothing (the system call says -1)
			return dontWait(op.flags, err)
		}
	}
}

// Msg is what RecvMsg received.
type Msg struct {
	Data  string
	OOB   []byte // the ancillary data, to parse with unix.ParseSocketControlMessage
	Flags int    // MSG_TRUNC, MSG_CTRUNC, ...
	From  unix.Sockaddr
}

// RecvMsg receives up to n bytes and up to oobn bytes of ancillary data,
// as recvmsg(2). On a stream socket with bytes already in the receive
// buffer it returns those, with no ancillary data: they were read before.
// Descriptors that arrive are the caller's to close.
func (s *Socket) RecvMsg(c Caller, n, oobn, flags int) (Msg, error) {
	if s.conn != nil {
		return Msg{}, ErrTransportFlags
	}
	if s.stream() && s.rbuf.len() > 0 {
		data, err := s.recvStream(c, n, flags&(unix.MSG_PEEK|unix.MSG_DONTWAIT))
		return Msg{Data: data}, err
	}
	size := min(max(n, 0), s.maxRecv())
	q := s.dq
	if flags&unix.MSG_ERRQUEUE != 0 {
		q = nil // the kernel's error queue, not its receive queue
	}
	if q != nil {
		// A datagram read ahead: no wait, and no ancillary data (the
		// socket reads ahead only while its datagrams have none).
		q.mu.Lock()
		data, got, sa, ok, err := q.pop(s.fd, size, flags&unix.MSG_PEEK != 0, &s.box)
		q.mu.Unlock()
		if ok {
			if err != nil {
				return Msg{}, err
			}
			m := Msg{Data: s.received(data), From: sa, OOB: []byte{}}
			if got > size {
				m.Flags = unix.MSG_TRUNC
			}
			return m, nil
		}
	}
	b := getBuf(max(size, 1))
	oob := make([]byte, oobn)
	cd := s.callDeadline()
	var op *ioOp
	var err error
	for {
		op = s.op(c, dirRead)
		op.call, op.buf, op.oob, op.flags = recvmsgCall, (*b)[:size], oob, flags
		if q != nil {
			op.call, op.q = recvmsgQueueCall, q
		}
		if err = s.io(op, dirRead, cd); err != errKicked {
			break
		}
	}
	m := Msg{Flags: op.msgFlags, From: op.sa}
	if err == nil {
		if op.queued {
			m.Data = s.received(op.data)
		} else {
			m.Data = s.received(string((*b)[:min(op.n, size)]))
		}
		m.OOB = oob[:op.oobn]
	}
	op.buf, op.oob, op.sa, op.q, op.data = nil, nil, nil, nil, ""
	putBuf(b)
	return m, err
}

func recvmsgCall(op *ioOp, fd int) error {
	for {
		n, oobn, mflags, sa, err := unix.Recvmsg(fd, op.buf, op.oob, op.flags|unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			// Linux reports the MSG_CMSG_CLOEXEC it was called with among
			// the message's flags: not the script's, unless it asked too.
			mflags &^= unix.MSG_CMSG_CLOEXEC &^ op.flags
			op.n, op.oobn, op.msgFlags, op.sa = n, oobn, mflags, sa
			return dontWait(op.flags, err)
		}
	}
}
