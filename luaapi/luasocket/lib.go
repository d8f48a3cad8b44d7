package luasocket

import (
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// The LuaSocket face's module functions, in the same socket table as the
// Python face's: LuaSocket's names (tcp, udp, bind, connect, select, dns,
// gettime, protect, try, newtry, skip, sink, source, ...) do not collide
// with Python's, and sleep means the same in both. Also what LuaSocket's
// socket.lua adds in Lua over its C core (bind, connect4, try, choose,
// sinkt, sourcet, sink, source), so that socket.lua is not needed:
// require("socket") and require("socket.core") both return this table.

// luaSocketVersion is socket._VERSION: the LuaSocket API the face follows.
const luaSocketVersion = "LuaSocket 3.1.0"

var luaSocketTypes = lsTypes()

// Module is the LuaSocket face's state in one VM, which its socket and
// socket.unix parts and every object they make share: the VM, and the two
// settings the face reads.
type Module struct {
	vm *api.VM
	// debug gives the face LuaSocket's LUASOCKET_DEBUG behaviour
	// (Config.LuaSocketDebug).
	debug bool
	// reusePort makes IP sockets SO_REUSEPORT (worker mode).
	reusePort bool
}

// luaSocketModule is the face's part of the socket module, whose instance
// the socket.unix module shares.
var luaSocketModule = &api.Module{
	Name:      "socket",
	Network:   true,
	Summary:   "LuaSocket's API: tcp, udp and unix objects, select, dns, and the helpers LuaSocket's Lua modules use",
	Doc:       "docs/luasocket.md",
	Secondary: true, // Python's socket module is the reference; this face is for LuaSocket's scripts
	Funcs: []api.Func{
		api.Method("tcp", "socket.tcp()", "a new TCP master object; its family is chosen at bind or connect", lsNewTCP(unix.AF_UNSPEC)).
			Does(api.Opens).Failing(api.ReturnsNilErr).Returns(api.Obj("tcp.master").As("tcp.master|nil"), api.T("string?").Named("err")),
		api.Method("tcp4", "socket.tcp4()", "a new IPv4 TCP master object", lsNewTCP(unix.AF_INET)).
			Does(api.Opens).Failing(api.ReturnsNilErr).Returns(api.Obj("tcp.master").As("tcp.master|nil"), api.T("string?").Named("err")),
		api.Method("tcp6", "socket.tcp6()", "a new IPv6 TCP master object (IPv6 only)", lsNewTCP(unix.AF_INET6)).
			Does(api.Opens).Failing(api.ReturnsNilErr).Returns(api.Obj("tcp.master").As("tcp.master|nil"), api.T("string?").Named("err")),
		api.Method("udp", "socket.udp()", "a new unconnected UDP object; its family is chosen at first use", lsNewUDP(unix.AF_UNSPEC)).
			Does(api.Opens).Failing(api.ReturnsNilErr).Returns(api.Obj("udp.unconnected").As("udp.unconnected|nil"), api.T("string?").Named("err")),
		api.Method("udp4", "socket.udp4()", "a new unconnected IPv4 UDP object", lsNewUDP(unix.AF_INET)).
			Does(api.Opens).Failing(api.ReturnsNilErr).Returns(api.Obj("udp.unconnected").As("udp.unconnected|nil"), api.T("string?").Named("err")),
		api.Method("udp6", "socket.udp6()", "a new unconnected IPv6 UDP object (IPv6 only)", lsNewUDP(unix.AF_INET6)).
			Does(api.Opens).Failing(api.ReturnsNilErr).Returns(api.Obj("udp.unconnected").As("udp.unconnected|nil"), api.T("string?").Named("err")),
		api.Method("connect", "socket.connect(address, port [, laddress [, lport [, family]]])", "a TCP client object connected to address, or nil, err", (*Module).lsModConnect).
			Does(api.Opens|api.Connects).Failing(api.ReturnsNilErr).
			Params(api.HostName, api.Port, api.HostName, api.Port, api.T(`"inet"|"inet6"|"unspec"`)).
			Returns(api.Obj("tcp.client").As("tcp.client|nil"), api.T("string?").Named("err")),
		api.Method("connect4", "socket.connect4(address, port [, laddress [, lport]])", "socket.connect over IPv4", lsModConnectFamily("inet")).
			Does(api.Opens|api.Connects).Failing(api.ReturnsNilErr).Params(api.HostName, api.Port, api.HostName, api.Port).
			Returns(api.Obj("tcp.client").As("tcp.client|nil"), api.T("string?").Named("err")),
		api.Method("connect6", "socket.connect6(address, port [, laddress [, lport]])", "socket.connect over IPv6", lsModConnectFamily("inet6")).
			Does(api.Opens|api.Connects).Failing(api.ReturnsNilErr).Params(api.HostName, api.Port, api.HostName, api.Port).
			Returns(api.Obj("tcp.client").As("tcp.client|nil"), api.T("string?").Named("err")),
		api.Method("bind", "socket.bind(address, port [, backlog])", "a TCP server object bound to address and listening, or nil, err", (*Module).lsModBind).
			Does(api.Opens|api.Binds|api.Listens).Failing(api.ReturnsNilErr).Params(api.HostName, api.Port, api.Int).
			Returns(api.Obj("tcp.server").As("tcp.server|nil"), api.T("string?").Named("err")),
		api.Method("select", "socket.select(recvt, sendt [, timeout])", "waits until objects of recvt are readable or of sendt writable; returns the two lists, or with \"timeout\"", (*Module).lsSelect).
			Does(api.Waits).Params(api.T("table|nil"), api.T("table|nil"), api.Timeout).
			Returns(api.Table.Named("readable"), api.Table.Named("writable"), api.T("string?").Named("err")),
		api.Fn("gettime", "socket.gettime()", "the time in seconds since the epoch, with fractions", lsGettime).Local().
			Returns(api.Num),
		api.Fn("protect", "socket.protect(func)", "a function that calls func and returns nil, err for an error raised by try", lsProtect).
			Params(api.Function).Returns(api.Function),
		api.Fn("newtry", "socket.newtry([finalizer])", "a try function that calls finalizer before it raises", lsNewtry).
			Params(api.T("fun()")).Returns(api.T("fun(ret1: any, ...: any): ...")),
		api.Fn("try", "socket.try(ret1 [, ret2 ...])", "returns its arguments, or raises ret2 (for protect) if ret1 is nil or false", lsTry).
			Params(api.Any, api.Any).Returns(api.T("...")),
		api.Fn("skip", "socket.skip(d [, ret1 ...])", "its arguments after the first d", lsSkip).
			Params(api.Int, api.Any, api.Any).Returns(api.T("...")),
		api.Fn("choose", "socket.choose(table)", "a function that calls table[name](opt1, opt2) for its first argument name", lsChoose).
			Params(api.T("table<any, function>")).Returns(api.T("fun(name: any, opt1: any, opt2: any): ...")),
		api.Fn("sink", "socket.sink([mode,] sock)", "an LTN12 sink that sends to sock (\"keep-open\", \"close-when-done\")", lsSink).
			Params(api.T(`"keep-open"|"close-when-done"`), api.T("tcp.client|unix.client|any")).Returns(api.Function),
		api.Fn("source", "socket.source(mode, sock [, length])", "an LTN12 source that receives from sock (\"until-closed\", \"by-length\")", lsSource).
			Params(api.T(`"until-closed"|"by-length"`), api.T("tcp.client|unix.client|any"), api.Int).Returns(api.Function),
		api.Method("dns.toip", "socket.dns.toip(address)", "the first IPv4 address of a name, and what the lookup found; or nil, err", (*Module).lsDNSToip).
			Failing(api.ReturnsNilErr).Params(api.HostName).Returns(api.T("string|nil"), api.T("socket.dnsresolved|string")),
		api.Method("dns.tohostname", "socket.dns.tohostname(address)", "the canonical name of a name or address, and what the lookup found; or nil, err", (*Module).lsDNSTohostname).
			Failing(api.ReturnsNilErr).Params(api.HostName).Returns(api.T("string|nil"), api.T("socket.dnsresolved|string")),
		api.Method("dns.gethostname", "socket.dns.gethostname()", "this machine's host name", (*Module).lsDNSGethostname).
			Returns(api.Str),
		api.Method("dns.getaddrinfo", "socket.dns.getaddrinfo(address)", "every address of a name: a list of {family = \"inet\" | \"inet6\", addr = ...}; or nil, err", (*Module).lsDNSGetaddrinfo).
			Failing(api.ReturnsNilErr).Params(api.HostName).Returns(api.T(`{family: "inet"|"inet6", addr: string}[]|nil`), api.T("string?").Named("err")),
		api.Method("dns.getnameinfo", "socket.dns.getnameinfo(address [, port])", "the names of an address (a list), and the service name of port; or nil, err", (*Module).lsDNSGetnameinfo).
			Failing(api.ReturnsNilErr).Params(api.HostName.As("string|nil"), api.Port).Returns(api.T("string[]|nil"), api.T("string?").Named("service_or_err")),
	},
	Types: luaSocketTypes,
	New:   newModule,
	Defs:  "luasocket.lua",
	Values: []api.Value{
		{Name: "_VERSION", Type: "string", Summary: "`\"LuaSocket 3.1.0\"`: the LuaSocket API this face follows"},
		{Name: "_SETSIZE", Type: "integer", Summary: "the most descriptors `socket.select` takes: the process's limit of open files"},
		{Name: "_SOCKETINVALID", Type: "integer", Summary: "`-1`: what `getfd` returns for an object with no descriptor"},
		{Name: "_DATAGRAMSIZE", Type: "integer", Summary: "`8192`: the default size of `udp:receive`"},
		{Name: "BLOCKSIZE", Type: "integer", Summary: "`2048`: the chunk size of `socket.source`"},
		{Name: "sinkt", Type: "table<string, fun(sock: any): function>", Summary: "the modes of `socket.sink` (`\"keep-open\"`, `\"close-when-done\"`); libraries add their own"},
		{Name: "sourcet", Type: "table<string, fun(sock: any, length?: integer): function>", Summary: "the modes of `socket.source` (`\"until-closed\"`, `\"by-length\"`); libraries add their own"},
		{Name: "dns", Type: "socket.dnslib", Summary: "LuaSocket's name lookups"},
		{Name: "unix", Type: "socket.unixlib", Summary: "LuaSocket's unix domain sockets (also `require(\"socket.unix\")`)"},
	},
	Shapes: []api.Shape{
		{Name: "socket.dnsresolved", Summary: "what `socket.dns.toip` and `socket.dns.tohostname` found",
			Fields: []api.Value{
				{Name: "name", Type: "string", Summary: "the canonical name"},
				{Name: "alias", Type: "string[]", Summary: "other names"},
				{Name: "ip", Type: "string[]", Summary: "the addresses"},
			}},
	},
	Setup: api.SetupOf((*Module).setupLuaSocket),
}

func newModule(vm *api.VM) any {
	cfg := vm.Config()
	return &Module{vm: vm, debug: cfg.LuaSocketDebug, reusePort: cfg.ReusePort}
}

func init() {
	api.Register(luaSocketModule)
	api.Register(&api.Module{
		Name:    "socket.unix",
		Network: true,
		New:     func(vm *api.VM) any { return vm.Instance(luaSocketModule) },
		Kind:    api.RequireOnly,
		Summary: "LuaSocket's unix domain sockets: socket.unix() or .stream() for a stream, .dgram() for datagrams",
		Doc:     "docs/luasocket.md",
		Order:   -1, // opened before socket, whose unix field it is
		Defs:    "luasocket.lua",
		// Calling the table is stream().
		Callable: "fun(): unix.master|nil, string?",
		Funcs: []api.Func{
			api.Method("stream", "socket.unix.stream()", "a new unix stream master object", lsNewUnix(lsUnix)).
				Does(api.Opens).Failing(api.ReturnsNilErr).Returns(api.Obj("unix.master").As("unix.master|nil"), api.T("string?").Named("err")),
			api.Method("dgram", "socket.unix.dgram()", "a new unconnected unix datagram object", lsNewUnix(lsUnixDgram)).
				Does(api.Opens).Failing(api.ReturnsNilErr).Returns(api.Obj("unixdgram.unconnected").As("unixdgram.unconnected|nil"), api.T("string?").Named("err")),
		},
		Setup: api.SetupOf(func(m *Module, L *lua.LState, mod *lua.LTable) {
			// socket.unix() is socket.unix.stream(), as in LuaSocket.
			mt := L.NewTable()
			stream := mod.RawGetString("stream")
			mt.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
				L.Remove(1)
				L.Insert(stream, 1)
				L.Call(L.GetTop()-1, lua.MultRet)
				return L.GetTop()
			}))
			L.SetMetatable(mod, mt)
		}),
	})
}

