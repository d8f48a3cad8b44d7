-- line_echo.lua: a thread-per-connection line echo server for the
-- benchmark's long-line row: each client's lines come back whole, and a
-- line may be up to 64 MiB long, so one client can make the server gather
-- a 40 MB line while the others make short round trips.
--
--   sockrun --var port=9000 bench/lua/line_echo.lua
local host = vars.host or "127.0.0.1"
local port = tonumber(vars.port or "9000")
local MAX_LINE = 64 * 1024 * 1024

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({host, port})
server:listen(socket.SOMAXCONN)
print("listening on " .. tostring(server:getsockname()))

local function serve(conn)
  conn:setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
  while true do
    local line = conn:recvline(MAX_LINE)
    if line == nil then break end -- the client closed
    conn:sendall(line .. "\n")
  end
  conn:close()
end

while true do
  local conn = server:accept()
  thread.spawn(serve, conn)
end
