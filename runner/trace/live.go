package trace

import (
	"sync"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// The trace as the live view (--live, runner/live) takes it: each event
// as a line of jsonl has it, with what the view shows beside it (the
// sockets the event touched as they are after it, the bytes it moved, an
// error's message and explanation), and what the sequence diagram drew of
// it, laid out as it happens by the layouter that lays out the diagram
// drawn at the end of a run. The view is told of each event in the order
// the steps were laid out, holding the feed's lock: a Listener must
// return at once (the interpreter lock is held too), keeping what it was
// given, never waiting for a browser.

// Event is one event of the trace, as a line of --trace jsonl has it
// (docs/trace.md lists the fields).
type Event = traceEvent

// Listener is told of the trace's events as they happen (--live). Event
// runs with a VM's interpreter lock held (or on the goroutine that takes
// signals), one event at a time: it must not block. ev is the listener's
// to keep.
type Listener interface {
	Event(ev *LiveEvent)
}

// MaxLiveData is how many of the bytes a call moved a live event carries.
const MaxLiveData = 4 << 10

// maxLiveItems bounds what the live diagram keeps to lay out again (when
// an address turns out to be this script's, or to forget what is old):
// past twice as many, the oldest are forgotten.
const maxLiveItems = 1000

// LiveEvent is one event of the trace as the live view takes it.
type LiveEvent struct {
	*Event
	// Seq numbers the run's live events, from 1, in the order they were
	// told.
	Seq int
	// Untraced marks a call of a module the trace does not show (a
	// queue's get, a join, io.read): told only when it starts waiting
	// (kind waiting) and when it returns (kind call), so that the view
	// knows what a thread waits on. It is no line of the jsonl.
	Untraced bool
	// Socket is the run's number of the socket of the call (1, 2 ...),
	// 0 if none.
	Socket int
	// Sockets are the sockets the event touched, as they are after it:
	// the call's socket, and one the call made.
	Sockets []SocketState
	// Data is the bytes the call moved, as far as its data tells them
	// (its first MaxLiveData; a line read's line with its end of line,
	// as the trace's preview shows them); DataLen is how many it moved.
	Data    string
	DataLen int
	// Message is the error the call raised, or that ended a thread, as
	// sockrun prints it; Why is its explanation (the "why:" line), if
	// any.
	Message, Why string
	// Diagram is what the sequence diagram drew of the event.
	Diagram DiagramUpdate
}

// SocketState is a socket as the live view shows it.
type SocketState struct {
	// ID is the run's number of the socket; FD its descriptor (as it was
	// before a close).
	ID, Worker, FD int
	// Type is "stream" or "datagram" where the socket tells it.
	Type string
	// State is the socket's state after the event (CONNECTED, CLOSED).
	State       string
	Local, Peer string
	// Received and Sent are the bytes the script's calls have moved on
	// it so far.
	Received, Sent int64
}

// DiagramUpdate is what the sequence diagram gained by an event: new
// participants and steps; or, when Reset, the whole diagram again (the
// steps kept, laid out anew: an address turned out to be this script's,
// or the oldest steps were forgotten).
type DiagramUpdate struct {
	Reset bool
	// Parts are the participants added, numbered on from those before
	// (all of them, on a Reset).
	Parts []string
	Steps []Step
}

// Step is one drawn line of the live diagram.
type Step struct {
	// Kind is "arrow", "fail" (a refused connect) or "note".
	Kind string
	T    float64
	// From and To are participants (indexes); a note spans From..To.
	From, To int
	Label    string
	// Seq is the event that drew the step (its bytes are that event's).
	Seq int
}

// liveOp is one thing draw did on the live canvas: an item added, an
// address found to be this script's (isOwn), or a name the script wrote
// for an address (isName).
type liveOp struct {
	item          item
	isOwn, isName bool
	addr, name    string
}

// liveOps is a call's drawing for the live view, laid out when the event
// is told (liveFeed.publish).
type liveOps []liveOp

func (o *liveOps) add(it item) { *o = append(*o, liveOp{item: it}) }

func (o *liveOps) own(addr string) {
	if addr != "" {
		*o = append(*o, liveOp{isOwn: true, addr: addr})
	}
}

func (o *liveOps) name(addr, name string) {
	if name, ok := addrName(addr, name); ok {
		*o = append(*o, liveOp{isName: true, addr: addr, name: name})
	}
}

// liveFeed lays out the live diagram and tells the listener of each
// event, one at a time. Workers share it.
type liveFeed struct {
	l  Listener
	mu sync.Mutex
	// socketIDs numbers the run's sockets (under mu).
	socketIDs int
	seq       int
	items     []item // kept to lay out again
	// ours, names and keys are the diagram's (diagram): this script's
	// addresses, the names it wrote, how addresses are keyed.
	ours  map[string]bool
	names map[string]string
	keys  *wildcards
	lay   *layouter
}

func newLiveFeed(l Listener) *liveFeed {
	f := &liveFeed{l: l, ours: map[string]bool{}, names: map[string]string{}, keys: newWildcards()}
	f.lay = newLayouter(f.ours, f.names, f.keys)
	return f
}

// nextSocketID is the number of a socket seen for the first time.
func (f *liveFeed) nextSocketID() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.socketIDs++
	return f.socketIDs
}

