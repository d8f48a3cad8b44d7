package lua51

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"weak"

	lua "github.com/yuin/gopher-lua"
)

// This file is pcall and xpcall as Lua 5.1 runs them, with Lua 5.2's yield
// across them.
//
// gopher-lua's pcall runs the protected function on the caller's own state
// and, when it catches an error, closes every open upvalue of that state
// (gopher-lua #448), not only those of the frames it unwound: a closure made
// by the main chunk stops sharing its locals after any caught error. Its
// xpcall closes none, so a closure made inside the failed call goes on
// reading a register that later calls reuse. And a coroutine that yields
// inside its pcall crashes at the next resume.
//
// Here each protected call runs on a coroutine of its own, as coxpcall
// does. An error ends that coroutine's frames only: what gopher-lua closes
// is its upvalues, exactly those of the unwound frames, and the caller's
// stay open.
//
// Where the caller cannot yield (the main thread, a thread, not inside a
// coroutine) the call is made with PCall on a bare coroutine (one that
// never ran): cheap, and the coroutine is fit for the next call even after
// an error. Inside a coroutine, a call of a Lua function is made by
// resuming a looping coroutine, which a yield inside the call suspends:
// pcall, a Go function, then yields the same values from the caller's
// coroutine (returning -1), noting the suspended call as pending; the
// coroutine library's resume, given the answer, first resumes the
// pending call with it and then the caller with the call's results. A
// looping coroutine whose call raised is dead and dropped.
//
// The coroutines are pooled: a new state costs a 7 KiB global table
// gopher-lua builds and drops, and more.
//
// pcall of a Go function (pcall(conn.recv, conn, n), the common case in a
// server) needs none: it has no Lua frame whose upvalues an error could
// leave open, yields only through coroutine.yield, which pcall takes
// apart, and a yield from a Lua function it calls cannot cross it. It runs
// on the caller's own state (callDirect), and only the upvalues of its
// callbacks' frames, if an error unwound any, are closed.

// MainCallDepth is how deep Lua calls may nest in the main thread, and in
// a protected call the main thread makes: Lua 5.1's LUAI_MAXCALLS. Past
// it, a call raises "stack overflow".
const MainCallDepth = 20000

// maxNesting is how many coroutine resumes and protected calls may nest:
// Lua 5.1's LUAI_MAXCCALLS (200) less the C calls lua5.1 itself stands on
// before the main chunk runs, so that the same script fails at the same
// depth (a protected call one level before a resume, as in lua5.1). Past
// it, resume and pcall report "C stack overflow".
const maxNesting = 198

// maxGoDepth bounds the Go stack: each resume or protected call, and each
// Lua call made from Go (a metamethod, a gsub or sort callback), nests the
// Go stack about 1 KiB deeper, and Go ends the whole process when one
// goroutine's stack passes 1 GB (512 MiB in practice: the stack doubles).
// A nested resume is refused when the call depths of the states it nests
// could add up past this many frames.
const maxGoDepth = 400_000

// protectedSource is the body of the looping coroutines: it takes the
// call to make from job, makes it and yields DONE and the results.
const protectedSource = `
local yield, DONE = ...
local function run(f, ...)
  return f(...)
end
local function body(job)
  while true do
    yield(DONE, run(job()))
  end
end
return body, function() end
`

// protectedChunk is protectedSource compiled, at the first need of a
// looping coroutine in the process (loopBody): a run that makes no
// protected call of a Lua function from a coroutine does not pay for it.
var protectedChunk = sync.OnceValue(func() *lua.FunctionProto {
	proto, err := Compile(protectedSource, "[G]")
	if err != nil {
		panic(err)
	}
	return proto
})

// closerParams is how many parameters the closer has: how many registers
// one call of it closes the upvalues of (callDirect).
const closerParams = 190

// closerChunk returns the closer: a Lua function of closerParams
// parameters that does nothing. Called with at most that many arguments,
// it keeps them in its registers, and its return closes every open
// upvalue from its first register up, with the value it holds.
// It is compiled at the first failed direct call in the process
// (closeSaved): a run whose pcalls never catch an error does not pay for
// it, the bulk of what a VM's open cost (190 parameters to parse).
var closerChunk = sync.OnceValue(func() *lua.FunctionProto {
	params := make([]string, closerParams)
	for i := range params {
		params[i] = "a" + strconv.Itoa(i+1)
	}
	proto, err := Compile("return function("+strings.Join(params, ", ")+") end", "[G]")
	if err != nil {
		panic(err)
	}
	return proto
})

// protected is one VM's pcall: its pool of coroutines and the calls
// pending in a yield. Lua runs under the interpreter lock, so only one
// goroutine at a time touches it.
type protected struct {
	// coResume is gopher-lua's coroutine.resume, called directly: it
	// moves the arguments and results on the stacks without allocating.
	coResume lua.LGFunction
	// yield is coroutine.yield as scripts have it, rawYield gopher-lua's.
	yield, rawYield *lua.LFunction
	// pcall and xpcall are the script's; callLua is callLuaFunction.
	pcall, xpcall, callLua *lua.LFunction
	// onError is handleError, the message handler of bare calls;
	// onDirectError is directError, that of direct calls.
	onError, onDirectError *lua.LFunction
	// body and noop are protectedChunk's functions, made at the first
	// looping coroutine (loopBody), with env, the VM's globals, as their
	// environment.
	body, noop *lua.LFunction
	env        *lua.LTable
	done       lua.LValue

	// idle are the coroutines ready for a call, by class.
	idle [4][]idleCo
	// cos are the pcall coroutines alive, by state: what the coroutine
	// library looks at to see the coroutine a script runs in through its
	// pcalls. A coroutine leaves it when it dies, leaves the pool, or is
	// left suspended in a pending call whose caller was collected.
	cos map[*lua.LState]*pcallCo
	// pending are the calls that yielded, by the state that called
	// pcall and yielded with them: resuming that state resumes them
	// first. Weak, for a coroutine dropped while suspended: its entry
	// is swept as the map grows.
	pending      map[weak.Pointer[lua.LState]]pendingCall
	sweptPending int
	// direct are the states that made a direct call (callDirect) of a
	// Go function, by state: whether one runs, at most one each, since a
	// protected call made under it on the same state runs on a
	// coroutine. Kept, to be reused, and swept of those that run none as
	// the map grows (a map's insertion and deletion cost three times its
	// lookup); directs counts those that run one.
	direct      map[*lua.LState]*directState
	sweptDirect int
	directs     int
	// lastL and lastDirect are the state that made the last direct call
	// and its entry in direct (a server's loop pcalls from one state):
	// found without the map. A sweep forgets them.
	lastL      *lua.LState
	lastDirect *directState
	// marker marks the bottom of a direct call on the stack; closer is
	// closerChunk's function, made at the first failed direct call;
	// saved are the registers a failed direct call unwound, from
	// directError to callDirect.
	marker *lua.LUserData
	closer *lua.LFunction
	saved  []lua.LValue
}

