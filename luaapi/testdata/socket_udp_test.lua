-- Lua-side tests of UDP sockets: sendto, recvfrom and connected datagram
-- sockets, over 127.0.0.1 on ports the kernel picks.
local st = require("sockettest")

local function udp(bind)
  local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  if bind then s:bind("127.0.0.1", 0) end
  return s
end

function TestUDP(t)
  local a = udp(true)
  local b = udp()
  t:eq(b:sendto("hello", a:getsockname()), 5, "sendto count")
  local data, from = a:recvfrom(100)
  t:eq(data, "hello", "datagram")
  t:eq(from.host, "127.0.0.1", "sender host")
  t:eq(from.port, b:getsockname().port, "sendto bound the sender to a port")
  a:sendto("back", from)
  t:eq(b:recv(100), "back", "reply")
end

function TestSendtoForms(t)
  local a = udp(true)
  local addr = a:getsockname()
  local b = udp()
  t:eq(b:sendto("table", {addr.host, addr.port}), 5, "{host, port}")
  t:eq(b:sendto("fields", {host = addr.host, port = addr.port}), 6, "{host=, port=}")
  t:eq(b:sendto("two", "127.0.0.1", addr.port), 3, "host, port")
  t:eq(b:sendto("flags", 0, addr), 5, "flags, address")
  t:eq(b:sendto("flags2", 0, "localhost", addr.port), 6, "flags, host, port")
  for _, want in ipairs({"table", "fields", "two", "flags", "flags2"}) do
    t:eq(a:recv(100), want, "received in order")
  end
end

function TestDatagramBoundaries(t)
  local a, b = udp(true), udp()
  local addr = a:getsockname()
  b:sendto("first", addr)
  b:sendto("second", addr)
  b:sendto("", addr)
  t:eq(a:recvfrom(100), "first", "one datagram per call")
  t:eq(a:recv(3), "sec", "a short buffer truncates")
  local data, from = a:recvfrom(100)
  t:eq(data, "", "the rest of the datagram is gone; an empty datagram reads \"\"")
  t:eq(from.port, b:getsockname().port, "with its sender")
  b:sendto("peek", addr)
  t:eq(a:recv(100, socket.MSG_PEEK), "peek", "MSG_PEEK")
  t:eq(a:recv(100), "peek", "still there")
end

function TestConnectedUDP(t)
  local a, b = udp(true), udp()
  b:connect(a:getsockname())
  t:eq(b:getpeername(), a:getsockname(), "getpeername")
  t:eq(b:send("via send"), 8, "send on a connected datagram socket")
  local data, from = a:recvfrom(100)
  t:eq(data, "via send", "received")
  a:sendto("reply", from)
  t:eq(b:recv(100), "reply", "recv")
  -- a datagram from anyone else is filtered out by the kernel
  local other = udp()
  other:sendto("stranger", b:getsockname())
  a:sendto("friend", from)
  t:eq(b:recv(100), "friend", "only the peer's datagrams")
end

-- Linux reports an ICMP port unreachable to a connected datagram socket as
-- ECONNREFUSED on its next call.
function TestUDPRefused(t)
  local holder, addr = st.unreachable()
  local b = udp()
  b:connect(addr)
  b:send("anyone?")
  b:settimeout(5)
  local err = st.raises(t, b.recv, b, 10)
  holder:close()
  t:eq(err.name, "ECONNREFUSED", "port unreachable")
end

function TestUDPErrors(t)
  local b = udp()
  local a = udp(true)
  local err = st.raises(t, b.sendto, b, string.rep("x", 70000), a:getsockname())
  t:eq(err.name, "EMSGSIZE", "a datagram too large")
  t:eq(err.op, "sendto", "op")
  t:eq(err.addr, tostring(a:getsockname()), "addr")
  err = st.raises(t, b.send, b, "x")
  t:eq(err.name, "EDESTADDRREQ", "send without a peer")
  err = st.raises(t, b.sendto, b, "x", "no-such-host.invalid", 53)
  t:eq(err.name, "EAI_NONAME", "unknown host")
  b:setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
  t:eq(b:getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST), 1, "SO_BROADCAST")
  st.misuse(t, "bad argument #1 to 'recvfrom' (negative buffersize)", function() a:recvfrom(-1) end)
end

function TestUDPNonBlocking(t)
  local a = udp(true)
  a:setblocking(false)
  local err = st.raises(t, a.recvfrom, a, 10)
  t:eq(err.name, "EAGAIN", "nothing to read")
  t:eq(err.class, "BlockingIOError", "class")
  t:eq(err.op, "recvfrom", "op")
  udp():sendto("now", a:getsockname())
  a:settimeout(5) -- wait for it without a sleep
  t:eq(a:recv(10), "now", "arrived")
end

