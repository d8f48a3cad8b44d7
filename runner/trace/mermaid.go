package trace

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/luaapi/api"
)

// The trace as a sequence diagram (--trace-format mermaid or svg). Its
// participants are endpoints, one lifeline per address as the kernel has
// it (a name the script wrote, "localhost", resolved), labelled as the
// script first named it: a listening or server socket by its own address
// (an accepted connection shares the listener's, and a socket bound to
// every interface, 0.0.0.0, is the address its peers see), a client by
// its local address, a peer that is not this script by the address it
// has, a socket with no address (socket.socketpair) as "fd N". Its arrows
// are connects, accepts, data sent (with a preview), FIN (shutdown, or
// end of stream from a peer that is not this script) and closes. Data a
// peer that is this script sent is drawn once, at the send; data from any
// other peer at the receive. Which addresses are this script's is known
// only at the end, so the events are kept and drawn then.

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

// item is one thing the diagram may draw. from and to are addresses as
// the kernel has them, the participants' keys.
type item struct {
	kind     itemKind
	t        float64
	from, to string
	label    string
	seq      int // the live view's number of the event that drew it
}

// diagram keeps the items of a run, the addresses of this script's
// sockets, and the names the script gave addresses. Workers share it.
type diagram struct {
	mu      sync.Mutex
	items   []item
	ours    map[string]bool
	names   map[string]string // the first name the script wrote for an address
	dropped int
}

func newDiagram() *diagram { return &diagram{ours: map[string]bool{}, names: map[string]string{}} }

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

// name records that the script wrote name for addr, the address the
// kernel was given (connect's, sendto's, bind's): the first name labels
// the participant.
func (d *diagram) name(addr, name string) {
	name, ok := addrName(addr, name)
	if !ok {
		return
	}
	d.mu.Lock()
	if _, ok := d.names[addr]; !ok {
		d.names[addr] = name
	}
	d.mu.Unlock()
}

// addrName is the name that the script writing name for addr gives the
// address, ok false if it names none: a name of every interface
// (0.0.0.0) names none; a name's port 0 (bind's "any port") is the port
// the kernel gave.
func addrName(addr, name string) (string, bool) {
	if addr == "" || name == "" || unspecified(name) {
		return "", false
	}
	if host, port, err := net.SplitHostPort(name); err == nil {
		if _, addrPort, err := net.SplitHostPort(addr); err == nil && port != addrPort {
			name = net.JoinHostPort(host, addrPort)
		}
	}
	return name, true
}

