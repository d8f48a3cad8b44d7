-- Lua-side tests of the error values socket calls raise: their fields,
-- how they print and concatenate, and Python's exception classes.
local st = require("sockettest")

local function refused(t)
  local holder, addr = st.refusing()
  local s = socket.socket()
  local err = st.raises(t, s.connect, s, addr)
  holder:close()
  return err, addr
end

function TestErrorFields(t)
  local err, addr = refused(t)
  t:eq(type(err), "table", "an error value is a table")
  t:eq(err.errno, socket.ECONNREFUSED, "errno")
  t:eq(err.name, "ECONNREFUSED", "name")
  t:eq(err.message, "Connection refused", "message")
  t:eq(err.op, "connect", "op")
  t:eq(err.addr, tostring(addr), "addr")
  t:eq(err.class, "ConnectionRefusedError", "class")
  assert(err.where:find("sockettest%.lua:%d+$"), "where is the script line of the call: " .. err.where)
end

function TestErrorWhere(t)
  local s = socket.socket()
  s:close()
  local ok, err = pcall(function() s:recv(1) end); local _, here = pcall(function() error("here") end)
  t:eq(err.where, here:match("^(.-:%d+):"), "the line of the failing call")
  ok, err = pcall(s.recv, s, 1) -- called by pcall itself: the line of the pcall
  assert(err.where:find("socket_errors_test%.lua:%d+$"), err.where)
end

function TestErrorPrinting(t)
  local err, addr = refused(t)
  local want = "ConnectionRefusedError: [Errno " .. socket.ECONNREFUSED .. "] Connection refused (connect " .. tostring(addr) .. ")"
  t:eq(tostring(err), want, "tostring")
  t:eq("error: " .. err, "error: " .. want, "concatenated after a string")
  t:eq(err .. "!", want .. "!", "concatenated before a string")
  t:eq(err .. 1, want .. "1", "and with a number")
  t:eq(string.format("%s", tostring(err)), want, "string.format of tostring")
  print(err) -- print uses tostring
  t:eq(t:stdout(), want .. "\n", "printed")
  -- an error without an address or an errno prints without them
  local s = socket.socket()
  s:close()
  local e2 = st.raises(t, s.getsockname, s)
  t:eq(e2.addr, nil, "no addr field")
  t:eq(tostring(e2), "OSError: [Errno " .. socket.EBADF .. "] Bad file descriptor (getsockname)", "no address")
  local e3 = st.raises(t, socket.inet_aton, "bad")
  t:eq(e3.errno, 0, "no errno")
  t:eq(e3.name, "", "no name")
  t:eq(tostring(e3), "OSError: illegal IP address string passed to inet_aton (inet_aton bad)", "no [Errno]")
end

-- The usual pattern: pcall, then compare err.name with a name (never the
-- number, which differs between systems); anything else goes on up.
function TestPcallPattern(t)
  local holder, addr = st.refusing()
  local function try_connect(host, port)
    local s = socket.socket()
    local ok, err = pcall(s.connect, s, host, port)
    if not ok then
      s:close()
      if err.name == "ECONNREFUSED" then return "nobody there" end
      error(err, 0)
    end
    return s
  end
  t:eq(try_connect("127.0.0.1", addr.port), "nobody there", "handled")
  holder:close()
  local ok, err = pcall(try_connect, "no-such-host.invalid", 80)
  t:eq(ok, false, "not handled")
  t:eq(err.name, "EAI_NONAME", "the same error value came up")
  t:eq(err.op, "connect", "op")
end

function TestRethrow(t)
  local err = refused(t)
  local ok, again = pcall(error, err)
  t:eq(again, err, "error(err) raises the same value")
  local ok2, wrapped = pcall(function()
    local ok3, inner = pcall(socket.gethostbyname, "no-such-host.invalid")
    error(inner, 0)
  end)
  t:eq(wrapped.name, "EAI_NONAME", "through nested pcalls")
end

-- The classes are Python's OSError subclasses for the errno.
function TestErrorClasses(t)
  local c, conn = st.pair()
  conn:setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, {1, 0})
  conn:close()
  local reset = st.raises(t, c.recv, c, 1)
  local pipe = st.raises(t, c.send, c, "x")
  local s = socket.socket()
  s:setblocking(false)
  local srv = st.listener()
  srv:setblocking(false)
  local blocking = st.raises(t, srv.accept, srv)
  srv:settimeout(0.01)
  local timeout = st.raises(t, srv.accept, srv)
  local missing = st.raises(t, socket.socket(socket.AF_UNIX).connect, socket.socket(socket.AF_UNIX), t:tempdir() .. "/none")
  local gai = st.raises(t, socket.gethostbyname, "no-such-host.invalid")
  local badf = st.raises(t, socket.socket().getpeername, socket.socket())
  local cases = {
    {reset, "ECONNRESET", "ConnectionResetError"},
    {blocking, "EAGAIN", "BlockingIOError"},
    {timeout, "ETIMEDOUT", "TimeoutError"},
    {missing, "ENOENT", "FileNotFoundError"},
    {gai, "EAI_NONAME", "socket.gaierror"},
    {badf, "ENOTCONN", "OSError"},
  }
  for _, case in ipairs(cases) do
    t:eq(case[1].name, case[2], case[2])
    t:eq(case[1].class, case[3], case[2] .. " class")
  end
  assert(pipe.class == "BrokenPipeError" or pipe.class == "ConnectionResetError", pipe.class)
end
