package pysocket

// The Python face: socket objects as Python's socket module has them, over
// the socket core (luaapi/core). Each method reads its arguments, calls the
// core, and turns the core's Go values and errors into Lua values and
// raised errors. socket.go is the module's functions; this file is the
// methods.

import (
	"fmt"
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// Socket is a script's Python-style socket object: the core's socket and
// the Lua value that stands for it.
type Socket struct {
	core.Socket
	m  *Module
	ud *lua.LUserData
	// tls is the socket's TLS layer once an ssl context wrapped it (the
	// ssl module's), nil for a plain socket.
	tls TLS
}

// TLS is a socket's TLS layer (the ssl module's), as the socket's own
// calls see it.
type TLS interface {
	// Accepted lays the layer over conn, which a listening socket with
	// this layer accepted, and runs its handshake; it raises what goes
	// wrong.
	Accepted(L *lua.LState, conn *Socket)
	// Connected runs the handshake of s, whose connect succeeded, if it
	// is due.
	Connected(L *lua.LState, s *Socket)
}

// TLS is the socket's TLS layer, nil for a plain socket.
func (s *Socket) TLS() TLS { return s.tls }

// SetTLS lays t over the socket.
func (s *Socket) SetTLS(t TLS) { s.tls = t }

// Value is the socket's Lua value.
func (s *Socket) Value() *lua.LUserData { return s.ud }

// VM is the VM the socket belongs to.
func (s *Socket) VM() *api.VM { return s.m.vm }

// SetClass makes the socket an object of the type whose metatable is
// named meta (an SSL socket: "ssl.socket"), keeping its fields.
func (s *Socket) SetClass(L *lua.LState, meta string) {
	L.SetMetatable(s.ud, s.m.socketMeta(L, s, meta))
}

const socketMetaName = "socket.socket"

// newSocket makes s's Lua value (a Python-style socket object), gives it
// the default timeout, and tracks it so the run closes it at the end.
func (py *Module) newSocket(L *lua.LState, s *Socket) *Socket {
	s.m = py
	s.SetTimeout(py.defaultTimeout)
	s.ud = L.NewUserData()
	s.ud.Value = s
	L.SetMetatable(s.ud, py.socketMeta(L, s, socketMetaName))
	where := ""
	if py.report {
		where = api.ScriptWhere(L)
	}
	py.vm.Group().Add(&s.Socket, where)
	return s
}

// socketMetaKey names the metatable shared by the sockets of one kind.
type socketMetaKey struct {
	meta                 string
	family, stype, proto int
}

// socketMeta is the metatable of sockets of s's family, type and protocol
// under the registry's type metatable meta: its __index is a table of the
// fields sock.family, sock.type and sock.proto and of every method, whose
// own __index is the type's methods table (a method added there later is
// found, and a name that is neither raises its "no method" error). A
// method call then costs one lookup in the metatable and one in that
// table: a Go __index function would cost a call on every method call,
// and a fields table chained to the methods table two lookups more. The
// sockets of a kind share one metatable, so a socket costs nothing more.
func (py *Module) socketMeta(L *lua.LState, s *Socket, meta string) *lua.LTable {
	key := socketMetaKey{meta, s.Family(), s.Type(), s.Proto()}
	if mt, ok := py.metas[key]; ok {
		return mt
	}
	base := api.Metatable(L, meta).(*lua.LTable)
	mt := L.NewTable()
	base.ForEach(func(k, v lua.LValue) { mt.RawSet(k, v) })
	methods := base.RawGetString("__index")
	var fields *lua.LTable
	if m, ok := methods.(*lua.LTable); ok {
		n := 3
		m.ForEach(func(lua.LValue, lua.LValue) { n++ })
		fields = L.CreateTable(0, n)
		m.ForEach(func(k, v lua.LValue) { fields.RawSet(k, v) })
	} else {
		fields = L.CreateTable(0, 3)
	}
	fields.RawSetString("family", lua.LNumber(key.family))
	fields.RawSetString("type", lua.LNumber(key.stype))
	fields.RawSetString("proto", lua.LNumber(key.proto))
	L.SetMetatable(fields, L.SetFuncs(L.NewTable(), nil))
	L.GetMetatable(fields).(*lua.LTable).RawSetString("__index", methods)
	mt.RawSetString("__index", fields)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		api.Misuse(L, "cannot set '%s' of a socket: its fields are read-only", L.ToStringMeta(L.Get(2)).String())
		return 0
	}))
	if py.metas == nil {
		py.metas = map[socketMetaKey]*lua.LTable{}
	}
	py.metas[key] = mt
	return mt
}

