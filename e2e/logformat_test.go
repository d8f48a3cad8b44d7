package e2e

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"
)

// jsonLines parses every line of stderr as a JSON object: --log-format
// json writes nothing else there (the script writes nothing there in
// these tests).
func jsonLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimRight(stderr, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("a line of stderr is not JSON: %q (%v)\nstderr:\n%s", line, err, stderr)
		}
		for _, k := range []string{"time", "level", "kind", "msg"} {
			if _, ok := m[k]; !ok {
				t.Errorf("no %q in %s", k, line)
			}
		}
		out = append(out, m)
	}
	return out
}

// byKind is the first message of kind, nil if none.
func byKind(ms []map[string]any, kind string) map[string]any {
	for _, m := range ms {
		if m["kind"] == kind {
			return m
		}
	}
	return nil
}

// TestLogFormatJSON: with --log-format json every message sockrun writes
// of its own is one JSON object a line: the start and the stop, the main
// chunk's error with its explanation and traceback, a thread's traceback,
// a note, a warning.
func TestLogFormatJSON(t *testing.T) {
	path := writeScript(t, `
local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u:bind({"127.0.0.1", 0})
u:sendto("0123456789", u:getsockname())
u:recvfrom(2)                                   -- a note: the datagram was cut short
local t = thread.spawn(function() error("failed in a thread") end)
pcall(t.join, t)
local s = socket.socket()
s:connect({"127.0.0.1", tonumber(arg[1])})     -- refused: the main chunk's error, with why
`)
	port := closedPort(t)
	p := startIn(t, "", []string{"NOTIFY_SOCKET=/nonexistent/notify"}, sockrunBin, "--log-format", "json", path, port)
	p.closeStdin()
	if code := p.wait(30 * time.Second); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	ms := jsonLines(t, p.Stderr())
	if start := byKind(ms, "start"); start == nil || start["script"] != path || start["workers"] != 1.0 {
		t.Errorf("start: %v", start)
	}
	if note := byKind(ms, "note"); note == nil || !strings.Contains(note["msg"].(string), "datagram of 10 bytes") || note["level"] != "warning" {
		t.Errorf("note: %v", note)
	}
	if te := byKind(ms, "thread_error"); te == nil || te["thread"] != 2.0 || !strings.Contains(te["msg"].(string), "failed in a thread") ||
		!strings.Contains(te["traceback"].(string), "stack traceback:") {
		t.Errorf("thread_error: %v", te)
	}
	e := byKind(ms, "error")
	if e == nil || !strings.Contains(e["msg"].(string), "ConnectionRefusedError") || e["why"] == nil || e["level"] != "error" ||
		!strings.Contains(e["traceback"].(string), "stack traceback:") {
		t.Errorf("error: %v", e)
	}
	if w := byKind(ms, "warning"); w == nil || !strings.Contains(w["msg"].(string), "sd_notify STOPPING=1") {
		t.Errorf("warning (NOTIFY_SOCKET that is gone): %v", w)
	}
	if stop := byKind(ms, "stop"); stop == nil || stop["exit_code"] != 1.0 || stop["cause"] != "error" {
		t.Errorf("stop: %v", stop)
	}
	if first := ms[0]; first["kind"] != "start" {
		t.Errorf("the first message is %v, want the start", first)
	}
	if last := ms[len(ms)-1]; last["kind"] != "stop" {
		t.Errorf("the last message is %v, want the stop", last)
	}

	// Text stays the default: the same run, the lines a person reads.
	q := startIn(t, "", []string{"NOTIFY_SOCKET=/nonexistent/notify"}, sockrunBin, path, port)
	q.closeStdin()
	q.wait(30 * time.Second)
	text := q.Stderr()
	for _, want := range []string{"sockrun: note: recvfrom(2) got a datagram of 10 bytes", "sockrun: thread 2: ",
		": ConnectionRefusedError: [Errno 111]", "  why: ", "stack traceback:", "sockrun: warning: sd_notify STOPPING=1"} {
		if !strings.Contains(text, want) {
			t.Errorf("text stderr lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "{") || strings.Contains(text, "started") {
		t.Errorf("text stderr has JSON or a start line:\n%s", text)
	}
}

// closedPort is a port on 127.0.0.1 nothing listens on (one the kernel
// gave a listener, closed).
func closedPort(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	return itoa(sa.(*syscall.SockaddrInet4).Port)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestLogFormatJSONStops: the messages of a run that a limit or signals
// end, in JSON: the limit, the second SIGTERM, a Ctrl-C's
// KeyboardInterrupt, each with the stop that follows.
func TestLogFormatJSONStops(t *testing.T) {
	t.Run("limit", func(t *testing.T) {
		p := start(t, "--log-format", "json", "--max-runtime", "200ms", "-e", `print("ready") socket.sleep(60)`)
		p.closeStdin()
		if code := p.wait(30 * time.Second); code != 1 {
			t.Errorf("exit code %d, want 1", code)
		}
		ms := jsonLines(t, p.Stderr())
		if l := byKind(ms, "limit"); l == nil || !strings.Contains(l["msg"].(string), "limits.max_runtime") || l["level"] != "error" {
			t.Errorf("limit: %v", l)
		}
		if s := byKind(ms, "stop"); s == nil || s["cause"] != "limit" {
			t.Errorf("stop: %v", s)
		}
	})
	t.Run("sigterm twice", func(t *testing.T) {
		p := start(t, "--log-format", "json", "-e", `signal.signal(signal.SIGTERM, function() print("term") end) print("ready") socket.sleep(60)`)
		p.waitLine("^ready$", 30*time.Second)
		p.signal(syscall.SIGTERM)
		p.waitLine("^term$", 30*time.Second) // two at once may reach the process as one
		p.signal(syscall.SIGTERM)
		if code := p.wait(30 * time.Second); code != 130 {
			t.Errorf("exit code %d, want 130", code)
		}
		ms := jsonLines(t, p.Stderr())
		if s := byKind(ms, "signal"); s == nil || s["msg"] != "interrupted twice, exiting now" || s["signal"] != "terminated" {
			t.Errorf("signal: %v", s)
		}
	})
	t.Run("ctrl-c", func(t *testing.T) {
		p := start(t, "--log-format", "json", "-e", `print("ready") socket.sleep(60)`)
		p.waitLine("^ready$", 30*time.Second)
		p.signal(syscall.SIGINT)
		if code := p.wait(30 * time.Second); code != 130 {
			t.Errorf("exit code %d, want 130", code)
		}
		ms := jsonLines(t, p.Stderr())
		if e := byKind(ms, "error"); e == nil || !strings.Contains(e["msg"].(string), "KeyboardInterrupt") {
			t.Errorf("error: %v", e)
		}
		if s := byKind(ms, "stop"); s == nil || s["exit_code"] != 130.0 || s["cause"] != "signal" {
			t.Errorf("stop: %v", s)
		}
	})
}
