package base

import (
	"fmt"
	"math"
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// This file is what keeps one script from taking the machine: a
// string.rep that checks the size of its result before it allocates it,
// against the largest string it makes and, through the Lua layer's host
// (lua51.Reserve), against what the heap holds already. (The runner's
// memory watchdog ends a run that grows past limits.max_memory some other
// way, a list of many small tables say.)

func init() {
	api.Register(&api.Module{
		Name:    "string",
		Defs:    "sockrun.lua",
		New:     shared,
		Kind:    api.ExtendGlobal,
		Summary: "string.rep that refuses a result larger than the memory limit, with an error that says so",
		Doc:     "docs/api.md",
		Funcs: []api.Func{
			api.Method("rep", "string.rep(s, n)", "s repeated n times; raises if the result would be larger than limits.max_memory", (*Base).stringRep).
				Params(api.T("string|number"), api.Int).Returns(api.Str),
		},
	})
}

// defaultMaxString is the largest string string.rep makes when no memory
// limit is set: the most Go can allocate in one piece is far more, but no
// script that means well asks for more than this.
const defaultMaxString = 1 << 30

// maxString is the largest result string.rep makes: half the memory
// limit, since a string's bytes are often copied once more (a
// concatenation, a send), or defaultMaxString with no limit.
func (m *Base) maxString() int64 {
	if m.maxMemory > 0 {
		return max(m.maxMemory/2, 1<<20)
	}
	return defaultMaxString
}

// stringRep is string.rep(s, n): s repeated n times, as Lua 5.1's (a
// number s is its text as tostring writes it, n is truncated to a whole
// number, n < 1 gives "", and a third argument is ignored: it is Lua
// 5.2's separator). A result larger than the limit raises "string.rep:
// result too large (N bytes)" instead of a Go runtime error, or an
// allocation that takes the machine's memory. A result the heap has no
// room for under the limit raises Lua's "not enough memory" (Reserve); a
// large one is made without the interpreter lock.
func (m *Base) stringRep(L *lua.LState) int {
	s := lua51.CheckString(L, 1)
	nv := L.CheckNumber(2)
	if !(float64(nv) >= 1) || len(s) == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	n := math.Trunc(float64(nv))
	size := float64(len(s)) * n
	if size > float64(m.maxString()) {
		limit := "no limits.max_memory set"
		if m.maxMemory > 0 {
			limit = fmt.Sprintf("limits.max_memory is %s", FormatBytes(m.maxMemory))
		}
		api.Misuse(L, "string.rep: result too large (%.0f bytes; the largest string is %s, %s)", size, FormatBytes(m.maxString()), limit)
	}
	lua51.Reserve(L, int64(size))
	var r string
	lua51.Unlocked(L, int64(size), func() { r = strings.Repeat(s, int(n)) })
	L.Push(lua.LString(r))
	return 1
}

// FormatBytes is n bytes as a person reads it: "512 MiB", "1.5 GiB".
func FormatBytes(n int64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f %s", f, units[i])
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}
