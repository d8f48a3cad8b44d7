package core

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Transport carries a stream socket's bytes when something other than the
// bare descriptor does: a *tls.Conn laid over NetConn has this shape. Its
// Read and Write block; the core calls them with the interpreter lock
// released and bounds them with the deadlines.
type Transport interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// SetTransport makes t carry the socket's bytes from now on: every read
// and send goes through it, the receive buffer and the deadlines as
// before. Bytes already buffered are read first.
func (s *Socket) SetTransport(t Transport) { s.conn = t }

// Transport is what carries the socket's bytes: nil for the descriptor.
func (s *Socket) Transport() Transport { return s.conn }

// NetConn is the socket's descriptor as a net.Conn, to lay a transport
// such as TLS over (tls.Client(s.NetConn(), cfg)). Its Read and Write
// wait in the poller and must be called with the interpreter lock
// released: through a Transport the core calls, or inside Unlocked.
func (s *Socket) NetConn() net.Conn { return &fdConn{s: s} }

// fdConn is the net.Conn of NetConn.
type fdConn struct{ s *Socket }

var _ net.Conn = (*fdConn)(nil)

func (c *fdConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var err error
	rerr := c.s.rc.Read(func(fd uintptr) bool {
		for {
			n, err = unix.Read(int(fd), p)
			if err != unix.EINTR {
				break
			}
		}
		return err != unix.EAGAIN
	})
	if rerr != nil {
		return 0, c.s.waitError(rerr)
	}
	if err != nil {
		return 0, os.NewSyscallError("read", err)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (c *fdConn) Write(p []byte) (int, error) {
	sent := 0
	var err error
	werr := c.s.rc.Write(func(fd uintptr) bool {
		for sent < len(p) {
			var n int
			n, err = unix.SendmsgN(int(fd), p[sent:], nil, nil, unix.MSG_NOSIGNAL)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err != unix.EAGAIN
			}
			sent += n
		}
		err = nil
		return true
	})
	if werr != nil {
		return sent, c.s.waitError(werr)
	}
	if err != nil {
		return sent, os.NewSyscallError("write", err)
	}
	return sent, nil
}

func (c *fdConn) Close() error                       { return c.s.Close() }
func (c *fdConn) LocalAddr() net.Addr                { return sockNetAddr(c.s.LocalAddr()) }
func (c *fdConn) RemoteAddr() net.Addr               { return sockNetAddr(c.s.PeerAddr()) }
func (c *fdConn) SetDeadline(t time.Time) error      { return c.s.file.SetDeadline(t) }
func (c *fdConn) SetReadDeadline(t time.Time) error  { return c.s.file.SetReadDeadline(t) }
func (c *fdConn) SetWriteDeadline(t time.Time) error { return c.s.file.SetWriteDeadline(t) }

// waitError is the error of a wait in the poller as fdConn returns it: a
// deadline stays os.ErrDeadlineExceeded, a net.Error that says it is
// temporary, since a TLS connection over fdConn keeps any other error as
// final and fails every later read with it.
func (s *Socket) waitError(err error) error {
	if cerr := s.host.Context().Err(); cerr != nil {
		return cerr
	}
	if os.IsTimeout(err) {
		return err
	}
	return unix.EBADF
}

// sockNetAddr is a socket address as a net.Addr, nil if unknown.
func sockNetAddr(sa unix.Sockaddr, err error) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return nil
}

// connRead reads once from the transport into p, the lock released,
// within the call's deadline. MSG_DONTWAIT and non-blocking mode try
// without waiting: the transport's deadline is set in the past.
func (s *Socket) connRead(c Caller, p []byte, flags int, cd callDL) (int, error) {
	dl := cd.at
	if !cd.wait || flags&unix.MSG_DONTWAIT != 0 {
		dl = aLongTimeAgo
	}
	var n int
	err := s.connCall(c, dirRead, dl, func() (err error) {
		n, err = s.conn.Read(p)
		return err
	})
	if errors.Is(err, io.EOF) {
		return 0, nil
	}
	if err == ErrTimeout && dl == aLongTimeAgo {
		err = ErrDontWait
	}
	return n, err
}

// connWrite writes all of p to the transport, the lock released, within
// the call's deadline, and returns the count written.
func (s *Socket) connWrite(c Caller, p []byte, cd callDL) (int, error) {
	dl := cd.at
	if !cd.wait {
		dl = aLongTimeAgo
	}
	var n int
	err := s.connCall(c, dirWrite, dl, func() (err error) {
		n, err = s.conn.Write(p)
		return err
	})
	if err == ErrTimeout && dl == aLongTimeAgo {
		err = ErrDontWait
	}
	return n, err
}

// connCall runs f, a blocking call of the transport, with the lock
// released and the transport's deadline in direction dir set to dl.
func (s *Socket) connCall(c Caller, dir int, dl time.Time, f func() error) error {
	if dir == dirRead {
		s.conn.SetReadDeadline(dl)
	} else {
		s.conn.SetWriteDeadline(dl)
	}
	s.armed[dir] = !dl.IsZero()
	ctx := s.host.WaitContext(c)
	if err := ctx.Err(); err != nil {
		return err // interrupted before the deadline above replaced its wake-up
	}
	stop := s.wakeOn(ctx, func() {
		if dir == dirRead {
			s.conn.SetReadDeadline(aLongTimeAgo)
		} else {
			s.conn.SetWriteDeadline(aLongTimeAgo)
		}
	})
	s.busy[dir]++
	s.host.Unlock(c)
	err := f()
	s.host.Lock(c)
	s.busy[dir]--
	if stop != nil && !stop() {
		s.armed[dir] = true
	}
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, ErrTimeout) {
		if s.group != nil && dl != aLongTimeAgo {
			s.group.timeouts.Add(1)
		}
		return ErrTimeout
	}
	return err
}

// StartTLS lays a TLS connection configured by cfg over the socket, as
// the client or (server) the server side, and runs its handshake within
// the call's deadline, with the interpreter lock released; Ctrl-C ends it.
// From then on the TLS connection is the socket's transport. Bytes already
// in the receive buffer are not part of the TLS stream: a socket with
// buffered bytes cannot start TLS.
func (s *Socket) StartTLS(c Caller, cfg *tls.Config, server bool) (*tls.Conn, error) {
	if s.conn != nil {
		return nil, errors.New("the socket already has a TLS layer")
	}
	if s.rbuf.len() > 0 {
		return nil, errors.New("bytes received before TLS started are still buffered")
	}
	var tc *tls.Conn
	if server {
		tc = tls.Server(s.NetConn(), cfg)
	} else {
		tc = tls.Client(s.NetConn(), cfg)
	}
	cd := s.callDeadline()
	dl := cd.at
	if !cd.wait {
		// In non-blocking mode a handshake cannot be done a piece at a
		// time here: give it the default of a blocking socket.
		dl = time.Time{}
	}
	s.file.SetDeadline(dl)
	s.armed = [2]bool{!dl.IsZero(), !dl.IsZero()}
	err := s.Unlocked(c, tc.Handshake)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && s.host.WaitContext(c).Err() == nil {
			return nil, ErrTimeout
		}
		return nil, err
	}
	s.conn = tc
	return tc, nil
}
