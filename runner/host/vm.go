package host

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// vmOptions keep each Lua state and thread state small: stacks start small
// and grow on demand, so that a thread per idle connection stays cheap.
// The main thread's calls nest as deep as in lua5.1 (its index of frame
// segments costs 20 KiB, once).
var vmOptions = lua.Options{
	SkipOpenLibs:        true,
	CallStackSize:       lua51.MainCallDepth,
	MinimizeStackMemory: true,
	RegistrySize:        64,
	RegistryMaxSize:     1 << 20,
	RegistryGrowStep:    64,
}

// threadCallDepth is how deep Lua calls may nest in a thread or a
// coroutine: as Python's default recursion limit (1,000), not the main
// chunk's 20,000, so that an idle thread's call stack index costs 1 KiB
// rather than 20 (a thread state then keeps 3.6 KiB; with 2,048 frames
// 4.7, with 4,096 7.3, with 16,384 20.9).
const threadCallDepth = 1024

// VM is one Lua VM running a script: its state, its interpreter lock and
// its threads. It is the luaapi.Host of the script modules.
type VM struct {
	// gil is the interpreter lock: only the goroutine holding it runs Lua
	// or touches Lua values.
	gil *gil

	// L is the main thread's state: touched only by the goroutine that
	// holds the interpreter lock.
	L   *lua.LState
	rt  *luaapi.Runtime
	env *Env

	ctx    context.Context
	cancel context.CancelCauseFunc
	// luaCtx is ctx as the Lua states see it (see luaContext).
	luaCtx context.Context
	// epoch is what Context returns: ctx itself for a run; at the prompt,
	// a child of ctx that a Ctrl-C cancels and the prompt replaces.
	epoch atomic.Pointer[Epoch]

	threads sync.WaitGroup
	live    atomic.Int64 // threads running, main chunk excluded

	// trace is the VM's part of --trace, nil when tracing is off.
	trace LockTracer

	// memory is what Reserve asks: limits.max_memory.
	memory *memoryBudget

	exitOnce sync.Once
	exitCode atomic.Int64
	exited   atomic.Bool
}

// NewVM creates the VM for one run of a script: the Lua state with the
// standard libraries a script needs and sockrun's modules. dir is the
// script's directory, first on package.path; extraPath is the config's
// path entries, after it. The VM's run ends when parent does.
func NewVM(parent context.Context, env *Env, cfg luaapi.Config, dir, extraPath string) *VM {
	v := &VM{env: env, gil: newGIL(), memory: newMemoryBudget(cfg.MaxMemory, cfg.MaxMemoryNote)}
	v.ctx, v.cancel = context.WithCancelCause(parent)
	luaCtx := newLuaContext(v.ctx, v)
	v.luaCtx = luaCtx
	v.epoch.Store(&Epoch{ctx: v.ctx, cancel: v.cancel})
	v.L = lua.NewState(vmOptions)
	// Every thread state copies the options of the state that made it.
	// NewState raised the RegistrySize under 128 to 5,120 slots (80 KiB):
	// give the threads the small registry they were meant to have. And a
	// thread's call stack holds threadCallDepth frames, not the main
	// thread's: its index of frame segments costs 8 bytes per 8 frames up
	// front.
	v.L.Options.RegistrySize = vmOptions.RegistrySize
	v.L.Options.CallStackSize = threadCallDepth
	lua51.Open(v.L, lua51.Options{Stdin: env.Stdin, Host: v})
	if pkg, ok := v.L.GetGlobal("package").(*lua.LTable); ok {
		environ := env.EnvironMap()
		luaPath, hasLuaPath := environ["LUA_PATH"]
		pkg.RawSetString("path", lua.LString(packagePath(dir, extraPath, luaPath, hasLuaPath)))
		// gopher-lua loads no C modules; cpath is kept for scripts that
		// read it.
		pkg.RawSetString("cpath", lua.LString(cleanPath(expandDefaultPath(environ["LUA_CPATH"], ""))))
	}
	v.rt = luaapi.New(v, cfg)
	v.rt.Open(v.L)
	// Checked between instructions, so that Ctrl-C also interrupts a main
	// thread busy in Lua code that makes no blocking call, and the end of
	// the run ends it.
	v.L.SetContext(v.rt.MainLuaContext(v.ctx))
	// A thread busy in Lua code for too long is asked to hand the lock
	// over between two instructions.
	v.rt.SetPreempt(v.preempt)
	v.gil.onPreempt = func() {
		luaCtx.markPreempt()
		v.rt.MarkPreempt()
	}
	v.coroutinesWithRunContext()
	return v
}

