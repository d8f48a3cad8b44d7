package e2e

import (
	"testing"
	"time"
)

// TestBusyLuaDoesNotStarve: Lua code that calls nothing of sockrun (a
// loop waiting on a shared flag, with no sleep) holding the interpreter
// lock does not keep it from a thread that has a client to answer: once
// the others have waited long enough it hands the lock over between two
// instructions. The spinning code runs in the main thread, in a thread,
// in a coroutine of a thread and inside pcall; before, each one kept the
// lock for ever and the client was never answered.
func TestBusyLuaDoesNotStarve(t *testing.T) {
	// Each case spins before the client connects: the main thread prints
	// the port once a spinning thread has started (thread.sleep(0) hands
	// it the lock, and only a hand-over between instructions gives it
	// back), or prints it and spins itself.
	const spinning = ` while not spinning do thread.sleep(0) end print("port " .. port)`
	for _, tc := range []struct{ name, spin string }{
		{"main", `print("port " .. port) spin()`},
		{"thread", `thread.spawn(spin) thread.spawn(spin)` + spinning},
		{"coroutine", `thread.spawn(function() coroutine.wrap(spin)() end)` + spinning},
		{"pcall", `thread.spawn(function() pcall(spin) end)` + spinning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, writeScript(t, `
local srv = socket.create_server({"127.0.0.1", 0})
answered, spinning = false, false
local function spin() spinning = true local n = 0 while not answered do n = n + 1 end end
thread.spawn(function()
  local c = srv:accept()
  c:sendall("ok\n")
  c:close()
  answered = true
end)
local port = srv:getsockname().port
`+tc.spin+`
while not answered do thread.sleep(0.01) end
print("answered")`))
			port := p.waitLine(`^port (\d+)$`, 10*time.Second)[1]
			if got := askServer(t, port, "hello"); got != "ok" {
				t.Fatalf("answer %q", got)
			}
			p.waitLine(`^answered$`, 20*time.Second)
			if code := p.wait(20 * time.Second); code != 0 {
				t.Fatalf("exit %d, stderr %q", code, p.Stderr())
			}
		})
	}
}
