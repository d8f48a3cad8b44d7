package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// traceConversation is a script that talks to itself over loopback: a
// listener, a client in a thread, data both ways, a preview that is cut,
// end of stream, and a refused connect (to a port bound and not
// listening).
const traceConversation = `
local l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l:bind({"127.0.0.1", 0})
l:listen(5)
local addr = l:getsockname()
local t = thread.spawn(function()
  local c = socket.socket()
  c:connect(addr)
  c:sendall("hello\r\n")
  c:recv(1024)
  c:close()
end)
local conn, peer = l:accept()
local data = conn:recv(1024)
conn:sendall(string.upper(data) .. string.rep("x", 40))
assert(conn:recv(10) == "")
conn:close()
t:join()
local gone = socket.socket()
gone:bind({"127.0.0.1", 0})
local port = gone:getsockname().port
local refused = socket.socket()
print(pcall(refused.connect, refused, {"127.0.0.1", port}))
gone:close()
l:close()
`

// traceLine is the shape of every line of the text trace.
var traceLine = regexp.MustCompile(`^(w\d+ )?\d+\.\d{4} (signal |main |t\d+ )`)

// TestTraceText checks the text trace of a conversation: states before
// and after, arguments as written, previews, thread names, error names.
func TestTraceText(t *testing.T) {
	_, stderr, code := runSockrun(t, "", "--trace", writeScript(t, traceConversation))
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	for _, l := range lines {
		if !traceLine.MatchString(l) {
			t.Errorf("not a trace line: %q", l)
		}
	}
	want := []string{
		`main socket.socket(socket.AF_INET, socket.SOCK_STREAM) -> fd=\d+  CREATED$`,
		`main fd=\d+ setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1) -> ok  CREATED$`,
		`main fd=(\d+) bind({"127.0.0.1", 0}) -> ok  CREATED→BOUND$`,
		`main fd=\d+ listen(5) -> ok  BOUND→LISTENING$`,
		`main fd=\d+ accept() waiting...  LISTENING$`,
		`t2 thread started$`,
		`t2 fd=\d+ connect({"127.0.0.1", \d+}) -> ok  CREATED→CONNECTED$`,
		`t2 fd=\d+ sendall("hello\r\n") -> 7 bytes  CONNECTED$`,
		`main fd=\d+ accept() -> fd=\d+ 127.0.0.1:\d+  LISTENING$`,
		`main fd=\d+ recv(1024) -> 7 bytes "hello\r\n"  CONNECTED$`,
		`main fd=\d+ sendall("HELLO\r\nxxxxxxxxxxxxxxxxxxxxxxxxx..." (47 bytes)) -> 47 bytes  CONNECTED$`,
		`t2 fd=\d+ recv(1024) -> 47 bytes "HELLO\r\nxxxxxxxxxxxxxxxxxxxxxxxxx..."  CONNECTED$`,
		`t2 fd=\d+ close() -> ok  CONNECTED→CLOSED$`,
		`t2 thread ended$`,
		`main fd=\d+ recv(10) -> 0 bytes (end of stream: FIN from 127.0.0.1:\d+)  CONNECTED$`,
		`main fd=\d+ close() -> ok  CONNECTED→CLOSED$`,
		`main fd=\d+ connect({"127.0.0.1", \d+}) -> error ECONNREFUSED  CREATED$`,
		`main fd=\d+ close() -> ok  LISTENING→CLOSED$`,
	}
	for _, w := range want {
		re := regexp.MustCompile(`^\d+\.\d{4} ` + regexp.QuoteMeta(w))
		re = regexp.MustCompile(strings.NewReplacer(`\\d\+`, `\d+`, `\(\\d\+\)`, `(\d+)`, `\$`, `$`).Replace(re.String()))
		found := false
		for _, l := range lines {
			if re.MatchString(l) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no line like %q in the trace:\n%s", w, stderr)
		}
	}
	// The clock only goes forward, line after line.
	last := -1.0
	for _, l := range lines {
		var at float64
		fmt.Sscanf(l, "%f", &at)
		if at < last {
			t.Errorf("time goes back at %q", l)
		}
		last = at
	}
}

