package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeScript(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.lua")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVersionAndHelp(t *testing.T) {
	out, _, code := runSockrun(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "sockrun ") {
		t.Fatalf("version: code %d, %q", code, out)
	}
	out, _, code = runSockrun(t, "", "--help")
	if code != 0 || !strings.Contains(out, "sockrun scripts/tcp_server.lua") {
		t.Fatalf("--help: code %d, %q", code, out)
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name   string
		src    string
		code   int
		stderr string // regexp
	}{
		{"ok", `print("hi")`, 0, `^$`},
		{"os.exit", `local s = socket.socket(); os.exit(7)`, 7, `^$`},
		{"os.exit true", `os.exit(true)`, 0, `^$`},
		{"runtime error", "local x = nil\nx.y = 1", 1, `s\.lua:2: attempt to index local 'x' \(a nil value\)\nstack traceback:`},
		{"socket error", "local s = socket.socket()\ns:bind('127.0.0.1', 70000)", 1, `s\.lua:2: bad argument #2 to 'bind' \(port must be a number 0-65535, got 70000\)`},
		{"syntax error", "local x = \nx = = 1", 2, `^sockrun: .*s\.lua:2: .*near '='`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runSockrun(t, "", writeScript(t, c.src))
			if code != c.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, c.code, stderr)
			}
			if !regexp.MustCompile(c.stderr).MatchString(stderr) {
				t.Errorf("stderr %q does not match %q", stderr, c.stderr)
			}
		})
	}
	_, stderr, code := runSockrun(t, "", "no-such-script.lua")
	if code != 2 || !strings.Contains(stderr, "no-such-script.lua") {
		t.Errorf("missing script: code %d, stderr %q", code, stderr)
	}
}

func TestCheck(t *testing.T) {
	out, _, code := runSockrun(t, "", "check", writeScript(t, "print(1)"))
	if code != 0 || !strings.HasSuffix(out, ": ok") {
		t.Errorf("check ok: %d %q", code, out)
	}
	_, stderr, code := runSockrun(t, "", "check", writeScript(t, "print(("))
	if code != 2 || !strings.Contains(stderr, "s.lua:1:") {
		t.Errorf("check syntax error: %d %q", code, stderr)
	}
}

func TestExecuteAndArgs(t *testing.T) {
	out, _, code := runSockrun(t, "", "-e", `print(arg[0], arg[1])`)
	if code != 0 || out != "(command line)\tnil" {
		t.Errorf("-e: %d %q", code, out)
	}
	out, _, _ = runSockrun(t, "", writeScript(t, `print(#arg, arg[1], arg[2])`), "x", "--flag")
	if out != "2\tx\t--flag" {
		t.Errorf("script args: %q", out)
	}
	// As lua5.1: the script's arguments are also its "...", and arg's
	// negative indices hold the program and the options before the script.
	out, _, _ = runSockrun(t, "", "--timeout", "3", writeScript(t, `print(select("#", ...), ..., arg[-2], arg[-1], arg[-3] ~= nil, arg[-4])`), "x", "y")
	if out != "2\tx\t--timeout\t3\ttrue\tnil" { // "..." before the last argument is one value
		t.Errorf("script ... and arg[-n]: %q", out)
	}
	out, _, _ = runSockrun(t, "", "-e", `print(select("#", ...))`)
	if out != "0" {
		t.Errorf("-e ...: %q", out)
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "sockrun.yaml"), []byte("vars:\n  port: \"1\"\n  host: filehost\n  only: file\ntimeout:\n  default: 2.5\n"), 0o644)
	src := writeScript(t, `print(vars.port, vars.host, vars.only, socket.getdefaulttimeout(), socket.socket():gettimeout())`)
	p := startIn(t, dir, []string{"SOCKRUN_VARS_HOST=envhost", "SOCKRUN_VARS_PORT=2"}, sockrunBin, "--var", "port=3", src)
	p.closeStdin()
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, p.Stderr())
	}
	if got := strings.Join(p.Stdout(), "\n"); got != "3\tenvhost\tfile\t2.5\t2.5" {
		t.Errorf("flags > env > file: got %q", got)
	}
	p = startIn(t, dir, []string{"SOCKRUN_TIMEOUT_DEFAULT=1"}, sockrunBin, src)
	p.closeStdin()
	p.wait(10 * time.Second)
	if got := strings.Join(p.Stdout(), "\n"); got != "1\tfilehost\tfile\t1\t1" {
		t.Errorf("env > file: got %q", got)
	}
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("vars: [unclosed\n"), 0o644)
	p = startIn(t, dir, nil, sockrunBin, "--config", "bad.yaml", src)
	p.closeStdin()
	if code := p.wait(10 * time.Second); code != 2 || !strings.Contains(p.Stderr(), "config") {
		t.Errorf("bad config: code %d, stderr %q", code, p.Stderr())
	}
}

