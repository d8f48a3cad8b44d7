package luaapi

import (
	"context"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// recorder is an Observer that keeps a line per call:
// "sock:bind CREATED→BOUND", "socket.socket", "sock:connect raised ECONNREFUSED".
type recorder struct{ lines []string }

func (r *recorder) Call(ev *CallEvent) {
	name := ev.Module + "." + ev.Func.Name
	if ev.Type != "" {
		name = ev.Type + ":" + ev.Func.Name
	}
	if ev.Socket != nil {
		name += " " + ev.StateBefore + "→" + ev.StateAfter
	}
	if ev.Err != nil {
		if t, ok := ev.Err.(*lua.LTable); ok {
			name += " raised " + lua.LVAsString(t.RawGetString("name"))
		} else {
			name += " raised"
		}
	}
	if ev.Start.IsZero() || ev.End.Before(ev.Start) {
		name += " (bad times)"
	}
	r.lines = append(r.lines, name)
}

// runObserved runs chunk in a VM whose calls r observes.
func runObserved(t *testing.T, chunk string) *recorder {
	t.Helper()
	h := newTestHost()
	defer h.cancel(context.Canceled)
	L := lua.NewState()
	defer L.Close()
	rt := New(h, Config{})
	defer rt.CloseAll()
	rt.Open(L)
	r := &recorder{}
	rt.SetObserver(r)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := L.DoString(chunk); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSocketStates checks the state the core keeps after every call, as
// the call path's observer sees it before and after each.
func TestSocketStates(t *testing.T) {
	r := runObserved(t, `
		local l = socket.socket()
		l:bind({"127.0.0.1", 0})
		l:listen()
		local c = socket.socket()
		c:connect(l:getsockname())
		local s = l:accept()
		s:shutdown(socket.SHUT_WR)
		s:shutdown(socket.SHUT_RD)
		c:shutdown(socket.SHUT_RD)
		c:close()
		pcall(c.recv, c, 1)
		local port = l:getsockname().port
		l:close()
		local refused = socket.socket()
		pcall(refused.connect, refused, {"127.0.0.1", port})
		local nb = socket.socket()
		nb:setblocking(false)
		local l2 = socket.socket(); l2:bind({"127.0.0.1", 0}); l2:listen()
		nb:connect_ex(l2:getsockname())
		local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		u:sendto("x", l2:getsockname())
		u:connect({"127.0.0.1", 9})
	`)
	want := []string{
		"socket.socket",
		"socket:bind CREATED→BOUND",
		"socket:listen BOUND→LISTENING",
		"socket.socket",
		"socket:getsockname LISTENING→LISTENING",
		"socket:connect CREATED→CONNECTED",
		"socket:accept LISTENING→LISTENING",
		"socket:shutdown CONNECTED→WR_SHUT",
		"socket:shutdown WR_SHUT→SHUT",
		"socket:shutdown CONNECTED→RD_SHUT",
		"socket:close RD_SHUT→CLOSED",
		"socket:recv CLOSED→CLOSED raised EBADF",
		"socket:getsockname LISTENING→LISTENING",
		"socket:close LISTENING→CLOSED",
		"socket.socket",
		"socket:connect CREATED→CREATED raised ECONNREFUSED",
		"socket.socket",
		"socket:setblocking CREATED→CREATED",
		"socket.socket",
		"socket:bind CREATED→BOUND",
		"socket:listen BOUND→LISTENING",
		"socket:getsockname LISTENING→LISTENING",
		"socket:connect_ex CREATED→CONNECTING",
		"socket.socket",
		"socket:getsockname LISTENING→LISTENING",
		"socket:sendto CREATED→BOUND",
		"socket:connect BOUND→CONNECTED",
	}
	got := r.lines
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls seen:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestObserverSeesArgumentsAndResults checks what an observer is told of a
// call: its arguments as passed, its results, a raised error's value.
func TestObserverSeesArgumentsAndResults(t *testing.T) {
	var evs []*CallEvent
	h := newTestHost()
	defer h.cancel(context.Canceled)
	L := lua.NewState()
	defer L.Close()
	rt := New(h, Config{})
	defer rt.CloseAll()
	rt.Open(L)
	rt.SetObserver(observerFunc(func(ev *CallEvent) { evs = append(evs, ev) }))
	h.mu.Lock()
	defer h.mu.Unlock()
	err := L.DoString(`
		local n = socket.htons(1)
		local ok = pcall(socket.inet_aton, "not an address")
		return n, ok`)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("%d calls seen, want 2", len(evs))
	}
	if evs[0].Func.Name != "htons" || len(evs[0].Args) != 1 || evs[0].Args[0] != lua.LNumber(1) ||
		len(evs[0].Results) != 1 || evs[0].Results[0] != lua.LNumber(256) || evs[0].Err != nil {
		t.Errorf("htons: args %v results %v err %v", evs[0].Args, evs[0].Results, evs[0].Err)
	}
	if evs[1].Func.Name != "inet_aton" || evs[1].Err == nil || evs[1].Results != nil {
		t.Errorf("inet_aton: results %v err %v", evs[1].Results, evs[1].Err)
	}
}

type observerFunc func(ev *CallEvent)

func (f observerFunc) Call(ev *CallEvent) { f(ev) }