// CoreSocket implements core.Holder: the socket of the core under s.
func (s *Socket) CoreSocket() *core.Socket { return &s.Socket }

// ObjectType implements api.Object: a socket is "socket" in messages.
func (s *Socket) ObjectType() string { return "socket" }

// Serving implements api.Served: the peer's address, else the local one.
func (s *Socket) Serving() string {
	if p := s.PeerString(); p != "" {
		return p
	}
	return s.LocalString()
}

// closeFD closes the socket once; threads blocked on it wake up with
// EBADF. Safe from any goroutine.
func (s *Socket) closeFD() {
	s.Close()
}

// SocketType is the Python-style socket object.
var SocketType = &api.Type{
	Name:    "socket",
	Meta:    socketMetaName,
	Summary: "a socket object, as Python's",
	Values: []api.Value{
		{Name: "family", Type: "integer", Summary: "the family: `socket.AF_INET`, ... (read-only)"},
		{Name: "type", Type: "integer", Summary: "the type: `socket.SOCK_STREAM`, ... (read-only)"},
		{Name: "proto", Type: "integer", Summary: "the protocol (read-only)"},
	},
	Methods: func() []api.Func {
		return []api.Func{
			api.Method("bind", "sock:bind(address)", "binds the socket to a local address", (*Module).socketBind).
				Does(api.Binds).Params(api.Address).Or("sock:bind(host, port)", api.HostName, api.Port.As("integer")),
			api.Method("listen", "sock:listen([backlog])", "makes the socket accept connections", (*Module).socketListen).
				Does(api.Listens).Params(api.Int),
			api.Method("accept", "sock:accept()", "waits for a connection; returns conn, address", (*Module).socketAccept).
				Does(api.Accepts).Returns(api.Obj("socket.socket").Named("conn"), api.Address.As("socket.address|string").Named("address")),
			api.Method("connect", "sock:connect(address)", "connects to a remote address", (*Module).socketConnect).
				Does(api.Connects).Params(api.Address).Or("sock:connect(host, port)", api.HostName, api.Port.As("integer")),
			api.Method("connect_ex", "sock:connect_ex(address)", "connects; returns 0 or the errno instead of raising", (*Module).socketConnectEx).
				Does(api.Connects).Failing(api.ReturnsErrno).Params(api.Address).Returns(api.Int.Named("errno")).
				Or("sock:connect_ex(host, port)", api.HostName, api.Port.As("integer")),
			api.Method("send", "sock:send(data [, flags])", "sends what the kernel takes now; returns the count sent", (*Module).socketSend).
				Sends(api.Arg("data")).Params(api.Data, api.Flags("MSG_*")).Returns(api.Int),
			api.Method("sendall", "sock:sendall(data [, flags])", "sends all of data, waiting as needed", (*Module).socketSendall).
				Sends(api.Arg("data")).Params(api.Data, api.Flags("MSG_*")),
			api.Method("recv", "sock:recv(bufsize [, flags])", "waits for data; returns up to bufsize bytes, \"\" at end of stream", (*Module).socketRecv).
				Receives(api.Result(1)).Params(api.Size, api.Flags("MSG_*")).Returns(api.Data),
			api.Method("sendto", "sock:sendto(data, [flags,] address)", "sends a datagram to address; returns the count sent", (*Module).socketSendto).
				Sends(api.Arg("data")).Params(api.Data, api.Flags("MSG_*"), api.Address).Returns(api.Int),
			api.Method("recvfrom", "sock:recvfrom(bufsize [, flags])", "waits for a datagram; returns data, address", (*Module).socketRecvfrom).
				Receives(api.Result(1)).Params(api.Size, api.Flags("MSG_*")).Returns(api.Data.Named("data"), api.Address.As("socket.address|string|nil").Named("address")),
			api.Method("shutdown", "sock:shutdown(how)", "shuts down reading (SHUT_RD), writing (SHUT_WR) or both (SHUT_RDWR)", (*Module).socketShutdown).
				Does(api.Shuts).Params(api.OneOf("SHUT_*")),
			api.Method("close", "sock:close()", "closes the socket", (*Module).socketClose).
				Does(api.Closes),
			api.Fn("settimeout", "sock:settimeout(seconds)", "nil blocks, 0 is non-blocking, seconds a deadline for each call", socketSettimeout).
				Params(api.Timeout.As("number?")),
			api.Fn("gettimeout", "sock:gettimeout()", "the timeout in seconds, or nil", socketGettimeout).
				Returns(api.T("number?")),
			api.Fn("setblocking", "sock:setblocking(flag)", "true is settimeout(nil), false settimeout(0)", socketSetblocking).
				Params(api.T("boolean|integer")),
			api.Fn("getblocking", "sock:getblocking()", "false in non-blocking mode", socketGetblocking).
				Returns(api.Bool),
			api.Method("setsockopt", "sock:setsockopt(level, option, value)", "sets a socket option", (*Module).socketSetsockopt).
				Params(api.OneOf("SOL_*"), api.OneOf("SO_*"), api.T("integer|boolean|string|{[1]: integer, [2]: integer}")),
			api.Method("getsockopt", "sock:getsockopt(level, option [, buflen])", "an option's value, or buflen raw bytes of it", (*Module).socketGetsockopt).
				Params(api.OneOf("SOL_*"), api.OneOf("SO_*"), api.Size).Returns(api.T("integer|string")),
			api.Method("getsockname", "sock:getsockname()", "the local address", (*Module).socketGetsockname).
				Returns(api.Address.As("socket.address|string")),
			api.Method("getpeername", "sock:getpeername()", "the remote address", (*Module).socketGetpeername).
				Returns(api.Address.As("socket.address|string")),
			api.Fn("fileno", "sock:fileno()", "the descriptor, or -1 once closed", socketFileno).
				Returns(api.Int),
			api.Method("recv_exactly", "sock:recv_exactly(n)", "exactly n bytes; raises EOFError with err.partial if the stream ends first", (*Module).socketRecvExactly).
				Receives(api.Result(1)).Params(api.Size).Returns(api.Data),
			api.Method("recvline", "sock:recvline([max])", "the next line without its end of line, nil at the end of the stream", (*Module).socketRecvline).
				Receives(api.Result(1).WithoutLineEnd()).Params(api.Size).Returns(api.Data.As("string?")),
			api.Method("recvuntil", "sock:recvuntil(delim [, max])", "the bytes up to and including delim", (*Module).socketRecvuntil).
				Receives(api.Result(1)).Params(api.Str, api.Size).Returns(api.Data),
			api.Method("lines", "sock:lines([max])", "an iterator over the lines received", (*Module).socketLines).
				Receives(api.FromIterator).Params(api.Size).Returns(api.T("fun(): string?")),
			api.Fn("makefile", "sock:makefile([mode])", "a buffered file over the socket, as Python's: \"r\" (default), \"w\", \"rw\"", socketMakefile).
				Params(api.Str).Returns(api.Obj("socket.file")),
			api.Method("dup", "sock:dup()", "a new socket object on a duplicate of the descriptor", (*Module).socketDup).
				Does(api.Opens).Returns(api.Obj("socket.socket")),
			api.Method("sendfile", "sock:sendfile(file [, offset [, count]])", "sends a file (a path or an io file) and returns the count sent", (*Module).socketSendfile).
				Sends(api.Arg("file")).Params(api.File, api.Int, api.Int).Returns(api.Int),
			api.Method("sendmsg", "sock:sendmsg(buffers [, ancdata [, flags [, address]]])", "sends buffers with ancillary data; returns the count sent", (*Module).socketSendmsg).
				Sends(api.Arg("buffers")).Params(api.Data.As("string|string[]"), api.T("socket.ancdata[]"), api.Flags("MSG_*"), api.Address).Returns(api.Int),
			api.Method("recvmsg", "sock:recvmsg(bufsize [, ancbufsize [, flags]])", "receives data and ancillary data: data, ancdata, msg_flags, address", (*Module).socketRecvmsg).
				Receives(api.Result(1)).Params(api.Size, api.Size, api.Flags("MSG_*")).
				Returns(api.Data.Named("data"), api.T("socket.ancdata[]").Named("ancdata"), api.Int.Named("msg_flags"), api.Address.As("socket.address|string|nil").Named("address")),
		}
	},
	Metamethods: map[string]lua.LGFunction{
		"__tostring": socketTostring,
		"__eq": func(L *lua.LState) int {
			a, _ := L.CheckUserData(1).Value.(*Socket)
			b, _ := L.CheckUserData(2).Value.(*Socket)
			L.Push(lua.LBool(a != nil && a == b))
			return 1
		},
	},
}