// TestInterruptAccept: SIGINT to a script blocked in accept ends it with
// exit 130, and its listening socket is closed.
func TestInterruptAccept(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			src := writeScript(t, `
local s = socket.socket()
s:bind({"127.0.0.1", 0})
s:listen()
print("listening " .. s:getsockname().port)
s:accept()`)
			p := start(t, src)
			p.waitLine(`listening (\d+)`, 10*time.Second)
			listeners := listeningSockets(p.cmd.Process.Pid, false)
			p.signal(sig)
			if code := p.wait(5 * time.Second); code != 130 {
				t.Fatalf("exit %d, want 130; stderr %q", code, p.Stderr())
			}
			if !strings.Contains(p.Stderr(), "KeyboardInterrupt: interrupted") {
				t.Errorf("stderr %q", p.Stderr())
			}
			listenerClosed(t, listeners)
		})
	}
}

// TestInterruptBlocked: Ctrl-C ends each kind of blocking call promptly.
func TestInterruptBlocked(t *testing.T) {
	cases := map[string]string{
		"recv":     `local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s:bind({"127.0.0.1", 0}); print("ready"); s:recv(10)`,
		"sleep":    `print("ready"); socket.sleep(60)`,
		"busyloop": `print("ready"); while true do end`,
		"join":     `local t = thread.spawn(function() socket.sleep(60) end); print("ready"); t:join()`,
		"stdin":    `print("ready"); io.read()`,
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			p := start(t, writeScript(t, src))
			p.waitLine(`ready`, 10*time.Second)
			p.signal(syscall.SIGINT)
			if code := p.wait(5 * time.Second); code != 130 {
				t.Fatalf("exit %d, want 130", code)
			}
		})
	}
}

// TestSecondInterrupt: a script that swallows the interrupt still ends on a
// second Ctrl-C, at once: without it the script would sleep 60 s more, past
// the wait below. The second is sent once the first was caught: two sent
// back to back may reach the process as one.
func TestSecondInterrupt(t *testing.T) {
	// "ready" is printed inside the pcall: a Ctrl-C that comes before
	// the script enters it is not caught, in Python too.
	p := start(t, writeScript(t, `while true do local ok, e = pcall(function() print("ready"); socket.sleep(60) end); print("caught " .. tostring(e)) end`))
	p.waitLine(`ready`, 10*time.Second)
	p.signal(syscall.SIGINT)
	p.waitLine(`^caught KeyboardInterrupt: interrupted`, 10*time.Second)
	p.signal(syscall.SIGINT)
	if code := p.wait(5 * time.Second); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
	if !strings.Contains(p.Stderr(), "interrupted twice, exiting now") {
		t.Errorf("stderr %q", p.Stderr())
	}
}

