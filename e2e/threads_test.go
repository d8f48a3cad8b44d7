package e2e

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// raiseFileLimit makes sure this process, and the processes it starts,
// may open at least need descriptors. It calls Setrlimit even when the
// soft limit is already high enough: Go raises its own soft limit at
// startup but gives children the original one unless the program sets the
// limit itself.
func raiseFileLimit(t *testing.T, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max < need {
		t.Skipf("the hard limit on open files is %d; this test needs %d (a limit of the machine, not a missing tool)", lim.Max, need)
	}
	lim.Cur = max(lim.Cur, need)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
}

// openFDs is the number of descriptors process pid has open.
func openFDs(t *testing.T, pid int) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// waitFDs waits until process p has at most want descriptors open: the
// sockets of finished connections are closed.
func waitFDs(t *testing.T, p *proc, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := openFDs(t, p.cmd.Process.Pid)
		if n <= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still has %d descriptors open after %v, want at most %d", p.name, n, timeout, want)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

// dial connects to addr with a deadline on the connection.
func dial(t *testing.T, addr string, deadline time.Time) net.Conn {
	t.Helper()
	d := net.Dialer{Deadline: deadline}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(deadline)
	t.Cleanup(func() { c.Close() })
	return c
}

// payload is size bytes of pseudo-random data, different for every seed.
func payload(seed uint64, size int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, size)
	rand.NewChaCha8(key).Read(b)
	return b
}

// TestThreadedEchoServer: 1,000 clients connected at once, each sending
// its own data, all get their own data back: the server serves them
// concurrently, a thread per client.
func TestThreadedEchoServer(t *testing.T) {
	const clients = 1000
	// This process holds one end of each connection, the server the other.
	raiseFileLimit(t, 2*clients+200)
	p := start(t, "--var", "port=0", script("threaded_echo_server.lua"))
	addr := p.waitLine(`^listening on (127\.0\.0\.1:[1-9]\d*)$`, 10*time.Second)[1]
	idle := openFDs(t, p.cmd.Process.Pid)
	began := time.Now()
	deadline := began.Add(60 * time.Second)

	// Every client connects first, so that all of them are open at once
	// when they start talking: a server that served one connection at a
	// time would answer only the first.
	conns := make([]net.Conn, clients)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range conns {
		wg.Go(func() {
			d := net.Dialer{Deadline: deadline}
			c, err := d.Dial("tcp", addr)
			if err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
				return
			}
			c.SetDeadline(deadline)
			conns[i] = c
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	connected := time.Since(began)

	// Then every client sends its own bytes (some of them more than one
	// recv's worth) and reads them back, twice. Nobody starts the second
	// round before everyone has had the first answered: a server that
	// served one connection at a time (to its end) would never get there.
	exchange := func(i int, c net.Conn, round uint64) error {
		msg := append([]byte(fmt.Sprintf("client %d round %d\n", i, round)), payload(uint64(i)<<8|round, 1+i*37%16000)...)
		if _, err := c.Write(msg); err != nil {
			return fmt.Errorf("client %d: write: %w", i, err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			return fmt.Errorf("client %d: read: %w", i, err)
		}
		if !bytes.Equal(got, msg) {
			return fmt.Errorf("client %d: the echo differs from what was sent", i)
		}
		return nil
	}
	errs = make(chan error, clients)
	for i, c := range conns {
		wg.Go(func() {
			if err := exchange(i, c, 1); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	firstRound := time.Since(began)
	errs = make(chan error, clients)
	for i, c := range conns {
		wg.Go(func() {
			if err := exchange(i, c, 2); err != nil {
				errs <- err
				return
			}
			// The server closes its side once the client has closed.
			c.(*net.TCPConn).CloseWrite()
			if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				errs <- fmt.Errorf("client %d: after closing: read %d, %v; want end of stream", i, n, err)
			}
			c.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d clients: connected in %v, first round in %v, all served in %v", clients, connected, firstRound, time.Since(began))

	// Every connection's socket is closed, and the server goes on.
	waitFDs(t, p, idle, 10*time.Second)
	c := dial(t, addr, time.Now().Add(10*time.Second))
	fmt.Fprint(c, "still there?")
	got := make([]byte, len("still there?"))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "still there?" {
		t.Errorf("after the crowd: %q, %v", got, err)
	}
	if s := p.Stderr(); s != "" {
		t.Errorf("stderr: %s", s)
	}
	p.signal(syscall.SIGINT)
	if code := p.wait(5 * time.Second); code != 130 {
		t.Errorf("exit %d after Ctrl-C, want 130", code)
	}
}

// TestThreadedEchoServerWorkers: the echo server in worker mode, as
// sockrun --help shows it: every worker listens on the same port and the
// clients are served by whichever the kernel picks.
func TestThreadedEchoServerWorkers(t *testing.T) {
	const clients = 200
	raiseFileLimit(t, 2*clients+200)
	port := heldPort(t) // the workers' listeners share it (SO_REUSEPORT)
	p := start(t, "--workers", "2", "--var", fmt.Sprintf("port=%d", port), script("threaded_echo_server.lua"))
	addr := p.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
	if again := p.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]; again != addr {
		t.Fatalf("workers listen on %s and %s", addr, again)
	}
	clientsAtOnce(t, addr, clients, 30*time.Second, func(i int, c net.Conn) error {
		msg := payload(uint64(i), 1+i*101%10000)
		if _, err := c.Write(msg); err != nil {
			return err
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
			return fmt.Errorf("echo differs (%v)", err)
		}
		return nil
	})
	p.signal(syscall.SIGINT)
	if code := p.wait(5 * time.Second); code != 130 {
		t.Errorf("exit %d after Ctrl-C, want 130", code)
	}
}
