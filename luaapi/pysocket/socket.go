package pysocket

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// constName is the name of v, a family or type, if it has one
// (core.FamilyName, core.TypeName), else its number.
func constName(name func(int) (string, bool), v int) string {
	if n, ok := name(v); ok {
		return n
	}
	return lua.LNumber(v).String()
}

// socketConstants are the module's numeric constants besides errno names.
var socketConstants = map[string]int{
	"AF_UNSPEC": unix.AF_UNSPEC, "AF_INET": unix.AF_INET, "AF_INET6": unix.AF_INET6, "AF_UNIX": unix.AF_UNIX,
	"SOCK_STREAM": unix.SOCK_STREAM, "SOCK_DGRAM": unix.SOCK_DGRAM,
	"SOCK_SEQPACKET": unix.SOCK_SEQPACKET, "SOCK_RAW": unix.SOCK_RAW,
	"SOL_SOCKET": unix.SOL_SOCKET, "SO_REUSEADDR": unix.SO_REUSEADDR, "SO_REUSEPORT": unix.SO_REUSEPORT,
	"SO_KEEPALIVE": unix.SO_KEEPALIVE, "SO_BROADCAST": unix.SO_BROADCAST, "SO_RCVBUF": unix.SO_RCVBUF,
	"SO_SNDBUF": unix.SO_SNDBUF, "SO_LINGER": unix.SO_LINGER, "SO_ERROR": unix.SO_ERROR, "SO_TYPE": unix.SO_TYPE,
	"SO_RCVTIMEO": unix.SO_RCVTIMEO, "SO_SNDTIMEO": unix.SO_SNDTIMEO, "SO_ACCEPTCONN": unix.SO_ACCEPTCONN,
	"IPPROTO_IP": unix.IPPROTO_IP, "IPPROTO_TCP": unix.IPPROTO_TCP, "IPPROTO_UDP": unix.IPPROTO_UDP,
	"IPPROTO_IPV6": unix.IPPROTO_IPV6, "IPPROTO_ICMP": unix.IPPROTO_ICMP, "IPPROTO_ICMPV6": unix.IPPROTO_ICMPV6,
	"IPPROTO_RAW": unix.IPPROTO_RAW,
	"TCP_NODELAY": unix.TCP_NODELAY, "TCP_KEEPIDLE": unix.TCP_KEEPIDLE, "TCP_KEEPINTVL": unix.TCP_KEEPINTVL,
	"TCP_KEEPCNT": unix.TCP_KEEPCNT,
	"IPV6_V6ONLY": unix.IPV6_V6ONLY, "IP_TTL": unix.IP_TTL, "IP_MULTICAST_TTL": unix.IP_MULTICAST_TTL,
	"SHUT_RD": unix.SHUT_RD, "SHUT_WR": unix.SHUT_WR, "SHUT_RDWR": unix.SHUT_RDWR,
	"MSG_PEEK": unix.MSG_PEEK, "MSG_WAITALL": unix.MSG_WAITALL, "MSG_DONTWAIT": unix.MSG_DONTWAIT,
	"MSG_OOB": unix.MSG_OOB, "MSG_TRUNC": unix.MSG_TRUNC, "MSG_CTRUNC": unix.MSG_CTRUNC,
	"MSG_NOSIGNAL": unix.MSG_NOSIGNAL, "MSG_CMSG_CLOEXEC": unix.MSG_CMSG_CLOEXEC,
	"SCM_RIGHTS": unix.SCM_RIGHTS, "SCM_CREDENTIALS": unix.SCM_CREDENTIALS, "SO_PASSCRED": unix.SO_PASSCRED,
	"SO_DOMAIN": unix.SO_DOMAIN, "SO_PROTOCOL": unix.SO_PROTOCOL, "SO_BINDTODEVICE": unix.SO_BINDTODEVICE,
	"IP_ADD_MEMBERSHIP": unix.IP_ADD_MEMBERSHIP, "IP_DROP_MEMBERSHIP": unix.IP_DROP_MEMBERSHIP,
	"IP_MULTICAST_LOOP": unix.IP_MULTICAST_LOOP, "IP_MULTICAST_IF": unix.IP_MULTICAST_IF, "IP_TOS": unix.IP_TOS,
	"IPV6_JOIN_GROUP": unix.IPV6_JOIN_GROUP, "IPV6_LEAVE_GROUP": unix.IPV6_LEAVE_GROUP,
	"IPV6_MULTICAST_HOPS": unix.IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_LOOP": unix.IPV6_MULTICAST_LOOP,
	"IPV6_MULTICAST_IF": unix.IPV6_MULTICAST_IF, "IPV6_UNICAST_HOPS": unix.IPV6_UNICAST_HOPS,
	"INADDR_ANY": 0, "INADDR_LOOPBACK": 0x7f000001, "INADDR_BROADCAST": 0xffffffff,
	"INADDR_NONE": 0xffffffff, "INADDR_ALLHOSTS_GROUP": 0xe0000001,
	"NI_NUMERICHOST": niNumericHost, "NI_NUMERICSERV": niNumericServ, "NI_NOFQDN": niNoFQDN,
	"NI_NAMEREQD": niNameReqd, "NI_DGRAM": niDgram,
	"SOMAXCONN":  unix.SOMAXCONN,
	"AI_PASSIVE": aiPassive, "AI_CANONNAME": aiCanonName, "AI_NUMERICHOST": aiNumericHost,
	"EAI_NONAME": int(core.EAINoName), "EAI_AGAIN": int(core.EAIAgain), "EAI_FAIL": int(core.EAIFail),
	"EAI_FAMILY": int(core.EAIFamily), "EAI_SERVICE": int(core.EAIService), "EAI_ADDRFAMILY": int(core.EAIAddrFamily),
}

