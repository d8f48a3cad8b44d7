package threads

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// This file is the signal module and the way signals reach a script, as
// Python's: a signal is delivered to the main thread only. The first
// Ctrl-C raises KeyboardInterrupt there, waking it from whatever it waits
// in (its waits watch a context of their own, the run's context and this
// interrupt); the other threads keep running. A script that catches it
// carries on; one that lets it propagate ends the run. A handler set with
// signal.signal runs in the main thread: at its next call into sockrun, or
// while it waits (the waiting call then goes on waiting, as Python retries
// an interrupted system call, unless the handler raises).

// Disposition is what a signal does when it arrives, as Deliver reports it
// to the host.
type Disposition int

const (
	// SignalIgnored: the script ignores it (signal.SIG_IGN).
	SignalIgnored Disposition = iota
	// SignalDelivered: delivered to the main thread, as a KeyboardInterrupt
	// (SIGINT's default) or a call of the script's handler.
	SignalDelivered
	// SignalStop: the default action, to stop the run (SIGTERM, SIGHUP,
	// SIGUSR1, SIGUSR2, and SIGINT with signal.SIG_DFL): the host ends it
	// as it ends an interrupted run.
	SignalStop
)

// signalNames are the signals a script may handle, by their module names.
var signalNames = []struct {
	name string
	sig  syscall.Signal
}{
	{"SIGINT", syscall.SIGINT},
	{"SIGTERM", syscall.SIGTERM},
	{"SIGHUP", syscall.SIGHUP},
	{"SIGUSR1", syscall.SIGUSR1},
	{"SIGUSR2", syscall.SIGUSR2},
}

// HandledSignals are the signals the host should pass to Deliver.
func HandledSignals() []os.Signal {
	list := make([]os.Signal, len(signalNames))
	for i, s := range signalNames {
		list[i] = s.sig
	}
	return list
}

// SignalName is sig's name as the signal module has it: "SIGTERM".
func SignalName(sig os.Signal) string {
	for _, s := range signalNames {
		if s.sig == sig {
			return s.name
		}
	}
	return sig.String()
}

// Special handlers, as Python's signal.SIG_DFL and signal.SIG_IGN.
const (
	sigDFL = 0
	sigIGN = 1
)

// Signals is one VM's signal state: the signal module's instance, and
// the VM's Interrupter. disp and pending are shared with the
// goroutine that delivers signals (mu); handlers are Lua values, touched
// only with the interpreter lock held.
type Signals struct {
	vm *api.VM
	// mainRunning is set while the main chunk runs.
	mainRunning atomic.Bool

	mu sync.Mutex
	// disp is each signal's disposition: sigDFL, sigIGN, or handled (2)
	// by the function in handlers, or by default_int_handler (3).
	disp    map[syscall.Signal]int
	pending []syscall.Signal
	// wake is the context the main thread's waits watch: the run's,
	// canceled (cause errSignal) when a signal is due in the main thread.
	wake       context.Context
	cancelWake context.CancelCauseFunc
	// loop is what the main thread's Lua code sees between two
	// instructions (mainLuaContext): nil while nothing is due, which a
	// select passes at once; closedChan once a KeyboardInterrupt is due
	// or the run has ended.
	loop atomic.Pointer[chan struct{}]
	// raised is the error a handler that ran while the main thread waited
	// raised: the waiting call raises it.
	raised lua.LValue
	// taken is closed when the pending KeyboardInterrupt is raised in the
	// main thread (nil when none is due).
	taken chan struct{}
	// stopLoop unregisters the loop from the end of the host's context.
	stopLoop func() bool
	// preempt is the host's hand-over between two instructions
	// (SetPreempt), nil if it has none.
	preempt func(L *lua.LState)

	handlers map[syscall.Signal]lua.LValue
	// intHandler is signal.default_int_handler.
	intHandler lua.LValue
}

