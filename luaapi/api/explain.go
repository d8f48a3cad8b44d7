package api

import (
	"fmt"
	"strings"
	"time"

	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// Errors that teach: an error keeps Python's form, and where its cause is
// a common mistake it also carries one line that explains it, worked out
// from the socket's state (err.explanation; socket.explain(err)). The
// runner prints that line under an uncaught error unless --explain=false.

// explainedSocket is a socket as an explanation sees it: any face's socket
// object that has the core's state, type and timeout (the Python face's).
type explainedSocket interface {
	State() core.State
	Type() int
	Timeout() time.Duration
}

// explainable is the socket v stands for, if it is one an explanation can
// look at, else nil.
func explainable(v lua.LValue) explainedSocket {
	if ud, ok := v.(*lua.LUserData); ok {
		if s, ok := ud.Value.(explainedSocket); ok {
			return s
		}
	}
	return nil
}

// explain is the explanation of e, raised by a call on s (nil if the call
// had no socket), or "" when there is nothing to add.
func explain(e *OSError, s explainedSocket) string {
	st := core.Created
	if s != nil {
		st = s.State()
	}
	op := e.Op
	// What the failed call was doing, as the registry declares it.
	does := DirectionOf(op)
	reading := does&Receives != 0
	sending := does&Sends != 0
	binding := does&Binds != 0
	connecting := does&Connects != 0
	switch {
	case does&Accepts != 0 && e.Name == "EINVAL" && st != core.Listening:
		return "accept() needs a listening socket: call listen() after bind() and before accept()"
	case (reading || sending) && st == core.Listening:
		return "this socket is listening: it only accepts connections. Talk on the socket accept() returns: local conn, addr = srv:accept(); conn:recv(1024)"
	case sending && e.Name == "EPIPE" && (st == core.WrShut || st == core.Shut):
		return "this socket shut down its sending side (shutdown(SHUT_WR)): it can still receive, but it cannot send any more"
	case reading && st == core.RdShut:
		return "this socket shut down its receiving side (shutdown(SHUT_RD))"
	case (reading || sending) && (e.Name == "EPIPE" || e.Name == "ENOTCONN") && (st == core.Created || st == core.Bound) && s != nil && s.Type() == unix.SOCK_STREAM:
		return "the socket is not connected: call connect() first, or use sendto()/recvfrom() on a datagram socket"
	case sending && e.Name == "EPIPE":
		return "the peer has closed the connection, so nothing more can be sent on it; close this socket too"
	case e.Name == "ECONNRESET":
		return "the peer closed the connection abruptly (it reset it): it crashed, was killed, or closed with unread data. A server should close this connection and carry on"
	case binding && e.Name == "EADDRINUSE":
		return "another socket holds this address: another program, another run of this script, or a server that just stopped, whose connections linger in TIME_WAIT for a minute. " +
			"Set SO_REUSEADDR before bind() to reuse the port at once: sock:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)"
	case binding && e.Name == "EADDRNOTAVAIL":
		return "that address is not one of this machine's: bind to \"\" (every address), \"127.0.0.1\" or an address this machine has"
	case binding && e.Name == "EACCES":
		return "ports below 1024 are for root: use a port of 1024 or more"
	case (reading || sending) && e.Name == "ECONNREFUSED" && s != nil && s.Type() == unix.SOCK_DGRAM:
		return "nothing listened on the peer's port when an earlier datagram of this socket got there: the peer's host answered with an ICMP \"port unreachable\" message, " +
			"which the kernel hands to this connected socket as an error on its next call. Is the server running, on this port?"
	case connecting && e.Name == "ECONNREFUSED":
		return "nothing is listening on that port of that host: is the server running, on this port, and listening on that address?"
	case connecting && e.Name == "ETIMEDOUT":
		return "the host did not answer in time: it may be down, unreachable, or dropping the connection silently (a firewall)"
	case (reading || sending || op == "getpeername") && e.Name == "ENOTCONN" && (st == core.Created || st == core.Bound):
		return "the socket is not connected: call connect() first, or use sendto()/recvfrom() on a datagram socket"
	case connecting && e.Name == "EISCONN":
		return "the socket is already connected: one socket makes one connection; make a new socket for another"
	case e.Name == "EBADF" && st == core.Closed:
		return "the socket is closed: close() was called on it, or the thread it was passed to ended"
	case e.Class == "socket.gaierror" && e.Name == "EAI_NONAME":
		return "the name could not be found: check its spelling, or use an IP address such as \"127.0.0.1\""
	case e.Class == "TimeoutError" && reading && s != nil && s.Timeout() > 0:
		return fmt.Sprintf("nothing arrived within the socket's timeout (%g s, set with settimeout)", s.Timeout().Seconds())
	case e.Class == "BlockingIOError" && s != nil && s.Timeout() == 0:
		return "the socket is non-blocking (setblocking(false) or settimeout(0)): the call would have had to wait. Wait with select.select (require \"select\"), or give the socket a timeout"
	}
	return ""
}

// Explanation is the explanation an error value carries, "" if none.
func Explanation(v lua.LValue) string {
	if t, ok := v.(*lua.LTable); ok {
		return lua.LVAsString(t.RawGetString("explanation"))
	}
	return ""
}

// Note prints a one-line note to standard error, once per run and kind,
// unless explanations are off: for what is not an error but surprises
// learners (a datagram cut short).
// Called with the interpreter lock held; it does not wait for the write.
func (vm *VM) Note(kind, format string, args ...any) {
	if vm.cfg.NoExplain || vm.noted[kind] {
		return
	}
	if vm.noted == nil {
		vm.noted = map[string]bool{}
	}
	vm.noted[kind] = true
	msg := fmt.Sprintf(format, args...)
	// Through standard error's Stream, in order with the script's own
	// writes there, and never waiting for a reader that stalled.
	StreamOf(vm.host.Stderr()).Send(vm.Log(Message{Kind: "note", Text: strings.TrimSpace(msg),
		Worker: vm.worker(), Fields: map[string]any{"note": kind}}))
}
