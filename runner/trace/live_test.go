package trace

import (
	"fmt"
	"reflect"
	"testing"
)

// liveDiagram is what a listener of the live feed has drawn: the
// participants and steps, kept as a page keeps them.
type liveDiagram struct {
	parts  []string
	steps  []Step
	resets int
}

func (d *liveDiagram) Event(ev *LiveEvent) {
	if ev.Diagram.Reset {
		d.resets++
		d.parts, d.steps = nil, nil
	}
	d.parts = append(d.parts, ev.Diagram.Parts...)
	d.steps = append(d.steps, ev.Diagram.Steps...)
}

// drawBoth hands each call's drawing (ops) to the end-of-run diagram and
// to the live feed, as VMTracer.Call does, a call a millisecond.
func drawBoth(d *diagram, f *liveFeed, calls []liveOps) {
	for n, ops := range calls {
		for i := range ops {
			ops[i].item.t = float64(n) / 1000
		}
		for _, op := range ops {
			switch {
			case op.isOwn:
				d.own(op.addr)
			case op.isName:
				d.name(op.addr, op.name)
			default:
				d.add(op.item)
			}
		}
		f.publish(&LiveEvent{Event: &Event{}}, ops)
	}
}

// sameDiagram checks that what the listener drew is the end-of-run
// diagram of the same items.
func sameDiagram(t *testing.T, d *diagram, live *liveDiagram) {
	t.Helper()
	parts, steps := d.layout()
	want := liveSteps(steps)
	for i := range want {
		want[i].Seq = 0
	}
	got := append([]Step(nil), live.steps...)
	for i := range got {
		got[i].Seq = 0
	}
	if !reflect.DeepEqual(live.parts, parts) || !reflect.DeepEqual(got, want) {
		t.Errorf("live diagram:\n%v\n%v\nthe end-of-run diagram:\n%v\n%v", live.parts, got, parts, want)
	}
}

func call(ops ...liveOp) liveOps { return ops }
func own(addr string) liveOp     { return liveOp{isOwn: true, addr: addr} }
func name(addr, name string) liveOp {
	return liveOp{isName: true, addr: addr, name: name}
}
func draws(kind itemKind, from, to, label string) liveOp {
	return liveOp{item: item{kind: kind, from: from, to: to, label: label}}
}

// TestLiveLayout checks that the live view draws what the diagram drawn
// at the end of the run draws, though it lays out each call as it
// happens: a server whose clients are not this script, and a script that
// connects to itself, whose accept is seen before the connect returns (so
// the client's address is known as its own only then: the live diagram
// is laid out again); a server bound to every interface, whose lifeline
// is the address its clients connect to once one does; a lifeline named
// as the script wrote its address after it was laid out.
func TestLiveLayout(t *testing.T) {
	srv, cli := "127.0.0.1:80", "127.0.0.1:5000"
	for _, c := range []struct {
		name   string
		calls  []liveOps
		resets int
	}{
		{"peers not this script", []liveOps{
			call(own(srv), draws(itemNote, srv, "", "listen")),
			call(own(srv), draws(itemAccept, cli, srv, "accept")),
			call(own(srv), draws(itemRecv, cli, srv, `"hi" (2 bytes)`)),
			call(own(srv), draws(itemMsg, srv, cli, `"hi" (2 bytes)`)),
			call(liveOp{item: item{kind: itemSignal, label: "SIGINT: interrupting the run"}}),
			call(own(srv), draws(itemMsg, srv, cli, "close")),
		}, 0},
		{"a script that connects to itself", []liveOps{
			call(own(srv), draws(itemNote, srv, "", "listen")),
			call(own(srv), draws(itemAccept, cli, srv, "accept")),
			call(own(cli), draws(itemMsg, cli, srv, "connect")),
			call(own(cli), draws(itemMsg, cli, srv, `"hi" (2 bytes)`)),
			call(own(srv), draws(itemRecv, cli, srv, `"hi" (2 bytes)`)),
		}, 1},
		{"a server bound to every interface", []liveOps{
			call(own("0.0.0.0:80"), draws(itemNote, "0.0.0.0:80", "", "listen")),
			call(own("0.0.0.0:80"), own(srv), draws(itemAccept, cli, srv, "accept")),
			call(own(srv), draws(itemRecv, cli, srv, `"hi" (2 bytes)`)),
			call(own("0.0.0.0:80"), draws(itemNote, "0.0.0.0:80", "", "close")),
		}, 1},
		{"a name after the lifeline", []liveOps{
			call(own(srv), draws(itemNote, srv, "", "listen")),
			call(own(cli), name(srv, "localhost:80"), draws(itemMsg, cli, srv, "connect")),
			call(own(cli), name(srv, "127.0.0.1:80"), draws(itemMsg, cli, srv, "close")),
		}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, live := newDiagram(), &liveDiagram{}
			drawBoth(d, newLiveFeed(live), c.calls)
			sameDiagram(t, d, live)
			if live.resets != c.resets {
				t.Errorf("%d resets, want %d", live.resets, c.resets)
			}
		})
	}
}

// TestLiveForgets checks that the live feed keeps a bounded diagram: past
// twice maxLiveItems, it lays out the latest maxLiveItems again.
func TestLiveForgets(t *testing.T) {
	live := &liveDiagram{}
	f := newLiveFeed(live)
	var calls []liveOps
	for i := range 2*maxLiveItems + 1 {
		calls = append(calls, call(own("127.0.0.1:80"), draws(itemMsg, "127.0.0.1:80", fmt.Sprintf("127.0.0.1:%d", 1000+i), "close")))
	}
	drawBoth(newDiagram(), f, calls)
	if live.resets != 1 || len(live.steps) != maxLiveItems || len(live.parts) != maxLiveItems+1 || len(f.items) != maxLiveItems {
		t.Errorf("after %d items: %d resets, %d steps, %d participants, %d items kept", len(calls), live.resets, len(live.steps), len(live.parts), len(f.items))
	}
	if last := live.steps[len(live.steps)-1]; live.parts[last.To] != fmt.Sprintf("127.0.0.1:%d", 1000+2*maxLiveItems) {
		t.Errorf("the last step goes to %s", live.parts[last.To])
	}
}
