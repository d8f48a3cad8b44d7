package pysocket

import (
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// The rest of Python's socket API that tutorials reach for: socket pairs,
// dup and adopted descriptors, sendfile, sendmsg/recvmsg with descriptor
// passing, reverse lookups and the services database.

// socketSocketpair is socket.socketpair([family [, type [, proto]]]): two
// connected sockets, AF_UNIX and SOCK_STREAM by default.
func (py *Module) socketSocketpair(L *lua.LState) int {
	family := api.OptInt(L, 1, "socketpair", 0, unix.AF_UNIX)
	stype := api.OptInt(L, 2, "socketpair", 0, unix.SOCK_STREAM)
	proto := api.OptInt(L, 3, "socketpair", 0, 0)
	a, b := &Socket{}, &Socket{}
	if err := core.Socketpair(py.vm, &a.Socket, &b.Socket, family, stype, proto); err != nil {
		py.vm.Raise(L, err, "socketpair", "")
	}
	L.Push(py.newSocket(L, a).ud)
	L.Push(py.newSocket(L, b).ud)
	return 2
}

// adopt makes a socket object of fd, a descriptor the script holds.
func (py *Module) adopt(L *lua.LState, fd, family, stype, proto int, op string) *Socket {
	s := &Socket{}
	if err := core.Adopt(py.vm, &s.Socket, fd, family, stype, proto); err != nil {
		py.vm.Raise(L, err, op, strconv.Itoa(fd))
	}
	py.vm.Group().ShareDatagrams(&s.Socket, fd)
	return py.newSocket(L, s)
}

// socketFromfd is socket.fromfd(fd [, family [, type [, proto]]]): a
// socket on a duplicate of the descriptor fd (fd stays open); family, type
// and protocol are read from the descriptor when not given.
func (py *Module) socketFromfd(L *lua.LState) int {
	fd := api.CheckInt(L, 1, "fromfd", 0)
	family := api.OptInt(L, 2, "fromfd", 0, 0)
	stype := api.OptInt(L, 3, "fromfd", 0, 0)
	proto := api.OptInt(L, 4, "fromfd", 0, -1)
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		py.vm.Raise(L, os.NewSyscallError("dup", err), "fromfd", strconv.Itoa(fd))
	}
	s := &Socket{}
	if err := core.Adopt(py.vm, &s.Socket, nfd, family, stype, proto); err != nil {
		unix.Close(nfd)
		py.vm.Raise(L, err, "fromfd", strconv.Itoa(fd))
	}
	py.vm.Group().ShareDatagrams(&s.Socket, fd)
	L.Push(py.newSocket(L, s).ud)
	return 1
}

// socketCloseFD is socket.close(fd): closes a descriptor that is not a
// socket object (one recv_fds returned and the script does not keep).
func (py *Module) socketCloseFD(L *lua.LState) int {
	fd := api.CheckInt(L, 1, "close", 0)
	owned := false
	py.vm.Group().Each(func(s *core.Socket, _ string) { owned = owned || s.FD() == fd })
	if owned {
		api.ArgError(L, 1, "close", "descriptor "+strconv.Itoa(fd)+" belongs to a socket object: call its close method")
	}
	if err := unix.Close(fd); err != nil {
		py.vm.Raise(L, os.NewSyscallError("close", err), "close", strconv.Itoa(fd))
	}
	return 0
}

// socketDup is sock:dup(): a new socket object on a duplicate of the
// descriptor, with the same timeout.
func (py *Module) socketDup(L *lua.LState) int {
	s := CheckSocket(L, "dup")
	d := &Socket{}
	if err := s.Dup(&d.Socket); err != nil {
		py.vm.Raise(L, err, "dup", s.LocalString())
	}
	py.newSocket(L, d)
	d.SetTimeout(s.Timeout())
	L.Push(d.ud)
	return 1
}

