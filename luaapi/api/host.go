package api

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/sockrun/sockrun/luaapi/metricset"
	"github.com/sockrun/sockrun/luaapi/store"
	lua "github.com/yuin/gopher-lua"
)

// Host is what the runner gives the script modules, through the VM.
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

// A SwitchFlagger is a Host whose Checkpoint has something to do only while
// a flag is set: the call path looks at the flag (one load) and calls
// Checkpoint only then, rather than making an interface call into the host
// on every call of a registered function.
type SwitchFlagger interface {
	// SwitchFlag is the flag: set while another thread asks the holder
	// of the lock to hand it over.
	SwitchFlag() *atomic.Bool
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
	// refuses a result that would not fit in it. MaxMemoryNote says why
	// it is what it is when sockrun chose it ("auto: half of the
	// machine's memory"), for the messages that name it.
	MaxMemory     int64
	MaxMemoryNote string
	// MaxConnections is limits.max_connections (0: none): past it,
	// accept waits until a connection it made closes.
	MaxConnections int
	// MaxThreads is limits.max_threads (0: none): thread.spawn raises
	// past it.
	MaxThreads int
	// MaxRecv is limits.max_recv (0: core.DefaultMaxRecv): the most bytes
	// one recv, recvfrom or io.read returns, and asks of the system.
	MaxRecv int
	// CountCalls counts every registered function's calls and the errors
	// they raise (VM.CallCounts), for --metrics.
	CountCalls bool
	// Metrics are the script's metrics (the metrics module), common to
	// every worker; nil gives this VM a set of its own.
	Metrics *metricset.Set
	// Shared is the run's store, common to every worker (the shared
	// module): in the process, or Redis (shared.url); nil gives this VM
	// an in-process store of its own.
	Shared store.Store
	// ListenFDs are the listening sockets a service manager handed the
	// run (socket activation: LISTEN_FDS), this VM's own descriptors of
	// them, which socket.listen_fds gives the script; the VM closes those
	// the script never took when its run ends.
	ListenFDs []ListenFD
	// Notifier tells the service manager the run's state (sd_notify,
	// NOTIFY_SOCKET); nil when none listens.
	Notifier Notifier
	// LogFormat is how sockrun's own messages are written to standard
	// error (--log-format): LogText or LogJSON.
	LogFormat LogFormat
}

// ListenFD is a listening socket handed down by a service manager: its
// descriptor and its name (LISTEN_FDNAMES; "unknown" when not named).
type ListenFD struct {
	FD   int
	Name string
}

// Notifier tells a service manager what the run is doing, as sd_notify
// does over NOTIFY_SOCKET. Its methods may be called from any goroutine.
type Notifier interface {
	// Notify sends state, one or more KEY=value lines ("READY=1",
	// "STATUS=serving"), as the script asks.
	Notify(state string) error
	// Ready sends READY=1 unless it was sent already: the script has
	// started to serve (its first accept).
	Ready()
}
