package luasocket

// The LuaSocket face: socket objects as LuaSocket 3.x has them (tcp, udp,
// unix stream and datagram), over the same socket core as the Python face.
// What differs is the face only: objects change class as LuaSocket's do
// (tcp{master} → tcp{client} or tcp{server}), errors are returned as
// nil, "timeout" | "closed" | message instead of raised, receive takes
// LuaSocket's patterns, and settimeout has LuaSocket's block and total
// modes, which map onto the core's bound on each wait and its absolute
// deadline. This file is the objects and their methods; luasocket_lib.go
// is the module's functions, luasocket_opts.go the named options.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// lsKind is the kind of a LuaSocket object: what socket.tcp, socket.udp,
// socket.unix.stream and socket.unix.dgram make.
type lsKind uint8

const (
	lsTCP lsKind = iota
	lsUDP
	lsUnix
	lsUnixDgram
)

// The classes of LuaSocket objects, which are also the names of their
// metatables, as LuaSocket names them.
const (
	tcpMaster            = "tcp{master}"
	tcpClient            = "tcp{client}"
	tcpServer            = "tcp{server}"
	udpUnconnected       = "udp{unconnected}"
	udpConnected         = "udp{connected}"
	unixMaster           = "unixstream{master}"
	unixClient           = "unixstream{client}"
	unixServer           = "unixstream{server}"
	unixdgramUnconnected = "unixdgram{unconnected}"
	unixdgramConnected   = "unixdgram{connected}"
)

// LuaSocket is a script's LuaSocket object: a class and LuaSocket's
// timeouts and counters, over a socket of the core. Its socket is nil
// until it has a descriptor: socket.tcp() and socket.udp() choose their
// family (IPv4 or IPv6) at the first bind or connect, as LuaSocket 3 does.
type LuaSocket struct {
	m      *Module
	ud     *lua.LUserData
	s      *core.Socket
	kind   lsKind
	family int
	class  string
	// block and total are settimeout's seconds; negative is none.
	block, total float64
	// received and sent count the bytes of receive and send (getstats).
	received, sent float64
	birthday       time.Time
	// start is when the current call started: its elapsed time is the
	// last result of receive and send in debug mode.
	start time.Time
}

// StateName is the core's state of the object's socket, for the call path.
func (ls *LuaSocket) StateName() string {
	if ls.s == nil {
		return "CREATED"
	}
	return ls.s.StateName()
}

// FD is the descriptor, -1 if none (not created yet, or closed).
func (ls *LuaSocket) FD() int {
	if ls.s == nil {
		return -1
	}
	return ls.s.FD()
}

// Endpoints are the addresses of the object's socket, for the call path;
// "" while it has none.
func (ls *LuaSocket) Endpoints() (local, peer string) {
	if ls.s == nil {
		return "", ""
	}
	return ls.s.Endpoints()
}

// Traffic is what the calls on the object's socket have moved, for the
// call path.
func (ls *LuaSocket) Traffic() core.Traffic {
	if ls.s == nil {
		return core.Traffic{}
	}
	return ls.s.Traffic()
}

// Buffered is the count of bytes received and not yet returned to the
// script.
func (ls *LuaSocket) Buffered() int {
	if ls.s == nil {
		return 0
	}
	return ls.s.Buffered()
}

// CoreSocket implements core.Holder: the object's socket, nil if none.
func (ls *LuaSocket) CoreSocket() *core.Socket { return ls.s }

// open reports whether the object has an open descriptor.
func (ls *LuaSocket) open() bool { return ls.s != nil && !ls.s.IsClosed() }

// newLuaSocket makes the Lua value of a LuaSocket object of class, with
// no descriptor yet.
func (m *Module) newLuaSocket(L *lua.LState, kind lsKind, family int, class string) *LuaSocket {
	ls := &LuaSocket{m: m, kind: kind, family: family, class: class, block: -1, total: -1, birthday: time.Now()}
	ls.ud = L.NewUserData()
	ls.ud.Value = ls
	L.SetMetatable(ls.ud, api.Metatable(L, class))
	return ls
}

// setClass changes the object's class, as LuaSocket's objects change
// theirs: a master becomes a client by connect, a server by listen.
func (ls *LuaSocket) setClass(L *lua.LState, class string) {
	if ls.class != class {
		ls.class = class
		L.SetMetatable(ls.ud, api.Metatable(L, class))
	}
}

// stype is the object's socket type.
func (ls *LuaSocket) stype() int {
	if ls.kind == lsTCP || ls.kind == lsUnix {
		return unix.SOCK_STREAM
	}
	return unix.SOCK_DGRAM
}

// create gives the object a new descriptor of family, closing the one it
// had. An IPv6 socket is IPv6 only, as LuaSocket makes it; in worker mode
// IP sockets get SO_REUSEPORT, as the Python face's do.
func (ls *LuaSocket) create(family int) error {
	m := ls.m
	s := new(core.Socket)
	if err := core.Open(m.vm, s, family, ls.stype(), 0); err != nil {
		return err
	}
	var err error
	if family == unix.AF_INET6 {
		err = s.SetsockoptInt(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}
	if err == nil && m.reusePort && family != unix.AF_UNIX {
		err = s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}
	if err != nil {
		s.Close()
		return err
	}
	m.vm.Group().Add(s, "")
	if ls.s != nil {
		ls.s.Close()
	}
	ls.s, ls.family = s, family
	return nil
}

// begin readies the object's socket for a call that may wait, as
// LuaSocket's timeout_markstart: a block timeout bounds each wait, a total
// timeout the call from now; either at zero makes the call not wait.
func (ls *LuaSocket) begin() *core.Socket {
	ls.start = time.Now()
	s := ls.s
	if ls.block == 0 || ls.total == 0 {
		s.SetTimeout(0)
	} else {
		s.SetTimeout(-1)
	}
	if ls.block > 0 {
		s.SetWaitTimeout(api.Seconds(ls.block))
	} else {
		s.SetWaitTimeout(0)
	}
	if ls.total > 0 {
		s.SetDeadline(ls.start.Add(api.Seconds(ls.total)))
	} else {
		s.SetDeadline(time.Time{})
	}
	return s
}

// elapsed pushes the call's elapsed seconds in debug mode (LuaSocket built
// with LUASOCKET_DEBUG returns it as the last value of receive and send)
// and returns n plus what it pushed.
func (ls *LuaSocket) elapsed(L *lua.LState, n int) int {
	if !ls.m.debug {
		return n
	}
	L.Push(lua.LNumber(time.Since(ls.start).Seconds()))
	return n + 1
}

// gaiMessages are LuaSocket's messages for name-resolution errors.
var gaiMessages = map[core.GaiError]string{
	core.EAINoName:     "host or service not provided, or not known",
	core.EAIAgain:      "temporary failure in name resolution",
	core.EAIFail:       "non-recoverable failure in name resolution",
	core.EAIFamily:     "ai_family not supported",
	core.EAIService:    "service not supported for socket type",
	core.EAIAddrFamily: "address family for hostname not supported",
}

// lsError is LuaSocket's message for err, the error of call fn:
// "timeout", "closed", "connection refused", ... (LuaSocket's
// socket_strerror), or the C library's message. An interrupted run
// raises instead: Ctrl-C ends a LuaSocket program as any other.
func (m *Module) lsError(L *lua.LState, err error, fn string) string {
	if ctx := m.vm.Context(); ctx.Err() != nil {
		m.vm.Raise(L, ctx.Err(), fn, "")
	}
	switch {
	case errors.Is(err, core.ErrTimeout), errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINPROGRESS):
		return "timeout"
	}
	e := api.ToOSError(context.TODO(), err, fn, "")
	switch {
	case e.Class == "TimeoutError":
		return "timeout"
	case e.Class == "socket.gaierror":
		if msg, ok := gaiMessages[core.GaiError(e.Errno)]; ok {
			return msg
		}
		return strings.ToLower(e.Message)
	case e.Errno == 0:
		return e.Message
	}
	switch errno := syscall.Errno(e.Errno); errno {
	case unix.EPIPE, unix.ECONNRESET, unix.ECONNABORTED, unix.EBADF:
		return "closed"
	case unix.ETIMEDOUT:
		return "timeout"
	case unix.EADDRINUSE:
		return "address already in use"
	case unix.EISCONN:
		return "already connected"
	case unix.EACCES:
		return "permission denied"
	case unix.ECONNREFUSED:
		return "connection refused"
	default:
		return api.Strerror(errno)
	}
}

