package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestChatServerCrowd: a crowd of clients joins chat_server.lua at once,
// then a newcomer joins and speaks. The newcomer is welcomed; every
// member of the crowd hears its line once; and the first member hears
// every other member's join exactly once (it joined first) and never its own. (The room's
// announcer batches lines under such a burst: a crowd of 1,000 cost a
// newcomer 4.8 s before it, 0.2 s after, measured by hand; the test asserts
// what arrives, not when.)
func TestChatServerCrowd(t *testing.T) {
	const crowd = 500
	p := start(t, "--var", "port=0", script("chat_server.lua"))
	addr := "127.0.0.1:" + p.waitLine(`listening on \S+:(\d+)`, 10*time.Second)[1]
	deadline := time.Now().Add(90 * time.Second)

	type member struct {
		conn  net.Conn
		mu    sync.Mutex
		lines []string
		more  chan struct{} // signalled after each line
	}
	members := make([]*member, crowd)
	for i := range members {
		m := &member{conn: dial(t, addr, deadline), more: make(chan struct{}, 1)}
		members[i] = m
		go func() {
			r := bufio.NewReader(m.conn)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				m.mu.Lock()
				m.lines = append(m.lines, strings.TrimSuffix(line, "\n"))
				m.mu.Unlock()
				select {
				case m.more <- struct{}{}:
				default:
				}
			}
		}()
	}
	// waitFor waits until m has received a line for which done is true
	// of everything received so far.
	waitFor := func(m *member, what string, done func([]string) bool) []string {
		t.Helper()
		for {
			m.mu.Lock()
			lines := append([]string(nil), m.lines...)
			m.mu.Unlock()
			if done(lines) {
				return lines
			}
			select {
			case <-m.more:
			case <-time.After(time.Until(deadline)):
				t.Fatalf("waiting for %s; got %d lines, last %q", what, len(lines), lines[max(0, len(lines)-3):])
			}
		}
	}
	nickOf := func(lines []string) string {
		for _, l := range lines {
			var nick string
			if _, err := fmt.Sscanf(l, "* welcome %s", &nick); err == nil {
				return strings.TrimSuffix(nick, ";")
			}
		}
		return ""
	}
	nicks := make([]string, crowd)
	for i, m := range members {
		nicks[i] = nickOf(waitFor(m, "a welcome", func(l []string) bool { return nickOf(l) != "" }))
	}

	newcomer := &member{conn: dial(t, addr, deadline), more: make(chan struct{}, 1)}
	r := bufio.NewReader(newcomer.conn)
	welcome, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(welcome, "* welcome ") {
		t.Fatalf("the newcomer's first line: %q %v", welcome, err)
	}
	nick := nickOf([]string{strings.TrimSuffix(welcome, "\n")})
	if _, err := io.WriteString(newcomer.conn, "hello crowd\n"); err != nil {
		t.Fatal(err)
	}
	said := "[" + nick + "] hello crowd"
	for i, m := range members {
		lines := waitFor(m, "the newcomer's line", func(l []string) bool { return contains(l, said) })
		if n := count(lines, said); n != 1 {
			t.Errorf("member %d heard the newcomer's line %d times", i, n)
		}
	}
	// The first to join (guest1: nicks are handed out in the order the
	// server runs the joins, not necessarily the order of the connects)
	// hears everyone else join.
	firstAt := -1
	for i, n := range nicks {
		if n == "guest1" {
			firstAt = i
		}
	}
	if firstAt < 0 {
		t.Fatalf("no member is guest1: %v", nicks[:5])
	}
	first := members[firstAt]
	want := map[string]int{}
	for i, n := range nicks {
		if i != firstAt {
			want["* "+n+" joined"] = 1
		}
	}
	want["* "+nick+" joined"] = 1
	lines := waitFor(first, "every join", func(l []string) bool {
		for w := range want {
			if !contains(l, w) {
				return false
			}
		}
		return true
	})
	for w := range want {
		if n := count(lines, w); n != 1 {
			t.Errorf("the first member heard %q %d times", w, n)
		}
	}
	if contains(lines, "* guest1 joined") {
		t.Errorf("the first member heard its own join")
	}
}

func contains(lines []string, s string) bool { return count(lines, s) > 0 }

func count(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if l == s {
			n++
		}
	}
	return n
}
