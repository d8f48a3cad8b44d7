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
