-- long_reads.lua: a threaded server for the long-read tests. Each client
-- first sends a line naming what it does next:
--   "line": lines, each answered with its length;
--   "all":  bytes up to the end of its stream, answered with their count;
--   "ping": lines, each answered "pong".
-- --var face=luasocket (the default) serves with LuaSocket's receive("*l")
-- and receive("*a"); --var face=python with recvline(max) and a socket
-- file's read().

local function answer(mode, line)
  return mode == "ping" and "pong\n" or #line .. "\n"
end

if (vars.face or "luasocket") == "luasocket" then
  local ls = require("socket")
  local srv = assert(ls.bind("127.0.0.1", 0))
  local host, port = srv:getsockname()
  print("listening on " .. host .. ":" .. port)
  local function serve(c)
    local mode = c:receive("*l")
    if mode == "all" then
      local all = c:receive("*a")
      c:send(#all .. "\n")
    else
      while true do
        local line = c:receive("*l")
        if not line then break end
        c:send(answer(mode, line))
      end
    end
    c:close()
  end
  while true do
    thread.spawn(serve, (srv:accept()))
  end
else
  local srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
  srv:bind({"127.0.0.1", 0})
  srv:listen(16)
  print("listening on " .. tostring(srv:getsockname()))
  local function serve(c)
    local mode = c:recvline()
    if mode == "all" then
      local all = c:makefile("r"):read()
      c:sendall(#all .. "\n")
    else
      while true do
        local line = c:recvline(1e9)
        if not line then break end
        c:sendall(answer(mode, line))
      end
    end
    c:close()
  end
  while true do
    thread.spawn(serve, (srv:accept()))
  end
end
