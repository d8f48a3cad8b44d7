package luaapi

import (
	"testing"
	"time"
)

// TestSocketWaitsEndOnInterrupt checks that every socket call waiting in
// the poller ends promptly with a KeyboardInterrupt when the run's context
// ends, with or without a timeout: the socket's one registration with the
// context wakes it.
func TestSocketWaitsEndOnInterrupt(t *testing.T) {
	const tcpPair = `
		local l = socket.socket()
		l:bind({"127.0.0.1", 0}); l:listen()
		local c = socket.socket()
		c:connect(l:getsockname())
		local s = l:accept()
	`
	cases := map[string]string{
		"accept": `local l = socket.socket(); l:bind({"127.0.0.1", 0}); l:listen(); l:accept()`,
		"accept 60s": `local l = socket.socket(); l:bind({"127.0.0.1", 0}); l:listen()
			l:settimeout(60); l:accept()`,
		"recv":            tcpPair + `s:recv(10)`,
		"recv 60s":        tcpPair + `s:settimeout(60); s:recv(10)`,
		"recv after 60s":  tcpPair + `s:settimeout(60); pcall(s.recv, s, 10, socket.MSG_DONTWAIT); s:settimeout(nil); s:recv(10)`,
		"recvfrom":        `local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u:bind({"127.0.0.1", 0}); u:recvfrom(10)`,
		"sendall":         tcpPair + `local big = string.rep("x", 1048576); while true do s:sendall(big) end`,
		"sendall 60s":     tcpPair + `s:settimeout(60); local big = string.rep("x", 1048576); while true do s:sendall(big) end`,
		"recv in thread":  tcpPair + `thread.spawn(function() s:recv(10) end):join()`,
		"two recv waits":  tcpPair + `thread.spawn(function() s:recv(10) end); s:recv(10)`,
		"recv while send": tcpPair + `thread.spawn(function() s:recv(10) end); local big = string.rep("x", 1048576); while true do s:sendall(big) end`,
	}
	interruptEndsWaits(t, cases)
}

// TestSocketCallsFromManyThreads has threads call one socket at once in
// the same direction (each waiting call after the first has an ioOp of its
// own) and in both directions, and checks every byte arrives once. Run
// with -race it also checks that no ioOp is shared between calls.
func TestSocketCallsFromManyThreads(t *testing.T) {
	_, _, done := startLua(t, `
		local l = socket.socket()
		l:bind({"127.0.0.1", 0}); l:listen()
		local c = socket.socket()
		c:connect(l:getsockname())
		local s = l:accept()

		-- Eight threads wait in recv on s at once; the main thread sends
		-- them one byte each, then they all send back on s at once.
		-- Each thread says it is there, then calls recv holding the lock;
		-- the lock is free again, and the main thread's get can return,
		-- only once that recv waits. So after eight gets, all eight wait.
		local got, threads, there = {}, {}, thread.queue()
		for i = 1, 8 do
			threads[i] = thread.spawn(function()
				there:put(i)
				local b = s:recv(1)
				got[#got + 1] = b
				s:sendall(string.rep(b, 1000))
			end)
		end
		for _ = 1, 8 do there:get() end
		c:sendall("abcdefgh")
		for i = 1, 8 do threads[i]:join() end
		table.sort(got)
		assert(table.concat(got) == "abcdefgh", "each thread got one byte: " .. table.concat(got))
		local n, seen = 0, {}
		while n < 8000 do
			local d = c:recv(8000 - n)
			assert(d ~= "", "early end of stream")
			for ch in d:gmatch(".") do seen[ch] = (seen[ch] or 0) + 1 end
			n = n + #d
		end
		for ch in ("abcdefgh"):gmatch(".") do
			assert(seen[ch] == 1000, ch .. " arrived " .. tostring(seen[ch]) .. " times")
		end

		-- UDP: datagrams to threads waiting in recvfrom on one socket.
		local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		u:bind({"127.0.0.1", 0})
		local v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		local sum, waiting = 0, {}
		for i = 1, 4 do
			waiting[i] = thread.spawn(function()
				there:put(i)
				local d, addr = u:recvfrom(100)
				assert(addr.port == v:getsockname().port)
				sum = sum + tonumber(d)
			end)
		end
		for _ = 1, 4 do there:get() end -- each waits in recvfrom, as above
		for i = 1, 4 do v:sendto(tostring(i), u:getsockname()) end
		for i = 1, 4 do waiting[i]:join() end
		assert(sum == 10, "sum " .. sum)
	`, Config{})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the script did not end")
	}
}
