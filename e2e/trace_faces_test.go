package e2e

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The same echo server in each face: it prints its port, takes one
// client, reads one line and sends it back, waits for the client's end
// of stream, and closes.
const (
	echoPython = `
local l = socket.socket()
l:bind({"127.0.0.1", 0})
l:listen()
print("port " .. l:getsockname().port)
local c = l:accept()
local line = c:recv(100)
c:sendall(line)
assert(c:recv(100) == "")
c:close()
l:close()
`
	echoLuaSocket = `
local socket = require "socket"
local l = assert(socket.bind("127.0.0.1", 0))
local _, port = l:getsockname()
print("port " .. port)
local c = assert(l:accept())
local line = assert(c:receive("*l"))
assert(c:send(line .. "\n"))
local none, err = c:receive("*l")
assert(none == nil and err == "closed", err)
c:close()
l:close()
`
)

// TestTraceFacesAgree runs the same exchange (a client sends a line, the
// server echoes it, the client ends the stream) against the Python face's
// server and LuaSocket's, each traced as a diagram, and compares the
// arrows: who sends what to whom, how many bytes, and the notes. What a
// call does and where its bytes are comes from the registry, and the
// bytes and endpoints from the socket core, so both faces draw the same.
func TestTraceFacesAgree(t *testing.T) {
	python := faceArrows(t, echoPython)
	luasocket := faceArrows(t, echoLuaSocket)
	want := []string{
		"Note over server: listen",
		"client->>server: connect",
		"Note over server: accept client",
		"client->>server: (6 bytes)",
		"server->>client: (6 bytes)",
		"client->>server: FIN",
		"server->>client: close",
		"Note over server: close",
	}
	if strings.Join(python, "\n") != strings.Join(want, "\n") {
		t.Errorf("the Python face's arrows:\n%s\nwant:\n%s", strings.Join(python, "\n"), strings.Join(want, "\n"))
	}
	if strings.Join(luasocket, "\n") != strings.Join(python, "\n") {
		t.Errorf("LuaSocket's arrows:\n%s\ndiffer from the Python face's:\n%s", strings.Join(luasocket, "\n"), strings.Join(python, "\n"))
	}
}

var (
	mermaidParticipant = regexp.MustCompile(`^\s*participant (P\d+) as (.*)$`)
	mermaidPreview     = regexp.MustCompile(`#34;.*#34; `)
)

// faceArrows runs script, an echo server, under --trace as a Mermaid
// diagram, talks to it as a client, and returns the diagram's steps with
// the participants named by role (server, client) and the previews left
// out (a line reader returns the line without its end of line).
func faceArrows(t *testing.T, script string) []string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "trace.mmd")
	p := start(t, "--trace-file", out, writeScript(t, script))
	port := p.waitLine(`^port (\d+)$`, 10*time.Second)[1]
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	echo := make([]byte, 6)
	if _, err := io.ReadFull(c, echo); err != nil || string(echo) != "hello\n" {
		t.Fatalf("echo %q, %v", echo, err)
	}
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c)
	c.Close()
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.Stderr())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{"127.0.0.1:" + port: "server", c.LocalAddr().String(): "client"}
	names := map[string]string{}
	var steps []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		if m := mermaidParticipant.FindStringSubmatch(line); m != nil {
			role, ok := roles[m[2]]
			if !ok {
				role = "(" + m[2] + ")" // neither: the test fails with it
			}
			names[m[1]] = role
			continue
		}
		line = mermaidPreview.ReplaceAllString(strings.TrimSpace(line), "")
		for p, role := range names {
			line = regexp.MustCompile(`\b`+p+`\b`).ReplaceAllString(line, role)
		}
		line = strings.ReplaceAll(line, c.LocalAddr().String(), "client")
		steps = append(steps, line)
	}
	if len(steps) == 0 {
		t.Fatalf("no steps in the diagram:\n%s", b)
	}
	return steps
}
