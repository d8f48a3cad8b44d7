package e2e

import (
	"strings"
	"testing"
)

// TestThreadTracebackNamesFunction: the bottom frame of a thread's
// traceback is the thread's function, named as the spawner held it, or by
// where it is defined when it has no name; never "main chunk".
func TestThreadTracebackNamesFunction(t *testing.T) {
	_, stderr, code := runSockrun(t, "", "-e", `
local function handle(n)
  local x = nil
  return x.field + n
end
local a = thread.spawn(handle, 1)
local b = thread.spawn(function() error("anonymous") end)
pcall(a.join, a); pcall(b.join, b) -- both have ended and printed their errors
`)
	if code != 0 {
		t.Fatalf("exit code %d, want 0 (a thread's error ends only the thread); stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"in function 'handle'", "in function <(command line):7>"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Count(stderr, "in main chunk") != 0 {
		t.Errorf("a thread's traceback says \"in main chunk\":\n%s", stderr)
	}
}

// TestJoinedErrorReportedOnce: an error a thread raised (and printed as it
// ended) that join re-raised and nobody caught is printed once, with the
// thread's traceback; the main chunk adds one line saying where the join
// re-raised it, and the run fails.
func TestJoinedErrorReportedOnce(t *testing.T) {
	_, stderr, code := runSockrun(t, "", "-e", `
local function worker()
  error("worker failed")
end
local t = thread.spawn(worker)
t:join()
`)
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stderr:\n%s", code, stderr)
	}
	if n := strings.Count(stderr, "worker failed"); n != 1 {
		t.Errorf("the error is printed %d times, want once:\n%s", n, stderr)
	}
	for _, want := range []string{
		"sockrun: thread 2: (command line):3: worker failed",
		"in function 'worker'",
		"sockrun: (command line):6: join re-raised the error of thread 2, printed above",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
