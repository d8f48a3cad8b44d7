package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"regexp"
	"sync"
	"testing"
	"time"
)

// upstream runs a Go TCP server on a free loopback port that serves each
// connection with handle (the connection has a deadline), and returns its
// port.
func upstream(t *testing.T, handle func(c *net.TCPConn)) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(60 * time.Second))
			wg.Go(func() {
				defer c.Close()
				handle(c.(*net.TCPConn))
			})
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// digestServer reads everything until the client's end of stream, then
// answers with its length and SHA-256 and closes: it answers only if the
// end of stream reaches it.
func digestServer(c *net.TCPConn) {
	h := sha256.New()
	n, err := io.Copy(h, c)
	if err != nil {
		return
	}
	fmt.Fprintf(c, "%d %x\n", n, h.Sum(nil))
}

func digestOf(b []byte) string { return fmt.Sprintf("%d %x\n", len(b), sha256.Sum256(b)) }

// startProxy runs scripts/tcp_proxy.lua in front of 127.0.0.1:upstreamPort
// and returns it and its address.
func startProxy(t *testing.T, upstreamPort int) (*proc, string) {
	t.Helper()
	p := start(t, "--var", "listen_port=0", "--var", fmt.Sprintf("upstream_port=%d", upstreamPort), script("tcp_proxy.lua"))
	m := p.waitLine(`^listening on (\S+), forwarding to (\S+)$`, 10*time.Second)
	if want := fmt.Sprintf("127.0.0.1:%d", upstreamPort); m[2] != want {
		t.Fatalf("forwarding to %s, want %s", m[2], want)
	}
	return p, m[1]
}

// TestTCPProxyHalfClose: an end of stream is passed on in each direction
// on its own, while the other direction goes on.
func TestTCPProxyHalfClose(t *testing.T) {
	t.Run("client first", func(t *testing.T) {
		p, addr := startProxy(t, upstream(t, digestServer))
		c := dial(t, addr, time.Now().Add(30*time.Second)).(*net.TCPConn)
		data := payload(1, 1<<20)
		if _, err := c.Write(data); err != nil {
			t.Fatal(err)
		}
		// The upstream answers only once it sees our end of stream; we see
		// its end of stream after the answer.
		c.CloseWrite()
		got, err := io.ReadAll(c)
		if err != nil || string(got) != digestOf(data) {
			t.Fatalf("answer %q, %v; want %q", got, err, digestOf(data))
		}
		p.waitLine(`^127\.0\.0\.1:\d+: 1048576 bytes up, 73 bytes down$`, 10*time.Second)
	})
	t.Run("upstream first", func(t *testing.T) {
		late := make(chan string, 1)
		p, addr := startProxy(t, upstream(t, func(c *net.TCPConn) {
			fmt.Fprint(c, "greeting\n")
			c.CloseWrite()
			b, _ := io.ReadAll(c)
			late <- string(b)
		}))
		c := dial(t, addr, time.Now().Add(30*time.Second)).(*net.TCPConn)
		// The upstream's end of stream reaches us while we have not closed
		// anything...
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "greeting\n" {
			t.Fatalf("received %q, %v; want the greeting and end of stream", got, err)
		}
		// ... and our direction still works.
		fmt.Fprint(c, "late data")
		c.CloseWrite()
		select {
		case s := <-late:
			if s != "late data" {
				t.Errorf("upstream received %q after its end of stream, want %q", s, "late data")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("upstream did not get our end of stream")
		}
		p.waitLine(`^127\.0\.0\.1:\d+: 9 bytes up, 9 bytes down$`, 10*time.Second)
	})
}

// TestTCPProxyBulk: megabytes both ways at once arrive byte for byte.
func TestTCPProxyBulk(t *testing.T) {
	p, addr := startProxy(t, upstream(t, func(c *net.TCPConn) {
		io.Copy(c, c) // echo
		c.CloseWrite()
	}))
	c := dial(t, addr, time.Now().Add(60*time.Second)).(*net.TCPConn)
	data := payload(2, 8<<20)
	sent := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		c.CloseWrite()
		sent <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("received %d bytes that differ from the %d sent", len(got), len(data))
	}
	p.waitLine(`^127\.0\.0\.1:\d+: 8388608 bytes up, 8388608 bytes down$`, 10*time.Second)
}

// TestTCPProxyManyClients: 200 clients at once, each with its own data,
// each gets its own answer; afterwards the proxy has closed every socket.
func TestTCPProxyManyClients(t *testing.T) {
	const clients = 200
	raiseFileLimit(t, 4*clients+200)
	p, addr := startProxy(t, upstream(t, digestServer))
	idle := openFDs(t, p.cmd.Process.Pid)
	clientsAtOnce(t, addr, clients, 60*time.Second, func(i int, c net.Conn) error {
		data := payload(uint64(100+i), i*997%200000)
		if _, err := c.Write(data); err != nil {
			return err
		}
		c.(*net.TCPConn).CloseWrite()
		got, err := io.ReadAll(c)
		if err != nil || string(got) != digestOf(data) {
			return fmt.Errorf("answer %q, %v; want %q", got, err, digestOf(data))
		}
		return nil
	})
	waitFDs(t, p, idle, 10*time.Second)
	if s := p.Stderr(); s != "" {
		t.Errorf("stderr: %s", s)
	}
}

// TestTCPProxyErrors: a failure on one side ends the client's connection
// and is logged; the proxy goes on.
func TestTCPProxyErrors(t *testing.T) {
	t.Run("upstream down", func(t *testing.T) {
		p, addr := startProxy(t, heldPort(t)) // held, nothing listens there
		for range 2 {
			c := dial(t, addr, time.Now().Add(10*time.Second))
			if got, err := io.ReadAll(c); err != nil || len(got) > 0 {
				t.Fatalf("received %q, %v; want end of stream", got, err)
			}
			p.waitLine(`^127\.0\.0\.1:\d+: ConnectionRefusedError: \[Errno \d+\] Connection refused \(create_connection 127\.0\.0\.1:\d+\)$`, 10*time.Second)
		}
	})
	t.Run("upstream resets", func(t *testing.T) {
		p, addr := startProxy(t, upstream(t, func(c *net.TCPConn) {
			io.ReadFull(c, make([]byte, 5))
			c.SetLinger(0) // close sends RST
		}))
		idle := openFDs(t, p.cmd.Process.Pid)
		c := dial(t, addr, time.Now().Add(10*time.Second))
		fmt.Fprint(c, "hello")
		// The client's connection ends (how depends on timing: an end of
		// stream, or a reset), and nothing hangs.
		if got, _ := io.ReadAll(c); len(got) > 0 {
			t.Errorf("received %q", got)
		}
		m := p.waitLine(`^127\.0\.0\.1:\d+: \d+ bytes up, \d+ bytes down, (.*)$`, 10*time.Second)
		if !regexp.MustCompile(`^ConnectionResetError: |^BrokenPipeError: `).MatchString(m[1]) {
			t.Errorf("logged %q, want the reset", m[1])
		}
		waitFDs(t, p, idle, 10*time.Second)
	})
}
