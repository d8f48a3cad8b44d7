package luaapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sockrun/sockrun/luaapi/api"
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

// TestBytesCountedForBothFaces checks that the call path tells an
// observer the bytes each receive and send moved, and where their data
// is, for the Python face and LuaSocket's alike: the core counts them,
// whatever face made the call. A line reader moves the end of line it
// does not return; a read at the end of the stream says so.
func TestBytesCountedForBothFaces(t *testing.T) {
	type moved struct {
		call           string
		received, sent int
		end            bool
		data           string
	}
	var got []moved
	h := newTestHost()
	defer h.cancel(context.Canceled)
	L := lua.NewState()
	defer L.Close()
	rt := New(h, Config{})
	defer rt.CloseAll()
	rt.Open(L)
	rt.SetObserver(observerFunc(func(ev *CallEvent) {
		if ev.Func.Dir&(api.Receives|api.Sends) == 0 {
			return
		}
		data, _ := ev.Data()
		got = append(got, moved{ev.Func.Name, ev.Received, ev.Sent, ev.EndOfStream, data})
	}))
	h.mu.Lock()
	err := L.DoString(`
		local a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
		a:sendall("hello\n")
		assert(b:recv(100) == "hello\n")
		a:close()
		assert(b:recv(100) == "")
		b:close()

		local srv = assert(socket.bind("127.0.0.1", 0))
		local ip, port = srv:getsockname()
		local c = assert(socket.connect(ip, port))
		local s = assert(srv:accept())
		assert(c:send("hello\n") == 6)
		assert(s:receive("*l") == "hello")
		c:close()
		local none, err = s:receive("*l")
		assert(none == nil and err == "closed")
		s:close()
		srv:close()`)
	h.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	want := []moved{
		{"sendall", 0, 6, false, "hello\n"},
		{"recv", 6, 0, false, "hello\n"},
		{"recv", 0, 0, true, ""},
		{"send", 0, 6, false, "hello\n"},
		{"receive", 6, 0, false, "hello"},
		{"receive", 0, 0, true, ""},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("moved:\n%v\nwant:\n%v", got, want)
	}
}
