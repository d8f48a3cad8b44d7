package core

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"weak"

	"golang.org/x/sys/unix"
)

// Group is the sockets of one run, held weakly: the run closes what is
// left when it ends, one registration with the run's context wakes every
// waiting call when the run is interrupted, and a socket the script can no
// longer reach is closed when the garbage collector finds it, as Python's
// collector closes an unreachable socket (its ResourceWarning: Leaks).
type Group struct {
	mu        sync.Mutex
	live      map[weak.Pointer[Socket]]string // each open socket, with where it was made
	leaks     []Leak
	collected int
	stop      func() bool

	// Counts for the report: calls that ran past their deadline, and
	// datagrams a read cut short.
	timeouts, truncated atomic.Int64

	// Counts for the metrics (--metrics), read from any goroutine: the
	// bytes the group's sockets handed to the script and sent, the
	// sockets accept made in all, and the sockets made in all.
	received, sent, acceptedTotal, opened atomic.Int64

	// accepted counts the open sockets accept made; past maxAccepted
	// (limits.max_connections, 0: none) accept waits until one closes.
	// changed is closed (and replaced) when one does.
	accepted, maxAccepted int
	changed               chan struct{}

	// maxRecv is the most bytes one read of the group's sockets asks of
	// the transport (limits.max_recv); set before any socket is added.
	maxRecv int

	// scratch is a buffer of readAhead bytes that a plain recv of any of
	// the group's sockets reads into while it holds the interpreter lock
	// (fill), and copies out of before it releases it: such a read
	// takes no pooled buffer and gives none back. Touched only with the
	// lock held; made with the group's first stream socket (not zeroed:
	// resident only as far as reads have filled it).
	scratch *[]byte

	// dgramSpare is a batch of datagrams (dgram.go) kept for the next
	// batch read, by a read that holds the lock: one per VM, rather than
	// a trip through the pool for each batch. Touched only with the lock
	// held.
	dgramSpare *dgramBuf
}

// dgramSpare is where s's group keeps its spare batch, nil for a socket in
// no group. The lock is held.
func (s *Socket) dgramSpare() **dgramBuf {
	if s.group == nil {
		return nil
	}
	return &s.group.dgramSpare
}

// SetMaxRecv sets the most bytes one read of the group's sockets asks of
// the transport (limits.max_recv, clamped by ClampMaxRecv). Call it
// before the group has sockets.
func (g *Group) SetMaxRecv(n int) { g.maxRecv = ClampMaxRecv(n) }

// SetMaxAccepted sets how many sockets made by accept may be open at once
// (0: no limit); past it, accept waits until one closes.
func (g *Group) SetMaxAccepted(n int) {
	g.mu.Lock()
	g.maxAccepted = n
	g.mu.Unlock()
}

// Accepted is the count of open sockets accept made.
func (g *Group) Accepted() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.accepted
}

// roomToAccept reports whether accept may make another socket, and if not,
// a channel closed when a socket accept made closes.
func (g *Group) roomToAccept() (bool, <-chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.maxAccepted <= 0 || g.accepted < g.maxAccepted {
		return true, nil
	}
	if g.changed == nil {
		g.changed = make(chan struct{})
	}
	return false, g.changed
}

// acceptedGone counts an accepted socket out; g.mu is held.
func (g *Group) acceptedGone() {
	g.accepted--
	if g.changed != nil {
		close(g.changed)
		g.changed = nil
	}
}

// Timeouts is how many calls on the group's sockets ran past their
// deadline (a timeout raised or returned).
func (g *Group) Timeouts() int64 { return g.timeouts.Load() }

// Truncated is how many datagrams reads on the group's sockets cut short.
func (g *Group) Truncated() int64 { return g.truncated.Load() }

// Stats are a group's counts as the metrics (--metrics) read them, from
// any goroutine, without the interpreter lock.
type Stats struct {
	// Open is the sockets open now, Accepted those of them accept made.
	Open, Accepted int
	// Opened and AcceptedTotal are the sockets made and accepted in all.
	Opened, AcceptedTotal int64
	// Received and Sent are the bytes the sockets' calls handed to the
	// script and sent, in all.
	Received, Sent int64
}

// Stats are the group's counts now.
func (g *Group) Stats() Stats {
	g.mu.Lock()
	st := Stats{Open: len(g.live), Accepted: g.accepted}
	g.mu.Unlock()
	st.Opened, st.AcceptedTotal = g.opened.Load(), g.acceptedTotal.Load()
	st.Received, st.Sent = g.received.Load(), g.sent.Load()
	return st
}

// Leak is a socket the garbage collector closed: the script lost every
// reference to it without closing it.
type Leak struct {
	// Where is the script's file:line that made it, if known.
	Where string
	// What describes it: "SOCK_STREAM fd=7".
	What string
}

