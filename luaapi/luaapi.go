// Package luaapi is what sockrun's scripts see: the socket module and the
// other script modules. It never imports the runner; it reaches the host
// (the interpreter lock, threads, the run's context, standard streams)
// through the Host interface.
package luaapi

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/base"
	"github.com/sockrun/sockrun/luaapi/core"
	_ "github.com/sockrun/sockrun/luaapi/formats"   // struct, bit, json
	_ "github.com/sockrun/sockrun/luaapi/luasocket" // LuaSocket and mime.core
	"github.com/sockrun/sockrun/luaapi/store"
	"github.com/sockrun/sockrun/luaapi/threads"
	lua "github.com/yuin/gopher-lua"
)

// Host is what the runner gives the script modules (api.Host).
type Host = api.Host

// Config is the part of sockrun's configuration that scripts see, as plain
// values (api.Config).
type Config = api.Config

// SharedStore is the run's key-value store, common to every worker.
type SharedStore = store.Store

// NewSharedStore returns an empty store.
func NewSharedStore() *SharedStore { return store.New() }

// Runtime is one VM's script-facing state: its host, its configuration and
// the sockets its script has open. The host closes what is left with
// CloseAll when the run ends, since gopher-lua has no __gc.
type Runtime struct {
	vm   *api.VM
	host Host
	cfg  Config

	// group holds the script's sockets (weakly: an unreachable socket is
	// closed when collected) and interrupts their waits when the run ends.
	group *core.Group

	// defaultTimeout is what new sockets get (socket.setdefaulttimeout).
	defaultTimeout time.Duration

	// hosts caches address texts and parses (addr.go).
	hosts hostCache

	// socketMetas are the metatables of sockets, one per kind (sockobj.go).
	socketMetas map[socketMetaKey]*lua.LTable

	// threads and sig are the thread and signal modules' instances, which
	// the runner asks about the VM's threads and hands signals to.
	threads *threads.Threads
	sig     *threads.Signals
}

// rootState is the state the modules still in this package share: an
// instance of its own, which each of them gets through register.
var rootState = &api.Module{New: func(vm *api.VM) any { return newRuntime(vm) }}

// register adds a module of this package to the registry, with the
// package's shared state as its instance.
func register(m *api.Module) {
	m.New = func(vm *api.VM) any { return vm.Instance(rootState) }
	api.Register(m)
}

func newRuntime(vm *api.VM) *Runtime {
	cfg := *vm.Config()
	timeout := time.Duration(-1)
	if cfg.DefaultTimeout != nil {
		timeout = *cfg.DefaultTimeout
	}
	if cfg.Shared == nil {
		cfg.Shared = store.New()
	}
	return &Runtime{vm: vm, host: vm.Host(), cfg: cfg, group: vm.Group(), defaultTimeout: timeout,
		threads: threads.Of(vm), sig: threads.SignalsOf(vm)}
}

// New returns the runtime of one VM.
func New(host Host, cfg Config) *Runtime {
	vm := api.New(host, cfg)
	return vm.Instance(rootState).(*Runtime)
}

// Open registers sockrun's modules in L, the VM's main state, and makes
// the main thread's handle.
func (rt *Runtime) Open(L *lua.LState) {
	openAddrMeta(L)
	rt.vm.Open(L)
}

// SetObserver attaches o to the runtime's call path (nil detaches). Call it
// before the script runs.
func (rt *Runtime) SetObserver(o Observer) { rt.vm.SetObserver(o) }

// CloseAll closes every socket the script left open and returns how many
// there were. It is safe to call from any goroutine.
func (rt *Runtime) CloseAll() int { return rt.group.CloseAll() }

// Rewatch makes every open socket's waits end when ctx is done, for a host
// that replaced its context (the prompt's, after a Ctrl-C ended the old
// one). It is called with the interpreter lock held.
func (rt *Runtime) Rewatch(ctx context.Context) {
	rt.group.Rewatch(ctx)
	rt.sig.Rebase()
}

// OpenSockets is the number of sockets the script has open.
func (rt *Runtime) OpenSockets() int { return rt.group.Len() }

// Leaks are the sockets the garbage collector closed because the script
// lost them without closing them, as Python's ResourceWarning lists.
func (rt *Runtime) Leaks() []core.Leak { return rt.group.Leaks() }

// Report writes what the script left when it ended (api.VM.Report). Call
// it with the interpreter lock held, before the run closes what is left.
func (rt *Runtime) Report(w io.Writer, who string) {
	rt.vm.Report(w, who, rt.threads.Running())
}

