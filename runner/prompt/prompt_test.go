package prompt

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/runner/host"
)

// lockedBuffer is a buffer several goroutines write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// fakeTerminal is a line editor on a terminal that a user presses Ctrl-C
// at the first moment it can: when the editor gives the terminal back
// (Release) after the line ctrlCAfter was read. A Ctrl-C is a signal only
// from then (in the editor's raw mode it is a key), and the signal is
// handled at once.
type fakeTerminal struct {
	lines      []string
	ctrlCAfter string
	press      func() // the signal's handler
	last       string // the line read last
}

func (f *fakeTerminal) Prompt(string) (string, error) {
	if len(f.lines) == 0 {
		return "", io.EOF
	}
	f.last, f.lines = f.lines[0], f.lines[1:]
	return f.last, nil
}

func (f *fakeTerminal) Release() {
	if f.last == f.ctrlCAfter {
		f.last = ""
		f.press()
	}
}

func (f *fakeTerminal) AppendHistory(string) {}
func (f *fakeTerminal) Close() error         { return nil }

// TestCtrlCAsTheTerminalIsGivenBack: a Ctrl-C that comes the moment the
// line editor gives the terminal back, after a blocking statement was
// typed, interrupts that statement. It used to be taken for one at the
// editor and dropped, and s:accept() waited for ever.
func TestCtrlCAsTheTerminalIsGivenBack(t *testing.T) {
	var stdout, stderr lockedBuffer
	env := &host.Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Dir: t.TempDir()}
	v := host.NewVM(context.Background(), env, luaapi.Config{}, ".", "")
	defer v.Close()
	ed := &fakeTerminal{
		lines: []string{
			`s = socket.socket(); s:bind({"127.0.0.1", 0}); s:listen()`,
			`s:accept()`,
			`"after"`,
		},
		ctrlCAfter: `s:accept()`,
	}
	p := &prompt{v: v, env: env, ed: ed}
	ed.press = func() { p.interrupt() }
	done := make(chan int, 1)
	go func() { done <- p.session(host.Script{}) }()
	select {
	case code := <-done:
		if code != host.ExitOK {
			t.Errorf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		v.Close() // ends the accept, and the session
		<-done
		t.Fatalf("the Ctrl-C was dropped: s:accept() still waits after 10s\nstderr: %s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "KeyboardInterrupt: interrupted") {
		t.Errorf("stderr %q, want the KeyboardInterrupt of s:accept()", stderr.String())
	}
	if !strings.Contains(stdout.String(), `"after"`) {
		t.Errorf("stdout %q: the session did not go on after the interrupt", stdout.String())
	}
}

// triggerWriter is standard output that calls fire, once, in a goroutine
// of its own, when what was written contains mark.
type triggerWriter struct {
	lockedBuffer
	mark  string
	fire  func()
	fired bool
}

func (w *triggerWriter) Write(p []byte) (int, error) {
	n, err := w.lockedBuffer.Write(p)
	w.mu.Lock()
	if !w.fired && strings.Contains(w.b.String(), w.mark) {
		w.fired = true
		go w.fire()
	}
	w.mu.Unlock()
	return n, err
}

// TestCtrlCInterruptsOnlyTheStatement: Ctrl-C on a statement busy in Lua
// code raises KeyboardInterrupt in the main thread only, as Python's
// prompt does: a thread started before keeps running and answers after.
// It used to end every wait of the VM, the thread's q:get() too.
func TestCtrlCInterruptsOnlyTheStatement(t *testing.T) {
	var stderr lockedBuffer
	stdout := &triggerWriter{mark: "spinning"}
	env := &host.Env{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: &stderr, Dir: t.TempDir()}
	v := host.NewVM(context.Background(), env, luaapi.Config{}, ".", "")
	defer v.Close()
	ed := &fakeTerminal{lines: []string{
		`q, r = thread.queue(), thread.queue(); t = thread.spawn(function() while true do r:put(q:get() * 2) end end)`,
		`print("spinning"); while true do end`,
		`q:put(21); print("answer", r:get())`,
	}}
	p := &prompt{v: v, env: env, ed: ed}
	stdout.fire = func() { p.interrupt() }
	done := make(chan int, 1)
	go func() { done <- p.session(host.Script{}) }()
	select {
	case code := <-done:
		if code != host.ExitOK {
			t.Errorf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		v.Close()
		<-done
		t.Fatalf("the session did not end within 10s\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "KeyboardInterrupt: interrupted") {
		t.Errorf("stderr %q, want the KeyboardInterrupt of the busy loop", stderr.String())
	}
	if !strings.Contains(stdout.String(), "answer\t42") {
		t.Errorf("stdout %q: the thread did not answer after the Ctrl-C\nstderr: %s", stdout.String(), stderr.String())
	}
}