// CheckSocket returns the open socket that method fn was called on.
func CheckSocket(L *lua.LState, fn string) *Socket {
	s := CheckSocketAny(L, fn)
	if s.IsClosed() {
		s.m.vm.Raise(L, unix.EBADF, fn, "")
	}
	return s
}

// CheckSocketAny returns the socket fn was called on, open or closed. (Its
// own type assertion first: api.CheckSelf's, generic, looks the type up
// in its dictionary on every socket call.)
func CheckSocketAny(L *lua.LState, fn string) *Socket {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if s, ok := ud.Value.(*Socket); ok {
			return s
		}
	}
	return api.CheckSelf[*Socket](L, fn, "socket", "sock")
}

// socketBind is sock:bind(address) or sock:bind(host, port): binds the
// socket to a local address. Returns nothing.
func (py *Module) socketBind(L *lua.LState) int {
	s := CheckSocket(L, "bind")
	a, _ := checkAddr(L, s.Family(), 2, "bind", 1)
	sa, err := py.sockaddrOf(L, s.Family(), a)
	if err == nil {
		err = s.Bind(sa)
	}
	if err != nil {
		py.vm.Raise(L, err, "bind", a.String())
	}
	return 0
}

// socketListen is sock:listen([backlog]): makes the socket accept
// connections. Returns nothing.
func (py *Module) socketListen(L *lua.LState) int {
	s := CheckSocket(L, "listen")
	backlog := api.OptInt(L, 2, "listen", 1, 128)
	if err := s.Listen(backlog); err != nil {
		py.vm.Raise(L, err, "listen", s.LocalString())
	}
	return 0
}