// fail pushes nil and the message of err and returns 2.
func (m *Module) fail(L *lua.LState, err error, fn string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(m.lsError(L, err, fn)))
	return 2
}

// failMsg pushes nil and msg and returns 2.
func failMsg(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

// checkLS returns the LuaSocket object method fn was called on.
func checkLS(L *lua.LState, fn string) *LuaSocket {
	return api.CheckSelf[*LuaSocket](L, fn, "LuaSocket object", "sock")
}

// checkClass returns the object fn was called on, which must be of one of
// classes, as LuaSocket's auxiliar_checkclass.
func checkClass(L *lua.LState, fn string, classes ...string) *LuaSocket {
	ls := checkLS(L, fn)
	for _, c := range classes {
		if ls.class == c {
			return ls
		}
	}
	api.ArgError(L, 1, fn, classes[0]+" expected, got "+ls.class)
	return nil
}

// lsMethod is a method of the LuaSocket face's objects.
// It gets its module's state from its object (LuaSocket.m).
func lsMethod(self, name, args, summary string, fn lua.LGFunction) api.Func {
	return api.Fn(name, self+":"+name+"("+args+")", summary, fn)
}

// The methods of each kind of object, as LuaSocket 3.1 has them. Every
// class of a kind has all of its kind's methods; a method for another
// class raises "tcp{client} expected, got tcp{master}", as in LuaSocket.
var (
	tcpMethods = sync.OnceValue(func() []api.Func {
		return []api.Func{
			lsMethod("tcp", "accept", "", "waits for a connection; returns a tcp{client} object, or nil, err", lsAccept).
				Failing(api.ReturnsNilErr).Does(api.Accepts).Returns(api.Obj("tcp.client").As("tcp.client|nil"), api.T("string?").Named("err")),
			lsMethod("tcp", "bind", "address, port", "binds to a local address (\"*\": any); returns 1, or nil, err", lsBind).
				Failing(api.ReturnsNilErr).Does(api.Binds).Params(api.HostName, api.Port).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("tcp", "close", "", "closes the object's socket; returns 1", lsClose).
				Does(api.Closes).Returns(api.T("1")),
			lsMethod("tcp", "connect", "address, port", "connects to a remote address; returns 1, or nil, err", lsConnect).
				Failing(api.ReturnsNilErr).Does(api.Connects).Params(api.HostName, api.Port).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("tcp", "dirty", "", "true if received bytes wait in the object's buffer", lsDirty).
				Returns(api.Bool),
			lsMethod("tcp", "getfamily", "", "the family: \"inet4\" or \"inet6\"", lsGetfamily).
				Returns(api.T(`"inet4"|"inet6"`)),
			lsMethod("tcp", "getfd", "", "the descriptor, -1 if none", lsGetfd).
				Returns(api.Int),
			lsMethod("tcp", "getoption", "name", "the value of a named option, or nil, err", lsGetoption).
				Failing(api.ReturnsNilErr).Params(api.Str).Returns(api.Any, api.T("string?").Named("err")),
			lsMethod("tcp", "getpeername", "", "the peer's address, port and family, or nil, err", lsGetpeername).
				Failing(api.ReturnsNilErr).Returns(api.T("string|nil"), api.T("integer|string|nil").Named("port_or_err"), api.T("string?").Named("family")),
			lsMethod("tcp", "getsockname", "", "the local address, port and family, or nil, err", lsGetsockname).
				Failing(api.ReturnsNilErr).Returns(api.T("string|nil"), api.T("integer|string|nil").Named("port_or_err"), api.T("string?").Named("family")),
			lsMethod("tcp", "getstats", "", "bytes received, bytes sent, and the object's age in seconds", lsGetstats).
				Returns(api.Int.Named("received"), api.Int.Named("sent"), api.Num.Named("age")),
			lsMethod("tcp", "setstats", "received, sent, age", "resets the counters of getstats; returns 1", lsSetstats).
				Params(api.Int, api.Int, api.Num).Returns(api.T("1")),
			lsMethod("tcp", "gettimeout", "", "the block and total timeouts (-1: none)", lsGettimeout).
				Returns(api.Num.Named("block"), api.Num.Named("total")),
			lsMethod("tcp", "listen", "[backlog]", "makes a master a server that accepts connections; returns 1, or nil, err", lsListen).
				Failing(api.ReturnsNilErr).Does(api.Listens).Params(api.Int).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("tcp", "receive", "[pattern [, prefix]]", "reads a line (\"*l\"), everything (\"*a\") or n bytes; returns data, or nil, err, partial", lsReceive).
				Failing(api.ReturnsNilErr).Receives(api.Result(1).WithoutLineEnd()).Params(api.T(`"*l"|"*a"|integer`), api.Str).
				Returns(api.Data.As("string|nil"), api.T("string?").Named("err"), api.T("string?").Named("partial")),
			lsMethod("tcp", "send", "data [, i [, j]]", "sends data:sub(i, j); returns the index of the last byte sent, or nil, err, last", lsSend).
				Failing(api.ReturnsNilErr).Sends(api.Arg("data")).Params(api.Data, api.Index, api.Int).
				Returns(api.T("integer|nil"), api.T("string?").Named("err"), api.T("integer?").Named("last")),
			lsMethod("tcp", "setfd", "fd", "makes the object use a duplicate of descriptor fd", lsSetfd).
				Params(api.Int),
			lsMethod("tcp", "setoption", "name [, value]", "sets a named option; returns 1, or nil, err", lsSetoption).
				Failing(api.ReturnsNilErr).Params(api.Str, api.Any).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("tcp", "setpeername", "address, port", "the same as connect", lsConnect).
				Failing(api.ReturnsNilErr).Does(api.Connects).Params(api.HostName, api.Port).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("tcp", "setsockname", "address, port", "the same as bind", lsBind).
				Failing(api.ReturnsNilErr).Does(api.Binds).Params(api.HostName, api.Port).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("tcp", "settimeout", "value [, mode]", "sets the block (\"b\") or total (\"t\") timeout; nil or negative: none", lsSettimeout).
				Params(api.Timeout.As("number|nil"), api.T(`"b"|"t"`)).Returns(api.T("1")),
			lsMethod("tcp", "shutdown", "[mode]", "shuts down \"receive\", \"send\" or \"both\"; returns 1", lsShutdown).
				Does(api.Shuts).Params(api.T(`"receive"|"send"|"both"`)).Returns(api.T("1")),
		}
	})
	udpMethods = sync.OnceValue(func() []api.Func {
		return []api.Func{
			lsMethod("udp", "close", "", "closes the object's socket; returns 1", lsClose).
				Does(api.Closes).Returns(api.T("1")),
			lsMethod("udp", "dirty", "", "true if datagrams read ahead wait in the object's queue", lsDirty).
				Returns(api.T("false")),
			lsMethod("udp", "getfamily", "", "the family: \"inet4\" or \"inet6\"", lsGetfamily).
				Returns(api.T(`"inet4"|"inet6"`)),
			lsMethod("udp", "getfd", "", "the descriptor, -1 if none", lsGetfd).
				Returns(api.Int),
			lsMethod("udp", "getoption", "name", "the value of a named option, or nil, err", lsGetoption).
				Failing(api.ReturnsNilErr).Params(api.Str).Returns(api.Any, api.T("string?").Named("err")),
			lsMethod("udp", "getpeername", "", "the peer's address, port and family (connected only)", lsGetpeername).
				Failing(api.ReturnsNilErr).Returns(api.T("string|nil"), api.T("integer|string|nil").Named("port_or_err"), api.T("string?").Named("family")),
			lsMethod("udp", "getsockname", "", "the local address, port and family, or nil, err", lsGetsockname).
				Failing(api.ReturnsNilErr).Returns(api.T("string|nil"), api.T("integer|string|nil").Named("port_or_err"), api.T("string?").Named("family")),
			lsMethod("udp", "receive", "[size]", "waits for a datagram; returns up to size bytes of it (8192), or nil, err", lsUDPReceive).
				Failing(api.ReturnsNilErr).Receives(api.Result(1)).Params(api.Size).Returns(api.Data.As("string|nil"), api.T("string?").Named("err")),
			lsMethod("udp", "receivefrom", "[size]", "waits for a datagram; returns data, address, port (unconnected only)", lsUDPReceivefrom).
				Failing(api.ReturnsNilErr).Receives(api.Result(1)).Params(api.Size).Returns(api.Data.As("string|nil"), api.HostName.Named("address_or_err"), api.Port.As("integer?").Named("port")),
			lsMethod("udp", "send", "datagram", "sends a datagram to the peer (connected only); returns the count sent", lsUDPSend).
				Failing(api.ReturnsNilErr).Sends(api.Arg("datagram")).Params(api.Data).Returns(api.T("integer|nil"), api.T("string?").Named("err")),
			lsMethod("udp", "sendto", "datagram, address, port", "sends a datagram to a numeric address (unconnected only)", lsUDPSendto).
				Failing(api.ReturnsNilErr).Sends(api.Arg("datagram")).Params(api.Data, api.HostName, api.Port).Returns(api.T("integer|nil"), api.T("string?").Named("err")),
			lsMethod("udp", "setfd", "fd", "makes the object use a duplicate of descriptor fd", lsSetfd).
				Params(api.Int),
			lsMethod("udp", "setoption", "name [, value]", "sets a named option; returns 1, or nil, err", lsSetoption).
				Failing(api.ReturnsNilErr).Params(api.Str, api.Any).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("udp", "setpeername", "address [, port]", "connects to a peer (\"*\": disconnects); returns 1, or nil, err", lsUDPSetpeername).
				Failing(api.ReturnsNilErr).Does(api.Connects).Params(api.HostName, api.Port).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("udp", "setsockname", "address, port", "binds to a local address (\"*\": any); returns 1, or nil, err", lsBind).
				Failing(api.ReturnsNilErr).Does(api.Binds).Params(api.HostName, api.Port).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("udp", "settimeout", "value [, mode]", "sets the block (\"b\") or total (\"t\") timeout; nil or negative: none", lsSettimeout).
				Params(api.Timeout.As("number|nil"), api.T(`"b"|"t"`)).Returns(api.T("1")),
			lsMethod("udp", "gettimeout", "", "the block and total timeouts (-1: none)", lsGettimeout).
				Returns(api.Num.Named("block"), api.Num.Named("total")),
		}
	})
	unixMethods = sync.OnceValue(func() []api.Func {
		return []api.Func{
			lsMethod("unix", "accept", "", "waits for a connection; returns a unixstream{client} object, or nil, err", lsAccept).
				Failing(api.ReturnsNilErr).Does(api.Accepts).Returns(api.Obj("unix.client").As("unix.client|nil"), api.T("string?").Named("err")),
			lsMethod("unix", "bind", "path", "binds to a path; returns 1, or nil, err", lsBind).
				Failing(api.ReturnsNilErr).Does(api.Binds).Params(api.Address.As("string")).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unix", "close", "", "closes the object's socket; returns 1", lsClose).
				Does(api.Closes).Returns(api.T("1")),
			lsMethod("unix", "connect", "path", "connects to the socket at path; returns 1, or nil, err", lsConnect).
				Failing(api.ReturnsNilErr).Does(api.Connects).Params(api.Address.As("string")).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unix", "dirty", "", "true if received bytes wait in the object's buffer", lsDirty).
				Returns(api.Bool),
			lsMethod("unix", "getfd", "", "the descriptor, -1 if none", lsGetfd).
				Returns(api.Int),
			lsMethod("unix", "getoption", "name", "the value of a named option, or nil, err", lsGetoption).
				Failing(api.ReturnsNilErr).Params(api.Str).Returns(api.Any, api.T("string?").Named("err")),
			lsMethod("unix", "getpeername", "", "the peer's path, or nil, err", lsGetpeername).
				Failing(api.ReturnsNilErr).Returns(api.T("string|nil"), api.T("string?").Named("err")),
			lsMethod("unix", "getsockname", "", "the bound path, or nil, err", lsGetsockname).
				Failing(api.ReturnsNilErr).Returns(api.T("string|nil"), api.T("string?").Named("err")),
			lsMethod("unix", "getstats", "", "bytes received, bytes sent, and the object's age in seconds", lsGetstats).
				Returns(api.Int.Named("received"), api.Int.Named("sent"), api.Num.Named("age")),
			lsMethod("unix", "setstats", "received, sent, age", "resets the counters of getstats; returns 1", lsSetstats).
				Params(api.Int, api.Int, api.Num).Returns(api.T("1")),
			lsMethod("unix", "gettimeout", "", "the block and total timeouts (-1: none)", lsGettimeout).
				Returns(api.Num.Named("block"), api.Num.Named("total")),
			lsMethod("unix", "listen", "[backlog]", "makes a master a server that accepts connections; returns 1, or nil, err", lsListen).
				Failing(api.ReturnsNilErr).Does(api.Listens).Params(api.Int).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unix", "receive", "[pattern [, prefix]]", "as tcp:receive", lsReceive).
				Failing(api.ReturnsNilErr).Receives(api.Result(1).WithoutLineEnd()).Params(api.T(`"*l"|"*a"|integer`), api.Str).
				Returns(api.Data.As("string|nil"), api.T("string?").Named("err"), api.T("string?").Named("partial")),
			lsMethod("unix", "send", "data [, i [, j]]", "as tcp:send", lsSend).
				Failing(api.ReturnsNilErr).Sends(api.Arg("data")).Params(api.Data, api.Index, api.Int).
				Returns(api.T("integer|nil"), api.T("string?").Named("err"), api.T("integer?").Named("last")),
			lsMethod("unix", "setfd", "fd", "makes the object use a duplicate of descriptor fd", lsSetfd).
				Params(api.Int),
			lsMethod("unix", "setoption", "name [, value]", "sets a named option; returns 1, or nil, err", lsSetoption).
				Failing(api.ReturnsNilErr).Params(api.Str, api.Any).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unix", "setpeername", "path", "the same as connect", lsConnect).
				Failing(api.ReturnsNilErr).Does(api.Connects).Params(api.Address.As("string")).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unix", "setsockname", "path", "the same as bind", lsBind).
				Failing(api.ReturnsNilErr).Does(api.Binds).Params(api.Address.As("string")).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unix", "settimeout", "value [, mode]", "sets the block (\"b\") or total (\"t\") timeout", lsSettimeout).
				Params(api.Timeout.As("number|nil"), api.T(`"b"|"t"`)).Returns(api.T("1")),
			lsMethod("unix", "shutdown", "[mode]", "shuts down \"receive\", \"send\" or \"both\"; returns 1", lsShutdown).
				Does(api.Shuts).Params(api.T(`"receive"|"send"|"both"`)).Returns(api.T("1")),
		}
	})
	unixdgramMethods = sync.OnceValue(func() []api.Func {
		return []api.Func{
			lsMethod("unixdgram", "bind", "path", "binds to a path; returns 1, or nil, err", lsBind).
				Failing(api.ReturnsNilErr).Does(api.Binds).Params(api.Address.As("string")).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unixdgram", "close", "", "closes the object's socket; returns 1", lsClose).
				Does(api.Closes).Returns(api.T("1")),
			lsMethod("unixdgram", "connect", "path", "sets the peer datagrams go to; returns 1, or nil, err", lsUDPSetpeername).
				Failing(api.ReturnsNilErr).Does(api.Connects).Params(api.Address.As("string")).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unixdgram", "dirty", "", "false: a datagram socket buffers nothing", lsDirty).
				Returns(api.T("false")),
			lsMethod("unixdgram", "getfd", "", "the descriptor, -1 if none", lsGetfd).
				Returns(api.Int),
			lsMethod("unixdgram", "getoption", "name", "the value of a named option, or nil, err", lsGetoption).
				Failing(api.ReturnsNilErr).Params(api.Str).Returns(api.Any, api.T("string?").Named("err")),
			lsMethod("unixdgram", "getpeername", "", "the peer's path (connected only)", lsGetpeername).
				Failing(api.ReturnsNilErr).Returns(api.T("string|nil"), api.T("string?").Named("err")),
			lsMethod("unixdgram", "getsockname", "", "the bound path, or nil, err", lsGetsockname).
				Failing(api.ReturnsNilErr).Returns(api.T("string|nil"), api.T("string?").Named("err")),
			lsMethod("unixdgram", "receive", "[size]", "waits for a datagram; returns up to size bytes of it, or nil, err", lsUDPReceive).
				Failing(api.ReturnsNilErr).Receives(api.Result(1)).Params(api.Size).Returns(api.Data.As("string|nil"), api.T("string?").Named("err")),
			lsMethod("unixdgram", "receivefrom", "[size]", "waits for a datagram; returns data and the sender's path", lsUDPReceivefrom).
				Failing(api.ReturnsNilErr).Receives(api.Result(1)).Params(api.Size).Returns(api.Data.As("string|nil"), api.Address.As("string").Named("path_or_err")),
			lsMethod("unixdgram", "send", "datagram", "sends a datagram to the peer (connected only)", lsUDPSend).
				Failing(api.ReturnsNilErr).Sends(api.Arg("datagram")).Params(api.Data).Returns(api.T("integer|nil"), api.T("string?").Named("err")),
			lsMethod("unixdgram", "sendto", "datagram, path", "sends a datagram to the socket at path (unconnected only)", lsUDPSendto).
				Failing(api.ReturnsNilErr).Sends(api.Arg("datagram")).Params(api.Data, api.Address.As("string")).Returns(api.T("integer|nil"), api.T("string?").Named("err")),
			lsMethod("unixdgram", "setfd", "fd", "makes the object use a duplicate of descriptor fd", lsSetfd).
				Params(api.Int),
			lsMethod("unixdgram", "setoption", "name [, value]", "sets a named option; returns 1, or nil, err", lsSetoption).
				Failing(api.ReturnsNilErr).Params(api.Str, api.Any).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unixdgram", "setpeername", "path", "the same as connect", lsUDPSetpeername).
				Failing(api.ReturnsNilErr).Does(api.Connects).Params(api.Address.As("string")).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unixdgram", "setsockname", "path", "the same as bind", lsBind).
				Failing(api.ReturnsNilErr).Does(api.Binds).Params(api.Address.As("string")).Returns(api.T("1|nil"), api.T("string?").Named("err")),
			lsMethod("unixdgram", "settimeout", "value [, mode]", "sets the block (\"b\") or total (\"t\") timeout", lsSettimeout).
				Params(api.Timeout.As("number|nil"), api.T(`"b"|"t"`)).Returns(api.T("1")),
			lsMethod("unixdgram", "gettimeout", "", "the block and total timeouts (-1: none)", lsGettimeout).
				Returns(api.Num.Named("block"), api.Num.Named("total")),
		}
	})
)

// classSummaries say what each class of object is, for the editor
// definitions. Every class of a kind has all of its kind's methods, as
// in LuaSocket; one meant for another class (a master's accept) raises.
var classSummaries = map[string]string{
	tcpMaster:            "a TCP object (`tcp{master}`) before bind or connect: listen makes it a server, connect a client",
	tcpClient:            "a connected TCP object (`tcp{client}`): receive and send",
	tcpServer:            "a listening TCP object (`tcp{server}`): accept returns clients",
	udpUnconnected:       "a UDP object with no peer (`udp{unconnected}`): sendto and receivefrom",
	udpConnected:         "a UDP object with a peer (`udp{connected}`, setpeername): send and receive",
	unixMaster:           "a unix stream object (`unixstream{master}`) before bind or connect",
	unixClient:           "a connected unix stream object (`unixstream{client}`)",
	unixServer:           "a listening unix stream object (`unixstream{server}`)",
	unixdgramUnconnected: "a unix datagram object with no peer (`unixdgram{unconnected}`)",
	unixdgramConnected:   "a unix datagram object with a peer (`unixdgram{connected}`)",
}

// lsTypes are the registry's types of the LuaSocket face: one per class,
// each kind's classes sharing its methods.
func lsTypes() []*api.Type {
	kinds := []struct {
		methods func() []api.Func
		classes []string
	}{
		{tcpMethods, []string{tcpMaster, tcpClient, tcpServer}},
		{udpMethods, []string{udpUnconnected, udpConnected}},
		{unixMethods, []string{unixMaster, unixClient, unixServer}},
		{unixdgramMethods, []string{unixdgramUnconnected, unixdgramConnected}},
	}
	var types []*api.Type
	for _, k := range kinds {
		for _, c := range k.classes {
			types = append(types, &api.Type{
				Name:    c,
				Meta:    c,
				Summary: classSummaries[c],
				Methods: k.methods,
				Metamethods: map[string]lua.LGFunction{
					"__tostring": lsTostring,
				},
				Setup: setupClass(c),
			})
		}
	}
	return types
}

// setupClass is the Setup of class's type: its methods table looks as
// LuaSocket's, with a class field naming the class (sock.class ==
// "tcp{master}"), and nil for a name it lacks (libraries probe for
// methods: if sock.getfd then).
func setupClass(class string) func(L *lua.LState, mt *lua.LTable) {
	return func(L *lua.LState, mt *lua.LTable) {
		if methods, ok := mt.RawGetString("__index").(*lua.LTable); ok {
			methods.RawSetString("class", lua.LString(class))
			methods.Metatable = lua.LNil
		}
	}
}

// lsTostring is tostring(sock) as LuaSocket prints it: "tcp{master}: 0xc000123456".
func lsTostring(L *lua.LState) int {
	ls := checkLS(L, "__tostring")
	L.Push(lua.LString(fmt.Sprintf("%s: %p", ls.class, ls)))
	return 1
}

// lsPort reads a port argument: a number, a numeric string, or a service
// name ("http").
func (m *Module) lsPort(L *lua.LState, n int, fn string, network string) (int, error) {
	v := L.Get(n)
	if p, ok := api.ToPort(v); ok {
		return p, nil
	}
	if s, ok := v.(lua.LString); ok {
		if port, ok := core.ServicePort(string(s), network); ok {
			return port, nil
		}
		return 0, core.EAIService
	}
	if v == lua.LNil {
		api.ArgError(L, n-1, fn, "string expected, got no value")
	}
	api.ArgError(L, n-1, fn, "string expected, got "+api.TypeName(v))
	return 0, nil
}

// resolve turns host into the addresses to try, of family (AF_UNSPEC:
// either), as LuaSocket's getaddrinfo does: "*" (with passive) is the any
// address, "" is no host at all.
func (m *Module) resolve(L *lua.LState, family int, host string, passive bool) ([]netip.Addr, error) {
	if passive && host == "*" {
		if family == unix.AF_INET6 {
			return []netip.Addr{netip.IPv6Unspecified()}, nil
		}
		return []netip.Addr{netip.IPv4Unspecified()}, nil
	}
	if host == "" {
		return nil, core.EAINoName
	}
	ips, err := core.Lookup(m.vm, L, family, host)
	if err != nil {
		return nil, err
	}
	return ips, nil
}

// lsBind is sock:bind(address, port) (also setsockname), or
// sock:bind(path) for a unix socket: binds the socket to a local address,
// trying each address the name resolves to, as LuaSocket does. Returns 1,
// or nil and the error.
func lsBind(L *lua.LState) int {
	ls := checkClass(L, "bind", tcpMaster, udpUnconnected, unixMaster, unixdgramUnconnected, udpConnected, unixdgramConnected)
	m := ls.m
	if ls.kind == lsUnix || ls.kind == lsUnixDgram {
		path := api.CheckBytes(L, 2, "bind", 1)
		if len(path) > core.MaxUnixPath {
			return failMsg(L, "path too long")
		}
		if !ls.open() {
			if err := ls.create(unix.AF_UNIX); err != nil {
				return m.fail(L, err, "bind")
			}
		}
		if err := ls.s.Bind(&unix.SockaddrUnix{Name: path}); err != nil {
			return m.fail(L, err, "bind")
		}
		L.Push(lua.LNumber(1))
		return 1
	}
	host := api.CheckBytes(L, 2, "bind", 1)
	network := "tcp"
	if ls.kind == lsUDP {
		network = "udp"
	}
	port, err := m.lsPort(L, 3, "bind", network)
	if err != nil {
		return m.fail(L, err, "bind")
	}
	ips, err := m.resolve(L, ls.family, host, true)
	if err != nil {
		return m.fail(L, err, "bind")
	}
	if err := ls.bindTo(ips, port); err != nil {
		return m.fail(L, err, "bind")
	}
	L.Push(lua.LNumber(1))
	return 1
}

// bindTo binds to the first of ips that takes the bind, making a socket of
// the address's family when the object has none or one of the other.
func (ls *LuaSocket) bindTo(ips []netip.Addr, port int) error {
	var err error
	for _, ip := range ips {
		fam := core.FamilyOf(ip)
		if !ls.open() || ls.family != fam {
			if err = ls.create(fam); err != nil {
				continue
			}
		}
		var sa unix.Sockaddr
		if sa, err = core.ToSockaddr(fam, ip, port); err == nil {
			if err = ls.s.Bind(sa); err == nil {
				return nil
			}
		}
	}
	return err
}

// lsConnect is sock:connect(address, port) (also setpeername), or
// sock:connect(path) for a unix socket: connects, trying each address the
// name resolves to until one answers, within the object's timeouts. The
// object becomes a client even if it fails (a non-blocking connect is
// under way), as in LuaSocket. Returns 1, or nil and the error
// ("timeout" for a connect under way in non-blocking mode).
func lsConnect(L *lua.LState) int {
	ls := checkLS(L, "connect")
	m := ls.m
	if ls.kind == lsUnix {
		path := api.CheckBytes(L, 2, "connect", 1)
		var err error
		if !ls.open() {
			err = ls.create(unix.AF_UNIX)
		}
		if err == nil {
			err = ls.begin().Connect(L, &unix.SockaddrUnix{Name: path})
		}
		ls.setClass(L, unixClient)
		if err != nil {
			return m.fail(L, err, "connect")
		}
		L.Push(lua.LNumber(1))
		return 1
	}
	host := api.CheckBytes(L, 2, "connect", 1)
	port, err := m.lsPort(L, 3, "connect", "tcp")
	if err == nil {
		err = ls.connectTo(L, host, port)
	}
	ls.setClass(L, tcpClient)
	if err != nil {
		return m.fail(L, err, "connect")
	}
	L.Push(lua.LNumber(1))
	return 1
}

// connectTo connects to host's addresses in turn, as LuaSocket's
// inet_tryconnect: a new socket when the family changes or there is none;
// it stops at the first that connects, or at the first try in
// non-blocking mode.
func (ls *LuaSocket) connectTo(L *lua.LState, host string, port int) error {
	ips, err := ls.m.resolve(L, ls.family, host, false)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		fam := core.FamilyOf(ip)
		if !ls.open() || ls.family != fam {
			if err = ls.create(fam); err != nil {
				continue
			}
		}
		var sa unix.Sockaddr
		if sa, err = core.ToSockaddr(fam, ip, port); err != nil {
			continue
		}
		s := ls.begin()
		err = s.Connect(L, sa)
		if err == nil || ls.block == 0 || ls.total == 0 {
			break
		}
		if ls.m.vm.Context().Err() != nil {
			break
		}
	}
	if err == unix.EISCONN && ls.stype() == unix.SOCK_DGRAM {
		return nil
	}
	return err
}