// socketSendfile is sock:sendfile(file [, offset [, count]]): sends a
// file's bytes and returns how many were sent. file is a path or a file
// object from io.open.
func (py *Module) socketSendfile(L *lua.LState) int {
	s := CheckSocket(L, "sendfile")
	offset := int64(api.OptInt(L, 3, "sendfile", 1, 0))
	count := int64(-1)
	if L.Get(4) != lua.LNil {
		count = int64(api.CheckInt(L, 4, "sendfile", 1))
	}
	if offset < 0 {
		api.ArgError(L, 2, "sendfile", "negative offset")
	}
	switch f := L.Get(2).(type) {
	case lua.LString:
		file, err := os.Open(string(f))
		if err != nil {
			py.vm.Raise(L, err, "sendfile", string(f))
		}
		defer file.Close()
		n, err := s.SendFile(L, file, offset, count)
		if err != nil {
			py.vm.Raise(L, err, "sendfile", s.PeerString())
		}
		L.Push(lua.LNumber(n))
		return 1
	case *lua.LUserData:
		// A Lua file object: read it through its own methods, from
		// offset (or from where it is), and send each chunk.
		return py.sendLuaFile(L, s, f, offset, count)
	}
	api.ArgError(L, 1, "sendfile", "file name or file object expected, got "+api.TypeName(L.Get(2)))
	return 0
}

// sendLuaFile sends count bytes (all if negative) of the Lua file object
// f from offset.
func (py *Module) sendLuaFile(L *lua.LState, s *Socket, f *lua.LUserData, offset, count int64) int {
	call := func(method string, args ...lua.LValue) lua.LValue {
		m := L.GetField(f, method)
		if m == lua.LNil {
			api.ArgError(L, 1, "sendfile", "file name or file object expected, got "+api.TypeName(f))
		}
		L.Push(m)
		L.Push(f)
		for _, a := range args {
			L.Push(a)
		}
		L.Call(1+len(args), 1)
		v := L.Get(-1)
		L.Pop(1)
		return v
	}
	if offset > 0 {
		call("seek", lua.LString("set"), lua.LNumber(offset))
	}
	var sent int64
	for count < 0 || sent < count {
		chunk := int64(256 << 10)
		if count >= 0 {
			chunk = min(chunk, count-sent)
		}
		data, ok := call("read", lua.LNumber(chunk)).(lua.LString)
		if !ok || len(data) == 0 {
			break
		}
		n, err := s.SendAll(L, core.StringBytes(string(data)), 0)
		sent += int64(n)
		if err != nil {
			py.vm.Raise(L, err, "sendfile", s.PeerString())
		}
	}
	L.Push(lua.LNumber(sent))
	return 1
}

// checkBuffers reads sendmsg's buffers: a string or a list of strings.
func checkBuffers(L *lua.LState, n int, fn string, shift int) [][]byte {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return [][]byte{core.StringBytes(string(v))}
	case *lua.LTable:
		var bufs [][]byte
		for i := 1; i <= v.Len(); i++ {
			s, ok := v.RawGetInt(i).(lua.LString)
			if !ok {
				api.ArgError(L, n-shift, fn, "list of strings expected, item "+strconv.Itoa(i)+" is "+api.TypeName(v.RawGetInt(i)))
			}
			bufs = append(bufs, core.StringBytes(string(s)))
		}
		return bufs
	}
	api.ArgError(L, n-shift, fn, "string or list of strings expected, got "+api.TypeName(L.Get(n)))
	return nil
}

// checkAncdata reads sendmsg's ancillary data: a list of {level, type,
// data}, as Python's list of tuples.
func checkAncdata(L *lua.LState, n int, fn string, shift int) []byte {
	v := L.Get(n)
	if v == lua.LNil {
		return nil
	}
	list, ok := v.(*lua.LTable)
	if !ok {
		api.ArgError(L, n-shift, fn, "list of {level, type, data} expected, got "+api.TypeName(v))
	}
	var oob []byte
	for i := 1; i <= list.Len(); i++ {
		item, ok := list.RawGetInt(i).(*lua.LTable)
		if !ok {
			api.ArgError(L, n-shift, fn, "item "+strconv.Itoa(i)+" must be {level, type, data}, got "+api.TypeName(list.RawGetInt(i)))
		}
		level, ok1 := item.RawGetInt(1).(lua.LNumber)
		typ, ok2 := item.RawGetInt(2).(lua.LNumber)
		data, ok3 := item.RawGetInt(3).(lua.LString)
		if !ok1 || !ok2 || !ok3 {
			api.ArgError(L, n-shift, fn, "item "+strconv.Itoa(i)+" must be {level, type, data}")
		}
		oob = append(oob, cmsg(int32(level), int32(typ), []byte(data))...)
	}
	return oob
}

