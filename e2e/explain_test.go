package e2e

import (
	"strings"
	"testing"
)

// TestExplainLine checks the explanation printed under an uncaught error,
// in the main chunk and in a thread, and that --explain=false drops it.
func TestExplainLine(t *testing.T) {
	// l holds its port, bound and not listening: a connect is refused.
	const refused = `local l = socket.socket(); l:bind({"127.0.0.1", 0}); local port = l:getsockname().port
		socket.socket():connect({"127.0.0.1", port})`
	_, stderr, code := runSockrun(t, "", "-e", refused)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(stderr, "\n")
	if len(lines) < 2 || !strings.Contains(lines[0], "ConnectionRefusedError: [Errno 111] Connection refused") ||
		!strings.HasPrefix(lines[1], "  why: nothing is listening on that port") {
		t.Errorf("stderr:\n%s", stderr)
	}
	_, stderr, _ = runSockrun(t, "", "--explain=false", "-e", refused)
	if strings.Contains(stderr, "why:") {
		t.Errorf("--explain=false still explains:\n%s", stderr)
	}
	_, stderr, _ = runSockrun(t, "", "-e", `
		local s = socket.socket(); s:bind({"127.0.0.1", 0})
		thread.spawn(function() s:accept() end):join()`)
	if !strings.Contains(stderr, "  why: accept() needs a listening socket") {
		t.Errorf("a thread's error:\n%s", stderr)
	}
}

// TestNotes checks the notes on reads that surprise learners: printed
// once per run, and not with --explain=false.
func TestNotes(t *testing.T) {
	const chunk = `
		local a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a:bind({"127.0.0.1", 0})
		local b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		for i = 1, 3 do b:sendto("hello world", a:getsockname()); print(a:recvfrom(5)) end
		local l = socket.socket(); l:bind({"127.0.0.1", 0}); l:listen()
		local c = socket.create_connection(l:getsockname()); local s = l:accept()
		c:sendall("one long message")
		print(s:recv(3))`
	out, stderr, code := runSockrun(t, "", "-e", chunk)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(out, "hello") != 3 || !strings.Contains(out, "one") {
		t.Errorf("stdout:\n%s", out)
	}
	if strings.Count(stderr, "sockrun: note: recvfrom(5) got a datagram of 11 bytes: the other 6 were dropped") != 1 {
		t.Errorf("the truncation note, once:\n%s", stderr)
	}
	if strings.Count(stderr, "note:") != 1 {
		t.Errorf("one note only:\n%s", stderr)
	}
	_, stderr, _ = runSockrun(t, "", "--explain=false", "-e", chunk)
	if strings.Contains(stderr, "note:") {
		t.Errorf("--explain=false still notes:\n%s", stderr)
	}
}