// lsListen is sock:listen([backlog]): makes a master a server that accepts
// connections (backlog 32 by default, as LuaSocket). Returns 1, or nil and
// the error.
func lsListen(L *lua.LState) int {
	ls := checkClass(L, "listen", tcpMaster, unixMaster)
	m := ls.m
	backlog := api.OptInt(L, 2, "listen", 1, 32)
	if !ls.open() {
		return m.fail(L, unix.EBADF, "listen")
	}
	if err := ls.s.Listen(backlog); err != nil {
		return m.fail(L, err, "listen")
	}
	if ls.kind == lsUnix {
		ls.setClass(L, unixServer)
	} else {
		ls.setClass(L, tcpServer)
	}
	L.Push(lua.LNumber(1))
	return 1
}

// lsAccept is server:accept(): waits for a connection, within the server's
// timeouts, and returns a new client object (with no timeouts), or nil and
// the error ("timeout").
func lsAccept(L *lua.LState) int {
	ls := checkClass(L, "accept", tcpServer, unixServer)
	m := ls.m
	if !ls.open() {
		return m.fail(L, unix.EBADF, "accept")
	}
	conn := new(core.Socket)
	if _, err := ls.begin().Accept(L, conn); err != nil {
		return m.fail(L, err, "accept")
	}
	class := tcpClient
	if ls.kind == lsUnix {
		class = unixClient
	}
	c := m.newLuaSocket(L, ls.kind, ls.family, class)
	c.family = conn.Family()
	c.s = conn
	m.vm.Group().Add(conn, "")
	L.Push(c.ud)
	return 1
}

