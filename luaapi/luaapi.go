package luaapi

import (
	"context"
	"io"
	"os"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/base"
	"github.com/sockrun/sockrun/luaapi/core"
	_ "github.com/sockrun/sockrun/luaapi/formats"    // struct, bit, json
	_ "github.com/sockrun/sockrun/luaapi/httpmod"    // http
	_ "github.com/sockrun/sockrun/luaapi/luasocket"  // LuaSocket and mime.core
	_ "github.com/sockrun/sockrun/luaapi/metricsmod" // metrics
	_ "github.com/sockrun/sockrun/luaapi/pysocket"   // Python's socket and select
	_ "github.com/sockrun/sockrun/luaapi/ssl"
	"github.com/sockrun/sockrun/luaapi/store"
	"github.com/sockrun/sockrun/luaapi/threads"
	lua "github.com/yuin/gopher-lua"
)

// Host is what the runner gives the script modules (api.Host).
type Host = api.Host

// SwitchFlagger is a Host whose Checkpoint the call path skips while its
// flag is clear (api.SwitchFlagger).
type SwitchFlagger = api.SwitchFlagger

// Config is the part of sockrun's configuration that scripts see, as plain
// values (api.Config).
type Config = api.Config

// SharedStore is the run's store (the shared module's), common to every
// worker: in the process, or Redis.
type SharedStore = store.Store

// OpenSharedStore returns the store shared.url names: the in-process
// store for "", holding at most maxBytes (limits.max_shared; 0: no
// bound), else the Redis at that URL (redis://, rediss://, unix://),
// bounded by its own maxmemory. It connects only when a script's call
// needs it; close it when the run is over.
func OpenSharedStore(url string, maxBytes int64) (SharedStore, error) {
	if url == "" {
		return store.NewMemoryMax(maxBytes, "limits.max_shared is "+base.FormatBytes(maxBytes)), nil
	}
	return store.OpenRedis(url)
}

// Runtime is one VM's script-facing state: its modules, assembled on an
// api.VM, and what the runner asks of them. The host closes what is left
// with CloseAll when the run ends, since gopher-lua has no __gc.
type Runtime struct {
	vm *api.VM
	// threads and sig are the thread and signal modules' instances, which
	// the runner asks about the VM's threads and hands signals to.
	threads *threads.Threads
	sig     *threads.Signals
}

// New returns the runtime of one VM.
func New(host Host, cfg Config) *Runtime {
	vm := api.New(host, cfg)
	return &Runtime{vm: vm, threads: threads.Of(vm), sig: threads.SignalsOf(vm)}
}

// Open registers sockrun's modules in L, the VM's main state: the
// registry's modules, assembled from the packages imported above.
func (rt *Runtime) Open(L *lua.LState) { rt.vm.Open(L) }

// SetObserver attaches o to the runtime's call path (nil detaches). Call it
// before the script runs.
func (rt *Runtime) SetObserver(o Observer) { rt.vm.SetObserver(o) }

// CloseAll closes every socket and file the script left open (a file's
// buffer written first) and returns how many sockets there were. It is
// safe to call from any goroutine.
func (rt *Runtime) CloseAll() int { return rt.vm.CloseAll() }

// Rewatch makes every open socket's waits end when ctx is done, for a host
// that replaced its context (the prompt's, after a Ctrl-C ended the old
// one). It is called with the interpreter lock held.
func (rt *Runtime) Rewatch(ctx context.Context) {
	rt.vm.Group().Rewatch(ctx)
	rt.sig.Rebase()
}

// SocketStats are the counts of the VM's sockets (core.Stats), read from
// any goroutine without the interpreter lock.
func (rt *Runtime) SocketStats() SocketStats { return rt.vm.Group().Stats() }

// SocketStats are the counts of a VM's sockets: open, accepted, bytes.
type SocketStats = core.Stats

// CallCounts are the counts of every registered function's calls and
// errors in the VM (api.VM.CallCounts), nil unless Config.CountCalls.
func (rt *Runtime) CallCounts() []*CallCount { return rt.vm.CallCounts() }

