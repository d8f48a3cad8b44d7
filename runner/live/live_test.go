package live

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockrun/sockrun/runner/trace"
)

func TestParseAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8080",
		"8080":           "127.0.0.1:8080",
		":0":             "127.0.0.1:0",
		"0.0.0.0:9000":   "0.0.0.0:9000",
		"[::1]:0":        "[::1]:0",
		" localhost:1 ":  "localhost:1",
	} {
		if got, err := ParseAddr(in); err != nil || got != want {
			t.Errorf("ParseAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"localhost", "1.2.3.4:x", "1.2.3.4:70000", "http://x:1"} {
		if got, err := ParseAddr(in); err == nil || !strings.Contains(err.Error(), "live") {
			t.Errorf("ParseAddr(%q) = %q, %v; want an error naming live", in, got, err)
		}
	}
}

func TestTextAndHexView(t *testing.T) {
	data := "héllo\r\n\x00\xff\t\\ end"
	if got, want := textView(data), "héllo\\r\\n\n\\x00\\xff\\t\\\\ end"; got != want {
		t.Errorf("textView = %q, want %q", got, want)
	}
	want := "0000  68 c3 a9 6c 6c 6f 0d 0a  00 ff 09 5c 20 65 6e 64  |h..llo.....\\ end|\n"
	if got := hexView(data); got != want {
		t.Errorf("hexView =\n%q\nwant\n%q", got, want)
	}
	if got := hexView("abc"); got != "0000  61 62 63"+strings.Repeat(" ", 3*13+1)+"  |abc|\n" {
		t.Errorf("hexView(abc) = %q", got)
	}
}

// event is a call event of thread 3 on socket 1 that drew one arrow and
// moved label's bytes.
func event(label string) *trace.LiveEvent {
	n := len(label)
	return &trace.LiveEvent{
		Event:   &trace.Event{Kind: "call", Worker: 1, Thread: 3, Call: "sendall", Args: "data", Bytes: &n},
		Socket:  1,
		Sockets: []trace.SocketState{{ID: 1, Worker: 1, FD: 7, State: "CONNECTED", Local: "127.0.0.1:1", Peer: "127.0.0.1:2", Sent: int64(n)}},
		Data:    label, DataLen: n,
		Diagram: trace.DiagramUpdate{Steps: []trace.Step{{Kind: "arrow", From: 0, To: 1, Label: label}}},
	}
}

// publishAll tells h of events, failing t if that takes longer than a
// minute: the trace must never wait for a page.
func publishAll(t *testing.T, h *hub, events []*trace.LiveEvent) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		for i, ev := range events {
			ev.Seq = i + 1
			h.Event(ev)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("publishing events waited for a page")
	}
}

// TestNoPage checks that with no page watching, the hub keeps the state
// but no ring of changes.
func TestNoPage(t *testing.T) {
	h := newHub("x.lua", 1)
	publishAll(t, h, []*trace.LiveEvent{event("a"), event("b")})
	if len(h.ring) != 0 || h.events != 2 || len(h.steps) != 2 || h.sockets[1].Sent != 1 {
		t.Errorf("ring %d, events %d, steps %d, socket %+v", len(h.ring), h.events, len(h.steps), h.sockets[1])
	}
}

// TestSlowPage: a page that reads nothing while the run goes on does not
// hold the run up; when it reads again, it is sent the state as it is
// then, with the number of events it skipped.
func TestSlowPage(t *testing.T) {
	s, err := Start("127.0.0.1:0", "x.lua", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.End(0)
	// A small receive buffer, set before the connection is made (so that
	// the window the kernel offers is small from the start).
	d := net.Dialer{Control: func(network, address string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	c, err := d.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	fmt.Fprintf(c, "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := readEvent(t, resp.Body)
	if first["type"] != "snapshot" {
		t.Fatalf("first event: %v", first)
	}
	// Enough to fill the kernel's buffers and overrun the ring many times.
	big := strings.Repeat("x", 1000)
	events := make([]*trace.LiveEvent, 3*maxMessages)
	for i := range events {
		events[i] = event(big)
	}
	publishAll(t, s.h, events)
	// The page may fall behind while the events are published, and be
	// sent the state as it was then: it reads on to the last event.
	skipped := false
	for {
		m := readEvent(t, resp.Body)
		if m["type"] == "snapshot" {
			if n, _ := m["skipped"].(float64); n <= 0 {
				t.Errorf("snapshot after falling behind: skipped %v, events %v", m["skipped"], m["events"])
			}
			skipped = true
		}
		if m["events"] == float64(len(events)) {
			break
		}
	}
	if !skipped {
		t.Error("the page that fell behind was sent no snapshot")
	}
}

// TestEnd: the end of a run reaches the page, and End returns.
func TestEnd(t *testing.T) {
	s, err := Start("127.0.0.1:0", "x.lua", 1)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.URL + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	readEvent(t, resp.Body)
	publishAll(t, s.h, []*trace.LiveEvent{event("hello")})
	ended := make(chan struct{})
	go func() { s.End(3); close(ended) }()
	var last map[string]any
	for last = readEvent(t, resp.Body); last["type"] != "end"; last = readEvent(t, resp.Body) {
	}
	if code := last["end"].(map[string]any)["code"]; code != 3.0 {
		t.Errorf("end: %v", last)
	}
	select {
	case <-ended:
	case <-time.After(time.Minute):
		t.Fatal("End did not return")
	}
	if _, err := http.Get(s.URL); err == nil {
		t.Error("the server still answers after End")
	}
}

// TestPageAndBytes checks what a browser fetches: the page, its script
// and style, and the bytes of an arrow.
func TestPageAndBytes(t *testing.T) {
	s, err := Start("127.0.0.1:0", "x.lua", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.End(0)
	publishAll(t, s.h, []*trace.LiveEvent{event("hi\n")})
	for path, want := range map[string]string{"": "<script src=\"live.js\">", "live.js": "new EventSource(\"events\")", "live.css": "#diagram"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET /%s: %d, no %q", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(s.URL + "bytes/1")
	if err != nil {
		t.Fatal(err)
	}
	var b map[string]any
	json.NewDecoder(resp.Body).Decode(&b)
	resp.Body.Close()
	if b["kept"] != true || b["text"] != "hi\\n\n" || b["length"] != 3.0 || b["thread"] != "t3" || b["call"] != "sendall(data)" {
		t.Errorf("bytes/1: %v", b)
	}
}

// TestLoopbackOnly: on a loopback address, the view answers only requests
// that name a loopback host, not a name that a page elsewhere resolved to
// 127.0.0.1.
func TestLoopbackOnly(t *testing.T) {
	s, err := Start("127.0.0.1:0", "x.lua", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.End(0)
	port := s.ln.Addr().(*net.TCPAddr).Port
	for host, want := range map[string]int{
		"127.0.0.1":                          200,
		"localhost":                          200,
		"[::1]":                              200,
		"evil.example":                       403,
		"127.0.0.1.nip.io":                   403,
		fmt.Sprintf("evil.example:%d", port): 403,
	} {
		req, _ := http.NewRequest("GET", s.URL+"live.css", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

// readEvent reads one server-sent event's JSON.
func readEvent(t *testing.T, r io.Reader) map[string]any {
	t.Helper()
	br, ok := readers[r]
	if !ok {
		br = bufio.NewReaderSize(r, 1<<20)
		readers[r] = br
	}
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading events: %v", err)
	}
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatalf("reading events: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m); err != nil {
		t.Fatalf("event %q: %v", line, err)
	}
	return m
}

// readers are the buffered readers of the streams readEvent reads.
var readers = map[io.Reader]*bufio.Reader{}