// socketAccept is sock:accept(): waits for a connection and returns conn,
// address.
func (py *Module) socketAccept(L *lua.LState) int {
	s := CheckSocket(L, "accept")
	conn := &Socket{}
	sa, err := s.Accept(L, &conn.Socket)
	if err != nil {
		py.vm.Raise(L, err, "accept", s.LocalString())
	}
	py.newSocket(L, conn)
	if s.tls != nil {
		// An SSL listening socket hands out SSL sockets, handshake done.
		ok := false
		defer func() {
			if !ok {
				conn.closeFD()
			}
		}()
		s.tls.Accepted(L, conn)
		ok = true
	}
	L.Push(conn.ud)
	L.Push(py.addrValue(L, sa))
	return 2
}

// connect connects s to a, waiting (lock released) for the handshake.
func (py *Module) connect(L *lua.LState, s *Socket, a addrArg) error {
	sa, err := py.sockaddrOf(L, s.Family(), a)
	if err != nil {
		return err
	}
	return s.Connect(L, sa)
}

// socketConnect is sock:connect(address) or sock:connect(host, port):
// connects to a remote address. Returns nothing.
func (py *Module) socketConnect(L *lua.LState) int {
	s := CheckSocket(L, "connect")
	a, _ := checkAddr(L, s.Family(), 2, "connect", 1)
	if err := py.connect(L, s, a); err != nil {
		py.vm.Raise(L, err, "connect", a.String())
	}
	if s.tls != nil {
		s.tls.Connected(L, s)
	}
	return 0
}

