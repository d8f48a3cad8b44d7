package api

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
)

// VM is one VM's host as every script module sees it: the one narrow
// interface a module instance reaches the runner through. It holds what is
// truly per VM and shared by the modules: the Host, the configuration, the
// run's sockets (a core.Group), the call path's observer, what reaches the
// main thread between its calls (the signal module's interrupts), the
// notes and the report's counts, and each module's instance.
//
// It is also the core's Host: a socket call that waits hands the lock
// over through it, and it knows the context the calling thread's waits
// watch, so a wait goes core → VM → Host and back without a round trip
// through the runner.
type VM struct {
	host  Host
	cfg   Config
	group *core.Group
	// switchFlag is the host's SwitchFlag, if it has one: the call path
	// calls Checkpoint only while it is set.
	switchFlag *atomic.Bool

	// mainL is the main chunk's Lua state, set when the VM opens.
	mainL *lua.LState

	// observer sees every call of a registered function (callpath.go).
	observer Observer
	// counts are the call path's counts, with Config.CountCalls (counts.go).
	counts callCounts

	// intr is what interrupts the main thread (the signal module); due
	// says something is due there, mainWait is the context the main
	// thread's waits watch (nil: the run's).
	intr     Interrupter
	due      atomic.Bool
	mainWait atomic.Pointer[context.Context]

	// threadID names the script thread of a Lua state (the thread
	// module's), for the call path's events.
	threadID func(L *lua.LState) int

	// noted are the kinds of note already printed (explain.go).
	noted map[string]bool
	// unread counts what the script's close calls threw away (report.go).
	unread droppedUnread

	// instances are the modules' instances, made by New.
	instances map[*Module]any
	// owner is the module that registers each type; types are the types
	// whose metatables are not made yet, by metatable name (registry.go).
	owner map[*Type]*Module
	types map[string]pendingType

	// onClose is what CloseAll runs beside closing the sockets.
	onCloseMu sync.Mutex
	onClose   []func()

	// mainWake is the wake of the main thread's wait, if it waits
	// (WakeMainOn); stopMainWake is mainWake.stop, bound once.
	mainWake     mainWake
	stopMainWake func() bool
}

// mainWake is the one wait of the main thread a signal due there wakes
// without a registration with its context (WakeMainOn).
type mainWake struct {
	mu   sync.Mutex
	wake func() // nil when no wait is registered
	ran  bool   // wake ran since it was registered
	ctx  context.Context
}

// Interrupter is what interrupts the main thread between its calls into
// sockrun and ends its waits: the signal module. It tells the VM that
// something is due (SetInterruptDue) and which context the main thread's
// waits watch (SetMainWait); the VM calls Take when it is the main
// thread's turn to take it.
type Interrupter interface {
	// Take runs in the main thread, with the lock held, at a call into
	// sockrun (op "") or when a wait of call op ended for it: it runs
	// what is due there, and may raise.
	Take(L *lua.LState, op string)
}

// New returns the VM of a host and its configuration, with an instance of
// every registered module.
func New(host Host, cfg Config) *VM {
	if cfg.Workers < 1 {
		cfg.Workers, cfg.Worker = 1, 1
	}
	vm := &VM{host: host, cfg: cfg, group: core.NewGroup(host.Context()), instances: map[*Module]any{}}
	vm.stopMainWake = vm.mainWake.stop
	if f, ok := host.(SwitchFlagger); ok {
		vm.switchFlag = f.SwitchFlag()
	}
	vm.group.SetMaxAccepted(cfg.MaxConnections)
	vm.group.SetMaxRecv(cfg.MaxRecv)
	for _, m := range registry {
		vm.Instance(m)
	}
	return vm
}

// Instance is module m's instance in the VM, made by m.New the first time
// it is asked for (nil for a module with no state). A module that shares
// another's state returns that one's instance from its New.
func (vm *VM) Instance(m *Module) any {
	if inst, ok := vm.instances[m]; ok {
		return inst
	}
	var inst any
	if m.New != nil {
		inst = m.New(vm)
	}
	vm.instances[m] = inst
	return inst
}

// worker is the VM's worker number when several run the script, else 0.
func (vm *VM) worker() int {
	if vm.cfg.Workers > 1 {
		return vm.cfg.Worker
	}
	return 0
}

// Serving implements core.ServingHost: the script has started to serve
// (its first accept on a listening socket), which the service manager
// hears as READY=1 unless the script said it already.
func (vm *VM) Serving() {
	if vm.cfg.Notifier != nil {
		vm.cfg.Notifier.Ready()
	}
}

// Host is the runner's side: threads, exit, standard streams, the switch
// interval.
func (vm *VM) Host() Host { return vm.host }

// Config is the VM's configuration.
func (vm *VM) Config() *Config { return &vm.cfg }

// Group is the run's sockets: every face adds the sockets it makes.
func (vm *VM) Group() *core.Group { return vm.group }

// MaxRecv is limits.max_recv as the core applies it.
func (vm *VM) MaxRecv() int { return core.ClampMaxRecv(vm.cfg.MaxRecv) }

// Context implements core.Host: the run's context.
func (vm *VM) Context() context.Context { return vm.host.Context() }

// Lock implements core.Host: takes the interpreter lock back for c's
// thread (a *lua.LState) and makes it the VM's current thread.
func (vm *VM) Lock(c core.Caller) { vm.host.Lock(c.(*lua.LState)) }

// Unlock implements core.Host: releases the interpreter lock held by c's
// thread.
func (vm *VM) Unlock(c core.Caller) { vm.host.Unlock(c.(*lua.LState)) }

