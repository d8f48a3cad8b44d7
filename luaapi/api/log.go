package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// LogFormat is how sockrun writes its own messages to standard error
// (--log-format): the start and end of a run, errors, thread tracebacks,
// notes, warnings. The script's own writes there are never touched.
type LogFormat uint8

const (
	// LogText is the default: the lines a person reads ("sockrun: ...").
	LogText LogFormat = iota
	// LogJSON is one JSON object a line, for a log collector.
	LogJSON
)

// ParseLogFormat reads a --log-format value: text or json.
func ParseLogFormat(s string) (LogFormat, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "text":
		return LogText, nil
	case "json":
		return LogJSON, nil
	}
	return LogText, fmt.Errorf("log_format: %q is not text or json", s)
}

func (f LogFormat) String() string {
	if f == LogJSON {
		return "json"
	}
	return "text"
}

// Message is one of sockrun's own messages, which LogFormat.Format writes
// in the run's format: the one place where the format is chosen.
type Message struct {
	// Kind says what the message is about: start, stop, error (the main
	// chunk's), thread_error, note, warning, signal, limit, report,
	// internal, live, usage.
	Kind string
	// Level is info, warning or error; Format derives it from Kind when
	// empty.
	Level string
	// Who is whom the message is about, as the text says it before the
	// message ("worker 2", "thread 3 (client 127.0.0.1:5000)"), "" for
	// the run.
	Who string
	// Worker and Thread number the worker and thread the message is
	// about (0: none, or the only one), for JSON.
	Worker, Thread int
	// Text is the message, one line, without "sockrun: ", Who and, for
	// a note or a warning, "note: " or "warning: ". In
	// text, a message of kind start or stop is not written: a person
	// sees the run start and end.
	Text string
	// Bare writes Text in text without "sockrun: " (KeyboardInterrupt).
	Bare bool
	// Why is the explanation under an error, Traceback its stack
	// traceback ("" for none).
	Why, Traceback string
	// Fields are more of the message's facts, for JSON (the script, the
	// exit code); text shows them only as Text says them.
	Fields map[string]any
}

// quiet are the kinds text does not write.
var quiet = map[string]bool{"start": true, "stop": true}

// level is m's level: its own, or its kind's.
func (m *Message) level() string {
	if m.Level != "" {
		return m.Level
	}
	switch m.Kind {
	case "error", "thread_error", "internal", "usage", "limit":
		return "error"
	case "warning", "note":
		return "warning"
	}
	return "info"
}

// Format is m as the format writes it: whole lines, nil for nothing.
func (f LogFormat) Format(m Message) []byte {
	if f == LogJSON {
		return m.appendJSON(nil, time.Now())
	}
	return m.appendText(nil)
}

// appendText is m as a person reads it: "sockrun: who: text", then the
// explanation and the traceback under it.
func (m *Message) appendText(b []byte) []byte {
	if quiet[m.Kind] || m.Text == "" && m.Traceback == "" {
		return b
	}
	if !m.Bare {
		b = append(b, "sockrun: "...)
	}
	if m.Who != "" {
		b = append(b, m.Who...)
		b = append(b, ": "...)
	}
	if m.Kind == "note" || m.Kind == "warning" {
		b = append(b, m.Kind...)
		b = append(b, ": "...)
	}
	b = append(b, m.Text...)
	b = append(b, '\n')
	if m.Why != "" {
		b = append(b, "  why: "...)
		b = append(b, m.Why...)
		b = append(b, '\n')
	}
	if m.Traceback != "" {
		b = append(b, strings.TrimRight(m.Traceback, "\n")...)
		b = append(b, '\n')
	}
	return b
}

// appendJSON is m as one JSON object on one line, its keys in a fixed
// order: time, level, kind, who, worker, thread, msg, why, traceback,
// then the fields by name.
func (m *Message) appendJSON(b []byte, now time.Time) []byte {
	b = append(b, `{"time":`...)
	b = appendJSONValue(b, now.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"level":`...)
	b = appendJSONValue(b, m.level())
	b = append(b, `,"kind":`...)
	b = appendJSONValue(b, m.Kind)
	if m.Who != "" {
		b = append(b, `,"who":`...)
		b = appendJSONValue(b, m.Who)
	}
	if m.Worker > 0 {
		b = fmt.Appendf(b, `,"worker":%d`, m.Worker)
	}
	if m.Thread > 0 {
		b = fmt.Appendf(b, `,"thread":%d`, m.Thread)
	}
	b = append(b, `,"msg":`...)
	b = appendJSONValue(b, m.Text)
	if m.Why != "" {
		b = append(b, `,"why":`...)
		b = appendJSONValue(b, m.Why)
	}
	if m.Traceback != "" {
		b = append(b, `,"traceback":`...)
		b = appendJSONValue(b, strings.TrimRight(m.Traceback, "\n"))
	}
	keys := make([]string, 0, len(m.Fields))
	for k := range m.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = append(b, ',')
		b = appendJSONValue(b, k)
		b = append(b, ':')
		b = appendJSONValue(b, m.Fields[k])
	}
	return append(b, "}\n"...)
}

// appendJSONValue appends v as JSON, without escaping HTML's characters
// (a log line is not a web page).
func appendJSONValue(b []byte, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return append(b, `null`...)
	}
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...)
}

// Log formats m in the VM's log format (Config.LogFormat).
func (vm *VM) Log(m Message) []byte { return vm.cfg.LogFormat.Format(m) }