// socketConnectEx is sock:connect_ex(address): as connect, but returns the
// errno (0 on success) instead of raising.
func (py *Module) socketConnectEx(L *lua.LState) int {
	s := CheckSocket(L, "connect_ex")
	a, _ := checkAddr(L, s.Family(), 2, "connect_ex", 1)
	err := py.connect(L, s, a)
	if err == nil {
		L.Push(lua.LNumber(0))
		return 1
	}
	e := api.ToOSError(py.vm.CallContext(L), err, "connect_ex", a.String())
	if e.Class == "KeyboardInterrupt" || e.Class == "socket.gaierror" {
		py.vm.Raise(L, e, "connect_ex", a.String())
	}
	L.Push(lua.LNumber(e.Errno))
	return 1
}

// socketSend is sock:send(data [, flags]): sends what the kernel takes now
// (waiting until it takes something) and returns the count of bytes sent.
func (py *Module) socketSend(L *lua.LState) int {
	s := CheckSocket(L, "send")
	data := api.CheckBytes(L, 2, "send", 1)
	flags := api.OptInt(L, 3, "send", 1, 0)
	n, err := s.Send(L, core.StringBytes(data), flags)
	if err != nil {
		py.vm.Raise(L, err, "send", s.PeerString())
	}
	L.Push(py.count(n))
	return 1
}

// socketSendall is sock:sendall(data [, flags]): sends all of data,
// waiting as needed, or raises. Returns nothing.
func (py *Module) socketSendall(L *lua.LState) int {
	s := CheckSocket(L, "sendall")
	data := api.CheckBytes(L, 2, "sendall", 1)
	flags := api.OptInt(L, 3, "sendall", 1, 0)
	if _, err := s.SendAll(L, core.StringBytes(data), flags); err != nil {
		py.vm.Raise(L, err, "sendall", s.PeerString())
	}
	return 0
}

// socketRecv is sock:recv(bufsize [, flags]): waits for data and returns up
// to bufsize bytes of it; "" at end of stream.
func (py *Module) socketRecv(L *lua.LState) int {
	s := CheckSocket(L, "recv")
	bufsize := api.CheckInt(L, 2, "recv", 1)
	if bufsize < 0 {
		api.ArgError(L, 1, "recv", "negative buffersize")
	}
	flags := api.OptInt(L, 3, "recv", 1, 0)
	data, err := s.Recv(L, bufsize, flags)
	if err != nil {
		py.vm.Raise(L, err, "recv", s.PeerString())
	}
	py.noteRead(s, "recv", bufsize, len(data))
	L.Push(s.dataValue(data))
	return 1
}

// dataValue is data, which a read of s just returned, as a Lua string: in
// the box the core made for it (core.Socket.Boxed), if it made one, rather
// than in one Go allocates.
func (s *Socket) dataValue(data string) lua.LValue {
	if hdr := s.Boxed(data); hdr != nil {
		return api.BoxedString(hdr)
	}
	return lua.LString(data)
}

// noteRead notes what a read of up to bufsize bytes that returned got
// bytes hid from a learner: a datagram cut short, its rest dropped by the
// system. (A stream read that returns part of what the peer sent in one
// send is how TCP works, and an echo loop does it all the time: no note.)
func (py *Module) noteRead(s *Socket, fn string, bufsize, got int) {
	if n := s.Truncated(); n > 0 {
		py.vm.Note("truncated", "%s(%d) got a datagram of %d bytes: the other %d were dropped by the system. "+
			"A datagram is read whole or cut: ask for as many bytes as the largest datagram (65535 at most)",
			fn, bufsize, got+n, n)
	}
}