// TestTraceOffByDefault: no --trace, no trace.
func TestTraceOffByDefault(t *testing.T) {
	_, stderr, code := runSockrun(t, "", writeScript(t, traceConversation))
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestTraceJSONL checks that every line of the jsonl trace is a JSON
// object with the documented fields.
func TestTraceJSONL(t *testing.T) {
	out := filepath.Join(t.TempDir(), "trace.jsonl")
	_, stderr, code := runSockrun(t, "", "--trace-file", out, writeScript(t, traceConversation))
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type event struct {
		T           *float64 `json:"t"`
		Kind        string   `json:"kind"`
		Worker      int      `json:"worker"`
		Thread      int      `json:"thread"`
		FD          *int     `json:"fd"`
		Call        string   `json:"call"`
		Args        string   `json:"args"`
		Result      string   `json:"result"`
		Error       string   `json:"error"`
		Bytes       *int     `json:"bytes"`
		Preview     string   `json:"preview"`
		FIN         bool     `json:"fin"`
		StateBefore string   `json:"state_before"`
		StateAfter  string   `json:"state_after"`
		Local       string   `json:"local"`
		Peer        string   `json:"peer"`
		Wait        float64  `json:"wait"`
		Detail      string   `json:"detail"`
	}
	kinds := map[string]int{}
	var sawRecv, sawRefused, sawBind bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev event
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if ev.T == nil || ev.Kind == "" || ev.Worker != 1 || ev.Thread < 1 {
			t.Errorf("line %q lacks t, kind, worker or thread", sc.Text())
		}
		kinds[ev.Kind]++
		switch {
		case ev.Call == "recv" && ev.Kind == "call" && ev.Thread == 1 && ev.Bytes != nil && *ev.Bytes == 7:
			sawRecv = ev.Preview == `"hello\r\n"` && ev.StateBefore == "CONNECTED" && ev.FD != nil &&
				strings.HasPrefix(ev.Local, "127.0.0.1:") && strings.HasPrefix(ev.Peer, "127.0.0.1:")
		case ev.Call == "connect" && ev.Error != "":
			sawRefused = ev.Error == "ECONNREFUSED" && strings.HasPrefix(ev.Args, `{"127.0.0.1", `)
		case ev.Call == "bind" && ev.Thread == 1 && ev.StateBefore == "CREATED" && ev.Result == "ok":
			sawBind = ev.StateAfter == "BOUND"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !sawRecv || !sawRefused || !sawBind {
		t.Errorf("recv %v, refused connect %v, bind %v seen as expected", sawRecv, sawRefused, sawBind)
	}
	for _, k := range []string{"call", "waiting", "thread_start", "thread_end"} {
		if kinds[k] == 0 {
			t.Errorf("no %s event; kinds seen %v", k, kinds)
		}
	}
}

// serveOnce is a server that answers one client's line in upper case,
// then closes; the test is its client, a peer that is not the script.
const serveOnce = `
local l = socket.socket()
l:bind({"127.0.0.1", 0})
l:listen()
print("port " .. l:getsockname().port)
local c = l:accept()
local line = c:recv(100)
c:sendall(string.upper(line))
assert(c:recv(100) == "")
c:close()
l:close()
`

// talkOnce is the client of serveOnce: it returns its own address.
func talkOnce(t *testing.T, p *proc) string {
	t.Helper()
	port := p.waitLine(`port (\d+)`, 10*time.Second)[1]
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping;#1\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	if _, err := io.ReadAtLeast(c, buf, 8); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c)
	c.Close()
	return c.LocalAddr().String()
}

// TestTraceMermaid checks the diagram of a server talking to a client
// that is not the script: both are participants by address, with the
// connect, the data both ways, the FIN and the close.
func TestTraceMermaid(t *testing.T) {
	out := filepath.Join(t.TempDir(), "trace.md")
	p := start(t, "--trace-file", out, writeScript(t, serveOnce))
	client := talkOnce(t, p)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.Stderr())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if lines[0] != "```mermaid" || lines[1] != "sequenceDiagram" || lines[len(lines)-1] != "```" {
		t.Fatalf("not a Mermaid block in Markdown:\n%s", got)
	}
	server := regexp.MustCompile(`participant P1 as (127\.0\.0\.1:\d+)`).FindStringSubmatch(got)
	if server == nil {
		t.Fatalf("no server participant:\n%s", got)
	}
	want := []string{
		"    Note over P1: listen",
		"    participant P2 as " + client,
		"    P2->>P1: connect",
		"    Note over P1: accept " + client,
		`    P2->>P1: #34;ping#59;#35;1\n#34; (8 bytes)`,
		`    P1->>P2: #34;PING#59;#35;1\n#34; (8 bytes)`,
		"    P2->>P1: FIN",
		"    P1->>P2: close",
		"    Note over P1: close",
	}
	at := 0
	for _, w := range want {
		if strings.HasPrefix(w, "    participant") {
			if !strings.Contains(got, w+"\n") {
				t.Fatalf("no %q in:\n%s", w, got)
			}
			continue
		}
		i := strings.Index(got[at:], w+"\n")
		if i < 0 {
			t.Fatalf("no %q (in order) in:\n%s", w, got)
		}
		at += i
	}
}

// TestTraceSVG draws the same run as an SVG: well-formed XML, and a real
// renderer (rsvg-convert, from librsvg2-bin) makes a PNG of it.
func TestTraceSVG(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "trace.svg")
	p := start(t, "--trace-file", out, writeScript(t, serveOnce))
	client := talkOnce(t, p)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.Stderr())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	dec := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Space + " " + tok.Name.Local
			}
		case xml.CharData:
			texts = append(texts, string(tok))
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Errorf("root element %q", root)
	}
	all := strings.Join(texts, "\n")
	for _, w := range []string{client, "connect", `"ping;#1\n" (8 bytes)`, `"PING;#1\n" (8 bytes)`, "FIN", "close", "listen"} {
		if !strings.Contains(all, w) {
			t.Errorf("no text %q in the SVG; texts:\n%s", w, all)
		}
	}

	rsvg := testenv.Tool(t, "rsvg-convert")
	pngPath := filepath.Join(dir, "trace.png")
	cmd := exec.Command(rsvg, "-o", pngPath, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rsvg-convert: %v: %s", err, msg)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("rsvg-convert's PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 300 || r.Dy() < 200 {
		t.Errorf("PNG is %v", r)
	}
	if os.Getenv("SOCKRUN_KEEP_TRACE_PNG") != "" {
		os.WriteFile(os.Getenv("SOCKRUN_KEEP_TRACE_PNG"), mustRead(t, pngPath), 0o644)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTraceLockWaitAndSignal: a thread that hands the lock over at the
// switch interval is traced, and so is Ctrl-C.
func TestTraceLockWaitAndSignal(t *testing.T) {
	src := writeScript(t, `
local ran = false
thread.spawn(function() ran = true end)
local deadline = socket.time() + 5
while not ran and socket.time() < deadline do end
print("handed over " .. tostring(ran))
local s = socket.socket()
s:bind({"127.0.0.1", 0})
s:listen()
print("listening")
s:accept()`)
	p := start(t, "--trace", src)
	p.waitLine(`handed over true`, 10*time.Second)
	p.waitLine(`listening`, 10*time.Second)
	waitStderr(t, p, "accept() waiting...", 10*time.Second)
	p.signal(syscall.SIGINT)
	if code := p.wait(5 * time.Second); code != 130 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.Stderr())
	}
	stderr := p.Stderr()
	for _, re := range []string{
		`(?m)^\d+\.\d{4} main waited \d+\.\d\d ms for the lock \(handed over at the switch interval\)$`,
		`(?m)^\d+\.\d{4} signal SIGINT: interrupting the run$`,
		`(?m)^\d+\.\d{4} main fd=\d+ accept\(\) -> error KeyboardInterrupt  LISTENING$`,
	} {
		if !regexp.MustCompile(re).MatchString(stderr) {
			t.Errorf("no line matching %s in:\n%s", re, stderr)
		}
	}
}

