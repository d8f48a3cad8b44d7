package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testHost is an interpreter lock and a context, as the runner gives.
type testHost struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
}

func newHost(t *testing.T) *testHost {
	h := &testHost{}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	t.Cleanup(h.cancel)
	return h
}

func (h *testHost) Context() context.Context             { return h.ctx }
func (h *testHost) WaitContext(c Caller) context.Context { return h.ctx }
func (h *testHost) Unlock(c Caller)                      { h.mu.Unlock() }
func (h *testHost) Lock(c Caller)                        { h.mu.Lock() }

// thread stands for the thread of a call: the Caller the tests pass.
type thread struct{ _ byte }

// pair returns the two ends of a TCP connection over 127.0.0.1, made by
// the core itself. The caller holds h's lock.
func pair(t *testing.T, h *testHost, L Caller) (client, server *Socket) {
	t.Helper()
	g := NewGroup(h.ctx)
	t.Cleanup(func() { g.CloseAll() })
	var l Socket
	if err := Open(h, &l, unix.AF_INET, unix.SOCK_STREAM, 0); err != nil {
		t.Fatal(err)
	}
	g.Add(&l, "")
	t.Cleanup(func() { l.Close() })
	if err := l.Bind(&unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(1); err != nil {
		t.Fatal(err)
	}
	sa, err := l.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	client, server = &Socket{}, &Socket{}
	if err := Open(h, client, unix.AF_INET, unix.SOCK_STREAM, 0); err != nil {
		t.Fatal(err)
	}
	if err := client.Connect(L, sa); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(L, server); err != nil {
		t.Fatal(err)
	}
	g.Add(client, "")
	g.Add(server, "")
	t.Cleanup(func() { client.Close(); server.Close() })
	if client.State() != Connected || server.State() != Connected || l.State() != Listening {
		t.Fatalf("states %v %v %v", client.State(), server.State(), l.State())
	}
	return client, server
}

// selfSigned makes a certificate for "localhost" and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestTLSTransport lays TLS over both ends of a core connection and checks
// that the core's calls work unchanged over it: the handshake in Unlocked,
// SendAll, Recv through the receive buffer with MSG_PEEK and MSG_WAITALL,
// a timeout that keeps what was read, end of stream.
func TestTLSTransport(t *testing.T) {
	h := newHost(t)
	L, L2 := &thread{}, &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	c, s := pair(t, h, L)
	cert, pool := selfSigned(t)
	tc := tls.Client(c.NetConn(), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	ts := tls.Server(s.NetConn(), &tls.Config{Certificates: []tls.Certificate{cert}})

	// The two handshakes wait for each other: the server's runs on a
	// thread of its own, taking turns under the lock as a script thread.
	served := make(chan error, 1)
	go func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		served <- s.Unlocked(L2, ts.Handshake)
	}()
	if err := c.Unlocked(L, tc.Handshake); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	h.mu.Unlock()
	err := <-served
	h.mu.Lock()
	if err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	c.SetTransport(tc)
	s.SetTransport(ts)

	if n, err := c.SendAll(L, []byte("hello, world"), 0); n != 12 || err != nil {
		t.Fatalf("SendAll: %d, %v", n, err)
	}
	if got, err := s.Recv(L, 5, unix.MSG_PEEK); got != "hello" || err != nil {
		t.Fatalf("peek: %q, %v", got, err)
	}
	if got, err := s.Recv(L, 5, 0); got != "hello" || err != nil {
		t.Fatalf("recv: %q, %v", got, err)
	}
	if got, err := s.Recv(L, 7, unix.MSG_WAITALL); got != ", world" || err != nil {
		t.Fatalf("recv waitall: %q, %v", got, err)
	}

	c.SendAll(L, []byte("abc"), 0)
	s.SetTimeout(100 * time.Millisecond)
	if _, err := s.Recv(L, 10, unix.MSG_WAITALL); !errors.Is(err, ErrTimeout) {
		t.Fatalf("waitall past the timeout: %v, want a timeout", err)
	}
	if got, err := s.Recv(L, 10, 0); got != "abc" || err != nil {
		t.Fatalf("after the timeout: %q, %v; want the partial read", got, err)
	}
	s.SetTimeout(-1)

	if err := c.Unlocked(L, tc.CloseWrite); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Recv(L, 10, 0); got != "" || err != nil {
		t.Fatalf("end of stream: %q, %v", got, err)
	}
}

// TestWaitEndsWhenTheRunEnds checks that a read waiting in the poller ends
// with the context's error when the run's context is cancelled.
func TestWaitEndsWhenTheRunEnds(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, s := pair(t, h, L)
	go func() {
		// The read releases the lock when it starts to wait: take it
		// then, and end the run while the read waits.
		h.mu.Lock()
		h.cancel()
		h.mu.Unlock()
	}()
	if _, err := s.Recv(L, 10, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("recv: %v, want the context's error", err)
	}
}

// TestDeadlines checks the absolute deadline and the timeout per call: the
// nearer one ends a wait, and non-blocking mode does not wait at all.
func TestDeadlines(t *testing.T) {
	h := newHost(t)
	L := &thread{}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, s := pair(t, h, L)

	s.SetTimeout(time.Hour)
	deadline := time.Now().Add(50 * time.Millisecond)
	s.SetDeadline(deadline)
	// The hour's timeout would outlast the test's own time limit.
	if _, err := s.Recv(L, 1, 0); !errors.Is(err, ErrTimeout) {
		t.Fatalf("past the absolute deadline: %v", err)
	}
	if time.Now().Before(deadline) {
		t.Fatal("the wait ended before the absolute deadline")
	}
	// A deadline already past: the call tries once and times out.
	if _, err := s.Recv(L, 1, 0); !errors.Is(err, ErrTimeout) {
		t.Fatalf("deadline past: %v", err)
	}
	s.SetDeadline(time.Time{})
	s.SetTimeout(0)
	if _, err := s.Recv(L, 1, 0); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("non-blocking: %v, want EAGAIN", err)
	}
}