-- A datagram from the same sender returns the same address table, while the
-- script leaves it as recvfrom made it: a server can key its clients by it.
function TestRecvfromSameSenderSameTable(t)
  local a, b, c = udp(true), udp(), udp()
  local addr = a:getsockname()
  b:sendto("1", addr)
  b:sendto("2", addr)
  c:sendto("3", addr)
  local _, from1 = a:recvfrom(10)
  local _, from2 = a:recvfrom(10)
  local _, other = a:recvfrom(10)
  t:eq(rawequal(from1, from2), true, "same sender, same table")
  t:eq(not rawequal(from1, other), true, "another sender, another table")
  t:eq(other.port, c:getsockname().port, "the other sender's port")
  local clients = {}
  clients[from1] = "b"
  b:sendto("4", addr)
  local _, from3 = a:recvfrom(10)
  t:eq(clients[from3], "b", "the table keys the client")

  from3[2] = 1 -- changed by the script: not given out again
  b:sendto("5", addr)
  local _, from4 = a:recvfrom(10)
  t:eq(not rawequal(from3, from4), true, "a changed table is not reused")
  t:eq(from4.port, b:getsockname().port, "a fresh table holds the sender's port")
  from4.host = "10.0.0.1"
  b:sendto("6", addr)
  local _, from5 = a:recvfrom(10)
  t:eq(not rawequal(from4, from5), true, "a table with a field set is not reused")
  t:eq(from5.host, "127.0.0.1", "the fresh table's host")
end

-- Bursts: several datagrams waiting at once are read ahead in one system
-- call (recvmmsg) and served from the socket's queue; what each call
-- returns stays what one recvfrom per call returns. Over 127.0.0.1 and ::1.

local function burstPair(family, host)
  local a = socket.socket(family, socket.SOCK_DGRAM)
  a:bind({host, 0})
  local b = socket.socket(family, socket.SOCK_DGRAM)
  b:bind({host, 0})
  a:settimeout(10)
  return a, b, a:getsockname()
end

local function datagram(i, n)
  local head = i .. ":"
  return (head .. string.rep(string.char(97 + i % 26), n)):sub(1, n)
end

local burstFamilies = {{socket.AF_INET, "127.0.0.1"}, {socket.AF_INET6, "::1"}}

