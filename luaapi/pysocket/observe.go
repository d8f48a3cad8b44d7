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