// TestGroupClosesCollectedSockets checks that a socket nothing refers to
// any more is closed once the garbage collector finds it, and listed as a
// leak, while a socket closed by its owner is not.
func TestGroupClosesCollectedSockets(t *testing.T) {
	h := newHost(t)
	g := NewGroup(h.ctx)
	var fds []int
	for i := range 20 {
		s := &Socket{}
		if err := Open(h, s, unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
			t.Fatal(err)
		}
		g.Add(s, "test.lua:"+strconv.Itoa(i))
		fds = append(fds, s.FD())
		if i%2 == 0 {
			s.Close()
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for g.Len() > 0 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(time.Millisecond) // the cleanups run on their own goroutine: give it a turn
	}
	if n := g.Len(); n != 0 {
		t.Fatalf("%d sockets still open after collection", n)
	}
	if leaks := g.Leaks(); len(leaks) != 10 || !strings.HasPrefix(leaks[0].What, "SOCK_DGRAM fd=") || !strings.HasPrefix(leaks[0].Where, "test.lua:") {
		t.Fatalf("leaks: %v", leaks)
	}
	// Nothing in this test opened a descriptor since: each is closed.
	for _, fd := range fds {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
			t.Errorf("descriptor %d is still open", fd)
		}
	}
}

// TestStateNames checks every state has its documented name.
func TestStateNames(t *testing.T) {
	var names []string
	for st := Created; st <= Closed; st++ {
		names = append(names, st.String())
	}
	if got := strings.Join(names, " "); got != "CREATED BOUND LISTENING CONNECTING CONNECTED RD_SHUT WR_SHUT SHUT CLOSED" {
		t.Errorf("state names: %s", got)
	}
	var _ net.Conn = (&Socket{}).NetConn()
}
