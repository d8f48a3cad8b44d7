package trace

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	lua "github.com/yuin/gopher-lua"
)

// --trace: every socket-level call of the script, as it happens, with its
// thread, descriptor, arguments, result or error, the bytes it moved and
// the socket's state before and after; thread starts and ends, lock
// hand-offs that made a thread wait, and signals. The tracer is the call
// path's observer (luaapi/callpath.go) and is told of the lock by the VM
// host and of the signals by the runner. Without --trace no observer is attached, and the call
// path and the lock run as they do untraced.
//
// Text and jsonl lines are written as they happen, one write per line, so
// lines of several threads or workers never mix. A diagram (mermaid, svg)
// is drawn from the events kept, when the run ends.

// Config is the trace part of the configuration.
type Config struct {
	// On turns tracing on (trace; also on when a trace file is given).
	On bool
	// File is where the trace goes (trace_file); "" is standard error.
	File string
	// Format is text, jsonl, mermaid or svg (trace_format); unset, it
	// follows File's extension (.jsonl, .mmd or .md, .svg), else text.
	Format string
}

// Formats are the formats a trace is written in (--trace-format).
var Formats = []string{"text", "jsonl", "mermaid", "svg"}

// Resolve is c as a run uses it: on if a file is given, and with a format
// (from the file's extension if unset, else text) that is one of Formats.
func (c Config) Resolve() (Config, error) {
	c.File = strings.TrimSpace(c.File)
	c.Format = strings.ToLower(strings.TrimSpace(c.Format))
	if c.File != "" {
		c.On = true
	}
	if c.Format == "" {
		c.Format = "text"
		switch strings.ToLower(filepath.Ext(c.File)) {
		case ".jsonl", ".json", ".ndjson":
			c.Format = "jsonl"
		case ".mmd", ".mermaid", ".md":
			c.Format = "mermaid"
		case ".svg":
			c.Format = "svg"
		}
	}
	if !slices.Contains(Formats, c.Format) {
		return c, fmt.Errorf("trace_format %q: want %s", c.Format, strings.Join(Formats, ", "))
	}
	return c, nil
}

// Tracer is a run's trace: where it goes and, for a diagram, the events
// kept until the end. Several workers share it; mu orders their writes.
type Tracer struct {
	start   time.Time
	format  string
	workers int
	title   string

	mu     sync.Mutex
	w      io.Writer // nil when only the live view watches
	file   *os.File  // the trace file, if not standard error
	closed bool
	diag   *diagram // mermaid and svg: what the diagram draws
	line   []byte   // the line being written, under mu
	// out is w as the scripts' writes to it go (luaapi.Stream): a line
	// is written at once, or queued while the reader stalls, never
	// waited for with the interpreter lock held. dropped counts the
	// lines dropped while too much was queued.
	out     *luaapi.Stream
	dropped int
	// abandoned: the reader stalled and the run gave up on it; Close
	// does not wait for it again.
	abandoned bool
	// interrupted: a signal interrupted the run (read by the VMs'
	// tracers, hence atomic).
	interrupted atomic.Bool

	// live is the live view's feed (--live), nil without it.
	live *liveFeed
}

// flushWait is how long Close waits for the lines queued for a stalled
// reader before it gives up on them.
const flushWait = 2 * time.Second

// New starts the trace of a run of script by workers VMs, or returns nil
// if tracing is off and no live view (l) watches. The trace goes to
// stderr, or to tc.File, relative to dir; tc is resolved (Config.Resolve).
// l, if not nil, is told of every event as it happens (--live), whether
// the trace is on or not.
func New(stderr io.Writer, dir string, tc Config, script string, workers int, l Listener) (*Tracer, error) {
	if !tc.On && l == nil {
		return nil, nil
	}
	t := &Tracer{start: time.Now(), format: tc.Format, workers: workers, title: script, w: stderr}
	if l != nil {
		t.live = newLiveFeed(l)
	}
	if !tc.On {
		t.w, t.format = nil, ""
		return t, nil
	}
	if tc.File != "" {
		path := tc.File
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
		t.file, t.w = f, f
	}
	t.out = luaapi.StreamOf(t.w)
	if t.format == "mermaid" || t.format == "svg" {
		t.diag = newDiagram()
	}
	return t, nil
}