// pendingCall is a protected call suspended in a yield: c's looping
// coroutine co, or none (co nil) for pcall(coroutine.yield, ...), whose
// results are the values it is resumed with.
type pendingCall struct {
	c  *pcallCo
	co *lua.LState
}

// idleCo is a pooled coroutine.
type idleCo struct {
	c  *pcallCo
	co *lua.LState
}

// pcallCo is one pooled coroutine's state. A coroutine serves one call at
// a time: taken from the pool, it belongs to the thread that took it until
// the call ends.
type pcallCo struct {
	p     *protected
	co    *lua.LState
	class class
	// args are the function and arguments of the call job hands the
	// coroutine's body next.
	args []lua.LValue
	job  *lua.LFunction
	// name is "pcall" or "xpcall"; handler is xpcall's message handler,
	// nil for pcall. handling is set while it runs, handled once it ran.
	name     string
	handler  lua.LValue
	handling bool
	handled  bool
	// inGo is set while a Go function runs on the coroutine (PCall): a
	// yield cannot cross it.
	inGo bool
	// failed is, while an xpcall handler runs on this coroutine after its
	// call unwound, the dead coroutine whose frames the error came from.
	failed *lua.LState
	// handlerAt is protectedCall.handlerAt: while xpcall's handler runs
	// on a bare coroutine, how many levels the coroutine had up to
	// handleError's frame.
	handlerAt int
	// resumed is set once the call yielded and was resumed: the frame of
	// the pcall that made it went with the yield.
	resumed bool
	// overflow is the message of the call stack overflow that ended the
	// bare call, with its position.
	overflow string
	// err is the error value handleError ended the bare call with.
	err    lua.LValue
	hasErr bool
}

// idleMax is how many idle coroutines of each class the pool keeps.
const idleMax = 64

// pcallRegisters is how many registers a pcall coroutine starts with.
const pcallRegisters = 16

// class is a kind of pooled coroutine: looping (suspended in the body's
// loop, for calls of Lua functions that may yield) or bare (a state with
// no frame, for calls made with PCall: those of Go functions, for which a
// frame of the body under them would show in their error messages, and
// those that cannot yield), and small (the call depth of a thread) or big
// (MainCallDepth, for the calls the main thread makes itself).
type class int

const (
	smallLoop class = iota
	bigLoop
	smallBare
	bigBare
)

// classOf is the class of coroutine for a call made bare (with PCall) or
// not.
func classOf(bare, big bool) class {
	c := smallLoop
	if bare {
		c = smallBare
	}
	if big {
		c++
	}
	return c
}

// registryKey is where a state's registry holds its VM's *protected.
const registryKey = "lua51.protected"

func init() { correct("pcall", openProtected) }

// openProtected replaces pcall and xpcall, and the coroutine library that
// must see through them.
func openProtected(L *lua.LState, _ Options) {
	co, ok := L.GetGlobal("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	p := &protected{
		cos:     map[*lua.LState]*pcallCo{},
		pending: map[weak.Pointer[lua.LState]]pendingCall{},
		direct:  map[*lua.LState]*directState{},
	}
	resumeFn, _ := co.RawGetString("resume").(*lua.LFunction)
	p.rawYield, _ = co.RawGetString("yield").(*lua.LFunction)
	if resumeFn == nil || p.rawYield == nil || resumeFn.GFunction == nil {
		return
	}
	p.coResume = resumeFn.GFunction
	p.pcall = L.NewFunction(p.beginCall)
	p.xpcall = L.NewFunction(p.beginXCall)
	p.callLua = L.NewFunction(p.callLuaFunction)
	p.onError = L.NewFunction(p.handleError)
	p.onDirectError = L.NewFunction(p.directError)
	p.marker = L.NewUserData()
	p.done = L.NewUserData()
	p.env = L.Env
	L.SetGlobal("pcall", p.pcall)
	L.SetGlobal("xpcall", p.xpcall)
	ud := L.NewUserData()
	ud.Value = p
	L.G.Registry.RawSetString(registryKey, ud)
	openCoroutine(L, p, co)
}

