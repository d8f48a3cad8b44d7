package luaapi

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// argError raises "bad argument #n to 'fn' (msg)" at the script's line. For
// a method, n counts the arguments after self, as the script wrote them.
func argError(L *lua.LState, n int, fn, msg string) {
	misuse(L, "bad argument #%d to '%s' (%s)", n, fn, msg)
}

// typeName is the Lua type of v for messages ("nil", "table", "socket").
func typeName(v lua.LValue) string {
	if ud, ok := v.(*lua.LUserData); ok {
		if _, ok := ud.Value.(*Socket); ok {
			return "socket"
		}
	}
	return v.Type().String()
}

// checkInt reads an integer argument at stack index n; shift is 1 for
// methods (self is not counted in messages).
func checkInt(L *lua.LState, n int, fn string, shift int) int {
	v := L.Get(n)
	f, ok := v.(lua.LNumber)
	if !ok {
		if s, isStr := v.(lua.LString); isStr {
			if num, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64); err == nil {
				f, ok = lua.LNumber(num), true
			}
		}
	}
	if !ok {
		argError(L, n-shift, fn, "number expected, got "+typeName(v))
	}
	return int(f)
}

// optInt is checkInt with a default for nil or a missing argument.
func optInt(L *lua.LState, n int, fn string, shift int, def int) int {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkInt(L, n, fn, shift)
}

// checkBytes reads a string argument (a number is converted, as Lua does).
func checkBytes(L *lua.LState, n int, fn string, shift int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	argError(L, n-shift, fn, "string expected, got "+typeName(L.Get(n)))
	return ""
}

// checkString reads a string argument of a module function.
func checkString(L *lua.LState, n int, fn string) string {
	return checkBytes(L, n, fn, 0)
}

// checkFlag reads a flag argument as Python's truth test does: false, nil
// and 0 are false (scripts ported from Python write setblocking(0)),
// anything else is true. A missing argument is an error.
func checkFlag(L *lua.LState, n int, fn string, shift int) bool {
	if L.GetTop() < n {
		argError(L, n-shift, fn, "boolean expected, got no value")
	}
	return truthy(L.Get(n))
}

// truthy is Python's truth test of a flag: false, nil and 0 are false.
func truthy(v lua.LValue) bool {
	if n, ok := v.(lua.LNumber); ok {
		return n != 0
	}
	return lua.LVAsBool(v)
}

// checkSelf returns the value of type T that method fn was called on, or
// raises an error telling how to call it (kind: "socket", "thread", "queue"...).
func checkSelf[T any](L *lua.LState, fn, kind, short string) T {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if v, ok := ud.Value.(T); ok {
			return v
		}
	}
	misuse(L, "bad self to '%s' (%s expected, got %s; call it as %s:%s(...))", fn, kind, typeName(L.Get(1)), short, fn)
	var zero T
	return zero
}