// cmsg is one control message as the kernel lays it out.
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

// socketSendmsg is sock:sendmsg(buffers [, ancdata [, flags [, address]]]):
// sends buffers (a string or a list of strings) with ancillary data, as
// Python's; returns the count of bytes sent.
func (py *Module) socketSendmsg(L *lua.LState) int {
	s := CheckSocket(L, "sendmsg")
	bufs := checkBuffers(L, 2, "sendmsg", 1)
	oob := checkAncdata(L, 3, "sendmsg", 1)
	flags := api.OptInt(L, 4, "sendmsg", 1, 0)
	var sa unix.Sockaddr
	addr := ""
	if L.Get(5) != lua.LNil {
		a, _ := checkAddr(L, s.Family(), 5, "sendmsg", 1)
		var err error
		if sa, err = py.sockaddrOf(L, s.Family(), a); err != nil {
			py.vm.Raise(L, err, "sendmsg", a.String())
		}
		addr = a.String()
	}
	n, err := s.SendMsg(L, bufs, oob, flags, sa)
	if err != nil {
		if addr == "" {
			addr = s.PeerString()
		}
		py.vm.Raise(L, err, "sendmsg", addr)
	}
	L.Push(lua.LNumber(n))
	return 1
}

// socketRecvmsg is sock:recvmsg(bufsize [, ancbufsize [, flags]]): returns
// data, ancdata (a list of {level, type, data}), msg_flags, address.
func (py *Module) socketRecvmsg(L *lua.LState) int {
	s := CheckSocket(L, "recvmsg")
	bufsize := api.CheckInt(L, 2, "recvmsg", 1)
	ancbufsize := api.OptInt(L, 3, "recvmsg", 1, 0)
	flags := api.OptInt(L, 4, "recvmsg", 1, 0)
	if bufsize < 0 || ancbufsize < 0 {
		api.ArgError(L, 1, "recvmsg", "negative buffer size")
	}
	m, err := s.RecvMsg(L, bufsize, min(ancbufsize, 1<<20), flags)
	if err != nil {
		py.vm.Raise(L, err, "recvmsg", s.LocalString())
	}
	anc := L.NewTable()
	if cms, err := unix.ParseSocketControlMessage(m.OOB); err == nil {
		for _, c := range cms {
			item := L.CreateTable(3, 0)
			item.Append(lua.LNumber(c.Header.Level))
			item.Append(lua.LNumber(c.Header.Type))
			item.Append(lua.LString(c.Data))
			anc.Append(item)
		}
	}
	L.Push(lua.LString(m.Data))
	L.Push(anc)
	pushFlagsAndSender(L, m)
	return 4
}

// socketSendFds is socket.send_fds(sock, buffers, fds [, flags [,
// address]]): sendmsg with the descriptors fds (numbers, or socket
// objects) passed as SCM_RIGHTS.
func (py *Module) socketSendFds(L *lua.LState) int {
	s := py.checkSocketArg(L, 1, "send_fds")
	bufs := checkBuffers(L, 2, "send_fds", 0)
	list, ok := L.Get(3).(*lua.LTable)
	if !ok {
		api.ArgError(L, 3, "send_fds", "list of descriptors expected, got "+api.TypeName(L.Get(3)))
	}
	var fds []int
	for i := 1; i <= list.Len(); i++ {
		switch v := list.RawGetInt(i).(type) {
		case lua.LNumber:
			fds = append(fds, int(v))
		case *lua.LUserData:
			if fs := SocketOf(v); fs != nil && !fs.IsClosed() {
				fds = append(fds, fs.FD())
				continue
			}
			api.ArgError(L, 3, "send_fds", "item "+strconv.Itoa(i)+" is not an open socket")
		default:
			api.ArgError(L, 3, "send_fds", "item "+strconv.Itoa(i)+" must be a descriptor or a socket")
		}
	}
	flags := api.OptInt(L, 4, "send_fds", 0, 0)
	var sa unix.Sockaddr
	if L.Get(5) != lua.LNil {
		a, _ := checkAddr(L, s.Family(), 5, "send_fds", 0)
		var err error
		if sa, err = py.sockaddrOf(L, s.Family(), a); err != nil {
			py.vm.Raise(L, err, "send_fds", a.String())
		}
	}
	n, err := s.SendMsg(L, bufs, unix.UnixRights(fds...), flags, sa)
	if err != nil {
		py.vm.Raise(L, err, "send_fds", s.PeerString())
	}
	L.Push(lua.LNumber(n))
	return 1
}

