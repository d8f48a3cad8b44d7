-- Lua-side tests of the socket module's functions: create_connection,
-- create_server, name resolution, address conversions, byte order and the
-- constants. There is no network here: names are localhost, literals and
-- .invalid ones, which fail at once.
local st = require("sockettest")

function TestModule(t)
  t:eq(require("socket"), socket, "require gives the global")
  t:eq(socket.has_ipv6, true, "has_ipv6")
end

function TestCreateConnection(t)
  local srv, addr = st.listener()
  local c = socket.create_connection(addr)
  t:eq(c:getpeername(), addr, "connected")
  t:eq(tostring(c):match("family=(%S+),"), "AF_INET", "an IPv4 socket")
  t:eq(c:gettimeout(), nil, "blocking")
  local c2 = socket.create_connection({"localhost", addr.port}, 3)
  t:eq(c2:getpeername(), addr, "by name")
  t:eq(c2:gettimeout(), 3, "the timeout is the socket's")
  local c3 = socket.create_connection("127.0.0.1", addr.port, 1)
  t:eq(c3:gettimeout(), 1, "host, port, timeout")
  srv:close()
  local holder, gone = st.refusing()
  local err = st.raises(t, socket.create_connection, gone)
  holder:close()
  t:eq(err.name, "ECONNREFUSED", "nobody listens")
  t:eq(err.op, "create_connection", "op")
  t:eq(err.addr, tostring(gone), "addr")
  err = st.raises(t, socket.create_connection, {"no-such-host.invalid", 80})
  t:eq(tostring(err), "socket.gaierror: [Errno -2] Name or service not known (create_connection no-such-host.invalid:80)", "unknown host")
  st.misuse(t, "bad argument #1 to 'create_connection' (address expected, got nil)", function() socket.create_connection() end)
  st.misuse(t, "bad argument #2 to 'create_connection' (number or nil expected, got string)", function() socket.create_connection(addr, "5") end)
end

function TestCreateServer(t)
  local srv = socket.create_server({"127.0.0.1", 0})
  local addr = srv:getsockname()
  t:eq(addr.host, "127.0.0.1", "bound")
  t:eq(srv:getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN), 1, "listening")
  t:eq(srv:getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR), 1, "SO_REUSEADDR")
  t:eq(srv:getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT), 0, "no SO_REUSEPORT")
  local c = socket.create_connection(addr)
  local conn, peer = srv:accept()
  t:eq(peer, c:getsockname(), "accepts")

  local rp = socket.create_server({"127.0.0.1", 0}, {reuse_port = true, backlog = 5})
  t:eq(rp:getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT), 1, "reuse_port")
  local twin = socket.create_server(rp:getsockname(), {reuse_port = true})
  t:eq(twin:getsockname(), rp:getsockname(), "two servers on one port")

  local off = socket.create_server({"127.0.0.1", 0}, {reuse_port = 0})
  t:eq(off:getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT), 0, "0 is false, as in Python")

  local any = socket.create_server({"", 0})
  t:eq(any:getsockname().host, "0.0.0.0", "\"\" is any address")
  local named = socket.create_server({"localhost", 0}, {family = socket.AF_INET})
  t:eq(named:getsockname().host, "127.0.0.1", "a name")

  local err = st.raises(t, socket.create_server, addr)
  t:eq(err.name, "EADDRINUSE", "the port is taken")
  t:eq(err.op, "create_server", "op")
  err = st.raises(t, socket.create_server, {"no-such-host.invalid", 0})
  t:eq(err.name, "EAI_NONAME", "unknown host")
  st.misuse(t, "bad argument #2 to 'create_server' (unknown option reuseport", function()
    socket.create_server({"127.0.0.1", 0}, {reuseport = true})
  end)
  st.misuse(t, "bad argument #2 to 'create_server' (family must be AF_INET or AF_INET6)", function()
    socket.create_server({"127.0.0.1", 0}, {family = socket.AF_UNIX})
  end)
  st.misuse(t, "bad argument #2 to 'create_server' (dualstack_ipv6 requires the AF_INET6 family)", function()
    socket.create_server({"127.0.0.1", 0}, {dualstack_ipv6 = true})
  end)
  st.misuse(t, "bad argument #2 to 'create_server' (option backlog must be a number, got string)", function()
    socket.create_server({"127.0.0.1", 0}, {backlog = "many"})
  end)
  st.misuse(t, "bad argument #2 to 'create_server' (options table expected, got number)", function()
    socket.create_server({"127.0.0.1", 0}, 5)
  end)
