package core

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The datagram queue (dgram.go), over real UDP on 127.0.0.1 and ::1: what
// a read returns is what one recvfrom per call returns, whether the
// datagram was read ahead or not.

// udpFamilies are the loopbacks the datagram tests run over.
var udpFamilies = []struct {
	name   string
	family int
	addr   unix.Sockaddr
	net    string
	max    int // the largest datagram
}{
	{"127.0.0.1", unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}, "udp4", 65507},
	{"::1", unix.AF_INET6, &unix.SockaddrInet6{Addr: [16]byte{15: 1}}, "udp6", 65527},
}

// udpSocket opens a UDP socket of the core bound to addr (port 0), in g.
// The caller holds h's lock.
func udpSocket(t *testing.T, h *testHost, g *Group, family int, addr unix.Sockaddr) *Socket {
	t.Helper()
	s := &Socket{}
	if err := Open(h, s, family, unix.SOCK_DGRAM, 0); err != nil {
		t.Skipf("no %d socket: %v", family, err)
	}
	g.Add(s, "")
	t.Cleanup(func() { s.Close() })
	if err := s.Bind(addr); err != nil {
		t.Skipf("bind %v: %v", SockaddrString(addr), err)
	}
	return s
}

// plainUDP is a UDP socket of the core that does not read ahead (an
// adopted descriptor): the kernel's behaviour, to compare with.
func plainUDP(t *testing.T, h *testHost, g *Group, family int, addr unix.Sockaddr) *Socket {
	t.Helper()
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &Socket{}
	if err := Adopt(h, s, fd, family, unix.SOCK_DGRAM, 0); err != nil {
		t.Fatal(err)
	}
	if s.dq != nil {
		t.Fatal("an adopted descriptor reads ahead")
	}
	g.Add(s, "")
	t.Cleanup(func() { s.Close() })
	if err := s.Bind(addr); err != nil {
		t.Fatal(err)
	}
	return s
}

// sender is a Go UDP socket on the family's loopback that sends to s.
func sender(t *testing.T, netw string, s *Socket) (*net.UDPConn, *net.UDPAddr) {
	t.Helper()
	sa, err := s.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	to, err := net.ResolveUDPAddr(netw, SockaddrString(sa))
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP(netw, &net.UDPAddr{IP: to.IP})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, to
}

// payload is datagram i of size n: its number, then filler.
func payload(i, n int) []byte {
	b := bytes.Repeat([]byte{byte('a' + i%26)}, n)
	copy(b, strconv.Itoa(i)+":")
	return b[:n]
}

// queuedNow is how many datagrams s has read ahead.
func queuedNow(s *Socket) int {
	n, _ := s.dq.queued()
	return n
}

// TestDgramBurst: bursts of datagrams of mixed sizes (empty, one byte, a
// few hundred, the largest UDP carries) come out one per read, whole, in
// order, each with its sender, and the reads after the first of a burst
// are served from the queue.
func TestDgramBurst(t *testing.T) {
	for _, f := range udpFamilies {
		t.Run(f.name, func(t *testing.T) {
			h := newHost(t)
			L := &thread{}
			h.mu.Lock()
			defer h.mu.Unlock()
			g := NewGroup(h.ctx)
			defer g.CloseAll()
			s := udpSocket(t, h, g, f.family, f.addr)
			s.SetTimeout(10 * time.Second)
			c, to := sender(t, f.net, s)
			sizes := []int{0, 1, 64, 300, 1500, 9000, f.max, 17, 2, 200}
			served := 0
			for round := range 20 {
				var sent [][]byte
				for i := range sizes {
					p := payload(round*100+i, sizes[(i+round)%len(sizes)])
					if _, err := c.WriteToUDP(p, to); err != nil {
						t.Fatal(err)
					}
					sent = append(sent, p)
				}
				for i, want := range sent {
					got, from, err := s.RecvFrom(L, 65535, 0)
					if err != nil {
						t.Fatalf("round %d datagram %d: %v", round, i, err)
					}
					if got != string(want) {
						t.Fatalf("round %d datagram %d: got %d bytes %.12q, want %d bytes %.12q", round, i, len(got), got, len(want), want)
					}
					if SockaddrString(from) != c.LocalAddr().String() {
						t.Fatalf("sender %s, want %s", SockaddrString(from), c.LocalAddr())
					}
					if s.Truncated() != 0 {
						t.Fatalf("Truncated %d", s.Truncated())
					}
					if i > 0 && i < len(sent)-1 && queuedNow(s) > 0 {
						served++
					}
				}
			}
			if served == 0 {
				t.Error("no read was served from the queue")
			}
			if queuedNow(s) != 0 || s.Readable() {
				t.Error("datagrams left")
			}
		})
	}
}

