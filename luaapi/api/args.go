package api

import (
	"math"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// ArgError raises "bad argument #n to 'fn' (msg)" at the script's line. For
// a method, n counts the arguments after self, as the script wrote them.
func ArgError(L *lua.LState, n int, fn, msg string) {
	Misuse(L, "bad argument #%d to '%s' (%s)", n, fn, msg)
}

// An Object is a module's userdata value that names its own type in
// messages ("socket" rather than "userdata").
type Object interface {
	ObjectType() string
}

// A Served object is one a thread serves when it is passed to
// thread.spawn: the thread is named after it ("serving 127.0.0.1:5000"),
// and closes it if it fails, as Python's garbage collector would.
type Served interface {
	// Serving is its address as the thread's name shows it: the peer's,
	// else the local one; "" if it has none.
	Serving() string
	Close() error
}

// TypeName is the Lua type of v for messages ("nil", "table", "socket").
func TypeName(v lua.LValue) string {
	if ud, ok := v.(*lua.LUserData); ok {
		if o, ok := ud.Value.(Object); ok {
			return o.ObjectType()
		}
	}
	return v.Type().String()
}

// CheckInt reads an integer argument at stack index n; shift is 1 for
// methods (self is not counted in messages).
func CheckInt(L *lua.LState, n int, fn string, shift int) int {
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
		ArgError(L, n-shift, fn, "number expected, got "+TypeName(v))
	}
	return int(f)
}

// OptInt is checkInt with a default for nil or a missing argument.
//
// It runs on every recv and send: a missing argument is told by the stack's
// top, and nil by its type (comparing with lua.LNil, an interface, is a
// call into the runtime).
func OptInt(L *lua.LState, n int, fn string, shift int, def int) int {
	if L.GetTop() < n {
		return def
	}
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return int(v)
	case *lua.LNilType:
		return def
	}
	return CheckInt(L, n, fn, shift)
}

// CheckBytes reads a string argument (a number is converted, as Lua does).
func CheckBytes(L *lua.LState, n int, fn string, shift int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	ArgError(L, n-shift, fn, "string expected, got "+TypeName(L.Get(n)))
	return ""
}

// CheckString reads a string argument of a module function.
func CheckString(L *lua.LState, n int, fn string) string {
	return CheckBytes(L, n, fn, 0)
}

// CheckFlag reads a flag argument as Python's truth test does: false, nil
// and 0 are false (scripts ported from Python write setblocking(0)),
// anything else is true. A missing argument is an error.
func CheckFlag(L *lua.LState, n int, fn string, shift int) bool {
	if L.GetTop() < n {
		ArgError(L, n-shift, fn, "boolean expected, got no value")
	}
	return Truthy(L.Get(n))
}

// Truthy is Python's truth test of a flag: false, nil and 0 are false.
func Truthy(v lua.LValue) bool {
	if n, ok := v.(lua.LNumber); ok {
		return n != 0
	}
	return lua.LVAsBool(v)
}

// CheckSelf returns the value of type T that method fn was called on, or
// raises an error telling how to call it (kind: "socket", "thread", "queue"...).
func CheckSelf[T any](L *lua.LState, fn, kind, short string) T {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if v, ok := ud.Value.(T); ok {
			return v
		}
	}
	Misuse(L, "bad self to '%s' (%s expected, got %s; call it as %s:%s(...))", fn, kind, TypeName(L.Get(1)), short, fn)
	var zero T
	return zero
}

// NewObject wraps v in a userdata with the metatable registered as meta
// (Metatable).
func NewObject(L *lua.LState, v any, meta string) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = v
	L.SetMetatable(ud, Metatable(L, meta))
	return ud
}

// CheckTimeout reads a Python timeout: nil (blocking) or seconds >= 0.
func CheckTimeout(L *lua.LState, n int, fn string, shift int) time.Duration {
	v := L.Get(n)
	if v == lua.LNil {
		return -1
	}
	f, ok := v.(lua.LNumber)
	if !ok {
		ArgError(L, n-shift, fn, "number or nil expected, got "+TypeName(v))
	}
	if f < 0 || f != f {
		ArgError(L, n-shift, fn, "timeout value out of range")
	}
	return Seconds(float64(f))
}

func TimeoutValue(d time.Duration) lua.LValue {
	if d < 0 {
		return lua.LNil
	}
	return lua.LNumber(d.Seconds())
}

// Seconds converts a script's seconds to a duration. One too long for a
// Duration (math.huge, 1e10) is the longest there is, about 292 years,
// rather than a conversion that overflows into a negative duration.
func Seconds(f float64) time.Duration {
	if f*float64(time.Second) >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(f * float64(time.Second))
}

// CheckNumber reads a number argument (a numeric string converts).
func CheckNumber(L *lua.LState, n int, fn string, shift int) lua.LNumber {
	v := L.Get(n)
	if f, ok := v.(lua.LNumber); ok {
		return f
	}
	if s, ok := v.(lua.LString); ok {
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64); err == nil {
			return lua.LNumber(f)
		}
	}
	ArgError(L, n-shift, fn, "number expected, got "+TypeName(v))
	return 0
}

// ValueDesc is v in a message about a bad argument: its text for a number
// or a string, else its type.
func ValueDesc(v lua.LValue) string {
	if v.Type() == lua.LTNumber || v.Type() == lua.LTString {
		return lua.LVAsString(v)
	}
	return TypeName(v)
}

// ToPort reads v as a port: a whole number 0-65535, or its text.
func ToPort(v lua.LValue) (int, bool) {
	var f float64
	switch p := v.(type) {
	case lua.LNumber:
		f = float64(p)
	case lua.LString:
		n, err := strconv.Atoi(string(p))
		if err != nil {
			return 0, false
		}
		f = float64(n)
	default:
		return 0, false
	}
	if f < 0 || f > 65535 || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}
