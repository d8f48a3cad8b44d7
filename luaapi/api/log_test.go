package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestLogText: the text form is the lines sockrun always printed.
func TestLogText(t *testing.T) {
	for _, c := range []struct {
		m    Message
		want string
	}{
		{Message{Kind: "error", Text: "s.lua:3: boom", Why: "a reason", Traceback: "stack traceback:\n\t[C]: ?\n"},
			"sockrun: s.lua:3: boom\n  why: a reason\nstack traceback:\n\t[C]: ?\n"},
		{Message{Kind: "thread_error", Who: "worker 2: thread 3 (client)", Worker: 2, Thread: 3, Text: "x"},
			"sockrun: worker 2: thread 3 (client): x\n"},
		{Message{Kind: "note", Text: "recvfrom(4) got a datagram of 9 bytes"}, "sockrun: note: recvfrom(4) got a datagram of 9 bytes\n"},
		{Message{Kind: "warning", Text: "sd_notify READY=1: gone"}, "sockrun: warning: sd_notify READY=1: gone\n"},
		{Message{Kind: "error", Text: "KeyboardInterrupt: interrupted", Bare: true}, "KeyboardInterrupt: interrupted\n"},
		{Message{Kind: "start", Text: "started s.lua"}, ""},
		{Message{Kind: "stop", Text: "stopped s.lua, exit code 0"}, ""},
	} {
		if got := string(LogText.Format(c.m)); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.m, got, c.want)
		}
	}
}

// TestLogJSON: one object a line, every fact a field, newlines escaped.
func TestLogJSON(t *testing.T) {
	m := Message{Kind: "thread_error", Who: "thread 3", Thread: 3, Worker: 2, Text: `s.lua:9: "bad" <arg>`,
		Why: "why", Traceback: "stack traceback:\n\t[C]: ?\n", Fields: map[string]any{"label": "client", "n": 4}}
	line := LogJSON.Format(m)
	if n := strings.Count(string(line), "\n"); n != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("not one line: %q", line)
	}
	var got map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	want := map[string]any{"level": "error", "kind": "thread_error", "who": "thread 3", "thread": 3.0, "worker": 2.0,
		"msg": `s.lua:9: "bad" <arg>`, "why": "why", "traceback": "stack traceback:\n\t[C]: ?", "label": "client", "n": 4.0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, got["time"].(string)); err != nil {
		t.Errorf("time: %v", err)
	}
	if !strings.Contains(string(line), "<arg>") {
		t.Errorf("HTML escaped: %s", line)
	}
	start := LogJSON.Format(Message{Kind: "start", Text: "started s.lua"})
	if !strings.Contains(string(start), `"level":"info","kind":"start"`) {
		t.Errorf("start in JSON: %s", start)
	}
	for _, s := range []string{"json", "JSON", " text", ""} {
		if _, err := ParseLogFormat(s); err != nil {
			t.Errorf("ParseLogFormat(%q): %v", s, err)
		}
	}
	if _, err := ParseLogFormat("xml"); err == nil || !strings.Contains(err.Error(), "log_format") {
		t.Errorf("ParseLogFormat(xml): %v", err)
	}
}