// NewGroup returns an empty group whose sockets are interrupted when ctx
// is done.
func NewGroup(ctx context.Context) *Group {
	g := &Group{live: map[weak.Pointer[Socket]]string{}, maxRecv: DefaultMaxRecv}
	g.stop = context.AfterFunc(ctx, g.interruptAll)
	return g
}

// cleanupArg is what the cleanup of a collected socket needs: never the
// socket itself.
type cleanupArg struct {
	g        *Group
	wp       weak.Pointer[Socket]
	file     *os.File
	what     string
	where    string
	accepted bool
}

// Add puts s, just made by Open, Init, Accept or Adopt, in the group;
// where is the script's file:line that made it ("" if not known). s
// leaves the group when it is closed, or when it is collected.
func (g *Group) Add(s *Socket, where string) {
	wp := weak.Make(s)
	s.group = g
	if g.scratch == nil && s.stype == unix.SOCK_STREAM {
		b := newBuf(readAhead)
		g.scratch = &b
	}
	g.mu.Lock()
	g.live[wp] = where
	if s.accepted {
		g.accepted++
		g.acceptedTotal.Add(1)
	}
	g.opened.Add(1)
	g.mu.Unlock()
	runtime.AddCleanup(s, collect, cleanupArg{g, wp, s.file, describe(s), where, s.accepted})
}

// collect runs after an unreachable socket was collected: if the script
// had not closed it, it is closed now and recorded as a leak.
func collect(a cleanupArg) {
	a.g.mu.Lock()
	_, open := a.g.live[a.wp]
	if open {
		delete(a.g.live, a.wp)
		a.g.leaks = append(a.g.leaks, Leak{Where: a.where, What: a.what})
		a.g.collected++
		if a.accepted {
			a.g.acceptedGone()
		}
	}
	a.g.mu.Unlock()
	if open {
		a.file.Close()
	}
}

// remove takes s out of the group; Close calls it.
func (g *Group) remove(s *Socket) {
	g.mu.Lock()
	wp := weak.Make(s)
	if _, ok := g.live[wp]; ok {
		delete(g.live, wp)
		if s.accepted {
			g.acceptedGone()
		}
	}
	g.mu.Unlock()
}

// sockets are the group's sockets still reachable.
func (g *Group) sockets() []*Socket {
	g.mu.Lock()
	defer g.mu.Unlock()
	list := make([]*Socket, 0, len(g.live))
	for wp := range g.live {
		if s := wp.Value(); s != nil {
			list = append(list, s)
		}
	}
	return list
}

// Rewatch makes the group's sockets interrupted when ctx is done, in place
// of the context it watched: for a host whose context is replaced once it
// was cancelled (the prompt's, after a Ctrl-C). The interrupt left the
// sockets' deadlines in the past: the next call in each direction sets the
// one it needs. The caller holds the interpreter lock.
func (g *Group) Rewatch(ctx context.Context) {
	g.mu.Lock()
	g.stop()
	g.stop = context.AfterFunc(ctx, g.interruptAll)
	g.mu.Unlock()
	for _, s := range g.sockets() {
		s.armed = [2]bool{true, true}
	}
}

// interruptAll wakes every call waiting on a socket of the group: the
// run's context is done. A call that starts waiting later sees the
// context done first, so no wait outlives the run.
func (g *Group) interruptAll() {
	for _, s := range g.sockets() {
		s.interrupt()
	}
}

// CloseAll closes every socket of the group still open and returns how
// many there were. Safe from any goroutine.
func (g *Group) CloseAll() int {
	list := g.sockets()
	for _, s := range list {
		s.Close()
	}
	return len(list)
}

// Len is the count of sockets of the group still open.
func (g *Group) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.live)
}

// Each calls f for each socket of the group still open.
func (g *Group) Each(f func(s *Socket, where string)) {
	g.mu.Lock()
	type pair struct {
		s     *Socket
		where string
	}
	var list []pair
	for wp, where := range g.live {
		if s := wp.Value(); s != nil {
			list = append(list, pair{s, where})
		}
	}
	g.mu.Unlock()
	for _, p := range list {
		f(p.s, p.where)
	}
}

// ShareDatagrams makes s, a socket on descriptor fd or a duplicate of it,
// share the datagrams read ahead by the group's socket on fd, if there is
// one (Socket.Share): reads of either take them first, in order.
func (g *Group) ShareDatagrams(s *Socket, fd int) {
	g.Each(func(o *Socket, _ string) {
		if o != s && o.FD() == fd {
			s.Share(o)
		}
	})
}

// Leaks are the sockets the garbage collector closed, in the order it
// found them.
func (g *Group) Leaks() []Leak {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Leak(nil), g.leaks...)
}

// describe is s for a leak report: its type and descriptor.
func describe(s *Socket) string {
	kind := "socket"
	switch s.stype {
	case unix.SOCK_STREAM:
		kind = "SOCK_STREAM"
	case unix.SOCK_DGRAM:
		kind = "SOCK_DGRAM"
	}
	return kind + " fd=" + strconv.Itoa(s.fd)
}
