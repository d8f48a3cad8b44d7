package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// exitRun is what a process left behind: its exit code and its output.
type exitRun struct {
	code           int
	stdout, stderr string
}

// runExit runs prog with args to its end, bounded by 20 s, and returns its
// exit code and its output, byte for byte.
func runExit(t *testing.T, prog string, args ...string) exitRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) || ctx.Err() != nil {
		t.Fatalf("%s %s: %v (context: %v); stderr:\n%s", prog, strings.Join(args, " "), err, ctx.Err(), stderr.String())
	}
	return exitRun{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// TestOSExit runs os.exit in a child process, sockrun beside lua5.1: the
// exit code is lua5.1's for every number (none is 0, a fraction is cut, the
// code is taken modulo 256) and for a string that is a number, even when
// os.exit is called inside pcall or a coroutine; everything written before
// it (print, io.write without a newline, 100 KB of it) reaches the pipe.
func TestOSExit(t *testing.T) {
	lua := testenv.Tool(t, "lua5.1")
	dir := t.TempDir()
	for _, c := range []struct{ name, src string }{
		{"no code", `print("a"); os.exit()`},
		{"3", `os.exit(3)`},
		{"fraction", `os.exit(3.7)`},
		{"negative", `os.exit(-1)`},
		{"over 255", `os.exit(256 + 5)`},
		{"numeric string", `os.exit(" 0x10 ")`},
		{"unflushed line", `io.write("no newline"); os.exit(4)`},
		{"100 KB", `for i = 1, 20000 do io.write(i, " ") end; print(); print("end"); os.exit(9)`},
		{"in pcall", `print(pcall(os.exit, 6)); print("not reached")`},
		{"in a coroutine", `coroutine.wrap(function() print("in"); os.exit(8) end)(); print("not reached")`},
		{"after an error caught", `print(pcall(error, "x")); os.exit(2)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".lua")
			if err := os.WriteFile(file, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			want := runExit(t, lua, file)
			got := runExit(t, sockrunBin, file)
			if got.code != want.code || got.stdout != want.stdout {
				t.Errorf("sockrun: exit %d, stdout %d bytes %.60q; lua5.1: exit %d, stdout %d bytes %.60q; sockrun's stderr:\n%s",
					got.code, len(got.stdout), got.stdout, want.code, len(want.stdout), want.stdout, got.stderr)
			}
			if got.stderr != "" || want.stderr != "" {
				t.Errorf("stderr: sockrun %q, lua5.1 %q", got.stderr, want.stderr)
			}
		})
	}
	// Not a number: both raise, and the uncaught error exits with 1.
	for _, arg := range []string{`"x"`, `{}`} {
		file := filepath.Join(dir, "bad.lua")
		if err := os.WriteFile(file, []byte("os.exit("+arg+")"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, r := range []exitRun{runExit(t, lua, file), runExit(t, sockrunBin, file)} {
			if r.code != 1 || !strings.Contains(r.stderr, "bad.lua:1: bad argument #1 to 'exit' (number") {
				t.Errorf("os.exit(%s): exit %d, stderr %q", arg, r.code, r.stderr)
			}
		}
	}
	// true and false: Lua 5.2's os.exit, which docs/api.md promises and
	// docs/lua.md lists as a difference: lua5.1 raises.
	for arg, code := range map[string]int{"true": 0, "false": 1} {
		file := filepath.Join(dir, arg+".lua")
		if err := os.WriteFile(file, []byte(`io.write("bye"); os.exit(`+arg+`)`), 0o644); err != nil {
			t.Fatal(err)
		}
		if r := runExit(t, sockrunBin, file); r.code != code || r.stdout != "bye" || r.stderr != "" {
			t.Errorf("sockrun os.exit(%s): exit %d (want %d), stdout %q, stderr %q", arg, r.code, code, r.stdout, r.stderr)
		}
		if r := runExit(t, lua, file); r.code != 1 || !strings.Contains(r.stderr, "bad argument #1 to 'exit' (number expected, got boolean)") {
			t.Errorf("lua5.1 os.exit(%s): exit %d, stderr %q: docs/lua.md says it raises", arg, r.code, r.stderr)
		}
	}
}

// TestOSExitClosesSockets: os.exit ends the run at once while threads wait
// in accept and recv: a peer gets what was sent before it, then the end of
// the stream (no reset), and the listener is gone.
func TestOSExitClosesSockets(t *testing.T) {
	p := start(t, writeScript(t, `
local srv = socket.create_server({"127.0.0.1", 0})
print("listening on " .. tostring(srv:getsockname()))
local c = srv:accept()
thread.spawn(function() c:recv(10) end) -- waits for ever
thread.spawn(function() srv:accept() end) -- waits for ever
c:sendall("bye")
os.exit(5)`))
	addr := p.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
	listeners := listeningSockets(p.cmd.Process.Pid, false)
	c := dial(t, addr, time.Now().Add(20*time.Second))
	got, err := io.ReadAll(c)
	if string(got) != "bye" || err != nil {
		t.Errorf("the peer read %q, %v; want bye, then the end of the stream", got, err)
	}
	if code := p.wait(20 * time.Second); code != 5 {
		t.Fatalf("exit %d, want 5; stderr:\n%s", code, p.Stderr())
	}
	if stderr := p.Stderr(); stderr != "" {
		t.Errorf("stderr %q", stderr)
	}
	listenerClosed(t, listeners)
}