// protectedCall is a protected call as the debug library sees it from
// the coroutine that runs it: the coroutine's levels go on with caller's,
// whose top frame is pcall's or xpcall's (a Go function, as Lua 5.1's C
// function), and the frames of pcall's machinery are no levels.
type protectedCall struct {
	// caller is the state that called pcall or xpcall; name is "pcall"
	// or "xpcall".
	caller *lua.LState
	name   string
	// failed is set while an xpcall handler runs on a coroutine of its
	// own after the call it handles unwound (an overflow, a Go panic): the
	// dead looping coroutine the error came from, whose frames left stand
	// between the handler's and caller's. A handler of any other error
	// runs on the failed coroutine itself, above the frame that raised, as
	// in Lua 5.1.
	failed *lua.LState
	// looping says the coroutine is a looping one: its first frame is the
	// loop's body, and the function called was tail-called by pcall's run
	// (a tail call that is not the script's).
	looping bool
	// callLua is the Go function that a bare coroutine's first frame runs
	// when the function called is a Lua function.
	callLua *lua.LFunction
	// handlerAt is, while xpcall's handler runs on a bare coroutine, how
	// many of gopher-lua's levels the coroutine had up to the message
	// handler (handleError) that called it, 0 otherwise.
	handlerAt int
	// popped says the call yielded and was resumed: caller's frame of
	// pcall or xpcall went with the yield (gopher-lua pops the frame of a
	// Go function that yields), and the debug library puts a level of its
	// own in its place.
	popped bool
}

// protectedCallOf is the protected call th runs, if th is the coroutine of
// one that has not ended.
func protectedCallOf(th *lua.LState) (protectedCall, bool) {
	if th.Parent == nil {
		return protectedCall{}, false
	}
	p := protectedOf(th)
	if p == nil {
		return protectedCall{}, false
	}
	c := p.lookup(th)
	if c == nil {
		return protectedCall{}, false
	}
	return protectedCall{
		caller:    th.Parent,
		name:      c.name,
		failed:    c.failed,
		looping:   !c.isBare(),
		callLua:   p.callLua,
		handlerAt: c.handlerAt,
		popped:    c.resumed,
	}, true
}

// protectedOf is the *protected of L's VM, nil if pcall was not opened.
func protectedOf(L *lua.LState) *protected {
	if ud, ok := L.G.Registry.RawGetString(registryKey).(*lua.LUserData); ok {
		p, _ := ud.Value.(*protected)
		return p
	}
	return nil
}

// beginCall is pcall(f, ...): it calls f on a pooled coroutine and returns
// true and f's results, or false and the error; or it yields what f
// yielded.
func (p *protected) beginCall(L *lua.LState) int {
	if L.GetTop() == 0 {
		argError(L, 1, "value expected")
	}
	return p.call(L, "pcall", nil)
}

// beginXCall is xpcall(f, handler): as pcall, with handler(err) called
// where the error was raised, its result returned in the error's place.
// As in Lua 5.1, arguments after handler are ignored.
func (p *protected) beginXCall(L *lua.LState) int {
	if L.GetTop() < 2 {
		argError(L, 2, "value expected")
	}
	h := L.Get(2)
	L.SetTop(1)
	return p.call(L, "xpcall", h)
}

// call makes the protected call of the function at 1 with the arguments
// above it.
func (p *protected) call(L *lua.LState, name string, h lua.LValue) int {
	f := L.Get(1)
	fn, ok := f.(*lua.LFunction)
	if !ok {
		if mf, isFn := L.GetMetaField(f, "__call").(*lua.LFunction); isFn {
			fn = mf
			L.Insert(fn, 1)
		} else {
			return p.fail(L, h, lua.LString("attempt to call a "+f.Type().String()+" value"))
		}
	}
	big, depth, ok := p.nest(L, 1)
	if !ok {
		return p.fail(L, h, lua.LString("C stack overflow"))
	}
	if fn == p.yield || fn == p.rawYield {
		// pcall(coroutine.yield, ...): the yield is the call; the values
		// it is resumed with are the call's results.
		if msg := p.cannotYield(L); msg != "" {
			return p.fail(L, h, lua.LString(msg))
		}
		p.setPending(L, pendingCall{})
		L.Remove(1)
		return -1
	}
	if fn.IsG && h == nil {
		d := p.lastDirect
		if p.lastL != L {
			d = p.direct[L]
			if d == nil {
				d = p.newDirect(L)
			}
			p.lastL, p.lastDirect = L, d
		}
		if !d.running {
			return p.callDirect(L, d)
		}
	}
	// A yield inside the call can pass through only where the caller can
	// yield: elsewhere (the main thread, a thread) the call is made with
	// PCall, cheaper, and which leaves the coroutine fit for the next
	// call even when this one raised.
	bare := fn.IsG || !p.canYield(L)
	c, co := p.take(L, classOf(bare, big), depth)
	c.name, c.handler = name, h
	if bare {
		return p.callBare(L, c, co, fn, 1)
	}
	top := L.GetTop()
	c.args = c.args[:0]
	for i := 1; i <= top; i++ {
		c.args = append(c.args, L.Get(i))
	}
	L.SetTop(0)
	L.Push(co)
	p.coResume(L)
	// L: [co, ok, values...]
	if L.Get(2) == lua.LTrue {
		if L.Get(3) == p.done {
			p.put(c, co)
			L.Replace(3, lua.LTrue)
			return L.GetTop() - 2
		}
		// f yielded: so does L, the call pending.
		p.setPending(L, pendingCall{c: c, co: co})
		L.Remove(1)
		L.Remove(1)
		return -1
	}
	return p.failed(L, c, co, L.Get(3))
}

// failed returns false and the error err that killed c's looping
// coroutine co, or for xpcall what the handler made of it.
func (p *protected) failed(L *lua.LState, c *pcallCo, co *lua.LState, err lua.LValue) int {
	p.forget(c)
	err = p.failure(L, c, co, err)
	L.SetTop(0)
	L.Push(lua.LFalse)
	L.Push(err)
	return 2
}

// failure is the error value of c's call, which died raising err in co.
func (p *protected) failure(L *lua.LState, c *pcallCo, co *lua.LState, err lua.LValue) lua.LValue {
	err = stackOverflow(co, err)
	if c.handler != nil && !c.handled {
		err = p.handle(L, c.handler, err, co)
	}
	return err
}

