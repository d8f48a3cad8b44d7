-- Helpers shared by the Lua tests (require "sockettest"). Not a test file
-- itself: the harness runs only *_test.lua.
local M = {}

-- listener returns a TCP socket listening on a free port of host (default
-- 127.0.0.1) and its address.
function M.listener(host, family)
  local s = socket.socket(family or socket.AF_INET, socket.SOCK_STREAM)
  s:bind({host or "127.0.0.1", 0})
  s:listen(8)
  return s, s:getsockname()
end

-- refusing returns the address on 127.0.0.1 of a port where a TCP
-- connect is refused, and the socket that holds it: bound there, not
-- listening. While it is open no other socket takes the port, so the
-- address refuses for as long as the test needs (a listener closed to
-- free its port could lose it to another test's socket first).
function M.refusing()
  local s = socket.socket()
  s:bind({"127.0.0.1", 0})
  return s, s:getsockname()
end

-- unreachable returns the address on 127.0.0.1 of a UDP port where a
-- datagram finds no receiver, so the kernel answers it with port
-- unreachable, and the socket that holds it: bound there and connected to
-- itself, it takes only its own datagrams.
function M.unreachable()
  local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  s:bind({"127.0.0.1", 0})
  s:connect(s:getsockname())
  return s, s:getsockname()
end

-- pair returns the two ends of a TCP connection over host (default
-- 127.0.0.1): the client, the server's end, and the listener.
function M.pair(host, family)
  local srv, addr = M.listener(host, family)
  local c = socket.socket(family or socket.AF_INET, socket.SOCK_STREAM)
  c:connect(addr)
  local conn = srv:accept()
  return c, conn, srv
end

-- raises calls fn(...), which must raise, and returns the error.
function M.raises(t, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then t:fatal("no error raised") end
  return err
end

-- contains checks that the message of err (an error value or a string)
-- contains the plain text want.
function M.contains(t, err, want)
  local msg = tostring(err)
  if not msg:find(want, 1, true) then
    t:fatal(string.format("error %q does not contain %q", msg, want))
  end
end

-- misuse calls fn, a function of the test file that makes one bad call:
-- it must raise an argument error (a string) containing the plain text
-- want, at the test file's line.
function M.misuse(t, want, fn)
  local ok, err = pcall(fn)
  if ok then t:fatal("no error raised, want " .. want) end
  if type(err) ~= "string" then t:fatal("want a message, got " .. tostring(err)) end
  if not err:find(want, 1, true) then t:fatal("got " .. err .. ", want " .. want) end
  if not err:find("_test%.lua:%d+: ") then t:fatal("no script line in " .. err) end
  return err
end

-- runs_during checks that sleep (thread.sleep or socket.sleep) releases
-- the interpreter lock: a thread started before it runs while the caller
-- is inside it. The caller holds the lock everywhere else, so the thread
-- finds `sleeping` true only if it ran during a sleep. It naps 10 ms at a
-- time until the thread has run, so a busy machine only makes it slower;
-- when the thread ran outside a sleep (a switch-interval hand-off at
-- another call) it proves nothing, and a new thread tries again.
function M.runs_during(t, sleep)
  local sleeping = false
  for _ = 1, 100 do
    local saw
    local h = thread.spawn(function() saw = sleeping end)
    for _ = 1, 500 do
      if saw ~= nil then break end
      sleeping = true
      sleep(0.01)
      sleeping = false
    end
    if saw == nil then t:fatal("the thread did not run during 500 sleeps of 10 ms") end
    h:join()
    if saw then return end
  end
  t:fatal("the thread never ran inside a sleep, in 100 tries")
end

-- recvall reads from s until the end of the stream and returns what it read.
function M.recvall(s)
  local parts = {}
  while true do
    local d = s:recv(65536)
    if d == "" then return table.concat(parts) end
    parts[#parts + 1] = d
  end
end

return M