// luaSocketKey is where the Lua registry keeps the socket module's table,
// for the functions that read its sinkt and sourcet.
const luaSocketKey = "sockrun.luasocket"

// setupLuaSocket fills the socket table's LuaSocket fields: the dns and
// unix tables, the constants, sinkt and sourcet, and makes
// require("socket.core") return the same table. (Each class's type names
// the class on its methods table: setupClass.)
func (m *Module) setupLuaSocket(L *lua.LState, mod *lua.LTable) {
	dns := L.NewTable()
	for _, name := range []string{"toip", "tohostname", "gethostname", "getaddrinfo", "getnameinfo"} {
		dns.RawSetString(name, mod.RawGetString("dns."+name))
		mod.RawSetString("dns."+name, lua.LNil)
	}
	api.GuardTable(L, "socket.dns", dns, nil)
	mod.RawSetString("dns", dns)
	mod.RawSetString("unix", api.RequireModule(L, "socket.unix"))
	mod.RawSetString("_VERSION", lua.LString(luaSocketVersion))
	mod.RawSetString("_SETSIZE", lua.LNumber(selectSetSize()))
	mod.RawSetString("_SOCKETINVALID", lua.LNumber(-1))
	mod.RawSetString("_DATAGRAMSIZE", lua.LNumber(8192))
	mod.RawSetString("BLOCKSIZE", lua.LNumber(2048))
	if m.debug {
		mod.RawSetString("_DEBUG", lua.LTrue)
	}
	setupSinksSources(L, mod)
	mt := L.NewTypeMetatable(exceptMetaName)
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(L.ToStringMeta(L.CheckTable(1).RawGetInt(1)))
		return 1
	}))
	L.G.Registry.RawSetString(luaSocketKey, mod)
	if loaded, ok := L.GetField(L.GetGlobal("package"), "loaded").(*lua.LTable); ok {
		loaded.RawSetString("socket.core", mod)
	}
}