// coroutinesWithRunContext makes coroutine.create and coroutine.wrap give
// a new coroutine the run's context, not a child of its creator's:
// gopher-lua's would make a coroutine of the main thread inherit the main
// thread's interrupt, which a coroutine resumed later would raise forever.
func (v *VM) coroutinesWithRunContext() {
	co, ok := v.L.GetGlobal("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	for _, name := range []string{"create", "wrap"} {
		orig, ok := co.RawGetString(name).(*lua.LFunction)
		if !ok || orig.GFunction == nil {
			continue
		}
		fn := orig.GFunction
		co.RawSetString(name, v.L.NewFunction(func(L *lua.LState) int {
			// Made without a context, the coroutine gets none derived
			// from its creator's; it is given the run's below.
			if ctx := L.RemoveContext(); ctx != nil {
				defer L.SetContext(ctx)
			}
			n := fn(L)
			if th := createdCoroutine(L.Get(-1)); th != nil {
				th.SetContext(v.luaCtx)
			}
			return n
		}))
	}
}

// createdCoroutine is the coroutine that coroutine.create (the thread) or
// coroutine.wrap (a function holding it) returned, nil for anything else.
func createdCoroutine(v lua.LValue) *lua.LState {
	switch v := v.(type) {
	case *lua.LState:
		return v
	case *lua.LFunction:
		if len(v.Upvalues) == 1 {
			th, _ := v.Upvalues[0].Value().(*lua.LState)
			return th
		}
	}
	return nil
}

// luaContext is a context as the Lua states of threads and coroutines
// check it before every instruction: gopher-lua selects on Done, with a
// default, each time. Until the context ends, Done is a nil channel, which
// such a select passes at once; a cancelCtx's open channel costs a call,
// a type assertion, an emptiness check and an atomic load more, and the
// CPU-heavy handler of the benchmark spent 5% more CPU per request on it.
// Once the context ends, Done is its closed channel.
//
// Done is also where a thread running Lua code that calls nothing of
// sockrun hands the interpreter lock over when it has kept it too long
// (gil.preempt): the caller is the Lua state that holds the lock, between
// two of its instructions. The request is a mark in the same pointer
// (preemptMark), so that the check is still one load; the call on the
// rare path gives Done a stack frame, which costs the CPU-heavy handler's
// pure Lua loop 2% more instructions (bench/py/instructions.py -w cpu).
//
// A context derived from a luaContext with context.WithCancel would never
// end (its parent's Done was nil when it was made): the states that check
// one are given it directly (VM.Go, coroutinesWithRunContext).
//
// It is a pointer, with Done on the pointer: gopher-lua calls Done through
// the context.Context interface, and a value receiver would make that a
// call of a generated wrapper that copies the struct, before every
// instruction.
type luaContext struct {
	context.Context
	// done is nil while nothing is due, &preemptMark when the holder is
	// asked to hand the lock over, and the context's closed Done channel
	// once it has ended (which no mark replaces).
	done atomic.Pointer[<-chan struct{}]
	vm   *VM
}

// preemptMark is luaContext.done's value that asks for the hand-over;
// only its address counts.
var preemptMark <-chan struct{}

func newLuaContext(ctx context.Context, vm *VM) *luaContext {
	c := &luaContext{Context: ctx, vm: vm}
	context.AfterFunc(ctx, func() {
		done := ctx.Done()
		c.done.Store(&done)
	})
	return c
}