// getaddrinfo's flags, as glibc numbers them.
const (
	aiPassive     = 1
	aiCanonName   = 2
	aiNumericHost = 4
)

func optionName(level, opt int) string {
	for name, v := range socketConstants {
		if v == opt && (strings.HasPrefix(name, "SO_") && level == unix.SOL_SOCKET ||
			strings.HasPrefix(name, "TCP_") && level == unix.IPPROTO_TCP ||
			strings.HasPrefix(name, "IPV6_") && level == unix.IPPROTO_IPV6 ||
			strings.HasPrefix(name, "IP_") && level == unix.IPPROTO_IP) {
			return name
		}
	}
	return lua.LNumber(level).String() + "/" + lua.LNumber(opt).String()
}

// Module is the Python face's state in one VM, which its socket and select
// modules and every socket object they make share: the VM, the timeout
// new sockets get, what --report and worker mode ask of new sockets, the
// cache of address texts and the sockets' metatables.
type Module struct {
	vm *api.VM
	// defaultTimeout is what new sockets get (socket.setdefaulttimeout).
	defaultTimeout time.Duration
	// reusePort makes IP sockets SO_REUSEPORT (worker mode); report keeps
	// where each socket was made (--report).
	reusePort, report bool
	// hosts caches address texts and parses (addr.go).
	hosts hostCache
	// metas are the metatables of sockets, one per kind (sockobj.go).
	metas map[socketMetaKey]*lua.LTable
	// listen are the sockets a service manager handed the run
	// (listenfds.go).
	listen *listenFDs
	// counted is the Lua number of the count counted (count).
	counted    lua.LValue
	countedInt int
}

// count is the Lua number n, a count of bytes send or sendto returns. A
// Go number made a Lua value is an allocation; a server sends the same
// count again and again, and gets the value of the last one back.
func (py *Module) count(n int) lua.LValue {
	if py.counted == nil || py.countedInt != n {
		py.counted, py.countedInt = lua.LNumber(n), n
	}
	return py.counted
}

func newModule(vm *api.VM) any {
	cfg := vm.Config()
	timeout := time.Duration(-1)
	if cfg.DefaultTimeout != nil {
		timeout = *cfg.DefaultTimeout
	}
	return &Module{vm: vm, defaultTimeout: timeout, reusePort: cfg.ReusePort, report: cfg.Report,
		listen: newListenFDs(vm.Host().Context(), cfg.ListenFDs)}
}