// TestDgramTruncatePeekRecvmsg: a queued datagram read with a smaller size
// is cut and the rest dropped (Truncated says how much), a peek leaves it
// first and whole, recvmsg reports MSG_TRUNC and no ancillary data; the
// same reads of a socket that does not read ahead give the same.
func TestDgramTruncatePeekRecvmsg(t *testing.T) {
	for _, f := range udpFamilies {
		t.Run(f.name, func(t *testing.T) {
			h := newHost(t)
			L := &thread{}
			h.mu.Lock()
			defer h.mu.Unlock()
			g := NewGroup(h.ctx)
			defer g.CloseAll()
			type step struct {
				got     string
				trunc   int
				flags   int
				oob     int
				queued  int
				errName string
			}
			run := func(s *Socket) []step {
				s.SetTimeout(10 * time.Second)
				c, to := sender(t, f.net, s)
				for i, n := range []int{100, 3000, 10, 40000, 7, 8} {
					if _, err := c.WriteToUDP(payload(i, n), to); err != nil {
						t.Fatal(err)
					}
				}
				var steps []step
				note := func(data string, flags, oob int, err error) {
					st := step{got: data, trunc: s.Truncated(), flags: flags, oob: oob}
					if s.dq != nil {
						st.queued = queuedNow(s)
					}
					if err != nil {
						st.errName = err.Error()
					}
					steps = append(steps, st)
				}
				d, _, err := s.RecvFrom(L, 50, 0) // 100 bytes cut to 50
				note(d, 0, 0, err)
				d, _, err = s.RecvFrom(L, 20, unix.MSG_PEEK) // 3000: a peek cuts nothing
				note(d, 0, 0, err)
				d, err = s.Recv(L, 65535, 0) // the 3000, whole
				note(d, 0, 0, err)
				m, err := s.RecvMsg(L, 5, 64, 0) // 10 cut to 5
				note(m.Data, m.Flags, len(m.OOB), err)
				m, err = s.RecvMsg(L, 65535, 64, unix.MSG_PEEK) // 40000, peeked
				note(m.Data, m.Flags, len(m.OOB), err)
				d, err = s.Recv(L, 1000, 0) // 40000 cut to 1000
				note(d, 0, 0, err)
				d, err = s.Recv(L, 0, 0) // nothing asked: nothing read
				note(d, 0, 0, err)
				d, err = s.Recv(L, 7, 0)
				note(d, 0, 0, err)
				d, err = s.Recv(L, 100, 0)
				note(d, 0, 0, err)
				s.SetTimeout(0)
				d, err = s.Recv(L, 100, 0)
				note(d, 0, 0, err)
				return steps
			}
			kernel := run(plainUDP(t, h, g, f.family, f.addr))
			queue := run(udpSocket(t, h, g, f.family, f.addr))
			served := false
			for i := range kernel {
				k, q := kernel[i], queue[i]
				served = served || q.queued > 0
				q.queued = 0
				if k != q {
					t.Errorf("read %d: kernel %+.40v, queue %+.40v", i, k, q)
				}
			}
			if !served {
				t.Error("nothing was read ahead")
			}
			if kernel[len(kernel)-1].errName == "" {
				t.Error("the last read found a datagram")
			}
		})
	}
}

// waitSoErr waits until the kernel has an error pending on s (POLLERR).
func waitSoErr(t *testing.T, s *Socket) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		fds := []unix.PollFd{{Fd: int32(s.FD()), Events: 0}}
		if n, _ := unix.Poll(fds, 100); n > 0 && fds[0].Revents&unix.POLLERR != 0 {
			return
		}
	}
	t.Fatal("no error pending")
}