// markPreempt asks the state running Lua to hand the lock over at its
// next instruction, unless the context has ended.
func (c *luaContext) markPreempt() { c.done.CompareAndSwap(nil, &preemptMark) }

// Done implements context.Context.
func (c *luaContext) Done() <-chan struct{} {
	if d := c.done.Load(); d != nil {
		return c.due(d)
	}
	return nil
}

// due is Done when something is: the hand-over asked for, or the end.
func (c *luaContext) due(d *<-chan struct{}) <-chan struct{} {
	if d != &preemptMark {
		return *d
	}
	c.done.CompareAndSwap(d, nil)
	c.vm.preempt(c.vm.L.G.CurrentThread)
	return nil
}

// preempt hands the interpreter lock, held by L, the state running Lua
// now, to the threads waiting for it and takes it back after them, if the
// request (gil.preempt) still stands: called between two Lua instructions
// of a thread that kept the lock past preemptAfter switch intervals
// without a call into sockrun. (A mark the state that was asked did not
// see, having handed the lock over at a call meanwhile, is void.)
func (v *VM) preempt(L *lua.LState) {
	if v.gil.preempt.Load() {
		v.Checkpoint(L)
	}
}

// LockTracer is the trace's view of the interpreter lock (--trace): told
// when a thread releases it and when one had to wait for it, at a switch
// interval or not. Its methods run holding the lock.
type LockTracer interface {
	Unlocking(L *lua.LState)
	LockWait(L *lua.LState, d time.Duration, switched bool)
}

// Epoch is a context the blocking calls watch, and its cancel: the run's
// own, or at the prompt one of a series (NewEpoch).
type Epoch struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// Interrupt ends the epoch: whatever the VM waits in ends with
// KeyboardInterrupt.
func (e *Epoch) Interrupt() { e.cancel(luaapi.ErrInterrupted) }

// Ended reports whether the epoch ended: interrupted, or the run over.
func (e *Epoch) Ended() bool { return e.ctx.Err() != nil }

// NewEpoch gives the VM a fresh epoch, a child of the run's context, for
// its blocking calls, the main state's checks between instructions and
// its sockets' interrupts: the prompt starts one after a statement was
// interrupted, so that the session goes on. Call it holding the
// interpreter lock.
func (v *VM) NewEpoch() *Epoch {
	ctx, cancel := context.WithCancelCause(v.ctx)
	e := &Epoch{ctx: ctx, cancel: cancel}
	v.epoch.Store(e)
	v.L.SetContext(v.rt.MainLuaContext(ctx))
	v.rt.Rewatch(ctx)
	return e
}

// Context implements luaapi.Host: the context of the current epoch.
func (v *VM) Context() context.Context { return v.epoch.Load().ctx }

// Unlock implements luaapi.Host: releases the interpreter lock.
func (v *VM) Unlock(L *lua.LState) {
	if v.trace != nil {
		v.trace.Unlocking(L)
	}
	v.gil.Unlock()
}

// Lock implements luaapi.Host: takes the interpreter lock for L's thread,
// after the threads already waiting for it.
func (v *VM) Lock(L *lua.LState) {
	if v.trace != nil {
		v.lockTraced(L)
		return
	}
	v.gil.Lock()
	L.G.CurrentThread = L
}

// TryLock takes the interpreter lock for L's thread if no thread holds
// it, and reports whether it did: for work that had better be skipped
// than wait behind a thread busy in Lua code (the prompt's completion).
func (v *VM) TryLock(L *lua.LState) bool {
	if !v.gil.TryLock() {
		return false
	}
	L.G.CurrentThread = L
	return true
}

// lockTraced is VM.Lock with tracing: a wait behind other threads is
// traced.
func (v *VM) lockTraced(L *lua.LState) {
	start := time.Now()
	waited := v.gil.lock()
	L.G.CurrentThread = L
	if waited {
		v.trace.LockWait(L, time.Since(start), false)
	}
}

