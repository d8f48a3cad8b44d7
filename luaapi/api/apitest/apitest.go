// Package apitest is what the module packages' tests run a VM with: a
// minimal Host (an interpreter lock, a context the test cancels, threads
// on goroutines) and a helper that calls a module function from Go.
//
// It may import luaapi/api and gopher-lua; only tests import it.
package apitest

import (
	"context"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
)

// Host is a minimal api.Host: an interpreter lock (Mu), a context the test
// cancels (Cancel), and threads on goroutines.
type Host struct {
	Mu       sync.Mutex
	ctx      context.Context
	Cancel   context.CancelCauseFunc
	interval atomic.Int64 // the switch interval: kept, not used
}

// NewHost returns a Host whose context the test ends with Cancel.
func NewHost() *Host {
	h := &Host{}
	h.ctx, h.Cancel = context.WithCancelCause(context.Background())
	return h
}

// Context implements api.Host.
func (h *Host) Context() context.Context { return h.ctx }

// Unlock implements api.Host.
func (h *Host) Unlock(L *lua.LState) { h.Mu.Unlock() }

// Lock implements api.Host.
func (h *Host) Lock(L *lua.LState) {
	h.Mu.Lock()
	L.G.CurrentThread = L
}

// Go implements api.Host: body runs on a goroutine holding the lock.
func (h *Host) Go(L *lua.LState, body func(co *lua.LState)) {
	co, cancel := L.NewThread()
	if cancel != nil {
		cancel()
	}
	go func() {
		h.Mu.Lock()
		defer h.Mu.Unlock()
		co.G.CurrentThread = co
		body(co)
	}()
}

// Exit implements api.Host: the calling goroutine ends.
func (h *Host) Exit(L *lua.LState, code int) { runtime.Goexit() }

// Stdout implements api.Host: output is dropped.
func (h *Host) Stdout() io.Writer { return io.Discard }

// Stderr implements api.Host: output is dropped.
func (h *Host) Stderr() io.Writer { return io.Discard }

// Stdin implements api.Host: empty.
func (h *Host) Stdin() io.Reader { return strings.NewReader("") }

// Checkpoint implements api.Host: no thread waits for the lock long.
func (h *Host) Checkpoint(L *lua.LState) {}

// SwitchInterval implements api.Host.
func (h *Host) SwitchInterval() time.Duration { return time.Duration(h.interval.Load()) }

// SetSwitchInterval implements api.Host.
func (h *Host) SetSwitchInterval(d time.Duration) { h.interval.Store(int64(d)) }

// NewState is a Lua state with the registered modules open (those of the
// packages the test binary imports), for tests that call them from Go.
// The test goroutine is the only one using it.
func NewState(t testing.TB) *lua.LState {
	t.Helper()
	h := NewHost()
	L := lua.NewState()
	vm := api.New(h, api.Config{})
	vm.Open(L)
	t.Cleanup(func() {
		h.Cancel(context.Canceled)
		vm.CloseAll()
		L.Close()
	})
	return L
}

// Call calls module.fn with args under pcall and returns its results, or
// the error it raised. A Go panic inside the call fails the test: every bad
// input must be a Lua error.
func Call(t testing.TB, L *lua.LState, module, fn string, args ...lua.LValue) ([]lua.LValue, error) {
	t.Helper()
	f := L.GetField(L.GetGlobal(module), fn)
	top := L.GetTop()
	err := L.CallByParam(lua.P{Fn: f, NRet: lua.MultRet, Protect: true}, args...)
	if err != nil {
		if apiErr, ok := err.(*lua.ApiError); ok && apiErr.Type == lua.ApiErrorPanic {
			t.Fatalf("%s.%s panicked in Go: %v", module, fn, err)
		}
		L.SetTop(top)
		return nil, err
	}
	res := make([]lua.LValue, L.GetTop()-top)
	for i := range res {
		res[i] = L.Get(top + 1 + i)
	}
	L.SetTop(top)
	return res, nil
}
