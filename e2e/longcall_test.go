package e2e

import (
	"bufio"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// longCalls are single built-in calls that would run for minutes or more
// with the interpreter lock held: backtracking patterns on a long subject
// (run without the lock), and built-ins that call back into Lua many times
// (they hand the lock over at the switch interval between callbacks).
// None calls anything of sockrun meanwhile.
var longCalls = map[string]string{
	"find":   `s:find("a*a*a*a*a*a*b")`,
	"match":  `s:match("(a*)a*a*a*a*a*b")`,
	"gmatch": `for _ in s:gmatch("a*a*a*a*a*a*b") do end`,
	"gsub":   `s:gsub("a*a*a*a*a*a*b", "x")`,
	"gsub-function": `local _ = ("x"):rep(1e6):gsub(".", function(c)
		for i = 1, 1e5 do end
		return c
	end)`,
	"sort-function": `local t = {}
	for i = 1, 1e5 do t[i] = -i end
	table.sort(t, function(a, b)
		for i = 1, 1e5 do end
		return a < b
	end)`,
	"sort-lt": `local mt = {__lt = function(a, b)
		for i = 1, 1e5 do end
		return a.v < b.v
	end}
	local t = {}
	for i = 1, 1e5 do t[i] = setmetatable({v = -i}, mt) end
	table.sort(t)`,
}

// TestLongBuiltinDoesNotFreezeServer: while the main thread is inside one
// long built-in call, a server thread of the same VM still accepts a
// client and answers it, and Ctrl-C still ends the run. Before, the call
// kept the interpreter lock to its end: the client got no answer at all.
// The bound is on the answer arriving, not on its speed.
func TestLongBuiltinDoesNotFreezeServer(t *testing.T) {
	for name, call := range longCalls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := start(t, "-e", `
local srv = socket.create_server({"127.0.0.1", 0})
thread.spawn(function()
	while true do
		local c = srv:accept()
		local line = c:recv(100)
		c:sendall("answer " .. line)
		c:close()
	end
end)
local s = ("a"):rep(3000)
print("listening on " .. tostring(srv:getsockname()));
`+call+`
print("the call returned")`)
			addr := p.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			if _, err := c.Write([]byte("ping\n")); err != nil {
				t.Fatal(err)
			}
			got, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || got != "answer ping\n" {
				t.Fatalf("the server thread answered %q, %v", got, err)
			}
			p.signal(syscall.SIGINT)
			code := p.wait(20 * time.Second)
			if code != 130 || !strings.Contains(p.Stderr(), "KeyboardInterrupt") {
				t.Errorf("after Ctrl-C: exit %d, stderr %q", code, p.Stderr())
			}
		})
	}
}
