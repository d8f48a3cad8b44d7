package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// term is sockrun running on a pseudo-terminal, as a user at the prompt
// sees it.
type term struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	out  []byte // everything printed so far
	seen int    // out[:seen] was matched already
	more chan struct{}
	done chan struct{}
	code int
}

// startTerm runs sockrun with args on a new pseudo-terminal, with HOME in a
// temporary directory (the history goes there).
func startTerm(t *testing.T, home string, args ...string) *term {
	t.Helper()
	return startTermSized(t, home, &pty.Winsize{Rows: 40, Cols: 200}, args...)
}

// startTermSized is startTerm on a terminal of the given size.
func startTermSized(t *testing.T, home string, size *pty.Winsize, args ...string) *term {
	t.Helper()
	cmd := exec.Command(sockrunBin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "TERM=xterm", "HOME="+home, "XDG_STATE_HOME=")
	tty, err := pty.StartWithSize(cmd, size)
	if err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, cmd: cmd, tty: tty, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			tm.mu.Lock()
			tm.out = append(tm.out, buf[:n]...)
			tm.mu.Unlock()
			select {
			case tm.more <- struct{}{}:
			default:
			}
			if err != nil {
				break
			}
		}
		cmd.Wait()
		tm.code = cmd.ProcessState.ExitCode()
		close(tm.done)
	}()
	t.Cleanup(func() {
		select {
		case <-tm.done:
		default:
			cmd.Process.Kill()
			<-tm.done
		}
		tty.Close()
		if t.Failed() {
			t.Logf("terminal:\n%s", tm.output())
		}
	})
	return tm
}

func (tm *term) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return string(tm.out)
}

// expect waits for output matching pattern after what was matched before,
// and returns the match.
func (tm *term) expect(pattern string) string {
	tm.t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.After(10 * time.Second)
	for {
		tm.mu.Lock()
		loc := re.FindIndex(tm.out[tm.seen:])
		var m string
		if loc != nil {
			m = string(tm.out[tm.seen+loc[0] : tm.seen+loc[1]])
			tm.seen += loc[1]
		}
		tm.mu.Unlock()
		if loc != nil {
			return m
		}
		select {
		case <-tm.more:
		case <-tm.done:
			tm.mu.Lock()
			loc := re.FindIndex(tm.out[tm.seen:])
			tm.mu.Unlock()
			if loc == nil {
				tm.t.Fatalf("sockrun ended before printing %q", pattern)
			}
		case <-deadline:
			tm.t.Fatalf("no %q within 10s", pattern)
		}
	}
}

// cooked waits until the line editor has given the terminal back (ISIG
// set again): a Ctrl-C typed before that is a byte the editor no longer
// reads, not a signal.
func (tm *term) cooked() {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tio, err := unix.IoctlGetTermios(int(tm.tty.Fd()), unix.TCGETS)
		if err != nil {
			tm.t.Fatal(err)
		}
		if tio.Lflag&unix.ISIG != 0 {
			return
		}
		time.Sleep(time.Millisecond) // polling the terminal's mode
	}
	tm.t.Fatal("the terminal was not given back to cooked mode within 10s")
}

// prompt waits for the prompt. It may follow the echo of a Ctrl-C that
// reached the terminal while the line editor was not reading it (the
// prompt drops that signal): "^C> ".
func (tm *term) prompt() { tm.t.Helper(); tm.expect(`(^|\n|\^C)> $|\n> |^> `) }

// typeLine types line and Enter.
func (tm *term) typeLine(line string) {
	tm.t.Helper()
	tm.send(line + "\r")
}

func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := tm.tty.WriteString(s); err != nil {
		tm.t.Fatal(err)
	}
}

