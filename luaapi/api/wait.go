package api

import (
	"context"
	"time"

	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
)

// Await releases the interpreter lock, waits until wake is closed, timeout
// passes (negative: no timeout; a nil wake waits for the timeout alone) or
// the run is interrupted, and takes the lock back. Nothing Lua is touched
// while unlocked. The caller then looks at what it waited for and at the
// context (RaiseIfInterrupted).
func (vm *VM) Await(L *lua.LState, wake <-chan struct{}, timeout time.Duration) {
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	core.Release(vm, L, func(ctx context.Context) {
		select {
		case <-wake:
		case <-expired:
		case <-ctx.Done():
		}
	})
}

// Release runs f with the interpreter lock released and takes the lock
// back: the way a module waits for something that is not a socket (a
// store across the network). f gets the context the thread's waits watch,
// which the run's interruption ends, and must touch no Lua value. The
// caller then looks at the context (RaiseIfInterrupted).
func (vm *VM) Release(L *lua.LState, f func(ctx context.Context)) {
	core.Release(vm, L, f)
}

// RaiseIfInterrupted raises the interrupt error of op if the run is over
// (or a signal is due in the main thread).
func (vm *VM) RaiseIfInterrupted(L *lua.LState, op string) {
	if ctx := vm.CallContext(L); ctx.Err() != nil {
		vm.Raise(L, ctx.Err(), op, "")
	}
}

// Sleep is socket.sleep(seconds) and thread.sleep(seconds), named fn: it
// waits, letting other threads run; Ctrl-C ends the wait with an interrupt
// error. sleep(0) gives every thread waiting for the lock a turn before it
// returns, as Python's time.sleep(0) releases the GIL.
func (vm *VM) Sleep(L *lua.LState, fn string) {
	v := L.Get(1)
	secs, ok := v.(lua.LNumber)
	if !ok || secs < 0 || secs != secs {
		ArgError(L, 1, fn, "non-negative number expected, got "+ValueDesc(v))
	}
	if d := Seconds(float64(secs)); d > 0 {
		vm.Await(L, nil, d)
	} else {
		// The lock is fair: Unlock hands it to the first waiter and Lock
		// queues behind the rest.
		vm.host.Unlock(L)
		vm.host.Lock(L)
	}
	vm.RaiseIfInterrupted(L, fn)
}
