package e2e

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// The proofs of pcall as Lua 5.1 runs it (issue #16): a closure keeps
// sharing its variables after an error pcall caught, a coroutine yields
// through pcall (Copas from Debian's lua-copas serves clients unmodified),
// and deep recursion and nesting end in Lua's errors, never in a Go stack
// dump.

// runLua51Script runs e2e/testdata/lua51/NAME in that directory (so that
// messages name it NAME, as lua5.1 NAME would) and returns its stdout,
// stderr and exit code.
func runLua51Script(t *testing.T, name string) (string, string, int) {
	t.Helper()
	p := startIn(t, filepath.Join(repoRoot, "e2e", "testdata", "lua51"), nil, sockrunBin, name)
	p.closeStdin()
	code := p.wait(30 * time.Second)
	return strings.Join(p.Stdout(), "\n"), p.Stderr(), code
}

// noGoCrash fails the test if stderr shows a Go panic or stack dump.
func noGoCrash(t *testing.T, stderr string) {
	t.Helper()
	for _, s := range []string{"goroutine ", "fatal error", "runtime error", "panic:", ".go:"} {
		if strings.Contains(stderr, s) {
			t.Fatalf("stderr shows Go's %q:\n%s", s, stderr)
		}
	}
}

// TestPcallKeepsUpvaluesOpen is gopher-lua #448 with real socket errors: a
// refused connection and a bad address, caught by pcall, must leave the
// main chunk's local shared with the closure that reads it.
func TestPcallKeepsUpvaluesOpen(t *testing.T) {
	out, stderr, code := runLua51Script(t, "upvalue_after_error.lua")
	noGoCrash(t, stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "1\t1\n2\t2\n1\t1\tfalse"; out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

// TestCopasEcho runs an echo server on Debian's lua-copas, unmodified, and
// talks to it from several clients at once: each client's handler is a
// coroutine that yields inside Copas's copcall whenever it waits.
func TestCopasEcho(t *testing.T) {
	testenv.File(t, debianLua+"/copas.lua", "lua-copas")
	testenv.File(t, debianLua+"/coxpcall.lua", "lua-coxpcall")
	srv := startIn(t, filepath.Join(repoRoot, "e2e", "testdata", "lua51"), nil, sockrunBin, "copas_echo.lua")
	addr := srv.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
	clientsAtOnce(t, addr, 8, 20*time.Second, func(i int, c net.Conn) error {
		r := bufio.NewReader(c)
		for j := range 5 {
			line := fmt.Sprintf("client %d line %d", i, j)
			if _, err := fmt.Fprintf(c, "%s\n", line); err != nil {
				return err
			}
			got, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("after %q: %v", line, err)
			}
			if want := "echo: " + line + "\n"; got != want {
				return fmt.Errorf("got %q, want %q", got, want)
			}
		}
		return nil
	})
	noGoCrash(t, srv.Stderr())
	if s := srv.Stderr(); s != "" {
		t.Fatalf("server stderr:\n%s", s)
	}
}

// TestDeepRecursionAndNesting checks that recursion and nesting past
// Lua 5.1's limits raise Lua's errors, which pcall catches, and that the
// last one, uncaught, ends the run with Lua's message and no Go crash.
func TestDeepRecursionAndNesting(t *testing.T) {
	out, stderr, code := runLua51Script(t, "deep.lua")
	noGoCrash(t, stderr)
	want := []string{
		"recursion\tfalse\tdeep.lua:3: stack overflow",
		"main depth\ttrue",
		"coroutine\tfalse\tdeep.lua:7: stack overflow",
		"nested coroutines\tfalse\tC stack overflow\t198",
		"nested pcalls\tfalse\tC stack overflow",
		// lua5.1 says "C stack overflow" for these two: Lua calls made
		// from Go nest within the call depth in gopher-lua.
		"metamethods\tfalse\tdeep.lua:23: stack overflow",
		"callbacks\tfalse\tdeep.lua:26: stack overflow",
	}
	if got := strings.Split(out, "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", out, strings.Join(want, "\n"))
	}
	if code == 0 || !strings.HasPrefix(stderr, "sockrun: deep.lua:30: ") || !strings.Contains(stderr, "C stack overflow\n") {
		t.Fatalf("exit %d, stderr:\n%.300s", code, stderr)
	}
}

// TestProtectKeepsUpvaluesOpen: socket.protect catching try's errors (and
// so signal handlers, which use the same protected call) leaves closures
// sharing their variables, as lua5.1 with Debian's LuaSocket prints.
func TestProtectKeepsUpvaluesOpen(t *testing.T) {
	out, stderr, code := runLua51Script(t, "protect_upvalues.lua")
	noGoCrash(t, stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "nil\tboom\n1\t1\nnil\tboom\n2\t2\nnil\tboom\n3\t3\nnil\tboom\nnil\tboom\nnil\tboom\n3"
	if out != want {
		t.Fatalf("got\n%s\nwant (lua5.1's)\n%s", out, want)
	}
}

// TestErrorClosesUpvalues: a thread that dies with an error after handing
// out a closure over its locals leaves the closure their last values, as
// Lua 5.1 closes a dead call's upvalues; before, the closure read the dead
// thread's cleared registers and met a Go nil (as smtp_sink.lua's threads
// did, started just as its main chunk died of EMFILE at accept).
func TestErrorClosesUpvalues(t *testing.T) {
	out, stderr, code := runLua51Script(t, "error_closes_upvalues.lua")
	noGoCrash(t, stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := "false\tthread dies\nstill here\t42\nstill here\t43"
	if out != want {
		t.Fatalf("stdout:\n%s\nwant\n%s", out, want)
	}
}
