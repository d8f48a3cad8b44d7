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
//
// A backtracking pattern can run for minutes. Each search runs with the
// interpreter lock held for lockedSteps steps of the matcher at most
// (lpattern.Matcher.Limit), which the common search is far from needing;
// one that needs more is started again without the lock (the subject and
// the pattern are Go strings no other thread can change), other threads
// running meanwhile, and ends early if the run is interrupted. gmatch's
// iterator and gsub's calls of a function or table let the host hand the
// lock over at the switch interval, as any call into sockrun does.

func init() {
	api.Register(&api.Module{
		Name:    "string",
		Defs:    "sockrun.lua",
		New:     shared,
		Kind:    api.ExtendGlobal,
		Summary: "string.find, string.match, string.gmatch and string.gsub as Lua 5.1's, on a matcher that allocates nothing and runs long searches without the interpreter lock",
		Doc:     "docs/api.md",
		Funcs: []api.Func{
			api.Method("find", "string.find(s, pattern [, init [, plain]])", "the start and end of the first match of pattern in s from init, then its captures; nil if there is none. With plain, or a pattern without special characters, a plain search", (*Base).strFind).
				Params(api.T("string|number"), api.T("string|number"), api.Int, api.Bool).
				Returns(api.T("integer|nil").Named("start"), api.T("integer|nil").Named("end"), api.Any.Named("...")),
			api.Method("match", "string.match(s, pattern [, init])", "the captures of the first match of pattern in s from init, or the whole match if it has none; nil if there is none", (*Base).strMatch).
				Params(api.T("string|number"), api.T("string|number"), api.Int).Returns(api.Any.Named("...")),
			api.Method("gmatch", "string.gmatch(s, pattern)", "an iterator over the matches of pattern in s, returning each one's captures, or the whole match", (*Base).strGmatch).
				Params(api.T("string|number"), api.T("string|number")).Returns(api.T("fun(): string|integer, ...")),
			api.Method("gsub", "string.gsub(s, pattern, repl [, n])", "s with its first n (default all) matches of pattern replaced by repl (a string with %0-%9, a table, or a function), and the number of matches", (*Base).strGsub).
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
func (b *Base) strFind(L *lua.LState) int { return b.strFindAux(L, true) }

// strMatch is string.match(s, pattern [, init]): the captures of the first
// match of pattern in s at or after init, the whole match if the pattern
// has no captures; nil if there is none.
func (b *Base) strMatch(L *lua.LState) int { return b.strFindAux(L, false) }

func (b *Base) strFindAux(L *lua.LState, find bool) int {
	s := lua51.CheckString(L, 1)
	pat := lua51.CheckString(L, 2)
	init := startOffset(L.OptInt(3, 1), len(s))
	if find && (lua.LVAsBool(L.Get(4)) || !lpattern.HasSpecials(pat)) {
		var i int
		lua51.Unlocked(L, int64(len(s)-init), func() { i = strings.Index(s[init:], pat) })
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
	m.Limit(lockedSteps, nil)
	op := "string.match"
	if find {
		op = "string.find"
	}
	start, end := b.search(L, &m, init, anchored, op)
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

// lockedSteps is how many steps of the matcher a search takes with the
// interpreter lock held: a millisecond or two at most, far more than
// the patterns of a protocol server take. checkSteps is how often a
// search without the lock looks whether the run was interrupted.
const (
	lockedSteps = 1 << 14
	checkSteps  = 1 << 14
)

// search is m.Find(init, anchored) for a call of L to op: the match's
// bounds, or -1, -1. m is limited to lockedSteps (its caller sets the
// limit once, so that the searches of one gsub count together): a search
// that runs past them is run again without the interpreter lock, and the
// limit starts again. It raises a malformed pattern's error, and the
// interrupt error if the run is interrupted meanwhile.
func (b *Base) search(L *lua.LState, m *lpattern.Matcher, init int, anchored bool, op string) (start, end int) {
	start, end, err := m.Find(init, anchored)
	if err == lpattern.ErrLong {
		start, end, err = b.searchUnlocked(L, m, init, anchored, op)
	}
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	return start, end
}

// searchUnlocked is search's long search, made again from its start with
// the lock released (with no VM, a test's state, with no limit).
func (b *Base) searchUnlocked(L *lua.LState, m *lpattern.Matcher, init int, anchored bool, op string) (start, end int, err error) {
	defer m.Limit(lockedSteps, nil)
	if b.vm == nil {
		m.Limit(0, nil)
		return m.Find(init, anchored)
	}
	ctx := b.vm.CallContext(L)
	m.Limit(checkSteps, ctx.Err)
	host := b.vm.Host()
	// Nothing Lua is touched until Lock: the matcher reads Go strings.
	host.Unlock(L)
	start, end, err = m.Find(init, anchored)
	host.Lock(L)
	if err != nil && ctx.Err() != nil {
		b.vm.RaiseIfInterrupted(L, op)
	}
	return start, end, err
}

// checkpoint lets the host hand the lock over between the steps of a
// long call that calls back into Lua or returns to it many times.
func (b *Base) checkpoint(L *lua.LState) {
	if b.vm != nil {
		b.vm.Host().Checkpoint(L)
	}
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
func (b *Base) strGmatch(L *lua.LState) int {
	s := lua51.CheckString(L, 1)
	pat := lua51.CheckString(L, 2)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		// Called by the loop, not through sockrun's call path.
		b.checkpoint(L)
		var m lpattern.Matcher
		m.Reset(s, pat)
		m.Limit(lockedSteps, nil)
		start, end := b.search(L, &m, pos, false, "string.gmatch")
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
//
// The result grows with the memory limit checked (gsubRoom), and a
// function or table repl lets the host hand the lock over before each
// call.
func (b *Base) strGsub(L *lua.LState) int {
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
	m.Limit(lockedSteps, nil)
	// Each '%' of a string repl stands for at most the whole match, or a
	// position's number.
	escapes := strings.Count(replStr, "%")
	var out strings.Builder
	done := 0 // src[:done] is in out, or replaced in it
	n := 0
	for s := 0; n < maxN && s <= len(src); {
		start, e := b.search(L, &m, s, anchored, "string.gsub")
		if start < 0 {
			break
		}
		n++
		if isStr {
			gsubRoom(L, &out, len(src)-done+len(replStr)+escapes*max(e-start, 20))
			out.WriteString(src[done:start])
			if err := m.Expand(&out, replStr); err != nil {
				L.RaiseError("%s", err.Error())
			}
			done = e
		} else {
			b.checkpoint(L)
			if v, ok := gsubValue(L, &m, src, repl); ok {
				gsubRoom(L, &out, len(src)-done+len(v))
				out.WriteString(src[done:start])
				out.WriteString(v)
				done = e
			}
		}
		if anchored {
			break
		}
		s = max(e, start+1) // past the match, or a byte on from an empty one
	}
	if done == 0 && out.Len() == 0 {
		L.Push(lua.LString(src)) // nothing replaced: s as it is
	} else {
		out.WriteString(src[done:])
		L.Push(lua.LString(out.String()))
	}
	L.Push(lua.LNumber(n))
	return 2
}

// gsubRoom makes room in out for n more bytes. When that grows out to
// lua51.BigString bytes or more, it asks the host first (lua51.Reserve),
// which raises Lua's memory error if the heap has no room for it.
func gsubRoom(L *lua.LState, out *strings.Builder, n int) {
	if out.Cap()-out.Len() >= n {
		return
	}
	// What strings.Builder.Grow allocates.
	lua51.Reserve(L, int64(2*out.Cap()+n))
	out.Grow(n)
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