// socketModule is the Python face's part of the socket module, whose
// instance the select module shares.
var socketModule = &api.Module{
	Name:    "socket",
	Network: true,
	New:     newModule,
	Summary: "Python's socket module: sockets, addresses, name lookups, constants",
	Doc:     "docs/api.md",
	Funcs: []api.Func{
		api.Method("socket", "socket.socket([family [, type [, proto [, fileno]]]])", "a new socket, AF_INET and SOCK_STREAM by default; with fileno, a socket object for that descriptor", (*Module).socketNew).
			Does(api.Opens).Params(api.OneOf("AF_*"), api.OneOf("SOCK_*"), api.OneOf("IPPROTO_*"), api.Int).Returns(api.Obj("socket.socket")),
		api.Method("socketpair", "socket.socketpair([family [, type [, proto]]])", "two connected sockets, AF_UNIX and SOCK_STREAM by default", (*Module).socketSocketpair).
			Does(api.Opens).Params(api.OneOf("AF_*"), api.OneOf("SOCK_*"), api.OneOf("IPPROTO_*")).Returns(api.Obj("socket.socket"), api.Obj("socket.socket")),
		api.Method("fromfd", "socket.fromfd(fd [, family [, type [, proto]]])", "a socket on a duplicate of the descriptor fd", (*Module).socketFromfd).
			Does(api.Opens).Params(api.Int, api.OneOf("AF_*"), api.OneOf("SOCK_*"), api.OneOf("IPPROTO_*")).Returns(api.Obj("socket.socket")),
		api.Method("listen_fds", "socket.listen_fds()", "the listening sockets a service manager handed the run (socket activation: LISTEN_FDS), and their names", (*Module).socketListenFds).
			Returns(api.T("socket.socket[]").Named("socks"), api.T("string[]").Named("names")),
		api.Method("close", "socket.close(fd)", "closes a descriptor that is not a socket object", (*Module).socketCloseFD).
			Does(api.Closes).Params(api.Int),
		api.Method("send_fds", "socket.send_fds(sock, buffers, fds [, flags [, address]])", "sends data with descriptors (SCM_RIGHTS) over a unix socket; returns the count sent", (*Module).socketSendFds).
			Sends(api.Arg("buffers")).Params(api.Obj("socket.socket"), api.Data.As("string|string[]"), api.T("integer[]"), api.Flags("MSG_*"), api.Address).Returns(api.Int),
		api.Method("recv_fds", "socket.recv_fds(sock, bufsize, maxfds [, flags])", "receives data and descriptors: data, fds, msg_flags, address", (*Module).socketRecvFds).
			Receives(api.Result(1)).Params(api.Obj("socket.socket"), api.Size, api.Int, api.Flags("MSG_*")).
			Returns(api.Data.Named("data"), api.T("integer[]").Named("fds"), api.Int.Named("msg_flags"), api.Address.As("socket.address|string|nil").Named("address")),
		api.Fn("CMSG_LEN", "socket.CMSG_LEN(n)", "the length of a control message of n data bytes", socketCmsgLen).
			Params(api.Int).Returns(api.Int),
		api.Fn("CMSG_SPACE", "socket.CMSG_SPACE(n)", "the room a control message of n data bytes takes, for recvmsg's ancbufsize", socketCmsgSpace).
			Params(api.Int).Returns(api.Int),
		api.Method("gethostbyaddr", "socket.gethostbyaddr(ip_or_name)", "the host's name, aliases and addresses, by reverse lookup", (*Module).socketGethostbyaddr).
			Params(api.HostName).Returns(api.Str.Named("hostname"), api.T("string[]").Named("aliases"), api.T("string[]").Named("addresses")),
		api.Method("getnameinfo", "socket.getnameinfo(address, flags)", "the host name and service name of an address", (*Module).socketGetnameinfo).
			Params(api.Address, api.Flags("NI_*")).Returns(api.Str.Named("host"), api.Str.Named("port")),
		api.Fn("getservbyname", "socket.getservbyname(name [, proto])", "the port of a service (/etc/services)", socketGetservbyname).
			Params(api.Str, api.Str).Returns(api.Int),
		api.Fn("getservbyport", "socket.getservbyport(port [, proto])", "the name of the service on a port", socketGetservbyport).
			Params(api.Int, api.Str).Returns(api.Str),
		api.Fn("explain", "socket.explain(err)", "one line on the likely cause of an error value, or nil", socketExplain).
			Params(api.T("socket.error|any")).Returns(api.T("string?")),
		api.Method("create_connection", "socket.create_connection(address [, timeout])", "a TCP socket connected to the first address of host that answers", (*Module).socketCreateConnection).
			Does(api.Opens|api.Connects).Params(api.Address, api.Timeout).Returns(api.Obj("socket.socket")),
		api.Method("create_server", "socket.create_server(address [, options])", "a listening TCP socket with SO_REUSEADDR", (*Module).socketCreateServer).
			Does(api.Opens|api.Binds|api.Listens).Params(api.Address, api.T("socket.serveroptions")).Returns(api.Obj("socket.socket")),
		api.Method("gethostbyname", "socket.gethostbyname(host)", "the host's first IPv4 address", (*Module).socketGethostbyname).
			Params(api.HostName).Returns(api.Str),
		api.Method("gethostbyname_ex", "socket.gethostbyname_ex(host)", "the canonical name, aliases and IPv4 addresses of host", (*Module).socketGethostbynameEx).
			Params(api.HostName).Returns(api.Str.Named("hostname"), api.T("string[]").Named("aliases"), api.T("string[]").Named("addresses")),
		api.Method("gethostname", "socket.gethostname()", "this machine's host name", (*Module).socketGethostname).
			Returns(api.Str),
		api.Method("getaddrinfo", "socket.getaddrinfo(host, port [, family [, type [, proto [, flags]]]])", "the addresses to connect or bind to, as Python returns them", (*Module).socketGetaddrinfo).
			Params(api.HostName.As("string?"), api.Port.As("integer|string|nil"), api.OneOf("AF_*"), api.OneOf("SOCK_*"), api.OneOf("IPPROTO_*"), api.Flags("AI_*")).
			Returns(api.T("socket.addrinfo[]")),
		api.Method("getfqdn", "socket.getfqdn([name])", "the fully qualified name of name or of this machine", (*Module).socketGetfqdn).
			Params(api.HostName).Returns(api.Str),
		api.Fn("inet_pton", "socket.inet_pton(family, text)", "an IPv4 or IPv6 address packed in 4 or 16 bytes", socketInetPton).
			Params(api.OneOf("AF_*"), api.Str).Returns(api.Str),
		api.Fn("inet_ntop", "socket.inet_ntop(family, packed)", "the text form of a packed address", socketInetNtop).
			Params(api.OneOf("AF_*"), api.Str).Returns(api.Str),
		api.Fn("inet_aton", "socket.inet_aton(text)", "an IPv4 address packed in 4 bytes, as C's inet_aton reads it", socketInetAton).
			Params(api.Str).Returns(api.Str),
		api.Fn("inet_ntoa", "socket.inet_ntoa(packed)", "the dotted text of a packed IPv4 address", socketInetNtoa).
			Params(api.Str).Returns(api.Str),
		api.Fn("htons", "socket.htons(n)", "a 16-bit number in network byte order", socketSwap16("htons")).
			Params(api.Int).Returns(api.Int),
		api.Fn("ntohs", "socket.ntohs(n)", "a 16-bit number from network byte order", socketSwap16("ntohs")).
			Params(api.Int).Returns(api.Int),
		api.Fn("htonl", "socket.htonl(n)", "a 32-bit number in network byte order", socketSwap32("htonl")).
			Params(api.Int).Returns(api.Int),
		api.Fn("ntohl", "socket.ntohl(n)", "a 32-bit number from network byte order", socketSwap32("ntohl")).
			Params(api.Int).Returns(api.Int),
		api.Method("sleep", "socket.sleep(seconds)", "waits, letting other threads run", (*Module).socketSleep).
			Does(api.Waits).Params(api.Num),
		api.Fn("time", "socket.time()", "monotonic seconds, for measuring intervals", socketTime).Local().
			Returns(api.Num),
		api.Method("getdefaulttimeout", "socket.getdefaulttimeout()", "the timeout new sockets get, nil for blocking", (*Module).socketGetdefaulttimeout).
			Returns(api.T("number?")),
		api.Method("setdefaulttimeout", "socket.setdefaulttimeout(seconds)", "sets the timeout new sockets get: nil blocking, 0 non-blocking, seconds a deadline for each call", (*Module).socketSetdefaulttimeout).
			Params(api.Timeout.As("number?")),
	},
	Types:    []*api.Type{SocketType, socketFileType},
	Consts:   socketConsts,
	Families: socketFamilies,
	Values: []api.Value{
		{Name: "errorcode", Type: "table<integer, string>", Summary: "the name of each errno: `socket.errorcode[socket.ECONNREFUSED] == \"ECONNREFUSED\"`"},
		{Name: "has_ipv6", Type: "boolean", Summary: "`true`"},
	},
	Shapes: socketShapes,
	Setup: func(_ any, L *lua.LState, mod *lua.LTable) {
		openAddrMeta(L)
		errorcode := L.NewTable()
		for e := syscall.Errno(1); e < 134; e++ {
			if name := api.ErrnoName(e); name != "" {
				errorcode.RawSetInt(int(e), lua.LString(name))
			}
		}
		mod.RawSetString("errorcode", errorcode)
		mod.RawSetString("has_ipv6", lua.LTrue)
	},
}

