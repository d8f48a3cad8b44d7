package luasocket

import (
	"net"
	"net/netip"
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// The named options of LuaSocket's setoption and getoption, as LuaSocket
// 3.1 names them, each a socket option of the kernel's.

type lsOptKind uint8

const (
	lsoptBool lsOptKind = iota
	lsoptInt
	lsoptLinger
	lsoptMembership  // {multiaddr = "224.0.0.251", interface = "*"}
	lsoptMembership6 // {multiaddr = "ff02::fb", interface = 0}
	lsoptMulticastIf // an IPv4 address
	lsoptError       // SO_ERROR, read as a message
)

type lsOpt struct {
	level, opt int
	kind       lsOptKind
	get, set   bool
}

var lsOptions = map[string]lsOpt{
	"keepalive":            {unix.SOL_SOCKET, unix.SO_KEEPALIVE, lsoptBool, true, true},
	"reuseaddr":            {unix.SOL_SOCKET, unix.SO_REUSEADDR, lsoptBool, true, true},
	"reuseport":            {unix.SOL_SOCKET, unix.SO_REUSEPORT, lsoptBool, true, true},
	"dontroute":            {unix.SOL_SOCKET, unix.SO_DONTROUTE, lsoptBool, true, true},
	"broadcast":            {unix.SOL_SOCKET, unix.SO_BROADCAST, lsoptBool, true, true},
	"linger":               {unix.SOL_SOCKET, unix.SO_LINGER, lsoptLinger, true, true},
	"error":                {unix.SOL_SOCKET, unix.SO_ERROR, lsoptError, true, false},
	"recv-buffer-size":     {unix.SOL_SOCKET, unix.SO_RCVBUF, lsoptInt, true, true},
	"send-buffer-size":     {unix.SOL_SOCKET, unix.SO_SNDBUF, lsoptInt, true, true},
	"tcp-nodelay":          {unix.IPPROTO_TCP, unix.TCP_NODELAY, lsoptBool, true, true},
	"tcp-keepidle":         {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, lsoptInt, true, true},
	"tcp-keepcnt":          {unix.IPPROTO_TCP, unix.TCP_KEEPCNT, lsoptInt, true, true},
	"tcp-keepintvl":        {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, lsoptInt, true, true},
	"tcp-defer-accept":     {unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, lsoptInt, false, true},
	"tcp-fastopen":         {unix.IPPROTO_TCP, unix.TCP_FASTOPEN, lsoptInt, false, true},
	"tcp-fastopen-connect": {unix.IPPROTO_TCP, unix.TCP_FASTOPEN_CONNECT, lsoptInt, false, true},
	"ipv6-v6only":          {unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, lsoptBool, true, true},
	"ip-multicast-if":      {unix.IPPROTO_IP, unix.IP_MULTICAST_IF, lsoptMulticastIf, true, true},
	"ip-multicast-ttl":     {unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, lsoptInt, true, true},
	"ip-multicast-loop":    {unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, lsoptBool, true, true},
	"ip-add-membership":    {unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, lsoptMembership, false, true},
	"ip-drop-membership":   {unix.IPPROTO_IP, unix.IP_DROP_MEMBERSHIP, lsoptMembership, false, true},
	"ipv6-unicast-hops":    {unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, lsoptInt, true, true},
	"ipv6-multicast-hops":  {unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, lsoptInt, true, true},
	"ipv6-multicast-loop":  {unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, lsoptBool, true, true},
	"ipv6-add-membership":  {unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, lsoptMembership6, false, true},
	"ipv6-drop-membership": {unix.IPPROTO_IPV6, unix.IPV6_LEAVE_GROUP, lsoptMembership6, false, true},
}

// lsOption looks up the option name for fn, raising LuaSocket's error for
// one it does not know (or cannot set or get).
func lsOption(L *lua.LState, fn string, set bool) lsOpt {
	name := api.CheckBytes(L, 2, fn, 1)
	o, ok := lsOptions[name]
	if !ok || set && !o.set || !set && !o.get {
		api.ArgError(L, 1, fn, "unsupported option '"+name+"'")
	}
	return o
}

// lsSetoption is sock:setoption(name [, value]): sets a named option
// ("keepalive", "reuseaddr", "tcp-nodelay", "linger" {on=, timeout=},
// "ip-add-membership" {multiaddr=, interface=}, ...). Returns 1, or nil
// and the error (an object with no descriptor yet has no options).
func lsSetoption(L *lua.LState) int {
	ls := checkLS(L, "setoption")
	m := ls.m
	o := lsOption(L, "setoption", true)
	v := L.Get(3)
	if !ls.open() {
		return failMsg(L, "setsockopt failed: the object has no socket yet (bind or connect it first)")
	}
	var err error
	s := ls.s
	switch o.kind {
	case lsoptBool:
		n := 0
		if b, ok := v.(lua.LNumber); ok {
			if b != 0 {
				n = 1
			}
		} else if lua.LVAsBool(v) {
			n = 1
		}
		err = s.SetsockoptInt(o.level, o.opt, n)
	case lsoptInt:
		err = s.SetsockoptInt(o.level, o.opt, int(api.CheckNumber(L, 3, "setoption", 1)))
	case lsoptLinger:
		t, ok := v.(*lua.LTable)
		if !ok {
			api.ArgError(L, 2, "setoption", "table expected, got "+api.TypeName(v))
		}
		l := &unix.Linger{Linger: int32(lua.LVAsNumber(t.RawGetString("timeout")))}
		if lua.LVAsBool(t.RawGetString("on")) {
			l.Onoff = 1
		}
		err = s.SetsockoptLinger(o.level, o.opt, l)
	case lsoptMulticastIf:
		ip, perr := netip.ParseAddr(api.CheckBytes(L, 3, "setoption", 1))
		if perr != nil || !ip.Is4() {
			return failMsg(L, "invalid IP address")
		}
		b := ip.As4()
		err = s.SetsockoptString(o.level, o.opt, string(b[:]))
	case lsoptMembership, lsoptMembership6:
		t, ok := v.(*lua.LTable)
		if !ok {
			api.ArgError(L, 2, "setoption", "table expected, got "+api.TypeName(v))
		}
		group, perr := netip.ParseAddr(lua.LVAsString(t.RawGetString("multiaddr")))
		if perr != nil {
			api.ArgError(L, 2, "setoption", "invalid 'multiaddr' ip address")
		}
		ifc := t.RawGetString("interface")
		if o.kind == lsoptMembership {
			mreq := &unix.IPMreq{Multiaddr: group.As4()}
			if name := lua.LVAsString(ifc); name != "*" && name != "" {
				local, perr := netip.ParseAddr(name)
				if perr != nil {
					api.ArgError(L, 2, "setoption", "invalid 'interface' ip address")
				}
				mreq.Interface = local.As4()
			}
			err = s.Control(func(fd int) error { return unix.SetsockoptIPMreq(fd, o.level, o.opt, mreq) })
		} else {
			mreq := &unix.IPv6Mreq{Multiaddr: group.As16()}
			switch i := ifc.(type) {
			case lua.LNumber:
				mreq.Interface = uint32(i)
			case lua.LString:
				if n, ok := api.ToPort(i); ok {
					mreq.Interface = uint32(n)
				} else if nif, ierr := net.InterfaceByName(string(i)); ierr == nil {
					mreq.Interface = uint32(nif.Index)
				}
			}
			err = s.Control(func(fd int) error { return unix.SetsockoptIPv6Mreq(fd, o.level, o.opt, mreq) })
		}
	}
	if err != nil {
		return m.fail(L, err, "setoption")
	}
	L.Push(lua.LNumber(1))
	return 1
}

// lsGetoption is sock:getoption(name): the value of a named option: a
// boolean, a number, {on=, timeout=} for "linger", an address for
// "ip-multicast-if", the pending error's message (or nil) for "error".
func lsGetoption(L *lua.LState) int {
	ls := checkLS(L, "getoption")
	m := ls.m
	o := lsOption(L, "getoption", false)
	if !ls.open() {
		return failMsg(L, "getsockopt failed: the object has no socket yet (bind or connect it first)")
	}
	s := ls.s
	switch o.kind {
	case lsoptLinger:
		var l *unix.Linger
		err := s.Control(func(fd int) (err error) { l, err = unix.GetsockoptLinger(fd, o.level, o.opt); return err })
		if err != nil {
			return m.fail(L, err, "getoption")
		}
		t := L.CreateTable(0, 2)
		t.RawSetString("on", lua.LBool(l.Onoff != 0))
		t.RawSetString("timeout", lua.LNumber(l.Linger))
		L.Push(t)
		return 1
	case lsoptMulticastIf:
		b, err := s.GetsockoptBytes(o.level, o.opt, 4)
		if err != nil {
			return m.fail(L, err, "getoption")
		}
		var a [4]byte
		copy(a[:], b)
		L.Push(lua.LString(netip.AddrFrom4(a).String()))
		return 1
	}
	n, err := s.GetsockoptInt(o.level, o.opt)
	if err != nil {
		return m.fail(L, err, "getoption")
	}
	switch o.kind {
	case lsoptBool:
		L.Push(lua.LBool(n != 0))
	case lsoptError:
		if n == 0 {
			L.Push(lua.LNil)
		} else {
			L.Push(lua.LString(m.lsError(L, errnoOf(n), "getoption")))
		}
	default:
		L.Push(lua.LNumber(n))
	}
	return 1
}

// errnoOf is n as an errno.
func errnoOf(n int) error { return unix.Errno(n) }

// lsFamilyOption reads LuaSocket's family names: "unspec", "inet", "inet6".
func lsFamilyOption(L *lua.LState, n int, fn string) int {
	if L.Get(n) == lua.LNil {
		return unix.AF_UNSPEC
	}
	switch name := strings.ToLower(api.CheckBytes(L, n, fn, 0)); name {
	case "unspec":
		return unix.AF_UNSPEC
	case "inet", "inet4":
		return unix.AF_INET
	case "inet6":
		return unix.AF_INET6
	default:
		api.ArgError(L, n, fn, "invalid option '"+name+"'")
	}
	return 0
}
