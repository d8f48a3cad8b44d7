package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCtrlCCaught: as in Python, the first Ctrl-C raises KeyboardInterrupt
// in the main thread only. A script that catches it stops accepting, says
// goodbye to the client its thread serves (which kept running), joins the
// thread and returns: exit 0.
func TestCtrlCCaught(t *testing.T) {
	src := writeScript(t, `
local srv = socket.create_server({"127.0.0.1", 0})
print("port " .. srv:getsockname().port)
local workers = {}
local ok, err = pcall(function()
  while true do
    local conn = srv:accept()
    workers[#workers + 1] = thread.spawn(function()
      while true do
        local line = conn:recvline(100)
        if line == "" or line == "quit" then break end
        conn:sendall("echo " .. line .. "\n")
      end
      conn:sendall("bye\n")
      conn:close()
    end)
  end
end)
print("caught " .. tostring(err.class))
srv:close()
for _, t in ipairs(workers) do t:join() end
print("clean")`)
	p := start(t, src)
	port := p.waitLine(`^port (\d+)$`, 10*time.Second)[1]
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	talk := func(msg, want string) {
		t.Helper()
		fmt.Fprint(c, msg)
		if got, err := r.ReadString('\n'); got != want {
			t.Fatalf("sent %q, got %q (%v)", msg, got, err)
		}
	}
	talk("one\n", "echo one\n")
	p.signal(syscall.SIGINT)
	p.waitLine(`^caught KeyboardInterrupt$`, 10*time.Second)
	// The connection's thread was not interrupted.
	talk("two\n", "echo two\n")
	if c2, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
		c2.Close()
		t.Errorf("the listener still accepts after the script closed it")
	}
	talk("quit\n", "bye\n")
	p.waitLine(`^clean$`, 10*time.Second)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("exit %d, want 0; stderr %q", code, p.Stderr())
	}
	if s := p.Stderr(); s != "" {
		t.Errorf("stderr %q", s)
	}
}

// TestCtrlCInBusyLoopCaught: a main thread busy in Lua code takes the
// KeyboardInterrupt between two instructions, once: the code after the
// pcall runs.
func TestCtrlCInBusyLoopCaught(t *testing.T) {
	p := start(t, writeScript(t, `
local co = coroutine.wrap(function() while true do coroutine.yield(1) end end)
print("ready")
local ok, err = pcall(function() while true do end end)
print("caught " .. tostring(err))
local n = 0
for i = 1, 100000 do n = n + co() end
print("after " .. n)`))
	p.waitLine(`^ready$`, 10*time.Second)
	waitBusy(t, p, 100*time.Millisecond)
	p.signal(syscall.SIGINT)
	p.waitLine(`^caught KeyboardInterrupt: interrupted$`, 10*time.Second)
	p.waitLine(`^after 100000$`, 10*time.Second)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("exit %d; stderr %q", code, p.Stderr())
	}
}

// TestSigtermHandlerDrains: a SIGTERM handler runs in the main thread while
// it waits in accept; it closes the listener, the accept loop ends, and the
// script returns normally.
func TestSigtermHandlerDrains(t *testing.T) {
	p := start(t, writeScript(t, `
local srv = socket.create_server({"127.0.0.1", 0})
local got
signal.signal(signal.SIGTERM, function(signum, frame)
  got = signum
  print("handler " .. tostring(signum == signal.SIGTERM) .. " " .. tostring(frame))
  srv:close()
end)
print("ready " .. tostring(signal.getsignal(signal.SIGTERM) ~= signal.SIG_DFL))
local ok, err = pcall(srv.accept, srv)
print("accept ended " .. tostring(err.name) .. " " .. tostring(got == signal.SIGTERM))`))
	p.waitLine(`^ready true$`, 10*time.Second)
	p.signal(syscall.SIGTERM)
	p.waitLine(`^handler true nil$`, 10*time.Second)
	p.waitLine(`^accept ended EBADF true$`, 10*time.Second)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("exit %d; stderr %q", code, p.Stderr())
	}
}

// TestSecondSignalEndsHandledRun: whatever a handler does, a second
// terminating signal ends the process at once: the script, which ignores
// the signal and loops for ever, must end within the wait below.
func TestSecondSignalEndsHandledRun(t *testing.T) {
	p := start(t, writeScript(t, `
signal.signal(signal.SIGTERM, function() print("ignoring") end)
print("ready")
while true do socket.sleep(1) end`))
	p.waitLine(`^ready$`, 10*time.Second)
	p.signal(syscall.SIGTERM)
	p.waitLine(`^ignoring$`, 10*time.Second)
	p.signal(syscall.SIGTERM)
	if code := p.wait(5 * time.Second); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}

}

