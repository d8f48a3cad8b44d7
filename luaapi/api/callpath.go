package api

import (
	"time"

	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
)

// The call path: every function and method in the registry runs through
// call's wrapper. It is the one place that knows each call's name, its
// arguments, its results or error and, for a socket, the socket's state
// before and after; an Observer attached with SetObserver sees all of it
// (--trace is one). With no observer, the wrapper adds one nil test and
// the host's Checkpoint, the switch-interval hand-off of fair threads:
// one load of the host's switch flag while no other thread asks for the
// lock (SwitchFlagger).

// CallEvent is one call of a registered function, as an Observer sees it.
// Its slices are the observer's to keep.
type CallEvent struct {
	// L is the calling thread's state; read it only inside Call.
	L *lua.LState
	// Module and Type name where the function lives: "socket" and
	// "socket" for sock:recv, "socket" and "" for socket.socket.
	Module, Type string
	Func         *Func
	// Traced says the call is one --trace shows: a function or method of
	// a Network module, not declared Local.
	Traced bool
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
	// Received and Sent are the bytes the call moved on Socket, whatever
	// face made it (the core counts them); EndOfStream says a read met
	// the end of the stream.
	Received, Sent int
	EndOfStream    bool
	// To is the address the call connected or sent to, when it named one,
	// as the kernel was given it (resolved: "127.0.0.1:9999" for the
	// script's {"localhost", 9999}); "" otherwise.
	To         string
	Start, End time.Time
	// traffic is the socket's count before the call.
	traffic core.Traffic
}

// StatefulSocket is a socket as the call path sees it: any face's socket
// object, through the core's state.
type StatefulSocket interface {
	// StateName is the socket's state: "CONNECTED".
	StateName() string
	// FD is the descriptor, -1 once closed.
	FD() int
	// Endpoints are the local and peer addresses as messages print them
	// ("127.0.0.1:9999", "[::1]:5000", a path), "" where there is none.
	Endpoints() (local, peer string)
	// Traffic is what the socket's calls have moved so far.
	Traffic() core.Traffic
}

// Observer sees every call of a registered function when attached to a
// VM. Call runs on the calling thread with the interpreter lock held,
// after the call has returned or raised.
type Observer interface {
	Call(ev *CallEvent)
}

// SetObserver attaches o to the VM's call path (nil detaches). Call it
// before the script runs.
func (vm *VM) SetObserver(o Observer) { vm.observer = o }

// Observer is the observer attached to the call path, nil if none.
func (vm *VM) Observer() Observer { return vm.observer }

// call is the call path's wrapper of f, a function of module m (and of
// type ty for a method), bound to inst, the instance of its module.
func (vm *VM) call(m *Module, ty *Type, f *Func, inst any) lua.LGFunction {
	fn := f.bind(inst)
	if vm.cfg.CountCalls {
		fn = vm.counts.add(countName(m, ty, f)).counted(fn)
	}
	return func(L *lua.LState) int {
		if vm.observer == nil {
			vm.checkpoint(L)
			vm.takeDue(L)
			return fn(L)
		}
		return vm.observed(L, m, ty, f, fn)
	}
}

// observed runs fn, the function of f, and tells the observer about it,
// also when fn raises.
func (vm *VM) observed(L *lua.LState, m *Module, ty *Type, f *Func, fn lua.LGFunction) (n int) {
	vm.checkpoint(L)
	vm.takeDue(L)
	ev := &CallEvent{L: L, Module: m.Name, Func: f, Traced: m.Network && !f.Quiet, Thread: vm.ThreadID(L), Start: time.Now()}
	if ty != nil {
		ev.Type = ty.Name
	}
	top := L.GetTop()
	ev.Args = make([]lua.LValue, top)
	for i := range top {
		ev.Args[i] = L.Get(i + 1)
	}
	if ty != nil && top > 0 {
		ev.Socket = SocketValue(ev.Args[0])
	} else if ty == nil {
		// A module function that takes a socket (socket.send_fds) is a
		// call on it.
		ev.Socket = SocketValue(ev.ArgWith(RoleObject))
	}
	if s := ev.Socket; s != nil {
		ev.StateBefore, ev.FDBefore = s.StateName(), s.FD()
		ev.traffic = s.Traffic()
	}
	if cs, ok := vm.observer.(CallStarter); ok {
		cs.CallStart(ev)
	}
	finish := func() {
		ev.End = time.Now()
		if s := ev.Socket; s != nil {
			ev.StateAfter = s.StateName()
			t := s.Traffic()
			// (A count that went down is a socket the call replaced:
			// LuaSocket's setfd.)
			ev.Received = int(max(t.Received-ev.traffic.Received, 0))
			ev.Sent = int(max(t.Sent-ev.traffic.Sent, 0))
			ev.EndOfStream = t.Ends > ev.traffic.Ends
			if t.Aimed > ev.traffic.Aimed && t.To != nil {
				ev.To = core.SockaddrString(t.To)
			}
		}
		vm.observer.Call(ev)
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
	n = fn(L)
	ev.Results = make([]lua.LValue, n)
	for i := range n {
		ev.Results[i] = L.Get(L.GetTop() - n + 1 + i)
	}
	finish()
	return n
}

// CallStarter is an Observer that also wants to know when a call starts,
// before it runs: CallStart gets the event with its arguments and the
// socket's state before; the same event reaches Call when the call is
// over. It runs with the interpreter lock held.
type CallStarter interface {
	CallStart(ev *CallEvent)
}

// ThreadObserver is an Observer that also sees script threads start and
// end. Both run on the thread itself (L), with the interpreter lock held:
// ThreadStart before the thread's function runs, ThreadEnd after it has
// returned (err nil) or raised (err its error value).
type ThreadObserver interface {
	ThreadStart(L *lua.LState, id int, label string)
	ThreadEnd(L *lua.LState, id int, err lua.LValue)
}
