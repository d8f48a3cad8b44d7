package lua51

import (
	lua "github.com/yuin/gopher-lua"
)

// This file is the coroutine library as Lua 5.1's, seen through pcall's
// coroutines: inside a pcall, coroutine.running() is the coroutine that
// called pcall, not pcall's own, so that a scheduler (Copas) that keeps it
// to resume later resumes the right one; its status there is "running".
//
// It also gives resume and wrap Lua 5.1's limits and messages: a resume
// nested past LUAI_MAXCCALLS reports "C stack overflow" (gopher-lua nests
// the Go stack without bound, until Go ends the process with a stack
// dump); resuming a coroutine that is not suspended reports "cannot
// resume running coroutine" (or normal, or dead) instead of corrupting it;
// an overflow of a coroutine's call stack reads "stack overflow" with its
// position; create and wrap take Lua functions only (a Go function as a
// coroutine's body never hands back its results in gopher-lua); and a
// coroutine whose last statement is return coroutine.yield(...) returns
// what it is resumed with (gopher-lua drops its frame at the yield and
// crashed at the next resume).

// openCoroutine replaces the coroutine library's functions in mod, which
// must see through p's coroutines.
func openCoroutine(L *lua.LState, p *protected, mod *lua.LTable) {
	create, _ := mod.RawGetString("create").(*lua.LFunction)
	if create == nil || create.GFunction == nil {
		return
	}
	coCreate := create.GFunction
	newCoroutine := func(L *lua.LState) *lua.LState {
		if fn, ok := L.Get(1).(*lua.LFunction); !ok || fn.IsG {
			argError(L, 1, "Lua function expected")
		}
		L.SetTop(1)
		coCreate(L)
		th := L.Get(-1).(*lua.LState)
		L.SetTop(0)
		return th
	}
	p.yield = L.NewFunction(p.coYield)
	L.SetFuncs(mod, map[string]lua.LGFunction{
		// coroutine.create(f): a new coroutine running the Lua function f.
		"create": func(L *lua.LState) int {
			L.Push(newCoroutine(L))
			return 1
		},
		// coroutine.wrap(f): a function that resumes a new coroutine
		// running f, returns what it yields or returns, and raises what
		// it raises.
		"wrap": func(L *lua.LState) int {
			L.Push(L.NewClosure(p.wrapped, newCoroutine(L)))
			return 1
		},
		"resume":  p.coResumeFn,
		"running": p.coRunning,
		"status":  p.coStatus,
	})
	mod.RawSetString("yield", p.yield)
}

// coResumeFn is coroutine.resume(co, ...): true and what co yielded or
// returned, or false and the error.
func (p *protected) coResumeFn(L *lua.LState) int {
	th, ok := L.Get(1).(*lua.LState)
	if !ok {
		argError(L, 1, "coroutine expected")
	}
	if msg := p.resumable(L, th); msg != "" {
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(lua.LString(msg))
		return 2
	}
	p.resumeOnStack(L, th)
	if L.Get(2) == lua.LFalse {
		L.Replace(3, stackOverflow(th, L.Get(3)))
	}
	return L.GetTop() - 1
}

// resumeOnStack resumes th, at 1 on L's stack with the values to resume
// it with above it, and leaves [th, ok, values...] there, as gopher-lua's
// coroutine.resume does; through the protected calls th is suspended in.
// A coroutine whose last frame gopher-lua lost in a yield returns the
// values (lostFrames).
func (p *protected) resumeOnStack(L *lua.LState, th *lua.LState) {
	if !p.isPending(th) {
		for n := yieldWants(th) - (L.GetTop() - 1); n > 0; n-- {
			L.Push(lua.LNil)
		}
		p.coResumeLost(L, th)
		return
	}
	vals := make([]lua.LValue, 0, L.GetTop()-1)
	for i := 2; i <= L.GetTop(); i++ {
		vals = append(vals, L.Get(i))
	}
	L.SetTop(1)
	how, out := p.resumeFrom(L, th, vals)
	L.Push(lua.LBool(how != raised))
	for _, v := range out {
		L.Push(v)
	}
}