// lsClose is sock:close(): closes the object's socket. Returns 1.
func lsClose(L *lua.LState) int {
	ls := checkLS(L, "close")
	if ls.s != nil {
		if ls.open() {
			ls.m.vm.NoteUnread(ls.s.Unread())
		}
		ls.s.Close()
	}
	L.Push(lua.LNumber(1))
	return 1
}

// lsDirty is sock:dirty(): true if received bytes wait in the object's
// buffer, or datagrams read ahead in its queue, so that a receive returns
// without waiting.
func lsDirty(L *lua.LState) int {
	ls := checkLS(L, "dirty")
	L.Push(lua.LBool(ls.open() && ls.s.Readable()))
	return 1
}

// lsGetfamily is sock:getfamily(): "inet6" for an IPv6 socket, else "inet4".
func lsGetfamily(L *lua.LState) int {
	ls := checkLS(L, "getfamily")
	if ls.family == unix.AF_INET6 {
		L.Push(lua.LString("inet6"))
	} else {
		L.Push(lua.LString("inet4"))
	}
	return 1
}

// lsGetfd is sock:getfd(): the descriptor, or -1 if the object has none
// (closed, or not bound or connected yet).
func lsGetfd(L *lua.LState) int {
	L.Push(lua.LNumber(checkLS(L, "getfd").FD()))
	return 1
}