// lostFrames reports whether th, a coroutine that is not dead, has no
// frame left: its last frame yielded in a tail call (return
// coroutine.yield(...), return pcall(f) with f yielding), and gopher-lua
// removed it, so that resuming th would crash. Such a coroutine returns
// what it is resumed with. (A coroutine not started yet has its function's
// frame, which GetStack(-1) finds.)
func lostFrames(th *lua.LState) bool {
	if _, ok := th.GetStack(0); ok {
		return false
	}
	_, ok := th.GetStack(-1)
	return !ok
}

// isPending reports whether th is suspended with a protected call.
func (p *protected) isPending(th *lua.LState) bool {
	if len(p.pending) == 0 {
		return false
	}
	_, ok := p.pending[weak.Make(th)]
	return ok
}

// setPending notes that L yields with a protected call suspended.
func (p *protected) setPending(L *lua.LState, pc pendingCall) {
	if len(p.pending) >= 2*p.sweptPending+64 {
		for k, pc := range p.pending {
			if k.Value() == nil {
				delete(p.pending, k)
				if pc.c != nil {
					p.forget(pc.c)
				}
			}
		}
		p.sweptPending = len(p.pending)
	}
	p.pending[weak.Make(L)] = pc
}

// resumed is how resuming a coroutine went: returned (for a looping
// coroutine, its call returned), yielded, or raised.
type resumed int

const (
	returned resumed = iota
	yielded
	raised
)

// resumeFrom resumes th for the state from with vals, through the
// protected calls th is suspended in, and tells how it went and the values
// it returned or yielded, or the error.
func (p *protected) resumeFrom(from, th *lua.LState, vals []lua.LValue) (resumed, []lua.LValue) {
	if len(p.pending) > 0 {
		key := weak.Make(th)
		if pc, ok := p.pending[key]; ok {
			delete(p.pending, key)
			var how resumed
			var out []lua.LValue
			if pc.co == nil {
				how, out = returned, vals
			} else {
				// The pending call runs for th: th is running meanwhile.
				// The frame of th's pcall went with the yield.
				pc.c.resumed = true
				th.Parent = from
				from.G.CurrentThread = th
				how, out = p.resumeFrom(th, pc.co, vals)
				th.Parent = nil
				from.G.CurrentThread = from
			}
			switch how {
			case yielded:
				p.pending[key] = pc
				return yielded, out
			case returned:
				if pc.co != nil {
					p.put(pc.c, pc.co)
				}
				vals = append([]lua.LValue{lua.LTrue}, out...)
			case raised:
				p.forget(pc.c)
				vals = []lua.LValue{lua.LFalse, p.failure(from, pc.c, pc.co, out[0])}
			}
			if lostFrames(th) {
				// th's last frame tail-called pcall (return pcall(f)):
				// gopher-lua removed it when pcall yielded; th returns
				// the call's results.
				th.Dead = true
				return returned, vals
			}
		}
	}
	top := from.GetTop()
	st, err, ret := from.Resume(th, nil, vals...)
	// Resume returns a nil for no value: the capacity of what it returns,
	// the height of from's stack with them, tells their number.
	if n := cap(ret) - top - 1; n >= 0 && n < len(ret) {
		ret = ret[:n]
	}
	switch {
	case st == lua.ResumeError:
		return raised, []lua.LValue{errorValue(err)}
	case st == lua.ResumeYield && len(ret) > 0 && ret[0] == p.done:
		return returned, ret[1:]
	case st == lua.ResumeYield:
		return yielded, ret
	}
	return returned, ret
}

// callBare calls fn, with the arguments on L's stack above it (at), on
// c's bare coroutine co: with PCall, under which it cannot yield, and
// which leaves co fit for the next call even when fn raised. A Lua
// function is called by a Go one, callLua: as the bottom frame of a state
// with a Parent, gopher-lua would take its return for the end of a
// coroutine.
func (p *protected) callBare(L *lua.LState, c *pcallCo, co *lua.LState, fn *lua.LFunction, at int) int {
	top := L.GetTop()
	base := co.GetTop()
	nargs := top - at
	if !fn.IsG {
		co.Push(p.callLua)
		nargs++
	}
	co.Push(fn)
	for i := at + 1; i <= top; i++ {
		co.Push(L.Get(i))
	}
	L.SetTop(at - 1)
	// co runs the call for L: co's Parent makes it part of L's thread
	// (the signal module's main-thread test walks Parent), and it is the
	// current thread while the call runs.
	co.Parent = L
	L.G.CurrentThread = co
	c.inGo = true
	err := co.PCall(nargs, lua.MultRet, p.onError)
	c.inGo = false
	co.Parent = nil
	L.G.CurrentThread = L
	if err != nil {
		v := errorValue(err)
		if c.hasErr {
			v = c.err
			c.err, c.hasErr = nil, false
		} else if s, ok := v.(lua.LString); ok && s == "lua callstack overflow" {
			v = lua.LString("stack overflow")
			if c.overflow != "" {
				v = lua.LString(c.overflow)
			}
			if c.handler != nil {
				v = p.handle(L, c.handler, v, nil)
			}
		}
		c.overflow = ""
		co.SetTop(base)
		p.put(c, co)
		L.Push(lua.LFalse)
		L.Push(v)
		return 2
	}
	L.Push(lua.LTrue)
	n := co.GetTop() - base
	for i := base + 1; i <= base+n; i++ {
		L.Push(co.Get(i))
	}
	co.SetTop(base)
	p.put(c, co)
	return n + 1
}