// selectSetSize is socket._SETSIZE: the most descriptors socket.select
// takes. sockrun's select has no fixed limit (it polls), so it is the
// process's limit of open descriptors.
func selectSetSize() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 1 << 30
	}
	return int(rl.Cur)
}

// lsNewTCP is socket.tcp(), tcp4() and tcp6(): a new TCP master object.
// With AF_UNSPEC it has no descriptor until bind or connect chooses the
// family from the address (getfd returns -1 until then), as LuaSocket 3.
func lsNewTCP(family int) func(*Module, *lua.LState) int {
	return func(m *Module, L *lua.LState) int {
		ls := m.newLuaSocket(L, lsTCP, family, tcpMaster)
		if family != unix.AF_UNSPEC {
			if err := ls.create(family); err != nil {
				return m.fail(L, err, "tcp")
			}
		}
		L.Push(ls.ud)
		return 1
	}
}

// lsNewUDP is socket.udp(), udp4() and udp6(): a new unconnected UDP
// object, with no descriptor until first use for AF_UNSPEC.
func lsNewUDP(family int) func(*Module, *lua.LState) int {
	return func(m *Module, L *lua.LState) int {
		ls := m.newLuaSocket(L, lsUDP, family, udpUnconnected)
		if family != unix.AF_UNSPEC {
			if err := ls.create(family); err != nil {
				return m.fail(L, err, "udp")
			}
		}
		L.Push(ls.ud)
		return 1
	}
}