// canvas is what draw draws on: the diagram drawn when the run ends, or
// the live view's (liveOps).
type canvas interface {
	add(it item)
	own(addr string)
	name(addr, name string)
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
			d.name(made.peer, destination(ev))
			at(itemMsg, made.local, made.peer, "connect")
		case does&api.Listens != 0 && made.local != "":
			d.name(made.local, destination(ev))
			at(itemNote, made.local, "", "listen")
		}
		return
	}
	if te.FD == nil {
		return
	}
	me := te.Local
	if me == "" {
		me = fdName(*te.FD)
		d.own(me)
	}
	peer := vt.peerName(ev, te)
	bytes := func() string {
		if te.Preview == "" {
			return fmt.Sprintf("%d bytes", *te.Bytes)
		}
		return fmt.Sprintf("%s (%d bytes)", te.Preview, *te.Bytes)
	}
	name := ev.Func.Name
	switch {
	case does&api.Binds != 0 && te.Error == "":
		d.name(te.Local, destination(ev))
	case does&api.Listens != 0 && te.Error == "":
		at(itemNote, me, "", "listen")
	case does&api.Connects != 0:
		// The address connected to, as the kernel was given it, named
		// as the script wrote it.
		target := destination(ev)
		to := ev.To
		if to == "" {
			to = target
		}
		d.name(to, target)
		switch {
		case te.Error != "":
			at(itemFail, me, to, name+": "+te.Error)
		case ev.Returned() != "":
			at(itemFail, me, to, name+": errno "+ev.Returned())
		default:
			if te.Peer != "" {
				to = te.Peer
			}
			at(itemMsg, me, to, "connect")
		}
	case does&api.Accepts != 0 && made.peer != "":
		at(itemAccept, made.peer, made.local, "accept")
	case does&api.Sends != 0 && te.Bytes != nil && *te.Bytes > 0:
		to := peer
		if ev.To != "" {
			to = ev.To
			d.name(to, destination(ev))
		}
		if to != "" {
			at(itemMsg, me, to, bytes())
		}
	case does&api.Receives != 0 && te.Bytes != nil:
		from := peer
		if s := sender(ev); s != "" {
			from = s
		}
		if from == "" {
			break
		}
		if *te.Bytes > 0 {
			at(itemRecv, from, me, bytes())
		}
		if te.FIN {
			at(itemRecv, from, me, "FIN")
		}
	case te.Error != "":
	case does&api.Shuts != 0 && peer != "":
		if sendingBefore(te.StateBefore) && !sendingBefore(te.StateAfter) {
			at(itemMsg, me, peer, "FIN (shutdown)")
		} else {
			at(itemNote, me, "", "shutdown(SHUT_RD)")
		}
	case does&api.Closes != 0 && te.StateBefore != "CLOSED":
		switch {
		case peer != "":
			at(itemMsg, me, peer, "close")
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

// layout turns the items into the participants (their labels) and steps
// to draw, in the order they happened.
func (d *diagram) layout() (parts []string, steps []step) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := newLayouter(d.ours, d.names, d.keys())
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

// layouter lays items out one at a time: a participant for each address
// (by its key, wildcards.key), in the order they appear, labelled by the
// name the script first wrote for it, and the steps each item draws. The
// diagram drawn when the run ends and the live view (live.go) both lay
// out with it, so that both draw the same arrows.
type layouter struct {
	keys  *wildcards
	names map[string]string // the first name the script wrote for an address
	// ours are the keys of this script's sockets: a peer that is this
	// script draws its sends itself.
	ours map[string]bool
	// theirs are the keys laid out as a peer that is not this script (a
	// receive or an accept drew its arrow).
	theirs map[string]bool
	index  map[string]int
	parts  []string
	steps  []step
}

// newLayouter lays out with ours the addresses of this script's sockets,
// names the names the script wrote, keys how addresses are keyed.
func newLayouter(ours map[string]bool, names map[string]string, keys *wildcards) *layouter {
	l := &layouter{keys: keys, names: names, ours: map[string]bool{}, theirs: map[string]bool{}, index: map[string]int{}}
	for a := range ours {
		l.ours[keys.key(a)] = true
	}
	return l
}

// own notes that addr is one of this script's addresses. It reports
// whether it was laid out as another's, so that what was laid out is to
// be laid out again: its arrows were drawn from the receives, and now its
// sends draw them.
func (l *layouter) own(addr string) bool {
	k := l.keys.key(addr)
	if l.ours[k] {
		return false
	}
	l.ours[k] = true
	return l.theirs[k]
}

// part is the participant of addr, added if new.
func (l *layouter) part(addr string) int {
	k := l.keys.key(addr)
	if i, ok := l.index[k]; ok {
		return i
	}
	l.index[k] = len(l.parts)
	label := k
	if name, ok := l.names[k]; ok {
		label = name
	}
	l.parts = append(l.parts, label)
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
		if k := l.keys.key(it.from); !l.ours[k] {
			l.theirs[k] = true
			add(itemMsg, l.part(it.from), l.part(it.to), "connect")
		}
		i := l.part(it.to)
		add(itemNote, i, i, "accept "+l.parts[l.part(it.from)])
	case itemRecv:
		if k := l.keys.key(it.from); !l.ours[k] {
			l.theirs[k] = true
			add(itemMsg, l.part(it.from), l.part(it.to), it.label)
		}
	case itemSignal:
		if len(l.parts) > 0 {
			add(itemNote, 0, len(l.parts)-1, it.label)
		}
	}
}

// keys is how the diagram keys the addresses it has drawn (wildcards).
func (d *diagram) keys() *wildcards {
	w := newWildcards()
	for a := range d.ours {
		w.own(a)
	}
	for _, it := range d.items {
		w.see(it.from)
		w.see(it.to)
	}
	return w
}

// wildcards keys the diagram's addresses: a socket of this script bound
// to every interface (0.0.0.0:P, [::]:P) is the address its peers see,
// the first address of this host with the same port (127.0.0.1:P) to
// appear, if one does; every other address is itself. It learns the
// addresses as they appear (own, see), so that the live view keys them
// as the diagram drawn at the end does.
type wildcards struct {
	local []netip.Addr // this host's addresses, asked once
	// first is, for each port, the first address of this host seen
	// with it.
	first map[uint16]netip.AddrPort
	// open are this script's addresses of every interface not keyed yet.
	open  map[string]uint16
	alias map[string]string
}

func newWildcards() *wildcards {
	return &wildcards{first: map[uint16]netip.AddrPort{}, open: map[string]uint16{}, alias: map[string]string{}}
}

// key is addr's key.
func (w *wildcards) key(addr string) string {
	if k, ok := w.alias[addr]; ok {
		return k
	}
	return addr
}

// own notes addr as an address of this script's. It reports whether
// that keyed it anew (an address of every interface whose port was seen).
func (w *wildcards) own(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsUnspecified() {
		return false
	}
	if _, ok := w.alias[addr]; ok {
		return false
	}
	if k, ok := w.first[ap.Port()]; ok {
		w.alias[addr] = k.String()
		return true
	}
	w.open[addr] = ap.Port()
	return false
}

// see notes addr as one the diagram draws. It reports whether that keyed
// an address of this script's anew.
func (w *wildcards) see(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || ap.Addr().IsUnspecified() {
		return false
	}
	if _, ok := w.first[ap.Port()]; ok || !w.isLocal(ap.Addr()) {
		return false
	}
	w.first[ap.Port()] = ap
	keyed := false
	for a, port := range w.open {
		if port == ap.Port() {
			w.alias[a] = ap.String()
			delete(w.open, a)
			keyed = true
		}
	}
	return keyed
}

// isLocal says whether ip is an address of this host.
func (w *wildcards) isLocal(ip netip.Addr) bool {
	if ip.IsLoopback() {
		return true
	}
	if w.local == nil {
		w.local = []netip.Addr{}
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				w.local = append(w.local, p.Addr().Unmap())
			}
		}
	}
	return slices.Contains(w.local, ip.Unmap())
}

// unspecified says whether addr (host:port) names every interface.
func unspecified(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return host == "" || err == nil && ip.IsUnspecified()
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
