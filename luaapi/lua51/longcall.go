package lua51

import (
	lua "github.com/yuin/gopher-lua"
)

// Long calls. A script's threads share one interpreter lock, and a
// built-in holds it from its call to its return: one that runs long
// (table.sort with a comparator, a concatenation of hundreds of megabytes)
// would freeze every other thread of the script meanwhile, and one that
// allocates much could take the machine's memory before anything stops
// it. So the library functions that may do either ask the Host, when the
// program running them gave one (Options.Host):
//
//   - between callbacks into Lua, and every so many steps of a long loop,
//     Checkpoint: the host may hand the lock to a thread that has waited
//     past its switch interval, and take it back in turn;
//   - before making a string of BigString bytes or more, Reserve: the host
//     may refuse it (Lua's "not enough memory", with the limit);
//   - to copy such a string, which touches no Lua value, Unlock and Lock:
//     the other threads run meanwhile.

// Host is what the Lua layer asks of the program running it for the
// built-ins that run long or make large strings. Each method is called by
// the thread holding the interpreter lock, with L its state.
type Host interface {
	// Checkpoint hands the interpreter lock over if another thread has
	// waited for it past the switch interval, and takes it back in turn.
	Checkpoint(L *lua.LState)
	// Unlock releases the interpreter lock; Lock takes it back. Nothing
	// Lua may be touched between them.
	Unlock(L *lua.LState)
	Lock(L *lua.LState)
	// Reserve is asked before a string of n bytes (n >= BigString) is
	// made: nil if it may be, else the error that says why not, which
	// the built-in raises. It may release the lock meanwhile (to collect
	// garbage, say).
	Reserve(L *lua.LState, n int64) error
}

// BigString is the size from which a string a built-in makes is checked
// with Host.Reserve before it is made, and copied without the lock: the
// copy of a mebibyte takes tens of microseconds, more than handing the
// lock over costs.
const BigString = 1 << 20

// hostKey is the registry field that holds the Host of a state, in a
// userdata; every thread and coroutine of the state shares the registry.
const hostKey = "sockrun.lua51.host"

func init() {
	correct("host", func(L *lua.LState, opts Options) {
		if opts.Host != nil {
			L.G.Registry.RawSetString(hostKey, &lua.LUserData{Value: opts.Host})
		}
	})
}

// HostOf is the Host of L's state, nil if it has none.
func HostOf(L *lua.LState) Host {
	if ud, ok := L.G.Registry.RawGetString(hostKey).(*lua.LUserData); ok {
		h, _ := ud.Value.(Host)
		return h
	}
	return nil
}

// Reserve raises the host's memory error if a string of n bytes may not
// be made now, with the position of the calling Lua function as
// luaL_error gives it. Sizes below BigString, and states with no host, pass
// unasked.
func Reserve(L *lua.LState, n int64) {
	if n < BigString {
		return
	}
	if h := HostOf(L); h != nil {
		if err := h.Reserve(L, n); err != nil {
			raise(L, err.Error())
		}
	}
}

// Unlocked runs work, which touches no Lua value, without the interpreter
// lock when its size (the bytes it copies) is at least BigString and L's
// state has a host; else with it.
func Unlocked(L *lua.LState, size int64, work func()) {
	if size < BigString {
		work()
		return
	}
	h := HostOf(L)
	if h == nil {
		work()
		return
	}
	h.Unlock(L)
	defer h.Lock(L)
	work()
}