// ThreadID is the id of the script thread L runs in: 1 for the main
// chunk, as t:id() says. Call it with the interpreter lock held.
func (rt *Runtime) ThreadID(L *lua.LState) int { return rt.vm.ThreadID(L) }

// Thread is a script thread.
type Thread = threads.Thread

// MainThread is the main chunk's thread.
func (rt *Runtime) MainThread() *Thread { return rt.threads.MainThread() }

// Disposition is what a signal does when it arrives, as Deliver reports it.
type Disposition = threads.Disposition

// The dispositions of a signal.
const (
	SignalIgnored   = threads.SignalIgnored
	SignalDelivered = threads.SignalDelivered
	SignalStop      = threads.SignalStop
)

// HandledSignals are the signals the host should pass to Deliver.
func HandledSignals() []os.Signal { return threads.HandledSignals() }

// SignalName is sig's name as the signal module has it: "SIGTERM".
func SignalName(sig os.Signal) string { return threads.SignalName(sig) }

// Deliver hands sig to the script: the host calls it from the goroutine
// that receives signals (threads.Signals.Deliver).
func (rt *Runtime) Deliver(sig os.Signal) (Disposition, <-chan struct{}) { return rt.sig.Deliver(sig) }

// MainRunning tells the runtime whether the main chunk is running.
func (rt *Runtime) MainRunning(running bool) { rt.sig.MainRunning(running) }

// MainLuaContext is the context the main thread's Lua state checks between
// instructions (threads.Signals.MainLuaContext).
func (rt *Runtime) MainLuaContext(run context.Context) context.Context {
	return rt.sig.MainLuaContext(run)
}

// The call path's types, as the runner sees them.
type (
	// CallEvent is one call of a registered function.
	CallEvent = api.CallEvent
	// Observer sees every call of a registered function.
	Observer = api.Observer
	// CallStarter is an Observer that also sees calls start.
	CallStarter = api.CallStarter
	// ThreadObserver is an Observer that also sees threads start and end.
	ThreadObserver = api.ThreadObserver
	// StatefulSocket is a socket as the call path sees it.
	StatefulSocket = api.StatefulSocket
	// Module is one script-facing module of the registry.
	Module = api.Module
	// Type is a kind of object a module hands out.
	Type = api.Type
	// Func is one script-facing function or method.
	Func = api.Func
)

// How a module's table reaches scripts (api.ModuleKind).
const (
	NewModule    = api.NewModule
	ExtendGlobal = api.ExtendGlobal
	RequireOnly  = api.RequireOnly
)

// Modules returns the registry: every script-facing module, in the order
// the VM opens them.
func Modules() []*Module { return api.Modules() }

// FormatBytes is n bytes as a person reads it: "512 MiB", "1.5 GiB".
func FormatBytes(n int64) string { return base.FormatBytes(n) }

// EditDistance is the Levenshtein distance between a and b.
func EditDistance(a, b string) int { return api.EditDistance(a, b) }

// ErrInterrupted and ErrExited are the causes the host gives the run's
// context when the run is interrupted and when the script called os.exit.
var (
	ErrInterrupted = api.ErrInterrupted
	ErrExited      = api.ErrExited
)

// IsErrorValue reports whether v is a socket error value, and returns its
// message as Python prints it.
func IsErrorValue(v lua.LValue) (string, bool) { return api.IsErrorValue(v) }

// Explanation is the explanation an error value carries, "" if none.
func Explanation(v lua.LValue) string { return api.Explanation(v) }

// LuaLSConstantsFile is the generated file of the LuaLS definitions.
const LuaLSConstantsFile = api.LuaLSConstantsFile

// LuaLSConstants returns the generated part of the LuaLS definitions.
func LuaLSConstants() []byte { return api.LuaLSConstants() }

// ConstantDoc is one line on what the constant name of module is.
func ConstantDoc(module, name string) string { return api.ConstantDoc(module, name) }

// Transitional forwarders of the modules still in this package to the VM.

func (rt *Runtime) raise(L *lua.LState, err error, op, addr string) { rt.vm.Raise(L, err, op, addr) }

func (rt *Runtime) ctx(L *lua.LState) context.Context { return rt.vm.CallContext(L) }

func (rt *Runtime) raiseIfInterrupted(L *lua.LState, op string) { rt.vm.RaiseIfInterrupted(L, op) }

func (rt *Runtime) sleep(L *lua.LState, fn string) { rt.vm.Sleep(L, fn) }

func (rt *Runtime) note(kind, format string, args ...any) { rt.vm.Note(kind, format, args...) }