func init() { api.Register(socketModule) }

// socketConsts are the socket module's constants: families, types,
// options, flags, getaddrinfo's flags and errors, and every errno name.
func socketConsts() []api.Const {
	consts := make([]api.Const, 0, len(socketConstants)+160)
	for name, v := range socketConstants {
		consts = append(consts, api.Const{Name: name, Value: lua.LNumber(v)})
	}
	return append(consts, api.ErrnoConsts()...)
}

// socketNew is socket.socket([family [, type [, proto]]]): a new socket,
// AF_INET and SOCK_STREAM by default.
func (py *Module) socketNew(L *lua.LState) int {
	if L.Get(4) != lua.LNil {
		// socket.socket(family, type, proto, fileno): adopt a descriptor.
		fd := api.CheckInt(L, 4, "socket", 0)
		s := py.adopt(L, fd, api.OptInt(L, 1, "socket", 0, 0), api.OptInt(L, 2, "socket", 0, 0), api.OptInt(L, 3, "socket", 0, -1), "socket")
		L.Push(s.ud)
		return 1
	}
	family := api.OptInt(L, 1, "socket", 0, unix.AF_INET)
	stype := api.OptInt(L, 2, "socket", 0, unix.SOCK_STREAM)
	proto := api.OptInt(L, 3, "socket", 0, 0)
	s, err := py.openSocket3(L, family, stype, proto)
	if err != nil {
		py.vm.Raise(L, err, "socket", "")
	}
	L.Push(s.ud)
	return 1
}