// publish lays out what ev's call drew (ops) and tells the listener. The
// diagram is laid out again (a Reset) when what was laid out changes: an
// address laid out as another's turns out to be this script's, an address
// of every interface is keyed by the address its peers see, a participant
// gets the name the script wrote for it, or the oldest steps are
// forgotten.
func (f *liveFeed) publish(ev *LiveEvent, ops liveOps) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	ev.Seq = f.seq
	parts := len(f.lay.parts)
	f.lay.steps = f.lay.steps[:0]
	reset := false
	for _, op := range ops {
		switch {
		case op.isOwn:
			if !f.ours[op.addr] {
				f.ours[op.addr] = true
				keyed := f.keys.own(op.addr)
				reset = f.lay.own(op.addr) || keyed || reset
			}
		case op.isName:
			if _, ok := f.names[op.addr]; !ok {
				f.names[op.addr] = op.name
				if i, ok := f.lay.index[op.addr]; ok && f.lay.parts[i] != op.name {
					reset = true
				}
			}
		default:
			it := op.item
			it.seq = ev.Seq
			keyedFrom, keyedTo := f.keys.see(it.from), f.keys.see(it.to)
			reset = keyedFrom || keyedTo || reset
			f.items = append(f.items, it)
			f.lay.place(it)
		}
	}
	if len(f.items) > 2*maxLiveItems {
		f.items = append(f.items[:0], f.items[len(f.items)-maxLiveItems:]...)
		reset = true
	}
	if reset {
		f.lay = newLayouter(f.ours, f.names, f.keys)
		for _, it := range f.items {
			f.lay.place(it)
		}
		ev.Diagram = DiagramUpdate{Reset: true, Parts: append([]string(nil), f.lay.parts...), Steps: liveSteps(f.lay.steps)}
		f.lay.steps = f.lay.steps[:0]
	} else {
		ev.Diagram = DiagramUpdate{Parts: append([]string(nil), f.lay.parts[parts:]...), Steps: liveSteps(f.lay.steps)}
	}
	f.l.Event(ev)
}

// liveSteps are steps as the live view takes them.
func liveSteps(steps []step) []Step {
	if len(steps) == 0 {
		return nil
	}
	out := make([]Step, len(steps))
	for i, s := range steps {
		kind := "arrow"
		switch s.kind {
		case itemFail:
			kind = "fail"
		case itemNote:
			kind = "note"
		}
		out[i] = Step{Kind: kind, T: s.t, From: s.from, To: s.to, Label: s.label, Seq: s.seq}
	}
	return out
}

// socketID is the run's number of s, given when it is first seen; 0 for
// no socket.
func (vt *VMTracer) socketID(s luaapi.StatefulSocket) int {
	if s == nil {
		return 0
	}
	id, ok := vt.ids[s]
	if !ok {
		id = vt.t.live.nextSocketID()
		vt.ids[s] = id
	}
	return id
}