// yieldWants is how many values the call of coroutine.yield that th is
// suspended in takes ("local a, b = coroutine.yield()" takes 2), 0 when it
// takes them all or it is not known. Resumed with fewer, gopher-lua leaves
// the rest of its registers holding no value at all, not nil (a Go nil
// dereference when the script reads one), so a resume passes nils for
// them, as lua5.1 assigns. The call is the one at th's line named yield,
// or the only call on that line.
func yieldWants(th *lua.LState) int {
	dbg, ok := th.GetStack(0)
	if !ok {
		return 0
	}
	f, err := th.GetInfo("fl", dbg, lua.LNil)
	fn, _ := f.(*lua.LFunction)
	if err != nil || fn == nil || fn.IsG || dbg.CurrentLine <= 0 {
		return 0
	}
	p := fn.Proto
	named, only, calls := -1, -1, 0
	for _, c := range p.DbgCalls {
		if c.Pc >= len(p.Code) || c.Pc >= len(p.DbgSourcePositions) || p.DbgSourcePositions[c.Pc] != dbg.CurrentLine {
			continue
		}
		inst := p.Code[c.Pc]
		if int(inst>>26) != lua.OP_CALL {
			continue
		}
		want := int(inst>>9)&0x1ff - 1 // C - 1 results; -1 for all
		calls++
		only = want
		if c.Name == "yield" {
			if named >= 0 && named != want {
				return 0 // two yields on the line that take different counts
			}
			named = want
		}
	}
	switch {
	case named > 0:
		return named
	case named < 0 && calls == 1 && only > 0:
		return only
	}
	return 0
}

// wrapped is the function coroutine.wrap returns: it resumes the coroutine
// in its upvalue and returns what it yields or returns, or raises its
// error, a string one with the caller's position before it (as Lua 5.1's
// auxwrap).
func (p *protected) wrapped(L *lua.LState) int {
	th := L.Get(lua.UpvalueIndex(1)).(*lua.LState)
	L.Insert(th, 1)
	var err lua.LValue
	if msg := p.resumable(L, th); msg != "" {
		err = lua.LString(msg)
	} else {
		p.resumeOnStack(L, th)
		if L.Get(2) != lua.LFalse {
			return L.GetTop() - 2
		}
		err = stackOverflow(th, L.Get(3))
	}
	switch e := err.(type) {
	case lua.LString:
		err = lua.LString(Where(L, 1) + string(e))
	case lua.LNumber:
		err = lua.LString(Where(L, 1) + FormatNumber(float64(e)))
	}
	L.Error(err, 0)
	return 0
}

// resumable is why L cannot resume th now, as Lua 5.1 words it, or "".
func (p *protected) resumable(L *lua.LState, th *lua.LState) string {
	if st := p.status(L, th); st != "suspended" {
		return "cannot resume " + st + " coroutine"
	}
	if _, _, ok := p.nest(L, 0); !ok {
		return "C stack overflow"
	}
	return ""
}

// coResumeLost is gopher-lua's coroutine.resume, which crashes (a nil
// dereference) on a coroutine whose frames it lost (lostFrames): that one
// returns the values it is resumed with instead. Checked only when the
// crash happens, so that a resume costs nothing more.
func (p *protected) coResumeLost(L *lua.LState, th *lua.LState) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if th.Dead || !lostFrames(th) {
			panic(r)
		}
		// coResume had moved the values to th when it crashed.
		th.Parent = nil
		L.G.CurrentThread = L
		th.Dead = true
		L.SetTop(1)
		L.Push(lua.LTrue)
		n := th.GetTop()
		for i := 1; i <= n; i++ {
			L.Push(th.Get(i))
		}
		th.SetTop(0)
	}()
	p.coResume(L)
}

// coYield is coroutine.yield(...): suspends the running coroutine, through
// the pcalls it runs in, and returns what it is resumed with. Outside a
// coroutine, or where a Go function would have to be suspended, it raises
// Lua 5.1's error instead of gopher-lua's crash or silent return.
func (p *protected) coYield(L *lua.LState) int {
	if msg := p.cannotYield(L); msg != "" {
		L.Error(lua.LString(msg), 0)
	}
	return -1
}

// coRunning is coroutine.running(): the running coroutine, nil in the main
// thread. Inside a pcall it is the coroutine that called pcall.
func (p *protected) coRunning(L *lua.LState) int {
	s := p.running(L)
	if s == L.G.MainThread {
		L.Push(lua.LNil)
	} else {
		L.Push(s)
	}
	return 1
}

// coStatus is coroutine.status(co): "running", "suspended", "normal" (it
// resumed the running one) or "dead".
func (p *protected) coStatus(L *lua.LState) int {
	th, ok := L.Get(1).(*lua.LState)
	if !ok {
		argError(L, 1, "coroutine expected")
	}
	L.Push(lua.LString(p.status(L, th)))
	return 1
}

// status is th's status as L sees it.
func (p *protected) status(L *lua.LState, th *lua.LState) string {
	if th.Dead {
		return "dead"
	}
	if th == p.running(L) {
		return "running"
	}
	for s := L; s != nil; s = s.Parent {
		if s == th {
			return "normal"
		}
	}
	return "suspended"
}
