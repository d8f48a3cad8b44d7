package e2e

import (
	"bufio"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// chatPeer is one client of the chat server as the test sees it: a Go
// connection, or a process (nc, socat, scripts/chat_client.lua) whose
// stdin is what it sends and whose stdout is what it received.
type chatPeer struct {
	t    *testing.T
	name string
	conn net.Conn      // a Go client, or
	r    *bufio.Reader // its reader
	p    *proc         // a process
}

func goChatPeer(t *testing.T, name, addr string) *chatPeer {
	c := dial(t, addr, time.Now().Add(60*time.Second))
	return &chatPeer{t: t, name: name, conn: c, r: bufio.NewReader(c)}
}

func (c *chatPeer) send(s string) {
	c.t.Helper()
	if c.p != nil {
		c.p.write(s)
		return
	}
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatalf("%s: send: %v", c.name, err)
	}
}

// next is the next line the peer received.
func (c *chatPeer) next() string {
	c.t.Helper()
	if c.p != nil {
		select {
		case line, ok := <-c.p.lines:
			if !ok {
				c.t.Fatalf("%s: output ended; stderr: %s", c.name, c.p.Stderr())
			}
			return line
		case <-time.After(10 * time.Second):
			c.t.Fatalf("%s: nothing received within 10s", c.name)
		}
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("%s: receive: %v (got %q)", c.name, err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

// expect checks that the peer's next lines are exactly want, in order:
// nothing missing, nothing more in between.
func (c *chatPeer) expect(want ...string) {
	c.t.Helper()
	for _, w := range want {
		if got := c.next(); got != w {
			c.t.Fatalf("%s received %q, want %q", c.name, got, w)
		}
	}
}

// all expects the same lines at each of peers.
func all(peers []*chatPeer, want ...string) {
	for _, p := range peers {
		p.t.Helper()
		p.expect(want...)
	}
}

const chatWelcome = "; commands: /nick NAME, /who, /quit"

// TestChatServer: four kinds of clients in one room (a Go client, nc,
// socat and scripts/chat_client.lua): every line reaches everyone else,
// commands work, partial and batched lines are framed right, a client
// that resets or floods is dropped without disturbing the others, and
// every way of leaving is announced.
func TestChatServer(t *testing.T) {
	nc := testenv.Tool(t, "nc")
	socat := testenv.Tool(t, "socat")
	srv := start(t, "--var", "port=0", script("chat_server.lua"))
	m := srv.waitLine(`^listening on (127\.0\.0\.1:([1-9]\d*))$`, 10*time.Second)
	addr, port := m[1], m[2]
	var room []*chatPeer
	// join brings a new peer in: it gets the welcome with its default nick
	// and the others hear about it; then it picks its nick.
	join := func(c *chatPeer, guest int) {
		t.Helper()
		c.expect(fmt.Sprintf("* welcome guest%d%s", guest, chatWelcome))
		all(room, fmt.Sprintf("* guest%d joined", guest))
		room = append(room, c)
		c.send("/nick " + c.name + "\n")
		all(room, fmt.Sprintf("* guest%d is now known as %s", guest, c.name))
	}
	alice := goChatPeer(t, "alice", addr)
	join(alice, 1)
	// nc -N shuts its side down at the end of its input.
	bob := &chatPeer{t: t, name: "bob", p: startIn(t, "", nil, nc, "-N", "127.0.0.1", port)}
	join(bob, 2)
	carol := &chatPeer{t: t, name: "carol", p: startIn(t, "", nil, socat, "-", "TCP:"+addr)}
	join(carol, 3)
	dave := &chatPeer{t: t, name: "dave", p: start(t, "--var", "port="+port, script("chat_client.lua"))}
	join(dave, 4)

	// Each line goes to everyone but its sender (who would otherwise get
	// it next, before the lines expected below).
	alice.send("hello from alice\n")
	all([]*chatPeer{bob, carol, dave}, "[alice] hello from alice")
	bob.send("hi, I'm bob\n")
	all([]*chatPeer{alice, carol, dave}, "[bob] hi, I'm bob")
	carol.send("carol here\n")
	all([]*chatPeer{alice, bob, dave}, "[carol] carol here")
	dave.send("and dave\n")
	all([]*chatPeer{alice, bob, carol}, "[dave] and dave")

	// A line in pieces, several lines in one piece, a CRLF line, an empty
	// line (ignored).
	alice.send("par")
	alice.send("tial line\nsecond line\nthi")
	alice.send("rd line\r\n\nfourth line\n")
	all([]*chatPeer{bob, carol, dave}, "[alice] partial line", "[alice] second line", "[alice] third line", "[alice] fourth line")

	// Commands answer only the one who asked.
	carol.send("/who\n")
	carol.expect("* online: alice, bob, carol, dave")
	dave.send("/nick alice\n")
	dave.expect("* nick alice is taken")
	dave.send("/nick two words\n")
	dave.expect("* usage: /nick NAME (one word)")
	bob.send("/dance\n")
	bob.expect("* unknown command /dance; try /nick NAME, /who, /quit")
	dave.send("/nick eve\n")
	all(room, "* dave is now known as eve")
	eve := dave

	// A client whose connection is reset is dropped; the room goes on.
	crasher := goChatPeer(t, "crasher", addr)
	crasher.expect("* welcome guest5" + chatWelcome)
	all(room, "* guest5 joined")
	crasher.conn.(*net.TCPConn).SetLinger(0) // close sends RST
	crasher.conn.Close()
	all(room, "* guest5 left")
	srv.waitLine(`^\* guest5: ConnectionResetError: \[Errno \d+\] Connection reset by peer`, 10*time.Second)
	// So is a client that sends an endless line.
	flooder := goChatPeer(t, "flooder", addr)
	flooder.expect("* welcome guest6" + chatWelcome)
	all(room, "* guest6 joined")
	flooder.send(strings.Repeat("x", 10000))
	flooder.expect("* line too long")
	all(room, "* guest6 left")
	alice.send("still here\n")
	all([]*chatPeer{bob, carol, eve}, "[alice] still here")

	// Leaving: /quit (socat), end of input (nc, the Lua client), closing
	// the connection (the Go client).
	carol.send("/quit\n")
	carol.expect("* bye")
	if code := carol.p.wait(10 * time.Second); code != 0 {
		t.Errorf("socat exit %d; stderr %s", code, carol.p.Stderr())
	}
	all([]*chatPeer{alice, bob, eve}, "* carol left")
	bob.p.closeStdin()
	if code := bob.p.wait(10 * time.Second); code != 0 {
		t.Errorf("nc exit %d; stderr %s", code, bob.p.Stderr())
	}
	all([]*chatPeer{alice, eve}, "* bob left")
	eve.p.closeStdin()
	if code := eve.p.wait(10 * time.Second); code != 0 {
		t.Errorf("chat_client.lua exit %d; stderr %s", code, eve.p.Stderr())
	}
	if s := eve.p.Stderr(); s != "" {
		t.Errorf("chat_client.lua stderr: %s", s)
	}
	all([]*chatPeer{alice}, "* eve left")
	alice.send("/who\n")
	alice.expect("* online: alice")
	alice.conn.Close()
	srv.waitLine(`^\* alice left$`, 10*time.Second)

	// The server's log tells the whole story.
	log := strings.Join(srv.Stdout(), "\n")
	for _, re := range []string{
		`\* guest1 joined from 127\.0\.0\.1:\d+\n\* guest1 is now known as alice\n`,
		`\* dave is now known as eve\n`,
		`\* guest6 left\n`,
		`\* carol left\n\* bob left\n\* eve left\n\* alice left$`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("server log does not match %q:\n%s", re, log)
		}
	}
	if s := srv.Stderr(); s != "" {
		t.Errorf("server stderr: %s", s)
	}
	srv.signal(syscall.SIGINT)
	srv.wait(5 * time.Second)
}

// TestChatServerBusyRoom: many clients talking at the same time: each
// receives every line of every other client, in the order each sender
// sent them, and none of its own.
func TestChatServerBusyRoom(t *testing.T) {
	const clients, lines = 20, 25
	srv := start(t, "--var", "port=0", script("chat_server.lua"))
	addr := srv.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]

	nicks := make([]string, clients)
	conns := make([]net.Conn, clients)
	readers := make([]*bufio.Reader, clients)
	welcome := regexp.MustCompile(`^\* welcome (guest\d+);`)
	for i := range conns {
		conns[i] = dial(t, addr, time.Now().Add(60*time.Second))
		readers[i] = bufio.NewReader(conns[i])
		line, err := readers[i].ReadString('\n')
		m := welcome.FindStringSubmatch(line)
		if err != nil || m == nil {
			t.Fatalf("client %d: welcome %q, %v", i, line, err)
		}
		nicks[i] = m[1]
	}
	// Everyone reads (joins of later clients, then chat) while everyone
	// sends.
	var wg sync.WaitGroup
	received := make([][]string, clients)
	errs := make(chan error, 2*clients)
	for i, c := range conns {
		wg.Go(func() {
			for k := range lines {
				if _, err := fmt.Fprintf(c, "line %d from client %d\n", k, i); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for len(received[i]) < (clients-1)*lines {
				line, err := readers[i].ReadString('\n')
				if err != nil {
					errs <- fmt.Errorf("client %d after %d lines: %w", i, len(received[i]), err)
					return
				}
				if strings.HasPrefix(line, "[") {
					received[i] = append(received[i], strings.TrimSuffix(line, "\n"))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, got := range received {
		// Each sender's lines, in order, from every other client.
		var want []string
		for j := range clients {
			for k := range lines {
				if j != i {
					want = append(want, fmt.Sprintf("[%s] line %d from client %d", nicks[j], k, j))
				}
			}
		}
		bySender := func(lines []string) []string {
			s := append([]string(nil), lines...)
			sort.SliceStable(s, func(a, b int) bool { return sender(s[a]) < sender(s[b]) })
			return s
		}
		if g, w := strings.Join(bySender(got), "\n"), strings.Join(want, "\n"); g != w {
			t.Errorf("client %d received, grouped by sender:\n%s\nwant:\n%s", i, g, w)
		}
	}
	if s := srv.Stderr(); s != "" {
		t.Errorf("server stderr: %s", s)
	}
}

// sender is the client number at the end of a busy-room line.
func sender(line string) int {
	var n int
	fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%d", &n)
	return n
}

// TestChatServerSIGTERM: SIGTERM stops chat_server.lua cleanly. It stops
// accepting at once; each client is told, then its stream ends with a
// FIN (no reset); a line a client sends after the SIGTERM, before it has
// heard, still reaches the room; a client that does not hang up is cut
// off after the drain time; the server exits 0.
func TestChatServerSIGTERM(t *testing.T) {
	srv := start(t, "--var", "port=0", script("chat_server.lua"))
	addr := srv.waitLine(`^listening on (127\.0\.0\.1:\d+)$`, 10*time.Second)[1]
	alice := goChatPeer(t, "alice", addr)
	alice.expect("* welcome guest1" + chatWelcome)
	bob := goChatPeer(t, "bob", addr)
	bob.expect("* welcome guest2" + chatWelcome)
	alice.expect("* guest2 joined")
	carol := goChatPeer(t, "carol", addr) // never hangs up
	carol.expect("* welcome guest3" + chatWelcome)
	alice.expect("* guest3 joined")
	bob.expect("* guest3 joined")

	srv.signal(syscall.SIGTERM)
	bob.send("still here\n")
	srv.waitLine(`^\* stopping$`, 10*time.Second)
	if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
		c.Close()
		t.Errorf("a connect after the server began to stop succeeded")
	}
	const notice = "* this server is stopping; connect again to go on chatting"
	// alice and carol hear bob's line, unless the notice came first: their
	// stream ends right after it. (Across hosts, TestMultiHost checks that
	// the line reaches the other hosts' clients.)
	for _, p := range []*chatPeer{alice, carol} {
		if got := p.next(); got != notice {
			if got != "[guest2] still here" {
				t.Fatalf("%s received %q", p.name, got)
			}
			p.expect(notice)
		}
	}
	bob.expect(notice)
	for _, p := range []*chatPeer{alice, bob, carol} {
		p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := p.r.ReadByte(); err == nil || err.Error() != "EOF" {
			t.Errorf("%s: after the notice read %q, %v; want EOF", p.name, n, err)
		}
	}
	alice.conn.Close()
	bob.conn.Close()
	srv.waitLine(`^\* guest1 left$|^\* guest2 left$`, 10*time.Second)
	srv.waitLine(`^\* guest1 left$|^\* guest2 left$`, 10*time.Second)
	srv.waitLine(`^\* guest3 dropped: still connected 5 s after the server began to stop$`, 20*time.Second)
	srv.waitLine(`^\* stopped$`, 10*time.Second)
	if code := srv.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM; stderr:\n%s", code, srv.Stderr())
	}
	for _, line := range srv.Stdout() {
		if strings.Contains(line, "guest1 dropped") || strings.Contains(line, "guest2 dropped") {
			t.Errorf("a client that hung up was dropped: %q", line)
		}
	}
}
