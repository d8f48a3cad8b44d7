-- Lua-side tests of TCP sockets and the socket methods. Each Test* function
-- runs in a VM of its own (see luaapi/luatest_test.go); t:eq(got, want,
-- what) and assert raise on failure. Over 127.0.0.1 only, on ports the
-- kernel picks.
local st = require("sockettest")

function TestTCPRoundTrip(t)
  local srv, addr = st.listener()
  assert(addr.port > 0, "bound port")
  local c = socket.socket()
  t:eq(c:connect(addr), nil, "connect returns nothing")
  local conn, peer = srv:accept()
  t:eq(peer.host, "127.0.0.1", "peer host")
  t:eq(peer.port, c:getsockname().port, "peer port is the client's")
  t:eq(tostring(peer), "127.0.0.1:" .. peer.port, "printed address")
  t:eq(c:send("ping"), 4, "send count")
  t:eq(conn:recv(16), "ping", "server received")
  t:eq(conn:sendall(string.rep("x", 100000)), nil, "sendall returns nothing")
  local n = 0
  while n < 100000 do
    local d = c:recv(65536)
    assert(#d > 0, "early end of stream")
    n = n + #d
  end
  t:eq(n, 100000, "bytes received")
  conn:close()
  t:eq(c:recv(10), "", "end of stream")
  t:eq(c:recv(10), "", "still end of stream")
  c:close()
  srv:close()
end

function TestSocketDefaults(t)
  local s = socket.socket()
  t:eq(s:getsockopt(socket.SOL_SOCKET, socket.SO_TYPE), socket.SOCK_STREAM, "default type")
  t:eq(s:getsockname().host, "0.0.0.0", "default family is AF_INET")
  t:eq(s:gettimeout(), nil, "blocking by default")
  t:eq(s:getblocking(), true, "getblocking")
  local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  t:eq(u:getsockopt(socket.SOL_SOCKET, socket.SO_TYPE), socket.SOCK_DGRAM, "datagram type")
  local p = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
  t:eq(p:getsockopt(socket.SOL_SOCKET, socket.SO_TYPE), socket.SOCK_STREAM, "explicit protocol")
  local err = st.raises(t, socket.socket, 12345)
  t:eq(err.name, "EAFNOSUPPORT", "unknown family")
  t:eq(err.op, "socket", "op")
  err = st.raises(t, socket.socket, socket.AF_INET, 999)
  t:eq(err.name, "EINVAL", "unknown type")
end

function TestBindForms(t)
  local a = socket.socket()
  a:bind({"127.0.0.1", 0})
  t:eq(a:getsockname().host, "127.0.0.1", "{host, port}")
  local b = socket.socket()
  b:bind("127.0.0.1", 0)
  t:eq(b:getsockname().host, "127.0.0.1", "host, port")
  local c = socket.socket()
  c:bind({host = "127.0.0.1", port = 0})
  t:eq(c:getsockname().host, "127.0.0.1", "{host=, port=}")
  local d = socket.socket()
  d:bind("", 0)
  t:eq(d:getsockname().host, "0.0.0.0", "\"\" is any address")
  assert(d:getsockname().port > 0, "a port was picked")
  local e = socket.socket()
  e:bind("localhost", 0)
  t:eq(e:getsockname().host, "127.0.0.1", "localhost resolves")
  local f = socket.socket()
  f:bind({"127.0.0.1", "0"})
  t:eq(f:getsockname().host, "127.0.0.1", "a numeric string port")
  local g = socket.socket()
  g:bind("127.1", 0)
  t:eq(g:getsockname().host, "127.0.0.1", "inet_aton's short form")
  local err = st.raises(t, a.bind, a, "127.0.0.1", 0)
  t:eq(err.name, "EINVAL", "binding a bound socket")
  err = st.raises(t, socket.socket().bind, socket.socket(), "no-such-host.invalid", 0)
  t:eq(err.name, "EAI_NONAME", "unknown host")
  t:eq(err.op, "bind", "op")
  t:eq(err.addr, "no-such-host.invalid:0", "addr")
end

function TestAddrInUse(t)
  local srv, addr = st.listener()
  local s2 = socket.socket()
  local err = st.raises(t, s2.bind, s2, addr)
  t:eq(err.name, "EADDRINUSE", "second bind")
  t:eq(err.class, "OSError", "class")
  t:eq(tostring(err), "OSError: [Errno " .. socket.EADDRINUSE .. "] Address already in use (bind " .. tostring(addr) .. ")", "message")
end

-- A server that closes a connection first leaves its port in TIME_WAIT:
-- a new server binds it again only with SO_REUSEADDR (set on both, as
-- servers do).
function TestReuseAddr(t)
  local function server()
    local s = socket.socket()
    t:eq(s:getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR), 0, "off by default")
    s:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t:eq(s:getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR), 1, "set")
    return s
  end
  local srv = server()
  srv:bind("127.0.0.1", 0)
  srv:listen()
  local addr = srv:getsockname()
  local c = socket.create_connection(addr)
  local conn = srv:accept()
  conn:close() -- the server closes first
  t:eq(c:recv(1), "", "client sees the close")
  c:close()
  srv:close()
  local plain = socket.socket()
  local err = st.raises(t, plain.bind, plain, addr)
  t:eq(err.name, "EADDRINUSE", "without SO_REUSEADDR")
  local again = server()
  again:bind(addr)
  again:listen()
  t:eq(again:getsockname().port, addr.port, "same port again")
