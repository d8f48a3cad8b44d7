package api

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sockrun/sockrun/luaapi/core"
)

// The leak report (--report): what the script left when it ended, for a
// learner to act on.

// droppedUnread counts what the script's own close calls threw away: bytes
// received that nothing read. Touched under the interpreter lock.
type droppedUnread struct {
	sockets int
	bytes   int
}

// NoteUnread records n bytes received on a socket that nothing read, which
// the script's close call throws away (core.Socket.Unread: sockrun's
// buffer and the kernel's). Called with the lock held.
func (vm *VM) NoteUnread(n int) {
	if n > 0 {
		vm.unread.sockets++
		vm.unread.bytes += n
	}
}

// Report writes what the script left when it ended: sockets never closed
// (with where each was made when --report was on from the start), sockets
// the garbage collector closed, bytes received that nothing read,
// datagrams cut short, threads still running (running, as the thread
// module describes them), timeouts hit. Call it with the interpreter lock
// held, before the run closes what is left.
func (vm *VM) Report(w io.Writer, who string, running []string) {
	var b strings.Builder
	type open struct{ what, where string }
	var left []open
	unread := vm.unread
	vm.group.Each(func(s *core.Socket, where string) {
		what := describeSocket(s)
		if n := s.Unread(); n > 0 {
			what += fmt.Sprintf(", %d bytes received and not read", n)
			unread.sockets++
			unread.bytes += n
		}
		left = append(left, open{what, where})
	})
	sort.Slice(left, func(i, j int) bool { return left[i].where+left[i].what < left[j].where+left[j].what })
	fmt.Fprintf(&b, "sockrun: report%s\n", who)
	if len(left) == 0 {
		b.WriteString("  sockets never closed: none\n")
	} else {
		fmt.Fprintf(&b, "  sockets never closed: %d (sockrun closes them at exit; a long-running server should close each when done)\n", len(left))
		for _, o := range left {
			fmt.Fprintf(&b, "    %s%s\n", o.what, madeAt(o.where))
		}
	}
	leaks := vm.group.Leaks()
	if len(leaks) == 0 {
		b.WriteString("  sockets closed by the garbage collector: none\n")
	} else {
		fmt.Fprintf(&b, "  sockets closed by the garbage collector: %d (the script lost them without closing them; close them when done)\n", len(leaks))
		for _, l := range leaks {
			fmt.Fprintf(&b, "    %s%s\n", l.What, madeAt(l.Where))
		}
	}
	if unread.sockets == 0 {
		b.WriteString("  unread bytes in receive buffers: none\n")
	} else {
		fmt.Fprintf(&b, "  unread bytes in receive buffers: %d bytes on %d %s (received, never read by the script)\n", unread.bytes, unread.sockets, plural(unread.sockets, "socket", "sockets"))
	}
	fmt.Fprintf(&b, "  datagrams cut short by a read smaller than them: %d\n", vm.group.Truncated())
	running = slices.Sorted(slices.Values(running))
	if len(running) == 0 {
		b.WriteString("  threads still running: none\n")
	} else {
		fmt.Fprintf(&b, "  threads still running: %d: %s\n", len(running), strings.Join(running, ", "))
	}
	fmt.Fprintf(&b, "  timeouts hit: %d\n", vm.group.Timeouts())
	if !vm.cfg.Report {
		b.WriteString("  (where each socket was made is known when --report is given from the start)\n")
	}
	io.WriteString(w, b.String())
}

func madeAt(where string) string {
	if where == "" {
		return ""
	}
	return ", made at " + where
}

// describeSocket is a socket for the report: its type, descriptor, state
// and addresses.
func describeSocket(s *core.Socket) string {
	kind, ok := core.TypeName(s.Type())
	if !ok {
		kind = strconv.Itoa(s.Type())
	}
	what := fmt.Sprintf("%s fd=%d %s", kind, s.FD(), s.StateName())
	if sa, err := s.LocalAddr(); err == nil {
		if l := core.SockaddrString(sa); l != "" && l != "0.0.0.0:0" {
			what += " " + l
		}
	}
	if sa := s.Peer(); sa != nil {
		what += " -> " + core.SockaddrString(sa)
	}
	return what
}

// plural is one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