// lsNewUnix is socket.unix.stream() and socket.unix.dgram().
func lsNewUnix(kind lsKind) func(*Module, *lua.LState) int {
	return func(m *Module, L *lua.LState) int {
		class := unixMaster
		if kind == lsUnixDgram {
			class = unixdgramUnconnected
		}
		ls := m.newLuaSocket(L, kind, unix.AF_UNIX, class)
		if err := ls.create(unix.AF_UNIX); err != nil {
			return m.fail(L, err, "unix")
		}
		L.Push(ls.ud)
		return 1
	}
}

// lsModConnect is socket.connect(address, port [, laddress [, lport [,
// family]]]): a TCP client object connected to address (bound first to
// laddress and lport if given; family "inet" or "inet6" limits the
// addresses tried), or nil and the error.
func (m *Module) lsModConnect(L *lua.LState) int {
	return m.lsConnectWith(L, lsFamilyOption(L, 5, "connect"))
}

// lsModConnectFamily is socket.connect4 and socket.connect6.
func lsModConnectFamily(name string) func(*Module, *lua.LState) int {
	family := unix.AF_INET
	if name == "inet6" {
		family = unix.AF_INET6
	}
	return func(m *Module, L *lua.LState) int { return m.lsConnectWith(L, family) }
}

func (m *Module) lsConnectWith(L *lua.LState, family int) int {
	host := api.CheckString(L, 1, "connect")
	port, err := m.lsPort(L, 2, "connect", "tcp")
	if err != nil {
		return m.fail(L, err, "connect")
	}
	ls := m.newLuaSocket(L, lsTCP, family, tcpMaster)
	if L.Get(3) != lua.LNil {
		laddr := api.CheckString(L, 3, "connect")
		lport := 0
		if L.Get(4) != lua.LNil {
			if lport, err = m.lsPort(L, 4, "connect", "tcp"); err != nil {
				return m.fail(L, err, "connect")
			}
		}
		ips, err := m.resolve(L, family, laddr, true)
		if err == nil {
			err = ls.bindTo(ips, lport)
		}
		if err != nil {
			if ls.s != nil {
				ls.s.Close()
			}
			return m.fail(L, err, "connect")
		}
	}
	if err := ls.connectTo(L, host, port); err != nil {
		if ls.s != nil {
			ls.s.Close()
		}
		return m.fail(L, err, "connect")
	}
	ls.setClass(L, tcpClient)
	L.Push(ls.ud)
	return 1
}

// lsModBind is socket.bind(address, port [, backlog]): a TCP server
// object bound to address ("*": every IPv4 address) with SO_REUSEADDR and
// listening, or nil and the error. Each address the name resolves to is
// tried in turn, as LuaSocket's socket.lua does.
func (m *Module) lsModBind(L *lua.LState) int {
	host := api.CheckString(L, 1, "bind")
	port, err := m.lsPort(L, 2, "bind", "tcp")
	if err != nil {
		return m.fail(L, err, "bind")
	}
	backlog := api.OptInt(L, 3, "bind", 0, 32)
	if host == "*" {
		host = "0.0.0.0"
	}
	ips, err := m.resolve(L, unix.AF_UNSPEC, host, true)
	if err != nil {
		return m.fail(L, err, "bind")
	}
	for _, ip := range ips {
		ls := m.newLuaSocket(L, lsTCP, core.FamilyOf(ip), tcpMaster)
		if err = ls.create(core.FamilyOf(ip)); err != nil {
			return m.fail(L, err, "bind")
		}
		ls.s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		var sa unix.Sockaddr
		if sa, err = core.ToSockaddr(ls.family, ip, port); err == nil {
			if err = ls.s.Bind(sa); err == nil {
				if err = ls.s.Listen(backlog); err == nil {
					ls.setClass(L, tcpServer)
					L.Push(ls.ud)
					return 1
				}
			}
		}
		ls.s.Close()
	}
	return m.fail(L, err, "bind")
}