const (
	dispHandler    = 2
	dispIntHandler = 3
)

// errSignal is the cause of the main thread's wake context when a signal
// is due.
var errSignal = errors.New("signal")

func newSignals(vm *api.VM) *Signals {
	s := &Signals{vm: vm, disp: map[syscall.Signal]int{syscall.SIGINT: dispIntHandler}, handlers: map[syscall.Signal]lua.LValue{}}
	s.renew()
	vm.SetInterrupter(s)
	return s
}

// renew makes a fresh wake context once the old one was used, and clears
// the loop; s.mu is held (or s is new).
func (s *Signals) renew() {
	run := s.vm.Host().Context()
	if s.wake == nil || s.wake.Err() != nil {
		if run.Err() != nil && s.wake != nil {
			return // the run is over: the main thread's waits stay woken
		}
		s.wake, s.cancelWake = context.WithCancelCause(run)
		s.vm.SetMainWait(s.wake)
	}
	if s.stopLoop == nil {
		s.watchRunEnd()
	}
	s.clearLoop()
}

// Rebase derives the main thread's wake context and loop from the host's
// context anew, for a host that replaced its context (the prompt's, after
// a Ctrl-C): derived from the old one, they would not see the new one
// end. Called with the interpreter lock held, while the main thread waits
// in nothing.
func (s *Signals) Rebase() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancelWake != nil {
		s.cancelWake(context.Canceled)
	}
	s.wake, s.cancelWake = context.WithCancelCause(s.vm.Host().Context())
	s.vm.SetMainWait(s.wake)
	if s.stopLoop != nil {
		s.stopLoop()
	}
	s.watchRunEnd()
	s.clearLoop()
}

// closedChan is the loop once something is due.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// watchRunEnd makes the end of the host's context show in the loop.
func (s *Signals) watchRunEnd() {
	s.stopLoop = context.AfterFunc(s.vm.Host().Context(), s.setLoop)
}

// setLoop makes the main thread's Lua code stop at its next instruction.
func (s *Signals) setLoop() { s.loop.Store(&closedChan) }

// clearLoop lets the main thread's Lua code run on, unless the run is
// over. The second look at the context catches an end whose setLoop ran
// just before the Store.
func (s *Signals) clearLoop() {
	if s.vm.Host().Context().Err() != nil {
		return
	}
	s.loop.Store(nil)
	if s.vm.Host().Context().Err() != nil {
		s.setLoop()
	}
}

// Deliver hands sig to the script: the host calls it from the goroutine
// that receives signals. It reports what the signal does; for a
// KeyboardInterrupt it also returns a channel closed once the main thread
// has raised it.
func (s *Signals) Deliver(sig os.Signal) (Disposition, <-chan struct{}) {
	ss, _ := sig.(syscall.Signal)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.disp[ss] {
	case sigIGN:
		return SignalIgnored, nil
	case sigDFL:
		return SignalStop, nil
	}
	s.pending = append(s.pending, ss)
	s.vm.SetInterruptDue(true)
	var taken <-chan struct{}
	if s.disp[ss] == dispIntHandler {
		s.cancelWake(errSignal)
		s.vm.WakeMainWait()
		if s.taken == nil {
			s.taken = make(chan struct{})
		}
		taken = s.taken
		s.setLoop()
	} else {
		// A handler runs while the main thread waits: in its own
		// goroutine, holding the interpreter lock on the main thread's
		// behalf (the main thread's state is parked inside a call into
		// sockrun then, as when a call runs a callback).
		go s.runHandlersWhileWaiting()
	}
	return SignalDelivered, taken
}

