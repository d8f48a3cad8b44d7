-- Lua-side tests of the socket module. Each Test* function runs in a VM of
-- its own (see runner/luatest_test.go); t:eq(got, want, what) and assert
-- raise on failure.

-- listener returns a listening TCP socket on a free loopback port and its address.
local function listener(host, family)
  local s = socket.socket(family or socket.AF_INET, socket.SOCK_STREAM)
  s:bind({host or "127.0.0.1", 0})
  s:listen(8)
  return s, s:getsockname()
end

function TestTCPRoundTrip(t)
  local srv, addr = listener()
  assert(addr.port > 0, "bound port")
  local c = socket.socket()
  c:connect(addr)
  local conn, peer = srv:accept()
  t:eq(peer.host, "127.0.0.1", "peer host")
  t:eq(tostring(peer), "127.0.0.1:" .. peer.port, "printed address")
  t:eq(c:send("ping"), 4, "send count")
  t:eq(conn:recv(16), "ping", "server received")
  conn:sendall(string.rep("x", 100000))
  local got = {}
  local n = 0
  while n < 100000 do
    local d = c:recv(65536)
    assert(#d > 0, "early end of stream")
    n = n + #d
  end
  t:eq(n, 100000, "bytes received")
  conn:close()
  t:eq(c:recv(10), "", "end of stream")
  c:close()
  srv:close()
end

function TestConnectRefused(t)
  local srv, addr = listener()
  srv:close() -- nobody listens on addr now
  local c = socket.socket()
  local ok, err = pcall(c.connect, c, addr)
  assert(not ok)
  t:eq(err.name, "ECONNREFUSED", "errno name")
  t:eq(err.errno, socket.ECONNREFUSED, "errno")
  t:eq(err.op, "connect", "op")
  t:eq(tostring(err), "ConnectionRefusedError: [Errno 111] Connection refused (connect " .. tostring(addr) .. ")", "message")
  local c2 = socket.socket()
  t:eq(c2:connect_ex(addr), socket.ECONNREFUSED, "connect_ex")
end

function TestAddrInUse(t)
  local srv, addr = listener()
  local s2 = socket.socket()
  local ok, err = pcall(s2.bind, s2, addr)
  assert(not ok)
  t:eq(err.name, "EADDRINUSE", "second bind")
end

function TestTimeoutAndNonBlocking(t)
  local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  u:bind({"127.0.0.1", 0})
  u:settimeout(0.05)
  t:eq(u:gettimeout(), 0.05, "gettimeout")
  local ok, err = pcall(u.recvfrom, u, 10)
  assert(not ok)
  t:eq(err.name, "ETIMEDOUT", "timeout name")
  t:eq(tostring(err):sub(1, 24), "TimeoutError: timed out ", "timeout message")
  u:setblocking(false)
  t:eq(u:getblocking(), false, "getblocking")
  ok, err = pcall(u.recv, u, 10)
  t:eq(err.name, "EAGAIN", "non-blocking recv")
  t:eq(err.class, "BlockingIOError", "class")
end

function TestUDP(t)
  local a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  a:bind({"127.0.0.1", 0})
  local b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  t:eq(b:sendto("hello", a:getsockname()), 5, "sendto count")
  local data, from = a:recvfrom(100)
  t:eq(data, "hello", "datagram")
  t:eq(from.port, b:getsockname().port, "sender port")
  a:sendto("back", from)
  t:eq(b:recv(100), "back", "reply")
end

function TestIPv6(t)
  local srv, addr = listener("::1", socket.AF_INET6)
  t:eq(addr.host, "::1", "host")
  t:eq(tostring(addr), "[::1]:" .. addr.port, "printed")
  local c = socket.socket(socket.AF_INET6)
  c:connect("::1", addr.port)
  local conn = srv:accept()
  c:sendall("six")
  t:eq(conn:recv(3), "six", "received")
end

function TestUnixStream(t)
  local path = t:tempdir() .. "/s.sock"
  local srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  srv:bind(path)
  srv:listen()
  t:eq(srv:getsockname(), path, "unix name")
  local c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  c:connect(path)
  local conn = srv:accept()
  c:sendall("unix")
  t:eq(conn:recv(10), "unix", "received")
end

function TestBadArguments(t)
  local s = socket.socket()
  local ok, err = pcall(s.bind, s)
  assert(not ok)
  assert(err:find("bad argument #1 to 'bind' %(address expected, got nil%)"), err)
  assert(err:find("socket_test.lua:%d+:"), "error names the script line: " .. err)
  s:close()
  ok, err = pcall(s.recv, s, 1)
  t:eq(err.name, "EBADF", "closed socket")
  t:eq(s:fileno(), -1, "fileno after close")
end

function TestThreadsEcho(t)
  local srv, addr = listener()
  local server = thread.spawn(function()
    for i = 1, 4 do
      local conn = srv:accept()
      thread.spawn(function()
        while true do
          local d = conn:recv(100)
          if d == "" then break end
          conn:sendall(d)
        end
        conn:close()
      end)
    end
  end)
  local workers = {}
  for i = 1, 4 do
    workers[i] = thread.spawn(function()
      local c = socket.create_connection(addr, 5)
      for j = 1, 20 do
        local msg = "c" .. i .. "m" .. j
        c:sendall(msg)
        t:eq(c:recv(100), msg, "echo")
      end
      c:close()
      return i
    end)
  end
  for i = 1, 4 do t:eq(workers[i]:join(), i, "join result") end
  server:join()
end
