package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ioServer is a script that answers "ok <line>" to each client in its
// main thread while a second thread runs the file operation op (Lua
// statements; vars.path names the file): a file from io.open or io.popen
// that waits must wait alone, the lock released, as a socket call does.
// The thread prints "started" before op and "done" after it.
const ioServer = `
local path = vars.path
local srv = socket.create_server({"127.0.0.1", 0})
answered = false
thread.spawn(function()
  print("started")
  %s
  print("done")
end)
print("port " .. srv:getsockname().port)
while true do
  local c = srv:accept()
  local line = c:makefile():readline():gsub("\n$", "")
  c:sendall("ok " .. line .. "\n")
  answered = true
  c:close()
end
`

// startIOServer writes the server with op and runs it with path.
func startIOServer(t *testing.T, op, path string) (*proc, string) {
	t.Helper()
	p := start(t, "--var", "path="+path, writeScript(t, fmt.Sprintf(ioServer, op)))
	port := p.waitLine(`port (\d+)`, 10*time.Second)[1]
	p.waitLine(`^started$`, 10*time.Second)
	return p, port
}

// askServer sends a line and returns the answer, within 20 s.
func askServer(t *testing.T, port, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "%s\n", msg)
	l, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("no answer to %q while the other thread waits on its file: %q, %v", msg, l, err)
	}
	return strings.TrimSuffix(l, "\n")
}

// mkfifo makes a FIFO in a temporary directory.
func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// feedFIFO opens fifo for writing, which waits for its reader (a command
// the script started), writes text and closes it.
func feedFIFO(t *testing.T, fifo, text string) {
	t.Helper()
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, text)
	w.Close()
}

// TestIOFileFIFOWriteStalled: a thread writes into a FIFO whose reader
// (the test) opened it and never reads; once the FIFO is full its write
// waits, and a client is still answered.
func TestIOFileFIFOWriteStalled(t *testing.T) {
	fifo := mkfifo(t)
	opened := make(chan *os.File, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_RDONLY, 0) // waits for the script's open
		if err == nil {
			opened <- f
		}
	}()
	_, port := startIOServer(t, `local f = io.open(path, "w") f:setvbuf("no")
  local chunk = ("x"):rep(65536)
  for i = 1, 64 do f:write(chunk) end`, fifo)
	select {
	case f := <-opened:
		defer f.Close()
		waitFIFOFull(t, f)
	case <-time.After(20 * time.Second):
		t.Fatal("the script did not open the FIFO")
	}
	if got := askServer(t, port, "hello"); got != "ok hello" {
		t.Fatalf("answer %q", got)
	}
}

// waitFIFOFull polls (a bounded condition) until f, the read end of a
// FIFO, holds as much as it can: the writer waits for the reader.
func waitFIFOFull(t *testing.T, f *os.File) {
	t.Helper()
	h := &heldOut{t: t, out: f}
	h.waitFull()
}

// TestIOFileFIFOReadEmpty: a thread reads a FIFO whose writer (the test)
// opened it and has written nothing yet; a client is answered meanwhile,
// and the read gets what the writer sends afterwards.
func TestIOFileFIFOReadEmpty(t *testing.T) {
	fifo := mkfifo(t)
	opened := make(chan *os.File, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			opened <- f
		}
	}()
	p, port := startIOServer(t, `local f = io.open(path, "r") print("got " .. tostring(f:read("*l")))`, fifo)
	var w *os.File
	select {
	case w = <-opened:
		defer w.Close()
	case <-time.After(20 * time.Second):
		t.Fatal("the script did not open the FIFO")
	}
	if got := askServer(t, port, "hello"); got != "ok hello" {
		t.Fatalf("answer %q", got)
	}
	fmt.Fprintln(w, "line one")
	p.waitLine(`^got line one$`, 20*time.Second)
}

// TestIOFilePopenWaits: a thread reads io.popen of a command that waits
// (cat of a FIFO nobody writes yet); a client is answered meanwhile.
func TestIOFilePopenWaits(t *testing.T) {
	fifo := mkfifo(t)
	p, port := startIOServer(t, `local f = io.popen("cat " .. path) print("got " .. f:read("*a")) print("close " .. tostring(f:close()))`, fifo)
	if got := askServer(t, port, "hello"); got != "ok hello" {
		t.Fatalf("answer %q", got)
	}
	feedFIFO(t, fifo, "from cat")
	p.waitLine(`^got from cat$`, 20*time.Second)
	p.waitLine(`^close true$`, 20*time.Second)
}

