package e2e

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// startChat runs chat_server.lua on a free port and returns it and its
// address.
func startChat(t *testing.T) (*proc, string) {
	t.Helper()
	srv := start(t, "--var", "port=0", script("chat_server.lua"))
	return srv, srv.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
}

// TestChatServerCraftedLines: lines made to make a backtracking pattern
// take time quadratic in their length ("/x a", 4,000 spaces, "b": about
// 0.4 s each with the pattern the server used to parse commands with,
// holding the interpreter lock, so the whole room froze) are parsed in
// linear time: ten of them and a /who cost the server well under the 4 s
// of CPU the old parse took. CPU time, not the time on the clock: a busy
// machine stretches the one, not the other.
func TestChatServerCraftedLines(t *testing.T) {
	srv, addr := startChat(t)
	crafter := goChatPeer(t, "crafter", addr)
	crafter.expect("* welcome guest1" + chatWelcome)
	bystander := goChatPeer(t, "bystander", addr)
	bystander.expect("* welcome guest2" + chatWelcome)
	crafter.expect("* guest2 joined")

	line := "/x a" + strings.Repeat(" ", 4000) + "b\n"
	pid := srv.cmd.Process.Pid
	cpu := cpuTime(t, pid)
	crafter.send(strings.Repeat(line, 10) + "/who\n")
	for range 10 {
		crafter.expect("* unknown command /x; try /nick NAME, /who, /quit")
	}
	crafter.expect("* online: guest1, guest2")
	used := cpuTime(t, pid) - cpu
	if used > time.Second {
		t.Errorf("10 crafted lines took %v of the server's CPU to parse: the parse is not linear", used)
	}
	t.Logf("10 crafted lines and a /who: %v of the server's CPU", used)
	bystander.send("/who\n")
	bystander.expect("* online: guest1, guest2")
}

// TestChatServerNonReader: a client that never reads does not stall the
// room. The server queues at most 1 MiB for it, then drops it; meanwhile
// everyone else receives every line.
func TestChatServerNonReader(t *testing.T) {
	const lines, size = 2000, 4000 // 8 MB: more than the kernel's buffers and the queue hold
	srv, addr := startChat(t)
	deadline := time.Now().Add(60 * time.Second)

	// The sleeper reads its welcome, then nothing more.
	sleeper := goChatPeer(t, "sleeper", addr)
	sleeper.conn.(*net.TCPConn).SetReadBuffer(4096) // let its buffers fill soon
	sleeper.expect("* welcome guest1" + chatWelcome)
	talker := goChatPeer(t, "talker", addr)
	talker.expect("* welcome guest2" + chatWelcome)
	listener := goChatPeer(t, "listener", addr)
	listener.expect("* welcome guest3" + chatWelcome)
	talker.expect("* guest3 joined")
	talker.conn.SetDeadline(deadline)
	listener.conn.SetDeadline(deadline)

	// The talker sends its lines in batches of 100 (400 KB), each once the
	// listener has received the one before, as people in a chat answer
	// what they read: what the room must deliver is every line to every
	// reader, whatever the sleeper does, not lines faster than a reader
	// on this machine can take them (the server drops a reader that falls
	// 1 MiB behind too). The sleeper, reading nothing, falls behind by
	// the third batch.
	const batch = 100
	received := make(chan int, lines/batch)
	sent := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(talker.conn)
		for i := range lines {
			if i > 0 && i%batch == 0 {
				if err := w.Flush(); err != nil {
					sent <- err
					return
				}
				if _, ok := <-received; !ok {
					sent <- nil
					return
				}
			}
			fmt.Fprintf(w, "%06d %s\n", i, strings.Repeat("x", size))
		}
		sent <- w.Flush()
	}()
	left := false
	for i := 0; i < lines; {
		got := listener.next()
		if got == "* guest1 left" {
			left = true
			continue
		}
		want := fmt.Sprintf("[guest2] %06d %s", i, strings.Repeat("x", size))
		if got != want {
			close(received)
			t.Fatalf("listener received %.40q..., want %.40q...", got, want)
		}
		i++
		if i%batch == 0 && i < lines {
			received <- i
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if !left {
		listener.expect("* guest1 left")
	}
	srv.waitLine(`^\* guest1 dropped: not reading`, 10*time.Second)
	listener.send("/who\n")
	listener.expect("* online: guest2, guest3")
	if s := srv.Stderr(); s != "" {
		t.Errorf("server stderr: %s", s)
	}
}
