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

-- A name a module does not have raises, as Python's "module 'socket' has
-- no attribute ...", with the closest name the module has: read as nil, a
-- misspelt constant chose a default (SOCK_DGRAN made a TCP socket) and a
-- misspelt function failed later as "attempt to call a nil value".
function TestModuleMissingName(t)
  st.misuse(t, "module 'socket' has no field 'create_conection'; did you mean 'create_connection'?",
    function() return socket.create_conection({"127.0.0.1", 9}) end)
  st.misuse(t, "module 'socket' has no field 'SOCK_DGRAN'; did you mean 'SOCK_DGRAM'?",
    function() return socket.socket(socket.AF_INET, socket.SOCK_DGRAN) end)
  st.misuse(t, "module 'thread' has no field 'spwan'; did you mean 'spawn'?", function() thread.spwan(print) end)
  st.misuse(t, "module 'ssl' has no field 'wrap_socket'; 'wrap_socket' is a method of SSLContext objects: ctx:wrap_socket(sock [, options])",
    function() return ssl.wrap_socket end)
  st.misuse(t, "module 'ssl' has no field 'wrap_sockett'; did you mean the method 'wrap_socket' of SSLContext objects",
    function() return ssl.wrap_sockett end)
  st.misuse(t, "module 'socket' has no field 'recv'; 'recv' is a method of socket objects: sock:recv(bufsize [, flags])",
    function() return socket.recv end)
  st.misuse(t, "module 'shared' has no field 'gett'; did you mean 'get'?", function() return shared.gett end)
  st.misuse(t, "module 'signal' has no field 'SIGNT'; did you mean 'SIGINT'?", function() return signal.SIGNT end)
  st.misuse(t, "module 'struct' has no field 'pak'; did you mean 'pack'?", function() return struct.pak end)
  st.misuse(t, "module 'bit' has no field 'bnad'; did you mean 'band'?", function() return bit.bnad end)
  st.misuse(t, "module 'json' has no field 'encod'; did you mean 'encode'?", function() return json.encod end)
  st.misuse(t, "module 'sockrun' has no field 'verison'; did you mean 'version'?", function() return sockrun.verison end)
  st.misuse(t, "module 'select' has no field 'selec'; did you mean 'select'?", function() return require("select").selec end)
  st.misuse(t, "module 'socket.dns' has no field 'toipp'; did you mean 'toip'?", function() return socket.dns.toipp end)
  st.misuse(t, "module 'socket.unix' has no field 'stram'; did you mean 'stream'?", function() return socket.unix.stram end)
  st.misuse(t, "module 'mime.core' has no field 'b46'; did you mean 'b64'?", function() return require("mime.core").b46 end)
  st.misuse(t, "module 'socket' has no field 'xyzzy'", function() return socket.xyzzy end)
  -- What a script or a library may still do: ask with rawget, read what
  -- LuaSocket's own tests probe, add a name of its own.
  t:eq(rawget(socket, "xyzzy"), nil, "rawget never raises")
  t:eq(socket._DEBUG, nil, "socket._DEBUG, which LuaSocket's test client probes, reads as nil")
  t:eq(socket.__index, nil, "a name with two underscores reads as nil")
  t:eq(socket[1], nil, "a key that is not a name reads as nil")
  socket.my_helper = 42
  t:eq(socket.my_helper, 42, "a name the script set")
  socket.my_helper = nil
  -- The modules that can be called still can.
  t:eq(require("select")("#", 1, 2), 2, "select module called as Lua's select")
end