// lsGettime is socket.gettime(): the time in seconds since the epoch, with
// fractions.
func lsGettime(L *lua.LState) int {
	L.Push(lua.LNumber(float64(time.Now().UnixNano()) / 1e9))
	return 1
}

// exceptMetaName names the metatable of the errors try raises, which
// protect turns back into nil, err.
const exceptMetaName = "socket.exception"

// lsProtect is socket.protect(func): a function that calls func with its
// arguments and returns what it returns; if func raises an error made by
// try (or a newtry function), it returns nil and that error's message;
// other errors go on up.
func lsProtect(L *lua.LState) int {
	fn := L.CheckFunction(1)
	L.Push(L.NewFunction(func(L *lua.LState) int {
		L.Insert(fn, 1)
		if obj := lua51.Protect(L, L.GetTop()-1, lua.MultRet); obj != nil {
			if t, ok := obj.(*lua.LTable); ok && t.Metatable == L.GetTypeMetatable(exceptMetaName) {
				L.SetTop(0)
				L.Push(lua.LNil)
				L.Push(t.RawGetInt(1))
				return 2
			}
			L.Error(obj, 0)
		}
		return L.GetTop()
	}))
	return 1
}

// lsNewtry is socket.newtry([finalizer]): a try function (see socket.try)
// that calls finalizer, with no arguments, before it raises.
func lsNewtry(L *lua.LState) int {
	var fin *lua.LFunction
	if L.Get(1) != lua.LNil {
		fin = L.CheckFunction(1)
	}
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if !lua.LVAsBool(L.Get(1)) {
			if fin != nil {
				L.Push(fin)
				L.Call(0, 0)
			}
			raiseExcept(L, L.Get(2))
		}
		return L.GetTop()
	}))
	return 1
}

// lsTry is socket.try(ret1 [, ret2 ...]): returns its arguments if ret1 is
// neither nil nor false, else raises ret2 wrapped so that protect returns
// it as nil, ret2.
func lsTry(L *lua.LState) int {
	if !lua.LVAsBool(L.Get(1)) {
		raiseExcept(L, L.Get(2))
	}
	return L.GetTop()
}

func raiseExcept(L *lua.LState, v lua.LValue) {
	e := L.CreateTable(1, 0)
	e.RawSetInt(1, v)
	e.Metatable = L.GetTypeMetatable(exceptMetaName)
	L.Error(e, 0)
}

// lsSkip is socket.skip(d [, ret1 ...]): the arguments after the first d
// of ret1, ret2 ...: skip(2, string.find(s, "(%w+)")) is the capture.
func lsSkip(L *lua.LState) int {
	d := int(L.CheckNumber(1))
	return max(L.GetTop()-d-1, 0)
}

// lsChoose is socket.choose(table): a function f(name, opt1, opt2) that
// calls table[name](opt1, opt2); a first argument that is not a string
// chooses "default" and shifts the others. An unknown name is an error.
func lsChoose(L *lua.LState) int {
	t := L.CheckTable(1)
	L.Push(chooser(L, t))
	return 1
}

func chooser(L *lua.LState, t *lua.LTable) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		name, opt1, opt2 := L.Get(1), L.Get(2), L.Get(3)
		if _, ok := name.(lua.LString); !ok {
			name, opt1, opt2 = lua.LString("default"), name, opt1
		}
		f := L.GetField(t, lua.LVAsString(name))
		if f == lua.LNil {
			L.RaiseError("unknown key (%s)", L.ToStringMeta(name).String())
		}
		base := L.GetTop()
		L.Push(f)
		L.Push(opt1)
		L.Push(opt2)
		L.Call(2, lua.MultRet)
		return L.GetTop() - base
	})
}

// moduleField is field of the socket module's table (sinkt, sourcet).
func moduleField(L *lua.LState, field string) *lua.LTable {
	mod, _ := L.G.Registry.RawGetString(luaSocketKey).(*lua.LTable)
	if mod == nil {
		L.RaiseError("the socket module is not loaded")
	}
	t, ok := mod.RawGetString(field).(*lua.LTable)
	if !ok {
		L.RaiseError("socket.%s is not a table", field)
	}
	return t
}

// lsSink is socket.sink([mode,] sock): an LTN12 sink that sends each chunk
// to sock; at the end (a nil chunk) "close-when-done" closes sock,
// "keep-open" (the default) leaves it open. Modes are socket.sinkt's
// entries, to which libraries add their own (socket.http adds
// "http-chunked").
func lsSink(L *lua.LState) int {
	f := chooser(L, moduleField(L, "sinkt"))
	L.Insert(f, 1)
	L.Call(L.GetTop()-1, lua.MultRet)
	return L.GetTop()
}