// lsSetfd is sock:setfd(fd): makes the object use a duplicate of
// descriptor fd (its own descriptor is closed); a negative fd leaves it
// with none. Returns nothing.
func lsSetfd(L *lua.LState) int {
	ls := checkLS(L, "setfd")
	m := ls.m
	fd := api.CheckInt(L, 2, "setfd", 1)
	if ls.s != nil {
		ls.s.Close()
		ls.s = nil
	}
	if fd < 0 {
		return 0
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return 0 // as LuaSocket: the object has a descriptor that is not one
	}
	s := new(core.Socket)
	if err := core.Adopt(m.vm, s, nfd, 0, 0, -1); err != nil {
		unix.Close(nfd)
		return 0
	}
	m.vm.Group().ShareDatagrams(s, fd)
	m.vm.Group().Add(s, "")
	ls.s = s
	if f := s.Family(); f == unix.AF_INET || f == unix.AF_INET6 {
		ls.family = f
	}
	return 0
}

// lsGetstats is sock:getstats(): the bytes received, the bytes sent, and
// the object's age in seconds.
func lsGetstats(L *lua.LState) int {
	ls := checkClass(L, "getstats", tcpClient, unixClient)
	L.Push(lua.LNumber(ls.received))
	L.Push(lua.LNumber(ls.sent))
	L.Push(lua.LNumber(time.Since(ls.birthday).Seconds()))
	return 3
}