// callDirect is pcall(f, ...) of a Go function f, at 1 on L's stack with
// the arguments above it, made on L itself: no coroutine, no switch of
// the current thread. A Go function yields only through coroutine.yield,
// which call takes apart, and a yield from a Lua function f calls cannot
// cross f (cannotYield), so nothing of the call outlives it.
//
// gopher-lua's PCall with a message handler (directError) raises without
// closing any upvalue; without one, an error closes every open upvalue of
// L (#448). Those of the frames the error unwound (Lua functions f called)
// must be closed, with the values their registers held: directError,
// called before PCall clears the registers, keeps them; callDirect puts
// them back where they were and calls the closer on them, whose return
// closes every open upvalue from its first register up, and the caller's
// stay open. A marker below f tells directError where the call's
// registers begin.
//
// PCall ends with L counting no message handler: a protected call made
// under f on the same state, whose error must not close the upvalues of
// the frames below it either, runs on a coroutine.
func (p *protected) callDirect(L *lua.LState, d *directState) int {
	d.running = true
	p.directs++
	defer func() {
		d.running = false
		p.directs--
	}()
	err := L.PCall(L.GetTop()-1, lua.MultRet, p.onDirectError)
	if err == nil {
		// true before the results: gopher-lua's Insert moves them one by
		// one with its checks, twice as slow as this for a few.
		n := L.GetTop()
		if n == 0 {
			L.Push(lua.LTrue)
			return 1
		}
		L.Push(L.Get(n))
		for i := n; i > 1; i-- {
			L.Replace(i, L.Get(i-1))
		}
		L.Replace(1, lua.LTrue)
		return n + 1
	}
	var v lua.LValue
	if apiErr, ok := err.(*lua.ApiError); ok && apiErr.Type == lua.ApiErrorError {
		v = apiErr.Object // directError's
	} else {
		// directError did not run: a call stack overflow left no room
		// for it, and no Lua frame is left to close the upvalues of
		// either (gopher-lua checks the depth before it pushes one).
		v = errorValue(err)
		if s, ok := v.(lua.LString); ok && s == "lua callstack overflow" {
			v = lua.LString("stack overflow")
		}
	}
	L.SetTop(0)
	p.closeSaved(L)
	L.SetTop(0)
	L.Push(lua.LFalse)
	L.Push(v)
	return 2
}

// directState is a state's record of its direct calls.
type directState struct {
	// running is set while the state runs a direct call.
	running bool
}

// newDirect is L's new record of direct calls.
func (p *protected) newDirect(L *lua.LState) *directState {
	if len(p.direct) >= 2*p.sweptDirect+64 {
		for s, d := range p.direct {
			if !d.running {
				delete(p.direct, s)
			}
		}
		p.sweptDirect = len(p.direct)
		p.lastL, p.lastDirect = nil, nil
	}
	d := &directState{}
	p.direct[L] = d
	return d
}

// isDirect reports whether s runs a direct call.
func (p *protected) isDirect(s *lua.LState) bool {
	d := p.direct[s]
	return d != nil && d.running
}

// closeSaved closes the open upvalues of the registers directError saved,
// L's stack empty, and forgets them. The first saved register is 2, above
// f's; a call of the closer takes up to closerParams of them, from the top
// down, each call closing those from its first up.
func (p *protected) closeSaved(L *lua.LState) {
	saved := p.saved
	for hi := len(saved); hi > 0; {
		lo := max(0, hi-closerParams)
		L.SetTop(lo)
		L.Push(p.closerFunc())
		for _, v := range saved[lo:hi] {
			L.Push(v)
		}
		L.Call(hi-lo, 0)
		hi = lo
	}
	clear(saved)
	p.saved = saved[:0]
}

// directError is the message handler of a direct call, called where the
// error was raised, the failed frames still on L's stack: it saves the
// registers of the call (those above the marker and f, up to the failed
// frames' top), and returns the value pcall returns, worded as for a call
// on a coroutine of its own (goErrorValue, explained). A message the Go
// function f itself raised with gopher-lua's position (L.RaiseError,
// L.ArgError: that of the first Lua function below it, the one that
// called pcall) gets the position Where gives instead, and "'?'" as the
// name of a function pcall called.
func (p *protected) directError(L *lua.LState) int {
	p.saveRegisters(L)
	v := L.Get(1)
	if s, ok := v.(lua.LString); ok {
		v = lua.LString(p.directMessage(L, string(s)))
	}
	L.Push(explained(L, v))
	return 1
}

// saveRegisters keeps in p.saved the registers of the direct call's
// frames, from f's first up to the failed frames' top, below directError's
// frame. gopher-lua's GetLocal reads a register at any offset at or below
// a frame's first ("(*temporary)"): a marker written in f's slot, found
// from directError's own frame (level 0) at offsets 0, -1, ..., tells
// where they begin.
func (p *protected) saveRegisters(L *lua.LState) {
	// The direct call's pcall is the first pcall from level 2 up (at 1,
	// a pcall raising its own error): any other made on L since runs its
	// function on a coroutine. (Where a level falls in a lost tail call,
	// GetStack answers L's first frame, which is the direct call's pcall
	// if it is a pcall.)
	var fd *lua.Debug
	for level := 2; ; level++ {
		d, ok := L.GetStack(level)
		if !ok {
			return
		}
		if debugFunc(L, d) == p.pcall {
			fd, ok = L.GetStack(level - 1)
			if !ok {
				return
			}
			break
		}
	}
	_, f := L.GetLocal(fd, 0)
	L.SetLocal(fd, 0, p.marker)
	defer L.SetLocal(fd, 0, f)
	d, _ := L.GetStack(0)
	bottom := 0
	for no := -1; ; no-- {
		name, v := L.GetLocal(d, no)
		if name == "" {
			return
		}
		if v == p.marker {
			bottom = no
			break
		}
	}
	// bottom is f's slot, bottom+1 the first register of f's frame, -1
	// the top of the failed frames.
	for no := bottom + 1; no < 0; no++ {
		_, v := L.GetLocal(d, no)
		p.saved = append(p.saved, v)
	}
}