// socketSendto is sock:sendto(data, [flags,] address): sends a datagram to
// address and returns the count of bytes sent.
func (py *Module) socketSendto(L *lua.LState) int {
	s := CheckSocket(L, "sendto")
	data := api.CheckBytes(L, 2, "sendto", 1)
	flags, n := 0, 3
	if L.GetTop() >= 4 {
		if _, ok := L.Get(3).(lua.LNumber); ok {
			flags, n = api.CheckInt(L, 3, "sendto", 1), 4
		}
	}
	var a addrArg
	var sa unix.Sockaddr
	var err error
	if e := py.keptSender(L.Get(n), s.Family()); e != nil {
		// The table recvfrom returned for the last sender, as it made
		// it: its address is the one the datagram came from.
		a, sa = addrArg{host: e.host, port: e.sa.Port}, e.sa
	} else {
		a, _ = checkAddr(L, s.Family(), n, "sendto", 1)
		sa, err = py.sockaddrOf(L, s.Family(), a)
	}
	var sent int
	if err == nil {
		sent, err = s.SendTo(L, core.StringBytes(data), flags, sa)
	}
	if err != nil {
		py.vm.Raise(L, err, "sendto", a.String())
	}
	L.Push(py.count(sent))
	return 1
}

// socketRecvfrom is sock:recvfrom(bufsize [, flags]): waits for a datagram
// and returns data, address (nil address for a connected stream).
func (py *Module) socketRecvfrom(L *lua.LState) int {
	s := CheckSocket(L, "recvfrom")
	bufsize := api.CheckInt(L, 2, "recvfrom", 1)
	if bufsize < 0 {
		api.ArgError(L, 1, "recvfrom", "negative buffersize")
	}
	flags := api.OptInt(L, 3, "recvfrom", 1, 0)
	data, sa, err := s.RecvFrom(L, bufsize, flags)
	if err != nil {
		py.vm.Raise(L, err, "recvfrom", s.LocalString())
	}
	py.noteRead(s, "recvfrom", bufsize, len(data))
	L.Push(s.dataValue(data))
	if sa == nil {
		L.Push(lua.LNil)
	} else {
		L.Push(py.senderValue(L, sa))
	}
	return 2
}

// socketShutdown is sock:shutdown(how): shuts down reading (SHUT_RD),
// writing (SHUT_WR) or both (SHUT_RDWR). Returns nothing.
func (py *Module) socketShutdown(L *lua.LState) int {
	s := CheckSocket(L, "shutdown")
	how := api.CheckInt(L, 2, "shutdown", 1)
	if err := s.Shutdown(how); err != nil {
		py.vm.Raise(L, err, "shutdown", s.PeerString())
	}
	return 0
}

// socketClose is sock:close(): closes the socket; closing twice is
// harmless. Threads blocked on it wake up with EBADF.
func (py *Module) socketClose(L *lua.LState) int {
	s := CheckSocketAny(L, "close")
	if !s.IsClosed() {
		py.vm.NoteUnread(s.Unread())
	}
	s.closeFD()
	return 0
}

// socketSettimeout is sock:settimeout(seconds|nil): nil blocks, 0 makes the
// socket non-blocking, a positive number is a deadline for each call.
func socketSettimeout(L *lua.LState) int {
	s := CheckSocket(L, "settimeout")
	s.SetTimeout(api.CheckTimeout(L, 2, "settimeout", 1))
	return 0
}

// socketGettimeout is sock:gettimeout(): the timeout in seconds, or nil.
func socketGettimeout(L *lua.LState) int {
	L.Push(api.TimeoutValue(CheckSocket(L, "gettimeout").Timeout()))
	return 1
}

// socketSetblocking is sock:setblocking(flag): true is settimeout(nil),
// false is settimeout(0).
func socketSetblocking(L *lua.LState) int {
	s := CheckSocket(L, "setblocking")
	if api.CheckFlag(L, 2, "setblocking", 1) {
		s.SetTimeout(-1)
	} else {
		s.SetTimeout(0)
	}
	return 0
}

// socketGetblocking is sock:getblocking(): false in non-blocking mode.
func socketGetblocking(L *lua.LState) int {
	L.Push(lua.LBool(CheckSocket(L, "getblocking").Timeout() != 0))
	return 1
}

