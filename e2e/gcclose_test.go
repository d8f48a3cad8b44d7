package e2e

import (
	"testing"
	"time"
)

// TestUnreachableSocketsAreClosed runs 500 threads that each open a socket
// of their own and fail, and checks that the sockets are closed once the
// garbage collector finds them, rather than staying open until the run
// ends: as Python's garbage collector closes an unreachable socket.
func TestUnreachableSocketsAreClosed(t *testing.T) {
	// GOGC=off: no collection before the script asks for one, so the
	// count before collecting says the sockets outlived their threads
	// (collectgarbage still collects).
	p := startIn(t, "", []string{"GOGC=off"}, sockrunBin, "-e", `
		local threads = {}
		for i = 1, 500 do
			threads[i] = thread.spawn(function()
				local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
				s:bind({"127.0.0.1", 0})
				error("handler failed", 0)
			end)
		end
		for i = 1, 500 do pcall(threads[i].join, threads[i]) end
		threads = nil
		print("failed")
		-- Collect when told, until the test has seen enough.
		for line in io.lines() do
			collectgarbage("collect")
			print("collected")
		end
	`)
	p.waitLine("^failed$", 30*time.Second)
	pid := p.cmd.Process.Pid
	before := openFDs(t, pid)
	if before < 500 {
		t.Fatalf("%d descriptors open after the threads failed: the sockets were closed before collection?", before)
	}
	deadline := time.Now().Add(30 * time.Second)
	for openFDs(t, pid) > before-450 {
		if time.Now().After(deadline) {
			t.Fatalf("still %d descriptors open (%d before collecting)", openFDs(t, pid), before)
		}
		p.write("gc\n")
		p.waitLine("^collected$", 10*time.Second)
	}
	p.closeStdin()
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, p.Stderr())
	}
}
