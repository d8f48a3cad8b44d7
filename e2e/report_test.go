package e2e

import (
	"strings"
	"testing"
)

// TestReport checks --report's account of what a script left: sockets
// never closed with where they were made, unread bytes, a datagram cut
// short, a socket the collector closed, a timeout; and nothing without
// the flag.
func TestReport(t *testing.T) {
	const src = `local l = socket.socket(); l:bind({"127.0.0.1", 0}); l:listen()
local c = socket.create_connection(l:getsockname())
local s = l:accept()
c:sendall("hello, unread")
s:recv(1, socket.MSG_PEEK)
local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u:bind({"127.0.0.1", 0})
socket.socket(socket.AF_INET, socket.SOCK_DGRAM):sendto("a long datagram", u:getsockname())
u:recvfrom(4)
u:settimeout(0.01); pcall(u.recvfrom, u, 10)
do local lost = socket.socket() end
for _ = 1, 5 do collectgarbage() end
`
	script := writeScript(t, src)
	_, stderr, code := runSockrun(t, "", "--report", "--explain=false", script)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"sockrun: report\n",
		"  sockets never closed: ", // 4 or 5: the sender of line 7 is lost, collected or not yet
		"SOCK_STREAM fd=",
		" LISTENING 127.0.0.1:",
		"13 bytes received and not read, made at " + script + ":3",
		"  unread bytes in receive buffers: 13 bytes on 1 socket (received",
		"  datagrams cut short by a read smaller than them: 1\n",
		"  threads still running: none\n",
		"  timeouts hit: 1\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("report lacks %q:\n%s", want, stderr)
		}
	}
	// The collector runs when it will: a socket it closed is listed when
	// it has, and then as made at line 10.
	if !strings.Contains(stderr, "sockets closed by the garbage collector: none") &&
		!strings.Contains(stderr, "made at "+script+":10") {
		t.Errorf("the lost socket:\n%s", stderr)
	}
	_, stderr, _ = runSockrun(t, "", "--explain=false", script)
	if strings.Contains(stderr, "report") {
		t.Errorf("a report without --report:\n%s", stderr)
	}
}

// TestReportKernelBytes checks that the report counts the bytes the kernel
// still holds for a socket, not only sockrun's own buffer: a client sent
// 12 bytes the server never read (no call read them into sockrun), and a
// datagram nobody received; and bytes still unread in a socket the script
// closed.
func TestReportKernelBytes(t *testing.T) {
	const src = `local select = require "select"
local l = socket.socket(); l:bind({"127.0.0.1", 0}); l:listen()
local c = socket.create_connection(l:getsockname())
local s = l:accept()
c:sendall("hello, world")
local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u:bind({"127.0.0.1", 0})
local sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sender:sendto("a datagram", u:getsockname())
local c2 = socket.create_connection(l:getsockname())
local s2 = l:accept()
c2:sendall("dropped")
-- Wait until each has arrived, without reading it.
assert(#select.select({s, u, s2}, {}, {}, 10) == 3)
s2:close()
sender:close(); c2:close()
`
	script := writeScript(t, src)
	_, stderr, code := runSockrun(t, "", "--report", "--explain=false", script)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		" -> 127.0.0.1:", // the server's end, with what it holds:
		"12 bytes received and not read, made at " + script + ":4",
		"10 bytes received and not read, made at " + script + ":6",
		"  unread bytes in receive buffers: 29 bytes on 3 sockets",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("report lacks %q:\n%s", want, stderr)
		}
	}
}
