package pysocket

import (
	"fmt"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// The select module is Python's select.select. Lua 5.1 already has a base
// function named select (select('#', ...), select(n, ...)), and Python's
// module is also called select: the global stays Lua's function (a
// script's type(select) is "function", as in Lua 5.1), and the module is
// what require "select" returns, as Python's import select. The module's
// table can be called as Lua's select, so that a script that shadows the
// global with it (local select = require "select") keeps both.

func init() {
	api.Register(&api.Module{
		Name:    "select",
		Network: true,
		Kind:    api.RequireOnly,
		New:     func(vm *api.VM) any { return vm.Instance(socketModule) },
		Summary: "Python's select module (`local select = require \"select\"`); it can be called as Lua's base function `select`: `select(\"#\", ...)` works",
		Doc:     "docs/threads.md",
		Funcs: []api.Func{
			api.Method("select", "select.select(rlist, wlist, xlist [, timeout])", "waits until sockets are ready; returns the ready ones of each list", (*Module).selectSelect).
				Generic("T").Does(api.Waits).Params(api.T("T[]"), api.T("T[]"), api.T("T[]"), api.Timeout).
				Returns(api.T("T[]").Named("readable"), api.T("T[]").Named("writable"), api.T("T[]").Named("exceptional")),
		},
		Setup:    setupSelect,
		Callable: `fun(n: integer|"#", ...: any): any`,
	})
}

// setupSelect makes the select module callable as Lua's base select, the
// global.
func setupSelect(_ any, L *lua.LState, mod *lua.LTable) {
	base := L.GetGlobal("select")
	if t, ok := base.(*lua.LTable); ok {
		// Loaded again after the global was replaced: reuse what it wraps.
		if mt, ok := L.GetMetatable(t).(*lua.LTable); ok {
			base = mt.RawGetString("__base")
		}
	}
	mt := L.NewTable()
	mt.RawSetString("__base", base)
	mt.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		// select(...) as Lua's base function: drop the table itself.
		fn, ok := base.(*lua.LFunction)
		if !ok {
			api.Misuse(L, "select: Lua's base select function is not available")
		}
		L.Remove(1)
		L.Insert(fn, 1)
		L.Call(L.GetTop()-1, lua.MultRet)
		return L.GetTop()
	}))
	L.SetMetatable(mod, mt)
}

// selectEntry is one element of one of select's three lists.
type selectEntry struct {
	v    lua.LValue // the element, returned as is
	s    *Socket
	slot int // its index in the poll set
}

// selectSelect is select.select(rlist, wlist, xlist [, timeout]), as
// Python's: waits until some sockets of rlist are readable, of wlist
// writable or of xlist have urgent data, and returns those three lists
// (new tables of the same socket objects, in their input order). timeout is
// seconds (0: just look, nil: wait as long as it takes); when it passes
// the three lists are empty. A socket with buffered received data counts
// as readable, as does one with datagrams read ahead. A closed socket
// raises EBADF. The interpreter lock is
// released while it waits; there is no limit on the number of sockets.
func (py *Module) selectSelect(L *lua.LState) int {
	timeout := api.CheckTimeout(L, 4, "select", 0)
	var lists [3][]selectEntry
	var fds []unix.PollFd
	slots := map[int]int{} // fd → index in fds
	buffered := false
	for k := range lists {
		v := L.Get(k + 1)
		if v == lua.LNil {
			continue
		}
		t, ok := v.(*lua.LTable)
		if !ok {
			api.ArgError(L, k+1, "select", "table of sockets expected, got "+api.TypeName(v))
		}
		n := t.Len()
		lists[k] = make([]selectEntry, 0, n)
		for i := 1; i <= n; i++ {
			e := t.RawGetInt(i)
			s := SocketOf(e)
			if s == nil {
				api.ArgError(L, k+1, "select", fmt.Sprintf("socket expected at index %d, got %s", i, api.TypeName(e)))
			}
			fd := s.FD()
			if fd < 0 {
				py.vm.Raise(L, unix.EBADF, "select", "")
			}
			slot, ok := slots[fd]
			if !ok {
				slot = len(fds)
				slots[fd] = slot
				fds = append(fds, unix.PollFd{Fd: int32(fd)})
			}
			fds[slot].Events |= core.PollWant[k]
			if k == 0 && s.Readable() {
				buffered = true
			}
			lists[k] = append(lists[k], selectEntry{v: e, s: s, slot: slot})
		}
	}
	if buffered {
		timeout = 0 // something is ready already: only look at the rest
	}

	err := core.Poll(py.vm, L, fds, timeout, func() bool { return anyClosed(lists) })
	py.vm.RaiseIfInterrupted(L, "select")
	if err != nil {
		py.vm.Raise(L, err, "select", "")
	}
	for k, list := range lists {
		ready := L.CreateTable(len(list), 0)
		for _, e := range list {
			// A socket closed by another thread while select waited is
			// ready: the next call on it raises EBADF.
			if fds[e.slot].Revents&core.PollReady[k] != 0 || e.s.IsClosed() ||
				(k == 0 && e.s.Readable()) {
				ready.Append(e.v)
			}
		}
		L.Push(ready)
	}
	return 3
}

// anyClosed reports whether a socket of the lists has been closed. It
// reads only the sockets' atomic closed flags, so it may run unlocked.
func anyClosed(lists [3][]selectEntry) bool {
	for _, list := range lists {
		for _, e := range list {
			if e.s.IsClosed() {
				return true
			}
		}
	}
	return false
}
