// Package e2e runs the built sockrun binary as a user would: as a process,
// on real scripts, talking to it over loopback.
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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
	p.write(stdin)
	p.closeStdin()
	code := p.wait(30 * time.Second)
	return strings.Join(p.Stdout(), "\n"), p.Stderr(), code
}

// freePort returns a TCP port free on 127.0.0.1 now (also free for UDP in
// practice: both are checked).
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		u.Close()
		return port
	}
	t.Fatal("no free port")
	return 0
}

// waitPort waits until something accepts TCP connections on addr.
func waitPort(t *testing.T, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after %v: %v", addr, timeout, err)
		}
		time.Sleep(10 * time.Millisecond) // polling a port, not waiting for a fixed time
	}
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
