package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDiagramSignalAtItsTime: the Ctrl-C that ends a server is drawn
// where it happened, after the calls before it, not at the top of the
// diagram.
func TestDiagramSignalAtItsTime(t *testing.T) {
	file := filepath.Join(t.TempDir(), "run.mmd")
	p := start(t, "--trace-file", file, "-e", `
local s = socket.socket()
s:bind({"127.0.0.1", 0}); s:listen(5)
print("listening on " .. tostring(s:getsockname()))
local c = s:accept()
print("received " .. c:recv(10))
c:recv(10)`)
	addr := p.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
	c := dial(t, addr, time.Now().Add(10*time.Second))
	if _, err := c.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	p.waitLine(`^received hi$`, 10*time.Second) // the first recv took the bytes: the signal comes after it
	p.signal(syscall.SIGINT)
	if code := p.wait(10 * time.Second); code != 130 {
		t.Fatalf("exit code %d, want 130", code)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	sig, accept := strings.Index(d, "SIGINT"), strings.Index(d, "accept ")
	if sig < 0 || accept < 0 || sig < accept {
		t.Errorf("the signal is not drawn after the accept:\n%s", d)
	}
}