// CallCount is the count of one function's calls and errors in a VM.
type CallCount = api.CallCount

// NoErrno is the errno label of an error that has none (a misuse).
const NoErrno = api.NoErrno

// OpenSockets is the number of sockets the script has open.
func (rt *Runtime) OpenSockets() int { return rt.vm.Group().Len() }

// Leaks are the sockets the garbage collector closed because the script
// lost them without closing them, as Python's ResourceWarning lists.
func (rt *Runtime) Leaks() []core.Leak { return rt.vm.Group().Leaks() }

// Report writes what the script left when it ended (api.VM.Report). Call
// it with the interpreter lock held, before the run closes what is left.
func (rt *Runtime) Report(w io.Writer, who string) {
	rt.vm.Report(w, who, rt.threads.Running())
}

// ThreadID is the id of the script thread L runs in: 1 for the main
// chunk, as t:id() says. Call it with the interpreter lock held.
func (rt *Runtime) ThreadID(L *lua.LState) int { return rt.vm.ThreadID(L) }

// ConstArg is the name a script would write for argument i of the call
// ev, when its parameter takes a family of constants (api.ConstArg).
func ConstArg(ev *CallEvent, i int) string { return api.ConstArg(ev, i) }

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

// DropInterrupt forgets a KeyboardInterrupt delivered to the main thread
// and not raised (threads.Signals.DropInterrupt).
func (rt *Runtime) DropInterrupt() { rt.sig.DropInterrupt() }

// MainRunning tells the runtime whether the main chunk is running.
func (rt *Runtime) MainRunning(running bool) { rt.sig.MainRunning(running) }

// MarkPreempt asks the main thread's Lua code to call the host's preempt
// at its next instruction (threads.Signals.MarkPreempt).
func (rt *Runtime) MarkPreempt() { rt.sig.MarkPreempt() }

// SetPreempt sets the host's hand-over of the interpreter lock between two
// instructions of the main thread (threads.Signals.SetPreempt).
func (rt *Runtime) SetPreempt(preempt func(L *lua.LState)) { rt.sig.SetPreempt(preempt) }

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

// LogFormat, Message, ListenFD and Notifier: sockrun's own messages in
// the run's format (--log-format), and what a service manager hands the
// run (api's).
type (
	LogFormat = api.LogFormat
	Message   = api.Message
	ListenFD  = api.ListenFD
	Notifier  = api.Notifier
)

// The log formats.
const (
	LogText = api.LogText
	LogJSON = api.LogJSON
)

// ParseLogFormat reads a --log-format value.
func ParseLogFormat(s string) (LogFormat, error) { return api.ParseLogFormat(s) }

// Stream is a writer the scripts write to (standard output and error), as
// the runner's own writers that share it reach it: the trace writes to
// standard error through the Stream print and io.stderr:write use, so
// that its lines stay in order with theirs and never hold the
// interpreter lock while the reader stalls.
type Stream = api.Stream

// StreamOf returns the Stream that writes to w.
func StreamOf(w io.Writer) *Stream { return api.StreamOf(w) }

// FormatBytes is n bytes as a person reads it: "512 MiB", "1.5 GiB".
func FormatBytes(n int64) string { return base.FormatBytes(n) }

// EditDistance is the edit distance between a and b, a swap of two
// adjacent bytes counting as one edit (api.EditDistance).
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

// LuaLSConstantsFile is the file of the modules' constants in the LuaLS
// definitions.
const LuaLSConstantsFile = api.LuaLSConstantsFile

// LuaLSConstants returns constants.lua of the LuaLS definitions.
func LuaLSConstants() []byte { return api.LuaLSConstants() }

// LuaLSFile is one file of the LuaLS definitions.
type LuaLSFile = api.LuaLSFile

// LuaLSFiles are the LuaLS definitions, generated from the registry.
func LuaLSFiles() []LuaLSFile { return api.LuaLSFiles() }

// LuaLSCommand is how the committed definitions are made again.
const LuaLSCommand = api.LuaLSCommand

// ConstantDoc is one line on what the constant name of module is.
func ConstantDoc(module, name string) string { return api.ConstantDoc(module, name) }
