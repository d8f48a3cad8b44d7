package luaapi

import (
	"context"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
)

// testHost is a minimal Host: an interpreter lock, a context the test
// cancels, and threads on goroutines.
type testHost struct {
	mu       sync.Mutex
	ctx      context.Context
	cancel   context.CancelCauseFunc
	interval atomic.Int64 // the switch interval: kept, not used
}

func newTestHost() *testHost {
	h := &testHost{}
	h.ctx, h.cancel = context.WithCancelCause(context.Background())
	return h
}

func (h *testHost) Context() context.Context                  { return h.ctx }
func (h *testHost) WaitContext(L *lua.LState) context.Context { return h.ctx }
func (h *testHost) Unlock(L *lua.LState)                      { h.mu.Unlock() }
func (h *testHost) Lock(L *lua.LState) {
	h.mu.Lock()
	L.G.CurrentThread = L
}
func (h *testHost) Go(L *lua.LState, body func(co *lua.LState)) {
	co, cancel := L.NewThread()
	if cancel != nil {
		cancel()
	}
	go func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		co.G.CurrentThread = co
		body(co)
	}()
}
func (h *testHost) Exit(L *lua.LState, code int) { runtime.Goexit() }
func (h *testHost) Stdout() io.Writer            { return io.Discard }
func (h *testHost) Stderr() io.Writer            { return io.Discard }
func (h *testHost) Stdin() io.Reader             { return strings.NewReader("") }
func (h *testHost) Checkpoint(L *lua.LState)     {}
func (h *testHost) SwitchInterval() time.Duration {
	return time.Duration(h.interval.Load())
}
func (h *testHost) SetSwitchInterval(d time.Duration) { h.interval.Store(int64(d)) }

// startLua runs chunk in a new VM on its own goroutine holding the lock,
// and returns the host, the runtime and a channel with the chunk's error.
func startLua(t *testing.T, chunk string, cfg Config) (*testHost, *Runtime, <-chan error) {
	t.Helper()
	h := newTestHost()
	L := lua.NewState()
	rt := New(h, cfg)
	rt.Open(L)
	t.Cleanup(func() {
		h.cancel(context.Canceled)
		rt.CloseAll()
	})
	done := make(chan error, 1)
	h.mu.Lock()
	go func() {
		defer h.mu.Unlock()
		done <- L.DoString(chunk)
	}()
	return h, rt, done
}

// waitBlocked waits until the script releases the interpreter lock without
// ending: it is blocked in a wait.
func waitBlocked(t *testing.T, h *testHost, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("script ended instead of waiting: %v", err)
		default:
		}
		if h.mu.TryLock() {
			h.mu.Unlock()
			return
		}
		time.Sleep(time.Millisecond) // polling for the lock's release
	}
	t.Fatal("script never released the interpreter lock")
}

// TestWaitsEndOnInterrupt checks that every wait of the thread and select
// modules ends promptly with a KeyboardInterrupt when the run's context
// ends, even with a long timeout.
func TestWaitsEndOnInterrupt(t *testing.T) {
	cases := map[string]string{
		"queue get":      `local q = thread.queue(); q:get()`,
		"queue get 60s":  `local q = thread.queue(); q:get(60)`,
		"queue put full": `local q = thread.queue(1); q:put(1); q:put(2)`,
		"lock acquire":   `local l = thread.lock(); l:acquire(); l:acquire()`,
		"lock 60s":       `local l = thread.lock(); l:acquire(); l:acquire(60)`,
		"event wait":     `local e = thread.event(); e:wait()`,
		"event wait 60s": `local e = thread.event(); e:wait(60)`,
		"select": `local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
			s:bind({"127.0.0.1", 0}); require("select").select({s}, {}, {})`,
		"select 60s": `local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
			s:bind({"127.0.0.1", 0}); require("select").select({s}, {}, {}, 60)`,
		"select nothing": `require("select").select({}, {}, {})`,
	}
	interruptEndsWaits(t, cases)
}

// interruptEndsWaits runs each chunk until it waits, cancels the run's
// context, and checks that the wait ends with a KeyboardInterrupt (before
// its own timeout, 60 s or none, could end it).
func interruptEndsWaits(t *testing.T, cases map[string]string) {
	for name, chunk := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, _, done := startLua(t, chunk, Config{})
			waitBlocked(t, h, done)
			h.cancel(ErrInterrupted)
			select {
			case err := <-done:
				var msg string
				if apiErr, ok := err.(*lua.ApiError); ok {
					msg, _ = api.IsErrorValue(apiErr.Object)
				}
				if !strings.Contains(msg, "KeyboardInterrupt: interrupted") {
					t.Fatalf("got %v (%q), want a KeyboardInterrupt", err, msg)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the wait did not end on interrupt")
			}
		})
	}
}

// TestSelectBufferedIsReadable checks that bytes held in a socket's receive
// buffer make it readable, and that select then does not wait.
func TestSelectBufferedIsReadable(t *testing.T) {
	h := newTestHost()
	defer h.cancel(context.Canceled)
	L := lua.NewState()
	defer L.Close()
	rt := New(h, Config{})
	defer rt.CloseAll()
	rt.Open(L)
	h.mu.Lock()
	defer h.mu.Unlock()
	// A peek reads what the kernel has into the receive buffer without
	// consuming it: the kernel has nothing left, the buffer has "held".
	err := L.DoString(`
		local l = socket.socket()
		l:bind({"127.0.0.1", 0}); l:listen()
		local c = socket.socket()
		c:connect(l:getsockname())
		sock = l:accept()
		c:sendall("held")
		assert(sock:recv(4, socket.MSG_PEEK) == "held", "peeked")
		other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		other:bind({"127.0.0.1", 0})`)
	if err != nil {
		t.Fatal(err)
	}
	err = L.DoString(`
		local select = require "select"
		local t0 = socket.time()
		local r, w = select.select({other, sock}, {}, {}, 10)
		assert(socket.time() - t0 < 5, "select waited")
		assert(#r == 1 and r[1] == sock, "buffered socket readable")
		assert(sock:recv(10) == "held", "buffer returned")
		r = select.select({sock}, {}, {}, 0)
		assert(#r == 0, "nothing left")`)
	if err != nil {
		t.Fatal(err)
	}
}
