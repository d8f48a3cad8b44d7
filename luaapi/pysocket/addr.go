package pysocket

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

const addrMetaName = "socket.address"

// openAddrMeta registers the metatable of address tables: {host, port} also
// read as .host and .port, printed as 127.0.0.1:9999 or [::1]:9999.
func openAddrMeta(L *lua.LState) {
	mt := L.NewTypeMetatable(addrMetaName)
	L.SetField(mt, "__index", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		switch L.CheckString(2) {
		case "host":
			L.Push(t.RawGetInt(1))
		case "port":
			L.Push(t.RawGetInt(2))
		default:
			L.Push(lua.LNil)
		}
		return 1
	}))
	L.SetField(mt, "__tostring", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.Push(lua.LString(core.JoinHostPort(lua.LVAsString(t.RawGetInt(1)), int(lua.LVAsNumber(t.RawGetInt(2))))))
		return 1
	}))
	// "addr: " .. addr joins the printed address, as error values join.
	L.SetField(mt, "__concat", L.NewFunction(func(L *lua.LState) int {
		part := func(v lua.LValue) string {
			if t, ok := v.(*lua.LTable); ok && L.GetMetatable(t) == L.GetTypeMetatable(addrMetaName) {
				return core.JoinHostPort(lua.LVAsString(t.RawGetInt(1)), int(lua.LVAsNumber(t.RawGetInt(2))))
			}
			if s, ok := v.(lua.LString); ok {
				return string(s)
			}
			if n, ok := v.(lua.LNumber); ok {
				return n.String()
			}
			api.Misuse(L, "attempt to concatenate an address and a %s", v.Type().String())
			return ""
		}
		L.Push(lua.LString(part(L.Get(1)) + part(L.Get(2))))
		return 1
	}))
	L.SetField(mt, "__eq", L.NewFunction(func(L *lua.LState) int {
		a, b := L.CheckTable(1), L.CheckTable(2)
		L.Push(lua.LBool(lua.LVAsString(a.RawGetInt(1)) == lua.LVAsString(b.RawGetInt(1)) &&
			lua.LVAsNumber(a.RawGetInt(2)) == lua.LVAsNumber(b.RawGetInt(2))))
		return 1
	}))
}

// newAddr is the Lua address table {host, port}.
func newAddr(L *lua.LState, host string, port int) *lua.LTable {
	t := L.CreateTable(2, 0)
	t.RawSetInt(1, lua.LString(host))
	t.RawSetInt(2, lua.LNumber(port))
	L.SetMetatable(t, L.GetTypeMetatable(addrMetaName))
	return t
}

// hostCache keeps the text of the last IPv4 address made into an address
// table, the address of the last host text parsed for sendto, and the
// address tables of recent IPv4 senders: a UDP server answering its
// clients turns the same few addresses back and forth for every datagram.
// Touched under the interpreter lock.
type hostCache struct {
	addr4 [4]byte
	text4 string
	text  string     // the last host text parsed
	ip    netip.Addr // what it parsed to
	// senders are the address tables recvfrom returned, by IPv4 address
	// and port: a datagram from the same sender returns the same table,
	// while it still holds that host and port, instead of four fresh
	// allocations. At most maxSenders; then they start over.
	senders map[[6]byte]sender
	// last is the sender recvfrom or sendto used last, and its key
	// (lastKey, valid once hasLast): a server answering one client at a
	// time finds it without a map lookup.
	last    sender
	lastKey [6]byte
	hasLast bool
}

// sender is the cached sender of key, ok false if there is none.
func (c *hostCache) sender(key [6]byte) (sender, bool) {
	if c.hasLast && c.lastKey == key {
		return c.last, true
	}
	e, ok := c.senders[key]
	if ok {
		c.last, c.lastKey, c.hasLast = e, key, true
	}
	return e, ok
}

// sender is an address table recvfrom returned, the host it was given,
// and the sender's address, which sendto to that host and port reuses
// (the core only reads it).
type sender struct {
	t    *lua.LTable
	host string
	sa   *unix.SockaddrInet4
	// mt is the address metatable t was given.
	mt *lua.LTable
}

// unchanged reports whether the script left e's table as recvfrom made it
// for a sender on port: its host and port, no host or port field of its
// own, its metatable. (Type assertions, not comparisons with lua.LValue
// interfaces, each of which is a call into the runtime.)
func (e *sender) unchanged(port int) bool {
	t := e.t
	if h, ok := t.RawGetInt(1).(lua.LString); !ok || string(h) != e.host {
		return false
	}
	if p, ok := t.RawGetInt(2).(lua.LNumber); !ok || p != lua.LNumber(port) {
		return false
	}
	if mt, ok := t.Metatable.(*lua.LTable); !ok || mt != e.mt {
		return false
	}
	_, hostNil := t.RawGetString("host").(*lua.LNilType)
	_, portNil := t.RawGetString("port").(*lua.LNilType)
	return hostNil && portNil
}

