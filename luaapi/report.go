package luaapi

import (
	"fmt"
	"io"
	"sort"
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

// noteClose records, before s is closed by the script, the bytes it
// received that nothing read. Called with the lock held.
func (rt *Runtime) noteClose(s *Socket) {
	if n := s.Buffered(); n > 0 && !s.IsClosed() {
		rt.unread.sockets++
		rt.unread.bytes += n
	}
}

// Report writes what the script left when it ended: sockets never closed
// (with where each was made when --report was on from the start), sockets
// the garbage collector closed, bytes received that nothing read,
// datagrams cut short, threads still running, timeouts hit. It writes
// nothing when there is nothing to say but "all clean". Call it with the
// interpreter lock held, before the run closes what is left.
func (rt *Runtime) Report(w io.Writer, who string) {
	var b strings.Builder
	type open struct{ what, where string }
	var left []open
	unread := rt.unread
	rt.group.Each(func(s *core.Socket, where string) {
		what := describeSocket(s)
		if n := s.Buffered(); n > 0 {
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
	leaks := rt.group.Leaks()
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
		fmt.Fprintf(&b, "  unread bytes in receive buffers: %d bytes on %d sockets (received, never read by the script)\n", unread.bytes, unread.sockets)
	}
	fmt.Fprintf(&b, "  datagrams cut short by a read smaller than them: %d\n", rt.group.Truncated())
	var running []string
	for _, t := range rt.threads.byL {
		desc := fmt.Sprintf("thread %d", t.id)
		if t.label != "" {
			desc += " (" + t.label + ")"
		}
		running = append(running, desc)
	}
	sort.Strings(running)
	if len(running) == 0 {
		b.WriteString("  threads still running: none\n")
	} else {
		fmt.Fprintf(&b, "  threads still running: %d: %s\n", len(running), strings.Join(running, ", "))
	}
	fmt.Fprintf(&b, "  timeouts hit: %d\n", rt.group.Timeouts())
	if !rt.cfg.Report {
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
	kind := constName(core.TypeName, s.Type())
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