// socketSetsockopt is sock:setsockopt(level, option, value): value is a
// number, a boolean, a string of raw bytes, or for SO_LINGER a table
// {onoff, seconds}. Returns nothing.
func (py *Module) socketSetsockopt(L *lua.LState) int {
	s := CheckSocket(L, "setsockopt")
	level := api.CheckInt(L, 2, "setsockopt", 1)
	opt := api.CheckInt(L, 3, "setsockopt", 1)
	var err error
	switch v := L.Get(4).(type) {
	case lua.LNumber:
		err = s.SetsockoptInt(level, opt, int(v))
	case lua.LBool:
		n := 0
		if v {
			n = 1
		}
		err = s.SetsockoptInt(level, opt, n)
	case lua.LString:
		err = s.SetsockoptString(level, opt, string(v))
	case *lua.LTable:
		l := &unix.Linger{Onoff: int32(lua.LVAsNumber(v.RawGetInt(1))), Linger: int32(lua.LVAsNumber(v.RawGetInt(2)))}
		err = s.SetsockoptLinger(level, opt, l)
	default:
		api.ArgError(L, 3, "setsockopt", "number, boolean, string or table expected, got "+api.TypeName(L.Get(4)))
	}
	if err != nil {
		py.vm.Raise(L, err, "setsockopt", optionName(level, opt))
	}
	return 0
}

// socketGetsockopt is sock:getsockopt(level, option [, buflen]): the
// option's integer value, or buflen raw bytes if buflen is given.
func (py *Module) socketGetsockopt(L *lua.LState) int {
	s := CheckSocket(L, "getsockopt")
	level := api.CheckInt(L, 2, "getsockopt", 1)
	opt := api.CheckInt(L, 3, "getsockopt", 1)
	buflen := api.OptInt(L, 4, "getsockopt", 1, 0)
	var result lua.LValue
	var err error
	if buflen != 0 {
		var v string
		v, err = s.GetsockoptBytes(level, opt, buflen)
		result = lua.LString(v)
	} else {
		var v int
		v, err = s.GetsockoptInt(level, opt)
		result = lua.LNumber(v)
	}
	if err != nil {
		py.vm.Raise(L, err, "getsockopt", optionName(level, opt))
	}
	L.Push(result)
	return 1
}

// socketGetsockname is sock:getsockname(): the local address.
func (py *Module) socketGetsockname(L *lua.LState) int {
	s := CheckSocket(L, "getsockname")
	sa, err := s.LocalAddr()
	if err != nil {
		py.vm.Raise(L, err, "getsockname", "")
	}
	L.Push(sockaddrValue(L, sa))
	return 1
}

// socketGetpeername is sock:getpeername(): the remote address; raises
// ENOTCONN if not connected.
func (py *Module) socketGetpeername(L *lua.LState) int {
	s := CheckSocket(L, "getpeername")
	sa, err := s.PeerAddr()
	if err != nil {
		py.vm.Raise(L, err, "getpeername", "")
	}
	L.Push(sockaddrValue(L, sa))
	return 1
}

// socketFileno is sock:fileno(): the descriptor, or -1 once closed.
func socketFileno(L *lua.LState) int {
	L.Push(lua.LNumber(CheckSocketAny(L, "fileno").FD()))
	return 1
}

// socketTostring is tostring(sock), as Python's repr:
// <socket fd=3, family=AF_INET, type=SOCK_STREAM, laddr=127.0.0.1:9999>.
func socketTostring(L *lua.LState) int {
	s := CheckSocketAny(L, "__tostring")
	L.Push(lua.LString(s.String()))
	return 1
}

func (s *Socket) String() string {
	var b strings.Builder
	b.WriteString("<socket ")
	if s.IsClosed() {
		b.WriteString("[closed] fd=-1")
	} else {
		fmt.Fprintf(&b, "fd=%d", s.FD())
	}
	fmt.Fprintf(&b, ", family=%s, type=%s", constName(core.FamilyName, s.Family()), constName(core.TypeName, s.Type()))
	if s.Proto() != 0 {
		fmt.Fprintf(&b, ", proto=%d", s.Proto())
	}
	if !s.IsClosed() {
		if l := s.LocalString(); l != "" {
			fmt.Fprintf(&b, ", laddr=%s", l)
		}
		if r := s.PeerString(); r != "" {
			fmt.Fprintf(&b, ", raddr=%s", r)
		}
	}
	b.WriteString(">")
	return b.String()
}