// senderKey is the key of an IPv4 sender in hostCache.senders.
func senderKey(addr [4]byte, port int) [6]byte {
	return [6]byte{addr[0], addr[1], addr[2], addr[3], byte(port >> 8), byte(port)}
}

// maxSenders bounds hostCache.senders: a server with more clients than
// this at once builds tables as it did without the cache.
const maxSenders = 1024

// addrValue is sockaddrValue, with the text of an IPv4 address the same as
// the last one's reused.
func (py *Module) addrValue(L *lua.LState, sa unix.Sockaddr) lua.LValue {
	if a, ok := sa.(*unix.SockaddrInet4); ok {
		c := &py.hosts
		if c.text4 == "" || a.Addr != c.addr4 {
			c.addr4, c.text4 = a.Addr, netip.AddrFrom4(a.Addr).String()
		}
		return newAddr(L, c.text4, a.Port)
	}
	return sockaddrValue(L, sa)
}

// senderValue is addrValue for the sender of a datagram: the table a
// previous datagram from the same IPv4 sender got, if the script left its
// host, port and metatable as they were.
func (py *Module) senderValue(L *lua.LState, sa unix.Sockaddr) lua.LValue {
	a, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		return py.addrValue(L, sa)
	}
	key := senderKey(a.Addr, a.Port)
	c := &py.hosts
	if e, ok := c.sender(key); ok && e.unchanged(a.Port) {
		return e.t
	}
	t := py.addrValue(L, sa).(*lua.LTable)
	if c.senders == nil || len(c.senders) >= maxSenders {
		c.senders = make(map[[6]byte]sender)
	}
	mt, _ := t.Metatable.(*lua.LTable)
	e := sender{t, c.text4, a, mt}
	c.senders[key] = e
	c.last, c.lastKey, c.hasLast = e, key, true
	return t
}

// keptSender is the last sender recvfrom or sendto used (hostCache.last)
// if v is its address table, unchanged, and family AF_INET; else nil. A
// UDP server replies to the table recvfrom gave it: sendto then needs
// neither to read the table's host and port nor to look them up.
func (py *Module) keptSender(v lua.LValue, family int) *sender {
	c := &py.hosts
	t, ok := v.(*lua.LTable)
	if !ok || !c.hasLast || c.last.t != t || family != unix.AF_INET || !c.last.unchanged(c.last.sa.Port) {
		return nil
	}
	return &c.last
}

// sockaddrValue is the Lua value of a socket address: an address table for
// IP families, the path string for AF_UNIX (nil for an unnamed one).
func sockaddrValue(L *lua.LState, sa unix.Sockaddr) lua.LValue {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return newAddr(L, netip.AddrFrom4(a.Addr).String(), a.Port)
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr)
		if a.ZoneId != 0 {
			if ifc, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				ip = ip.WithZone(ifc.Name)
			}
		}
		return newAddr(L, core.IPString(ip), a.Port)
	case *unix.SockaddrUnix:
		return lua.LString(core.UnixName(a))
	}
	return lua.LNil
}

// addrArg is an address as a script passed it, before name resolution.
type addrArg struct {
	host string
	port int
	path string // AF_UNIX
}

func (a addrArg) String() string {
	if a.path != "" {
		return a.path
	}
	return core.JoinHostPort(a.host, a.port)
}

