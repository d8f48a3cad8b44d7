package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The diagrams and traces are what happened on the wire: a line read is
// the bytes it took off the connection, its end of line too; a peer's
// end of stream is an arrow in every format; one endpoint is one
// lifeline, however the script named it; sockets without an address
// (socket.socketpair) are drawn as "fd N".

// lineServers read two lines from one client, then meet its end of
// stream: in the Python face (recvline, nil at the end) and LuaSocket's
// (receive("*l"), nil, "closed" at the end).
var lineServers = map[string]string{
	"python": `
local l = socket.socket()
l:bind({"127.0.0.1", 0})
l:listen()
print("port " .. l:getsockname().port)
local c = l:accept()
assert(c:recvline() == "hello, anyone here?")
assert(c:recvline() == "second")
assert(c:recvline() == nil)
c:close()
l:close()
`,
	"luasocket": `
local socket = require "socket"
local l = assert(socket.bind("127.0.0.1", 0))
local _, port = l:getsockname()
print("port " .. port)
local c = assert(l:accept())
assert(c:receive("*l") == "hello, anyone here?")
assert(c:receive("*l") == "second")
local none, err = c:receive("*l")
assert(none == nil and err == "closed", err)
c:close()
l:close()
`,
}

// sendLines is the client of lineServers: two lines, the second ending
// in "\r\n", then its end of stream. It returns its own address.
func sendLines(t *testing.T, p *proc) string {
	t.Helper()
	port := p.waitLine(`^port (\d+)$`, 10*time.Second)[1]
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("hello, anyone here?\nsecond\r\n")); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c)
	return c.LocalAddr().String()
}

// TestTraceLineReadsAndFIN: a line read shows the bytes it took off the
// wire, 20 for "hello, anyone here?\n", with its end of line in the
// preview; the client's end of stream is an arrow ("FIN" from the client)
// in the diagrams, "FIN from ADDRESS" in the text and "fin": true in the
// JSON lines. Both faces.
func TestTraceLineReadsAndFIN(t *testing.T) {
	for face, script := range lineServers {
		t.Run(face, func(t *testing.T) {
			path := writeScript(t, script)
			dir := t.TempDir()
			traces, clients := map[string]string{}, map[string]string{}
			for _, file := range []string{"trace.txt", "trace.jsonl", "trace.mmd", "trace.svg"} {
				out := filepath.Join(dir, file)
				p := start(t, "--trace-file", out, path)
				clients[file] = sendLines(t, p)
				if code := p.wait(10 * time.Second); code != 0 {
					t.Fatalf("%s: exit %d; stderr:\n%s", file, code, p.Stderr())
				}
				traces[file] = string(mustRead(t, out))
			}

			text := traces["trace.txt"]
			for _, w := range []string{
				`-> 20 bytes "hello, anyone here?\n"  CONNECTED`,
				`-> 8 bytes "second\r\n"  CONNECTED`,
				`-> 0 bytes (end of stream: FIN from ` + clients["trace.txt"] + `)`,
			} {
				if !strings.Contains(text, w) {
					t.Errorf("text: no %q in:\n%s", w, text)
				}
			}

			fins := 0
			sc := bufio.NewScanner(strings.NewReader(traces["trace.jsonl"]))
			for sc.Scan() {
				var ev struct {
					Bytes   *int   `json:"bytes"`
					Preview string `json:"preview"`
					FIN     bool   `json:"fin"`
					Peer    string `json:"peer"`
				}
				if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
					t.Fatalf("jsonl line %q: %v", sc.Text(), err)
				}
				if ev.FIN {
					fins++
					if ev.Bytes == nil || *ev.Bytes != 0 || ev.Peer != clients["trace.jsonl"] {
						t.Errorf("jsonl: the FIN's line: %s", sc.Text())
					}
				}
			}
			if fins != 1 {
				t.Errorf("jsonl: %d lines with \"fin\": true, want 1:\n%s", fins, traces["trace.jsonl"])
			}

			mmd := traces["trace.mmd"]
			for _, w := range []string{
				`P2->>P1: #34;hello, anyone here?\n#34; (20 bytes)`,
				`P2->>P1: #34;second\r\n#34; (8 bytes)`,
				`P2->>P1: FIN`,
			} {
				if !strings.Contains(mmd, w) {
					t.Errorf("mermaid: no %q in:\n%s", w, mmd)
				}
			}

			texts := svgTexts(t, traces["trace.svg"])
			for _, w := range []string{`"hello, anyone here?\n" (20 bytes)`, `"second\r\n" (8 bytes)`, "FIN"} {
				if !strings.Contains(texts, w) {
					t.Errorf("svg: no text %q in:\n%s", w, texts)
				}
			}
		})
	}
}

// svgTexts is the text of every element of an SVG document, a line each.
func svgTexts(t *testing.T, doc string) string {
	t.Helper()
	var texts []string
	dec := xml.NewDecoder(strings.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) > 0 {
			texts = append(texts, string(cd))
		}
	}
	return strings.Join(texts, "\n")
}

