-- echo.lua: a thread-per-connection echo server, the benchmark's stand-in
-- for scripts/threaded_echo_server.lua when that script is not there.
--
--   sockrun --var host=127.0.0.1 --var port=9000 bench/lua/echo.lua
local host = vars.host or "127.0.0.1"
local port = tonumber(vars.port or "9000")

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({host, port})
server:listen(4096)
local addr = server:getsockname()
print(("listening on %s:%d"):format(addr.host, addr.port))

local function serve(conn)
  while true do
    local data = conn:recv(4096)
    if data == "" then break end
    conn:sendall(data)
  end
  conn:close()
end

while true do
  local conn = server:accept()
  thread.spawn(serve, conn)
end
