package base

import (
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/lpattern"
	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// This file replaces the pattern functions of the string library with
// ones built on lpattern. gopher-lua's parse and compile the pattern into
// a program at every call and convert the subject to bytes: under load,
// a third of the HTTP and RESP servers' CPU. lpattern reads both strings
// in place, as Lua's C library does. The functions follow Lua 5.1 where
// gopher-lua's do not (docs/api.md lists where).

func init() {
	api.Register(&api.Module{
		Name:    "string",
		Defs:    "sockrun.lua",
		Kind:    api.ExtendGlobal,
		Summary: "string.find, string.match, string.gmatch and string.gsub as Lua 5.1's, on a matcher that allocates nothing",
		Doc:     "docs/api.md",
		Funcs: []api.Func{
			api.Fn("find", "string.find(s, pattern [, init [, plain]])", "the start and end of the first match of pattern in s from init, then its captures; nil if there is none. With plain, or a pattern without special characters, a plain search", strFind).
				Params(api.T("string|number"), api.T("string|number"), api.Int, api.Bool).
				Returns(api.T("integer|nil").Named("start"), api.T("integer|nil").Named("end"), api.Any.Named("...")),
			api.Fn("match", "string.match(s, pattern [, init])", "the captures of the first match of pattern in s from init, or the whole match if it has none; nil if there is none", strMatch).
				Params(api.T("string|number"), api.T("string|number"), api.Int).Returns(api.Any.Named("...")),
			api.Fn("gmatch", "string.gmatch(s, pattern)", "an iterator over the matches of pattern in s, returning each one's captures, or the whole match", strGmatch).
				Params(api.T("string|number"), api.T("string|number")).Returns(api.T("fun(): string|integer, ...")),
			api.Fn("gsub", "string.gsub(s, pattern, repl [, n])", "s with its first n (default all) matches of pattern replaced by repl (a string with %0-%9, a table, or a function), and the number of matches", strGsub).
				Params(api.T("string|number"), api.T("string|number"), api.T("string|number|table|fun(...: string|integer): any"), api.Int).Returns(api.Str, api.Int.Named("count")),
		},
		Setup: func(_ any, _ *lua.LState, mod *lua.LTable) {
			// Lua 5.1's old name of gmatch.
			mod.RawSetString("gfind", mod.RawGetString("gmatch"))
		},
	})
}

// strFind is string.find(s, pattern [, init [, plain]]): the start and end
// (from 1) of the first match of pattern in s at or after init, then its
// captures; nil if there is none. With plain true, or a pattern that has
// no special character, it searches for pattern as plain text.
func strFind(L *lua.LState) int { return strFindAux(L, true) }

// strMatch is string.match(s, pattern [, init]): the captures of the first
// match of pattern in s at or after init, the whole match if the pattern
// has no captures; nil if there is none.
func strMatch(L *lua.LState) int { return strFindAux(L, false) }

func strFindAux(L *lua.LState, find bool) int {
	s := lua51.CheckString(L, 1)
	pat := lua51.CheckString(L, 2)
	init := startOffset(L.OptInt(3, 1), len(s))
	if find && (lua.LVAsBool(L.Get(4)) || !lpattern.HasSpecials(pat)) {
		i := strings.Index(s[init:], pat)
		if i < 0 {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LNumber(init + i + 1))
		L.Push(lua.LNumber(init + i + len(pat)))
		return 2
	}
	var m lpattern.Matcher
	pat, anchored := lpattern.Anchored(pat)
	m.Reset(s, pat)
	start, end, err := m.Find(init, anchored)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if start < 0 {
		L.Push(lua.LNil)
		return 1
	}
	if !find {
		return pushCaptures(L, &m, s, true)
	}
	L.Push(lua.LNumber(start + 1))
	L.Push(lua.LNumber(end))
	return 2 + pushCaptures(L, &m, s, false)
}

// startOffset is the offset in a string of length n where a search from
// Lua index init starts, as Lua 5.1 reckons it: a negative init counts
// from the end, and an init before the start or past the end is taken as
// the start or the end.
func startOffset(init, n int) int {
	if init < 0 {
		init += n + 1
	}
	return min(max(init-1, 0), n)
}

// pushCaptures pushes the captures of m's last match in s and returns how
// many: a position capture as a number, and, if the pattern has none and
// whole is set, the whole match.
func pushCaptures(L *lua.LState, m *lpattern.Matcher, s string, whole bool) int {
	n := m.Captures()
	if n == 0 && whole {
		n = 1
	}
	for i := range n {
		L.Push(captureValue(L, m, s, i))
	}
	return n
}

// captureValue is capture i of m's last match in s as a Lua value.
func captureValue(L *lua.LState, m *lpattern.Matcher, s string, i int) lua.LValue {
	start, end, pos, err := m.Capture(i)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if pos {
		return lua.LNumber(start + 1)
	}
	return lua.LString(s[start:end])
}

// strGmatch is string.gmatch(s, pattern): an iterator that returns the
// captures of the next match of pattern in s (the whole match if it has
// none), and nothing after the last. As in Lua 5.1, a '^' in pattern is
// an ordinary character, and an empty match moves the next search one
// byte on.
func strGmatch(L *lua.LState) int {
	s := lua51.CheckString(L, 1)
	pat := lua51.CheckString(L, 2)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		var m lpattern.Matcher
		m.Reset(s, pat)
		start, end, err := m.Find(pos, false)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if start < 0 {
			pos = len(s) + 1
			return 0
		}
		pos = end
		if end == start {
			pos++
		}
		return pushCaptures(L, &m, s, true)
	}))
	return 1
}