// TestIOFileLongRead: a thread reads a 60 MB file with read("*a") again
// and again until the main thread has answered a client. With the whole
// read holding the lock the loop never lets the main thread run; with
// reads that release it, the client is answered and the loop ends.
func TestIOFileLongRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(path, []byte(strings.Repeat("0123456789abcdef", 60<<20/16)), 0o600); err != nil {
		t.Fatal(err)
	}
	p, port := startIOServer(t, `local f = assert(io.open(path, "rb"))
  local n = 0
  repeat f:seek("set") n = #f:read("*a") until answered
  print("read " .. n)`, path)
	if got := askServer(t, port, "hello"); got != "ok hello" {
		t.Fatalf("answer %q", got)
	}
	p.waitLine(fmt.Sprintf(`^read %d$`, 60<<20), 60*time.Second)
}

// TestIOFileCtrlC: Ctrl-C ends a script whose main thread waits in a read
// of a FIFO with no data: the read's wait ends with a KeyboardInterrupt,
// exit code 130, and sockrun need not give up on a thread stuck in a call
// ("still busy 2s after the interrupt"), which is how a read holding the
// lock ends.
func TestIOFileCtrlC(t *testing.T) {
	fifo := mkfifo(t)
	opened := make(chan *os.File, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			opened <- f
		}
	}()
	p := start(t, "--var", "path="+fifo, writeScript(t, `local f = io.open(vars.path, "r") print("opened") f:read("*l")`))
	select {
	case w := <-opened:
		defer w.Close()
	case <-time.After(20 * time.Second):
		t.Fatal("the script did not open the FIFO")
	}
	p.waitLine(`^opened$`, 10*time.Second)
	p.signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 130 {
		t.Fatalf("exit code %d, want 130", code)
	}
	if e := p.Stderr(); !strings.Contains(e, "KeyboardInterrupt") || strings.Contains(e, "still busy") {
		t.Fatalf("stderr %q: want a KeyboardInterrupt that ends the read", e)
	}
}

// TestIOFileClosedAtEnd: what a file buffered and the script never closed
// is written when the run ends, as Lua 5.1's exit closes every stream.
func TestIOFileClosedAtEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	_, stderr, code := runSockrun(t, "", "--var", "path="+path, writeScript(t, `local f = io.open(vars.path, "w") f:write("kept")`))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "kept" {
		t.Fatalf("file holds %q, %v; want what the script wrote", b, err)
	}
}

// TestIOFileCollected: a file the script drops is closed, what it
// buffered written, once the garbage collector finds it (Lua 5.1's __gc).
// The script waits for that, bounded, collecting and giving the cleanup
// a turn.
func TestIOFileCollected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	out, stderr, code := runSockrun(t, "", "--var", "path="+path, writeScript(t, `
do local f = io.open(vars.path, "w") f:write("collected") end
local start = os.time()
while io.open(vars.path):read("*a") ~= "collected" and os.time() - start < 20 do
  collectgarbage() thread.sleep(0.01)
end
print(io.open(vars.path):read("*a"))`))
	if code != 0 || out != "collected" {
		t.Fatalf("exit %d, printed %q: %s", code, out, stderr)
	}
}

// TestOSExecuteWaits: a thread runs os.execute of a command that waits
// (cat of a FIFO nobody writes yet); a client is answered meanwhile, and
// the status is the command's once it ends. (os.execute held the lock for
// the whole command before, and the server answered no one.)
func TestOSExecuteWaits(t *testing.T) {
	fifo := mkfifo(t)
	p, port := startIOServer(t, `print("status " .. os.execute("cat " .. path .. " >/dev/null; exit 3"))`, fifo)
	if got := askServer(t, port, "hello"); got != "ok hello" {
		t.Fatalf("answer %q", got)
	}
	feedFIFO(t, fifo, "for cat")
	p.waitLine(`^status 768$`, 20*time.Second)
}

// TestOSExecuteCtrlC: Ctrl-C sent to sockrun alone (not to the command's
// process group, as a terminal would) while its main thread waits in
// os.execute ends the run with exit code 130 and a KeyboardInterrupt, and
// the command is killed, not left running.
func TestOSExecuteCtrlC(t *testing.T) {
	p := start(t, "-e", `os.execute("echo child $$; exec sleep 120")`)
	pid, err := strconv.Atoi(p.waitLine(`^child (\d+)$`, 10*time.Second)[1])
	if err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 130 {
		t.Fatalf("exit code %d, want 130", code)
	}
	if e := p.Stderr(); !strings.Contains(e, "KeyboardInterrupt") || strings.Contains(e, "still busy") {
		t.Fatalf("stderr %q: want a KeyboardInterrupt that ends the command", e)
	}
	// sockrun waited for the killed command, so it is gone, not a zombie.
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the command (pid %d) outlived the run: kill(0) = %v", pid, err)
	}
}
