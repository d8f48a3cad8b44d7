package pysocket

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/api/apitest"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// FuzzAddress passes an arbitrary host and port to the script-facing
// address parsers: inet_pton, inet_aton, getaddrinfo with AI_NUMERICHOST,
// and connect on a UDP socket of each family (checkAddr, parseLiteral,
// sockaddrOf; a UDP connect sends nothing). No Go panic may escape
// (callLua fails the test on one); every call either returns or raises a
// Lua error, and what they return agrees: packed addresses survive
// inet_ntop, what inet_pton reads inet_aton reads the same, and
// getaddrinfo takes a numeric host exactly when it is a literal. A host
// that is not a literal is not passed to connect: it would be looked up
// over the network.
func FuzzAddress(f *testing.F) {
	f.Add("127.0.0.1", "80")
	f.Add("::1", "0")
	f.Add("fe80::1%lo", "5353")
	f.Add("127.1", "http")
	f.Add("0x7f.1", "65536")
	f.Add("::ffff:10.0.0.1", "-1")
	f.Add("<broadcast>", "9")
	f.Add("", "")
	h := apitest.NewHost()
	L := lua.NewState()
	vm := api.New(h, api.Config{})
	vm.Open(L)
	// The target holds the interpreter lock throughout, as a script does:
	// a service name's lookup releases and takes it.
	h.Mu.Lock()
	f.Cleanup(func() {
		h.Cancel(context.Canceled)
		vm.CloseAll()
		h.Mu.Unlock()
		L.Close()
	})
	f.Fuzz(func(t *testing.T, host, port string) {
		lhost, lport := lua.LString(host), lua.LString(port)
		packed := map[int]lua.LValue{}
		for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
			v, err := callLua(t, L, "socket", "inet_pton", lua.LNumber(family), lhost)
			if err != nil {
				continue
			}
			packed[family] = v[0]
			text, err := callLua(t, L, "socket", "inet_ntop", lua.LNumber(family), v[0])
			if err != nil {
				t.Fatalf("inet_ntop(%d, inet_pton(%d, %q)): %v", family, family, host, err)
			}
			again, err := callLua(t, L, "socket", "inet_pton", lua.LNumber(family), text[0])
			if err != nil || again[0] != v[0] {
				t.Fatalf("inet_pton(%d, %q) is %q, its inet_ntop %q reads back as %v (%v)", family, host, v[0], text[0], again, err)
			}
		}
		aton, err := callLua(t, L, "socket", "inet_aton", lhost)
		if v4, ok := packed[unix.AF_INET]; ok && (err != nil || aton[0] != v4) {
			t.Fatalf("inet_pton(AF_INET, %q) is %q but inet_aton gives %v (%v)", host, v4, aton, err)
		}

		_, literal, _ := core.ParseLiteral(unix.AF_UNSPEC, host)
		_, portOK := api.ToPort(lport)
		entries, err := callLua(t, L, "socket", "getaddrinfo", lhost, lport,
			lua.LNumber(unix.AF_UNSPEC), lua.LNumber(unix.SOCK_STREAM), lua.LNumber(0), lua.LNumber(aiNumericHost))
		switch {
		case err == nil && (!literal || host == ""):
			t.Fatalf("getaddrinfo(%q, %q, AI_NUMERICHOST) took a host that is not a literal", host, port)
		case err != nil && literal && host != "" && portOK:
			t.Fatalf("getaddrinfo(%q, %q, AI_NUMERICHOST): %v", host, port, err)
		case err == nil:
			list := entries[0].(*lua.LTable)
			for i := 1; i <= list.Len(); i++ {
				e := list.RawGetInt(i).(*lua.LTable)
				// The address is as Python gives it: an IPv6 zone kept after
				// a "%", which inet_pton does not read.
				ip, _, _ := strings.Cut(lua.LVAsString(e.RawGetString("addr").(*lua.LTable).RawGetInt(1)), "%")
				if _, err := callLua(t, L, "socket", "inet_pton", e.RawGetString("family"), lua.LString(ip)); err != nil {
					t.Fatalf("getaddrinfo(%q, %q) gave address %q: %v", host, port, ip, err)
				}
			}
		}

		for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
			if _, literal, _ := core.ParseLiteral(family, host); !literal {
				continue
			}
			sock, err := callLua(t, L, "socket", "socket", lua.LNumber(family), lua.LNumber(unix.SOCK_DGRAM))
			if err != nil {
				t.Fatal(err)
			}
			// The socket is a global for the moment so that callLua reaches
			// its methods as it reaches a module's functions.
			L.SetGlobal("fuzzsock", sock[0])
			table := L.NewTable()
			table.Append(lhost)
			table.Append(lport)
			callLua(t, L, "fuzzsock", "connect", sock[0], table)
			var numeric lua.LValue = lport
			if n, err := strconv.Atoi(port); err == nil {
				numeric = lua.LNumber(n)
			}
			callLua(t, L, "fuzzsock", "connect", sock[0], lhost, numeric)
			if _, err := callLua(t, L, "fuzzsock", "close", sock[0]); err != nil {
				t.Fatal(err)
			}
			L.SetGlobal("fuzzsock", lua.LNil)
		}
	})
}

// callLua calls module.fn with args under pcall and returns its results, or
// the error it raised (apitest.Call).
func callLua(t testing.TB, L *lua.LState, module, fn string, args ...lua.LValue) ([]lua.LValue, error) {
	t.Helper()
	return apitest.Call(t, L, module, fn, args...)
}
