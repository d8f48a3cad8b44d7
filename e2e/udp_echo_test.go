package e2e

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestUDPEchoServer: scripts/udp_echo_server.lua sends every datagram back
// to its sender as it came, empty and largest ones too, to many clients at
// once; a client that went away before its reply does not stop it.
func TestUDPEchoServer(t *testing.T) {
	p := start(t, "--var", "port=0", script("udp_echo_server.lua"))
	m := p.waitLine(`^listening on (127\.0\.0\.1:\d+)$`, 10*time.Second)
	addr, err := net.ResolveUDPAddr("udp", m[1])
	if err != nil {
		t.Fatal(err)
	}
	echo := func(c *net.UDPConn, msg []byte) error {
		if _, err := c.Write(msg); err != nil {
			return err
		}
		buf := make([]byte, 70000)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		if !bytes.Equal(buf[:n], msg) {
			return fmt.Errorf("echo of %d bytes: got %d bytes, differing", len(msg), n)
		}
		return nil
	}

	// A client that sends and leaves at once: its reply finds no one.
	goneClient(t, addr, []byte("nobody waits for this"))

	c, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, size := range []int{0, 1, 64, 1500, 65507} {
		msg := bytes.Repeat([]byte{byte(size)}, size)
		for i := range msg {
			msg[i] ^= byte(i)
		}
		if err := echo(c, msg); err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
	}

	// Twenty clients at once, each with its own requests: each gets its
	// own back, nothing crosses over.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			c, err := net.DialUDP("udp", nil, addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for j := range 50 {
				if err := echo(c, fmt.Appendf(nil, "client %d request %d", i, j)); err != nil {
					errs <- fmt.Errorf("client %d request %d: %w", i, j, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p.Stderr() != "" {
		t.Errorf("stderr: %q", p.Stderr())
	}
}

// goneClient sends msg to addr from a UDP socket that takes no reply: it
// is connected to itself, so a datagram from addr finds no receiver and
// the kernel answers it with port unreachable, as it would for a client
// that has gone. Unlike a client closed after sending, it keeps its port
// until the test ends: the reply cannot reach another test's socket that
// took the port meanwhile.
func goneClient(t *testing.T, addr *net.UDPAddr, msg []byte) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	self, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Connect(fd, self); err != nil {
		t.Fatal(err)
	}
	to := &syscall.SockaddrInet4{Port: addr.Port}
	copy(to.Addr[:], addr.IP.To4())
	if err := syscall.Sendto(fd, msg, 0, to); err != nil {
		t.Fatal(err)
	}
}
