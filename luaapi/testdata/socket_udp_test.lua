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
