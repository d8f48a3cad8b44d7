package base

import (
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	api.Register(&api.Module{
		Name:    "sockrun",
		New:     shared,
		Summary: "about the running sockrun: its version, this worker's number, and the threads' switch interval",
		Doc:     "docs/api.md",
		Funcs: []api.Func{
			api.Method("setswitchinterval", "sockrun.setswitchinterval(seconds)", "sets how long a thread may keep the interpreter lock while others wait (Python's sys.setswitchinterval)", (*Base).sockrunSetswitchinterval).
				Params(api.Num),
			api.Method("getswitchinterval", "sockrun.getswitchinterval()", "the switch interval, in seconds", (*Base).sockrunGetswitchinterval).
				Returns(api.Num),
			api.Method("notify", "sockrun.notify(state)", "tells the service manager the run's state (sd_notify: \"READY=1\", \"STATUS=...\"); false when none listens (NOTIFY_SOCKET unset)", (*Base).sockrunNotify).
				Params(api.Str).Returns(api.Bool),
		},
		Setup: api.SetupOf((*Base).setupSockrun),
		Values: []api.Value{
			{Name: "version", Type: "string", Summary: "sockrun's version: `\"0.1.0\"`"},
			{Name: "worker", Type: "integer", Summary: "this VM's number, 1 to `workers` (`--workers N`)"},
			{Name: "workers", Type: "integer", Summary: "how many VMs run the script (`--workers N`; 1 otherwise)"},
		},
	})
}

// setupSockrun sets the module's fields: version, worker and workers.
func (m *Base) setupSockrun(L *lua.LState, mod *lua.LTable) {
	mod.RawSetString("version", lua.LString(m.version))
	mod.RawSetString("worker", lua.LNumber(m.worker))
	mod.RawSetString("workers", lua.LNumber(m.workers))
}

// sockrunNotify is sockrun.notify(state): sends state, KEY=value lines
// as sd_notify takes them ("READY=1", "STATUS=draining"), to the
// service manager listening on NOTIFY_SOCKET, and returns true; returns
// false when none listens. sockrun itself sends READY=1 at the script's
// first accept and STOPPING=1 when the run begins to stop, unless the
// script sent them already.
func (m *Base) sockrunNotify(L *lua.LState) int {
	v := L.Get(1)
	state, ok := v.(lua.LString)
	if !ok {
		api.ArgError(L, 1, "notify", "string expected, got "+api.TypeName(v))
	}
	if state == "" {
		api.ArgError(L, 1, "notify", "empty state: want KEY=value lines (\"READY=1\")")
	}
	n := m.vm.Config().Notifier
	if n == nil {
		L.Push(lua.LFalse)
		return 1
	}
	if err := n.Notify(string(state)); err != nil {
		m.vm.Raise(L, err, "notify", "NOTIFY_SOCKET")
	}
	L.Push(lua.LTrue)
	return 1
}

// minSwitchInterval is the shortest switch interval; a shorter one is
// rounded up to it, as CPython rounds to whole microseconds.
const minSwitchInterval = time.Microsecond

// sockrunSetswitchinterval is sockrun.setswitchinterval(seconds), Python's
// sys.setswitchinterval: a thread that has held the interpreter lock this
// long while others wait hands it over at its next call into sockrun.
// seconds must be a positive number. It returns nothing.
func (m *Base) sockrunSetswitchinterval(L *lua.LState) int {
	v := L.Get(1)
	secs, ok := v.(lua.LNumber)
	if !ok {
		api.ArgError(L, 1, "setswitchinterval", "number expected, got "+api.TypeName(v))
	}
	if !(secs > 0) { // also NaN
		api.ArgError(L, 1, "setswitchinterval", "switch interval must be strictly positive")
	}
	m.vm.Host().SetSwitchInterval(max(api.Seconds(float64(secs)), minSwitchInterval))
	return 0
}

// sockrunGetswitchinterval is sockrun.getswitchinterval(): the switch
// interval in seconds (0.005 unless set).
func (m *Base) sockrunGetswitchinterval(L *lua.LState) int {
	L.Push(lua.LNumber(m.vm.Host().SwitchInterval().Seconds()))
	return 1
}
