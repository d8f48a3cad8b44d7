-- Lua-side tests of IPv6 sockets over ::1, IPV6_V6ONLY and dual-stack
-- servers.
local st = require("sockettest")

function TestIPv6(t)
  local srv, addr = st.listener("::1", socket.AF_INET6)
  t:eq(addr.host, "::1", "host")
  t:eq(tostring(addr), "[::1]:" .. addr.port, "printed in brackets")
  t:eq(tostring(srv), "<socket fd=" .. srv:fileno() .. ", family=AF_INET6, type=SOCK_STREAM, laddr=[::1]:" .. addr.port .. ">", "tostring")
  local c = socket.socket(socket.AF_INET6)
  c:connect("::1", addr.port)
  local conn, peer = srv:accept()
  t:eq(peer.host, "::1", "peer host")
  t:eq(peer, c:getsockname(), "peer address")
  c:sendall("six")
  t:eq(conn:recv(3), "six", "received")
  local c2 = socket.create_connection({"::1", addr.port})
  t:eq(c2:getpeername(), addr, "create_connection over IPv6")
end

function TestIPv6UDP(t)
  local a = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
  a:bind({"::1", 0})
  local b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
  b:sendto("v6", a:getsockname())
  local data, from = a:recvfrom(10)
  t:eq(data, "v6", "datagram")
  t:eq(from.host, "::1", "sender")
  t:eq(tostring(from), "[::1]:" .. b:getsockname().port, "printed")
end

-- An IPv6 socket on :: takes IPv4 connections too, as ::ffff:a.b.c.d,
-- unless IPV6_V6ONLY is set.
function TestV6Only(t)
  local dual = socket.socket(socket.AF_INET6)
  dual:setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
  t:eq(dual:getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), 0, "off")
  dual:bind("::", 0)
  dual:listen()
  local port = dual:getsockname().port
  local c4 = socket.create_connection({"127.0.0.1", port})
  local _, peer = dual:accept()
  t:eq(peer.host, "::ffff:127.0.0.1", "an IPv4 client, mapped")
  t:eq(peer.port, c4:getsockname().port, "its port")

  local only = socket.socket(socket.AF_INET6)
  only:setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, true)
  t:eq(only:getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), 1, "on")
  only:bind("::", 0)
  only:listen()
  local err = st.raises(t, socket.create_connection, {"127.0.0.1", only:getsockname().port})
  t:eq(err.name, "ECONNREFUSED", "no IPv4 on a V6ONLY socket")
  local c6 = socket.create_connection({"::1", only:getsockname().port})
  t:eq(c6:getpeername().host, "::1", "IPv6 still connects")
end

function TestCreateServerIPv6(t)
  local srv = socket.create_server({"::", 0}, {family = socket.AF_INET6, dualstack_ipv6 = true})
  t:eq(srv:getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), 0, "dual stack")
  local port = srv:getsockname().port
  local c4 = socket.create_connection({"127.0.0.1", port})
  t:eq(select(2, srv:accept()).host, "::ffff:127.0.0.1", "IPv4 client")
  local c6 = socket.create_connection({"::1", port})
  t:eq(select(2, srv:accept()).host, "::1", "IPv6 client")

  local v6 = socket.create_server({"::1", 0}) -- the family follows the literal
  t:eq(v6:getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), 1, "IPv6 only unless dualstack_ipv6")
  t:eq(v6:getsockname().host, "::1", "bound")
end

-- An address of the other family is getaddrinfo's EAI_ADDRFAMILY, as in
-- Python.
function TestFamilyMismatch(t)
  local s6 = socket.socket(socket.AF_INET6)
  local err = st.raises(t, s6.connect, s6, "127.0.0.1", 80)
  t:eq(err.name, "EAI_ADDRFAMILY", "IPv4 address on an IPv6 socket")
  t:eq(err.class, "socket.gaierror", "class")
  t:eq(tostring(err), "socket.gaierror: [Errno -9] Address family for hostname not supported (connect 127.0.0.1:80)", "message")
  local s4 = socket.socket()
  err = st.raises(t, s4.bind, s4, "::1", 0)
  t:eq(err.name, "EAI_ADDRFAMILY", "IPv6 address on an IPv4 socket")
  t:eq(err.addr, "[::1]:0", "the address printed")
  s4:bind("::ffff:127.0.0.1", 0) -- a mapped address is IPv4
  t:eq(s4:getsockname().host, "127.0.0.1", "mapped address")
  local s6b = socket.socket(socket.AF_INET6)
  s6b:bind("", 0)
  t:eq(s6b:getsockname().host, "::", "\"\" is :: for IPv6")
end