// Abandon tells the trace that the reader of st stalled and the run gave
// up waiting for it: if the trace goes to st, Close will not wait again.
// A nil Tracer does nothing.
func (t *Tracer) Abandon(st *luaapi.Stream) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.abandoned = t.out == st
	t.mu.Unlock()
}

// Close ends the trace: a diagram is drawn now, and the file closed.
// Events after Close are dropped. A nil Tracer does nothing.
func (t *Tracer) Close() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.closed = true
	if t.w == nil {
		return
	}
	// A reader that stalled gets what was queued for it, if it comes
	// back in time, and no diagram.
	if !t.abandoned && t.out.Flush(flushWait) {
		switch t.format {
		case "mermaid":
			io.WriteString(t.w, t.diag.mermaid(t.file == nil || !isBareMermaid(t.file.Name())))
		case "svg":
			io.WriteString(t.w, t.diag.svg(t.title))
		}
	}
	if t.file != nil {
		t.file.Close()
	}
}

// isBareMermaid says whether a mermaid trace file gets the diagram alone,
// as .mmd files hold it, rather than in a Markdown code block.
func isBareMermaid(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".mmd" || ext == ".mermaid"
}

// traceEvent is one line of the trace; its JSON is a line of the jsonl
// format (docs/trace.md lists the fields).
type traceEvent struct {
	T           float64 `json:"t"`
	Kind        string  `json:"kind"`
	Worker      int     `json:"worker"`
	Thread      int     `json:"thread,omitempty"`
	FD          *int    `json:"fd,omitempty"`
	Call        string  `json:"call,omitempty"`
	Args        string  `json:"args,omitempty"`
	Result      string  `json:"result,omitempty"`
	Error       string  `json:"error,omitempty"`
	Bytes       *int    `json:"bytes,omitempty"`
	Preview     string  `json:"preview,omitempty"`
	FIN         bool    `json:"fin,omitempty"`
	StateBefore string  `json:"state_before,omitempty"`
	StateAfter  string  `json:"state_after,omitempty"`
	Local       string  `json:"local,omitempty"`
	Peer        string  `json:"peer,omitempty"`
	Wait        float64 `json:"wait,omitempty"`
	Detail      string  `json:"detail,omitempty"`
}

// Kinds of trace events.
const (
	kindCall        = "call"
	kindWaiting     = "waiting"
	kindThreadStart = "thread_start"
	kindThreadEnd   = "thread_end"
	kindLockWait    = "lock_wait"
	kindSignal      = "signal"
)

// since is the time of at in seconds since the trace started.
func (t *Tracer) since(at time.Time) float64 { return at.Sub(t.start).Seconds() }

// emit writes ev as its format says: a line of text or JSON, in one write.
// A diagram's events are kept by the diagram, not written.
func (t *Tracer) emit(ev *traceEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.diag != nil || t.w == nil {
		return
	}
	switch t.format {
	case "jsonl":
		b, err := json.Marshal(ev)
		if err != nil {
			return
		}
		t.line = append(append(t.line[:0], b...), '\n')
	default:
		t.line = appendTextLine(t.line[:0], ev, t.workers > 1)
	}
	if t.dropped > 0 {
		note := fmt.Appendf(nil, "sockrun: trace: %d lines dropped while the trace's reader stalled\n", t.dropped)
		if !t.out.Send(note) {
			t.dropped++
			return
		}
		t.dropped = 0
	}
	if !t.out.Send(t.line) {
		t.dropped++
	}
}

// Signal traces a signal the run received: the first (count 1)
// interrupts it, a second ends it at once. A nil Tracer does nothing.
func (t *Tracer) Signal(sig os.Signal, count int) {
	if t == nil {
		return
	}
	t.interrupted.Store(true)
	name := luaapi.SignalName(sig)
	detail := "interrupting the run"
	if count > 1 {
		detail = "exiting now"
	}
	ev := &traceEvent{T: t.since(time.Now()), Kind: kindSignal, Call: name, Detail: detail}
	t.emit(ev)
	it := item{kind: itemSignal, t: ev.T, label: name + ": " + detail}
	if t.diag != nil {
		t.diag.add(it)
	}
	if t.live != nil {
		t.live.publish(&LiveEvent{Event: ev}, liveOps{{item: it}})
	}
}

