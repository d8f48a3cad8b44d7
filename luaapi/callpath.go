package luaapi

import (
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The call path: every function and method in the registry runs through
// call's wrapper. It is the one place that knows each call's name, its
// arguments, its results or error and, for a socket, the socket's state
// before and after; an Observer attached with SetObserver sees all of it
// (--trace is one). With no observer, the wrapper adds one nil test and
// the host's Checkpoint, the switch-interval hand-off of fair threads.

// CallEvent is one call of a registered function, as an Observer sees it.
// Its slices are the observer's to keep.
type CallEvent struct {
	// L is the calling thread's state; read it only inside Call.
	L *lua.LState
	// Module and Type name where the function lives: "socket" and
	// "socket" for sock:recv, "socket" and "" for socket.socket.
	Module, Type string
	Func         *Func
	// Thread is the id of the script thread that made the call (1 for the
	// main chunk, as t:id()).
	Thread int
	// Args are the arguments as the script passed them (self first for a
	// method); Results what the call returned. Err is the raised value
	// when the call raised, else nil.
	Args, Results []lua.LValue
	Err           lua.LValue
	// Socket is the socket a method was called on (nil otherwise), with
	// its state and descriptor before the call and its state after.
	Socket                  StatefulSocket
	StateBefore, StateAfter string
	FDBefore                int
	Start, End              time.Time
}

// StatefulSocket is a socket as the call path sees it: any face's socket
// object, through the core's state.
type StatefulSocket interface {
	// StateName is the socket's state: "CONNECTED".
	StateName() string
	// FD is the descriptor, -1 once closed.
	FD() int
}

// Observer sees every call of a registered function when attached to a
// runtime. Call runs on the calling thread with the interpreter lock held,
// after the call has returned or raised.
type Observer interface {
	Call(ev *CallEvent)
}

// SetObserver attaches o to the runtime's call path (nil detaches). Call it
// before the script runs.
func (rt *Runtime) SetObserver(o Observer) { rt.observer = o }

// call is the call path's wrapper of f, a function of module m (and of
// type ty for a method).
func (rt *Runtime) call(m *Module, ty *Type, f *Func) lua.LGFunction {
	fn := f.Fn
	return func(L *lua.LState) int {
		if rt.observer == nil {
			rt.host.Checkpoint(L)
			rt.checkSignals(L)
			return fn(rt, L)
		}
		return rt.observed(L, m, ty, f)
	}
}

// observed runs f and tells the observer about it, also when f raises.
func (rt *Runtime) observed(L *lua.LState, m *Module, ty *Type, f *Func) (n int) {
	rt.host.Checkpoint(L)
	rt.checkSignals(L)
	ev := &CallEvent{L: L, Module: m.Name, Func: f, Thread: rt.ThreadID(L), Start: time.Now()}
	if ty != nil {
		ev.Type = ty.Name
	}
	top := L.GetTop()
	ev.Args = make([]lua.LValue, top)
	for i := range top {
		ev.Args[i] = L.Get(i + 1)
	}
	if ty != nil && top > 0 {
		if ud, ok := ev.Args[0].(*lua.LUserData); ok {
			if s, ok := ud.Value.(StatefulSocket); ok {
				ev.Socket = s
				ev.StateBefore, ev.FDBefore = s.StateName(), s.FD()
			}
		}
	}
	if cs, ok := rt.observer.(CallStarter); ok {
		cs.CallStart(ev)
	}
	finish := func() {
		ev.End = time.Now()
		if ev.Socket != nil {
			ev.StateAfter = ev.Socket.StateName()
		}
		rt.observer.Call(ev)
	}
	defer func() {
		if r := recover(); r != nil {
			if apiErr, ok := r.(*lua.ApiError); ok {
				ev.Err = apiErr.Object
			} else {
				ev.Err = lua.LString("error")
			}
			finish()
			panic(r)
		}
	}()
	n = f.Fn(rt, L)
	ev.Results = make([]lua.LValue, n)
	for i := range n {
		ev.Results[i] = L.Get(L.GetTop() - n + 1 + i)
	}
	finish()
	return n
}