// lsSetstats is sock:setstats(received, sent, age): resets getstats's
// counters (each optional). Returns 1.
func lsSetstats(L *lua.LState) int {
	ls := checkClass(L, "setstats", tcpClient, unixClient)
	if v, ok := L.Get(2).(lua.LNumber); ok {
		ls.received = float64(v)
	}
	if v, ok := L.Get(3).(lua.LNumber); ok {
		ls.sent = float64(v)
	}
	if v, ok := L.Get(4).(lua.LNumber); ok {
		ls.birthday = time.Now().Add(-api.Seconds(float64(v)))
	}
	L.Push(lua.LNumber(1))
	return 1
}

// lsSettimeout is sock:settimeout(value [, mode]): mode "b" (the default)
// bounds each wait of a call to value seconds, "t" the whole call; nil or
// a negative value removes that bound, 0 makes calls not wait. Returns 1.
func lsSettimeout(L *lua.LState) int {
	ls := checkLS(L, "settimeout")
	t := -1.0
	switch v := L.Get(2).(type) {
	case lua.LNumber:
		t = float64(v)
		if t != t {
			api.ArgError(L, 1, "settimeout", "number expected, got nan")
		}
	case *lua.LNilType:
	default:
		t = float64(api.CheckNumber(L, 2, "settimeout", 1))
	}
	mode := "b"
	if L.Get(3) != lua.LNil {
		mode = api.CheckBytes(L, 3, "settimeout", 1)
	}
	switch {
	case strings.HasPrefix(mode, "b"):
		ls.block = t
	case strings.HasPrefix(mode, "t"), strings.HasPrefix(mode, "r"):
		ls.total = t
	default:
		api.ArgError(L, 2, "settimeout", "invalid timeout mode")
	}
	if ls.block < 0 {
		ls.block = -1
	}
	if ls.total < 0 {
		ls.total = -1
	}
	L.Push(lua.LNumber(1))
	return 1
}

// lsGettimeout is sock:gettimeout(): the block and total timeouts, -1 for
// none.
func lsGettimeout(L *lua.LState) int {
	ls := checkLS(L, "gettimeout")
	L.Push(lua.LNumber(ls.block))
	L.Push(lua.LNumber(ls.total))
	return 2
}

// lsShutdown is client:shutdown([mode]): shuts down "receive", "send" or
// "both" (the default). Returns 1.
func lsShutdown(L *lua.LState) int {
	ls := checkClass(L, "shutdown", tcpClient, unixClient)
	how := unix.SHUT_RDWR
	if L.Get(2) != lua.LNil {
		switch m := api.CheckBytes(L, 2, "shutdown", 1); m {
		case "receive":
			how = unix.SHUT_RD
		case "send":
			how = unix.SHUT_WR
		case "both":
		default:
			api.ArgError(L, 1, "shutdown", "invalid option '"+m+"'")
		}
	}
	if ls.open() {
		ls.s.Shutdown(how)
	}
	L.Push(lua.LNumber(1))
	return 1
}