// openSocket3 creates a socket of family, type and protocol. In worker
// mode IP sockets get SO_REUSEPORT, so every worker can bind the same port.
func (py *Module) openSocket3(L *lua.LState, family, stype, proto int) (*Socket, error) {
	s := &Socket{}
	if err := core.Open(py.vm, &s.Socket, family, stype, proto); err != nil {
		return nil, err
	}
	if py.reusePort && (family == unix.AF_INET || family == unix.AF_INET6) && stype != unix.SOCK_RAW {
		if err := s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			s.Close()
			return nil, os.NewSyscallError("setsockopt", err)
		}
	}
	return py.newSocket(L, s), nil
}

// socketCreateConnection is socket.create_connection(address [, timeout]):
// resolves address, tries each of its IPs in turn and returns the first
// connected socket; the timeout applies to the socket.
func (py *Module) socketCreateConnection(L *lua.LState) int {
	a, next := checkAddr(L, unix.AF_INET, 1, "create_connection", 0)
	timeout := py.defaultTimeout
	if L.GetTop() >= next {
		timeout = api.CheckTimeout(L, next, "create_connection", 0)
	}
	ips, err := core.Lookup(py.vm, L, unix.AF_UNSPEC, a.host)
	if err != nil {
		py.vm.Raise(L, err, "create_connection", a.String())
	}
	for _, ip := range ips {
		var s *Socket
		s, err = py.openSocket3(L, core.FamilyOf(ip), unix.SOCK_STREAM, 0)
		if err != nil {
			break
		}
		s.SetTimeout(timeout)
		err = py.connect(L, s, addrArg{host: ip.String(), port: a.port})
		if err == nil {
			L.Push(s.ud)
			return 1
		}
		s.closeFD()
		if py.vm.CallContext(L).Err() != nil {
			break
		}
	}
	py.vm.Raise(L, err, "create_connection", a.String())
	return 0
}

// socketCreateServer is socket.create_server(address [, options]): a
// listening TCP socket with SO_REUSEADDR. options: backlog (default 128),
// reuse_port, family (default from the host), dualstack_ipv6.
func (py *Module) socketCreateServer(L *lua.LState) int {
	a, next := checkAddr(L, unix.AF_INET, 1, "create_server", 0)
	family, backlog := unix.AF_INET, 128
	reusePort, dualstack := false, false
	if ip, err := netip.ParseAddr(a.host); err == nil && ip.Is6() && !ip.Is4In6() {
		family = unix.AF_INET6
	}
	if opts, ok := L.Get(next).(*lua.LTable); ok {
		opts.ForEach(func(k, v lua.LValue) {
			name, _ := k.(lua.LString)
			switch name {
			case "family":
				family = optionInt(L, next, name, v)
			case "backlog":
				backlog = optionInt(L, next, name, v)
			case "reuse_port":
				reusePort = api.Truthy(v)
			case "dualstack_ipv6":
				dualstack = api.Truthy(v)
			default:
				api.ArgError(L, next, "create_server", "unknown option "+lua.LVAsString(L.ToStringMeta(k))+
					" (options are backlog, reuse_port, family, dualstack_ipv6)")
			}
		})
	} else if L.Get(next) != lua.LNil {
		api.ArgError(L, next, "create_server", "options table expected, got "+api.TypeName(L.Get(next)))
	}
	switch {
	case family != unix.AF_INET && family != unix.AF_INET6:
		api.ArgError(L, next, "create_server", "family must be AF_INET or AF_INET6")
	case dualstack && family != unix.AF_INET6:
		api.ArgError(L, next, "create_server", "dualstack_ipv6 requires the AF_INET6 family")
	}
	s, err := py.openSocket3(L, family, unix.SOCK_STREAM, 0)
	if err != nil {
		py.vm.Raise(L, err, "create_server", a.String())
	}
	err = s.Control(func(fd int) error {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return err
		}
		if reusePort {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
				return err
			}
		}
		if family == unix.AF_INET6 {
			v6only := 1
			if dualstack {
				v6only = 0
			}
			return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only)
		}
		return nil
	})
	if err == nil {
		var sa unix.Sockaddr
		if sa, err = py.sockaddrOf(L, family, a); err == nil {
			if err = s.Bind(sa); err == nil {
				err = s.Listen(backlog)
			}
		}
	}
	if err != nil {
		s.closeFD()
		py.vm.Raise(L, err, "create_server", a.String())
	}
	L.Push(s.ud)
	return 1
}