// TestDgramErrorBeforeQueued: the kernel reports an error (ECONNREFUSED
// from a port unreachable, once the socket is connected) to the next read
// before the datagrams it holds; so does a socket that read them ahead.
func TestDgramErrorBeforeQueued(t *testing.T) {
	for _, f := range udpFamilies {
		t.Run(f.name, func(t *testing.T) {
			h := newHost(t)
			L := &thread{}
			h.mu.Lock()
			defer h.mu.Unlock()
			g := NewGroup(h.ctx)
			defer g.CloseAll()
			run := func(s *Socket) []string {
				s.SetTimeout(10 * time.Second)
				c, to := sender(t, f.net, s)
				for i := range 4 {
					if _, err := c.WriteToUDP(payload(i, 10), to); err != nil {
						t.Fatal(err)
					}
				}
				var got []string
				d, _, err := s.RecvFrom(L, 100, 0)
				got = append(got, fmt.Sprint(d, err))
				// A port where nothing listens: bound, connected to itself.
				hold := plainUDP(t, h, g, f.family, f.addr)
				self, _ := hold.LocalAddr()
				if err := hold.Connect(L, self); err != nil {
					t.Fatal(err)
				}
				if err := s.Connect(L, self); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Send(L, []byte("anyone?"), 0); err != nil {
					t.Fatal(err)
				}
				waitSoErr(t, s)
				s.SetTimeout(0)
				for range 5 {
					d, _, err := s.RecvFrom(L, 100, 0)
					got = append(got, fmt.Sprint(d, err))
				}
				return got
			}
			kernel := run(plainUDP(t, h, g, f.family, f.addr))
			s := udpSocket(t, h, g, f.family, f.addr)
			queue := run(s)
			if fmt.Sprint(kernel) != fmt.Sprint(queue) {
				t.Errorf("kernel %q\nqueue  %q", kernel, queue)
			}
			if kernel[1] != unix.ECONNREFUSED.Error() {
				t.Errorf("the kernel's second read: %q", kernel[1])
			}
		})
	}
}

// TestDgramRcvbufAsKernel: a burst to a socket that is not reading fills
// SO_RCVBUF as it would without reading ahead: it reads as many
// datagrams as a socket that does not read ahead.
func TestDgramRcvbufAsKernel(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	g := NewGroup(h.ctx)
	defer g.CloseAll()
	f := udpFamilies[0]
	kernel := plainUDP(t, h, g, f.family, f.addr)
	queue := udpSocket(t, h, g, f.family, f.addr)
	var counts []int
	for _, s := range []*Socket{kernel, queue} {
		if err := s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, 4096); err != nil {
			t.Fatal(err)
		}
		c, to := sender(t, f.net, s)
		for i := range 200 {
			c.WriteToUDP(payload(i, 100), to)
		}
		s.SetTimeout(0)
		n := 0
		for {
			d, _, err := s.RecvFrom(L, 1000, 0)
			if err != nil {
				if !errors.Is(err, unix.EAGAIN) {
					t.Fatal(err)
				}
				break
			}
			if want := string(payload(n, 100)); d != want {
				t.Fatalf("datagram %d: %.10q, want %.10q", n, d, want)
			}
			n++
		}
		counts = append(counts, n)
	}
	if counts[0] != counts[1] || counts[0] == 0 || counts[0] == 200 {
		t.Errorf("received %d without reading ahead, %d with: want the same, some dropped", counts[0], counts[1])
	}
}

// TestDgramThreads: threads reading one socket at once (taking turns
// under the lock, waiting unlocked) get every datagram once, each thread
// in the order sent, and none waits while datagrams are queued.
func TestDgramThreads(t *testing.T) {
	h := newHost(t)
	h.mu.Lock()
	g := NewGroup(h.ctx)
	defer g.CloseAll()
	f := udpFamilies[0]
	s := udpSocket(t, h, g, f.family, f.addr)
	s.SetTimeout(20 * time.Second)
	c, to := sender(t, f.net, s)
	const readers, total = 3, 600
	got := make([][]int, readers)
	errs := make([]error, readers)
	progress := make(chan struct{}, total)
	var wg sync.WaitGroup
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			L := &thread{}
			h.mu.Lock()
			defer h.mu.Unlock()
			for {
				d, _, err := s.RecvFrom(L, 100, 0)
				if err != nil {
					errs[r] = err
					return
				}
				if d == "stop" {
					return
				}
				n, _ := strconv.Atoi(d)
				got[r] = append(got[r], n)
				progress <- struct{}{}
			}
		}()
	}
	h.mu.Unlock()
	for i := range total {
		if _, err := c.WriteToUDP([]byte(strconv.Itoa(i)), to); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			// Bursts, each read before the next: not one flood the
			// kernel would drop part of.
			for range 50 {
				select {
				case <-progress:
				case <-time.After(20 * time.Second):
					t.Fatal("the readers stopped")
				}
			}
		}
	}
	for range readers {
		c.WriteToUDP([]byte("stop"), to)
	}
	wg.Wait()
	seen := map[int]bool{}
	for r := range readers {
		if errs[r] != nil {
			t.Errorf("reader %d: %v", r, errs[r])
		}
		for i, n := range got[r] {
			if seen[n] {
				t.Errorf("datagram %d read twice", n)
			}
			seen[n] = true
			if i > 0 && n < got[r][i-1] {
				t.Errorf("reader %d: %d after %d", r, n, got[r][i-1])
			}
		}
	}
	if len(seen) != total {
		t.Errorf("%d datagrams read of %d", len(seen), total)
	}
}

