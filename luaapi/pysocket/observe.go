package pysocket

import (
	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
)

// What the call path and its observers need of the Python face: a
// socket file seen as its socket, and the families of the socket
// module's constants (the meaning of calls is the registry's, api).

// SocketOf is the socket a Lua value stands for (a socket object or an
// SSL socket), or nil.
func SocketOf(v lua.LValue) *Socket {
	if ud, ok := v.(*lua.LUserData); ok {
		if s, ok := ud.Value.(*Socket); ok {
			return s
		}
	}
	return nil
}

// StateName is the state of the socket under the file, so that the call
// path shows a file's calls with the socket's state and descriptor.
func (f *SocketFile) StateName() string { return f.s.StateName() }

// FD is the descriptor of the socket under the file, -1 once closed.
func (f *SocketFile) FD() int { return f.s.FD() }

// Endpoints are the addresses of the socket under the file.
func (f *SocketFile) Endpoints() (local, peer string) { return f.s.Endpoints() }

// Traffic is what the calls on the socket under the file have moved.
func (f *SocketFile) Traffic() core.Traffic { return f.s.Traffic() }

// socketFamilies are the families of the socket module's constants that
// parameters take (api.Family): what a trace names an argument by, and
// what the editor definitions say a parameter takes.
var socketFamilies = []*api.Family{
	{Name: "AF_*", Prefixes: []string{"AF_"}, Summary: "an address family",
		NameOf: func(v int, _ func(string) lua.LValue) string { name, _ := core.FamilyName(v); return name }},
	{Name: "SOCK_*", Prefixes: []string{"SOCK_"}, Summary: "a socket type",
		NameOf: func(v int, _ func(string) lua.LValue) string { name, _ := core.TypeName(v); return name }},
	{Name: "IPPROTO_*", Prefixes: []string{"IPPROTO_"}, Summary: "a protocol"},
	{Name: "SOL_*", Members: []string{"SOL_SOCKET", "IPPROTO_TCP", "IPPROTO_IP", "IPPROTO_IPV6", "IPPROTO_UDP"},
		Summary: "the level of an option: SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6",
		NameOf:  func(v int, _ func(string) lua.LValue) string { return levelName(v) }},
	{Name: "SO_*", Prefixes: []string{"SO_", "TCP_", "IP_", "IPV6_"},
		Summary: "an option of the level: SO_* (SOL_SOCKET), TCP_*, IP_*, IPV6_*",
		NameOf: func(v int, arg func(string) lua.LValue) string {
			level, ok := arg("level").(lua.LNumber)
			if !ok {
				return ""
			}
			name := optionName(int(level), v)
			if name == optionFallback(int(level), v) {
				return ""
			}
			return name
		}},
	{Name: "MSG_*", Prefixes: []string{"MSG_"}, Summary: "flags of send and recv"},
	{Name: "SHUT_*", Prefixes: []string{"SHUT_"}, Summary: "what shutdown shuts down"},
	{Name: "AI_*", Prefixes: []string{"AI_"}, Summary: "flags of getaddrinfo"},
	{Name: "NI_*", Prefixes: []string{"NI_"}, Summary: "flags of getnameinfo"},
}

// socketShapes are the shapes of the tables the socket module's functions
// take and return, and of its error value, for the editor definitions.
var socketShapes = []api.Shape{
	{Name: "socket.address", Summary: "an address: `{host, port}` (also `addr.host`, `addr.port`), as Python's `(host, port)` tuple; `tostring(addr)` is `127.0.0.1:9000`. An `AF_UNIX` address is a path string",
		Fields: []api.Value{
			{Name: "[1]", Type: "string", Summary: "the host"},
			{Name: "[2]", Type: "integer", Summary: "the port"},
			{Name: "host", Type: "string", Summary: "the host: `addr[1]`"},
			{Name: "port", Type: "integer", Summary: "the port: `addr[2]`"},
		}},
	{Name: "socket.addresslike", Summary: "an address as an argument: `{host, port}`, `{host = h, port = p}`, a returned address, or an `AF_UNIX` path",
		Alias: "socket.address|{[1]: string, [2]: integer}|{host: string, port: integer}|string"},
	{Name: "socket.error", Summary: "the error value a failed call raises: catch it with `pcall`, compare `err.name` (never `err.errno`: the numbers differ between systems). `tostring(err)` is Python's line: `ConnectionRefusedError: [Errno 111] Connection refused (connect 127.0.0.1:9)`",
		Fields: []api.Value{
			{Name: "class", Type: "string", Summary: "Python's exception class: `\"ConnectionRefusedError\"`, `\"TimeoutError\"`, `\"socket.gaierror\"`"},
			{Name: "errno", Type: "integer", Summary: "the error number; negative for name resolution; `0` if there is none"},
			{Name: "name", Type: "string", Summary: "the errno's name: `\"ECONNREFUSED\"`, `\"EAI_NONAME\"`; `\"\"` if there is none"},
			{Name: "message", Type: "string", Summary: "the system's message: `\"Connection refused\"`"},
			{Name: "op", Type: "string", Summary: "the call that failed: `\"connect\"`"},
			{Name: "addr?", Type: "string", Summary: "the address it concerned, if any: `\"127.0.0.1:9\"`"},
			{Name: "where?", Type: "string", Summary: "the script's file and line that made the call: `\"server.lua:12\"`"},
			{Name: "explanation?", Type: "string", Summary: "one line on the likely cause, when it is a common mistake"},
			{Name: "partial?", Type: "string", Summary: "what a framing read got before the stream ended (`EOFError` only)"},
		}},
	{Name: "socket.addrinfo", Summary: "an entry of `socket.getaddrinfo`'s result",
		Fields: []api.Value{
			{Name: "[1]", Type: "integer", Summary: "family"},
			{Name: "[2]", Type: "integer", Summary: "type"},
			{Name: "[3]", Type: "integer", Summary: "proto"},
			{Name: "[4]", Type: "string", Summary: "canonname"},
			{Name: "[5]", Type: "socket.address", Summary: "address"},
			{Name: "family", Type: "integer"},
			{Name: "type", Type: "integer"},
			{Name: "proto", Type: "integer"},
			{Name: "canonname", Type: "string"},
			{Name: "addr", Type: "socket.address"},
		}},
	{Name: "socket.serveroptions", Summary: "options of `socket.create_server`",
		Fields: []api.Value{
			{Name: "backlog?", Type: "integer", Summary: "the listen backlog (128)"},
			{Name: "reuse_port?", Type: "boolean", Summary: "set `SO_REUSEPORT`"},
			{Name: "family?", Type: "integer", Summary: "`AF_INET`, or `AF_INET6` for an IPv6 literal"},
			{Name: "dualstack_ipv6?", Type: "boolean", Summary: "with `AF_INET6`: take IPv4 connections too"},
		}},
	{Name: "socket.ancdata", Summary: "a control message: `{level, type, data}`", Alias: "{[1]: integer, [2]: integer, [3]: string}"},
}

// levelName is the name of a socket option level.
func levelName(level int) string {
	for _, name := range []string{"SOL_SOCKET", "IPPROTO_TCP", "IPPROTO_IP", "IPPROTO_IPV6", "IPPROTO_UDP"} {
		if socketConstants[name] == level {
			return name
		}
	}
	return ""
}

// optionFallback is what optionName says of an option it has no name for.
func optionFallback(level, opt int) string {
	return lua.LNumber(level).String() + "/" + lua.LNumber(opt).String()
}