// TestSighup: SIGHUP stops the run cleanly (its listener is closed, exit
// 130) instead of killing the process; signal.SIG_IGN ignores it.
func TestSighup(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		p := start(t, writeScript(t, `
local s = socket.create_server({"127.0.0.1", 0})
print("port " .. s:getsockname().port)
s:accept()`))
		p.waitLine(`^port (\d+)$`, 10*time.Second)
		listeners := listeningSockets(p.cmd.Process.Pid, false)
		p.signal(syscall.SIGHUP)
		if code := p.wait(5 * time.Second); code != 130 {
			t.Fatalf("exit %d, want 130; stderr %q", code, p.Stderr())
		}
		listenerClosed(t, listeners)
	})
	t.Run("ignored", func(t *testing.T) {
		p := start(t, writeScript(t, `
signal.signal(signal.SIGHUP, signal.SIG_IGN)
local ok, err = pcall(function() print("ready"); socket.sleep(60) end)
print("woken " .. tostring(err))`))
		p.waitLine(`^ready$`, 10*time.Second)
		p.signal(syscall.SIGHUP)
		p.signal(syscall.SIGHUP)
		p.signal(syscall.SIGINT)
		p.waitLine(`^woken KeyboardInterrupt: interrupted`, 10*time.Second)
		if code := p.wait(5 * time.Second); code != 0 {
			t.Errorf("exit %d; stderr %q", code, p.Stderr())
		}
	})
	// A handled SIGHUP is a reload, as daemons take it: its handler runs
	// each time, and it never counts toward the second signal that ends
	// the run at once.
	t.Run("handled", func(t *testing.T) {
		p := start(t, writeScript(t, `
local n = 0
signal.signal(signal.SIGHUP, function() n = n + 1 print("reload " .. n) end)
print("ready")
while n < 3 do socket.sleep(0.01) end
print("done")`))
		p.waitLine(`^ready$`, 10*time.Second)
		for i := 1; i <= 3; i++ {
			p.signal(syscall.SIGHUP)
			p.waitLine(fmt.Sprintf(`^reload %d$`, i), 10*time.Second)
		}
		p.waitLine(`^done$`, 10*time.Second)
		if code := p.wait(10 * time.Second); code != 0 {
			t.Errorf("exit %d; stderr %q", code, p.Stderr())
		}
	})
}

// TestClosedStdout: printing to a standard output whose reader has gone
// (sockrun s.lua | head -1) stops the run cleanly with exit 141, instead
// of a death by SIGPIPE.
func TestClosedStdout(t *testing.T) {
	cmd := exec.Command(sockrunBin, "-e", `local s = socket.create_server({"127.0.0.1", 0}); for i = 1, 1e7 do print(i) end`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	out.Close() // as head -1 exits
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 10 s after its standard output was closed")
	}
	if line != "1\n" {
		t.Errorf("first line %q", line)
	}
	if code := cmd.ProcessState.ExitCode(); code != 141 {
		t.Errorf("exit %d (%v), want 141; stderr %q", code, cmd.ProcessState, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestCtrlCInRecvfromCaught: Ctrl-C ends the main thread's wait in
// recvfrom with a KeyboardInterrupt the script catches, and the socket
// then waits and receives as before (the wake that ended the wait left no
// deadline behind).
func TestCtrlCInRecvfromCaught(t *testing.T) {
	p := start(t, writeScript(t, `
local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u:bind({"127.0.0.1", 0})
local ok, err = pcall(function()
  print("port " .. u:getsockname().port) -- (inside: Ctrl-C may come at once)
  return u:recvfrom(100)
end)
print("caught " .. tostring(not ok and err.class))
for _ = 1, 2 do
  local data = u:recvfrom(100)
  print("got " .. data)
end`))
	port := p.waitLine(`^port (\d+)$`, 10*time.Second)[1]
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p.signal(syscall.SIGINT)
	// Promptly: the runner's own fallback, should the wait not wake,
	// ends it after seconds.
	p.waitLine(`^caught KeyboardInterrupt$`, 3*time.Second)
	for _, msg := range []string{"one", "two"} {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		p.waitLine(`^got `+msg+`$`, 10*time.Second)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("exit %d, want 0; stderr %q", code, p.Stderr())
	}
}