// addrResults pushes the address of sa as LuaSocket returns it: address,
// port and family for IP (the port a string for getsockname, a number for
// getpeername, as LuaSocket has it), the path for a unix socket.
func addrResults(L *lua.LState, sa unix.Sockaddr, portString bool) int {
	var ip netip.Addr
	var port int
	family := "inet"
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ip, port = netip.AddrFrom4(a.Addr), a.Port
	case *unix.SockaddrInet6:
		ip, port, family = netip.AddrFrom16(a.Addr), a.Port, "inet6"
	case *unix.SockaddrUnix:
		L.Push(lua.LString(core.UnixName(a)))
		return 1
	default:
		return failMsg(L, "unknown address family")
	}
	L.Push(lua.LString(core.IPString(ip)))
	if portString {
		L.Push(lua.LString(strconv.Itoa(port)))
	} else {
		L.Push(lua.LNumber(port))
	}
	L.Push(lua.LString(family))
	return 3
}

// lsGetsockname is sock:getsockname(): the local address, port (a string)
// and family ("inet" or "inet6"), or the path of a unix socket; nil and
// the error if it has none.
func lsGetsockname(L *lua.LState) int {
	ls := checkLS(L, "getsockname")
	m := ls.m
	if !ls.open() {
		return m.fail(L, unix.EBADF, "getsockname")
	}
	sa, err := ls.s.LocalAddr()
	if err != nil {
		return m.fail(L, err, "getsockname")
	}
	return addrResults(L, sa, true)
}

// lsGetpeername is sock:getpeername(): the peer's address, port and
// family, or its path; nil and the error if not connected.
func lsGetpeername(L *lua.LState) int {
	ls := checkLS(L, "getpeername")
	m := ls.m
	if ls.kind == lsUDP || ls.kind == lsUnixDgram {
		checkClass(L, "getpeername", udpConnected, unixdgramConnected)
	}
	if !ls.open() {
		return m.fail(L, unix.EBADF, "getpeername")
	}
	sa, err := ls.s.PeerAddr()
	if err != nil {
		return m.fail(L, err, "getpeername")
	}
	return addrResults(L, sa, false)
}

// lsReceive is client:receive([pattern [, prefix]]): "*l" (the default)
// reads a line and returns it without its end of line (every "\r" of it
// dropped, as LuaSocket does), "*a" reads to the end of the stream, a
// number n reads n bytes (less the prefix's length). prefix is returned
// before what is read. On an error it returns nil, the error ("closed",
// "timeout", ...) and what was read (after prefix): a later receive with
// that as prefix goes on where this one stopped.
func lsReceive(L *lua.LState) int {
	ls := checkClass(L, "receive", tcpClient, unixClient)
	m := ls.m
	prefix := ""
	if L.Get(3) != lua.LNil {
		prefix = api.CheckBytes(L, 3, "receive", 1)
	}
	ls.start = time.Now()
	var data string
	var err error
	switch p := L.Get(2).(type) {
	case lua.LNumber:
		data, err = ls.receiveCount(L, p, prefix)
	case *lua.LNilType:
		data, err = ls.receiveLine(L)
	case lua.LString:
		if f, perr := strconv.ParseFloat(strings.TrimSpace(string(p)), 64); perr == nil {
			data, err = ls.receiveCount(L, lua.LNumber(f), prefix)
			break
		}
		switch {
		case strings.HasPrefix(string(p), "*l"), strings.HasPrefix(string(p), "l"):
			data, err = ls.receiveLine(L)
		case strings.HasPrefix(string(p), "*a"), strings.HasPrefix(string(p), "a"):
			data, err = ls.receiveAll(L)
		default:
			api.ArgError(L, 1, "receive", "invalid receive pattern")
		}
	default:
		api.ArgError(L, 1, "receive", "invalid receive pattern")
	}
	ls.received += float64(len(data))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(m.lsError(L, err, "receive")))
		L.Push(lua.LString(prefix + data))
		return ls.elapsed(L, 3)
	}
	L.Push(lua.LString(prefix + data))
	L.Push(lua.LNil)
	L.Push(lua.LNil)
	return ls.elapsed(L, 3)
}

// errClosed is what a read that met the end of the stream (or a closed
// object) returns: LuaSocket's "closed".
var errClosed = unix.EBADF

// receiveCount reads n bytes less what prefix has: with prefix as long,
// nothing (receive(0) with no prefix waits until a byte or the end of the
// stream is there, and returns "", as LuaSocket).
func (ls *LuaSocket) receiveCount(L *lua.LState, n lua.LNumber, prefix string) (string, error) {
	if n < 0 || n != n {
		api.ArgError(L, 1, "receive", "invalid receive pattern")
	}
	want := int(math.Min(float64(n), math.MaxInt32))
	if prefix != "" && want <= len(prefix) {
		return "", nil
	}
	if !ls.open() {
		return "", errClosed
	}
	s := ls.begin()
	want -= len(prefix)
	if want == 0 {
		got, err := s.Recv(L, 1, unix.MSG_PEEK)
		if err == nil && got == "" {
			err = errClosed
		}
		return "", err
	}
	// One read of the core for the whole count: a long one goes on
	// without the interpreter lock.
	data, err := s.RecvExactly(L, want)
	var inc *core.IncompleteError
	switch {
	case errors.As(err, &inc):
		return inc.Partial, errClosed
	case err != nil:
		return ls.takeBuffered(L), err // what came is the partial result
	}
	return data, nil
}

// receiveLine reads up to "\n" and returns the line without it and without
// any "\r". On a timeout what came is returned (consumed) with the error.
func (ls *LuaSocket) receiveLine(L *lua.LState) (string, error) {
	if !ls.open() {
		return "", errClosed
	}
	s := ls.begin()
	line, err := s.RecvUntil(L, "\n", math.MaxInt)
	if err == nil {
		line = line[:len(line)-1]
	} else {
		var inc *core.IncompleteError
		if errors.As(err, &inc) {
			line, err = inc.Partial, errClosed
		} else {
			line = ls.takeBuffered(L)
		}
	}
	if strings.IndexByte(line, '\r') >= 0 {
		line = strings.ReplaceAll(line, "\r", "")
	}
	return line, err
}

// receiveAll reads to the end of the stream: an error if nothing came
// before it ("closed"), as LuaSocket's "*a".
func (ls *LuaSocket) receiveAll(L *lua.LState) (string, error) {
	if !ls.open() {
		return "", errClosed
	}
	s := ls.begin()
	data, err := s.RecvAll(L)
	if err != nil {
		return ls.takeBuffered(L), err
	}
	if data == "" {
		return "", errClosed
	}
	return data, nil
}

// takeBuffered returns (and consumes) what a read that failed left in the
// receive buffer: LuaSocket returns it as the partial result.
func (ls *LuaSocket) takeBuffered(L *lua.LState) string {
	if ls.s == nil || ls.s.Buffered() == 0 {
		return ""
	}
	data, _ := ls.s.Recv(L, ls.s.Buffered(), 0)
	return data
}

