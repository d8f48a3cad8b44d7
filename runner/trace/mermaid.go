package trace

import (
	"fmt"
	"strings"
	"sync"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/luaapi/api"
)

// The trace as a sequence diagram (--trace-format mermaid or svg). Its
// participants are endpoints named by address: a listening or server
// socket by its own address (an accepted connection shares the
// listener's), a client by its local address, a peer that is not this
// script by the address it has. Its arrows are connects, accepts, data
// sent (with a preview), FIN (shutdown, or end of stream from a peer
// that is not this script) and closes. Data a peer that is this script
// sent is drawn once, at the send; data from any other peer at the
// receive. Which addresses are this script's is known only at the end,
// so the events are kept and drawn then.

// maxDiagramItems bounds what a diagram keeps: a server traced for hours
// would otherwise grow it without end.
const maxDiagramItems = 2000

type itemKind int

const (
	itemMsg    itemKind = iota // from sends to
	itemFail                   // from's attempt on to failed (a refused connect)
	itemNote                   // a note over from
	itemAccept                 // from (a client) was accepted at to
	itemRecv                   // to received from from: drawn if from is not this script
	itemSignal                 // a signal: a note over every participant
)

// item is one thing the diagram may draw.
type item struct {
	kind     itemKind
	t        float64
	from, to string
	label    string
	seq      int // the live view's number of the event that drew it
}

// diagram keeps the items of a run, and the addresses of this script's
// sockets. Workers share it.
type diagram struct {
	mu      sync.Mutex
	items   []item
	ours    map[string]bool
	dropped int
}

func newDiagram() *diagram { return &diagram{ours: map[string]bool{}} }

func (d *diagram) add(it item) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.items) >= maxDiagramItems {
		d.dropped++
		return
	}
	d.items = append(d.items, it)
}

// own records addr as the address of one of this script's sockets.
func (d *diagram) own(addr string) {
	if addr == "" {
		return
	}
	d.mu.Lock()
	d.ours[addr] = true
	d.mu.Unlock()
}

// canvas is what draw draws on: the diagram drawn when the run ends, or
// the live view's (liveOps).
type canvas interface {
	add(it item)
	own(addr string)
}

// draw adds what a call shows in the diagram to d, if anything. What the
// call does (connects, sends, closes ...) is the registry's (api:
// Func.Dir), so that the calls of every face draw the same.
func (vt *VMTracer) draw(d canvas, ev *luaapi.CallEvent, te *traceEvent) {
	d.own(te.Local)
	at := func(kind itemKind, from, to, label string) {
		d.add(item{kind: kind, t: te.T, from: from, to: to, label: label})
	}
	does := ev.Func.Dir
	var made endpoints // a socket the call returned
	if te.Error == "" {
		if s := ev.Made(); s != nil {
			made = vt.addrs[s]
			d.own(made.local)
		}
	}
	if ev.Socket == nil {
		// A module function that made a socket (create_connection).
		switch {
		case does&api.Connects != 0 && made.peer != "":
			at(itemMsg, made.local, made.peer, "connect")
		case does&api.Listens != 0 && made.local != "":
			at(itemNote, made.local, "", "listen")
		}
		return
	}
	if te.FD == nil {
		return
	}
	me := te.Local
	if me == "" {
		me = fmt.Sprintf("fd %d", *te.FD)
	}
	bytes := func() string {
		if te.Preview == "" {
			return fmt.Sprintf("%d bytes", *te.Bytes)
		}
		return fmt.Sprintf("%s (%d bytes)", te.Preview, *te.Bytes)
	}
	name := ev.Func.Name
	switch {
	case does&api.Listens != 0 && te.Error == "":
		at(itemNote, me, "", "listen")
	case does&api.Connects != 0:
		target := destination(ev)
		switch {
		case te.Error != "":
			at(itemFail, me, target, name+": "+te.Error)
		case ev.Returned() != "":
			at(itemFail, me, target, name+": errno "+ev.Returned())
		default:
			to := te.Peer
			if to == "" {
				to = target
			}
			at(itemMsg, me, to, "connect")
		}
	case does&api.Accepts != 0 && made.peer != "":
		at(itemAccept, made.peer, made.local, "accept")
	case does&api.Sends != 0 && te.Bytes != nil && *te.Bytes > 0:
		to := te.Peer
		if dest := destination(ev); dest != "" {
			to = dest
		}
		if to != "" {
			at(itemMsg, me, to, bytes())
		}
	case does&api.Receives != 0 && te.Bytes != nil && (*te.Bytes > 0 || ev.EndOfStream):
		from := te.Peer
		if s := sender(ev); s != "" {
			from = s
		}
		label := bytes()
		if *te.Bytes == 0 {
			label = "FIN"
		}
		if from != "" {
			at(itemRecv, from, me, label)
		}
	case te.Error != "":
	case does&api.Shuts != 0 && te.Peer != "":
		if sendingBefore(te.StateBefore) && !sendingBefore(te.StateAfter) {
			at(itemMsg, me, te.Peer, "FIN (shutdown)")
		} else {
			at(itemNote, me, "", "shutdown(SHUT_RD)")
		}
	case does&api.Closes != 0 && te.StateBefore != "CLOSED":
		switch {
		case te.Peer != "":
			at(itemMsg, me, te.Peer, "close")
		case te.StateBefore == "LISTENING":
			at(itemNote, me, "", "close")
		}
	}
}