// TestDgramDupShares: a dup of a socket that read ahead reads the queued
// datagrams next, in order, as the kernel's queue they continue is one;
// closing one of the two drops nothing the other can read; the last close
// drops them.
func TestDgramDupShares(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	g := NewGroup(h.ctx)
	defer g.CloseAll()
	f := udpFamilies[0]
	s := udpSocket(t, h, g, f.family, f.addr)
	s.SetTimeout(10 * time.Second)
	c, to := sender(t, f.net, s)
	for i := range 6 {
		c.WriteToUDP(payload(i, 5), to)
	}
	read := func(s *Socket) string {
		d, _, err := s.RecvFrom(L, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := read(s); d != string(payload(0, 5)) {
		t.Fatalf("first: %q", d)
	}
	if queuedNow(s) == 0 {
		t.Skip("the burst was not waiting at once: nothing read ahead")
	}
	d := &Socket{}
	if err := s.Dup(d); err != nil {
		t.Fatal(err)
	}
	d.SetTimeout(10 * time.Second)
	var order []string
	order = append(order, read(d), read(s), read(d))
	s.Close()
	order = append(order, read(d), read(d))
	for i, got := range order {
		if want := string(payload(i+1, 5)); got != want {
			t.Errorf("read %d: %q, want %q", i, got, want)
		}
	}
	c.WriteToUDP([]byte("later"), to)
	if got := read(d); got != "later" || queuedNow(d) != 0 {
		t.Errorf("after: %q, %d queued", got, queuedNow(d))
	}
	c.WriteToUDP([]byte("a"), to)
	c.WriteToUDP([]byte("b"), to)
	if got := read(d); got != "a" || queuedNow(d) != 0 {
		t.Errorf("a shared queue read ahead: %q, %d queued", got, queuedNow(d))
	}
}

// TestDgramCloseAndUnread: Unread counts the first datagram waiting, as
// the kernel's FIONREAD; select sees the socket readable while datagrams
// are queued though the kernel holds none; close drops them.
func TestDgramCloseAndUnread(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	g := NewGroup(h.ctx)
	defer g.CloseAll()
	f := udpFamilies[0]
	s := udpSocket(t, h, g, f.family, f.addr)
	s.SetTimeout(10 * time.Second)
	c, to := sender(t, f.net, s)
	for i, n := range []int{10, 20, 30} {
		c.WriteToUDP(payload(i, n), to)
	}
	if _, _, err := s.RecvFrom(L, 100, 0); err != nil {
		t.Fatal(err)
	}
	if queuedNow(s) == 0 {
		t.Skip("the burst was not waiting at once: nothing read ahead")
	}
	if got := s.Unread(); got != 20 {
		t.Errorf("Unread %d, want 20 (the first waiting)", got)
	}
	fds := []unix.PollFd{{Fd: int32(s.FD()), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, 0); n != 0 {
		t.Errorf("the kernel still holds datagrams")
	}
	if !s.Readable() {
		t.Error("not readable with datagrams queued")
	}
	q := s.dq
	s.Close()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.b != nil || q.len() != 0 {
		t.Error("close kept the datagrams")
	}
}

// TestDgramOptionStops: an option that adds ancillary data to datagrams
// (IP_PKTINFO) stops the reading ahead, so that every datagram recvmsg
// reads has its own; so does connect.
func TestDgramOptionStops(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	g := NewGroup(h.ctx)
	defer g.CloseAll()
	f := udpFamilies[0]
	s := udpSocket(t, h, g, f.family, f.addr)
	s.SetTimeout(10 * time.Second)
	if err := s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<16); err != nil {
		t.Fatal(err)
	}
	if err := s.SetsockoptInt(unix.IPPROTO_IP, unix.IP_PKTINFO, 1); err != nil {
		t.Fatal(err)
	}
	c, to := sender(t, f.net, s)
	for i := range 3 {
		c.WriteToUDP(payload(i, 5), to)
	}
	if _, _, err := s.RecvFrom(L, 100, 0); err != nil {
		t.Fatal(err)
	}
	if queuedNow(s) != 0 {
		t.Fatal("read ahead with IP_PKTINFO set")
	}
	for i := 1; i < 3; i++ {
		m, err := s.RecvMsg(L, 100, 256, 0)
		if err != nil {
			t.Fatal(err)
		}
		if m.Data != string(payload(i, 5)) || len(m.OOB) == 0 {
			t.Errorf("recvmsg %d: %q with %d bytes of ancillary data", i, m.Data, len(m.OOB))
		}
	}
}