// lsSend is client:send(data [, i [, j]]): sends data:sub(i, j), waiting
// within the object's timeouts, and returns the index of the last byte
// sent; on an error nil, the error ("closed", "timeout") and the index of
// the last byte sent, so that send(data, last+1) goes on.
func lsSend(L *lua.LState) int {
	ls := checkClass(L, "send", tcpClient, unixClient)
	m := ls.m
	data := api.CheckBytes(L, 2, "send", 1)
	size := len(data)
	i, j := 1, -1
	if L.Get(3) != lua.LNil {
		i = int(api.CheckNumber(L, 3, "send", 1))
	}
	if L.Get(4) != lua.LNil {
		j = int(api.CheckNumber(L, 4, "send", 1))
	}
	if i < 0 {
		i = size + i + 1
	}
	if j < 0 {
		j = size + j + 1
	}
	i = max(i, 1)
	j = min(j, size)
	ls.start = time.Now()
	sent := 0
	var err error
	if i <= j {
		if !ls.open() {
			err = errClosed
		} else {
			s := ls.begin()
			b := core.StringBytes(data[i-1 : j])
			for sent < len(b) {
				var n int
				n, err = s.Send(L, b[sent:], 0)
				sent += n
				if err != nil {
					break
				}
			}
		}
	}
	ls.sent += float64(sent)
	last := lua.LNumber(sent + i - 1)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(m.lsError(L, err, "send")))
		L.Push(last)
		return ls.elapsed(L, 3)
	}
	L.Push(last)
	L.Push(lua.LNil)
	L.Push(lua.LNil)
	return ls.elapsed(L, 3)
}

// lsUDPReceive is udp:receive([size]): waits (within the timeouts) for a
// datagram and returns up to size bytes of it (8192 by default; the rest
// of a longer datagram is dropped), or nil and the error.
func lsUDPReceive(L *lua.LState) int {
	ls := checkLS(L, "receive")
	m := ls.m
	size := 8192
	if L.Get(2) != lua.LNil {
		size = int(api.CheckNumber(L, 2, "receive", 1))
	}
	if !ls.open() {
		return m.fail(L, errClosed, "receive")
	}
	data, err := ls.begin().Recv(L, size, 0)
	if err != nil {
		return m.fail(L, err, "receive")
	}
	L.Push(lua.LString(data))
	return 1
}

// lsUDPReceivefrom is udp:receivefrom([size]): as receive, and returns the
// sender too: data, address, port (data, path for a unix socket).
func lsUDPReceivefrom(L *lua.LState) int {
	ls := checkClass(L, "receivefrom", udpUnconnected, unixdgramUnconnected)
	m := ls.m
	size := 8192
	if L.Get(2) != lua.LNil {
		size = int(api.CheckNumber(L, 2, "receivefrom", 1))
	}
	if !ls.open() {
		return m.fail(L, errClosed, "receivefrom")
	}
	data, sa, err := ls.begin().RecvFrom(L, size, 0)
	if err != nil {
		return m.fail(L, err, "receivefrom")
	}
	L.Push(lua.LString(data))
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		L.Push(lua.LString(netip.AddrFrom4(a.Addr).String()))
		L.Push(lua.LNumber(a.Port))
		return 3
	case *unix.SockaddrInet6:
		L.Push(lua.LString(core.IPString(netip.AddrFrom16(a.Addr))))
		L.Push(lua.LNumber(a.Port))
		return 3
	case *unix.SockaddrUnix:
		L.Push(lua.LString(core.UnixName(a)))
		return 2
	}
	L.Push(lua.LString(""))
	return 2
}

// lsUDPSend is udp:send(datagram): sends a datagram to the peer of a
// connected object and returns the count sent, or nil and the error.
func lsUDPSend(L *lua.LState) int {
	ls := checkClass(L, "send", udpConnected, unixdgramConnected)
	m := ls.m
	data := api.CheckBytes(L, 2, "send", 1)
	if !ls.open() {
		return m.fail(L, errClosed, "send")
	}
	n, err := ls.begin().Send(L, core.StringBytes(data), 0)
	if err != nil {
		return m.fail(L, err, "send")
	}
	L.Push(lua.LNumber(n))
	return 1
}

// lsUDPSendto is udp:sendto(datagram, address, port) (unixdgram:sendto(
// datagram, path)): sends a datagram to a numeric address (no name
// lookup, as LuaSocket) and returns the count sent, or nil and the error.
func lsUDPSendto(L *lua.LState) int {
	ls := checkClass(L, "sendto", udpUnconnected, unixdgramUnconnected)
	m := ls.m
	data := api.CheckBytes(L, 2, "sendto", 1)
	var sa unix.Sockaddr
	if ls.kind == lsUnixDgram {
		path := api.CheckBytes(L, 3, "sendto", 1)
		if !ls.open() {
			if err := ls.create(unix.AF_UNIX); err != nil {
				return m.fail(L, err, "sendto")
			}
		}
		sa = &unix.SockaddrUnix{Name: path}
	} else {
		host := api.CheckBytes(L, 3, "sendto", 1)
		port, ok := api.ToPort(L.Get(4))
		if !ok {
			api.CheckBytes(L, 4, "sendto", 1)
			return failMsg(L, "Servname not supported for ai_socktype")
		}
		ip, literal, err := core.ParseLiteral(ls.family, host)
		if !literal || host == "" {
			return failMsg(L, "Name or service not known")
		}
		if err != nil {
			return failMsg(L, "Address family for hostname not supported")
		}
		fam := core.FamilyOf(ip)
		if !ls.open() {
			if err := ls.create(fam); err != nil {
				return m.fail(L, err, "sendto")
			}
		}
		if sa, err = core.ToSockaddr(ls.family, ip, port); err != nil {
			return failMsg(L, "Address family for hostname not supported")
		}
	}
	n, err := ls.begin().SendTo(L, core.StringBytes(data), 0, sa)
	if err != nil {
		return m.fail(L, err, "sendto")
	}
	L.Push(lua.LNumber(n))
	return 1
}

// lsUDPSetpeername is udp:setpeername(address, port) (unixdgram:connect(
// path)): sets the peer datagrams go to and come from, making the object
// connected; setpeername("*") removes it. Returns 1, or nil and the error.
func lsUDPSetpeername(L *lua.LState) int {
	ls := checkLS(L, "setpeername")
	m := ls.m
	target := api.CheckBytes(L, 2, "setpeername", 1)
	connected, unconnected := udpConnected, udpUnconnected
	if ls.kind == lsUnixDgram {
		connected, unconnected = unixdgramConnected, unixdgramUnconnected
	}
	if target == "*" {
		if ls.open() {
			err := ls.s.Control(func(fd int) error {
				// connect to an AF_UNSPEC address dissolves the association.
				sa := unix.RawSockaddr{Family: unix.AF_UNSPEC}
				_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
				if e != 0 && e != unix.EAFNOSUPPORT {
					return e
				}
				return nil
			})
			if err != nil {
				return m.fail(L, err, "setpeername")
			}
		}
		ls.setClass(L, unconnected)
		L.Push(lua.LNumber(1))
		return 1
	}
	var err error
	if ls.kind == lsUnixDgram {
		if !ls.open() {
			err = ls.create(unix.AF_UNIX)
		}
		if err == nil {
			err = ls.begin().Connect(L, &unix.SockaddrUnix{Name: target})
		}
	} else {
		var port int
		if port, err = m.lsPort(L, 3, "setpeername", "udp"); err == nil {
			err = ls.connectTo(L, target, port)
		}
	}
	if err != nil {
		return m.fail(L, err, "setpeername")
	}
	ls.setClass(L, connected)
	L.Push(lua.LNumber(1))
	return 1
}