// socketRecvFds is socket.recv_fds(sock, bufsize, maxfds [, flags]):
// returns data, fds (a list of descriptor numbers, the script's to adopt
// with socket.fromfd or socket.socket(..., fd), or to close with
// socket.close), msg_flags, address.
func (py *Module) socketRecvFds(L *lua.LState) int {
	s := py.checkSocketArg(L, 1, "recv_fds")
	bufsize := api.CheckInt(L, 2, "recv_fds", 0)
	maxfds := api.CheckInt(L, 3, "recv_fds", 0)
	flags := api.OptInt(L, 4, "recv_fds", 0, 0)
	if bufsize < 0 || maxfds < 0 || maxfds > 253 {
		api.ArgError(L, 3, "recv_fds", "maxfds must be 0-253")
	}
	m, err := s.RecvMsg(L, bufsize, unix.CmsgSpace(4*maxfds), flags)
	if err != nil {
		py.vm.Raise(L, err, "recv_fds", s.LocalString())
	}
	fds := L.NewTable()
	if cms, err := unix.ParseSocketControlMessage(m.OOB); err == nil {
		for _, c := range cms {
			if rights, err := unix.ParseUnixRights(&c); err == nil {
				for _, fd := range rights {
					fds.Append(lua.LNumber(fd))
				}
			}
		}
	}
	L.Push(lua.LString(m.Data))
	L.Push(fds)
	pushFlagsAndSender(L, m)
	return 4
}

// socketCmsgLen is socket.CMSG_LEN(n) and socketCmsgSpace
// socket.CMSG_SPACE(n): the sizes of a control message of n data bytes,
// for recvmsg's ancbufsize.
func socketCmsgLen(L *lua.LState) int {
	n := api.CheckInt(L, 1, "CMSG_LEN", 0)
	if n < 0 || n > 1<<20 {
		api.ArgError(L, 1, "CMSG_LEN", "CMSG_LEN() argument out of range")
	}
	L.Push(lua.LNumber(unix.CmsgLen(n)))
	return 1
}

func socketCmsgSpace(L *lua.LState) int {
	n := api.CheckInt(L, 1, "CMSG_SPACE", 0)
	if n < 0 || n > 1<<20 {
		api.ArgError(L, 1, "CMSG_SPACE", "CMSG_SPACE() argument out of range")
	}
	L.Push(lua.LNumber(unix.CmsgSpace(n)))
	return 1
}

// herror is Python's socket.herror of a failed reverse lookup.
func herror(op, addr string) *api.OSError {
	return &api.OSError{Class: "socket.herror", Errno: 1, Name: "HOST_NOT_FOUND", Message: "Unknown host", Op: op, Addr: addr}
}

// socketGethostbyaddr is socket.gethostbyaddr(ip_or_name): returns the
// host's name, a list of aliases and a list of addresses.
func (py *Module) socketGethostbyaddr(L *lua.LState) int {
	host := api.CheckString(L, 1, "gethostbyaddr")
	ips, err := core.Lookup(py.vm, L, unix.AF_UNSPEC, host)
	if err != nil {
		py.vm.Raise(L, err, "gethostbyaddr", host)
	}
	ip := ips[0]
	name, aliasNames, err := core.ReverseLookup(py.vm, L, ip)
	py.vm.RaiseIfInterrupted(L, "gethostbyaddr")
	if err != nil {
		api.RaiseOS(L, herror("gethostbyaddr", host))
	}
	aliases := L.NewTable()
	for _, n := range aliasNames {
		aliases.Append(lua.LString(n))
	}
	addrs := L.NewTable()
	addrs.Append(lua.LString(core.IPString(ip)))
	L.Push(lua.LString(name))
	L.Push(aliases)
	L.Push(addrs)
	return 3
}

// getnameinfo's flags, as glibc numbers them.
const (
	niNumericHost = 1
	niNumericServ = 2
	niNoFQDN      = 4
	niNameReqd    = 8
	niDgram       = 16
)

