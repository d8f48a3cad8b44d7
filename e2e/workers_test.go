package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// workerServer answers each connection with the worker's number and the
// run-wide count of connections (shared.incr), and waits for connections
// with select.select so that select is exercised in worker mode too.
const workerServer = `
local select = require "select"
local s = socket.socket()
s:bind({"127.0.0.1", tonumber(vars.port)})
s:listen(64)
print("ready " .. sockrun.worker .. "/" .. sockrun.workers)
while true do
  local r = select.select({s}, {}, {})
  if #r > 0 then
    local c = s:accept()
    thread.spawn(function()
      c:sendall("worker " .. sockrun.worker .. " hit " .. shared.incr("hits") .. "\n")
      c:close()
    end)
  end
end
`

// TestWorkersSharePort runs two workers on one port: both bind it
// (SO_REUSEPORT), the kernel spreads connections over both, and
// shared.incr counts across them without losing or repeating a count.
// Ctrl-C then stops both, with one interrupt message.
func TestWorkersSharePort(t *testing.T) {
	port := heldPort(t) // the workers' listeners share it (SO_REUSEPORT)
	p := start(t, "--workers", "2", "--var", fmt.Sprintf("port=%d", port), writeScript(t, workerServer))
	ready := map[string]bool{}
	for range 2 {
		ready[p.waitLine(`^ready (\d+/\d+)$`, 10*time.Second)[1]] = true
	}
	if !ready["1/2"] || !ready["2/2"] {
		t.Fatalf("workers ready: %v, want 1/2 and 2/2", ready)
	}

	const conns = 200
	perWorker := map[int]int{}
	hits := make([]int, 0, conns)
	re := regexp.MustCompile(`^worker (\d+) hit (\d+)\n$`)
	for range conns {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("reply %q (%v)", line, err)
		}
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		perWorker[w]++
		hits = append(hits, h)
	}
	if perWorker[1] == 0 || perWorker[2] == 0 || len(perWorker) != 2 {
		t.Errorf("connections per worker: %v, want both workers answering", perWorker)
	}
	sort.Ints(hits)
	for i, h := range hits {
		if h != i+1 {
			t.Fatalf("shared.incr counts, sorted: %v..., want 1..%d each once", hits[:min(len(hits), i+3)], conns)
		}
	}
	t.Logf("connections per worker: %v", perWorker)

	p.signal(syscall.SIGINT)
	if code := p.wait(10 * time.Second); code != 130 {
		t.Errorf("exit code %d after Ctrl-C, want 130", code)
	}
	if n := strings.Count(p.Stderr(), "KeyboardInterrupt"); n != 1 {
		t.Errorf("stderr has %d interrupt messages, want 1:\n%s", n, p.Stderr())
	}
}

// TestWorkersAuto checks workers: auto (flag, environment, config file):
// one VM per CPU, each knowing its number.
func TestWorkersAuto(t *testing.T) {
	src := writeScript(t, `print("worker " .. sockrun.worker .. " of " .. sockrun.workers)`)
	want := runtime.NumCPU()
	check := func(name string, p *proc) {
		t.Helper()
		if code := p.wait(20 * time.Second); code != 0 {
			t.Fatalf("%s: exit code %d: %s", name, code, p.Stderr())
		}
		seen := map[string]bool{}
		for _, line := range p.Stdout() {
			seen[line] = true
		}
		for w := 1; w <= want; w++ {
			if !seen[fmt.Sprintf("worker %d of %d", w, want)] {
				t.Errorf("%s: no line from worker %d of %d in %q", name, w, want, p.Stdout())
			}
		}
		if len(p.Stdout()) != want {
			t.Errorf("%s: %d lines, want %d", name, len(p.Stdout()), want)
		}
	}
	check("--workers auto", start(t, "--workers", "auto", src))
	check("SOCKRUN_WORKERS=auto", startIn(t, "", []string{"SOCKRUN_WORKERS=auto"}, sockrunBin, src))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sockrun.yaml"), []byte("workers: auto\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	check("sockrun.yaml", startIn(t, dir, nil, sockrunBin, src))
}

// TestWorkersOneFails: a worker whose main chunk raises ends the run; the
// error is printed once, naming the worker, and the other worker's
// interruption is not reported as an error of its own. Worker 2 raises
// once worker 1 says, in the shared store, that it calls accept.
func TestWorkersOneFails(t *testing.T) {
	src := writeScript(t, `
local s = socket.socket()
s:bind({"127.0.0.1", 0})
s:listen()
print("ready " .. sockrun.worker)
if sockrun.worker == 2 then
  repeat thread.sleep(0.001) until shared.get("accepting")
  error("worker two gives up")
end
shared.set("accepting", true)
s:accept()
`)
	p := start(t, "--workers", "2", src)
	if code := p.wait(10 * time.Second); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	stderr := p.Stderr()
	if !regexp.MustCompile(`(?m)^sockrun: worker 2: .*s\.lua:8: worker two gives up$`).MatchString(stderr) {
		t.Errorf("stderr does not name the failing worker:\n%s", stderr)
	}
	if strings.Contains(stderr, "KeyboardInterrupt") || strings.Contains(stderr, "worker 1") {
		t.Errorf("the stopped worker's interruption was reported:\n%s", stderr)
	}
}

// TestWorkersExit: os.exit in any worker, from its main chunk or from a
// thread, ends every worker at once with that code and no error output;
// also with one worker, a thread's os.exit is not reported as the main
// chunk's interruption. A spawned thread runs once the main chunk
// releases the interpreter lock, in accept; with one worker it waits
// until the queue shows the main chunk waiting in get.
func TestWorkersExit(t *testing.T) {
	cases := []struct {
		name, workers, src string
	}{
		{"main chunk of worker 2", "2", `
local s = socket.socket(); s:bind({"127.0.0.1", 0}); s:listen()
if sockrun.worker == 2 then os.exit(4) end
s:accept()`},
		{"thread of worker 1", "2", `
local s = socket.socket(); s:bind({"127.0.0.1", 0}); s:listen()
if sockrun.worker == 1 then thread.spawn(function() os.exit(4) end) end
s:accept()`},
		{"thread, one worker", "1", `
local q = thread.queue()
thread.spawn(function()
  repeat thread.sleep(0.001) until tostring(q):find(", 1 waiting>", 1, true)
  os.exit(4)
end)
q:get()`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := start(t, "--workers", c.workers, writeScript(t, c.src))
			if code := p.wait(10 * time.Second); code != 4 {
				t.Errorf("exit code %d, want 4", code)
			}
			if p.Stderr() != "" {
				t.Errorf("stderr:\n%s", p.Stderr())
			}
		})
	}
}