// checkAddr reads the address argument at n for fn: a table {host, port} (or
// {host=, port=}), a host and a port as two arguments, or a path for AF_UNIX.
// It returns the index of the argument after the address. shift is what
// to take from n to count arguments as docs/api.md does (1 for a method:
// the socket before the colon is not counted).
func checkAddr(L *lua.LState, family int, n int, fn string, shift int) (addrArg, int) {
	v := L.Get(n)
	if family == unix.AF_UNIX {
		s, ok := v.(lua.LString)
		if !ok {
			api.ArgError(L, n-shift, fn, "path expected, got "+api.TypeName(v))
		}
		return addrArg{path: string(s)}, n + 1
	}
	switch a := v.(type) {
	case *lua.LTable:
		host, port := a.RawGetInt(1), a.RawGetInt(2)
		if host == lua.LNil {
			host = a.RawGetString("host")
		}
		if port == lua.LNil {
			port = a.RawGetString("port")
		}
		h, ok := host.(lua.LString)
		if !ok {
			api.ArgError(L, n-shift, fn, "address host must be a string, got "+api.TypeName(host))
		}
		if hp, ok := splitHostPort(string(h)); ok {
			api.ArgError(L, n-shift, fn, fmt.Sprintf("address host %q has a port in it: write %s", string(h), hp))
		}
		p, ok := api.ToPort(port)
		if !ok {
			api.ArgError(L, n-shift, fn, "address port must be a number 0-65535, got "+api.ValueDesc(port))
		}
		return addrArg{host: string(h), port: p}, n + 1
	case lua.LString:
		port := L.Get(n + 1)
		if port == lua.LNil {
			// Python: "AF_INET address must be tuple, not str".
			api.ArgError(L, n-shift, fn, fmt.Sprintf("%s must be a table {host, port}, not a string: write %s",
				addrLabel(family, shift), addrExample(family, string(a))))
		}
		if hp, ok := splitHostPort(string(a)); ok {
			api.ArgError(L, n-shift, fn, fmt.Sprintf("host %q has a port in it: write %s", string(a), hp))
		}
		p, ok := api.ToPort(port)
		if !ok {
			api.ArgError(L, n+1-shift, fn, "port must be a number 0-65535, got "+api.ValueDesc(port))
		}
		return addrArg{host: string(a), port: p}, n + 2
	case *lua.LNilType:
		api.ArgError(L, n-shift, fn, "address expected, got "+api.TypeName(v))
	}
	api.ArgError(L, n-shift, fn, fmt.Sprintf("%s must be a table {host, port}, not a %s", addrLabel(family, shift), api.TypeName(v)))
	return addrArg{}, 0
}

// addrLabel is the address of a call in checkAddr's messages: "AF_INET
// address" for a socket's method, as Python words it, else "address" (a
// module function that takes either family).
func addrLabel(family, shift int) string {
	if name, ok := core.FamilyName(family); ok && shift == 1 {
		return name + " address"
	}
	return "address"
}

// addrExample is the address table a script meant by the string s, to
// show in a message: {"127.0.0.1", 20025} for "127.0.0.1:20025", {s,
// port} for a bare host.
func addrExample(family int, s string) string {
	if hp, ok := splitHostPort(s); ok {
		return hp
	}
	if s == "" {
		if family == unix.AF_INET6 {
			s = "::1"
		} else {
			s = "127.0.0.1"
		}
	}
	return fmt.Sprintf("{%q, port}", s)
}

// splitHostPort reports whether s is a host and a port written as one
// string, "127.0.0.1:20025", "localhost:80" or "[::1]:80", and gives the
// address table it stands for, {"127.0.0.1", 20025}. An IPv6 literal
// ("::1", "fe80::1") has two colons or more and is not one.
func splitHostPort(s string) (string, bool) {
	if strings.IndexByte(s, ':') < 0 {
		return "", false // no port without a colon: the common case, without SplitHostPort's error
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return "", false
	}
	if !strings.HasPrefix(s, "[") && strings.Count(s, ":") != 1 {
		return "", false
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 0xFFFF {
		return "", false
	}
	return fmt.Sprintf("{%q, %d}", host, p), true
}

// errUnixPathTooLong is Python's error for an AF_UNIX path that does not fit.
var errUnixPathTooLong = &api.OSError{Class: "OSError", Message: "AF_UNIX path too long"}

// sockaddrOf turns a script address into a sockaddr of family. A host name
// is looked up: the interpreter lock is released around the lookup.
func (py *Module) sockaddrOf(L *lua.LState, family int, a addrArg) (unix.Sockaddr, error) {
	if family == unix.AF_UNIX {
		if len(a.path) > core.MaxUnixPath {
			return nil, errUnixPathTooLong
		}
		return &unix.SockaddrUnix{Name: a.path}, nil
	}
	if c := &py.hosts; a.host != "" && a.host == c.text {
		if family == unix.AF_INET && c.ip.Is4() && a.port >= 0 && a.port <= 0xFFFF {
			if e, ok := c.sender(senderKey(c.ip.As4(), a.port)); ok {
				return e.sa, nil // a client's address, as recvfrom got it
			}
		}
		return core.ToSockaddr(family, c.ip, a.port)
	}
	ips, err := core.Lookup(py.vm, L, family, a.host)
	if err == nil && len(ips) == 1 {
		if _, literal, _ := core.ParseLiteral(family, a.host); literal {
			py.hosts.text, py.hosts.ip = a.host, ips[0] // a literal parses the same every time
		}
	}
	if err != nil {
		return nil, err
	}
	return core.ToSockaddr(family, ips[0], a.port)
}