// optionInt reads the number v of option name in the options table at
// argument n of create_server.
func optionInt(L *lua.LState, n int, name lua.LString, v lua.LValue) int {
	f, ok := v.(lua.LNumber)
	if !ok {
		api.ArgError(L, n, "create_server", "option "+string(name)+" must be a number, got "+api.TypeName(v))
	}
	return int(f)
}

// socketGethostbyname is socket.gethostbyname(host): the host's first IPv4
// address as a string.
func (py *Module) socketGethostbyname(L *lua.LState) int {
	host := api.CheckString(L, 1, "gethostbyname")
	ips, err := core.Lookup(py.vm, L, unix.AF_INET, host)
	if err != nil {
		py.vm.Raise(L, err, "gethostbyname", host)
	}
	L.Push(lua.LString(ips[0].String()))
	return 1
}

// socketGethostbynameEx is socket.gethostbyname_ex(host): returns the
// canonical name, a list of aliases and a list of IPv4 addresses.
func (py *Module) socketGethostbynameEx(L *lua.LState) int {
	host := api.CheckString(L, 1, "gethostbyname_ex")
	ips, err := core.Lookup(py.vm, L, unix.AF_INET, host)
	if err != nil {
		py.vm.Raise(L, err, "gethostbyname_ex", host)
	}
	name := core.CanonicalName(py.vm, L, host)
	aliases := L.NewTable()
	if name != host {
		aliases.Append(lua.LString(host))
	}
	list := L.CreateTable(len(ips), 0)
	for _, ip := range ips {
		list.Append(lua.LString(ip.String()))
	}
	L.Push(lua.LString(name))
	L.Push(aliases)
	L.Push(list)
	return 3
}

// socketGethostname is socket.gethostname(): this machine's host name.
func (py *Module) socketGethostname(L *lua.LState) int {
	name, err := os.Hostname()
	if err != nil {
		py.vm.Raise(L, err, "gethostname", "")
	}
	L.Push(lua.LString(name))
	return 1
}

// socketGetaddrinfo is socket.getaddrinfo(host, port [, family [, type
// [, proto [, flags]]]]): a list of {family, type, proto, canonname, addr}
// entries (also read as e.family, e.type, ...), one per address and socket
// type, as Python returns them. host is a name, a literal or nil (the
// loopback addresses, or the any addresses with AI_PASSIVE); port is a
// number, a service name ("http") or nil.
func (py *Module) socketGetaddrinfo(L *lua.LState) int {
	host, hasHost := "", false
	switch h := L.Get(1).(type) {
	case lua.LString:
		host, hasHost = string(h), true
		if hp, ok := splitHostPort(host); ok {
			// socket.getaddrinfo("example.com:80"): no name has a colon.
			ex := strings.TrimSuffix(strings.TrimPrefix(hp, "{"), "}")
			api.ArgError(L, 1, "getaddrinfo", fmt.Sprintf("host %q has a port in it: the port is the second argument, socket.getaddrinfo(%s)", host, ex))
		}
	case *lua.LNilType:
	default:
		api.ArgError(L, 1, "getaddrinfo", "string or nil expected, got "+api.TypeName(h))
	}
	family := api.OptInt(L, 3, "getaddrinfo", 0, unix.AF_UNSPEC)
	stype := api.OptInt(L, 4, "getaddrinfo", 0, 0)
	proto := api.OptInt(L, 5, "getaddrinfo", 0, 0)
	flags := api.OptInt(L, 6, "getaddrinfo", 0, 0)
	fail := func(code core.GaiError, addr string) {
		api.RaiseOS(L, api.GaiError(code, "getaddrinfo", addr))
	}
	port, hasPort := 0, true
	switch p := L.Get(2).(type) {
	case lua.LNumber:
		n, ok := api.ToPort(p)
		if !ok {
			api.ArgError(L, 2, "getaddrinfo", "port must be a number 0-65535, got "+p.String())
		}
		port = n
	case lua.LString:
		if n, ok := api.ToPort(p); ok {
			port = n
			break
		}
		if stype != 0 && stype != unix.SOCK_STREAM && stype != unix.SOCK_DGRAM {
			fail(core.EAIService, string(p))
		}
		network := "tcp"
		if stype == unix.SOCK_DGRAM {
			network = "udp"
		}
		n, err := core.LookupPort(py.vm, L, network, string(p))
		if err != nil {
			fail(core.EAIService, string(p))
		}
		port = n
	case *lua.LNilType:
		hasPort = false
	default:
		api.ArgError(L, 2, "getaddrinfo", "number, string or nil expected, got "+api.TypeName(p))
	}
	if family != unix.AF_UNSPEC && family != unix.AF_INET && family != unix.AF_INET6 {
		fail(core.EAIFamily, host)
	}
	var ips []netip.Addr
	switch {
	case !hasHost && !hasPort:
		fail(core.EAINoName, "")
	case !hasHost && flags&aiPassive != 0:
		ips = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	case !hasHost:
		ips = []netip.Addr{netip.IPv6Loopback(), netip.AddrFrom4([4]byte{127, 0, 0, 1})}
	case host == "":
		fail(core.EAINoName, host)
	default:
		if _, literal, _ := core.ParseLiteral(family, host); !literal && flags&aiNumericHost != 0 {
			fail(core.EAINoName, host)
		}
		var err error
		if ips, err = core.Lookup(py.vm, L, family, host); err != nil {
			py.vm.Raise(L, err, "getaddrinfo", host)
		}
	}
	canonname := ""
	if flags&aiCanonName != 0 && hasHost {
		canonname = core.CanonicalName(py.vm, L, host)
	}
	type kind struct{ stype, proto int }
	kinds := []kind{{unix.SOCK_STREAM, unix.IPPROTO_TCP}, {unix.SOCK_DGRAM, unix.IPPROTO_UDP}, {unix.SOCK_RAW, 0}}
	if stype == unix.SOCK_SEQPACKET {
		kinds = []kind{{unix.SOCK_SEQPACKET, unix.IPPROTO_SCTP}}
	}
	result := L.NewTable()
	for _, ip := range ips {
		if family == unix.AF_INET && !ip.Is4() || family == unix.AF_INET6 && ip.Is4() {
			continue
		}
		for _, k := range kinds {
			if stype != 0 && k.stype != stype || proto != 0 && k.proto != proto {
				continue
			}
			e := L.CreateTable(5, 5)
			e.Append(lua.LNumber(core.FamilyOf(ip)))
			e.Append(lua.LNumber(k.stype))
			e.Append(lua.LNumber(k.proto))
			e.Append(lua.LString(canonname))
			e.Append(newAddr(L, core.IPString(ip), port))
			for i, name := range []string{"family", "type", "proto", "canonname", "addr"} {
				e.RawSetString(name, e.RawGetInt(i+1))
			}
			result.Append(e)
			canonname = "" // only the first entry has it, as in C
		}
	}
	L.Push(result)
	return 1
}

