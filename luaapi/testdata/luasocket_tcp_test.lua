-- Lua-side tests of the LuaSocket face's TCP objects, written from
-- LuaSocket's reference manual: classes, receive patterns, send ranges,
-- timeouts in both modes, errors returned as nil, message, partial.

local socket = require("socket")

-- pair returns a connected client, the server's end, and the server.
local function pair()
  local server = assert(socket.bind("127.0.0.1", 0))
  local ip, port = server:getsockname()
  local client = assert(socket.connect(ip, port))
  local conn = assert(server:accept())
  return client, conn, server
end

function TestClasses(t)
  local m = socket.tcp()
  t:eq(m.class, "tcp{master}", "a new object")
  t:eq(m:getfd(), -1, "no descriptor before bind or connect")
  assert(tostring(m):match("^tcp{master}: 0x%x+$"), tostring(m))
  t:eq(m.nosuchmethod, nil, "an unknown name is nil, as in LuaSocket")
  local server = assert(socket.bind("127.0.0.1", 0))
  t:eq(server.class, "tcp{server}", "socket.bind")
  local c, conn = pair()
  t:eq(c.class, "tcp{client}", "socket.connect")
  t:eq(conn.class, "tcp{client}", "accept")
  local ok, err = pcall(server.receive, server)
  assert(not ok and tostring(err):find("tcp{client} expected, got tcp{server}", 1, true), tostring(err))
  t:eq(socket.tcp4():getfamily(), "inet4", "tcp4")
  local six = socket.tcp6()
  t:eq(six:getfamily(), "inet6", "tcp6")
  t:eq(six:getoption("ipv6-v6only"), true, "IPv6 only")
  assert(socket.tcp4():getfd() >= 0, "tcp4 has a descriptor at once")
end

function TestMasterBindListenAccept(t)
  local m = socket.tcp()
  t:eq(m:setoption("reuseaddr", true), nil, "no descriptor yet: setoption fails")
  t:eq(m:bind("*", 0), 1, "bind *")
  assert(m:getfd() >= 0)
  local ip, port, family = m:getsockname()
  t:eq(ip, "0.0.0.0", "any address")
  t:eq(type(port), "string", "getsockname's port is a string, as LuaSocket")
  t:eq(family, "inet", "family")
  t:eq(m:listen(4), 1, "listen")
  t:eq(m.class, "tcp{server}", "listen makes a server")
  m:settimeout(0.05)
  local c, err = m:accept()
  t:eq(c, nil); t:eq(err, "timeout", "accept timeout")
  local cl = socket.tcp()
  t:eq(cl:setpeername("127.0.0.1", port), 1, "setpeername is connect")
  local conn = assert(m:accept())
  local pip, pport, pfam = conn:getpeername()
  t:eq(pip, "127.0.0.1"); t:eq(type(pport), "number", "getpeername's port is a number"); t:eq(pfam, "inet")
  local s2 = socket.tcp()
  t:eq(s2:setsockname("127.0.0.1", 0), 1, "setsockname is bind")
end

function TestReceivePatterns(t)
  local c, conn = pair()
  t:eq(c:send("one\r\ntw\ro\nraw bytesend"), 22, "send returns the last index")
  t:eq(conn:receive(), "one", "default *l")
  t:eq(conn:receive("*l"), "two", "every \\r dropped")
  t:eq(conn:receive(3), "raw", "a count")
  t:eq(conn:receive("6", ">"), "> byte", "a numeric string and a prefix; the count includes it")
  t:eq(conn:receive(2, "abc"), "abc", "a prefix as long as the count: nothing read")
  c:close()
  local data, err, partial = conn:receive(10)
  t:eq(data, nil); t:eq(err, "closed"); t:eq(partial, "send", "partial result")
  t:eq(select(2, conn:receive("*a")), "closed", "*a with nothing before the end")
end