// DropInterrupt forgets a KeyboardInterrupt delivered and not raised yet,
// for a host whose main chunk ended before it could raise it: the prompt,
// whose statement ended as Ctrl-C came, so that the next one does not
// start interrupted. Signals with handlers stay due. Call it with the
// interpreter lock held.
func (s *Signals) DropInterrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := s.pending[:0]
	for _, sig := range s.pending {
		if s.disp[sig] != dispIntHandler {
			keep = append(keep, sig)
		}
	}
	s.pending = keep
	s.taken = nil
	s.vm.SetInterruptDue(len(s.pending) > 0 || s.raised != nil)
	s.renew()
}

// Take implements api.Interrupter: in the main thread, it runs the
// handlers of the signals due and raises a KeyboardInterrupt for op.
func (s *Signals) Take(L *lua.LState, op string) { s.takeSignals(L, op) }

// takeSignals runs in the main thread, with the lock held, at a call into
// sockrun or after a wait a signal ended: it calls the handlers of the
// signals due, then raises KeyboardInterrupt if one is due, or the error a
// handler that ran during the wait raised.
func (s *Signals) takeSignals(L *lua.LState, op string) {
	s.mu.Lock()
	list := s.pending
	s.pending = nil
	s.vm.SetInterruptDue(false)
	raised := s.raised
	s.raised = nil
	taken := s.taken
	s.taken = nil
	s.renew()
	s.mu.Unlock()
	interrupt := false
	for _, sig := range list {
		if s.dispOf(sig) == dispIntHandler {
			interrupt = true
			continue
		}
		s.callHandler(L, sig)
	}
	if raised != nil {
		api.Throw(L, raised)
	}
	if interrupt {
		if taken != nil {
			close(taken)
		}
		api.RaiseOS(L, api.InterruptError(op, ""))
	}
}

func (s *Signals) dispOf(sig syscall.Signal) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.disp[sig]
}

// callHandler calls sig's handler, if it still has one, as Python does:
// handler(signum). An error it raises propagates.
func (s *Signals) callHandler(L *lua.LState, sig syscall.Signal) {
	h, ok := s.handlers[sig].(*lua.LFunction)
	if !ok {
		return
	}
	L.Push(h)
	L.Push(lua.LNumber(sig))
	L.Push(lua.LNil) // Python's frame
	L.Call(2, 0)
}

// runHandlersWhileWaiting takes the interpreter lock on the main thread's
// behalf and runs the handlers due, if the main thread has not run them
// itself meanwhile. An error a handler raises is kept for the main
// thread's waiting call, which wakes and raises it.
func (s *Signals) runHandlersWhileWaiting() {
	defer func() {
		if r := recover(); r != nil {
			s.vm.Host().Stderr().Write(s.vm.Log(api.Message{Kind: "internal", Text: fmt.Sprintf("internal error in a signal handler: %v", r)}))
		}
	}()
	L := s.vm.MainState()
	s.vm.Lock(L)
	defer s.vm.Unlock(L)
	if s.vm.Host().Context().Err() != nil || !s.mainRunning.Load() {
		return
	}
	s.mu.Lock()
	var list, keep []syscall.Signal
	for _, sig := range s.pending {
		if s.disp[sig] == dispIntHandler {
			keep = append(keep, sig) // the main thread raises it itself
		} else {
			list = append(list, sig)
		}
	}
	s.pending = keep
	s.vm.SetInterruptDue(len(keep) > 0 || s.raised != nil)
	s.mu.Unlock()
	for _, sig := range list {
		fn, ok := s.handlers[sig].(*lua.LFunction)
		if !ok {
			continue
		}
		L.Push(fn)
		L.Push(lua.LNumber(sig))
		L.Push(lua.LNil)
		if obj := lua51.Protect(L, 2, 0); obj != nil {
			s.mu.Lock()
			s.raised = obj
			s.vm.SetInterruptDue(true)
			s.cancelWake(errSignal)
			s.vm.WakeMainWait()
			s.mu.Unlock()
			return
		}
	}
}