function TestUDPBurstMixedSizes(t)
  for _, f in ipairs(burstFamilies) do
    local a, b, addr = burstPair(f[1], f[2])
    local sizes = {0, 1, 64, 1500, 9000, 65000, 3, 200}
    for round = 1, 10 do
      for i, n in ipairs(sizes) do
        b:sendto(datagram(round * 10 + i, sizes[(i + round) % #sizes + 1]), addr)
      end
      for i in ipairs(sizes) do
        local data, from = a:recvfrom(65535)
        t:eq(data, datagram(round * 10 + i, sizes[(i + round) % #sizes + 1]), f[2] .. " datagram " .. i .. " of round " .. round)
        t:eq(from.port, b:getsockname().port, "its sender")
      end
    end
    a:settimeout(0)
    t:eq(st.raises(t, a.recvfrom, a, 10).name, "EAGAIN", f[2] .. ": none left")
    a:close(); b:close()
  end
end

function TestUDPBurstTruncatePeekRecvmsg(t)
  for _, f in ipairs(burstFamilies) do
    local a, b, addr = burstPair(f[1], f[2])
    for i, n in ipairs({100, 3000, 10, 40000, 7}) do b:sendto(datagram(i, n), addr) end
    t:eq(a:recvfrom(50), datagram(1, 100):sub(1, 50), "cut to the size asked, the rest dropped")
    t:eq(a:recv(20, socket.MSG_PEEK), datagram(2, 3000):sub(1, 20), "a peek")
    t:eq(a:recv(65535), datagram(2, 3000), "the peeked datagram stays first and whole")
    local data, anc, flags, from = a:recvmsg(5)
    t:eq(data, datagram(3, 10):sub(1, 5), "recvmsg cuts")
    t:eq(#anc, 0, "no ancillary data")
    t:eq(flags % (2 * socket.MSG_TRUNC) >= socket.MSG_TRUNC, true, "MSG_TRUNC")
    t:eq(from.port, b:getsockname().port, "recvmsg's sender")
    t:eq(#a:recv(1000), 1000, "40000 bytes cut to 1000")
    t:eq(a:recv(100), datagram(5, 7), "the next one")
    a:close(); b:close()
  end
end

function TestUDPBurstSelectAndTimeout(t)
  local select = require "select"
  local a, b, addr = burstPair(socket.AF_INET, "127.0.0.1")
  for i = 1, 5 do b:sendto(datagram(i, 20), addr) end
  t:eq(a:recv(100), datagram(1, 20), "first")
  for i = 2, 5 do
    local r = select.select({a}, {}, {}, 5)
    t:eq(#r, 1, "readable while datagrams wait")
    a:settimeout(0)
    t:eq(a:recv(100), datagram(i, 20), "non-blocking read of a waiting datagram")
    a:settimeout(10)
  end
  local r = select.select({a}, {}, {}, 0)
  t:eq(#r, 0, "none left: not readable")
  a:settimeout(0.05)
  t:eq(st.raises(t, a.recv, a, 10).name, "ETIMEDOUT", "then a read times out")
end

function TestUDPBurstDupAndFromfd(t)
  local a, b, addr = burstPair(socket.AF_INET, "127.0.0.1")
  for i = 1, 6 do b:sendto(datagram(i, 8), addr) end
  t:eq(a:recv(100), datagram(1, 8), "first")
  local d = a:dup()
  d:settimeout(10)
  local f = socket.fromfd(a:fileno())
  f:settimeout(10)
  t:eq(d:recv(100), datagram(2, 8), "the dup reads the next one")
  t:eq(f:recv(100), datagram(3, 8), "so does fromfd")
  t:eq(a:recv(100), datagram(4, 8), "then the original")
  a:close()
  t:eq(d:recv(100), datagram(5, 8), "closing one drops nothing the others read")
  t:eq(f:recv(100), datagram(6, 8), "the last")
  d:close(); f:close()
end

function TestUDPBurstConnectReportsErrorFirst(t)
  local a, b, addr = burstPair(socket.AF_INET, "127.0.0.1")
  for i = 1, 4 do b:sendto(datagram(i, 8), addr) end
  t:eq(a:recv(100), datagram(1, 8), "first")
  local holder, dead = st.unreachable()
  a:connect(dead)
  a:send("anyone?")
  -- The port unreachable comes back at once over loopback; the kernel
  -- reports it to the next read, before the datagrams it holds.
  local err = st.raises(t, a.recv, a, 100)
  t:eq(err.name, "ECONNREFUSED", "the error first")
  for i = 2, 4 do t:eq(a:recv(100), datagram(i, 8), "then the datagrams, in order") end
  holder:close()
end

function TestUDPBurstThreads(t)
  local a, b, addr = burstPair(socket.AF_INET, "127.0.0.1")
  -- Each reader acknowledges every datagram on acks, so that the sender
  -- waits for a burst to be read before the next: bursts, not one flood
  -- the kernel would drop part of.
  local acks = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  acks:bind({"127.0.0.1", 0})
  acks:settimeout(20)
  local total, readers = 300, 3
  local threads = {}
  for r = 1, readers do
    threads[r] = thread.spawn(function()
      local mine = {}
      local ack = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
      while true do
        local d = a:recv(100)
        if d == "stop" then ack:close() return mine end
        mine[#mine + 1] = tonumber(d)
        ack:sendto("ok", acks:getsockname())
      end
    end)
  end
  for i = 1, total do
    b:sendto(tostring(i), addr)
    if i % 30 == 0 then
      for _ = 1, 30 do acks:recv(10) end
    end
  end
  for _ = 1, readers do b:sendto("stop", addr) end
  local seen, count = {}, 0
  for r = 1, readers do
    local mine = threads[r]:join()
    for k, n in ipairs(mine) do
      t:eq(seen[n], nil, "read once")
      seen[n] = true
      count = count + 1
      if k > 1 then t:eq(n > mine[k - 1], true, "each thread in the order sent") end
    end
  end
  t:eq(count, total, "every datagram read")
end

-- Datagrams come back as strings laid out with their own header
-- (core/boxed.go), read ahead in batches or not: they must stay whole
-- through collections and work as table keys.
function TestDatagramStringsOutliveCollections(t)
  local a = udp(true)
  local b = udp()
  local kept, keys = {}, {}
  for round = 1, 20 do
    for i = 1, 10 do
      b:sendto(round .. "/" .. i .. string.rep("d", round * 10), a:getsockname())
    end
    for _ = 1, 10 do
      local d = a:recvfrom(65535)
      kept[#kept + 1] = d
      keys[d] = true
    end
    collectgarbage("collect")
  end
  collectgarbage("collect")
  local n = 0
  for round = 1, 20 do
    for i = 1, 10 do
      local want = round .. "/" .. i .. string.rep("d", round * 10)
      t:eq(keys[want], true, "datagram " .. want .. " as a key")
      n = n + 1
      t:eq(kept[n], want, "datagram kept whole, in order")
    end
  end
  a:close(); b:close()
end

-- sendto to the table recvfrom just returned replies to that sender
-- without reading the table again; a table the script changed since is
-- read as it is now.
function TestSendtoKeptSenderTable(t)
  local a, b, c = udp(true), udp(true), udp(true)
  b:sendto("hi", a:getsockname())
  local _, from = a:recvfrom(10)
  a:sendto("back", from)
  t:eq(b:recv(10), "back", "the reply reaches the sender")
  b:sendto("again", a:getsockname())
  _, from = a:recvfrom(10)
  from[2] = c:getsockname().port
  a:sendto("moved", from)
  t:eq(c:recv(10), "moved", "a changed port is read from the table")
  b:sendto("third", a:getsockname())
  _, from = a:recvfrom(10)
  setmetatable(from, nil)
  a:sendto("plain", from)
  t:eq(b:recv(10), "plain", "a table without its metatable still addresses the sender")
  a:close(); b:close(); c:close()
end
