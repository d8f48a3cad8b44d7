package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hog streams 1 MiB chunks to c without a pause, so that the server's
// read of them always finds more bytes waiting, until stop is closed or
// bound passes; after each of the first 16 MiB it tells under way (closed
// once). end then finishes what it sent (a newline, a half close). It
// returns the count of bytes streamed.
func hog(c net.Conn, under chan<- struct{}, stop <-chan struct{}, bound time.Duration, end func()) <-chan int {
	sent := make(chan int, 1)
	go func() {
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		total := 0
		timeout := time.After(bound)
	stream:
		for {
			if _, err := c.Write(chunk); err != nil {
				break
			}
			if total += len(chunk); total == 16<<20 {
				close(under)
			}
			select {
			case <-stop:
				break stream
			case <-timeout:
				break stream
			default:
			}
		}
		end()
		sent <- total
	}()
	return sent
}

// ask sends req on c and reads one line of answer within d.
func ask(c net.Conn, r *bufio.Reader, req string, d time.Duration) (string, error) {
	c.SetDeadline(time.Now().Add(d))
	if _, err := io.WriteString(c, req); err != nil {
		return "", err
	}
	return r.ReadString('\n')
}

// TestLongReadKeepsServing: while one client streams a line (or a body)
// of tens of MiB without a pause, another client of the same threaded
// server gets its answers. Before, past 4 MiB each 64 KiB read copied the
// whole line, and the read held the interpreter lock for as long as bytes
// were waiting: one client sending a 40 MB line froze every thread for
// seconds. The second client asks once the first has streamed 16 MiB, and
// the first goes on streaming until it has its answer (or 30 s): an
// answer while the first streams is the assertion, not its time.
func TestLongReadKeepsServing(t *testing.T) {
	for _, tc := range []struct{ face, mode string }{
		{"luasocket", "line"}, {"luasocket", "all"}, {"python", "line"}, {"python", "all"},
	} {
		t.Run(tc.face+" "+tc.mode, func(t *testing.T) {
			srv := start(t, "--var", "face="+tc.face, filepath.Join(repoRoot, "e2e", "testdata", "hostile", "long_reads.lua"))
			addr := srv.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
			pinger, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer pinger.Close()
			pr := bufio.NewReader(pinger)
			// "ping" names what this client does, then its first ping.
			if got, err := ask(pinger, pr, "ping\nping\n", 10*time.Second); got != "pong\n" || err != nil {
				t.Fatalf("first ping: %q, %v", got, err)
			}

			h, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			io.WriteString(h, tc.mode+"\n")
			under, answered := make(chan struct{}), make(chan struct{})
			end := func() { io.WriteString(h, "\n") }
			if tc.mode == "all" {
				end = func() { h.(*net.TCPConn).CloseWrite() }
			}
			sent := hog(h, under, answered, 30*time.Second, end)
			<-under
			got, err := ask(pinger, pr, "ping\n", 20*time.Second)
			close(answered)
			total := <-sent
			if got != "pong\n" || err != nil {
				t.Fatalf("no answer to a ping while another client streamed %d MiB: %q, %v", total>>20, got, err)
			}
			h.SetDeadline(time.Now().Add(30 * time.Second))
			n, err := bufio.NewReader(h).ReadString('\n')
			if err != nil || strings.TrimSpace(n) != fmt.Sprint(total) {
				t.Fatalf("the long read: %q, %v; want %d", n, err, total)
			}
			t.Logf("pinged while %d MiB streamed", total>>20)
		})
	}
}

// TestRESPServerBigBulk: resp_server.lua reads a bulk string with
// recv_exactly; while one client streams one of 4 GB (max_command raised
// to allow it), another gets its PONG.
func TestRESPServerBigBulk(t *testing.T) {
	srv := start(t, "--var", "port=0", "--var", "max_command=5000000000", "--var", "timeout=60", script("resp_server.lua"))
	addr := srv.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
	pinger, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer pinger.Close()
	pr := bufio.NewReader(pinger)
	if got, err := ask(pinger, pr, "PING\r\n", 10*time.Second); got != "+PONG\r\n" || err != nil {
		t.Fatalf("first PING: %q, %v", got, err)
	}
	h, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	io.WriteString(h, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000000\r\n")
	under, answered := make(chan struct{}), make(chan struct{})
	sent := hog(h, under, answered, 30*time.Second, func() { h.Close() })
	<-under
	got, err := ask(pinger, pr, "PING\r\n", 20*time.Second)
	close(answered)
	total := <-sent
	if got != "+PONG\r\n" || err != nil {
		t.Fatalf("no PONG while another client streamed %d MiB of a bulk string: %q, %v", total>>20, got, err)
	}
	// The server is still whole: the cut bulk string set nothing.
	if got, err := ask(pinger, pr, "EXISTS k\r\n", 10*time.Second); got != ":0\r\n" || err != nil {
		t.Fatalf("EXISTS k after the cut bulk: %q, %v", got, err)
	}
}