// TestTraceWorkers: each line says its worker, and lines of two workers
// writing at once never mix.
func TestTraceWorkers(t *testing.T) {
	src := writeScript(t, `
for i = 1, 200 do socket.htons(i) end`)
	_, stderr, code := runSockrun(t, "", "--workers", "2", "--trace", src)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	line := regexp.MustCompile(`^w([12]) \d+\.\d{4} main socket\.htons\(\d+\) -> \d+$`)
	count := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q is not one whole trace line", l)
		}
		count[m[1]]++
	}
	if count["1"] != 200 || count["2"] != 200 {
		t.Errorf("lines per worker: %v", count)
	}
}

// TestTraceConfig: the trace keys come from the environment and the
// config file too, and a bad format is a usage error.
func TestTraceConfig(t *testing.T) {
	src := writeScript(t, `socket.htons(1)`)
	dir := t.TempDir()
	p := startIn(t, dir, []string{"SOCKRUN_TRACE=1"}, sockrunBin, src)
	p.closeStdin()
	if code := p.wait(10 * time.Second); code != 0 || !strings.Contains(p.Stderr(), "main socket.htons(1) -> 256") {
		t.Errorf("SOCKRUN_TRACE=1: exit %d, stderr %q", code, p.Stderr())
	}

	if err := os.WriteFile(filepath.Join(dir, "sockrun.yaml"), []byte("trace: true\ntrace_format: jsonl\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p = startIn(t, dir, nil, sockrunBin, src)
	p.closeStdin()
	if code := p.wait(10 * time.Second); code != 0 || !strings.HasPrefix(p.Stderr(), `{"t":`) {
		t.Errorf("config file: exit %d, stderr %q", code, p.Stderr())
	}

	_, stderr, code := runSockrun(t, "", "--trace-format", "png", src)
	if code != 2 || !strings.Contains(stderr, `trace_format "png"`) {
		t.Errorf("bad format: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = runSockrun(t, "", "--trace-file", filepath.Join(dir, "no", "such", "dir.txt"), src)
	if code != 2 || !strings.Contains(stderr, "sockrun: trace: ") {
		t.Errorf("bad trace file: exit %d, stderr %q", code, stderr)
	}
}

// waitStderr waits until p's stderr holds want.
func waitStderr(t *testing.T, p *proc, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.Stderr(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q on stderr after %v:\n%s", want, timeout, p.Stderr())
		}
		time.Sleep(5 * time.Millisecond) // polling for a line, not waiting a fixed time
	}
}

// TestTraceSaysWhenARecvLeftBytes checks the trace's answer to a learner's
// most common surprise: a recv that filled its bufsize while more of the
// peer's send had arrived says how many bytes wait for the next read.
func TestTraceSaysWhenARecvLeftBytes(t *testing.T) {
	_, stderr, code := runSockrun(t, "", "--trace", "-e", `
		local l = socket.socket(); l:bind({"127.0.0.1", 0}); l:listen()
		local c = socket.create_connection(l:getsockname())
		local s = l:accept()
		c:sendall("hello world")
		s:recv(11, socket.MSG_PEEK)
		s:recv(5); s:recv(100)`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, `recv(5) -> 5 bytes "hello" (+6 more received, waiting for the next read)`) {
		t.Errorf("trace:\n%s", stderr)
	}
	if strings.Contains(stderr, `recv(100) -> 6 bytes " world" (+`) {
		t.Errorf("a recv that took everything says more is waiting:\n%s", stderr)
	}
}

// TestTraceLeavesOutClocks: which calls --trace shows is declared in the
// registry (a module of sockets, a function that touches none), not
// matched by name in the tracer. Both faces' clocks are left out; opening
// a unix socket through require "socket.unix" is shown like socket.socket.
func TestTraceLeavesOutClocks(t *testing.T) {
	script := writeScript(t, `
local ls = require "socket"
local unix = require "socket.unix"
local t0, t1 = socket.time(), ls.gettime()
local u = assert(unix.stream())
u:close()
local s = socket.socket()
s:close()
`)
	_, stderr, code := runSockrun(t, "", "--trace", script)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"socket.unix.stream() -> fd=", "socket.socket() -> fd="} {
		if !strings.Contains(stderr, want) {
			t.Errorf("trace lacks %q:\n%s", want, stderr)
		}
	}
	for _, clock := range []string{"socket.time(", "socket.gettime("} {
		if strings.Contains(stderr, clock) {
			t.Errorf("trace shows the clock %q:\n%s", clock, stderr)
		}
	}
}
