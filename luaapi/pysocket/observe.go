package pysocket

import (
	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
)

// The accessors a tracer needs to name threads, constants and a socket's
// endpoints (the Observer and its optional interfaces are api's).

// Endpoints are a socket's local and peer addresses as messages print
// them ("127.0.0.1:9999", "[::1]:5000", a path); "" where there is none
// (not bound, not connected, closed).
func (s *Socket) Endpoints() (local, peer string) {
	if s.IsClosed() {
		return "", ""
	}
	return s.localString(), s.peerString()
}

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

// ConstArg is the name a script would write for argument i (0 is self for
// a method) of the call ev, when it is one of the socket module's
// constants in a place that takes one: "socket.AF_INET" for
// socket.socket's family, "socket.SO_REUSEADDR" for setsockopt's option.
// It is "" for every other argument.
func ConstArg(ev *api.CallEvent, i int) string {
	if i >= len(ev.Args) {
		return ""
	}
	n, ok := ev.Args[i].(lua.LNumber)
	if !ok || ev.Module != "socket" && ev.Module != "ssl" {
		return ""
	}
	v := int(n)
	name := ""
	pos := i
	if ev.Type == "" && ev.Func.Name == "socket" {
		pos = i + 1 // a module function has no self
		switch pos {
		case 1:
			name, _ = core.FamilyName(v)
		case 2:
			name, _ = core.TypeName(v)
		}
	} else if ev.Type != "" {
		switch ev.Func.Name {
		case "setsockopt", "getsockopt":
			switch pos {
			case 1:
				name = levelName(v)
			case 2:
				if len(ev.Args) > 1 {
					if level, ok := ev.Args[1].(lua.LNumber); ok {
						name = optionName(int(level), v)
						if name == optionFallback(int(level), v) {
							name = ""
						}
					}
				}
			}
		case "shutdown":
			if pos == 1 {
				name = constByPrefix("SHUT_", v)
			}
		case "recv", "recvfrom", "send", "sendall":
			if pos == 2 && v != 0 {
				name = constByPrefix("MSG_", v)
			}
		}
	}
	if name == "" {
		return ""
	}
	return "socket." + name
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

// constByPrefix is the name of the socket module's constant with prefix
// and value v, "" if there is none (or more than one).
func constByPrefix(prefix string, v int) string {
	found := ""
	for name, c := range socketConstants {
		if c == v && len(name) > len(prefix) && name[:len(prefix)] == prefix {
			if found != "" {
				return ""
			}
			found = name
		}
	}
	return found
}
