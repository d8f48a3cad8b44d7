package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// heldOut is a sockrun process whose standard output is a pipe the test
// reads only when it chooses: until then the pipe fills and stays full, as
// when the reader of a server's log stalls (a pager, tee to a slow disk, a
// terminal after Ctrl-S).
type heldOut struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *os.File // the pipe's read end
	r      *bufio.Reader
	mu     sync.Mutex
	stderr bytes.Buffer // standard error, unless it is the held pipe
	done   chan struct{}
	code   int
}

// startHeldOut runs sockrun with args, its standard output the held pipe.
func startHeldOut(t *testing.T, args ...string) *heldOut {
	t.Helper()
	h := &heldOut{t: t, cmd: exec.Command(sockrunBin, args...), done: make(chan struct{})}
	h.cmd.Stderr = &lockedWriter{mu: &h.mu, w: &h.stderr}
	h.start(&h.cmd.Stdout)
	return h
}

// start starts h's process with *held, its standard output or error, the
// held pipe.
func (h *heldOut) start(held *io.Writer) {
	t := h.t
	t.Helper()
	h.cmd.Dir = repoRoot
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	*held = w
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	h.out, h.r = r, bufio.NewReader(r)
	go func() {
		h.cmd.Wait()
		h.code = h.cmd.ProcessState.ExitCode()
		close(h.done)
	}()
	t.Cleanup(func() {
		h.cmd.Process.Kill()
		<-h.done
		r.Close()
		if t.Failed() {
			t.Logf("stderr:\n%s", h.Stderr())
		}
	})
}

func (h *heldOut) Stderr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stderr.String()
}

// line reads the next line of standard output within d.
func (h *heldOut) line(d time.Duration) string {
	h.t.Helper()
	h.out.SetReadDeadline(time.Now().Add(d))
	defer h.out.SetReadDeadline(time.Time{})
	l, err := h.r.ReadString('\n')
	if err != nil {
		h.t.Fatalf("reading standard output: %q, %v", l, err)
	}
	return strings.TrimSuffix(l, "\n")
}

// waitFull waits (a bounded poll of a condition) until the pipe is full:
// it holds three quarters of what it can, and for 100 looks in a row,
// a millisecond apart, no more, while the process is kept writing: its
// writer waits for the reader.
func (h *heldOut) waitFull() {
	h.t.Helper()
	rc, err := h.out.SyscallConn()
	if err != nil {
		h.t.Fatal(err)
	}
	var size, held, last, same int
	for deadline := time.Now().Add(20 * time.Second); ; {
		rc.Control(func(fd uintptr) {
			size, _ = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0)
			held, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ) // FIONREAD: bytes in the pipe
		})
		if size > 0 && held >= size*3/4 && held == last {
			if same++; same == 100 {
				return
			}
		} else {
			same = 0
		}
		last = held
		if time.Now().After(deadline) {
			h.t.Fatalf("standard output holds %d bytes of %d after 20 s", held, size)
		}
		time.Sleep(time.Millisecond) // polling a condition
	}
}

// smtpSay sends a command (if any) and reads one reply line within 20 s.
func smtpSay(c net.Conn, r *bufio.Reader, cmd string) (string, error) {
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if cmd != "" {
		if _, err := io.WriteString(c, cmd+"\r\n"); err != nil {
			return "", err
		}
	}
	l, err := r.ReadString('\n')
	return strings.TrimRight(l, "\r\n"), err
}

// TestStdoutBlockedKeepsServing: smtp_sink.lua prints every line of a
// message. With its standard output stalled (a pipe nobody reads, full), a
// client sending a long message makes its thread wait in print; a new
// client still gets its 220 greeting and its QUIT answered. Before, print
// held the interpreter lock while standard output was blocked and the
// new client waited as long as the reader stalled. Then the pipe is read:
// every line of the message comes out, whole and in order.
func TestStdoutBlockedKeepsServing(t *testing.T) {
	const lines = 20000 // 2 MB of message: far more than a pipe holds
	h := startHeldOut(t, "--var", "port=0", script("smtp_sink.lua"))
	addr := strings.TrimPrefix(h.line(10*time.Second), "listening on ")

	a, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ar := bufio.NewReader(a)
	for _, step := range [][2]string{
		{"", "220"}, {"EHLO a", "250"}, {"MAIL FROM:<a@x>", "250"}, {"RCPT TO:<b@y>", "250"}, {"DATA", "354"},
	} {
		if got, err := smtpSay(a, ar, step[0]); err != nil || !strings.HasPrefix(got, step[1]) {
			t.Fatalf("%q: %q, %v", step[0], got, err)
		}
	}
	a.SetDeadline(time.Time{})
	sent := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(a)
		for i := range lines {
			fmt.Fprintf(w, "line %06d %s\r\n", i, strings.Repeat("x", 100))
		}
		io.WriteString(w, ".\r\n")
		sent <- w.Flush()
	}()
	h.waitFull()

	b, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	br := bufio.NewReader(b)
	if got, err := smtpSay(b, br, ""); err != nil || !strings.HasPrefix(got, "220") {
		t.Fatalf("a new client while standard output is blocked: %q, %v; want its 220 greeting", got, err)
	}
	if got, err := smtpSay(b, br, "QUIT"); err != nil || !strings.HasPrefix(got, "221") {
		t.Fatalf("QUIT while standard output is blocked: %q, %v", got, err)
	}

	// Now read: the whole message, line by line, in order.
	if got := h.line(20 * time.Second); got != "message from <a@x> to <b@y>:" {
		t.Fatalf("first line %q", got)
	}
	for i := range lines {
		want := fmt.Sprintf("  line %06d %s", i, strings.Repeat("x", 100))
		if got := h.line(20 * time.Second); got != want {
			t.Fatalf("line %d: %.60q, want %.60q", i, got, want)
		}
	}
	if got := h.line(20 * time.Second); got != "end of message" {
		t.Fatalf("after the message: %q", got)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if got, err := smtpSay(a, ar, ""); err != nil || !strings.HasPrefix(got, "250") {
		t.Fatalf("end of DATA: %q, %v", got, err)
	}
}

