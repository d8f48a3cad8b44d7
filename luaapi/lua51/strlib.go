package lua51

import (
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

func init() {
	correct("string", func(L *lua.LState, _ Options) {
		mod, ok := L.GetGlobal("string").(*lua.LTable)
		if !ok {
			return
		}
		for name, fn := range map[string]lua.LGFunction{
			"byte":    strByte,
			"char":    strChar,
			"format":  strFormat,
			"len":     strLen,
			"lower":   strLower,
			"rep":     strRep,
			"reverse": strReverse,
			"sub":     strSub,
			"upper":   strUpper,
		} {
			mod.RawSetString(name, L.NewFunction(fn))
		}
		// The pattern functions are gopher-lua's (sockrun replaces them
		// with its own), given numbers as Lua 5.1's text.
		// The subject and the pattern; gsub's replacement too.
		for _, name := range []string{"find", "gfind", "gmatch", "match"} {
			numbersAsText(L, mod, name, 2)
		}
		numbersAsText(L, mod, "gsub", 3)
		// gopher-lua makes the string table its own metatable, so that
		// string.__index exists and getmetatable("") == string; Lua 5.1's
		// strings have a metatable of their own whose __index is string.
		mod.RawSetString("__index", lua.LNil)
		mt := L.NewTable()
		mt.RawSetString("__index", mod)
		setStringArith(L, mt)
		L.SetMetatable(lua.LString(""), mt)
	})
}

// posRelative is Lua 5.1's posrelat: a negative position counts from the
// end of a string of length n (-1 is the last byte); before the start it
// is 0.
func posRelative(pos int64, n int) int64 {
	if pos < 0 {
		pos += int64(n) + 1
	}
	return max(pos, 0)
}

// maxResults is how many values a C function may push at once in Lua 5.1
// (LUAI_MAXCSTACK): string.byte and unpack raise past it.
const maxResults = 8000

// strByte is string.byte(s [, i [, j]]): the codes of the bytes of s from
// i (default 1) to j (default i).
func strByte(L *lua.LState) int {
	s := checkString(L, 1)
	posi := posRelative(optInteger(L, 2, 1), len(s))
	pose := posRelative(optInteger(L, 3, posi), len(s))
	posi = max(posi, 1)
	pose = min(pose, int64(len(s)))
	if posi > pose {
		return 0
	}
	n := int(pose - posi + 1)
	if n+L.GetTop() > maxResults {
		raise(L, "stack overflow (string slice too long)")
	}
	for i := posi - 1; i < pose; i++ {
		L.Push(lua.LNumber(s[i]))
	}
	return n
}

// strChar is string.char(...): the string of the bytes with those codes;
// a code outside 0-255 raises "invalid value".
func strChar(L *lua.LState) int {
	top := L.GetTop()
	b := make([]byte, top)
	for i := 1; i <= top; i++ {
		c := checkInt(L, i)
		if c < 0 || c > 255 {
			argError(L, i, "invalid value")
		}
		b[i-1] = byte(c)
	}
	L.Push(lua.LString(b))
	return 1
}

// strLen is string.len(s): its length in bytes.
func strLen(L *lua.LState) int {
	L.Push(lua.LNumber(len(checkString(L, 1))))
	return 1
}

// strLower is string.lower(s): s with ASCII capitals made small, as C's
// tolower in the C locale.
func strLower(L *lua.LState) int {
	s := checkString(L, 1)
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	L.Push(lua.LString(b))
	return 1
}

// strUpper is string.upper(s): s with ASCII small letters made capitals.
func strUpper(L *lua.LState) int {
	s := checkString(L, 1)
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	L.Push(lua.LString(b))
	return 1
}

// strRep is string.rep(s, n): n copies of s, "" for n below 1. A third
// argument is ignored, as Lua 5.1 does (it is Lua 5.2's separator).
func strRep(L *lua.LState) int {
	s := checkString(L, 1)
	n := checkInteger(L, 2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if n > math.MaxInt32 || int64(len(s))*n > math.MaxInt32 {
		raise(L, "not enough memory")
	}
	L.Push(lua.LString(strings.Repeat(s, int(n))))
	return 1
}

// strReverse is string.reverse(s): s with its bytes in reverse order.
func strReverse(L *lua.LState) int {
	s := checkString(L, 1)
	b := make([]byte, len(s))
	for i := range len(s) {
		b[len(s)-1-i] = s[i]
	}
	L.Push(lua.LString(b))
	return 1
}

// strSub is string.sub(s, i [, j]): the bytes of s from i to j (default
// -1, the last); negative positions count from the end.
func strSub(L *lua.LState) int {
	s := checkString(L, 1)
	start := posRelative(checkInteger(L, 2), len(s))
	end := posRelative(optInteger(L, 3, -1), len(s))
	start = max(start, 1)
	end = min(end, int64(len(s)))
	if start > end {
		L.Push(lua.LString(""))
		return 1
	}
	L.Push(lua.LString(s[start-1 : end]))
	return 1
}