// lsSource is socket.source(mode, sock [, length]): an LTN12 source that
// receives from sock: "by-length" length bytes, "until-closed" (the
// default) until the peer closes. Modes are socket.sourcet's entries.
func lsSource(L *lua.LState) int {
	f := chooser(L, moduleField(L, "sourcet"))
	L.Insert(f, 1)
	L.Call(L.GetTop()-1, lua.MultRet)
	return L.GetTop()
}

// callMethod calls obj:name(args...) and returns its results.
func callMethod(L *lua.LState, obj lua.LValue, name string, nret int, args ...lua.LValue) []lua.LValue {
	L.Push(L.GetField(obj, name))
	L.Push(obj)
	for _, a := range args {
		L.Push(a)
	}
	L.Call(1+len(args), nret)
	out := make([]lua.LValue, nret)
	for i := range out {
		out[i] = L.Get(-nret + i)
	}
	L.Pop(nret)
	return out
}

// setupSinksSources makes socket.sinkt and socket.sourcet, with the modes
// of LuaSocket's socket.lua: each makes a callable table that also has
// getfd and dirty, so that select takes it.
func setupSinksSources(L *lua.LState, mod *lua.LTable) {
	wrapper := func(L *lua.LState, sock lua.LValue, call lua.LGFunction) *lua.LTable {
		t := L.CreateTable(0, 2)
		t.RawSetString("getfd", L.NewFunction(func(L *lua.LState) int {
			L.Push(callMethod(L, sock, "getfd", 1)[0])
			return 1
		}))
		t.RawSetString("dirty", L.NewFunction(func(L *lua.LState) int {
			L.Push(callMethod(L, sock, "dirty", 1)[0])
			return 1
		}))
		mt := L.CreateTable(0, 1)
		mt.RawSetString("__call", L.NewFunction(call))
		t.Metatable = mt
		return t
	}
	sinkt := L.NewTable()
	sinkt.RawSetString("close-when-done", L.NewFunction(func(L *lua.LState) int {
		sock := L.Get(1)
		L.Push(wrapper(L, sock, func(L *lua.LState) int {
			if L.Get(2) == lua.LNil {
				callMethod(L, sock, "close", 0)
				L.Push(lua.LNumber(1))
				return 1
			}
			for _, v := range callMethod(L, sock, "send", 2, L.Get(2)) {
				L.Push(v)
			}
			return 2
		}))
		return 1
	}))
	keepOpen := L.NewFunction(func(L *lua.LState) int {
		sock := L.Get(1)
		L.Push(wrapper(L, sock, func(L *lua.LState) int {
			if L.Get(2) == lua.LNil {
				L.Push(lua.LNumber(1))
				return 1
			}
			for _, v := range callMethod(L, sock, "send", 2, L.Get(2)) {
				L.Push(v)
			}
			return 2
		}))
		return 1
	})
	sinkt.RawSetString("keep-open", keepOpen)
	sinkt.RawSetString("default", keepOpen)
	mod.RawSetString("sinkt", sinkt)

	sourcet := L.NewTable()
	sourcet.RawSetString("by-length", L.NewFunction(func(L *lua.LState) int {
		sock := L.Get(1)
		length := int(L.OptNumber(2, 0))
		L.Push(wrapper(L, sock, func(L *lua.LState) int {
			if length <= 0 {
				return 0
			}
			size := min(int(lua.LVAsNumber(mod.RawGetString("BLOCKSIZE"))), length)
			r := callMethod(L, sock, "receive", 2, lua.LNumber(size))
			if r[1] != lua.LNil {
				L.Push(lua.LNil)
				L.Push(r[1])
				return 2
			}
			length -= len(lua.LVAsString(r[0]))
			L.Push(r[0])
			return 1
		}))
		return 1
	}))
	untilClosed := L.NewFunction(func(L *lua.LState) int {
		sock := L.Get(1)
		done := false
		L.Push(wrapper(L, sock, func(L *lua.LState) int {
			if done {
				return 0
			}
			r := callMethod(L, sock, "receive", 3, mod.RawGetString("BLOCKSIZE"))
			switch {
			case r[1] == lua.LNil:
				L.Push(r[0])
				return 1
			case lua.LVAsString(r[1]) == "closed":
				callMethod(L, sock, "close", 0)
				done = true
				L.Push(r[2])
				return 1
			}
			L.Push(lua.LNil)
			L.Push(r[1])
			return 2
		}))
		return 1
	})
	sourcet.RawSetString("until-closed", untilClosed)
	sourcet.RawSetString("default", untilClosed)
	mod.RawSetString("sourcet", sourcet)
}

// lsSelectEntry is one element of socket.select's lists.
type lsSelectEntry struct {
	v     lua.LValue
	fd    int
	dirty bool
	slot  int
	s     interface{ IsClosed() bool } // nil for an object of the script's own
}