end

function TestListen(t)
  local s = socket.socket()
  s:bind("127.0.0.1", 0)
  t:eq(s:listen(), nil, "listen returns nothing")
  t:eq(s:getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN), 1, "listening")
  local s2 = socket.socket()
  s2:bind("127.0.0.1", 0)
  s2:listen(0) -- a backlog of 0 is allowed
  local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  local err = st.raises(t, u.listen, u)
  t:eq(err.errno, socket.EOPNOTSUPP, "listen on a datagram socket")
  t:eq(err.name, "ENOTSUP", "named as Python names it (EOPNOTSUPP is the same number on Linux)")
end

function TestAccept(t)
  local srv, addr = st.listener()
  local err = st.raises(t, socket.socket().accept, socket.socket())
  t:eq(err.name, "EINVAL", "accept on a socket not listening")
  local c = socket.create_connection(addr)
  local conn, peer = srv:accept()
  t:eq(peer, c:getsockname(), "accept's address is the client's")
  t:eq(conn:getsockname(), addr, "the connection's local address")
  t:eq(conn:getpeername(), peer, "getpeername")
  assert(conn ~= srv, "a new socket")
  t:eq(conn:gettimeout(), nil, "the new socket blocks")
end

function TestConnectRefused(t)
  local holder, addr = st.refusing() -- nobody listens on addr
  local c = socket.socket()
  local err = st.raises(t, c.connect, c, addr)
  holder:close()
  t:eq(err.name, "ECONNREFUSED", "errno name")
  t:eq(err.errno, socket.ECONNREFUSED, "errno")
  t:eq(err.class, "ConnectionRefusedError", "class")
  t:eq(err.op, "connect", "op")
  t:eq(err.addr, tostring(addr), "addr")
  t:eq(tostring(err), "ConnectionRefusedError: [Errno " .. socket.ECONNREFUSED .. "] Connection refused (connect " .. tostring(addr) .. ")", "message")
end

-- TestConnectAgainAfterRefused: a refused connect can be tried again on
-- the same socket, as Python's: refused again (not ECONNABORTED), with a
-- timeout too, and then it connects once something listens.
function TestConnectAgainAfterRefused(t)
  for _, timeout in ipairs({false, 5}) do
    local holder, addr = st.refusing()
    local c = socket.socket()
    if timeout then c:settimeout(timeout) end
    t:eq(st.raises(t, c.connect, c, addr).name, "ECONNREFUSED", "refused")
    t:eq(st.raises(t, c.connect, c, addr).name, "ECONNREFUSED", "refused again")
    t:eq(c:connect_ex(addr), socket.ECONNREFUSED, "and again by connect_ex")
    holder:close()
    local srv, there = st.listener()
    c:connect(there)
    t:eq(c:getpeername(), there, "then it connects")
    c:close()
    srv:close()
  end
end

function TestConnectEx(t)
  local srv, addr = st.listener()
  local c = socket.socket()
  t:eq(c:connect_ex(addr), 0, "connected")
  t:eq(c:connect_ex(addr), socket.EISCONN, "connected already")
  srv:close()
  local holder, gone = st.refusing()
  local c2 = socket.socket()
  local errno = c2:connect_ex("127.0.0.1", gone.port)
  holder:close()
  t:eq(errno, socket.ECONNREFUSED, "closed port")
  t:eq(socket.errorcode[errno], "ECONNREFUSED", "its name")
  local err = st.raises(t, c2.connect_ex, c2, "no-such-host.invalid", 80)
  t:eq(err.name, "EAI_NONAME", "a name that does not resolve raises")
