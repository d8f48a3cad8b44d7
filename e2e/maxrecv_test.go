package e2e

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
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

// TestMaxConnections checks limits.max_connections: with 2, a third client
// waits in the backlog, unserved, until one of the first two leaves.
func TestMaxConnections(t *testing.T) {
	p := start(t, "--max-connections", "2", "--var", "port=0", script("threaded_echo_server.lua"))
	addr := p.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
	echo := func(c net.Conn, msg string, within time.Duration) error {
		c.SetDeadline(time.Now().Add(within))
		if _, err := c.Write([]byte(msg)); err != nil {
			return err
		}
		buf := make([]byte, len(msg))
		_, err := io.ReadFull(c, buf)
		return err
	}
	var first []net.Conn
	for i := range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := echo(c, "hello", 10*time.Second); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		first = append(first, c)
	}
	third, err := net.Dial("tcp", addr) // the kernel completes the handshake: the backlog
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	// Not served while two are open: its echo does not come (a bounded
	// wait for something that must not happen).
	if err := echo(third, "wait", 300*time.Millisecond); err == nil {
		t.Fatal("a third connection was served past limits.max_connections 2")
	}
	first[0].Close()
	buf := make([]byte, 4)
	third.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(third, buf); err != nil || string(buf) != "wait" {
		t.Fatalf("once one left, the third is served: %q, %v", buf, err)
	}
}