// lsSelectFD is the descriptor of a select list's element, and whether it
// has received bytes buffered: a socket object of either face (a
// core.Holder), or any value with getfd (and dirty) methods, as LuaSocket's select
// takes. -1 for an element to leave out (closed, or not a socket).
func lsSelectFD(L *lua.LState, v lua.LValue) (int, bool, interface{ IsClosed() bool }) {
	if ud, ok := v.(*lua.LUserData); ok {
		if h, ok := ud.Value.(core.Holder); ok {
			s := h.CoreSocket()
			if s == nil {
				return -1, false, nil
			}
			return s.FD(), s.Readable(), s
		}
	}
	if v.Type() != lua.LTTable && v.Type() != lua.LTUserData {
		return -1, false, nil
	}
	fd := -1
	if f := L.GetField(v, "getfd"); f != lua.LNil {
		L.Push(f)
		L.Push(v)
		L.Call(1, 1)
		if n, ok := L.Get(-1).(lua.LNumber); ok && n >= 0 {
			fd = int(n)
		}
		L.Pop(1)
	}
	dirty := false
	if fd >= 0 {
		if f := L.GetField(v, "dirty"); f != lua.LNil {
			L.Push(f)
			L.Push(v)
			L.Call(1, 1)
			dirty = lua.LVAsBool(L.Get(-1))
			L.Pop(1)
		}
	}
	return fd, dirty, nil
}

// lsSelect is socket.select(recvt, sendt [, timeout]), as LuaSocket's:
// waits until an object of recvt is readable (or has received bytes
// buffered: dirty) or one of sendt is writable, at most timeout seconds
// (nil or negative: as long as it takes). It returns the ready objects of
// each list, each list indexed both by position and by object
// (readable[sock] is its position); when nothing is ready in time, two
// empty lists and "timeout". Closed objects are left out. There is no
// limit of 1024 descriptors: it polls (socket._SETSIZE is the process's
// limit of open descriptors). The interpreter lock is released while it
// waits.
func (m *Module) lsSelect(L *lua.LState) int {
	timeout := time.Duration(-1)
	if v := L.Get(3); v != lua.LNil {
		t := float64(api.CheckNumber(L, 3, "select", 0))
		if t != t {
			api.ArgError(L, 3, "select", "number expected, got nan")
		}
		if t >= 0 {
			timeout = api.Seconds(t)
		}
	}
	var lists [2][]lsSelectEntry
	var fds []unix.PollFd
	slots := map[int]int{}
	dirty := false
	for k := range lists {
		v := L.Get(k + 1)
		if v == lua.LNil {
			continue
		}
		t, ok := v.(*lua.LTable)
		if !ok {
			api.ArgError(L, k+1, "select", "table expected, got "+api.TypeName(v))
		}
		for i := 1; ; i++ {
			e := L.GetTable(t, lua.LNumber(i))
			if e == lua.LNil {
				break
			}
			fd, d, s := lsSelectFD(L, e)
			if fd < 0 {
				continue
			}
			slot, ok := slots[fd]
			if !ok {
				if len(fds) >= selectSetSize() {
					api.ArgError(L, k+1, "select", "too many sockets")
				}
				slot = len(fds)
				slots[fd] = slot
				fds = append(fds, unix.PollFd{Fd: int32(fd)})
			}
			fds[slot].Events |= core.PollWant[k]
			d = d && k == 0
			dirty = dirty || d
			lists[k] = append(lists[k], lsSelectEntry{v: e, fd: fd, dirty: d, slot: slot, s: s})
		}
	}
	closed := func() bool {
		for _, list := range lists {
			for _, e := range list {
				if e.s != nil && e.s.IsClosed() {
					return true
				}
			}
		}
		return false
	}
	if dirty {
		timeout = 0 // something is ready already: only look at the rest
	}
	err := core.Poll(m.vm, L, fds, timeout, closed)
	m.vm.RaiseIfInterrupted(L, "select")
	if err != nil {
		L.RaiseError("select failed: %v", err)
	}
	found := false
	for k, list := range lists {
		ready := L.NewTable()
		i := 0
		for _, e := range list {
			if e.dirty || fds[e.slot].Revents&core.PollReady[k] != 0 {
				if ready.RawGet(e.v) != lua.LNil {
					continue
				}
				i++
				ready.RawSetInt(i, e.v)
				ready.RawSet(e.v, lua.LNumber(i))
				found = true
			}
		}
		L.Push(ready)
	}
	if !found {
		L.Push(lua.LString("timeout"))
		return 3
	}
	return 2
}

// resolvedTable is LuaSocket's table of what a lookup found: {name =,
// alias = {...}, ip = {...}}.
func resolvedTable(L *lua.LState, name string, ips []netip.Addr) *lua.LTable {
	t := L.CreateTable(0, 3)
	t.RawSetString("name", lua.LString(name))
	t.RawSetString("alias", L.NewTable())
	list := L.CreateTable(len(ips), 0)
	for _, ip := range ips {
		list.Append(lua.LString(ip.String()))
	}
	t.RawSetString("ip", list)
	return t
}

// reverse is the first name of ip, by reverse lookup, or "" if none.
func (m *Module) reverse(L *lua.LState, ip netip.Addr) string {
	names, err := core.LookupAddr(m.vm, L, ip.String())
	m.vm.RaiseIfInterrupted(L, "dns")
	if err != nil || len(names) == 0 {
		return ""
	}
	return strings.TrimSuffix(names[0], ".")
}

