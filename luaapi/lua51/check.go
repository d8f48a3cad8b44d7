package lua51

import (
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// This file holds what the library functions share to read their
// arguments and raise their errors as Lua 5.1's C library does (lauxlib):
// "bad argument #2 to 'format' (number expected, got no value)", with the
// position of the calling Lua function, or none when a C (Go) function
// such as pcall made the call.

// raise is luaL_error: raises msg with the position of the Lua function
// that called the running Go function.
func raise(L *lua.LState, msg string) {
	L.Error(lua.LString(Where(L, 1)+msg), 0)
}

// funcName is the name the running Go function was called by, as Lua 5.1
// finds it from the calling instruction: "?" when a Go function (pcall)
// called it.
func funcName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "?"
	}
	if _, called := L.GetStack(1); !called {
		// The first function of a coroutine (a protected call's): the
		// host or resume called it, as a C function would.
		return "?"
	}
	if _, err := L.GetInfo("n", dbg, lua.LNil); err != nil {
		return "?"
	}
	switch name := dbg.Name; {
	case name == "" || name == "(anonymous)" || name == "main chunk" || name[0] == '<':
		return "?"
	default:
		return name
	}
}

// argError is luaL_argerror: "bad argument #n to 'name' (msg)".
func argError(L *lua.LState, n int, msg string) {
	raise(L, "bad argument #"+strconv.Itoa(n)+" to '"+funcName(L)+"' ("+msg+")")
}

// typeName is lua_typename of argument n: "no value" past the last one.
func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// typeError is luaL_typerror: "bad argument #n to 'name' (T expected, got U)".
func typeError(L *lua.LState, n int, expected string) {
	argError(L, n, expected+" expected, got "+typeName(L, n))
}

// checkAny is luaL_checkany: argument n must be given, nil included.
func checkAny(L *lua.LState, n int) lua.LValue {
	if n > L.GetTop() {
		argError(L, n, "value expected")
	}
	return L.Get(n)
}

// checkTable is luaL_checktype(L, n, LUA_TTABLE).
func checkTable(L *lua.LState, n int) *lua.LTable {
	t, ok := L.Get(n).(*lua.LTable)
	if !ok {
		typeError(L, n, "table")
	}
	return t
}

// toNumber is lua_tonumber: a number, or a string Lua 5.1 reads as one.
func toNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		return ParseNumber(string(v))
	}
	return 0, false
}

// checkNumber is luaL_checknumber.
func checkNumber(L *lua.LState, n int) float64 {
	f, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, "number")
	}
	return f
}

// optNumber is luaL_optnumber: def when argument n is nil or absent.
func optNumber(L *lua.LState, n int, def float64) float64 {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkNumber(L, n)
}

// checkInteger is luaL_checkinteger: the number cast to a C long.
func checkInteger(L *lua.LState, n int) int64 { return cLong(checkNumber(L, n)) }

// optInteger is luaL_optinteger.
func optInteger(L *lua.LState, n int, def int64) int64 {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkInteger(L, n)
}

// checkInt is luaL_checkint: the number cast to a C long, then to an int.
func checkInt(L *lua.LState, n int) int { return int(int32(checkInteger(L, n))) }

// optInt is luaL_optint.
func optInt(L *lua.LState, n int, def int) int {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkInt(L, n)
}

// checkString is luaL_checkstring: a string, or a number as Lua 5.1 writes
// it (%.14g).
func checkString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return FormatNumber(float64(v))
	}
	typeError(L, n, "string")
	return ""
}

// optString is luaL_optstring.
func optString(L *lua.LState, n int, def string) string {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkString(L, n)
}

// CheckString is argument n of the running Go function as a string, as
// Lua 5.1's luaL_checkstring reads it: a number becomes its text as
// tostring writes it (1e+15, not 1000000000000000), and anything else
// raises "bad argument #n to 'name' (string expected, got T)". Library
// functions outside this package that take strings use it.
func CheckString(L *lua.LState, n int) string { return checkString(L, n) }

// cLong is C's (long) cast of a double on x86-64: truncation toward zero,
// and the "integer indefinite" 0x8000000000000000 for NaN and for values
// out of range, whatever the processor Go runs on.
func cLong(f float64) int64 {
	if f != f || f >= 0x1p63 || f < -0x1p63 {
		return math.MinInt64
	}
	return int64(f)
}
