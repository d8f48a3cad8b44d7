// Package e2e runs the built sockrun binary as a user would: as a process,
// on real scripts, talking to it over loopback.
package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sockrunBin is the binary built once for the package's tests.
var sockrunBin string

// repoRoot is the repository's top directory (scripts/ lives there).
var repoRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sockrun-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	repoRoot, _ = filepath.Abs("..")
	sockrunBin = filepath.Join(dir, "sockrun")
	build := exec.Command("go", "build", "-o", sockrunBin, ".")
	build.Dir = repoRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building sockrun:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// script is the path of scripts/NAME.
func script(name string) string { return filepath.Join(repoRoot, "scripts", name) }

// proc is a running process whose output the test reads line by line.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // stdout lines, closed at end of output
	mu     sync.Mutex
	out    []string // every stdout line so far
	stderr bytes.Buffer
	done   chan struct{}
	code   int
}

// start runs the binary with args, in dir (the repo root if ""), with extra
// environment variables; it is killed when the test ends.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	return startIn(t, "", nil, sockrunBin, args...)
}

// startCmd runs any program (a Python tutorial program, nc, ...) the same way.
func startIn(t *testing.T, dir string, env []string, prog string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(prog, args...)
	if dir == "" {
		dir = repoRoot
	}
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return startCmd(t, cmd)
}

// startCmd starts cmd, made ready by the caller (its directory,
// environment, descriptors to hand down), as startIn does.
func startCmd(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	prog, args := cmd.Path, cmd.Args[1:]
	p := &proc{t: t, name: filepath.Base(prog) + " " + strings.Join(args, " "), cmd: cmd, lines: make(chan string, 10000), done: make(chan struct{})}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.out = append(p.out, sc.Text())
			p.mu.Unlock()
			p.lines <- sc.Text()
		}
		close(p.lines)
		err := cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		if err != nil && p.code == -1 {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s: stdout:\n%s\nstderr:\n%s", p.name, strings.Join(p.Stdout(), "\n"), p.Stderr())
		}
	})
	return p
}

// lockedWriter writes to w holding mu: a child's stderr, written by the
// exec package's copying goroutine while the test reads it.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

// Stdout is every line printed so far.
func (p *proc) Stdout() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.out...)
}

// Stderr is everything written to stderr so far.
func (p *proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// waitLine waits for the next stdout line matching pattern (a regexp) and
// returns it with its submatches; lines before it are skipped.
func (p *proc) waitLine(pattern string, timeout time.Duration) []string {
	p.t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("%s: output ended before a line matching %q; stderr:\n%s", p.name, pattern, p.Stderr())
			}
			if m := re.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-deadline:
			p.t.Fatalf("%s: no line matching %q within %v; stdout so far:\n%s\nstderr:\n%s", p.name, pattern, timeout, strings.Join(p.Stdout(), "\n"), p.Stderr())
		}
	}
}

// write sends text to the process's stdin.
func (p *proc) write(s string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, s); err != nil {
		p.t.Fatalf("%s: write stdin: %v", p.name, err)
	}
}

// closeStdin signals end of input.
func (p *proc) closeStdin() { p.stdin.Close() }

// signal sends sig to the process.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("%s: signal: %v", p.name, err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		p.t.Fatalf("%s: still running after %v; stdout:\n%s\nstderr:\n%s", p.name, timeout, strings.Join(p.Stdout(), "\n"), p.Stderr())
		return -1
	}
}

// runSockrun runs sockrun to the end with stdin and returns its stdout,
// stderr and exit code.
func runSockrun(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	p := start(t, args...)
	// A program may end without reading its input (an error in its
	// arguments ends it at once): the pipe is then broken, or already
	// closed by the wait that saw the exit, and what counts is its output
	// and exit code. An empty input is not written at all.
	if stdin != "" {
		if _, err := io.WriteString(p.stdin, stdin); err != nil && !errors.Is(err, os.ErrClosed) && !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("%s: write stdin: %v", p.name, err)
		}
	}
	p.closeStdin()
	code := p.wait(30 * time.Second)
	return strings.Join(p.Stdout(), "\n"), p.Stderr(), code
}

// Ports. A test never picks a port, closes it and hands its number on: by
// then another test may hold it. A server is started on port 0 instead,
// and the test learns the port the kernel chose: from the line the server
// prints ("listening on 127.0.0.1:PORT"), or, for a program that prints no
// address (the tutorials print only what the Python originals print),
// from the kernel's tables with boundPort. A program that cannot be told
// port 0 listens on a port heldPort keeps for it.

// boundPort waits until process p has a socket listening (TCP) or bound
// and unconnected (UDP) and returns its port. A process with sockets on
// more than one such port fails the test: the caller could not tell which.
func boundPort(t *testing.T, p *proc, udp bool, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ports := map[int]bool{}
		for _, port := range listeningSockets(p.cmd.Process.Pid, udp) {
			ports[port] = true
		}
		switch len(ports) {
		case 1:
			for port := range ports {
				return port
			}
		case 0:
		default:
			t.Fatalf("%s: more than one port bound (udp %v): %v", p.name, udp, ports)
		}
		select {
		case <-p.done:
			t.Fatalf("%s ended before it bound a port (udp %v); stderr:\n%s", p.name, udp, p.Stderr())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no port bound (udp %v) after %v", p.name, udp, timeout)
		}
		time.Sleep(10 * time.Millisecond) // polling the kernel's tables, not waiting for a fixed time
	}
}