// TestStdoutBlockedCtrlC: a script printing to a standard output nobody
// reads ends at Ctrl-C with its KeyboardInterrupt, raised in the print
// that waits. Before, the print waited in the kernel, the interrupt could
// not be raised there, and the run ended only when the grace after
// Ctrl-C ran out ("still busy ... exiting").
func TestStdoutBlockedCtrlC(t *testing.T) {
	h := startHeldOut(t, "-e", `while true do print(("x"):rep(100)) end`)
	h.waitFull()
	h.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20 s after Ctrl-C")
	}
	stderr := h.Stderr()
	if h.code != 130 || !strings.Contains(stderr, "KeyboardInterrupt") || strings.Contains(stderr, "still busy") {
		t.Fatalf("exit %d, stderr:\n%s\nwant 130 and the KeyboardInterrupt, raised in print", h.code, stderr)
	}
}

// TestStdoutWholeLines: threads writing to a blocked standard output with
// print, io.write, io.stdout:write and io.stderr:write each write whole
// lines, none lost, each thread's in its order, once the pipe is read.
func TestStdoutWholeLines(t *testing.T) {
	const n = 3000
	h := startHeldOut(t, "-e", fmt.Sprintf(`
		local n, pad = %d, ("y"):rep(200)
		local writers = {
			function(i) print("print " .. i .. " " .. pad) end,
			function(i) io.write("io.write ", i, " ", pad, "\n") end,
			function(i) io.stdout:write("stdout:write ", i, " ", pad, "\n") end,
		}
		local ts = {}
		for _, w in ipairs(writers) do
			ts[#ts + 1] = thread.spawn(function() for i = 1, n do w(i) end end)
		end
		for _, t in ipairs(ts) do t:join() end
		io.stderr:write("done\n")`, n))
	h.waitFull()
	next := map[string]int{"print": 1, "io.write": 1, "stdout:write": 1}
	pad := strings.Repeat("y", 200)
	for range 3 * n {
		l := h.line(20 * time.Second)
		f := strings.Fields(l)
		if len(f) != 3 || f[2] != pad {
			t.Fatalf("a line not whole: %.80q", l)
		}
		if want := fmt.Sprint(next[f[0]]); f[1] != want {
			t.Fatalf("%s wrote line %s, want %s", f[0], f[1], want)
		}
		next[f[0]]++
	}
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20 s after its output was read")
	}
	if h.code != 0 || h.Stderr() != "done\n" {
		t.Fatalf("exit %d, stderr %q", h.code, h.Stderr())
	}
}

// TestTraceBlockedKeepsServing: with --trace writing to a standard error
// nobody reads (full), the threaded echo server still answers a new
// client while another keeps it busy. Before, the trace wrote its lines
// holding the interpreter lock, so the first line that found the pipe
// full stopped every thread. Once the pipe is read, its lines are whole.
func TestTraceBlockedKeepsServing(t *testing.T) {
	h := &heldOut{t: t, cmd: exec.Command(sockrunBin, "--trace", "--var", "port=0", script("threaded_echo_server.lua")), done: make(chan struct{})}
	stdout, err := h.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h.start(&h.cmd.Stderr)
	stdout.(*os.File).SetReadDeadline(time.Now().Add(10 * time.Second))
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("first line: %q, %v", first, err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(first, "listening on "))

	// A busy client, writing without waiting for its echoes: each recv
	// and sendall of the server is a line of trace.
	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	stop := make(chan struct{})
	echoed := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				echoed <- nil
				return
			default:
			}
			busy.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.WriteString(busy, "busy\n"); err != nil {
				echoed <- err
				return
			}
		}
	}()
	go io.Copy(io.Discard, busy)
	h.waitFull()

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "ping\n")
	got := make([]byte, 5)
	_, err = io.ReadFull(c, got)
	close(stop)
	if err != nil || string(got) != "ping\n" {
		t.Fatalf("a new client while the trace's reader stalls: %q, %v; want its echo", got, err)
	}
	if err := <-echoed; err != nil {
		t.Fatalf("the busy client: %v", err)
	}
	// The trace, read now: whole lines (a time, then what happened), or
	// the note of lines dropped while the reader stalled. The pipe held
	// more than 500.
	for range 500 {
		l := h.line(20 * time.Second)
		if f := strings.Fields(l); len(f) < 3 || strings.Trim(f[0], "0123456789.") != "" && !strings.HasPrefix(l, "sockrun: trace: ") {
			t.Fatalf("a trace line not whole: %.100q", l)
		}
	}
}

// TestStderrBlockedCtrlC: with --trace filling a standard error nobody
// reads, one Ctrl-C still ends the run, with its exit code. Before, the
// trace's writes held the interpreter lock, sockrun's own messages waited
// for the reader too, and not even a second Ctrl-C ended the process.
func TestStderrBlockedCtrlC(t *testing.T) {
	h := &heldOut{t: t, cmd: exec.Command(sockrunBin, "--trace", "-e", `
		local a, b = socket.socketpair()
		while true do a:sendall("x"); b:recv(1) end`), done: make(chan struct{})}
	h.start(&h.cmd.Stderr)
	h.waitFull()
	h.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20 s after Ctrl-C, with its standard error blocked")
	}
	if h.code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130", h.code)
	}
}
