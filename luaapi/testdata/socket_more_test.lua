-- Lua-side tests of the rest of Python's socket API: socketpair, dup,
-- adopted descriptors, sendfile, sendmsg/recvmsg and descriptor passing,
-- reverse lookups and the services database, addresses joined with "..".
local st = require("sockettest")

function TestSocketpair(t)
  local a, b = socket.socketpair()
  t:eq(a.family, socket.AF_UNIX, "AF_UNIX by default")
  a:sendall("ping")
  t:eq(b:recv(10), "ping", "a to b")
  b:sendall("pong")
  t:eq(a:recv(10), "pong", "b to a")
  local u1, u2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
  u1:send("one"); u1:send("two")
  t:eq(u2:recv(100), "one", "datagrams keep their boundaries")
  t:eq(u2:recv(100), "two", "second datagram")
end

function TestDup(t)
  local a, b = socket.socketpair()
  a:settimeout(3)
  local d = a:dup()
  t:eq(d:gettimeout(), 3, "the timeout is copied")
  assert(d:fileno() ~= a:fileno(), "a new descriptor")
  a:close()
  d:sendall("still open")
  t:eq(b:recv(100), "still open", "the duplicate outlives the original")
end

function TestAdoptDescriptors(t)
  local l = st.listener()
  local s = socket.fromfd(l:fileno())
  t:eq(s.family, socket.AF_INET, "family read from the descriptor")
  t:eq(s.type, socket.SOCK_STREAM, "type read from the descriptor")
  t:eq(s:getsockname().port, l:getsockname().port, "the same socket")
  st.misuse(t, "bad argument #1 to 'close' (descriptor", function() socket.close(s:fileno()) end)
  local err = st.raises(t, socket.fromfd, 99999)
  t:eq(err.name, "EBADF", "a descriptor that is not open")
end

function TestSendfile(t)
  local dir = t:tempdir()
  local path = dir .. "/data.bin"
  local f = io.open(path, "wb")
  local want = string.rep("0123456789", 10000)
  f:write(want)
  f:close()
  local c, s = st.pair()
  local got
  local th = thread.spawn(function() got = s:recv_exactly(#want) end)
  t:eq(c:sendfile(path), #want, "count sent")
  th:join()
  t:eq(got == want, true, "every byte")
  t:eq(c:sendfile(path, 5, 7), 7, "offset and count")
  t:eq(s:recv_exactly(7), "5678901", "the part asked for")
  local lf = io.open(path, "rb")
  t:eq(c:sendfile(lf, 10, 4), 4, "a Lua file object")
  lf:close()
  t:eq(s:recv_exactly(4), "0123", "read through the file object")
  local err = st.raises(t, c.sendfile, c, dir .. "/missing")
  t:eq(err.class, "FileNotFoundError", "missing file")
end

function TestSendmsgRecvmsg(t)
  local a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
  t:eq(a:sendmsg({"he", "llo"}), 5, "buffers are joined")
  local data, anc, flags, addr = b:recvmsg(100)
  t:eq(data, "hello", "data")
  t:eq(#anc, 0, "no ancillary data")
  a:sendmsg("0123456789")
  data, anc, flags = b:recvmsg(4)
  t:eq(data, "0123", "truncated")
  t:eq(flags % (2 * socket.MSG_TRUNC) >= socket.MSG_TRUNC, true, "MSG_TRUNC says so")
end

function TestSendmsgBadAncillaryData(t)
  local a = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
  local ok, err = pcall(a.sendmsg, a, "x", {"not a table"})
  t:eq(ok, false, "an item that is not a table is refused")
  t:eq(tostring(err):find("bad argument #2 to 'sendmsg' (item 1 must be {level, type, data}, got string)", 1, true) ~= nil,
    true, "and named: " .. tostring(err))
  a:close()
end

function TestPassDescriptors(t)
  local p1, p2 = socket.socketpair()
  local x, y = socket.socketpair()
  t:eq(socket.send_fds(p1, "take this", {x}), 9, "sent")
  local data, fds = socket.recv_fds(p2, 100, 4)
  t:eq(data, "take this", "data")
  t:eq(#fds, 1, "one descriptor")
  local got = socket.socket(nil, nil, nil, fds[1])
  t:eq(got.family, socket.AF_UNIX, "adopted")
  got:sendall("through the passed descriptor")
  t:eq(y:recv(100), "through the passed descriptor", "it is x's socket")
  -- The same with sendmsg/recvmsg and struct.
  p1:sendmsg("raw", {{socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", y:fileno())}})
  local d, anc = p2:recvmsg(10, socket.CMSG_SPACE(4))
  t:eq(d, "raw", "data")
  t:eq(anc[1][1], socket.SOL_SOCKET, "level")
  t:eq(anc[1][2], socket.SCM_RIGHTS, "type")
  local fd = struct.unpack("i", anc[1][3])
  socket.close(fd)
end

function TestServicesAndNames(t)
  t:eq(socket.getservbyname("http"), 80, "http")
  t:eq(socket.getservbyname("http", "tcp"), 80, "http/tcp")
  t:eq(socket.getservbyport(22), "ssh", "ssh")
  local err = st.raises(t, socket.getservbyname, "no-such-service")
  st.contains(t, err, "service/proto not found")
  local host, serv = socket.getnameinfo({"127.0.0.1", 80}, socket.NI_NUMERICHOST + socket.NI_NUMERICSERV)
  t:eq(host, "127.0.0.1", "numeric host")
  t:eq(serv, "80", "numeric service")
  host, serv = socket.getnameinfo({"127.0.0.1", 80}, socket.NI_NUMERICHOST)
  t:eq(serv, "http", "service name")
  local name, aliases, addrs = socket.gethostbyaddr("127.0.0.1")
  t:eq(type(name), "string", "a name for 127.0.0.1")
  t:eq(addrs[1], "127.0.0.1", "its address")
end

function TestAddressConcat(t)
  local l = st.listener()
  local addr = l:getsockname()
  t:eq("on " .. addr, "on 127.0.0.1:" .. addr.port, "string .. address")
  t:eq(addr .. "!", "127.0.0.1:" .. addr.port .. "!", "address .. string")
end
