package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The example servers' parsers, fuzzed through their scripts: each target
// starts its script once, as a process on port 0, and for each input sends
// it on a fresh loopback connection (a datagram for DNS), reads whatever
// answer comes, and then checks that the server still answers a
// well-formed request. A malformed request may end its own connection, but
// never the server, and never its other connections.

// fuzzServer is an example server started for a fuzz target.
type fuzzServer struct {
	addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	out    []string // the last lines of stdout
	stderr bytes.Buffer
}

// startFuzzServer runs scripts/name on port 0 and returns it once it
// prints the address it serves on. The process is killed when the target
// ends, and with the test process (a fuzz worker the coordinator kills
// leaves no server behind).
func startFuzzServer(f *testing.F, name string) *fuzzServer {
	f.Helper()
	s := &fuzzServer{exited: make(chan struct{})}
	s.cmd = exec.Command(sockrunBin, "--var", "port=0", script(name))
	s.cmd.Dir = repoRoot
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.cmd.Stderr = &lockedWriter{mu: &s.mu, w: &s.stderr}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		f.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		f.Fatal(err)
	}
	ready := make(chan string, 1)
	re := regexp.MustCompile(`^(?:listening on|serving DNS on) (\S+)$`)
	go func() {
		// Every line is read, so that the server never blocks on a full
		// pipe while it reports bad requests; the last ones are kept.
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil && s.addr == "" {
				s.addr = m[1]
				ready <- m[1]
			}
			s.mu.Lock()
			s.out = append(s.out, sc.Text())
			if len(s.out) > 20 {
				s.out = s.out[1:]
			}
			s.mu.Unlock()
		}
		s.cmd.Wait()
		close(s.exited)
	}()
	f.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	select {
	case <-ready:
	case <-s.exited:
		f.Fatalf("%s ended before serving:\n%s", name, s.output())
	case <-time.After(10 * time.Second):
		f.Fatalf("%s: no address printed within 10 s:\n%s", name, s.output())
	}
	return s
}

// output is the server's last stdout lines and its stderr, and whether it
// has exited.
func (s *fuzzServer) output() string {
	state := "running"
	select {
	case <-s.exited:
		state = "exited: " + s.cmd.ProcessState.String()
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return state + "\nstdout (last lines):\n" + strings.Join(s.out, "\n") + "\nstderr:\n" + s.stderr.String()
}

// sendStream sends input on a new TCP connection, ends its side of the
// connection, and reads what comes back until the server closes or a
// short deadline passes. Errors are the input's business: the server may
// reset a connection it refuses.
func (s *fuzzServer) sendStream(t *testing.T, input []byte) {
	c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, s.output())
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	c.Write(input)
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c)
}

// expectStream sends a well-formed request on a new connection and fails
// the test unless the answer starts with want within 5 s.
func (s *fuzzServer) expectStream(t *testing.T, input []byte, request, want string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err == nil {
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = io.WriteString(c, request)
	}
	got := make([]byte, len(want))
	if err == nil {
		_, err = io.ReadFull(c, got)
	}
	if err != nil || string(got) != want {
		t.Fatalf("after the input %q, %q was answered with %q (%v), want %q\n%s", input, request, got, err, want, s.output())
	}
}

// FuzzHTTPServer sends arbitrary bytes to scripts/http_server.lua as a
// request; a GET / must be answered after each.
func FuzzHTTPServer(f *testing.F) {
	f.Add([]byte("GET /json HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"))
	f.Add([]byte("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"))
	f.Add([]byte("\x00\xff\r\n\r\n"))
	s := startFuzzServer(f, "http_server.lua")
	f.Fuzz(func(t *testing.T, input []byte) {
		s.sendStream(t, input)
		s.expectStream(t, input, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 ")
	})
}

// FuzzHTTPModuleServer sends arbitrary bytes to
// scripts/http_module_server.lua, whose requests the http module parses in
// Go; a GET / must be answered after each.
func FuzzHTTPModuleServer(f *testing.F) {
	f.Add([]byte("GET /json HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"))
	f.Add([]byte("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n"))
	f.Add([]byte("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab"))
	f.Add([]byte("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"))
	f.Add([]byte("\r\n\x00\xff\r\n\r\n"))
	s := startFuzzServer(f, "http_module_server.lua")
	f.Fuzz(func(t *testing.T, input []byte) {
		s.sendStream(t, input)
		s.expectStream(t, input, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 ")
	})
}

// FuzzRESPServer sends arbitrary bytes to scripts/resp_server.lua as
// commands; a PING must be answered after each.
func FuzzRESPServer(f *testing.F) {
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
	f.Add([]byte("PING hello\r\n"))
	f.Add([]byte("*1\r\n$-1\r\n"))
	f.Add([]byte("*2\r\n$99999999999\r\nx\r\n"))
	f.Add([]byte("*-5\r\n:1\r\n"))
	s := startFuzzServer(f, "resp_server.lua")
	f.Fuzz(func(t *testing.T, input []byte) {
		s.sendStream(t, input)
		s.expectStream(t, input, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n")
	})
}

// dnsQuery is a query for www.example.test's A record, with id.
func dnsQuery(id uint16) []byte {
	q := binary.BigEndian.AppendUint16(nil, id)
	q = append(q, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD; one question
	q = append(q, "\x03www\x07example\x04test\x00"...)
	return append(q, 0, 1, 0, 1) // A, IN
}

// FuzzDNSServer sends an arbitrary datagram to scripts/dns_server.lua;
// then, from the same socket, a query for www.example.test must be
// answered with its address. The server reads datagrams in order, so the
// answer also shows it has handled the fuzzed one; an answer to the fuzzed
// datagram, told apart by its id, is skipped.
func FuzzDNSServer(f *testing.F) {
	f.Add(dnsQuery(1))
	f.Add([]byte("\x00\x02\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01")) // a pointer to itself
	f.Add([]byte("\x00\x03\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example"))              // cut in a label
	f.Add([]byte("\x00\x04\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00"))                         // a response, not a query
	f.Add([]byte{0})
	s := startFuzzServer(f, "dns_server.lua")
	f.Fuzz(func(t *testing.T, input []byte) {
		if len(input) > 65507 {
			return // not a UDP datagram
		}
		// The query's id is not the fuzzed datagram's, so that only the
		// answer to the query has it.
		id := uint16(0x5352)
		if len(input) >= 2 && binary.BigEndian.Uint16(input) == id {
			id++
		}
		c, err := net.Dial("udp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write(input)
		if _, err := c.Write(dnsQuery(id)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 65535)
		for {
			n, err := c.Read(buf)
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				t.Fatalf("after the datagram %q, no answer to a query for www.example.test within 5 s\n%s", input, s.output())
			case err != nil:
				continue // an ICMP error for the fuzzed datagram's answer, say
			}
			a := buf[:n]
			if n < 12 || binary.BigEndian.Uint16(a) != id || a[2]&0x80 == 0 {
				continue // the answer to the fuzzed datagram
			}
			if rcode, answers := a[3]&0x0f, binary.BigEndian.Uint16(a[6:]); rcode != 0 || answers != 1 || !bytes.HasSuffix(a, []byte{127, 0, 0, 1}) {
				t.Fatalf("after the datagram %q, www.example.test A answered with %x\n%s", input, a, s.output())
			}
			return
		}
	})
}