// mermaidParts are a Mermaid diagram's participants, by their P names.
func mermaidParts(doc string) map[string]string {
	parts := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*participant (P\d+) as (.*)$`).FindAllStringSubmatch(doc, -1) {
		parts[m[1]] = m[2]
	}
	return parts
}

// TestTraceLifelinePerEndpoint: a UDP server the script names
// "localhost" and that answers from 127.0.0.1 is one lifeline, labelled
// as the script named it; a listener bound to 0.0.0.0 and the
// connections it accepts (at 127.0.0.1) are one lifeline too.
func TestTraceLifelinePerEndpoint(t *testing.T) {
	t.Run("udp", func(t *testing.T) {
		srv, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		go func() { // an echo server in upper case, not the script
			buf := make([]byte, 100)
			for {
				n, from, err := srv.ReadFrom(buf)
				if err != nil {
					return
				}
				srv.WriteTo(bytes.ToUpper(buf[:n]), from)
			}
		}()
		port := srv.LocalAddr().(*net.UDPAddr).Port
		out := filepath.Join(t.TempDir(), "trace.mmd")
		_, stderr, code := runSockrun(t, "", "--trace-file", out, "--var", "port="+strconv.Itoa(port), writeScript(t, `
local c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c:settimeout(10)
for _, word in ipairs({"one", "two"}) do
  c:sendto(word, {"localhost", tonumber(vars.port)})
  assert(c:recvfrom(100) == word:upper())
end
c:close()
`))
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		doc := string(mustRead(t, out))
		parts := mermaidParts(doc)
		if len(parts) != 2 {
			t.Fatalf("%d participants, want 2 (the client and the server):\n%s", len(parts), doc)
		}
		if parts["P2"] != "localhost:"+strconv.Itoa(port) {
			t.Errorf("the server is %q, want it as the script named it, localhost:%d:\n%s", parts["P2"], port, doc)
		}
		for _, w := range []string{"P1->>P2: #34;one#34; (3 bytes)", "P2->>P1: #34;ONE#34; (3 bytes)", "P1->>P2: #34;two#34; (3 bytes)", "P2->>P1: #34;TWO#34; (3 bytes)"} {
			if !strings.Contains(doc, w) {
				t.Errorf("no %q in:\n%s", w, doc)
			}
		}
	})
	t.Run("wildcard listener", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "trace.mmd")
		p := start(t, "--trace-file", out, writeScript(t, `
local l = socket.socket()
l:bind({"0.0.0.0", 0})
l:listen()
print("port " .. l:getsockname().port)
local c = l:accept()
c:sendall(c:recv(100))
assert(c:recv(100) == "")
c:close()
l:close()
`))
		port := p.waitLine(`^port (\d+)$`, 10*time.Second)[1]
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write([]byte("ping"))
		io.ReadFull(c, make([]byte, 4))
		c.Close()
		if code := p.wait(10 * time.Second); code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, p.Stderr())
		}
		doc := string(mustRead(t, out))
		parts := mermaidParts(doc)
		if len(parts) != 2 || parts["P1"] != "127.0.0.1:"+port {
			t.Errorf("participants %v, want the server as 127.0.0.1:%s and the client:\n%s", parts, port, doc)
		}
		for _, w := range []string{"Note over P1: listen", "P2->>P1: connect", "P1->>P2: #34;ping#34; (4 bytes)", "Note over P1: close"} {
			if !strings.Contains(doc, w) {
				t.Errorf("no %q in:\n%s", w, doc)
			}
		}
	})
}

// TestTraceSocketpair: the two ends of socket.socketpair(), which have
// no address, are lifelines "fd N" with their traffic between them, and
// the text trace names the FIN's sender by its descriptor too.
func TestTraceSocketpair(t *testing.T) {
	script := writeScript(t, `
local a, b = socket.socketpair()
print("fds " .. a:fileno() .. " " .. b:fileno())
a:sendall("ping\n")
assert(b:recv(10) == "ping\n")
b:sendall("pong")
assert(a:recv(10) == "pong")
a:close()
assert(b:recv(10) == "")
b:close()
`)
	dir := t.TempDir()
	mmd, txt := filepath.Join(dir, "trace.mmd"), filepath.Join(dir, "trace.txt")
	var fds []string
	for _, out := range []string{mmd, txt} {
		stdout, stderr, code := runSockrun(t, "", "--trace-file", out, script)
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		fds = strings.Fields(strings.TrimPrefix(stdout, "fds "))
	}
	a, b := "fd "+fds[0], "fd "+fds[1]
	doc := string(mustRead(t, mmd))
	parts := mermaidParts(doc)
	if len(parts) != 2 || parts["P1"] != a || parts["P2"] != b {
		t.Fatalf("participants %v, want %s and %s:\n%s", parts, a, b, doc)
	}
	for _, w := range []string{"P1->>P2: #34;ping\\n#34; (5 bytes)", "P2->>P1: #34;pong#34; (4 bytes)", "P1->>P2: close"} {
		if !strings.Contains(doc, w) {
			t.Errorf("no %q in:\n%s", w, doc)
		}
	}
	text := string(mustRead(t, txt))
	if w := "recv(10) -> 0 bytes (end of stream: FIN from " + a + ")"; !strings.Contains(text, w) {
		t.Errorf("no %q in:\n%s", w, text)
	}
}
