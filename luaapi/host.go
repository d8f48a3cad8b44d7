// Package luaapi is what sockrun's scripts see: the socket module and the
// other script modules. It never imports the runner; it reaches the host
// (the interpreter lock, threads, the run's context, standard streams)
// through the Host interface.
package luaapi

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
)

// Host is what the runner gives the script modules.
//
// The interpreter lock: Lua values may be touched only by the goroutine
// holding it. A Go function called from Lua holds it on entry. Before any
// call that may block it calls Unlock, does the blocking work touching no Lua
// value, then calls Lock before it pushes results.
type Host interface {
	// Context is the run's context: done when the run is interrupted
	// (SIGTERM, os.exit, the end of the run) or over.
	Context() context.Context
	// Unlock releases the interpreter lock held by L's thread.
	Unlock(L *lua.LState)
	// Lock takes the interpreter lock back for L's thread and makes L the
	// VM's current thread.
	Lock(L *lua.LState)
	// Go starts a new script thread: body runs on its own goroutine, with a
	// new Lua thread state of L's VM and the interpreter lock held. The run
	// does not end before body has returned.
	Go(L *lua.LState, body func(co *lua.LState))
	// Exit ends the whole run with code, as os.exit does. It does not return.
	Exit(L *lua.LState, code int)
	// Stdout and Stderr are the run's standard output and error.
	Stdout() io.Writer
	Stderr() io.Writer
	// Stdin is the run's standard input.
	Stdin() io.Reader
	// Checkpoint is called with the lock held at every call into sockrun:
	// if another thread has waited for the lock past the switch interval,
	// it hands the lock over and takes it back in turn (fair threads).
	Checkpoint(L *lua.LState)
	// SwitchInterval is how long a thread may keep the lock while others
	// wait for it; SetSwitchInterval sets it (positive).
	SwitchInterval() time.Duration
	SetSwitchInterval(d time.Duration)
}

// Config is the part of sockrun's configuration that scripts see, as plain
// values.
type Config struct {
	// DefaultTimeout is the timeout new sockets get, as Python's
	// socket.setdefaulttimeout: nil blocks (Python's None), zero makes them
	// non-blocking, positive is a deadline for each call.
	DefaultTimeout *time.Duration
	// Version is sockrun's version, seen as sockrun.version.
	Version string
	// Vars are the script parameters (--var key=value), seen as the vars table.
	Vars map[string]string
	// Worker is this VM's number (1..Workers) when several VMs run the script.
	Worker, Workers int
	// ReusePort makes every listening socket SO_REUSEPORT (worker mode).
	ReusePort bool
	// Args are the script path (arg[0]) and its arguments.
	Args []string
	// Interpreter is the command line before the script, arg's negative
	// indices as lua sets them: the program, then its options.
	Interpreter []string
	// Report keeps what a leak report needs: where each socket was made
	// (--report).
	Report bool
	// NoExplain turns off the explanations under errors and the notes
	// (--explain=false).
	NoExplain bool
	// LuaSocketDebug gives the LuaSocket face the behaviour of LuaSocket
	// built with LUASOCKET_DEBUG (socket._DEBUG, and the time taken as the
	// last result of receive and send), which LuaSocket's own tests need.
	LuaSocketDebug bool
	// MaxMemory is limits.max_memory in bytes (0: none): string.rep
	// refuses a result that would not fit in it.
	MaxMemory int64
	// MaxConnections is limits.max_connections (0: none): past it,
	// accept waits until a connection it made closes.
	MaxConnections int
	// MaxThreads is limits.max_threads (0: none): thread.spawn raises
	// past it.
	MaxThreads int
	// MaxRecv is limits.max_recv (0: core.DefaultMaxRecv): the most bytes
	// one recv, recvfrom or io.read returns, and asks of the system.
	MaxRecv int
	// Shared is the run's key-value store, common to every worker (the
	// shared module); nil gives this VM a store of its own.
	Shared *SharedStore
}

// Runtime is one VM's script-facing state: its host, its configuration and
// the sockets its script has open. The host closes what is left with
// CloseAll when the run ends, since gopher-lua has no __gc.
type Runtime struct {
	host Host
	cfg  Config

	// group holds the script's sockets (weakly: an unreachable socket is
	// closed when collected) and interrupts their waits when the run ends.
	group *core.Group

	stdin *lineReader

	threads threads

	// defaultTimeout is what new sockets get (socket.setdefaulttimeout).
	defaultTimeout time.Duration

	// stdio is the standard io table's own functions (base.go).
	stdio stdio

	// observer sees every call of a registered function (callpath.go).
	observer Observer

	// unread counts what the script's close calls threw away (report.go).
	unread droppedUnread

	// hosts caches address texts and parses (addr.go).
	hosts hostCache

	// noted are the kinds of note already printed (explain.go).
	noted map[string]bool

	// socketMetas are the metatables of sockets, one per kind (sockobj.go).
	socketMetas map[socketMetaKey]*lua.LTable

	// sig is how signals reach the main thread (signal.go).
	sig *signals
	// mainRunning is set while the main chunk runs.
	mainRunning atomic.Bool
}

// New returns the runtime of one VM.
func New(host Host, cfg Config) *Runtime {
	if cfg.Workers < 1 {
		cfg.Workers, cfg.Worker = 1, 1
	}
	timeout := time.Duration(-1)
	if cfg.DefaultTimeout != nil {
		timeout = *cfg.DefaultTimeout
	}
	if cfg.Shared == nil {
		cfg.Shared = NewSharedStore()
	}
	rt := &Runtime{host: host, cfg: cfg, group: core.NewGroup(host.Context()), defaultTimeout: timeout}
	rt.sig = newSignals(rt)
	rt.group.SetMaxAccepted(cfg.MaxConnections)
	rt.group.SetMaxRecv(cfg.MaxRecv)
	return rt
}

// Lock implements core.Host: takes the interpreter lock back for c's
// thread (a *lua.LState) through the host.
func (rt *Runtime) Lock(c core.Caller) { rt.host.Lock(c.(*lua.LState)) }

// Unlock implements core.Host: releases the interpreter lock held by c's
// thread through the host.
func (rt *Runtime) Unlock(c core.Caller) { rt.host.Unlock(c.(*lua.LState)) }

// Context implements core.Host: the run's context.
func (rt *Runtime) Context() context.Context { return rt.host.Context() }

// CloseAll closes every socket the script left open and returns how many
// there were. It is safe to call from any goroutine.
func (rt *Runtime) CloseAll() int { return rt.group.CloseAll() }

// Rewatch makes every open socket's waits end when ctx is done, for a host
// that replaced its context (the prompt's, after a Ctrl-C ended the old
// one). It is called with the interpreter lock held.
func (rt *Runtime) Rewatch(ctx context.Context) {
	rt.group.Rewatch(ctx)
	rt.sig.rebase()
}

// OpenSockets is the number of sockets the script has open.
func (rt *Runtime) OpenSockets() int { return rt.group.Len() }

// Leaks are the sockets the garbage collector closed because the script
// lost them without closing them, as Python's ResourceWarning lists.
func (rt *Runtime) Leaks() []core.Leak { return rt.group.Leaks() }