function TestReceiveAll(t)
  local c, conn = pair()
  c:send("all of it\nand more")
  c:shutdown("send")
  t:eq(conn:receive("*a"), "all of it\nand more", "*a to the end")
  local d, err, partial = conn:receive("*a")
  t:eq(d, nil); t:eq(err, "closed"); t:eq(partial, "")
  conn:close()
  d, err = conn:receive(0)
  t:eq(err, "closed", "receive on a closed object")
  local ok, perr = pcall(conn.receive, conn, "*x")
  assert(not ok and tostring(perr):find("invalid receive pattern"), tostring(perr))
end

function TestReceiveZeroWaitsForData(t)
  local c, conn = pair()
  c:send("x")
  t:eq(conn:receive(0), "", "receive(0) once a byte is there")
  t:eq(conn:receive(1), "x", "nothing consumed")
end

function TestSendRange(t)
  local c, conn = pair()
  t:eq(c:send("0123456789", 3, 5), 5, "i..j: the last index sent")
  t:eq(c:send("0123456789", -3), 10, "negative i counts from the end")
  t:eq(c:send("abc", 2, -2), 2, "negative j")
  t:eq(c:send("abc", 3, 2), 2, "an empty range sends nothing")
  t:eq(conn:receive(7), "234789b")
end

function TestNonBlockingPartials(t)
  local c, conn = pair()
  conn:settimeout(0)
  c:send("par")
  local line, err, partial = conn:receive("*l")
  t:eq(line, nil); t:eq(err, "timeout"); t:eq(partial, "par", "what came, consumed")
  c:send("tial\n")
  socket.select({conn}, nil, 5)
  t:eq(conn:receive("*l", partial), "partial", "the prefix goes on")
  t:eq(conn:dirty(), false)
  c:send("a\nb\n")
  socket.select({conn}, nil, 5)
  conn:receive()
  t:eq(conn:dirty(), true, "dirty: a line waits in the buffer")
  local r = socket.select({conn}, nil, 0)
  t:eq(r[1], conn, "select counts a dirty object as readable")
  t:eq(r[conn], 1, "and indexes it by object")
end

