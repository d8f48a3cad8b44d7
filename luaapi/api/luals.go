package api

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// LuaLSConstantsFile is the name of the generated part of sockrun's
// definitions for lua-language-server: the modules' constants.
const LuaLSConstantsFile = "constants.lua"

// LuaLSConstants returns the generated part of sockrun's definitions for
// lua-language-server (LuaLS): every constant of every module, as the
// registry lists it, with this system's value. The rest of the
// definitions (functions, methods, fields, with their types) is written
// by hand in docs/lua and held to the registry by a test; the constants
// are generated because they are many (every errno) and differ between
// systems.
func LuaLSConstants() []byte {
	var b bytes.Buffer
	b.WriteString(`---@meta
-- The constants of sockrun's modules, for lua-language-server. Generated
-- from the registry by ` + "`sockrun lsp-defs DIR`" + ` (in this repository:
-- ` + "`go run . lsp-defs docs/lua`" + `); do not edit. The values are those of
-- the system that generated the file: compare names (err.name ==
-- "ECONNREFUSED") or these constants, never raw numbers.
`)
	for _, m := range Modules() {
		if m.Consts == nil || m.Kind != NewModule {
			continue
		}
		consts := m.Consts()
		sort.Slice(consts, func(i, j int) bool { return consts[i].Name < consts[j].Name })
		fmt.Fprintf(&b, "\n-- %s\n", m.Name)
		for _, c := range consts {
			b.WriteString("\n")
			if doc := ConstantDoc(m.Name, c.Name); doc != "" {
				fmt.Fprintf(&b, "---%s\n", doc)
			}
			fmt.Fprintf(&b, "%s.%s = %s\n", m.Name, c.Name, luaLiteral(c.Value))
		}
	}
	return b.Bytes()
}

// luaLiteral is v as Lua source.
func luaLiteral(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return strconv.Quote(string(v))
	case lua.LNumber:
		return v.String()
	case lua.LBool:
		return v.String()
	}
	return "nil"
}

// constPrefixes say what a constant is by the start of its name; the
// longest prefix that matches wins.
var constPrefixes = map[string]string{
	"AF_":       "An address family, for `socket.socket`.",
	"SOCK_":     "A socket type, for `socket.socket`.",
	"SOL_":      "A level, for `setsockopt` and `getsockopt`.",
	"IPPROTO_":  "A protocol, for `socket.socket`, or a level of `setsockopt`.",
	"SO_":       "A socket option (level `SOL_SOCKET`).",
	"TCP_":      "A TCP option (level `IPPROTO_TCP`).",
	"IP_":       "An IPv4 option (level `IPPROTO_IP`).",
	"IPV6_":     "An IPv6 option (level `IPPROTO_IPV6`).",
	"MSG_":      "A flag of send and recv.",
	"SHUT_":     "What `sock:shutdown(how)` shuts down.",
	"NI_":       "A flag of `socket.getnameinfo`.",
	"AI_":       "A flag of `socket.getaddrinfo`.",
	"EAI_":      "A name resolution error: `err.errno` of a `socket.gaierror` (compare `err.name`).",
	"INADDR_":   "An IPv4 address as a number.",
	"SCM_":      "A type of ancillary data (`sendmsg`, `recvmsg`).",
	"SOMAXCONN": "The largest backlog of `listen`.",
	"CERT_":     "A `verify_mode` of an SSL context.",
	"PROTOCOL_": "The protocol of `ssl.SSLContext`.",
	"HAS_ALPN":  "Whether ALPN is supported: `true`.",
	"OPENSSL_":  "The TLS library: Go's crypto/tls.",
}

// ConstantDoc is one line on what the constant name of module is, from
// the start of its name; "" if it says nothing.
func ConstantDoc(module, name string) string {
	best := ""
	for p := range constPrefixes {
		if strings.HasPrefix(name, p) && len(p) > len(best) {
			best = p
		}
	}
	if best != "" {
		return constPrefixes[best]
	}
	if module == "socket" && strings.HasPrefix(name, "E") {
		return "An errno: a raised error has `err.name == \"" + name + "\"`."
	}
	return ""
}