// socketState is s as it is now; fd is its descriptor before the event
// (shown once it is closed), e its endpoints as the trace knows them.
func (vt *VMTracer) socketState(s luaapi.StatefulSocket, fd int, e endpoints) SocketState {
	st := SocketState{ID: vt.socketID(s), Worker: vt.worker, FD: s.FD(), State: s.StateName(), Local: e.local, Peer: e.peer}
	if st.FD < 0 {
		st.FD = fd
	}
	t := s.Traffic()
	st.Received, st.Sent = t.Received, t.Sent
	if ts, ok := s.(interface{ Type() int }); ok {
		switch ts.Type() {
		case unix.SOCK_STREAM:
			st.Type = "stream"
		case unix.SOCK_DGRAM:
			st.Type = "datagram"
		}
	}
	if st.State == "CLOSED" {
		delete(vt.ids, s)
	}
	return st
}

// liveCall tells the live view of a traced call: te is its trace event.
func (vt *VMTracer) liveCall(ev *luaapi.CallEvent, te *traceEvent) {
	var ops liveOps
	vt.draw(&ops, ev, te)
	le := &LiveEvent{Event: te, Socket: vt.socketID(ev.Socket)}
	if s := ev.Socket; s != nil {
		le.Sockets = append(le.Sockets, vt.socketState(s, ev.FDBefore, endpoints{te.Local, te.Peer}))
	}
	if s := ev.Made(); s != nil && s != ev.Socket && te.Error == "" {
		le.Sockets = append(le.Sockets, vt.socketState(s, s.FD(), vt.addrs[s]))
	}
	if te.Bytes != nil && *te.Bytes > 0 {
		if data, ok := movedData(ev); ok {
			le.DataLen = *te.Bytes
			le.Data = data[:min(len(data), MaxLiveData)]
		}
	}
	if ev.Err != nil {
		le.Message, le.Why = errorMessage(ev.Err), luaapi.Explanation(ev.Err)
	}
	vt.t.live.publish(le, ops)
}

// liveUntraced tells the live view that a call the trace does not show
// returned, if it had waited.
func (vt *VMTracer) liveUntraced(ev *luaapi.CallEvent) {
	p := vt.others[ev.L]
	if p == nil || p.ev != ev {
		return
	}
	delete(vt.others, ev.L)
	if !p.waited {
		return
	}
	te := vt.untracedEvent(ev, kindCall)
	te.T = vt.t.since(ev.End)
	vt.t.live.publish(&LiveEvent{Event: te, Untraced: true}, nil)
}

// liveWaiting tells the live view that L's thread waits in a call the
// trace does not show, once for the call.
func (vt *VMTracer) liveWaiting(L *lua.LState) {
	p := vt.others[L]
	if p == nil || p.waited {
		return
	}
	p.waited = true
	te := vt.untracedEvent(p.ev, kindWaiting)
	te.T = vt.t.since(time.Now())
	vt.t.live.publish(&LiveEvent{Event: te, Untraced: true}, nil)
}

// untracedEvent is the event of a call the trace does not show: its
// name as the script wrote it (queue:get, thread.sleep) and arguments.
func (vt *VMTracer) untracedEvent(ev *luaapi.CallEvent, kind string) *traceEvent {
	te := &traceEvent{Kind: kind, Worker: vt.worker, Thread: ev.Thread}
	if ev.Type != "" {
		te.Call = ev.Type + ":" + ev.Func.Name
	} else {
		te.Call = ev.Module + "." + ev.Func.Name
	}
	te.Args = formatArgs(ev)
	return te
}

// liveThreadEnd tells the live view a thread ended (err its error, if it
// raised one). The sockets a thread was given are closed when it ends,
// by no call: those now closed are told too, and forgotten.
func (vt *VMTracer) liveThreadEnd(te *traceEvent, err lua.LValue) {
	le := &LiveEvent{Event: te}
	if err != nil {
		le.Message, le.Why = errorMessage(err), luaapi.Explanation(err)
	}
	for s := range vt.ids {
		if s.StateName() == "CLOSED" {
			le.Sockets = append(le.Sockets, vt.socketState(s, -1, vt.addrs[s]))
			delete(vt.addrs, s)
		}
	}
	vt.t.live.publish(le, nil)
}

// errorMessage is an error value as sockrun prints it: a socket error as
// Python prints it, else its text.
func errorMessage(err lua.LValue) string {
	if msg, ok := luaapi.IsErrorValue(err); ok {
		return msg
	}
	return lua.LVAsString(err)
}