// interruptEditor presses Ctrl-C at the line editor until it says
// KeyboardInterrupt: one that reaches the terminal just before the editor
// takes it over is a signal the prompt drops, so it is pressed again
// (each try waits for the output, not a fixed time).
func (tm *term) interruptEditor() {
	tm.t.Helper()
	re := regexp.MustCompile(`KeyboardInterrupt`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tm.send("\x03")
		// Wait for the answer a while, through any output before it (the
		// editor echoes "^C" first), before pressing again.
		again := time.After(time.Second)
		for waiting := true; waiting; {
			tm.mu.Lock()
			loc := re.FindIndex(tm.out[tm.seen:])
			if loc != nil {
				tm.seen += loc[1]
			}
			tm.mu.Unlock()
			if loc != nil {
				return
			}
			select {
			case <-tm.more:
			case <-again:
				waiting = false
			}
		}
	}
	tm.t.Fatal("no KeyboardInterrupt after Ctrl-C at the editor within 10s")
}

func (tm *term) wait() int {
	tm.t.Helper()
	select {
	case <-tm.done:
		return tm.code
	case <-time.After(10 * time.Second):
		tm.t.Fatal("sockrun still runs 10s after Ctrl-D")
		return -1
	}
}

// TestPrompt drives the prompt as a user would: values shown readably, a
// statement over several lines, an error that keeps the session, Ctrl-C
// ending a blocked accept, Ctrl-D ending the session.
func TestPrompt(t *testing.T) {
	home := t.TempDir()
	tm := startTerm(t, home)
	tm.prompt()
	tm.typeLine(`1 + 2, "two", {1, 2, x = "y"}`)
	tm.expect(`\r\n3\t"two"\t\{1, 2, x = "y"\}\r\n`)
	tm.prompt()

	tm.typeLine(`for i = 1, 3 do`)
	tm.expect(`>> `)
	tm.typeLine(`  io.write("i=", i, ";")`)
	tm.expect(`>> `)
	tm.typeLine(`end`)
	tm.expect(`i=1;i=2;i=3;`)
	tm.prompt()

	tm.typeLine(`error("boom")`)
	tm.expect(`stdin:1: boom`)
	tm.prompt()
	tm.typeLine(`x = = 1`)
	tm.expect(`stdin:1: unexpected symbol near '='`)
	tm.prompt()

	tm.typeLine(`s = socket.socket(); s:bind({"127.0.0.1", 0}); s:listen()`)
	tm.prompt()
	tm.typeLine(`s:getsockname()`)
	port := regexp.MustCompile(`(\d+)\}`).FindStringSubmatch(tm.expect(`\{"127\.0\.0\.1", \d+\}`))[1]
	tm.prompt()
	tm.typeLine(`s:accept()`)
	tm.expect(`s:accept\(\)\r\n`)
	tm.cooked()
	tm.send("\x03")
	tm.expect(`KeyboardInterrupt: interrupted`)
	tm.prompt()
	// The session and its socket live on: accept still works.
	tm.typeLine(`c = socket.create_connection({"127.0.0.1", ` + port + `}); conn, addr = s:accept(); conn:send("hi")`)
	tm.prompt()
	tm.typeLine(`c:recv(10)`)
	tm.expect(`\r\n"hi"\r\n`)
	tm.prompt()

	// Ctrl-C on a half-typed statement drops it.
	tm.typeLine(`if true then`)
	tm.expect(`>> `)
	tm.interruptEditor()
	tm.prompt()

	tm.send("\x04")
	if code := tm.wait(); code != 0 {
		t.Fatalf("Ctrl-D: exit %d", code)
	}
	hist, err := os.ReadFile(filepath.Join(home, ".sockrun_history"))
	if err != nil || !strings.Contains(string(hist), "for i = 1, 3 do\n") {
		t.Errorf("history %q, %v", hist, err)
	}
}

// TestPromptBannerAndTab: on a terminal the prompt first says how to
// leave; Tab completes a module's constant and a live socket's method,
// and a second Tab lists what a name may become.
func TestPromptBannerAndTab(t *testing.T) {
	tm := startTerm(t, t.TempDir())
	tm.expect(`Leave with Ctrl-D \(end of input\) or os\.exit\(\)`)
	tm.prompt()
	tm.send("x = socket.SOCK_DGR\t")
	tm.expect(`SOCK_DGRAM`)
	tm.send("\r")
	tm.prompt()
	tm.typeLine(`x == socket.SOCK_DGRAM`)
	tm.expect(`\r\ntrue\r\n`)
	tm.prompt()
	tm.typeLine(`s = socket.socket()`)
	tm.prompt()
	tm.send("s:getsockn\t")
	tm.expect(`getsockname`)
	tm.send("()\r")
	tm.expect(`\{"0\.0\.0\.0", 0\}`)
	tm.prompt()
	tm.send("socket.creat\t\t")
	tm.expect(`create_connection\s+create_server`)
	tm.interruptEditor()
	tm.prompt()
	tm.send("\x04")
	if code := tm.wait(); code != 0 {
		t.Fatalf("Ctrl-D: exit %d", code)
	}
}