// socketGetfqdn is socket.getfqdn([name]): the fully qualified name of
// name (default this host), as Python finds it: the first of the names of
// name's address that has a dot, else the first, else name itself.
func (py *Module) socketGetfqdn(L *lua.LState) int {
	name := ""
	if L.Get(1) != lua.LNil {
		name = strings.TrimSpace(api.CheckString(L, 1, "getfqdn"))
	}
	if name == "" || name == "0.0.0.0" || name == "::" {
		name, _ = os.Hostname()
	}
	fqdn := name
	if ips, err := core.Lookup(py.vm, L, unix.AF_UNSPEC, name); err == nil {
		names, err := core.LookupAddr(py.vm, L, ips[0].String())
		if err == nil && len(names) > 0 {
			fqdn = strings.TrimSuffix(names[0], ".")
			for _, n := range names {
				if n = strings.TrimSuffix(n, "."); strings.Contains(n, ".") {
					fqdn = n
					break
				}
			}
		}
	}
	L.Push(lua.LString(fqdn))
	return 1
}

// socketInetPton is socket.inet_pton(family, text): the address in packed
// binary form (4 or 16 bytes).
func socketInetPton(L *lua.LState) int {
	family := api.CheckInt(L, 1, "inet_pton", 0)
	text := api.CheckString(L, 2, "inet_pton")
	ip, err := netip.ParseAddr(text)
	switch {
	case err != nil || ip.Zone() != "":
		api.RaiseOS(L, &api.OSError{Class: "OSError", Message: "illegal IP address string passed to inet_pton", Op: "inet_pton", Addr: text})
	case family == unix.AF_INET && ip.Is4():
		b := ip.As4()
		L.Push(lua.LString(b[:]))
	case family == unix.AF_INET6 && ip.Is6():
		b := ip.As16()
		L.Push(lua.LString(b[:]))
	case family == unix.AF_INET || family == unix.AF_INET6:
		api.RaiseOS(L, &api.OSError{Class: "OSError", Message: "illegal IP address string passed to inet_pton", Op: "inet_pton", Addr: text})
	default:
		api.RaiseOS(L, api.ErrnoError(unix.EAFNOSUPPORT, "inet_pton", text))
	}
	return 1
}

