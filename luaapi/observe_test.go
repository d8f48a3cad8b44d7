package luaapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// threadRecorder records calls with their thread, and thread starts and
// ends, as a tracer sees them.
type threadRecorder struct{ lines []string }

func (r *threadRecorder) Call(ev *CallEvent) {
	r.lines = append(r.lines, fmt.Sprintf("%d %s.%s", ev.Thread, ev.Module, ev.Func.Name))
}

func (r *threadRecorder) CallStart(ev *CallEvent) {
	r.lines = append(r.lines, fmt.Sprintf("%d start %s", ev.Thread, ev.Func.Name))
}

func (r *threadRecorder) ThreadStart(L *lua.LState, id int, label string) {
	r.lines = append(r.lines, fmt.Sprintf("%d thread start", id))
}

func (r *threadRecorder) ThreadEnd(L *lua.LState, id int, err lua.LValue) {
	r.lines = append(r.lines, fmt.Sprintf("%d thread end %v", id, err != nil))
}

// TestObserverSeesThreads checks that an observer's events carry the
// calling thread's id, and that the optional interfaces are called.
func TestObserverSeesThreads(t *testing.T) {
	h := newTestHost()
	defer h.cancel(context.Canceled)
	L := lua.NewState()
	defer L.Close()
	rt := New(h, Config{})
	defer rt.CloseAll()
	rt.Open(L)
	r := &threadRecorder{}
	rt.SetObserver(r)
	h.mu.Lock()
	err := L.DoString(`
		local t = thread.spawn(function() return socket.htons(1) end)
		t:join()
		local bad = thread.spawn(function() error("boom") end)
		pcall(bad.join, bad)
		socket.htons(2)`)
	h.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1 start spawn", "1 thread.spawn",
		"1 start join",
		"2 thread start", "2 start htons", "2 socket.htons", "2 thread end false",
		"1 thread.join",
		"1 start spawn", "1 thread.spawn",
		"1 start join",
		"3 thread start", "3 thread end true",
		"1 thread.join",
		"1 start htons", "1 socket.htons",
	}
	if strings.Join(r.lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("seen:\n%s\nwant:\n%s", strings.Join(r.lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestConstArg checks the names a trace gives to constant arguments.
func TestConstArg(t *testing.T) {
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
	err := L.DoString(`
		local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s:close()`)
	h.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	got := []string{ConstArg(evs[0], 0), ConstArg(evs[0], 1), ConstArg(evs[1], 1), ConstArg(evs[1], 2), ConstArg(evs[1], 3)}
	want := []string{"socket.AF_INET", "socket.SOCK_DGRAM", "socket.SOL_SOCKET", "socket.SO_REUSEADDR", ""}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ConstArg: %q, want %q", got, want)
	}
}