// TestPromptUnsizedTerminal: on a terminal that was never given a size
// the line editor cannot edit, so the banner says so and how to give it
// one, instead of promising Tab; statements still run.
func TestPromptUnsizedTerminal(t *testing.T) {
	tm := startTermSized(t, t.TempDir(), &pty.Winsize{})
	tm.expect(`this terminal has no size, so lines are not edited and Tab does not complete \(stty cols 80 rows 24 gives it one\)`)
	tm.prompt()
	tm.typeLine(`6 * 7`)
	tm.expect(`42\r\n`)
	tm.prompt()
	tm.send("\x04")
	if code := tm.wait(); code != 0 {
		t.Fatalf("Ctrl-D: exit %d", code)
	}
	if strings.Contains(tm.output(), "Tab completes names") {
		t.Errorf("the banner promises Tab on a terminal without a size:\n%s", tm.output())
	}
}

// TestPromptCtrlCSparesThreads: Ctrl-C on a busy statement interrupts the
// main thread only, as Python's prompt: a thread started before answers
// after it.
func TestPromptCtrlCSparesThreads(t *testing.T) {
	tm := startTerm(t, t.TempDir())
	tm.prompt()
	tm.typeLine(`q, r = thread.queue(), thread.queue(); thread.spawn(function() while true do r:put(q:get() * 2) end end)`)
	tm.prompt()
	tm.typeLine(`print("spin" .. "ning"); while true do end`)
	tm.expect(`\r\nspinning\r\n`)
	tm.cooked()
	tm.send("\x03")
	tm.expect(`KeyboardInterrupt: interrupted`)
	tm.prompt()
	tm.typeLine(`q:put(21)`)
	tm.prompt()
	tm.typeLine(`r:get()`)
	tm.expect(`\r\n42\r\n`)
	tm.prompt()
	tm.send("\x04")
	if code := tm.wait(); code != 0 {
		t.Fatalf("Ctrl-D: exit %d", code)
	}
}

// TestPromptAfterScript: -i opens the prompt after the -e chunks, with
// their globals; threads started there run while the prompt waits.
func TestPromptAfterScript(t *testing.T) {
	tm := startTerm(t, t.TempDir(), "-e", `x = 5`, "-i")
	tm.prompt()
	tm.typeLine(`x * 2`)
	tm.expect(`\r\n10\r\n`)
	tm.prompt()
	tm.typeLine(`q = thread.queue(); thread.spawn(function() q:put(x + 1) end)`)
	tm.prompt()
	tm.typeLine(`q:get()`)
	tm.expect(`\r\n6\r\n`)
	tm.prompt()
	tm.typeLine(`os.exit(3)`)
	if code := tm.wait(); code != 3 {
		t.Fatalf("os.exit(3): exit %d", code)
	}
}

// TestPromptPlainInput: -i with standard input not a terminal reads
// statements from it, prompting on stderr.
func TestPromptPlainInput(t *testing.T) {
	out, stderr, code := runSockrun(t, "y = x + 1\ny\nfor i = 1, 2 do\nprint(i)\nend\nerror('e')\n'still here'\n", "-e", "x = 1", "-i")
	if code != 0 || out != "2\n1\n2\n\"still here\"" {
		t.Errorf("code %d, stdout %q, stderr %q", code, out, stderr)
	}
	if !strings.Contains(stderr, "stdin:1: e") || !strings.Contains(stderr, ">> ") {
		t.Errorf("stderr %q", stderr)
	}
}