// directMessage is msg, raised at level 1 of L (0 is directError), as
// goErrorValue words it.
func (p *protected) directMessage(L *lua.LState, msg string) string {
	fn := raiser(L)
	if fn == nil || !fn.IsG || isBaseError(fn) {
		return msg
	}
	d, ok := L.GetStack(2)
	if !ok || debugFunc(L, d) != p.pcall {
		return msg // raised by a Go function f called, not by f
	}
	// gopher-lua's position: that of the first Lua function from level 1.
	where := ""
	for level := 1; level < 200; level++ {
		w := L.Where(level)
		if w == "" {
			break
		}
		if !strings.HasPrefix(w, "[G]") {
			where = w
			break
		}
	}
	if !strings.HasPrefix(msg, where+" ") {
		return msg
	}
	msg = msg[len(where)+1:]
	if strings.HasPrefix(msg, "bad argument #") {
		msg = strings.Replace(msg, " to (anonymous) (", " to '?' (", 1)
	}
	return Where(L, 3) + msg
}

// fail returns false and err, or, for xpcall, false and handler(err); L's
// stack below them is garbage.
func (p *protected) fail(L *lua.LState, h lua.LValue, err lua.LValue) int {
	if h != nil {
		err = p.handle(L, h, err, nil)
	}
	L.Push(lua.LFalse)
	L.Push(err)
	return 2
}

// handle calls xpcall's handler h with err on a pooled coroutine, for an
// error not raised where the handler could run (a call of a value that is
// not a function, an overflow, a Go panic); failed is the dead coroutine
// the error came from, if any. An error in h is "error in error
// handling", as in Lua 5.1. L's stack is not touched (L may be suspended).
func (p *protected) handle(L *lua.LState, h, err lua.LValue, failed *lua.LState) lua.LValue {
	fn, ok := h.(*lua.LFunction)
	if !ok {
		return lua.LString("error in error handling")
	}
	big, depth, _ := p.nest(L, 0)
	c, co := p.take(L, classOf(true, big), depth)
	c.name, c.failed = "xpcall", failed
	co.Parent = L
	L.G.CurrentThread = co
	c.inGo = true
	res := c.callHandler(co, fn, err)
	c.inGo = false
	co.Parent = nil
	L.G.CurrentThread = L
	c.failed = nil
	p.put(c, co)
	return res
}

// panic is a pcall coroutine's Panic: gopher-lua calls it where an error
// is raised (raiseError, Error), with the error value on top of the stack,
// and expects it not to return. For xpcall it first calls the handler
// there, with the failed frames still on the stack, as Lua 5.1 does.
func (c *pcallCo) panic(L *lua.LState) {
	v := explained(L, L.Get(-1))
	if c.handler != nil && !c.handling && !c.inGo {
		v = c.callHandler(L, c.handler, v)
		c.handled = true
	}
	panic(&lua.ApiError{Type: lua.ApiErrorRun, Object: v})
}

// handleError is the message handler of a bare coroutine's PCall, called
// where the error was raised, the failed frames still on L's stack (level
// 1 is the one that raised). It words the error as Lua 5.1 (an overflow of
// the call stack, a Go function's message), calls xpcall's handler with
// it, and raises the result: raised from here, where gopher-lua no longer
// counts a message handler, the error closes the upvalues of the frames it
// unwinds, which a caught error must (gopher-lua's xpcall leaves them open,
// to read registers the coroutine's next call reuses).
//
// The error it raises is a Go panic of its own, not a Lua error: PCall
// builds a traceback text for a Lua error raised here (half the cost of a
// failed call), and none for a panic; the value is kept in c.err.
func (p *protected) handleError(L *lua.LState) int {
	c := p.lookup(L)
	if c == nil {
		return 1 // not a pcall coroutine's: the error as it is
	}
	v := explained(L, goErrorValue(L.Parent, L, L.Get(1)))
	if c.handler != nil {
		// The debug library hides this function's frame under the
		// handler's.
		c.handlerAt = debugCountLevels(L)
		v = c.callHandler(L, c.handler, v)
		c.handlerAt = 0
	}
	c.err, c.hasErr = v, true
	L.Panic = unwind
	L.Error(v, 0)
	return 0
}

// unwinding is the panic with which handleError ends a failed call.
type unwinding struct{}

// unwind is the Panic of a coroutine whose failed call handleError ends.
func unwind(*lua.LState) { panic(unwinding{}) }

// callLuaFunction calls the function at 1 with the arguments above it and
// returns all it returns: the bottom frame of a bare coroutine's call of a
// Lua function. An overflow of the call stack leaves no room to call the
// message handler on L: its position, which the frames on the stack tell
// only now, is kept for callBare, and xpcall's handler runs now, on a
// coroutine of its own above L, which still has the failed frames for it
// to see, as in Lua 5.1.
func (p *protected) callLuaFunction(L *lua.LState) int {
	defer func() {
		if r := recover(); r != nil {
			if s, ok := r.(string); ok && s == "lua callstack overflow" {
				if c := p.lookup(L); c != nil {
					c.overflow = topWhere(L) + "stack overflow"
					if c.handler != nil && !c.hasErr {
						c.err, c.hasErr = p.handle(L, c.handler, lua.LString(c.overflow), nil), true
					}
				}
			}
			panic(r)
		}
	}()
	L.Call(L.GetTop()-1, lua.MultRet)
	return L.GetTop()
}

// callHandler calls h(v) on L and returns its first result, or "error in
// error handling" if it raised, as Lua 5.1.
func (c *pcallCo) callHandler(L *lua.LState, h, v lua.LValue) lua.LValue {
	c.handling = true
	defer func() { c.handling = false }()
	n := 1
	if _, inFrame := L.GetStack(0); !inFrame && L.Parent != nil {
		// The bottom frame of a state with a Parent must be a Go one.
		L.Push(c.p.callLua)
		n++
	}
	L.Push(h)
	L.Push(v)
	if err := L.PCall(n, 1, nil); err != nil {
		return lua.LString("error in error handling")
	}
	res := L.Get(-1)
	L.Pop(1)
	return res
}