// socketGetnameinfo is socket.getnameinfo(address, flags): the host name
// (or number) and the service name (or number) of an address.
func (py *Module) socketGetnameinfo(L *lua.LState) int {
	a, _ := checkAddr(L, unix.AF_INET, 1, "getnameinfo", 0)
	flags := api.CheckInt(L, 2, "getnameinfo", 0)
	ip, literal, err := core.ParseLiteral(unix.AF_UNSPEC, a.host)
	if !literal || err != nil {
		ips, err := core.Lookup(py.vm, L, unix.AF_UNSPEC, a.host)
		if err != nil {
			py.vm.Raise(L, err, "getnameinfo", a.String())
		}
		ip = ips[0]
	}
	host := core.IPString(ip)
	if flags&niNumericHost == 0 {
		names, err := core.LookupAddr(py.vm, L, host)
		py.vm.RaiseIfInterrupted(L, "getnameinfo")
		switch {
		case err == nil && len(names) > 0:
			host = strings.TrimSuffix(names[0], ".")
			if flags&niNoFQDN != 0 {
				host, _, _ = strings.Cut(host, ".")
			}
		case flags&niNameReqd != 0:
			api.RaiseOS(L, api.GaiError(core.EAINoName, "getnameinfo", a.String()))
		}
	}
	serv := strconv.Itoa(a.port)
	if flags&niNumericServ == 0 {
		proto := "tcp"
		if flags&niDgram != 0 {
			proto = "udp"
		}
		if name, ok := core.ServiceName(a.port, proto); ok {
			serv = name
		}
	}
	L.Push(lua.LString(host))
	L.Push(lua.LString(serv))
	return 2
}

// socketGetservbyname is socket.getservbyname(name [, proto]): the port
// of a service in the services database (/etc/services).
func socketGetservbyname(L *lua.LState) int {
	name := api.CheckString(L, 1, "getservbyname")
	proto := ""
	if L.Get(2) != lua.LNil {
		proto = api.CheckString(L, 2, "getservbyname")
	}
	for _, p := range protosOf(proto) {
		if port, ok := core.ServicePort(name, p); ok {
			L.Push(lua.LNumber(port))
			return 1
		}
	}
	api.RaiseOS(L, &api.OSError{Class: "OSError", Message: "service/proto not found", Op: "getservbyname", Addr: name})
	return 0
}

// socketGetservbyport is socket.getservbyport(port [, proto]): the name of
// the service on port.
func socketGetservbyport(L *lua.LState) int {
	port := api.CheckInt(L, 1, "getservbyport", 0)
	if port < 0 || port > 65535 {
		api.ArgError(L, 1, "getservbyport", "getservbyport: port must be 0-65535.")
	}
	proto := ""
	if L.Get(2) != lua.LNil {
		proto = api.CheckString(L, 2, "getservbyport")
	}
	for _, p := range protosOf(proto) {
		if name, ok := core.ServiceName(port, p); ok {
			L.Push(lua.LString(name))
			return 1
		}
	}
	api.RaiseOS(L, &api.OSError{Class: "OSError", Message: "port/proto not found", Op: "getservbyport", Addr: strconv.Itoa(port)})
	return 0
}

func protosOf(proto string) []string {
	if proto == "" {
		return []string{"tcp", "udp"}
	}
	return []string{proto}
}

// checkSocketArg is the open socket argument n of a module function fn.
func (py *Module) checkSocketArg(L *lua.LState, n int, fn string) *Socket {
	s := SocketOf(L.Get(n))
	if s == nil {
		api.ArgError(L, n, fn, "socket expected, got "+api.TypeName(L.Get(n)))
	}
	if s.IsClosed() {
		py.vm.Raise(L, unix.EBADF, fn, "")
	}
	return s
}

// pushFlagsAndSender pushes the last two results of recvmsg and
// recv_fds: the flags the kernel returned and the sender (nil if none).
func pushFlagsAndSender(L *lua.LState, m core.Msg) {
	L.Push(lua.LNumber(m.Flags))
	if m.From == nil {
		L.Push(lua.LNil)
	} else {
		L.Push(sockaddrValue(L, m.From))
	}
}
