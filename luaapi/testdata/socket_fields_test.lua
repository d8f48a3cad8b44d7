-- Lua-side tests of what a socket object answers besides its methods:
-- the fields family, type and proto, and the error a missing method
-- raises.
local st = require("sockettest")

function TestSocketFields(t)
  local s = socket.socket()
  t:eq(s.family, socket.AF_INET, "family")
  t:eq(s.type, socket.SOCK_STREAM, "type")
  t:eq(s.proto, 0, "proto")
  local u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
  t:eq(u.family, socket.AF_INET6, "family of a UDP socket")
  t:eq(u.type, socket.SOCK_DGRAM, "type of a UDP socket")
  t:eq(u.proto, socket.IPPROTO_UDP, "proto given")
  local srv = st.listener()
  local c = socket.create_connection(srv:getsockname())
  local conn = srv:accept()
  t:eq(conn.family, socket.AF_INET, "an accepted socket's family")
  t:eq(conn.type, socket.SOCK_STREAM, "and type")
  c:close(); conn:close()
  t:eq(conn.family, socket.AF_INET, "fields stay after close")
  st.misuse(t, "cannot set 'family' of a socket: its fields are read-only", function() s.family = 7 end)
end

function TestMissingMethod(t)
  local s = socket.socket()
  st.misuse(t, "socket object has no method 'makefile_x'; did you mean 'makefile'?", function() s:makefile_x() end)
  st.misuse(t, "socket object has no method 'recvlin'; did you mean 'recvline'?", function() s:recvlin() end)
  st.misuse(t, "socket object has no method 'sendAll'; did you mean 'sendall'?", function() s:sendAll("x") end)
  st.misuse(t, "socket object has no method 'frobnicate'", function() s:frobnicate() end)
  st.misuse(t, "queue object has no method 'gett'; did you mean 'get'?", function() thread.queue():gett() end)
end