func TestThreadErrorKeepsServer(t *testing.T) {
	src := writeScript(t, `
local srv = socket.create_server({"127.0.0.1", 0})
print("port " .. srv:getsockname().port)
while true do
  local conn = srv:accept()
  thread.spawn(function(c)
    local d = c:recv(100)
    if d == "crash" then error("handler crashed") end
    c:sendall("ok " .. d)
    c:close()
  end, conn)
end`)
	p := start(t, src)
	port := p.waitLine(`port (\d+)`, 10*time.Second)[1]
	ask := func(msg string) string {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(c, msg)
		buf := make([]byte, 100)
		n, _ := c.Read(buf)
		return string(buf[:n])
	}
	if got := ask("crash"); got != "" {
		t.Errorf("crashing handler answered %q", got)
	}
	if got := ask("x"); got != "ok x" {
		t.Errorf("after a crash the server answered %q", got)
	}
	p.signal(syscall.SIGINT)
	p.wait(5 * time.Second)
	if !regexp.MustCompile(`thread \d+ \(serving 127\.0\.0\.1:\d+\): .*s\.lua:8: handler crashed\nstack traceback:`).MatchString(p.Stderr()) {
		t.Errorf("stderr: %q", p.Stderr())
	}
}

// TestRequireNextToScript: require finds modules beside the script first,
// wherever sockrun is started from.
func TestRequireNextToScript(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "greeting.lua"), []byte(`return {text = "hello from a module"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "main.lua"), []byte(`print(require("greeting").text)`), 0o644)
	out, stderr, code := runSockrun(t, "", filepath.Join(dir, "main.lua"))
	if code != 0 || out != "hello from a module" {
		t.Errorf("code %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// TestInterruptConnect: Ctrl-C ends a connect that is waiting for a
// handshake the peer never answers.
func TestInterruptConnect(t *testing.T) {
	port, silent := silentListener(t, 0)
	if !silent {
		t.Skip("this network stack answered every handshake (not a missing tool)")
	}
	p := start(t, "--var", fmt.Sprintf("port=%d", port), writeScript(t, `
local s = socket.socket()
print("ready")
s:connect({"127.0.0.1", tonumber(vars.port)})`))
	p.waitLine(`ready`, 10*time.Second)
	p.signal(syscall.SIGINT)
	if code := p.wait(5 * time.Second); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
}

// TestTimeoutFlag: --timeout sets new sockets' timeout as Python's
// socket.setdefaulttimeout does: seconds, or 0 for non-blocking; unset
// blocks.
func TestTimeoutFlag(t *testing.T) {
	src := writeScript(t, `local s = socket.socket(); print(s:gettimeout(), s:getblocking())`)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "nil\ttrue"},
		{[]string{"--timeout", "1.5"}, "1.5\ttrue"},
		{[]string{"--timeout", "250ms"}, "0.25\ttrue"},
		{[]string{"--timeout", "0"}, "0\tfalse"},
	} {
		out, stderr, code := runSockrun(t, "", append(c.args, src)...)
		if code != 0 || out != c.want {
			t.Errorf("%v: code %d, stdout %q (want %q), stderr %q", c.args, code, out, c.want, stderr)
		}
	}
	_, stderr, code := runSockrun(t, "", "--timeout", "soon", src)
	if code != 2 || !strings.Contains(stderr, "timeout.default") {
		t.Errorf("--timeout soon: code %d, stderr %q", code, stderr)
	}
}

// TestNumbersAsText: print and io.write on standard output write numbers
// as lua5.1 does (C's %.14g), not as Go's fmt.
func TestNumbersAsText(t *testing.T) {
	out, stderr, code := runSockrun(t, "", "-e", `print(1e15, 0.1 + 0.2, 1/0, -1/0, 2^63) io.write(1e15, " ", 2^53, " ", 1/3, "\n")`)
	if want := "1e+15\t0.3\tinf\t-inf\t9.2233720368548e+18\n1e+15 9.007199254741e+15 0.33333333333333"; code != 0 || out != want {
		t.Errorf("code %d, stdout %q (want %q), stderr %q", code, out, want, stderr)
	}
}