// signalModule is the signal module, whose instance SignalsOf returns.
var signalModule = &api.Module{
	Name:    "signal",
	Summary: "signal handlers, as Python's signal module: handlers run in the main thread",
	Doc:     "docs/signal.md",
	Families: []*api.Family{{Name: "SIG*", Summary: "a signal a script may handle",
		Members: func() []string {
			var names []string
			for _, s := range signalNames {
				names = append(names, s.name)
			}
			return names
		}()}},
	Funcs: []api.Func{
		api.Method("signal", "signal.signal(signalnum, handler)", "sets what signalnum does: a function handler(signum, frame), signal.SIG_DFL or signal.SIG_IGN; returns the previous handler", (*Signals).signalSignal).
			Params(api.OneOf("SIG*"), api.T("fun(signum: integer, frame: nil)|integer").Says("or `signal.SIG_DFL`, `signal.SIG_IGN`")).Returns(api.T("fun(signum: integer, frame: nil)|integer").Named("previous")),
		api.Method("getsignal", "signal.getsignal(signalnum)", "the current handler of signalnum", (*Signals).signalGetsignal).
			Params(api.OneOf("SIG*")).Returns(api.T("fun(signum: integer, frame: nil)|integer")),
		api.Fn("default_int_handler", "signal.default_int_handler(signum, frame)", "SIGINT's default handler: raises KeyboardInterrupt", signalDefaultIntHandler).
			Params(api.Int, api.T("nil")),
	},
	Consts: func() []api.Const {
		list := []api.Const{{Name: "SIG_DFL", Value: lua.LNumber(sigDFL)}, {Name: "SIG_IGN", Value: lua.LNumber(sigIGN)}}
		for _, s := range signalNames {
			list = append(list, api.Const{Name: s.name, Value: lua.LNumber(s.sig)})
		}
		return list
	},
	New: func(vm *api.VM) any { return newSignals(vm) },
	Setup: api.SetupOf(func(s *Signals, L *lua.LState, mod *lua.LTable) {
		s.intHandler = mod.RawGetString("default_int_handler")
	}),
}

func init() { api.Register(signalModule) }

// SignalsOf is the signal module's state in vm.
func SignalsOf(vm *api.VM) *Signals { return vm.Instance(signalModule).(*Signals) }

// checkSignal is argument n as one of the signals the module handles.
func checkSignal(L *lua.LState, n int, fn string) syscall.Signal {
	v := L.Get(n)
	num, ok := v.(lua.LNumber)
	if !ok {
		api.ArgError(L, n, fn, "signal number expected, got "+api.TypeName(v))
	}
	for _, s := range signalNames {
		if s.sig == syscall.Signal(num) {
			return s.sig
		}
	}
	api.ArgError(L, n, fn, fmt.Sprintf("signal number %v is not one sockrun handles (SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2)", num))
	return 0
}

// handlerValue is sig's handler as Lua sees it; the lock is held.
func (s *Signals) handlerValue(sig syscall.Signal) lua.LValue {
	switch s.dispOf(sig) {
	case sigIGN:
		return lua.LNumber(sigIGN)
	case dispIntHandler:
		return s.intHandler
	case dispHandler:
		return s.handlers[sig]
	}
	return lua.LNumber(sigDFL)
}

// signalSignal is signal.signal(signalnum, handler): sets what signalnum
// does when it arrives, and returns the previous handler. handler is a
// function called in the main thread as handler(signum, frame) (frame is
// nil), signal.SIG_IGN to ignore it, or signal.SIG_DFL for the default:
// stop the run (SIGINT's default is signal.default_int_handler, which
// raises KeyboardInterrupt). Only the main thread may set a handler.
func (s *Signals) signalSignal(L *lua.LState) int {
	sig := checkSignal(L, 1, "signal")
	h := L.Get(2)
	disp := dispHandler
	switch v := h.(type) {
	case *lua.LFunction:
		if v == s.intHandler {
			disp = dispIntHandler
		}
	case lua.LNumber:
		if v != sigDFL && v != sigIGN {
			api.ArgError(L, 2, "signal", "signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a function")
		}
		disp = int(v)
	default:
		api.ArgError(L, 2, "signal", "signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a function, got "+api.TypeName(h))
	}
	if !s.vm.IsMain(L) {
		api.Misuse(L, "signal only works in main thread of the main interpreter (signal)")
	}
	prev := s.handlerValue(sig)
	s.mu.Lock()
	s.disp[sig] = disp
	s.mu.Unlock()
	if disp == dispHandler {
		s.handlers[sig] = h
	} else {
		delete(s.handlers, sig)
	}
	L.Push(prev)
	return 1
}