// checkpointTraced is VM.Checkpoint with tracing: a hand-off at the
// switch interval is traced with how long the thread waited for its turn.
func (v *VM) checkpointTraced(L *lua.LState) {
	if !v.gil.drop.Load() {
		return
	}
	start := time.Now()
	if v.gil.Yield() {
		L.G.CurrentThread = L
		v.trace.LockWait(L, time.Since(start), true)
	}
}

// Checkpoint implements luaapi.Host: if another thread has waited for the
// lock longer than the switch interval, L's thread hands it over and takes
// it back in turn.
func (v *VM) Checkpoint(L *lua.LState) {
	if v.trace != nil {
		v.checkpointTraced(L)
		return
	}
	if v.gil.Checkpoint() {
		L.G.CurrentThread = L
	}
}

// SwitchFlag implements luaapi.SwitchFlagger: Checkpoint has something to
// do only while the lock's drop request is set.
func (v *VM) SwitchFlag() *atomic.Bool { return &v.gil.drop }

var _ luaapi.SwitchFlagger = (*VM)(nil)

// Yield hands the interpreter lock, held by L's thread, to the threads
// waiting for it, if any, and takes it back after them.
func (v *VM) Yield(L *lua.LState) {
	if v.gil.Yield() {
		L.G.CurrentThread = L
	}
}

// Reserve implements lua51.Host: it returns nil if a string of n bytes
// may be made now without passing limits.max_memory (or the address-space
// limit), else the error to raise. Near the limit it collects the garbage
// first, with the interpreter lock released.
func (v *VM) Reserve(L *lua.LState, n int64) error {
	return v.memory.reserve(n, func() {
		v.Unlock(L)
		defer v.Lock(L)
		collectGarbage()
	})
}

// SwitchInterval implements luaapi.Host.
func (v *VM) SwitchInterval() time.Duration { return v.gil.Interval() }

// SetSwitchInterval implements luaapi.Host.
func (v *VM) SetSwitchInterval(d time.Duration) { v.gil.SetInterval(d) }

// Go implements luaapi.Host: body runs on a new goroutine with a new thread
// state, holding the interpreter lock.
func (v *VM) Go(L *lua.LState, body func(co *lua.LState)) {
	// A thread lives on its own, not as long as the thread that started
	// it: it watches the run's context, not a child of its parent's. Made
	// from L without its context, the thread gets none of its own, which
	// would cost a registration with the run's context and garbage.
	ctx := L.RemoveContext()
	co, _ := L.NewThread()
	if ctx != nil {
		L.SetContext(ctx)
	}
	co.SetContext(v.luaCtx)
	v.threads.Add(1)
	v.live.Add(1)
	go func() {
		defer recoverTo(v.env.Stderr, "a thread")
		defer v.threads.Done()
		defer v.live.Add(-1)
		v.gil.Lock()
		defer v.gil.Unlock()
		co.G.CurrentThread = co
		body(co)
	}()
}

// Exit implements luaapi.Host: ends the run with code. The calling thread
// stops here (its deferred unlock runs); the others are interrupted.
func (v *VM) Exit(L *lua.LState, code int) {
	v.exitOnce.Do(func() {
		v.exitCode.Store(int64(code))
		v.exited.Store(true)
		v.cancel(luaapi.ErrExited)
	})
	runtime.Goexit()
}

// Stdout implements luaapi.Host.
func (v *VM) Stdout() io.Writer { return v.env.Stdout }

// Stderr implements luaapi.Host.
func (v *VM) Stderr() io.Writer { return v.env.Stderr }

// Stdin implements luaapi.Host.
func (v *VM) Stdin() io.Reader { return v.env.Stdin }

// Runtime is the script modules' runtime of the VM.
func (v *VM) Runtime() *luaapi.Runtime { return v.rt }

// RunContext is the context of the VM's run: it ends when the run does
// (interrupted, a limit reached, os.exit, Close), with the cause.
func (v *VM) RunContext() context.Context { return v.ctx }

// SetLockTracer has t told of the interpreter lock's hand-offs. Call it
// before the script runs.
func (v *VM) SetLockTracer(t LockTracer) { v.trace = t }