// VMTracer is the trace of one VM: the call path's observer, and the
// lock's. Its methods run with the VM's interpreter lock held, so its
// maps need no lock.
type VMTracer struct {
	t      *Tracer
	rt     *luaapi.Runtime
	worker int
	// calls are the traced calls under way, by calling state, so that a
	// call that releases the lock to wait is marked once.
	calls map[*lua.LState]*pendingCall
	// addrs are the endpoints of the sockets seen, kept while they are
	// open so that a close can be drawn between them.
	addrs map[luaapi.StatefulSocket]endpoints
	// pairs are, for each socket of a pair made together with no address
	// (socket.socketpair), the other's descriptor: its peer's name.
	pairs map[luaapi.StatefulSocket]int
	// fins are the sockets whose peer's end of stream (FIN) was traced:
	// it came once, whatever the reads after it return.
	fins map[luaapi.StatefulSocket]bool
	// For the live view only (nil without it): the run's number of each
	// socket seen, while it is open; and the calls under way the trace
	// does not show (a queue's get, a join), to tell what a thread waits
	// on.
	ids    map[luaapi.StatefulSocket]int
	others map[*lua.LState]*pendingCall
}

type pendingCall struct {
	ev     *luaapi.CallEvent
	waited bool
}

// endpoints are a socket's local and peer addresses ("" if none).
type endpoints struct{ local, peer string }

// peerName is how the trace names the peer of a call's socket: its
// address, or "fd N" for the other end of a pair that has none; "" if
// it has no peer the trace knows.
func (vt *VMTracer) peerName(ev *luaapi.CallEvent, te *traceEvent) string {
	if te.Peer != "" {
		return te.Peer
	}
	if fd, ok := vt.pairs[ev.Socket]; ok {
		return fdName(fd)
	}
	return ""
}

// fdName names a socket that has no address by its descriptor: "fd 7".
func fdName(fd int) string { return "fd " + strconv.Itoa(fd) }

// ForVM is the trace of worker's VM, made before its script starts. The
// clock starts with the first worker's, so that the time of a line is
// the script's, not sockrun's start-up.
func (t *Tracer) ForVM(worker int, rt *luaapi.Runtime) *VMTracer {
	if worker == 1 {
		t.start = time.Now() // no VM runs yet: nothing reads it meanwhile
	}
	vt := &VMTracer{t: t, rt: rt, worker: worker, calls: map[*lua.LState]*pendingCall{},
		addrs: map[luaapi.StatefulSocket]endpoints{}, pairs: map[luaapi.StatefulSocket]int{}, fins: map[luaapi.StatefulSocket]bool{}}
	if t.live != nil {
		vt.ids, vt.others = map[luaapi.StatefulSocket]int{}, map[*lua.LState]*pendingCall{}
	}
	return vt
}

// traced says whether a call is socket-level, as the registry declares it
// (api.Module.Network, api.Func.Local): the socket, ssl and select
// modules' functions and their objects' methods, but a clock.
func traced(ev *luaapi.CallEvent) bool { return ev.Traced }

// CallStart implements luaapi.CallStarter: it notes the call, for the
// waiting marker.
func (vt *VMTracer) CallStart(ev *luaapi.CallEvent) {
	if traced(ev) {
		vt.calls[ev.L] = &pendingCall{ev: ev}
	} else if vt.others != nil {
		vt.others[ev.L] = &pendingCall{ev: ev}
	}
}

// Call implements luaapi.Observer: a line for a socket-level call.
func (vt *VMTracer) Call(ev *luaapi.CallEvent) {
	if !traced(ev) {
		if vt.others != nil {
			vt.liveUntraced(ev)
		}
		return
	}
	delete(vt.calls, ev.L)
	te := vt.callEvent(ev, kindCall)
	te.T = vt.t.since(ev.End)
	vt.describeResult(ev, te)
	if vt.t.diag != nil {
		vt.draw(vt.t.diag, ev, te)
	}
	if vt.t.live != nil {
		vt.liveCall(ev, te)
	}
	if ev.Socket != nil && ev.StateAfter == "CLOSED" {
		delete(vt.addrs, ev.Socket)
		delete(vt.pairs, ev.Socket)
		delete(vt.fins, ev.Socket)
	}
	vt.t.emit(te)
}