end

function TestConnectForms(t)
  local srv, addr = st.listener()
  local a = socket.socket()
  a:connect("127.0.0.1", addr.port)
  local b = socket.socket()
  b:connect({host = "localhost", port = addr.port})
  t:eq(b:getpeername(), addr, "localhost")
  local err = st.raises(t, a.connect, a, addr)
  t:eq(err.name, "EISCONN", "connecting twice")
  local c = socket.socket()
  c:bind("127.0.0.1", 0)
  local local_addr = c:getsockname()
  c:connect(addr)
  t:eq(c:getsockname(), local_addr, "connect keeps the bound address")
end

function TestSendRecv(t)
  local c, conn = st.pair()
  t:eq(c:send(""), 0, "send nothing")
  t:eq(c:send(12345), 5, "a number is sent as its text")
  t:eq(conn:recv(5), "12345", "received")
  t:eq(c:recv(0), "", "recv(0)")
  c:sendall("abcdef")
  t:eq(conn:recv(2), "ab", "recv returns at most bufsize")
  t:eq(conn:recv(100), "cdef", "then the rest")
  c:sendall("peek")
  t:eq(conn:recv(4, socket.MSG_PEEK), "peek", "MSG_PEEK")
  t:eq(conn:recv(64 * 1024 * 1024), "peek", "a huge bufsize returns what there is")
  c:send("x", 0)
  t:eq(conn:recv(1, 0), "x", "explicit flags")
  local err = st.raises(t, conn.recv, conn, 10, socket.MSG_DONTWAIT)
  t:eq(err.name, "EAGAIN", "MSG_DONTWAIT does not wait")
  conn:setblocking(false)
  err = st.raises(t, conn.recv, conn, 10)
  t:eq(err.name, "EAGAIN", "nothing to read")
  conn:setblocking(true)
  c:sendall("from")
  local data, addr = conn:recvfrom(10)
  t:eq(data, "from", "recvfrom on a stream")
  -- the peer's address, or nil, as the system gives it for a stream
  assert(addr == nil or addr.port == c:getsockname().port, "recvfrom address")
end