// strGsub is string.gsub(s, pattern, repl [, n]): s with its first n
// matches of pattern (all by default) replaced, and the number of
// matches. repl is a string whose "%0" to "%9" stand for the whole match
// and its captures (see lpattern.Matcher.Expand); a table, indexed by
// the first capture or the whole match; or a function, called with the
// captures or the whole match. A value of false or nil from the table or
// the function keeps the match as it is. An empty match moves on by one
// byte, and a '^' anchors the pattern at the start of s.
func strGsub(L *lua.LState) int {
	src := lua51.CheckString(L, 1)
	pat := lua51.CheckString(L, 2)
	repl := L.Get(3)
	maxN := L.OptInt(4, len(src)+1)
	var replStr string
	isStr := false
	switch repl.Type() {
	case lua.LTString, lua.LTNumber:
		replStr, isStr = lua51.CheckString(L, 3), true
	case lua.LTTable, lua.LTFunction:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	pat, anchored := lpattern.Anchored(pat)
	var m lpattern.Matcher
	m.Reset(src, pat)
	var b strings.Builder
	done := 0 // src[:done] is in b, or replaced in it
	n := 0
	for s := 0; n < maxN && s <= len(src); {
		start, e, err := m.Find(s, anchored)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if start < 0 {
			break
		}
		n++
		if isStr {
			b.Grow(len(src) - done + len(replStr))
			b.WriteString(src[done:start])
			if err := m.Expand(&b, replStr); err != nil {
				L.RaiseError("%s", err.Error())
			}
			done = e
		} else if v, ok := gsubValue(L, &m, src, repl); ok {
			b.Grow(len(src) - done + len(v))
			b.WriteString(src[done:start])
			b.WriteString(v)
			done = e
		}
		if anchored {
			break
		}
		s = max(e, start+1) // past the match, or a byte on from an empty one
	}
	if done == 0 && b.Len() == 0 {
		L.Push(lua.LString(src)) // nothing replaced: s as it is
	} else {
		b.WriteString(src[done:])
		L.Push(lua.LString(b.String()))
	}
	L.Push(lua.LNumber(n))
	return 2
}

// gsubValue is what a table or function repl gives for m's last match in
// src, and false if the match is to be kept as it is.
func gsubValue(L *lua.LState, m *lpattern.Matcher, src string, repl lua.LValue) (string, bool) {
	var v lua.LValue
	if t, ok := repl.(*lua.LTable); ok {
		v = L.GetTable(t, captureValue(L, m, src, 0))
	} else {
		L.Push(repl)
		L.Call(pushCaptures(L, m, src, true), 1)
		v = L.Get(-1)
		L.Pop(1)
	}
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return lua51.FormatNumber(float64(v)), true
	}
	if lua.LVAsBool(v) {
		L.RaiseError("invalid replacement value (a %s)", v.Type().String())
	}
	return "", false
}