// signalGetsignal is signal.getsignal(signalnum): its current handler, a
// function, signal.SIG_DFL or signal.SIG_IGN.
func (s *Signals) signalGetsignal(L *lua.LState) int {
	L.Push(s.handlerValue(checkSignal(L, 1, "getsignal")))
	return 1
}

// signalDefaultIntHandler is signal.default_int_handler(signum, frame):
// raises KeyboardInterrupt, as SIGINT does by default.
func signalDefaultIntHandler(L *lua.LState) int {
	api.RaiseOS(L, api.InterruptError("", ""))
	return 0
}

// MainRunning tells the runtime whether the main chunk is running: a
// handler runs while the main thread waits only then.
func (s *Signals) MainRunning(running bool) { s.mainRunning.Store(running) }

// MainLuaContext is the context the main thread's Lua state checks between
// instructions: done when run is (as before), and also when a
// KeyboardInterrupt is due, which it then raises. Coroutines must not
// inherit it (see the host's coroutine.create).
func (s *Signals) MainLuaContext(run context.Context) context.Context {
	return &mainLuaContext{run, s}
}

type mainLuaContext struct {
	context.Context
	s *Signals
}

// Done is the loop: one atomic load per instruction, and a nil channel
// while nothing is due. (On the pointer, as the host's luaContext: gopher-lua
// calls it through the interface before every instruction.)
func (c *mainLuaContext) Done() <-chan struct{} {
	if p := c.s.loop.Load(); p != nil {
		return c.due(p)
	}
	return nil
}

// due is Done when the loop is set: closed when something is due, and at
// preemptMark the hand-over of the interpreter lock the host asked for
// (MarkPreempt), after which the main thread's Lua code goes on.
func (c *mainLuaContext) due(p *chan struct{}) <-chan struct{} {
	if p != &preemptMark {
		return *p
	}
	c.s.loop.CompareAndSwap(p, nil)
	if c.s.preempt != nil {
		c.s.preempt(c.s.vm.MainState().G.CurrentThread)
	}
	return nil
}

// preemptMark is the loop's value that asks the main thread's Lua code
// to hand the interpreter lock over at its next instruction; only its
// address counts.
var preemptMark chan struct{}

// MarkPreempt asks the main thread, if it is running Lua code, to call
// the host's preempt (SetPreempt) at its next instruction: the host calls
// it when the thread holding the interpreter lock has not come to a
// Checkpoint for too long (a loop of Lua code that calls nothing of
// sockrun). Something due in the loop stays: it is raised first.
func (s *Signals) MarkPreempt() { s.loop.CompareAndSwap(nil, &preemptMark) }

// SetPreempt sets what the main thread calls, between two instructions,
// once MarkPreempt asked: the host hands the lock over there if its
// request still stands. Set before the main thread runs.
func (s *Signals) SetPreempt(preempt func(L *lua.LState)) { s.preempt = preempt }

// Err is called by gopher-lua, in the main thread with the lock held, when
// Done is closed and it is about to raise: a KeyboardInterrupt due is
// raised here as the error value scripts catch.
func (c *mainLuaContext) Err() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	L := c.s.vm.MainState()
	c.s.takeSignals(L.G.CurrentThread, "")
	return api.ErrInterrupted
}
