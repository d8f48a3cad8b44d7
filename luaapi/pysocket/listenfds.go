package pysocket

import (
	"context"
	"fmt"
	"sync"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// listenFDs are the listening sockets a service manager handed the run
// (socket activation), as this VM holds them: descriptors until the
// script takes them with socket.listen_fds, socket objects after.
type listenFDs struct {
	mu    sync.Mutex
	fds   []api.ListenFD
	taken bool
	// socks and names are what listen_fds returned, for a later call.
	socks []*Socket
}

// newListenFDs holds fds for the VM, and closes them when the run ends if
// the script never took them.
func newListenFDs(ctx context.Context, fds []api.ListenFD) *listenFDs {
	l := &listenFDs{fds: fds}
	if len(fds) > 0 {
		context.AfterFunc(ctx, l.closeUntaken)
	}
	return l
}

// take reports whether this is the first call, which takes the
// descriptors: later calls return the sockets it made.
func (l *listenFDs) take() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	first := !l.taken
	l.taken = true
	return first
}

func (l *listenFDs) closeUntaken() {
	if l.take() {
		for _, f := range l.fds {
			unix.Close(f.FD)
		}
	}
}

// socketListenFds is socket.listen_fds(): the listening sockets a
// service manager handed the run (systemd's socket activation,
// systemd-socket-activate: LISTEN_FDS), as socket objects, and their
// names (LISTEN_FDNAMES), in the order they were given: two lists, empty
// when the run was handed none. The first call takes them; later calls
// return the same objects. Family and type are read from each descriptor.
func (py *Module) socketListenFds(L *lua.LState) int {
	l := py.listen
	if l.take() {
		for i, f := range l.fds {
			s := &Socket{}
			if err := core.Adopt(py.vm, &s.Socket, f.FD, 0, 0, -1); err != nil {
				for _, rest := range l.fds[i:] {
					unix.Close(rest.FD)
				}
				py.vm.Raise(L, err, "listen_fds", fmt.Sprintf("inherited descriptor %d (%s)", f.FD, f.Name))
			}
			l.socks = append(l.socks, py.newSocket(L, s))
		}
	}
	socks, names := L.CreateTable(len(l.socks), 0), L.CreateTable(len(l.socks), 0)
	for i, s := range l.socks {
		socks.RawSetInt(i+1, s.ud)
		names.RawSetInt(i+1, lua.LString(l.fds[i].Name))
	}
	L.Push(socks)
	L.Push(names)
	return 2
}