// socketInetNtop is socket.inet_ntop(family, packed): the text form of a
// packed 4- or 16-byte address.
func socketInetNtop(L *lua.LState) int {
	family := api.CheckInt(L, 1, "inet_ntop", 0)
	packed := api.CheckString(L, 2, "inet_ntop")
	switch {
	case family == unix.AF_INET && len(packed) == 4:
		L.Push(lua.LString(netip.AddrFrom4([4]byte([]byte(packed))).String()))
	case family == unix.AF_INET6 && len(packed) == 16:
		L.Push(lua.LString(core.IPString(netip.AddrFrom16([16]byte([]byte(packed))))))
	case family == unix.AF_INET || family == unix.AF_INET6:
		api.ArgError(L, 2, "inet_ntop", "invalid length of packed IP address string")
	default:
		api.ArgError(L, 1, "inet_ntop", "unknown address family "+strconv.Itoa(family))
	}
	return 1
}

// socketInetAton is socket.inet_aton(text): an IPv4 address packed in 4
// bytes. It takes what the C library's inet_aton takes: "127.1", "0x7f.1",
// "010.0.0.1" (octal) as well as "127.0.0.1".
func socketInetAton(L *lua.LState) int {
	text := api.CheckString(L, 1, "inet_aton")
	ip, ok := core.InetAton(text, false)
	if !ok {
		api.RaiseOS(L, &api.OSError{Class: "OSError", Message: "illegal IP address string passed to inet_aton", Op: "inet_aton", Addr: text})
	}
	b := ip.As4()
	L.Push(lua.LString(b[:]))
	return 1
}

// socketInetNtoa is socket.inet_ntoa(packed): the dotted text of 4 bytes.
func socketInetNtoa(L *lua.LState) int {
	packed := api.CheckString(L, 1, "inet_ntoa")
	if len(packed) != 4 {
		api.ArgError(L, 1, "inet_ntoa", "packed IP wrong length for inet_ntoa")
	}
	L.Push(lua.LString(netip.AddrFrom4([4]byte([]byte(packed))).String()))
	return 1
}

// socketSwap16 is socket.htons(n) and socket.ntohs(n), named fn: n with
// the bytes of its 16 bits in network order (or back: it is the same swap).
func socketSwap16(fn string) lua.LGFunction {
	return func(L *lua.LState) int {
		n := api.CheckInt(L, 1, fn, 0)
		if n < 0 || n > 0xffff {
			api.ArgError(L, 1, fn, "number 0-65535 expected, got "+lua.LVAsString(L.Get(1)))
		}
		L.Push(lua.LNumber(toNetwork16(uint16(n))))
		return 1
	}
}

// socketSwap32 is socket.htonl(n) and socket.ntohl(n), named fn: n with
// the bytes of its 32 bits in network order (or back).
func socketSwap32(fn string) lua.LGFunction {
	return func(L *lua.LState) int {
		n := api.CheckInt(L, 1, fn, 0)
		if n < 0 || n > 0xffffffff {
			api.ArgError(L, 1, fn, "number 0-4294967295 expected, got "+lua.LVAsString(L.Get(1)))
		}
		L.Push(lua.LNumber(toNetwork32(uint32(n))))
		return 1
	}
}

var hostIsBigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

func toNetwork16(n uint16) uint16 {
	if hostIsBigEndian {
		return n
	}
	return bits.ReverseBytes16(n)
}

func toNetwork32(n uint32) uint32 {
	if hostIsBigEndian {
		return n
	}
	return bits.ReverseBytes32(n)
}

// socketSleep is socket.sleep(seconds): waits, letting other threads run;
// Ctrl-C ends the wait with an interrupt error.
func (py *Module) socketSleep(L *lua.LState) int {
	py.vm.Sleep(L, "sleep")
	return 0
}

var start = time.Now()

// socketTime is socket.time(): monotonic seconds as a float, for measuring
// intervals.
func socketTime(L *lua.LState) int {
	L.Push(lua.LNumber(time.Since(start).Seconds()))
	return 1
}

// socketGetdefaulttimeout is socket.getdefaulttimeout(): the timeout new
// sockets get, nil for blocking.
func (py *Module) socketGetdefaulttimeout(L *lua.LState) int {
	L.Push(api.TimeoutValue(py.defaultTimeout))
	return 1
}

// socketSetdefaulttimeout is socket.setdefaulttimeout(seconds|nil): sets
// the timeout new sockets get.
func (py *Module) socketSetdefaulttimeout(L *lua.LState) int {
	py.defaultTimeout = api.CheckTimeout(L, 1, "setdefaulttimeout", 0)
	return 0
}

// socketExplain is socket.explain(err): the explanation of an error value
// a socket call raised, or nil if it has none.
func socketExplain(L *lua.LState) int {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	if x, ok := t.RawGetString("explanation").(lua.LString); ok && x != "" {
		L.Push(x)
	} else {
		L.Push(lua.LNil)
	}
	return 1
}