// nest reports whether L may start one more nested resume (a protected
// call counting extra more), and the call depth the coroutine of a
// protected call L makes gets: MainCallDepth (big) when L is the main
// thread itself, else that of L's thread, the state at the root of L's
// chain of resumers.
func (p *protected) nest(L *lua.LState, extra int) (big bool, depth int, ok bool) {
	// The root's call depth and a big coroutine's, at most.
	n, sum := 0, 2*MainCallDepth
	s := L
	for {
		if p.directs > 0 && p.isDirect(s) {
			// A direct call nests as a coroutine would.
			n++
		}
		if s.Parent == nil {
			break
		}
		n++
		sum += s.Options.CallStackSize
		s = s.Parent
	}
	big = n == 0 && s == L.G.MainThread
	depth = s.Options.CallStackSize
	if big {
		depth = MainCallDepth
	}
	return big, depth, n+extra < maxNesting && sum+depth <= maxGoDepth
}

// yieldAcross is Lua 5.1's error for a yield that cannot be made.
const yieldAcross = "attempt to yield across metamethod/C-call boundary"

// canYield reports whether L can yield through its protected calls: a
// cheap answer for the main thread and threads, whose states have no
// Parent.
func (p *protected) canYield(L *lua.LState) bool {
	return L.Parent != nil && p.cannotYield(L) == ""
}

// cannotYield is why the coroutine L runs in cannot yield through its
// protected calls, "" if it can.
func (p *protected) cannotYield(L *lua.LState) string {
	s := L
	for {
		c := p.lookup(s)
		if c == nil {
			break
		}
		if c.inGo || c.handling {
			return yieldAcross
		}
		if p.isDirect(s) {
			return yieldAcross
		}
		s = s.Parent
	}
	if p.isDirect(s) {
		// A Go function called directly is on s's stack below.
		return yieldAcross
	}
	if s.Parent == nil {
		// Lua 5.1 says the same outside a coroutine: lua5.1 runs the
		// main chunk from C.
		return yieldAcross
	}
	return ""
}

// running is the coroutine L runs in as the script sees it: L, or, when L
// is a protected call's coroutine, the state that made the call.
func (p *protected) running(L *lua.LState) *lua.LState {
	for L.Parent != nil && p.lookup(L) != nil {
		L = L.Parent
	}
	return L
}

// take is a coroutine for a protected call L makes, with L's context;
// depth is its call depth if it must be made.
func (p *protected) take(L *lua.LState, class class, depth int) (*pcallCo, *lua.LState) {
	var c *pcallCo
	var co *lua.LState
	if idle := p.idle[class]; len(idle) > 0 {
		c, co = idle[len(idle)-1].c, idle[len(idle)-1].co
		idle[len(idle)-1] = idleCo{}
		p.idle[class] = idle[:len(idle)-1]
	} else {
		c, co = p.newCo(L, class, depth)
	}
	// The call runs as part of L's thread: the main thread's context
	// raises KeyboardInterrupt there, a thread's ends with the run.
	if ctx := L.Context(); ctx != nil {
		co.SetContext(ctx)
	} else if co.Context() != nil {
		co.RemoveContext()
	}
	return c, co
}

// put returns c's coroutine co, its call finished, to the pool.
func (p *protected) put(c *pcallCo, co *lua.LState) {
	c.handler, c.handled, c.failed, c.handlerAt, c.resumed = nil, false, nil, 0, false
	if len(p.idle[c.class]) >= idleMax {
		p.forget(c)
		return
	}
	p.idle[c.class] = append(p.idle[c.class], idleCo{c, co})
}

// newCo makes a coroutine for protected calls, started and suspended in
// its body's loop.
func (p *protected) newCo(L *lua.LState, class class, depth int) (*pcallCo, *lua.LState) {
	// Made from L without its context, the coroutine gets none derived
	// from L's (a registration with it, and garbage); take gives it one.
	ctx := L.RemoveContext()
	opts := L.Options
	L.Options.CallStackSize = depth
	// Its registers start few (they grow on demand): a thread blocked in
	// nested protected calls holds a coroutine for each, 2.7 KiB with 16
	// registers, 3.6 with the 64 a thread starts with. Registers that
	// cannot grow (no RegistryMaxSize) keep their size.
	if opts.RegistryMaxSize > opts.RegistrySize {
		L.Options.RegistrySize = min(opts.RegistrySize, pcallRegisters)
	}
	co, _ := L.NewThread()
	L.Options = opts
	// The threads and coroutines made in the call get what L's Options
	// tell, a thread's call depth (as the runner does with the main
	// thread's) and registers.
	co.Options = opts
	if ctx != nil {
		L.SetContext(ctx)
	}
	c := &pcallCo{p: p, co: co, class: class}
	if !c.isBare() {
		c.job = L.NewFunction(c.nextJob)
		if _, err, _ := L.Resume(co, p.loopBody(), c.job); err != nil {
			panic(fmt.Sprintf("lua51: starting a pcall coroutine: %v", err))
		}
		co.Panic = c.panic
	}
	p.cos[co] = c
	return c, co
}

// loopBody is the looping coroutines' body, made from protectedChunk at
// the first call: what running the chunk with yield and done returns, its
// closures made here without running Lua on the caller's state (which may
// be at its deepest call or have its context done).
func (p *protected) loopBody() *lua.LFunction {
	if p.body != nil {
		return p.body
	}
	protos := protectedChunk().FunctionPrototypes // run, body, noop
	run := closure(p.env, protos[0], nil)
	p.body = closure(p.env, protos[1], map[string]lua.LValue{"yield": p.rawYield, "DONE": p.done, "run": run})
	p.noop = closure(p.env, protos[2], nil)
	return p.body
}

// closerFunc is the closer, made from closerChunk at the first call.
func (p *protected) closerFunc() *lua.LFunction {
	if p.closer == nil {
		p.closer = closure(p.env, closerChunk().FunctionPrototypes[0], nil)
	}
	return p.closer
}