// callEvent is the part of ev's trace event known before the call returns.
func (vt *VMTracer) callEvent(ev *luaapi.CallEvent, kind string) *traceEvent {
	te := &traceEvent{Kind: kind, Worker: vt.worker, Thread: ev.Thread}
	if ev.Type != "" {
		te.Call = ev.Func.Name
	} else {
		te.Call = ev.Module + "." + ev.Func.Name
	}
	te.Args = formatArgs(ev)
	if ev.Socket != nil {
		fd := ev.FDBefore
		te.FD = &fd
		te.StateBefore = ev.StateBefore
		te.StateAfter = ev.StateAfter
		// A call that changed the state may have changed the addresses;
		// a call under way (waiting) has no state after yet.
		changed := kind == kindCall && ev.StateBefore != ev.StateAfter
		if e, ok := vt.endpointsOf(ev.Socket, changed); ok {
			te.Local, te.Peer = e.local, e.peer
		}
	}
	return te
}

// endpointsOf is s's endpoints: as last seen, or asked of the socket if
// they were not known or (fresh) its state changed. Every face's socket
// tells them (luaapi.StatefulSocket).
func (vt *VMTracer) endpointsOf(s luaapi.StatefulSocket, fresh bool) (endpoints, bool) {
	e, ok := vt.addrs[s]
	if ok && !fresh && e.local != "" {
		return e, true
	}
	local, peer := s.Endpoints()
	if local == "" && peer == "" && ok {
		return e, true // keep what was known (a closed socket tells nothing)
	}
	e = endpoints{local, peer}
	vt.addrs[s] = e
	return e, true
}

// Unlocking is called when a thread releases the lock: if it does so in
// a traced call, the call waits, and the trace says so once.
func (vt *VMTracer) Unlocking(L *lua.LState) {
	p := vt.calls[L]
	if p == nil && vt.others != nil {
		vt.liveWaiting(L)
		return
	}
	if p == nil || p.waited {
		return
	}
	p.waited = true
	te := vt.callEvent(p.ev, kindWaiting)
	te.T = vt.t.since(time.Now())
	vt.t.emit(te)
	if vt.t.live != nil {
		vt.t.live.publish(&LiveEvent{Event: te, Socket: vt.socketID(p.ev.Socket)}, nil)
	}
}

// LockWait traces a thread that waited d for the lock: behind others
// after a call that waited, or (switched) because it handed the lock over
// after holding it a switch interval while others waited.
func (vt *VMTracer) LockWait(L *lua.LState, d time.Duration, switched bool) {
	te := &traceEvent{T: vt.t.since(time.Now()), Kind: kindLockWait, Worker: vt.worker, Thread: vt.rt.ThreadID(L), Wait: d.Seconds()}
	if switched {
		te.Detail = "switch interval"
	}
	vt.t.emit(te)
}

// ThreadStart implements luaapi.ThreadObserver.
func (vt *VMTracer) ThreadStart(L *lua.LState, id int, label string) {
	te := &traceEvent{T: vt.t.since(time.Now()), Kind: kindThreadStart, Worker: vt.worker, Thread: id, Detail: label}
	vt.t.emit(te)
	if vt.t.live != nil {
		vt.t.live.publish(&LiveEvent{Event: te}, nil)
	}
}

// ThreadEnd implements luaapi.ThreadObserver.
func (vt *VMTracer) ThreadEnd(L *lua.LState, id int, err lua.LValue) {
	te := &traceEvent{T: vt.t.since(time.Now()), Kind: kindThreadEnd, Worker: vt.worker, Thread: id}
	if err != nil {
		te.Error = errorName(err)
		// Interrupted between two instructions rather than in a blocking
		// call, a thread raises gopher-lua's "context canceled" (which a
		// script may catch and raise again): the signal's error, as the
		// blocking calls say it.
		if vt.t.interrupted.Load() && strings.HasSuffix(te.Error, context.Canceled.Error()) {
			te.Error = "KeyboardInterrupt"
		}
	}
	vt.t.emit(te)
	if vt.t.live != nil {
		vt.liveThreadEnd(te, err)
	}
}
