package e2e

import (
	"strings"
	"testing"
)

// TestMaxRecv checks limits.max_recv: a recv or io.read asking for more
// returns at most that many bytes, and the rest stays for the next read.
func TestMaxRecv(t *testing.T) {
	out, stderr, code := runSockrun(t, strings.Repeat("y", 5000), "--max-recv", "1KiB", "-e", `
		local a, b = socket.socketpair()
		a:sendall(string.rep("x", 3000))
		print(#b:recv(1e9), #b:recv(1e9), #b:recv(1e9))
		print(#io.read(2^40), #io.read(2^40))`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if out != "1024\t1024\t952\n1024\t1024" {
		t.Errorf("got %q", out)
	}
	_, stderr, code = runSockrun(t, "", "--max-recv", "1TiB", "-e", "")
	if code != 2 || !strings.Contains(stderr, "limits.max_recv") {
		t.Errorf("a limit out of range: exit %d, %s", code, stderr)
	}
}
