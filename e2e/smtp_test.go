package e2e

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestSMTPSinkBounds: smtp_sink.lua bounds what one client can make it
// hold, and answers as SMTP says when a bound is reached: the 101st RCPT
// of a message gets 452 (RFC 5321's minimum is 100) and the message still
// goes through with 100; a line past recvline's 64 KiB gets 500 and the
// connection ends. Another client is served after both.
func TestSMTPSinkBounds(t *testing.T) {
	p := start(t, "--var", "port=0", script("smtp_sink.lua"))
	port := p.waitLine(`listening on \S+:(\d+)`, 10*time.Second)[1]
	addr := "127.0.0.1:" + port
	session := func() (func(string), func() string) {
		c := dial(t, addr, time.Now().Add(30*time.Second))
		r := bufio.NewReader(c)
		send := func(s string) {
			t.Helper()
			if _, err := io.WriteString(c, s); err != nil {
				t.Fatal(err)
			}
		}
		read := func() string {
			t.Helper()
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("reading a reply: %v (after %q)", err, line)
			}
			return strings.TrimRight(line, "\r\n")
		}
		if got := read(); !strings.HasPrefix(got, "220 ") {
			t.Fatalf("greeting %q", got)
		}
		return send, read
	}

	send, read := session()
	var cmds strings.Builder
	cmds.WriteString("HELO me\r\nMAIL FROM:<a@x>\r\n")
	for i := 1; i <= 101; i++ {
		fmt.Fprintf(&cmds, "RCPT TO:<b%d@y>\r\n", i)
	}
	send(cmds.String()) // pipelined, as a bulk sender does
	read()              // HELO
	read()              // MAIL
	for i := 1; i <= 101; i++ {
		want := "250 recipient ok"
		if i == 101 {
			want = "452 too many recipients"
		}
		if got := read(); got != want {
			t.Fatalf("RCPT %d: %q, want %q", i, got, want)
		}
	}
	send("DATA\r\n")
	if got := read(); !strings.HasPrefix(got, "354 ") {
		t.Fatalf("DATA: %q", got)
	}
	send("Subject: hi\r\n\r\nbody\r\n.\r\n")
	if got := read(); got != "250 accepted" {
		t.Fatalf("end of data: %q", got)
	}
	line := p.waitLine(`^message from <a@x> to (.*):$`, 10*time.Second)[1]
	if n := len(strings.Split(line, ", ")); n != 100 || !strings.HasSuffix(line, "<b100@y>") {
		t.Errorf("the message went to %d recipients (%.60s...), want the first 100", n, line)
	}

	send(strings.Repeat("x", 70000) + "\r\n")
	if got := read(); got != "500 line too long" {
		t.Errorf("a 70,000-byte line: %q, want 500", got)
	}

	send, read = session()
	send("NOOP\r\n")
	if got := read(); got != "250 ok" {
		t.Errorf("another client's NOOP: %q", got)
	}
	send("QUIT\r\n")
	read()
	if s := p.Stderr(); s != "" {
		t.Errorf("stderr:\n%s", s)
	}
}
