-- copas_echo.lua: the LuaSocket + Copas reference servers of the benchmark,
-- for luajit and lua5.1 (Debian's lua-socket and lua-copas): a TCP echo
-- server (a Copas coroutine per connection, each receiving what has arrived,
-- up to 4096 bytes, and sending it back) or a UDP echo server.
--
--   luajit bench/lua/copas_echo.lua tcp 127.0.0.1 0
--   lua5.1 bench/lua/copas_echo.lua udp 127.0.0.1 0
--
-- It prints "listening on HOST:PORT" once it serves.
local socket = require("socket")
local copas = require("copas")

local proto, host, port = arg[1] or "tcp", arg[2] or "127.0.0.1", tonumber(arg[3] or 0)

local function listening(s)
  local ip, p = s:getsockname()
  print("listening on " .. ip .. ":" .. p)
  io.stdout:flush()
end

if proto == "tcp" then
  local srv = assert(socket.bind(host, port, 1024))
  listening(srv)
  copas.addserver(srv, function(c)
    local raw = c.socket or c
    raw:setoption("tcp-nodelay", true)
    while true do
      -- receivePartial returns as soon as some bytes arrived: the whole
      -- 4096 (s), or fewer (part, with err "timeout" or "closed").
      local s, err, part = copas.receivePartial(raw, 4096)
      local data = s or part
      if data and #data > 0 then
        copas.send(raw, data)
      end
      if not s and err ~= "timeout" then
        break
      end
    end
    raw:close()
  end)
else
  local srv = assert(socket.udp())
  assert(srv:setsockname(host, port))
  listening(srv)
  copas.addserver(srv, function(c)
    while true do
      local data, ip, p = c:receivefrom(65535)
      if data then
        c:sendto(data, ip, p)
      end
    end
  end)
end
copas.loop()