// Stats are what a VM's metrics read (--metrics): safe from any
// goroutine, and never waiting for the interpreter lock.
type Stats struct {
	// Threads are the script threads running, the main chunk excluded.
	Threads int64
	// LockWait is how long threads waited for the interpreter lock in
	// all, LockWaits how many times one waited.
	LockWait  time.Duration
	LockWaits int64
	Sockets   luaapi.SocketStats
	Calls     []*luaapi.CallCount
}

// Stats are the VM's counts now.
func (v *VM) Stats() Stats {
	st := Stats{Threads: v.live.Load(), Sockets: v.rt.SocketStats(), Calls: v.rt.CallCounts()}
	st.LockWait, st.LockWaits = v.gil.Waited()
	return st
}

// Exited reports whether the script called os.exit, and with what code.
func (v *VM) Exited() (code int, ok bool) {
	if !v.exited.Load() {
		return 0, false
	}
	return int(v.exitCode.Load()), true
}

// RunChunk runs calls in turn as the main chunk on its own goroutine,
// holding the lock, until one fails, and then calls done, on that
// goroutine, with how it ended: nil, or the *lua.ApiError of the call
// that failed. A chunk that called os.exit reports nil; Exited tells.
func (v *VM) RunChunk(calls []Call, done func(error)) {
	go func() {
		defer recoverTo(v.env.Stderr, "the main chunk")
		var err error
		finished := false
		defer func() {
			v.rt.MainRunning(false)
			v.gil.Unlock()
			if !finished {
				err = nil // os.exit: runtime.Goexit
			}
			done(err)
		}()
		v.gil.Lock()
		v.rt.MainRunning(true)
		v.L.G.CurrentThread = v.L
		for _, c := range calls {
			if err = ExplainError(v.L, c.Run(v.L)); err != nil {
				break
			}
		}
		finished = true
	}()
}

// Report writes the VM's leak report (--report) under its interpreter
// lock, unless a thread still holds the lock after a second.
func (v *VM) Report(w io.Writer, who string) {
	var mu sync.Mutex
	acquired, gaveUp := false, false
	got := make(chan struct{})
	go func() {
		v.gil.Lock()
		mu.Lock()
		defer mu.Unlock()
		if gaveUp {
			v.gil.Unlock()
			return
		}
		acquired = true
		close(got)
	}()
	select {
	case <-got:
	case <-time.After(time.Second):
		mu.Lock()
		if !acquired {
			gaveUp = true
			mu.Unlock()
			fmt.Fprintf(w, "sockrun: report%s: not made, a thread still holds the interpreter lock\n", who)
			return
		}
		mu.Unlock()
	}
	v.rt.Report(w, who)
	v.gil.Unlock()
}

// ThreadsEnded reports whether every thread the script started has
// ended, once the main chunk has: no thread runs Lua then, so none can
// start another (thread.spawn is Lua's), and the last one's end is
// waited for, a moment at most.
func (v *VM) ThreadsEnded() bool {
	if v.live.Load() != 0 {
		return false
	}
	v.threads.Wait()
	return true
}

// WaitThreads waits for every thread to end, or for the grace period if
// the run was interrupted, or until stop is closed; it reports whether
// they all ended.
func (v *VM) WaitThreads(grace time.Duration, stop <-chan struct{}) bool {
	if v.ThreadsEnded() {
		return true
	}
	all := make(chan struct{})
	go func() {
		v.threads.Wait()
		close(all)
	}()
	var timeout <-chan time.Time
	ctxDone := v.ctx.Done()
	for {
		select {
		case <-all:
			return true
		case <-stop:
			return false
		case <-timeout:
			return false
		case <-ctxDone:
			ctxDone = nil
			timeout = time.After(grace)
		}
	}
}

// Close ends the run: interrupts what is left, closes every socket and the
// Lua state's resources.
func (v *VM) Close() {
	v.cancel(context.Canceled)
	v.rt.CloseAll()
}