function TestSendallMegabytes(t)
  local c, conn = st.pair()
  local n = 8 * 1024 * 1024
  local reader = thread.spawn(function()
    local total, sum = 0, 0
    while true do
      local d = conn:recv(1024 * 1024)
      if d == "" then break end
      total = total + #d
      sum = (sum + d:byte(#d)) % 65536
    end
    return total
  end)
  local chunk = string.rep("0123456789abcdef", 65536) -- 1 MiB
  c:sendall(string.rep(chunk, n / #chunk))
  c:shutdown(socket.SHUT_WR)
  t:eq(reader:join(), n, "every byte arrived")
end

function TestShutdownHalfClose(t)
  local c, conn = st.pair()
  c:sendall("request")
  t:eq(c:shutdown(socket.SHUT_WR), nil, "shutdown returns nothing")
  t:eq(st.recvall(conn), "request", "the peer reads to the end")
  t:eq(conn:recv(1), "", "and sees \"\"")
  conn:sendall("response") -- the other direction still works
  conn:close()
  t:eq(st.recvall(c), "response", "the client still reads")
  local err = st.raises(t, c.send, c, "more")
  t:eq(err.name, "EPIPE", "sending after SHUT_WR")
  t:eq(err.class, "BrokenPipeError", "class")

  local a, b = st.pair()
  a:shutdown(socket.SHUT_RD)
  t:eq(a:recv(10), "", "reading after SHUT_RD")
  b:shutdown(socket.SHUT_RDWR)
  t:eq(a:recv(10), "", "the peer shut down both")
  err = st.raises(t, socket.socket().shutdown, socket.socket(), socket.SHUT_RDWR)
  t:eq(err.name, "ENOTCONN", "shutdown of a socket not connected")
  err = st.raises(t, a.shutdown, a, 99)
  t:eq(err.name, "EINVAL", "shutdown(99)")
end

-- Sending to a peer that closed (or reset) the connection fails with
-- EPIPE or ECONNRESET, within a few sends.
function TestSendOnResetConnection(t)
  local c, conn = st.pair()
  conn:setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, {1, 0})
  conn:close() -- with linger 0 the close resets the connection
  local err = st.raises(t, c.recv, c, 10)
  t:eq(err.name, "ECONNRESET", "recv after a reset")
  t:eq(err.class, "ConnectionResetError", "class")
  err = st.raises(t, c.send, c, "x")
  assert(err.name == "EPIPE" or err.name == "ECONNRESET", "send after a reset: " .. tostring(err))

  local c2, conn2 = st.pair()
  conn2:close()
  local failed
  for i = 1, 20 do
    local ok, e = pcall(c2.sendall, c2, "hello")
    if not ok then failed = e break end
  end
  assert(failed, "sending to a closed peer never failed")
  assert(failed.name == "EPIPE" or failed.name == "ECONNRESET", "sendall to a closed peer: " .. tostring(failed))
  t:eq(failed.op, "sendall", "op")
end

function TestSockopt(t)
  local s = socket.socket()
  s:setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, true)
  t:eq(s:getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), 1, "a boolean sets 1")
  s:setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, false)
  t:eq(s:getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), 0, "false sets 0")
  s:setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
  t:eq(s:getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 1, "TCP_NODELAY")
  s:setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
  assert(s:getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= 65536, "SO_RCVBUF")
  s:setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, {1, 5})
  local raw = s:getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)
  t:eq(#raw, 8, "raw bytes, NULs included")
  t:eq(raw:byte(1) + raw:byte(5), 6, "struct linger {1, 5}")
  t:eq(#s:getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 4), 4, "at most buflen bytes")
  s:setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, string.rep("\0", 8)) -- raw bytes
  t:eq(s:getsockopt(socket.SOL_SOCKET, socket.SO_LINGER), 0, "raw set")
  t:eq(s:getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0, "SO_ERROR")
  local err = st.raises(t, s.getsockopt, s, socket.SOL_SOCKET, socket.SO_LINGER, 2000)
  t:eq(tostring(err), "OSError: getsockopt buflen out of range (getsockopt SO_LINGER)", "buflen too large")
  err = st.raises(t, s.setsockopt, s, 9999, 9999, 1)
  t:eq(err.op, "setsockopt", "op")
  t:eq(err.addr, "9999/9999", "an unknown option is named by its numbers")
  err = st.raises(t, s.getsockopt, s, socket.SOL_SOCKET, 9999)
  t:eq(err.name, "ENOPROTOOPT", "unknown option")
  t:eq(err.addr, socket.SOL_SOCKET .. "/9999", "named by level and number")
end

function TestNames(t)
  local s = socket.socket()
  local name = s:getsockname()
  t:eq(name.host, "0.0.0.0", "unbound host")
  t:eq(name.port, 0, "unbound port")
  local err = st.raises(t, s.getpeername, s)
  t:eq(err.name, "ENOTCONN", "getpeername of a socket not connected")
  t:eq(err.class, "OSError", "class")
  local c, conn, srv = st.pair()
  local addr = srv:getsockname()
  local peer = c:getpeername()
  t:eq(peer, addr, "the client's peer is the listener's address")
  t:eq(peer.host, "127.0.0.1", ".host")
  t:eq(peer.port, addr.port, ".port")
  t:eq(peer[1], peer.host, "[1] is the host")
  t:eq(peer[2], peer.port, "[2] is the port")
  t:eq(tostring(peer), "127.0.0.1:" .. addr.port, "tostring")
  t:eq(conn:getpeername(), c:getsockname(), "the two ends agree")
  assert(peer ~= c:getsockname(), "different addresses differ")
  -- an address table is a plain table: scripts may build their own
  local mine = {"127.0.0.1", addr.port}
  local c2 = socket.socket()
  c2:connect(mine)
  t:eq(c2:getpeername().port, addr.port, "a plain table works as an address")
end

function TestFileno(t)
  local a, b = socket.socket(), socket.socket()
  assert(a:fileno() >= 0, "a descriptor")
  assert(a:fileno() ~= b:fileno(), "distinct descriptors")
  a:close()
  t:eq(a:fileno(), -1, "-1 once closed")
end

function TestTostring(t)
  local s = socket.socket()
  local fd = s:fileno()
  t:eq(tostring(s), "<socket fd=" .. fd .. ", family=AF_INET, type=SOCK_STREAM>", "fresh socket")
  s:bind("127.0.0.1", 0)
  local port = s:getsockname().port
  t:eq(tostring(s), "<socket fd=" .. fd .. ", family=AF_INET, type=SOCK_STREAM, laddr=127.0.0.1:" .. port .. ">", "bound")
  s:listen()
  local c = socket.create_connection(s:getsockname())
  local cport = c:getsockname().port
  t:eq(tostring(c), "<socket fd=" .. c:fileno() .. ", family=AF_INET, type=SOCK_STREAM, laddr=127.0.0.1:" .. cport ..
    ", raddr=127.0.0.1:" .. port .. ">", "connected")
  local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
  t:eq(tostring(u), "<socket fd=" .. u:fileno() .. ", family=AF_INET, type=SOCK_DGRAM, proto=17>", "protocol shown")
  s:close()
  t:eq(tostring(s), "<socket [closed] fd=-1, family=AF_INET, type=SOCK_STREAM>", "closed")
  t:eq("[" .. tostring(c) .. "]", "[" .. tostring(c) .. "]", "tostring is stable")
end

function TestEquality(t)
  local c, conn, srv = st.pair()
  assert(c == c, "a socket equals itself")
  assert(c ~= conn, "two ends differ")
  assert(conn ~= srv, "the accepted socket is not the listener")
  local same = srv
  assert(same == srv, "the same object")
  local set = {[c] = "client", [conn] = "server"}
  t:eq(set[c], "client", "sockets are table keys")
  t:eq(set[conn], "server", "sockets are table keys")
end

function TestClose(t)
  local s = socket.socket()
  t:eq(s:close(), nil, "close returns nothing")
  t:eq(s:close(), nil, "closing twice is harmless")
  local c, conn = st.pair()
  c:close()
  t:eq(conn:recv(10), "", "the peer sees the end")
end

-- Every method but close, fileno and tostring raises EBADF on a closed
-- socket, naming the method.
function TestClosedSocket(t)
  local s = socket.socket()
  s:close()
  local calls = {
    bind = {{"127.0.0.1", 0}}, listen = {}, accept = {}, connect = {{"127.0.0.1", 9}},
    connect_ex = {{"127.0.0.1", 9}}, send = {"x"}, sendall = {"x"}, recv = {1},
    sendto = {"x", {"127.0.0.1", 9}}, recvfrom = {1}, shutdown = {socket.SHUT_RDWR},
    settimeout = {1}, gettimeout = {}, setblocking = {true}, getblocking = {},
    setsockopt = {socket.SOL_SOCKET, socket.SO_REUSEADDR, 1},
    getsockopt = {socket.SOL_SOCKET, socket.SO_REUSEADDR}, getsockname = {}, getpeername = {},
  }
  local n = 0
  for name, args in pairs(calls) do
    local err = st.raises(t, s[name], s, unpack(args))
    t:eq(err.name, "EBADF", name)
    t:eq(err.message, "Bad file descriptor", name .. " message")
    t:eq(err.op, name, name .. " op")
    n = n + 1
  end
  t:eq(n, 19, "methods checked")
end

-- An address written as "host:port", Python's "AF_INET address must be
-- tuple, not str": the message names the argument as written and shows
-- the table meant, for every function that takes an address.
function TestAddressAsOneString(t)
  local s = socket.socket()
  local want = "AF_INET address must be a table {host, port}, not a string: write {\"127.0.0.1\", 20025})"
  st.misuse(t, "bad argument #1 to 'connect' (" .. want, function() s:connect("127.0.0.1:20025") end)
  st.misuse(t, "bad argument #1 to 'connect_ex' (" .. want, function() s:connect_ex("127.0.0.1:20025") end)
  st.misuse(t, "bad argument #1 to 'bind' (" .. want, function() s:bind("127.0.0.1:20025") end)
  local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  st.misuse(t, "bad argument #2 to 'sendto' (" .. want, function() u:sendto("x", "127.0.0.1:20025") end)
  st.misuse(t, "bad argument #3 to 'sendto' (" .. want, function() u:sendto("x", 0, "127.0.0.1:20025") end)
  st.misuse(t, "bad argument #2 to 'sendto' (AF_INET address must be a table {host, port}, not a string: write {\"localhost\", port})",
    function() u:sendto("x", "localhost") end)
  st.misuse(t, "bad argument #1 to 'create_connection' (address must be a table {host, port}, not a string: write {\"localhost\", 80})",
    function() socket.create_connection("localhost:80") end)
  st.misuse(t, "bad argument #1 to 'create_server' (address must be a table {host, port}, not a string: write {\"127.0.0.1\", 0})",
    function() socket.create_server("127.0.0.1:0") end)
  st.misuse(t, "bad argument #1 to 'connect' (address host \"127.0.0.1:20025\" has a port in it: write {\"127.0.0.1\", 20025})",
    function() s:connect({"127.0.0.1:20025"}) end)
  st.misuse(t, "bad argument #1 to 'connect' (host \"[::1]:80\" has a port in it: write {\"::1\", 80})",
    function() s:connect("[::1]:80", 80) end)
  st.misuse(t, "bad argument #1 to 'getaddrinfo' (host \"example.com:80\" has a port in it: the port is the second argument, socket.getaddrinfo(\"example.com\", 80))",
    function() socket.getaddrinfo("example.com:80") end)
  local u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
  st.misuse(t, "bad argument #2 to 'sendto' (AF_INET6 address must be a table {host, port}, not a string: write {\"::1\", 53})",
    function() u6:sendto("x", "[::1]:53") end)
  -- An IPv6 literal alone is a host, not a host and a port.
  st.misuse(t, "not a string: write {\"::1\", port})", function() u6:sendto("x", "::1") end)
  s:close(); u:close(); u6:close()
end

function TestBadArguments(t)
  local s = socket.socket()
  local err = st.misuse(t, "bad argument #1 to 'bind' (address expected, got nil)", function() s:bind() end)
  st.misuse(t, "bad argument #1 to 'bind' (AF_INET address must be a table {host, port}, not a string: write {\"127.0.0.1\", port})", function() s:bind("127.0.0.1") end)
  st.misuse(t, "bad argument #2 to 'bind' (port must be a number 0-65535, got boolean)", function() s:bind("127.0.0.1", true) end)
  st.misuse(t, "bad argument #1 to 'bind' (address port must be a number 0-65535, got 70000)", function() s:bind({"127.0.0.1", 70000}) end)
  st.misuse(t, "bad argument #1 to 'bind' (address host must be a string, got number)", function() s:bind({1, 2}) end)
  st.misuse(t, "bad argument #1 to 'connect' (AF_INET address must be a table {host, port}, not a boolean)", function() s:connect(true) end)
  st.misuse(t, "bad argument #1 to 'recv' (number expected, got nil)", function() s:recv() end)
  st.misuse(t, "bad argument #1 to 'recv' (negative buffersize)", function() s:recv(-1) end)
  st.misuse(t, "bad argument #1 to 'recvfrom' (number expected, got table)", function() s:recvfrom({}) end)
  st.misuse(t, "bad argument #1 to 'send' (string expected, got nil)", function() s:send() end)
  st.misuse(t, "bad argument #1 to 'sendall' (string expected, got table)", function() s:sendall({}) end)
  st.misuse(t, "bad argument #2 to 'sendto' (address expected, got nil)", function() s:sendto("x") end)
  st.misuse(t, "bad argument #1 to 'listen' (number expected, got string)", function() s:listen("many") end)
  st.misuse(t, "bad argument #1 to 'shutdown' (number expected, got nil)", function() s:shutdown() end)
  st.misuse(t, "bad argument #1 to 'settimeout' (number or nil expected, got string)", function() s:settimeout("1s") end)
  st.misuse(t, "bad argument #1 to 'settimeout' (timeout value out of range)", function() s:settimeout(-1) end)
  st.misuse(t, "bad argument #3 to 'setsockopt' (number, boolean, string or table expected, got nil)",
    function() s:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) end)
  st.misuse(t, "bad argument #2 to 'getsockopt' (number expected, got nil)", function() s:getsockopt(socket.SOL_SOCKET) end)
  st.misuse(t, "bad self to 'recv' (socket expected, got number; call it as sock:recv(...))", function() s.recv(5) end)
  st.misuse(t, "bad self to 'bind' (socket expected, got table; call it as sock:bind(...))", function() s.bind({"127.0.0.1", 0}) end)
  -- the message names this file and line, as Lua's own errors do
  local _, bad = pcall(function() s:bind() end); local _, here = pcall(function() error("here") end)
  t:eq(bad:match("^(.-:%d+):"), here:match("^(.-:%d+):"), "the message names the line of the bad call")
  -- a closed socket: the error value, not a message
  s:close()
  err = st.raises(t, s.recv, s, 1)
  t:eq(err.name, "EBADF", "closed socket")
end

function TestThreadsEcho(t)
  local srv, addr = st.listener()
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