// sendingBefore says whether a socket in state can still send: its
// sending side is not shut down.
func sendingBefore(state string) bool { return state == "CONNECTED" || state == "RD_SHUT" }

// step is one drawn line of the diagram: an arrow, a cross or a note
// over participants from..to (indexes).
type step struct {
	kind     itemKind // itemMsg, itemFail or itemNote
	t        float64
	from, to int
	label    string
	seq      int // the live view's number of the event that drew it
}

// layout turns the items into the participants and steps to draw, in the
// order they happened.
func (d *diagram) layout() (parts []string, steps []step) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := newLayouter(d.ours)
	var signals []item // signals before any participant: drawn once one exists
	for _, it := range d.items {
		if it.kind == itemSignal {
			signals = append(signals, it)
			continue
		}
		l.place(it)
	}
	parts, steps = l.parts, l.steps
	// Signals span every participant, so they are placed once all are
	// known, at their time.
	for _, it := range signals {
		if len(parts) == 0 {
			break
		}
		s := step{kind: itemNote, t: it.t, from: 0, to: len(parts) - 1, label: it.label}
		i := len(steps)
		for i > 0 && steps[i-1].t > it.t {
			i--
		}
		steps = append(steps[:i], append([]step{s}, steps[i:]...)...)
	}
	if d.dropped > 0 && len(parts) > 0 {
		steps = append(steps, step{kind: itemNote, t: steps[len(steps)-1].t, from: 0, to: len(parts) - 1,
			label: fmt.Sprintf("... %d more events not drawn (a diagram keeps the first %d)", d.dropped, maxDiagramItems)})
	}
	return parts, steps
}

// layouter lays items out one at a time: a participant for each address,
// in the order they appear, and the steps each item draws. The diagram
// drawn when the run ends and the live view (live.go) both lay out with
// it, so that both draw the same arrows.
type layouter struct {
	// ours are the addresses of this script's sockets: a peer that is
	// this script draws its sends itself.
	ours map[string]bool
	// theirs are the addresses laid out as a peer that is not this
	// script (a receive or an accept drew its arrow).
	theirs map[string]bool
	index  map[string]int
	parts  []string
	steps  []step
}

func newLayouter(ours map[string]bool) *layouter {
	return &layouter{ours: ours, theirs: map[string]bool{}, index: map[string]int{}}
}

// part is the participant of addr, added if new.
func (l *layouter) part(addr string) int {
	if i, ok := l.index[addr]; ok {
		return i
	}
	l.index[addr] = len(l.parts)
	l.parts = append(l.parts, addr)
	return len(l.parts) - 1
}

// place lays out it, a signal as a note over every participant known so
// far (layout places the end-of-run diagram's signals itself).
func (l *layouter) place(it item) {
	add := func(kind itemKind, from, to int, label string) {
		l.steps = append(l.steps, step{kind: kind, t: it.t, from: from, to: to, label: label, seq: it.seq})
	}
	switch it.kind {
	case itemMsg, itemFail:
		add(it.kind, l.part(it.from), l.part(it.to), it.label)
	case itemNote:
		i := l.part(it.from)
		add(itemNote, i, i, it.label)
	case itemAccept:
		if !l.ours[it.from] {
			l.theirs[it.from] = true
			add(itemMsg, l.part(it.from), l.part(it.to), "connect")
		}
		i := l.part(it.to)
		add(itemNote, i, i, "accept "+it.from)
	case itemRecv:
		if !l.ours[it.from] {
			l.theirs[it.from] = true
			add(itemMsg, l.part(it.from), l.part(it.to), it.label)
		}
	case itemSignal:
		if len(l.parts) > 0 {
			add(itemNote, 0, len(l.parts)-1, it.label)
		}
	}
}

// mermaid is the diagram as a Mermaid sequence diagram, in a Markdown
// code block if fenced.
func (d *diagram) mermaid(fenced bool) string {
	parts, steps := d.layout()
	var b strings.Builder
	if fenced {
		b.WriteString("```mermaid\n")
	}
	b.WriteString("sequenceDiagram\n")
	for i, p := range parts {
		fmt.Fprintf(&b, "    participant P%d as %s\n", i+1, mermaidText(p))
	}
	for _, s := range steps {
		switch s.kind {
		case itemMsg:
			fmt.Fprintf(&b, "    P%d->>P%d: %s\n", s.from+1, s.to+1, mermaidText(s.label))
		case itemFail:
			fmt.Fprintf(&b, "    P%d-xP%d: %s\n", s.from+1, s.to+1, mermaidText(s.label))
		case itemNote:
			if s.from == s.to {
				fmt.Fprintf(&b, "    Note over P%d: %s\n", s.from+1, mermaidText(s.label))
			} else {
				fmt.Fprintf(&b, "    Note over P%d,P%d: %s\n", s.from+1, s.to+1, mermaidText(s.label))
			}
		}
	}
	if len(parts) == 0 {
		b.WriteString("    Note right of nobody: no connections, sends or closes were traced\n")
	}
	if fenced {
		b.WriteString("```\n")
	}
	return b.String()
}

// mermaidText escapes what Mermaid would read as syntax or markup in a
// label, with its entity codes: # ; " < > and the characters that could
// end a line.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '#', ';', '"', '<', '>', '{', '}':
			fmt.Fprintf(&b, "#%d;", r)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
