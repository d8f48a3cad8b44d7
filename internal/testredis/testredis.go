// Package testredis starts a real redis-server for a test: on a Unix
// socket in the test's temporary directory and on a TCP port of loopback
// the test holds for it, without persistence, stopped when the test ends.
// Tests that need it find redis-server through internal/testenv: missing,
// the test is skipped, or fails under CI (.ci/run installs it).
package testredis

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
	"golang.org/x/sys/unix"
)

// Databases is how many databases the server has: a test may give each
// of its parts a database of its own (URL(db)).
const Databases = 64

// readyTimeout bounds the wait for the server's "ready" lines.
const readyTimeout = 20 * time.Second

// Server is a redis-server started by a test.
type Server struct {
	t    testing.TB
	path string // the redis-server binary
	dir  string
	sock string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  []string
}

// Start starts redis-server and waits until it accepts connections on
// both its Unix socket and its TCP port; it is stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	path := testenv.Tool(t, "redis-server")
	// Unix socket paths are limited to 108 bytes: a short directory.
	dir, err := os.MkdirTemp("", "redis")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{t: t, path: path, dir: dir, sock: filepath.Join(dir, "redis.sock"), port: heldPort(t)}
	t.Cleanup(s.Stop)
	s.Restart()
	return s
}

// Sock is the path of the server's Unix socket.
func (s *Server) Sock() string { return s.sock }

// Port is the server's TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// URL is the URL of database db over the Unix socket, as shared.url
// takes it.
func (s *Server) URL(db int) string { return fmt.Sprintf("unix://%s?db=%d", s.sock, db) }

// TCPURL is the URL of database db over TCP.
func (s *Server) TCPURL(db int) string { return fmt.Sprintf("redis://127.0.0.1:%d/%d", s.port, db) }

// Log is what the server has printed so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.log, "\n")
}

// Restart starts the server (again, after Stop) on the same socket and
// port, with an empty data set, and waits until it accepts connections.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		s.t.Fatal("testredis: Restart of a running server")
	}
	cmd := exec.Command(s.path, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--unixsocket", s.sock, "--save", "", "--appendonly", "no",
		"--databases", strconv.Itoa(Databases), "--dir", s.dir)
	cmd.Dir = s.dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("testredis: %v", err)
	}
	done := make(chan struct{})
	ready := make(chan struct{})
	go func() {
		tcp, sock, told := false, false, false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log = append(s.log, line)
			s.mu.Unlock()
			// redis-server 7 says "Ready to accept connections" for TCP
			// and "... ready to accept connections at PATH" for the socket.
			tcp = tcp || strings.Contains(line, "Ready to accept connections")
			sock = sock || strings.Contains(line, "ready to accept connections at")
			if tcp && sock && !told {
				close(ready)
				told = true
			}
		}
		cmd.Wait()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	select {
	case <-ready:
	case <-done:
		s.t.Fatalf("testredis: redis-server exited before it was ready:\n%s", s.Log())
	case <-time.After(readyTimeout):
		s.t.Fatalf("testredis: redis-server not ready within %v:\n%s", readyTimeout, s.Log())
	}
}

// Stop kills the server and waits until it has exited: clients see their
// connections reset and new ones refused. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGCONT) // a paused server must be able to die
	cmd.Process.Kill()
	<-done
	os.Remove(s.sock)
}

// Pause stops the server's process (SIGSTOP): it keeps its connections
// and accepts new ones in the kernel's backlog, but answers nothing, as a
// stalled server does. Resume continues it.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		s.t.Fatalf("testredis: %v to a stopped server", sig)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

// heldPort binds a TCP socket to 127.0.0.1:0 with SO_REUSEADDR and
// SO_REUSEPORT and holds it bound, not listening, until the test ends:
// no other socket can take the port (no bind to port 0, no connect's
// local port), but redis-server, which sets SO_REUSEADDR before it binds
// and cannot be told port 0, can listen there, again after a restart.
func heldPort(t testing.TB) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	for _, opt := range []int{unix.SO_REUSEADDR, unix.SO_REUSEPORT} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return sa.(*unix.SockaddrInet4).Port
}