// listeningSockets is process pid's sockets that listen (TCP) or are bound
// and unconnected (UDP): their local ports by socket inode, from the
// kernel's tables (socketInodes, socketRows).
func listeningSockets(pid int, udp bool) map[string]int {
	state := "0A" // TCP_LISTEN
	if udp {
		state = "07" // TCP_CLOSE: an unconnected UDP socket
	}
	inodes := socketInodes(pid)
	found := map[string]int{}
	for _, r := range socketRows(udp) {
		if r.state == state && inodes[r.inode] {
			found[r.inode] = r.port
		}
	}
	return found
}

// socketInodes is the inodes of the sockets among process pid's open
// descriptors (/proc/PID/fd).
func socketInodes(pid int) map[string]bool {
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(fdDir)
	for _, fd := range fds {
		if link, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	return inodes
}

// socketRow is a row of the kernel's socket tables.
type socketRow struct {
	inode, state string // state: a TCP state in hex, "0A" is LISTEN
	port         int    // the local port
	peerPort     int    // the remote port, 0 if none
}

// socketRows reads the kernel's tables of TCP (or UDP) sockets, IPv4 and
// IPv6. A socket's inode names it for as long as it exists, whoever binds
// its port next.
func socketRows(udp bool) []socketRow {
	tables := []string{"/proc/net/tcp", "/proc/net/tcp6"}
	if udp {
		tables = []string{"/proc/net/udp", "/proc/net/udp6"}
	}
	var rows []socketRow
	for _, table := range tables {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) < 10 {
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			_, hexPeer, _ := strings.Cut(f[2], ":")
			port, err := strconv.ParseUint(hexPort, 16, 16)
			peer, err2 := strconv.ParseUint(hexPeer, 16, 16)
			if err == nil && err2 == nil {
				rows = append(rows, socketRow{inode: f[9], state: f[3], port: int(port), peerPort: int(peer)})
			}
		}
	}
	return rows
}

// waitAccepted waits until process p has accepted the TCP connection c,
// which this test dialled: p holds the server's end, or has closed it
// already (c is in CLOSE_WAIT; a connection still in the listener's
// queue cannot be closed by the server). So a server that serves one
// client at a time serves c before any client that connects after this
// returns.
func waitAccepted(t *testing.T, p *proc, c net.Conn, timeout time.Duration) {
	t.Helper()
	local, remote := c.LocalAddr().(*net.TCPAddr).Port, c.RemoteAddr().(*net.TCPAddr).Port
	for deadline := time.Now().Add(timeout); ; {
		inodes := socketInodes(p.cmd.Process.Pid)
		for _, r := range socketRows(false) {
			if r.peerPort == local && inodes[r.inode] || r.port == local && r.peerPort == remote && r.state == "08" { // TCP_CLOSE_WAIT
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not accept the connection from port %d within %v", p.name, local, timeout)
		}
		time.Sleep(10 * time.Millisecond) // polling the kernel's tables, not waiting for a fixed time
	}
}

// listenerClosed checks, after process p has ended, that the sockets it
// listened on are gone from the kernel's tables: no child process
// inherited them. listeners is what listeningSockets gave while it ran.
// (A connect to the port could only fail the test when another test has
// taken the port meanwhile; the socket's inode is this socket's alone.)
func listenerClosed(t *testing.T, listeners map[string]int) {
	t.Helper()
	if len(listeners) == 0 {
		t.Fatal("no listening socket to check")
	}
	for _, r := range socketRows(false) {
		if port, ok := listeners[r.inode]; ok {
			t.Errorf("the listener on port %d is still open after the process ended (state %s)", port, r.state)
		}
	}
}

// heldPort binds a TCP socket to 127.0.0.1:0, with SO_REUSEADDR and
// SO_REUSEPORT, and holds it bound, not listening, until the test ends. It
// returns the port: a connect to it is refused, and no socket can take it
// (no bind to port 0, no connect's local port) except one that sets
// SO_REUSEADDR or SO_REUSEPORT before it binds, as a server does: a
// program that cannot be told port 0 (redis-server; the listeners of
// sockrun --workers, which share one port) can listen there.
func heldPort(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	for _, opt := range []int{syscall.SO_REUSEADDR, unix.SO_REUSEPORT} {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, opt, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return sa.(*syscall.SockaddrInet4).Port
}

// clientsAtOnce runs n clients concurrently: each dials addr, then talk(i,
// conn) with the connection's deadline set; every error fails the test.
// All of it ends by timeout.
func clientsAtOnce(t *testing.T, addr string, n int, timeout time.Duration, talk func(i int, c net.Conn) error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			d := net.Dialer{Deadline: deadline}
			c, err := d.Dial("tcp", addr)
			if err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
				return
			}
			defer c.Close()
			c.SetDeadline(deadline)
			if err := talk(i, c); err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