function TestSendTimeoutPartial(t)
  local c, conn = pair()
  c:setoption("send-buffer-size", 4096)
  c:settimeout(0)
  local big = string.rep("x", 4 * 1024 * 1024)
  local last, err, sent = c:send(big)
  t:eq(last, nil); t:eq(err, "timeout", "a full buffer, non-blocking")
  assert(sent > 0 and sent < #big, "some was sent: " .. tostring(sent))
  conn:settimeout(5)
  local got = assert(conn:receive(sent))
  t:eq(#got, sent)
end

function TestBlockTimeoutIsPerWait(t)
  local c, conn = pair()
  -- The writer sends a byte every 50 ms for 1.2 s; a block timeout of
  -- 0.6 s never passes between two bytes (twelve times the gap, so that a
  -- busy machine's late wake-ups do not reach it), a total timeout of
  -- 0.6 s does.
  thread.spawn(function()
    for _ = 1, 24 do socket.sleep(0.05); c:send("x") end
  end)
  conn:settimeout(0.6)
  local data, err = conn:receive(24)
  t:eq(data, string.rep("x", 24), "block mode: " .. tostring(err))
  t:eq(select(2, conn:gettimeout()), -1, "total unset")
  thread.spawn(function()
    for _ = 1, 24 do socket.sleep(0.05); c:send("y") end
  end)
  conn:settimeout(nil)
  conn:settimeout(0.6, "t")
  local b, tt = conn:gettimeout()
  t:eq(b, -1); t:eq(tt, 0.6, "gettimeout")
  data, err, partial = conn:receive(24)
  t:eq(err, "timeout", "total mode")
  -- Fewer than 24: the total timeout ended the call while the writer
  -- was still sending.
  assert(#partial > 0 and #partial < 24, "partial " .. #partial)
end

function TestShutdownAndStats(t)
  local c, conn = pair()
  c:send("12345")
  t:eq(conn:receive(5), "12345")
  local r, s, age = c:getstats()
  t:eq(r, 0); t:eq(s, 5, "sent"); assert(age >= 0)
  t:eq(conn:getstats(), 5, "received")
  t:eq(c:setstats(10, 20, 100), 1)
  r, s, age = c:getstats()
  t:eq(r, 10); t:eq(s, 20); assert(age >= 100)
  t:eq(c:shutdown("send"), 1)
  t:eq(select(2, conn:receive()), "closed", "the peer sees the end")
  t:eq(c:shutdown(), 1, "both")
  local ok = pcall(c.shutdown, c, "sideways")
  t:eq(ok, false, "an unknown mode is an error")
end

function TestErrors(t)
  -- A port bound and not listening, held for the test: connects to it
  -- are refused.
  local holder = assert(socket.tcp())
  assert(holder:bind("127.0.0.1", 0))
  local _, port = holder:getsockname()
  local c, err = socket.connect("127.0.0.1", port)
  holder:close()
  t:eq(c, nil); t:eq(err, "connection refused")
  c, err = socket.connect("host.invalid", 80)
  t:eq(c, nil); assert(type(err) == "string" and err ~= "", tostring(err))
  c, err = socket.connect("", 80)
  t:eq(err, "host or service not provided, or not known")
  local server = assert(socket.bind("127.0.0.1", 0))
  local ip, port = server:getsockname()
  local s = socket.tcp()
  s:bind("127.0.0.1", 0)
  s:setoption("reuseaddr", false)
  local r, berr = socket.tcp4():bind(ip, port)
  t:eq(r, nil); t:eq(berr, "address already in use")
  local d = assert(socket.bind("127.0.0.1", 0))
  d:setfd(socket.tcp4():getfd())
  local a, aerr = d:accept()
  t:eq(a, nil); t:eq(aerr, "Invalid argument", "accept on a socket not listening")
end

function TestWriteToClosedPeer(t)
  local c, conn = pair()
  conn:close()
  local last, err
  for _ = 1, 100 do
    last, err = c:send(string.rep("z", 65536))
    if not last then break end
  end
  t:eq(err, "closed", "EPIPE / ECONNRESET are closed")
end

function TestCloseAndFd(t)
  local s = socket.tcp4()
  assert(s:getfd() >= 0)
  t:eq(s:close(), 1)
  t:eq(s:getfd(), -1, "closed")
  t:eq(s:close(), 1, "twice is harmless")
  local u = socket.udp4()
  local fd = u:getfd()
  local x = socket.udp()
  x:setfd(fd)
  assert(x:getfd() >= 0 and x:getfd() ~= fd, "a duplicate")
  x:setfd(-1)
  t:eq(x:getfd(), -1, "setfd(-1): none")
end

function TestConnectNonBlocking(t)
  local server = assert(socket.bind("127.0.0.1", 0))
  local c = socket.tcp()
  c:settimeout(0)
  local ok, err = c:connect(server:getsockname(), (select(2, server:getsockname())))
  if not ok then
    t:eq(err, "timeout", "a connect under way")
    local _, w = socket.select(nil, {c}, 5)
    t:eq(w[1], c, "writable once connected")
    ok, err = c:connect(server:getsockname(), (select(2, server:getsockname())))
    assert(ok == 1 or err == "already connected", tostring(err)) -- Linux confirms the first time
  end
  t:eq(c.class, "tcp{client}")
end

function TestOptions(t)
  local c, conn = pair()
  t:eq(c:setoption("tcp-nodelay", true), 1)
  t:eq(c:getoption("tcp-nodelay"), true)
  t:eq(c:setoption("keepalive", true), 1)
  t:eq(c:getoption("keepalive"), true)
  t:eq(c:setoption("linger", {on = true, timeout = 3}), 1)
  local l = c:getoption("linger")
  t:eq(l.on, true); t:eq(l.timeout, 3)
  t:eq(c:setoption("tcp-keepidle", 30), 1)
  t:eq(c:getoption("tcp-keepidle"), 30)
  t:eq(c:setoption("tcp-keepcnt", 4), 1)
  t:eq(c:setoption("tcp-keepintvl", 5), 1)
  t:eq(c:setoption("recv-buffer-size", 65536), 1)
  assert(c:getoption("send-buffer-size") > 0)
  t:eq(c:getoption("error"), nil, "no pending error")
  t:eq(c:setoption("reuseport", true), 1)
  t:eq(c:getoption("reuseaddr"), false)
  local ok, err = pcall(c.setoption, c, "no-such-option", 1)
  assert(not ok and tostring(err):find("unsupported option"), tostring(err))
end

function TestSelect(t)
  local c, conn, server = pair()
  local r, w, err = socket.select({conn}, {c}, 0)
  t:eq(#r, 0); t:eq(w[1], c, "a fresh connection is writable"); t:eq(err, nil)
  r, w, err = socket.select({conn}, nil, 0.05)
  t:eq(#r, 0); t:eq(err, "timeout")
  c:send("x")
  r = socket.select({server, conn}, nil, 5)
  t:eq(r[1], conn); t:eq(r[conn], 1)
  local closed = socket.tcp4(); closed:close()
  r, w, err = socket.select({closed}, nil, 0)
  t:eq(err, "timeout", "closed objects are left out")
  local py = socket.socket()
  r, w = socket.select(nil, {py}, 0)
  t:eq(type(w), "table", "a Python-face socket is taken too")
  r, w, err = socket.select(nil, nil, 0.01)
  t:eq(err, "timeout", "both nil")
  t:eq(pcall(socket.select, "wrong", nil, 0), false, "not a table")
  t:eq(pcall(socket.select, {}, 1, 0), false, "not a table")
  local wrapped = {getfd = function() return conn:getfd() end, dirty = function() return false end}
  c:send("y")
  r = socket.select({wrapped}, nil, 5)
  t:eq(r[1], wrapped, "any value with getfd")
  assert(socket._SETSIZE > 1024, "no 1024 cap")
end

-- The resume loop Copas uses, send(data, last + 1) after a "timeout",
-- delivers every byte once: the partial index is the last byte the kernel
-- took. A peer that closed makes send return nil, "closed" and an index
-- that is never below 0 (the failed system call sent nothing).
function TestSendResumesWhereItStopped(t)
  local c, conn = pair()
  local data = string.rep("0123456789", 800000) -- 8,000,000 bytes
  local reader = thread.spawn(function()
    local got = 0
    while true do
      local chunk, err, partial = conn:receive(65536)
      chunk = chunk or partial
      got = got + #chunk
      if err == "closed" then return got end
    end
  end)
  c:settimeout(0)
  local last, timeouts = 0, 0
  while last < #data do
    local i, err, partial = c:send(data, last + 1)
    if i then
      last = i
    else
      t:eq(err, "timeout", "only timeouts")
      assert(partial >= last, "the index never goes back")
      last, timeouts = partial, timeouts + 1
      socket.select(nil, { c }, 5)
    end
  end
  c:close()
  t:eq(reader:join(), #data, "every byte arrived once")
  assert(timeouts > 0, "the loop met a full buffer")

  local d, e = pair()
  e:close()
  local i, err, partial
  repeat
    i, err, partial = d:send(string.rep("x", 100000))
  until not i
  t:eq(err, "closed", "a closed peer")
  assert(partial >= 0, "the index is never negative: " .. tostring(partial))
  d:close()
end

function TestClassMetatablesInRegistry(t)
  -- The class metatables are made with the first object of each class;
  -- debug.getregistry shows them all, as made when the VM opened.
  local reg = debug.getregistry()
  for _, class in ipairs({"tcp{master}", "tcp{client}", "tcp{server}", "udp{unconnected}", "udp{connected}"}) do
    t:eq(type(reg[class]), "table", class .. "'s metatable in the registry")
    t:eq(reg[class].__index.class, class, class .. "'s class field")
  end
  local s = socket.tcp()
  t:eq(getmetatable(s), reg["tcp{master}"], "a new object's metatable is the registry's")
  s:close()
end
