package api

import (
	"slices"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// The call path's counts (--metrics): with Config.CountCalls, every
// registered function of the VM is bound through a counter of its own, made
// when the VM opens: one atomic add per call, and on a raise the error's
// errno name counted under a small lock of the counter's own. They are
// read from any goroutine (a scrape), never under the interpreter lock.

// CallCount is the count of one registered function's calls in one VM,
// and of the errors they raised by errno name.
type CallCount struct {
	// Function names the function as the metrics label it:
	// "socket.socket" for a module function, "socket:recv" for a method
	// (its type's name, then the method's).
	Function string
	calls    atomic.Int64

	mu   sync.Mutex
	errs map[string]int64
}

// NoErrno is the errno label of an error that has none: a bad argument or
// another misuse, raised as a message.
const NoErrno = "none"

// Calls is how many times the function was called.
func (c *CallCount) Calls() int64 { return c.calls.Load() }

// Errors are the errors its calls raised, by errno name (NoErrno for
// errors that have none).
func (c *CallCount) Errors() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) == 0 {
		return nil
	}
	errs := make(map[string]int64, len(c.errs))
	for k, n := range c.errs {
		errs[k] = n
	}
	return errs
}

// raised counts an error the call raised: r is what it panicked with.
func (c *CallCount) raised(r any) {
	name := NoErrno
	if apiErr, ok := r.(*lua.ApiError); ok {
		if t, ok := apiErr.Object.(*lua.LTable); ok {
			if s, ok := t.RawGetString("name").(lua.LString); ok && s != "" {
				name = string(s)
			}
		}
	}
	c.mu.Lock()
	if c.errs == nil {
		c.errs = map[string]int64{}
	}
	c.errs[name]++
	c.mu.Unlock()
}

// counted is fn counted by c.
func (c *CallCount) counted(fn lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		c.calls.Add(1)
		done := false
		defer func() {
			if done {
				return
			}
			// A raise is a panic; runtime.Goexit (os.exit) recovers nil
			// and goes on exiting.
			if r := recover(); r != nil {
				c.raised(r)
				panic(r)
			}
		}()
		n := fn(L)
		done = true
		return n
	}
}

// callCounts are a VM's CallCounts, one per registered function bound.
type callCounts struct {
	mu     sync.Mutex
	counts []*CallCount
}

// add makes the count of function.
func (cc *callCounts) add(function string) *CallCount {
	c := &CallCount{Function: function}
	cc.mu.Lock()
	cc.counts = append(cc.counts, c)
	cc.mu.Unlock()
	return c
}

// CallCounts are the counts of every function the VM bound, nil unless
// Config.CountCalls. Safe from any goroutine; the caller may read them,
// not change the slice.
func (vm *VM) CallCounts() []*CallCount {
	vm.counts.mu.Lock()
	defer vm.counts.mu.Unlock()
	return slices.Clip(vm.counts.counts)
}

// countName is how the metrics name f, of module m and type ty (nil for a
// module function).
func countName(m *Module, ty *Type, f *Func) string {
	if ty != nil {
		return ty.Name + ":" + f.Name
	}
	return m.Name + "." + f.Name
}