// closure is the function of proto, a function defined in one of this
// file's chunks, as the chunk's closure would make it: env its
// environment, and each upvalue closed over the value vals has under its
// name.
func closure(env *lua.LTable, proto *lua.FunctionProto, vals map[string]lua.LValue) *lua.LFunction {
	fn := &lua.LFunction{Env: env, Proto: proto, Upvalues: make([]*lua.Upvalue, len(proto.DbgUpvalues))}
	for i, name := range proto.DbgUpvalues {
		v, ok := vals[name]
		if !ok {
			panic("lua51: no value for upvalue " + name + " of a pcall chunk")
		}
		uv := &lua.Upvalue{}
		uv.SetValue(v)
		fn.Upvalues[i] = uv
	}
	return fn
}

// nextJob is job() in a coroutine's body: the function to call and its
// arguments, or a function that does nothing when there is none (the
// coroutine's first turn).
func (c *pcallCo) nextJob(L *lua.LState) int {
	if len(c.args) == 0 {
		L.Push(c.p.noop)
		return 1
	}
	for _, v := range c.args {
		L.Push(v)
	}
	n := len(c.args)
	clear(c.args)
	c.args = c.args[:0]
	return n
}

// isBare reports whether c's coroutine is a bare one.
func (c *pcallCo) isBare() bool { return c.class == smallBare || c.class == bigBare }

// lookup is the pcall coroutine state co is, nil if it is none.
func (p *protected) lookup(co *lua.LState) *pcallCo { return p.cos[co] }

// forget drops c: its coroutine is dead, or suspended for good, or not
// kept in the pool.
func (p *protected) forget(c *pcallCo) { delete(p.cos, c.co) }

// stackOverflow is err as Lua 5.1 words it: gopher-lua's call stack
// overflow is a Go panic, "lua callstack overflow", without the position
// Lua 5.1 gives; the position is that of the frame the overflow left on
// top of the dead coroutine co.
func stackOverflow(co *lua.LState, err lua.LValue) lua.LValue {
	if s, ok := err.(lua.LString); !ok || s != "lua callstack overflow" {
		return err
	}
	return lua.LString(topWhere(co) + "stack overflow")
}

// goErrorValue is the Lua value a Go function that L called with pcall
// raised. gopher-lua puts the position of the innermost Lua function
// calling and a space before a message the function raised, as it would
// without pcall between: on pcall's coroutine there is none, and the
// position is that of the pcall (Lua 5.1 gives none, since pcall, a C
// function, called it; sockrun's modules name the script's line in their
// errors). An argument error names the function '?', as Lua 5.1 does
// there, not gopher-lua's "corountine".
//
// co is the coroutine the error was raised on, its message handler
// running: a message of error is the script's own, a leading space
// included.
func goErrorValue(L, co *lua.LState, v lua.LValue) lua.LValue {
	s, ok := v.(lua.LString)
	if !ok || !strings.HasPrefix(string(s), " ") || isBaseError(raiser(co)) {
		return v
	}
	msg := string(s[1:])
	if strings.HasPrefix(msg, "bad argument #") {
		msg = strings.Replace(msg, " to corountine (", " to '?' (", 1)
	}
	return lua.LString(Where(L, 1) + msg)
}

// explained is an error value raised in L as Lua 5.1 words it (Explain):
// what pcall returns and xpcall's handler sees.
func explained(L *lua.LState, v lua.LValue) lua.LValue {
	if s, ok := v.(lua.LString); ok {
		return lua.LString(Explain(L, string(s)))
	}
	return v
}

// raiser is the function whose error the message handler L runs (level
// 0) was called for: the function at level 1, nil if none.
func raiser(L *lua.LState) *lua.LFunction {
	d, ok := L.GetStack(1)
	if !ok {
		return nil
	}
	return debugFunc(L, d)
}

// isBaseError reports whether fn is the base library's error.
func isBaseError(fn *lua.LFunction) bool {
	return fn != nil && fn.IsG && reflect.ValueOf(fn.GFunction).Pointer() == reflect.ValueOf(lua.LGFunction(baseError)).Pointer()
}

// errorValue is the Lua value a failed PCall raised.
func errorValue(err error) lua.LValue {
	if apiErr, ok := err.(*lua.ApiError); ok {
		return apiErr.Object
	}
	return lua.LString(err.Error())
}

// topWhere is "short_src:line: " of th's top frame (Where's form), "" if
// it is a Go function or th has none.
func topWhere(th *lua.LState) string {
	d, ok := th.GetStack(0)
	if !ok {
		return ""
	}
	return debugWhere(th, d)
}

// Protect is pcall for Go code that must catch a Lua error (LuaSocket's
// socket.protect, signal handlers): it calls the function under the nargs
// arguments on top of L's stack as the script's pcall does, so that only
// the upvalues of the frames it unwinds are closed, where gopher-lua's
// own PCall closes every open upvalue of the state (its bug #448). It
// leaves the results (nret of them, or all with lua.MultRet) in the
// function's place and returns nil, or leaves nothing and returns the
// error value.
func Protect(L *lua.LState, nargs, nret int) lua.LValue {
	base := L.GetTop() - nargs // the function's index
	p := protectedOf(L)
	if p == nil {
		if err := L.PCall(nargs, nret, nil); err != nil {
			if apiErr, ok := err.(*lua.ApiError); ok {
				return apiErr.Object
			}
			return lua.LString(err.Error())
		}
		return nil
	}
	L.Insert(p.pcall, base)
	L.Call(nargs+1, lua.MultRet)
	if !lua.LVAsBool(L.Get(base)) {
		errv := L.Get(base + 1)
		L.SetTop(base - 1)
		return errv
	}
	L.Remove(base)
	if nret != lua.MultRet {
		L.SetTop(base - 1 + nret)
	}
	return nil
}