// WaitContext implements core.Host: the context the waits of c's thread
// (a *lua.LState) watch: the run's, and for the main thread also what is
// due there (a signal). Call it with the interpreter lock held.
func (vm *VM) WaitContext(c core.Caller) context.Context {
	if L, _ := c.(*lua.LState); L != nil && vm.IsMain(L) {
		if p := vm.mainWait.Load(); p != nil {
			return *p
		}
	}
	return vm.host.Context()
}

// CallContext is the context a call of L's thread reads its outcome
// against: WaitContext, or the run's once that ended. The run's end
// cancels the contexts derived from it one by one, so a wait it woke can
// return before L's wait context sees the end: the run's own says what
// ended.
func (vm *VM) CallContext(L *lua.LState) context.Context {
	if run := vm.host.Context(); run.Err() != nil {
		return run
	}
	return vm.WaitContext(L)
}

// IsMain reports whether L runs in the main thread: the main chunk's
// state, or a coroutine it resumed.
func (vm *VM) IsMain(L *lua.LState) bool {
	if vm.mainL == nil {
		return false
	}
	for s := L; s != nil; s = s.Parent {
		if s == vm.mainL {
			return true
		}
	}
	return false
}

// MainState is the main chunk's Lua state, nil before the VM opens.
func (vm *VM) MainState() *lua.LState { return vm.mainL }

// SetInterrupter makes i what interrupts the main thread.
func (vm *VM) SetInterrupter(i Interrupter) { vm.intr = i }

// SetInterruptDue says whether something is due in the main thread: its
// next call into sockrun takes it. Safe from any goroutine.
func (vm *VM) SetInterruptDue(due bool) { vm.due.Store(due) }

// SetMainWait makes ctx the context the main thread's waits watch. Call it
// with the interpreter lock held.
func (vm *VM) SetMainWait(ctx context.Context) { vm.mainWait.Store(&ctx) }

// checkpoint is the host's Checkpoint at a call into sockrun, skipped
// while the host's switch flag says it has nothing to do. (It and takeDue
// test their flag and call out for the rest, so that both are inlined
// into every call of a registered function.)
func (vm *VM) checkpoint(L *lua.LState) {
	if f := vm.switchFlag; f == nil || f.Load() {
		vm.hostCheckpoint(L)
	}
}

//go:noinline
func (vm *VM) hostCheckpoint(L *lua.LState) { vm.host.Checkpoint(L) }

// WakeMainOn implements core.MainWaker: a wait of the main thread (whose
// wait context is the signal module's) registers its wake here, in one
// slot, rather than with the context; the interrupter runs it
// (WakeMainWait) when it makes a signal due there. A second wait while
// one is registered (a signal handler's call, while the main thread
// waits) registers with the context, as do the waits of other contexts.
func (vm *VM) WakeMainOn(ctx context.Context, wake func()) func() bool {
	p := vm.mainWait.Load()
	if p == nil || *p != ctx {
		return nil
	}
	w := &vm.mainWake
	w.mu.Lock()
	if w.wake != nil {
		w.mu.Unlock()
		return nil
	}
	w.wake, w.ran, w.ctx = wake, false, ctx
	w.mu.Unlock()
	if ctx.Err() != nil {
		// Done before the wake was in place, maybe after the
		// interrupter looked for it: run it as the interrupter would.
		vm.WakeMainWait()
	}
	return vm.stopMainWake
}

// WakeMainWait runs the wake of the main thread's wait registered with
// WakeMainOn, if there is one: the interrupter calls it once it has made
// the main thread's wait context done. Safe from any goroutine.
func (vm *VM) WakeMainWait() {
	w := &vm.mainWake
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wake != nil && !w.ran && w.ctx.Err() != nil {
		w.ran = true
		w.wake() // under mu: stop returns only after it
	}
}

// stop unregisters the wake; false if it ran.
func (w *mainWake) stop() bool {
	w.mu.Lock()
	ran := w.ran
	w.wake, w.ran, w.ctx = nil, false, nil
	w.mu.Unlock()
	return !ran
}

// takeDue runs what is due in the main thread, if L runs there, at a call
// into sockrun.
func (vm *VM) takeDue(L *lua.LState) {
	if vm.due.Load() {
		vm.takeDueMain(L)
	}
}

//go:noinline
func (vm *VM) takeDueMain(L *lua.LState) {
	if vm.intr != nil && vm.IsMain(L) {
		vm.intr.Take(L, "")
	}
}

// SetThreadIDs makes id what names the script thread of a Lua state.
func (vm *VM) SetThreadIDs(id func(L *lua.LState) int) { vm.threadID = id }

// ThreadID is the id of the script thread L runs in: 1 for the main chunk,
// as t:id() says. Call it with the interpreter lock held.
func (vm *VM) ThreadID(L *lua.LState) int {
	if vm.threadID != nil {
		return vm.threadID(L)
	}
	return 1
}

// CloseAll closes every socket the script left open, runs what OnClose
// added (the files left open are closed), and returns how many sockets
// there were. It is safe to call from any goroutine.
func (vm *VM) CloseAll() int {
	vm.onCloseMu.Lock()
	fs := vm.onClose
	vm.onCloseMu.Unlock()
	for _, f := range fs {
		f()
	}
	return vm.group.CloseAll()
}

// OnClose adds f to what CloseAll runs, as the run ends: a module's
// instance closes what it holds (the io library's files, their buffers
// written). f must be safe to call from any goroutine, more than once.
func (vm *VM) OnClose(f func()) {
	vm.onCloseMu.Lock()
	vm.onClose = append(vm.onClose, f)
	vm.onCloseMu.Unlock()
}
