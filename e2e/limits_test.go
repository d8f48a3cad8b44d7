package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStringRepTooLarge: a string.rep too large to make raises an error
// that pcall catches and that says what happened, not Go's "makeslice:
// len out of range". A third argument is ignored, as Lua 5.1 does (it is
// Lua 5.2's separator).
func TestStringRepTooLarge(t *testing.T) {
	out, stderr, code := runSockrun(t, "", "--max-memory", "1GiB", "-e", `
print(pcall(string.rep, "x", 2^53))
print(pcall(string.rep, "ab", 2^62, ","))
print(string.rep("ab", 3, ","), #string.rep("x", 1000))`)
	want := `false	(command line):2: string.rep: result too large (9007199254740992 bytes; the largest string is 512 MiB, limits.max_memory is 1 GiB)
false	(command line):3: string.rep: result too large (9223372036854775808 bytes; the largest string is 512 MiB, limits.max_memory is 1 GiB)
ababab	1000`
	if code != 0 || out != want {
		t.Errorf("code %d, stdout:\n%s\nwant:\n%s\nstderr %q", code, out, want, stderr)
	}
}

// TestMemoryLimit: a script that grows without bound in small pieces (a
// list of tables) is stopped by the watchdog with a message naming the
// limit, exit 1, rather than dying with Go's "fatal error: out of memory"
// and a goroutine dump; and the process's peak stays near the limit.
func TestMemoryLimit(t *testing.T) {
	p := start(t, "--max-memory", "128MiB", "-e", `
local s = socket.create_server({"127.0.0.1", 0})
local list, i = nil, 0
while true do i = i + 1; list = {list, i} end`)
	peak := watchPeak(p)
	p.closeStdin()
	code := p.wait(60 * time.Second)
	stderr := p.Stderr()
	if code != 1 || !strings.Contains(stderr, "more than limits.max_memory (128 MiB)") {
		t.Errorf("code %d, stderr %q", code, stderr)
	}
	noGoCrash(t, stderr)
	checkPeak(t, peak(), 128<<20)
}

// memoryHogs are scripts that each reach the memory limit through one of
// the built-ins that make large strings.
var memoryHogs = map[string]string{
	// The doubling string: each .. makes a string twice the last.
	"concat": `local s = "x"
while true do s = s .. s end`,
	// Strings each under half the limit, kept until they are too many.
	"string.rep": `local t = {}
for i = 1, 100 do t[i] = ("x"):rep(100 * 2^20) end`,
	"table.concat": `local t, s = {}, ("x"):rep(2^20)
for i = 1, 100 do t[i] = s end
local u = {}
for i = 1, 100 do u[i] = table.concat(t) end`,
	"gsub": `local t, s = {}, ("x"):rep(8 * 2^20)
for i = 1, 100 do t[i] = s:gsub("x+", "%0%0") end`,
}