end

function TestGethostbyname(t)
  t:eq(socket.gethostbyname("localhost"), "127.0.0.1", "localhost")
  t:eq(socket.gethostbyname("127.0.0.1"), "127.0.0.1", "a literal")
  t:eq(socket.gethostbyname("127.1"), "127.0.0.1", "inet_aton's form")
  t:eq(socket.gethostbyname(""), "0.0.0.0", "\"\" is any address")
  t:eq(socket.gethostbyname("<broadcast>"), "255.255.255.255", "<broadcast>")
  local err = st.raises(t, socket.gethostbyname, "no-such-host.invalid")
  t:eq(tostring(err), "socket.gaierror: [Errno -2] Name or service not known (gethostbyname no-such-host.invalid)", "printed")
  t:eq(err.name, "EAI_NONAME", "name")
  t:eq(err.errno, socket.EAI_NONAME, "errno")
  t:eq(err.class, "socket.gaierror", "class")
  err = st.raises(t, socket.gethostbyname, "::1")
  t:eq(err.name, "EAI_ADDRFAMILY", "IPv4 only")
  st.misuse(t, "bad argument #1 to 'gethostbyname' (string expected, got nil)", function() socket.gethostbyname() end)
end

function TestGethostbynameEx(t)
  local name, aliases, addrs = socket.gethostbyname_ex("localhost")
  assert(name:find("localhost"), "canonical name: " .. name)
  t:eq(type(aliases), "table", "aliases")
  t:eq(addrs[1], "127.0.0.1", "addresses")
  name, aliases, addrs = socket.gethostbyname_ex("127.0.0.1")
  t:eq(name, "127.0.0.1", "a literal is its own name")
  t:eq(#aliases, 0, "no aliases")
  t:eq(#addrs, 1, "one address")
  local err = st.raises(t, socket.gethostbyname_ex, "no-such-host.invalid")
  t:eq(err.name, "EAI_NONAME", "unknown host")
  t:eq(err.op, "gethostbyname_ex", "op")
end

function TestGethostname(t)
  local name = socket.gethostname()
  t:eq(type(name), "string", "a string")
  assert(#name > 0 and not name:find("%s"), "a host name: " .. name)
end

function TestGetfqdn(t)
  local fqdn = socket.getfqdn()
  assert(type(fqdn) == "string" and #fqdn > 0, "this host's name")
  t:eq(socket.getfqdn("no-such-host.invalid"), "no-such-host.invalid", "a name that does not resolve is returned as is")
  assert(socket.getfqdn("localhost"):find("^localhost"), "localhost")
  assert(socket.getfqdn("127.0.0.1"):find("localhost"), "127.0.0.1's name: " .. socket.getfqdn("127.0.0.1"))
end

-- getaddrinfo returns Python's 5-tuples as tables, read by index or name.
function TestGetaddrinfo(t)
  local r = socket.getaddrinfo("localhost", 80, socket.AF_INET)
  t:eq(#r, 3, "one entry per socket type")
  local kinds = {}
  for i, e in ipairs(r) do
    t:eq(e.family, socket.AF_INET, "family")
    t:eq(e[1], e.family, "[1] is the family")
    t:eq(e[2], e.type, "[2] is the type")
    t:eq(e[3], e.proto, "[3] is the protocol")
    t:eq(e[4], "", "no canonical name")
    t:eq(e.canonname, "", "canonname")
    t:eq(e[5], e.addr, "[5] is the address")
    t:eq(e.addr.host, "127.0.0.1", "host")
    t:eq(e.addr.port, 80, "port")
    t:eq(tostring(e.addr), "127.0.0.1:80", "printed")
    kinds[e.type] = e.proto
  end
  t:eq(kinds[socket.SOCK_STREAM], socket.IPPROTO_TCP, "TCP")
  t:eq(kinds[socket.SOCK_DGRAM], socket.IPPROTO_UDP, "UDP")
  t:eq(kinds[socket.SOCK_RAW], 0, "raw")

  r = socket.getaddrinfo("127.0.0.1", "http", 0, socket.SOCK_STREAM)
  t:eq(#r, 1, "filtered by type")
  t:eq(r[1].addr.port, 80, "a service name")
  r = socket.getaddrinfo("127.0.0.1", "8080", 0, 0, socket.IPPROTO_UDP)
  t:eq(#r, 1, "filtered by protocol")
  t:eq(r[1].type, socket.SOCK_DGRAM, "UDP")
  t:eq(r[1].addr.port, 8080, "a numeric string port")
  r = socket.getaddrinfo("::1", nil, socket.AF_INET6, socket.SOCK_STREAM)
  t:eq(r[1].family, socket.AF_INET6, "IPv6")
  t:eq(tostring(r[1].addr), "[::1]:0", "no port is 0")
  -- the address works for connect
  local srv, addr = st.listener()
  local e = socket.getaddrinfo("localhost", addr.port, socket.AF_INET, socket.SOCK_STREAM)[1]
  local c = socket.socket(e.family, e.type, e.proto)
  c:connect(e.addr)
  t:eq(c:getpeername(), addr, "connect to what getaddrinfo found")
end

function TestGetaddrinfoFlags(t)
  local function hosts(r)
    local list = {}
    for _, e in ipairs(r) do list[#list + 1] = e.addr.host end
    return table.concat(list, " ")
  end
  t:eq(hosts(socket.getaddrinfo(nil, 80, 0, socket.SOCK_STREAM)), "::1 127.0.0.1", "no host: the loopback addresses")
  t:eq(hosts(socket.getaddrinfo(nil, 80, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)), "0.0.0.0 ::", "AI_PASSIVE: the any addresses")
  t:eq(hosts(socket.getaddrinfo(nil, 80, socket.AF_INET, socket.SOCK_STREAM)), "127.0.0.1", "of one family")
  local r = socket.getaddrinfo("localhost", 80, socket.AF_INET, 0, 0, socket.AI_CANONNAME)
  assert(r[1].canonname:find("localhost"), "AI_CANONNAME: " .. r[1].canonname)
  t:eq(r[2].canonname, "", "only on the first entry")
  r = socket.getaddrinfo("127.0.0.1", 80, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
  t:eq(r[1].canonname, "127.0.0.1", "a literal's canonical name")
  r = socket.getaddrinfo("127.0.0.1", 80, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
  t:eq(#r, 1, "AI_NUMERICHOST with a literal")
  local err = st.raises(t, socket.getaddrinfo, "localhost", 80, 0, 0, 0, socket.AI_NUMERICHOST)
  t:eq(err.name, "EAI_NONAME", "AI_NUMERICHOST with a name")
  r = socket.getaddrinfo("127.0.0.1", 80, 0, socket.SOCK_SEQPACKET)
  t:eq(r[1].proto, 132, "SCTP for SOCK_SEQPACKET, as glibc answers")
end

function TestGetaddrinfoErrors(t)
  local err = st.raises(t, socket.getaddrinfo, "no-such-host.invalid", 80)
  t:eq(tostring(err), "socket.gaierror: [Errno -2] Name or service not known (getaddrinfo no-such-host.invalid)", "unknown host")
  t:eq(err.errno, -2, "a negative errno, as Python's gaierror")
  err = st.raises(t, socket.getaddrinfo, "localhost", "no-such-service")
  t:eq(err.name, "EAI_SERVICE", "unknown service")
  t:eq(tostring(err), "socket.gaierror: [Errno -8] Servname not supported for ai_socktype (getaddrinfo no-such-service)", "printed")
  err = st.raises(t, socket.getaddrinfo, "127.0.0.1", "http", 0, socket.SOCK_RAW)
  t:eq(err.name, "EAI_SERVICE", "a service for raw sockets")
  err = st.raises(t, socket.getaddrinfo, "127.0.0.1", 80, socket.AF_INET6)
  t:eq(err.name, "EAI_ADDRFAMILY", "a literal of the other family")
  t:eq(err.errno, socket.EAI_ADDRFAMILY, "errno")
  err = st.raises(t, socket.getaddrinfo, "127.0.0.1", 80, socket.AF_UNIX)
  t:eq(err.name, "EAI_FAMILY", "AF_UNIX")
  err = st.raises(t, socket.getaddrinfo, nil, nil)
  t:eq(err.name, "EAI_NONAME", "neither host nor port")
  err = st.raises(t, socket.getaddrinfo, "", 80)
  t:eq(err.name, "EAI_NONAME", "\"\" is no host for getaddrinfo")
  st.misuse(t, "bad argument #2 to 'getaddrinfo' (port must be a number 0-65535, got 70000)", function() socket.getaddrinfo("localhost", 70000) end)
  st.misuse(t, "bad argument #1 to 'getaddrinfo' (string or nil expected, got table)", function() socket.getaddrinfo({}, 80) end)
  st.misuse(t, "bad argument #2 to 'getaddrinfo' (number, string or nil expected, got boolean)", function() socket.getaddrinfo("localhost", true) end)
end

function TestInetPtonNtop(t)
  t:eq(socket.inet_pton(socket.AF_INET, "1.2.3.4"), "\1\2\3\4", "IPv4")
  t:eq(socket.inet_ntop(socket.AF_INET, "\127\0\0\1"), "127.0.0.1", "back")
  local six = socket.inet_pton(socket.AF_INET6, "::1")
  t:eq(#six, 16, "16 bytes")
  t:eq(six, string.rep("\0", 15) .. "\1", "::1")
  t:eq(socket.inet_ntop(socket.AF_INET6, six), "::1", "back")
  t:eq(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, "2001:db8:0:0:0:0:0:1")), "2001:db8::1", "compressed")
  t:eq(socket.inet_pton(socket.AF_INET6, "::ffff:1.2.3.4"), string.rep("\0", 10) .. "\255\255\1\2\3\4", "mapped")
  t:eq(socket.inet_ntop(socket.AF_INET6, string.rep("\0", 10) .. "\255\255\1\2\3\4"), "::ffff:1.2.3.4", "mapped back")
  -- The C library's forms, as python3 prints them: an IPv4-compatible
  -- address ends in dotted decimal, other embeddings stay hex.
  for text, want in pairs({
    ["::1.2.3.4"] = "::1.2.3.4", ["::0.0.1.2"] = "::102", ["::2"] = "::2", ["::ffff"] = "::ffff",
    ["::ffff:0.0.0.0"] = "::ffff:0.0.0.0", ["::ffff:0:1.2.3.4"] = "::ffff:0:102:304",
    ["1::1.2.3.4"] = "1::102:304", ["::fffe:1.2.3.4"] = "::fffe:102:304",
  }) do
    t:eq(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text)), want, text)
  end
  t:eq(socket.getaddrinfo("::1.2.3.4", 80)[1].addr[1], "::1.2.3.4", "getaddrinfo's address")
  t:eq(socket.getnameinfo({"::1.2.3.4", 80}, socket.NI_NUMERICHOST), "::1.2.3.4", "getnameinfo's")
  for _, bad in ipairs({{socket.AF_INET, "1.2.3"}, {socket.AF_INET, "01.2.3.4"}, {socket.AF_INET, "1.2.3.4 "},
      {socket.AF_INET, "::1"}, {socket.AF_INET6, "1.2.3.4"}, {socket.AF_INET6, "fe80::1%lo"}, {socket.AF_INET6, "nonsense"}}) do
    local err = st.raises(t, socket.inet_pton, bad[1], bad[2])
    t:eq(tostring(err), "OSError: illegal IP address string passed to inet_pton (inet_pton " .. bad[2] .. ")", bad[2])
  end
  local err = st.raises(t, socket.inet_pton, socket.AF_UNIX, "1.2.3.4")
  t:eq(err.name, "EAFNOSUPPORT", "an unknown family")
  st.misuse(t, "bad argument #2 to 'inet_ntop' (invalid length of packed IP address string)", function() socket.inet_ntop(socket.AF_INET, "\1\2\3") end)
  st.misuse(t, "bad argument #1 to 'inet_ntop' (unknown address family 99)", function() socket.inet_ntop(99, "\1\2\3\4") end)
end

function TestInetAtonNtoa(t)
  local cases = {
    ["1.2.3.4"] = "\1\2\3\4", ["127.1"] = "\127\0\0\1", ["1.2.3"] = "\1\2\0\3", ["0x7f.1"] = "\127\0\0\1",
    ["010.1"] = "\8\0\0\1", ["1"] = "\0\0\0\1", ["4294967295"] = "\255\255\255\255", ["1.2.3.4 junk"] = "\1\2\3\4",
  }
  for text, packed in pairs(cases) do
    t:eq(socket.inet_aton(text), packed, text)
  end
  for _, bad in ipairs({"", "bad", "256.1.1.1", "4294967296", "1.2.3.4.5", "0x", "08", "1..2"}) do
    local err = st.raises(t, socket.inet_aton, bad)
    local at = bad == "" and "" or " " .. bad
    t:eq(tostring(err), "OSError: illegal IP address string passed to inet_aton (inet_aton" .. at .. ")", bad)
  end
  t:eq(socket.inet_ntoa("\127\0\0\1"), "127.0.0.1", "inet_ntoa")
  t:eq(socket.inet_ntoa(socket.inet_aton("10.20.30.40")), "10.20.30.40", "round trip")
  st.misuse(t, "bad argument #1 to 'inet_ntoa' (packed IP wrong length for inet_ntoa)", function() socket.inet_ntoa("\1\2\3") end)
end

function TestByteOrder(t)
  local big = socket.htons(1) == 1
  t:eq(socket.htons(0x1234), big and 0x1234 or 0x3412, "htons")
  t:eq(socket.ntohs(socket.htons(0x1234)), 0x1234, "ntohs undoes htons")
  t:eq(socket.htonl(0x01020304), big and 0x01020304 or 0x04030201, "htonl")
  t:eq(socket.ntohl(socket.htonl(0xdeadbeef)), 0xdeadbeef, "ntohl undoes htonl")
  -- network order is the order of inet_aton's bytes
  local b1, b2, b3, b4 = socket.inet_aton("1.2.3.4"):byte(1, 4)
  local asHost = big and (((b1 * 256 + b2) * 256 + b3) * 256 + b4) or (((b4 * 256 + b3) * 256 + b2) * 256 + b1)
  t:eq(socket.ntohl(asHost), 0x01020304, "the bytes of 1.2.3.4")
  st.misuse(t, "bad argument #1 to 'htons' (number 0-65535 expected, got 70000)", function() socket.htons(70000) end)
  st.misuse(t, "bad argument #1 to 'ntohs' (number 0-65535 expected, got -1)", function() socket.ntohs(-1) end)
  st.misuse(t, "bad argument #1 to 'htonl' (number 0-4294967295 expected, got 4294967296)", function() socket.htonl(4294967296) end)
  st.misuse(t, "bad argument #1 to 'ntohl' (number expected, got nil)", function() socket.ntohl() end)
end

function TestConstants(t)
  local names = {
    "AF_UNSPEC", "AF_INET", "AF_INET6", "AF_UNIX", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET", "SOCK_RAW",
    "SOL_SOCKET", "SO_REUSEADDR", "SO_REUSEPORT", "SO_KEEPALIVE", "SO_BROADCAST", "SO_RCVBUF", "SO_SNDBUF",
    "SO_LINGER", "SO_ERROR", "SO_TYPE", "SO_RCVTIMEO", "SO_SNDTIMEO", "SO_ACCEPTCONN",
    "IPPROTO_IP", "IPPROTO_TCP", "IPPROTO_UDP", "IPPROTO_IPV6", "IPPROTO_ICMP", "IPPROTO_ICMPV6", "IPPROTO_RAW",
    "TCP_NODELAY", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "IPV6_V6ONLY", "IP_TTL", "IP_MULTICAST_TTL",
    "SHUT_RD", "SHUT_WR", "SHUT_RDWR", "MSG_PEEK", "MSG_WAITALL", "MSG_DONTWAIT", "MSG_OOB", "SOMAXCONN",
    "AI_PASSIVE", "AI_CANONNAME", "AI_NUMERICHOST",
    "EAI_NONAME", "EAI_AGAIN", "EAI_FAIL", "EAI_FAMILY", "EAI_SERVICE", "EAI_ADDRFAMILY",
  }
  for _, name in ipairs(names) do
    t:eq(type(socket[name]), "number", name)
  end
  -- Linux's values, which Python shows too
  t:eq(socket.AF_INET, 2, "AF_INET")
  t:eq(socket.AF_INET6, 10, "AF_INET6")
  t:eq(socket.AF_UNIX, 1, "AF_UNIX")
  t:eq(socket.SOCK_STREAM, 1, "SOCK_STREAM")
  t:eq(socket.SOCK_DGRAM, 2, "SOCK_DGRAM")
  t:eq(socket.SHUT_WR, 1, "SHUT_WR")
  t:eq(socket.EAI_NONAME, -2, "EAI_NONAME")
end

-- Every errno is a constant named as Python's errno module names it, and
-- socket.errorcode maps the number back to the name.
function TestErrnoNames(t)
  local n = 0
  for errno, name in pairs(socket.errorcode) do
    t:eq(socket[name], errno, name)
    n = n + 1
  end
  assert(n > 100, "errorcode has every errno: " .. n)
  t:eq(socket.errorcode[socket.ECONNREFUSED], "ECONNREFUSED", "ECONNREFUSED")
  t:eq(socket.errorcode[socket.EAGAIN], "EAGAIN", "EAGAIN")
  t:eq(socket.EWOULDBLOCK, socket.EAGAIN, "EWOULDBLOCK is an alias")
  t:eq(socket.EOPNOTSUPP, socket.ENOTSUP, "EOPNOTSUPP is an alias")
  t:eq(socket.errorcode[socket.EDEADLK], "EDEADLOCK", "Python's name for 35")
  for _, name in ipairs({"EPERM", "ENOENT", "EINTR", "EBADF", "EACCES", "EINVAL", "EPIPE", "EADDRINUSE",
      "EADDRNOTAVAIL", "ENETUNREACH", "ECONNABORTED", "ECONNRESET", "EISCONN", "ENOTCONN", "ETIMEDOUT",
      "ECONNREFUSED", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "EMSGSIZE", "EAFNOSUPPORT"}) do
    t:eq(socket.errorcode[socket[name]], name, name)
  end
  t:eq(socket.errorcode[0], nil, "0 is no error")
end