// hostLookup is LuaSocket's gethostbyname/gethostbyaddr: the canonical
// name and IPv4 addresses of a name, or of an IPv4 address (its name by
// reverse lookup, the address itself when there is none).
func (m *Module) hostLookup(L *lua.LState, address string) (string, []netip.Addr, bool) {
	if ip, err := netip.ParseAddr(address); err == nil && ip.Is4() {
		name := m.reverse(L, ip)
		if name == "" {
			name = address
		}
		return name, []netip.Addr{ip}, true
	}
	if address == "" {
		return "", nil, false
	}
	ips, err := core.Lookup(m.vm, L, unix.AF_INET, address)
	m.vm.RaiseIfInterrupted(L, "dns")
	if err != nil {
		return "", nil, false
	}
	return core.CanonicalName(m.vm, L, address), ips, true
}

// lsDNSToip is socket.dns.toip(address): the first IPv4 address of a name
// and the resolved table {name, alias, ip}; nil and "host not found" if
// it has none.
func (m *Module) lsDNSToip(L *lua.LState) int {
	address := api.CheckString(L, 1, "toip")
	name, ips, ok := m.hostLookup(L, address)
	if !ok {
		return failMsg(L, "host not found")
	}
	L.Push(lua.LString(ips[0].String()))
	L.Push(resolvedTable(L, name, ips))
	return 2
}

// lsDNSTohostname is socket.dns.tohostname(address): the canonical name of
// a name or IPv4 address and the resolved table; nil and "host not found"
// if there is none.
func (m *Module) lsDNSTohostname(L *lua.LState) int {
	address := api.CheckString(L, 1, "tohostname")
	name, ips, ok := m.hostLookup(L, address)
	if !ok {
		return failMsg(L, "host not found")
	}
	L.Push(lua.LString(name))
	L.Push(resolvedTable(L, name, ips))
	return 2
}

// lsDNSGethostname is socket.dns.gethostname(): this machine's host name.
func (m *Module) lsDNSGethostname(L *lua.LState) int {
	name, err := os.Hostname()
	if err != nil {
		return m.fail(L, err, "gethostname")
	}
	L.Push(lua.LString(name))
	return 1
}

// lsDNSGetaddrinfo is socket.dns.getaddrinfo(address): every address of a
// name, IPv4 and IPv6: a list of {family = "inet" | "inet6", addr =
// "..."}; nil and the error if it has none.
func (m *Module) lsDNSGetaddrinfo(L *lua.LState) int {
	address := api.CheckString(L, 1, "getaddrinfo")
	ips, err := m.resolve(L, unix.AF_UNSPEC, address, false)
	m.vm.RaiseIfInterrupted(L, "getaddrinfo")
	if err != nil {
		return m.fail(L, err, "getaddrinfo")
	}
	list := L.CreateTable(len(ips), 0)
	for _, ip := range ips {
		e := L.CreateTable(0, 2)
		if ip.Is4() {
			e.RawSetString("family", lua.LString("inet"))
		} else {
			e.RawSetString("family", lua.LString("inet6"))
		}
		e.RawSetString("addr", lua.LString(ip.String()))
		list.Append(e)
	}
	L.Push(list)
	return 1
}

// lsDNSGetnameinfo is socket.dns.getnameinfo(address [, port]): a list of
// the names of each address of address (the address itself where a
// reverse lookup finds none), and, if port is given, its service name
// ("http" for 80; the number if it has none). Both nil is an error.
func (m *Module) lsDNSGetnameinfo(L *lua.LState) int {
	host, hasHost := L.Get(1).(lua.LString)
	if L.Get(1) != lua.LNil && !hasHost {
		host, hasHost = lua.LString(api.CheckString(L, 1, "getnameinfo")), true
	}
	port := L.Get(2)
	if !hasHost && port == lua.LNil {
		L.RaiseError("host and serv cannot be both nil")
	}
	names := L.NewTable()
	if hasHost {
		ips, err := m.resolve(L, unix.AF_UNSPEC, string(host), false)
		m.vm.RaiseIfInterrupted(L, "getnameinfo")
		if err != nil {
			return m.fail(L, err, "getnameinfo")
		}
		for _, ip := range ips {
			name := m.reverse(L, ip)
			if name == "" {
				name = ip.String()
			}
			names.Append(lua.LString(name))
		}
	}
	if port == lua.LNil {
		L.Push(names)
		return 1
	}
	serv := lua.LVAsString(port)
	if p, ok := api.ToPort(port); ok {
		serv = strconv.Itoa(p)
		if name, ok := core.ServiceName(p, "tcp"); ok {
			serv = name
		}
	} else if _, ok := core.ServicePort(serv, "tcp"); !ok {
		return failMsg(L, gaiMessages[core.EAIService])
	}
	if hasHost {
		L.Push(names)
	} else {
		L.Push(lua.LNil)
	}
	L.Push(lua.LString(serv))
	return 2
}