// TestMemoryLimitHoldsForBigStrings: a script making strings larger and
// larger, or many large ones, under --max-memory 256MiB gets Lua's "not
// enough memory" error naming the limit before the string is made, and
// the process's peak resident memory stays within 25% of the limit.
// Before, the doubling string peaked at two to four times the limit
// before the watchdog could stop it.
func TestMemoryLimitHoldsForBigStrings(t *testing.T) {
	for name, script := range memoryHogs {
		t.Run(name, func(t *testing.T) {
			p := start(t, "--max-memory", "256MiB", "-e", script)
			peak := watchPeak(p)
			p.closeStdin()
			code := p.wait(60 * time.Second)
			stderr := p.Stderr()
			if code == 0 || !strings.Contains(stderr, "not enough memory") || !strings.Contains(stderr, "limits.max_memory is 256 MiB") {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
			noGoCrash(t, stderr)
			checkPeak(t, peak(), 256<<20)
		})
	}
}

// TestMemoryErrorIsCatchable: the memory error is a Lua error pcall
// catches, as Lua 5.1's "not enough memory" is, and the script goes on.
// (A limit of 256 MiB: with 64 MiB the process's own few tens of MiB
// outside the heap let the watchdog end a loaded run before the string's
// check could raise.)
func TestMemoryErrorIsCatchable(t *testing.T) {
	out, stderr, code := runSockrun(t, "", "--max-memory", "256MiB", "-e", `
local s = ("x"):rep(2^20)
local ok, err = pcall(function() while true do s = s .. s end end)
print(ok, err)
print(#s)`)
	if code != 0 || !strings.Contains(out, "false\t(command line):3: not enough memory") || !strings.HasSuffix(out, "\n134217728") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// TestAddressSpaceLimit: under an address-space limit (ulimit -v) lower
// than what the default memory limit allows, the limit sockrun applies
// respects it: the doubling string ends with the memory error, not with
// Go's "fatal error: out of memory" and a dump of every goroutine.
func TestAddressSpaceLimit(t *testing.T) {
	p := startIn(t, "", nil, "/bin/sh", "-c", `ulimit -v 2000000 && exec "$0" "$@"`, sockrunBin, "-e", `local s = "x"
while true do s = s .. s end`)
	p.closeStdin()
	code := p.wait(60 * time.Second)
	stderr := p.Stderr()
	if code == 0 || !strings.Contains(stderr, "not enough memory") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	noGoCrash(t, stderr)
}

// TestAddressSpaceLimitNewThreads: the same while the Go runtime starts
// OS threads under the script, one for each of twelve threads blocked in
// opening a FIFO that no one writes: what a thread adds to the address
// space must not take from the room the memory budget counted on. (With
// cgo and glibc's allocator, each new thread also made a 64 MiB arena of
// its own, and this ended in Go's "fatal error: out of memory" in 38 runs
// of 40.)
func TestAddressSpaceLimitNewThreads(t *testing.T) {
	dir := t.TempDir()
	for i := 1; i <= 12; i++ {
		if err := syscall.Mkfifo(filepath.Join(dir, fmt.Sprintf("fifo%d", i)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := startIn(t, dir, nil, "/bin/sh", "-c", `ulimit -v 2000000 && exec "$0" "$@"`, sockrunBin, "-e", `
for i = 1, 12 do thread.spawn(function() io.open("fifo" .. i) end) end
thread.sleep(0) -- each thread runs to its open(2), which blocks
local s = "x"
local ok, err = pcall(function() while true do s = s .. s end end)
print(ok, err)
os.exit(0)`)
	p.closeStdin()
	code := p.wait(60 * time.Second)
	out, stderr := strings.Join(p.Stdout(), "\n"), p.Stderr()
	if code != 0 || !strings.Contains(out, "false\t(command line):5: not enough memory") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	noGoCrash(t, stderr)
}

// watchPeak follows the process's peak resident memory, the kernel's
// VmHWM of its own address space (/proc/PID/status), read every 2 ms
// until it exits; the returned function waits for the exit and gives the
// highest reading, the peak up to 2 ms before the end. (The exit status's
// ru_maxrss will not do: a child forked with vfork starts with the test
// process's resident memory counted, hundreds of MiB under -race.)
func watchPeak(p *proc) func() int64 {
	path := fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)
	peak := make(chan int64, 1)
	go func() {
		var hwm int64
		for {
			if data, err := os.ReadFile(path); err == nil {
				for _, line := range strings.Split(string(data), "\n") {
					if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						var kb int64
						fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
						hwm = max(hwm, kb<<10)
					}
				}
			}
			select {
			case <-p.done:
				peak <- hwm
				return
			case <-time.After(2 * time.Millisecond): // polling a counter
			}
		}
	}()
	return func() int64 { return <-peak }
}

// checkPeak fails the test if peak, a process's peak resident memory, is
// more than 25% over limit.
func checkPeak(t *testing.T, peak, limit int64) {
	t.Helper()
	t.Logf("peak resident memory %d MiB, limit %d MiB", peak>>20, limit>>20)
	if peak > limit+limit/4 {
		t.Errorf("peak resident memory %d MiB, more than 125%% of the limit (%d MiB)", peak>>20, limit>>20)
	}
}

// TestMaxRuntime: limits.max_runtime ends a run that waits forever, with a
// message that names it.
func TestMaxRuntime(t *testing.T) {
	_, stderr, code := runSockrun(t, "", "--max-runtime", "200ms", "-e", `socket.sleep(60)`)
	if code != 1 || !strings.Contains(stderr, "limits.max_runtime (200ms)") || strings.Contains(stderr, "KeyboardInterrupt") {
		t.Errorf("code %d, stderr %q", code, stderr)
	}
}

// TestMaxRuntimeEndsBusyLua: the run's end interrupts Lua code that makes
// no call at all inside a coroutine that a thread made, with
// coroutine.create or coroutine.wrap (each state checks the run's context
// between instructions). Without it the thread would spin on until the
// grace period ran out and the process were ended under it, and the trace
// would show no end of the thread.
func TestMaxRuntimeEndsBusyLua(t *testing.T) {
	for _, spin := range []string{
		"coroutine.resume(coroutine.create(spin))",
		"coroutine.wrap(spin)()",
	} {
		t.Run(spin, func(t *testing.T) {
			_, stderr, code := runSockrun(t, "", "--trace", "--max-runtime", "300ms", "-e", `
local function spin() local x = 0 while true do x = x + 1 end end
thread.spawn(function() `+spin+` end):join()`)
			if code != 1 || !strings.Contains(stderr, "limits.max_runtime (300ms)") ||
				// coroutine.wrap puts its caller's position before the
				// error, as Lua 5.1's does.
				!regexp.MustCompile(`t2 thread ended with error (\(command line\):\d: )+context canceled`).MatchString(stderr) {
				t.Errorf("code %d, stderr %q", code, stderr)
			}
		})
	}
}

// TestMaxThreads: thread.spawn past limits.max_threads raises, as
// Python's "can't start new thread", and the script goes on.
func TestMaxThreads(t *testing.T) {
	out, stderr, code := runSockrun(t, "", "--max-threads", "2", "-e", `
local ev = thread.event()
local a = thread.spawn(function() ev:wait() end)
local b = thread.spawn(function() ev:wait() end)
local ok, err = pcall(thread.spawn, function() end)
print(ok, err)
ev:set(); a:join(); b:join()
print(pcall(thread.spawn, function() end))`)
	if code != 0 || !strings.Contains(out, "false\t(command line):5: can't start new thread: 2 threads are running, limits.max_threads is 2 (spawn)") ||
		!strings.Contains(out, "true\t<thread 4") {
		t.Errorf("code %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// TestLimitsConfig: the limits are read from the config's limits: section
// and the environment; a bad value is a usage error naming the key.
func TestLimitsConfig(t *testing.T) {
	_, stderr, code := runSockrun(t, "", "--max-memory", "lots", "-e", `print(1)`)
	if code != 2 || !strings.Contains(stderr, "limits.max_memory") {
		t.Errorf("code %d, stderr %q", code, stderr)
	}
	p := startIn(t, "", []string{"SOCKRUN_LIMITS_MAX_THREADS=1"}, sockrunBin, "-e", `local e = thread.event(); thread.spawn(function() e:wait() end); print(pcall(thread.spawn, function() end)); e:set()`)
	p.closeStdin()
	p.wait(10e9)
	if out := strings.Join(p.Stdout(), "\n"); !strings.Contains(out, "limits.max_threads is 1") {
		t.Errorf("SOCKRUN_LIMITS_MAX_THREADS=1: stdout %q, stderr %q", out, p.Stderr())
	}
}
