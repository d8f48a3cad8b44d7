package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time process pid has used, user and system.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name (which may hold spaces), from
	// field 3 on: utime and stime are fields 14 and 15, in clock ticks.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

// waitBusy waits until p has used busy more CPU time: after it printed
// that it is about to make a long call, it is inside that call.
func waitBusy(t *testing.T, p *proc, busy time.Duration) {
	t.Helper()
	pid := p.cmd.Process.Pid
	want := cpuTime(t, pid) + busy
	for deadline := time.Now().Add(20 * time.Second); cpuTime(t, pid) < want; {
		if time.Now().After(deadline) {
			t.Fatalf("%s used less than %v of CPU in 20 s", p.name, busy)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

// TestInterruptLongBuiltin: one SIGINT or SIGTERM ends the process within
// two seconds even while a thread is inside one long built-in call, which
// gopher-lua cannot interrupt and which holds the interpreter lock the
// interrupted main chunk needs to end. Each script prints "ready" just
// before the call, which takes far longer than the test waits, and the
// test signals once the process has been busy in it for a while.
func TestInterruptLongBuiltin(t *testing.T) {
	// backtrack is a pattern match of cubic (or worse) time on 3,000 bytes.
	const backtrack = `string.find(string.rep("a", 3000), "a-a-a-a-b")`
	const acceptInMain = `
local srv = socket.socket()
srv:bind({"127.0.0.1", 0})
srv:listen()
thread.spawn(function() print("ready"); %s end)
srv:accept()`
	cases := []struct {
		name string
		sig  syscall.Signal
		src  string
	}{
		{"pattern in the main chunk", syscall.SIGINT, `print("ready"); ` + backtrack},
		{"pattern in a thread", syscall.SIGINT, strings.Replace(acceptInMain, "%s", backtrack, 1)},
		{"pattern in a thread, SIGTERM", syscall.SIGTERM, strings.Replace(acceptInMain, "%s", backtrack, 1)},
		// A smaller string.rep than the GiB: a GiB of fresh memory under
		// -race on a loaded machine held a collection's stop-the-world for
		// seconds; the backtracking cases above test the forced exit. One
		// string.rep of 256 MiB takes half a second of CPU, less than the
		// test may take to see "ready" and start counting on a busy
		// machine (the process had gone idle before it had used 300 ms
		// more, in at least 5 runs of 10 beside three busy loops): the thread makes
		// one after another, and the signal comes inside one.
		{"string.rep of 128 MiB in a thread", syscall.SIGINT, strings.Replace(acceptInMain, "%s", `while true do local s = string.rep("x", 2^27) end`, 1)},
		{"table.sort with a comparator", syscall.SIGINT, `
local t = {}
for i = 1, 300000 do t[i] = (i * 7919) % 100003 end
print("ready")
for _ = 1, 100 do table.sort(t, function(a, b) return a > b end); table.sort(t, function(a, b) return a < b end) end`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := start(t, writeScript(t, c.src))
			p.waitLine(`^ready$`, 10*time.Second)
			waitBusy(t, p, 300*time.Millisecond)
			began := time.Now()
			p.signal(c.sig)
			// The call would take far longer than this wait: a process
			// that does not end on the signal fails the test here.
			code := p.wait(10 * time.Second)
			took := time.Since(began)
			if code != 130 {
				t.Errorf("exit %d after %v, want 130", code, c.sig)
			}
			if !strings.Contains(p.Stderr(), "KeyboardInterrupt: interrupted") {
				t.Errorf("stderr %q", p.Stderr())
			}
			t.Logf("exited %v after %v", took, c.sig)
		})
	}
}
