-- cpu_server.lua: a thread-per-connection server whose handler is CPU
-- heavy: for every request it runs a fixed Lua computation, then echoes the
-- request. The benchmark runs it with --workers 1 and --workers 2.
--
--   sockrun --workers 2 --var port=9000 --var iterations=10000 bench/lua/cpu_server.lua
local host = vars.host or "127.0.0.1"
local port = tonumber(vars.port or "9000")
local iterations = tonumber(vars.iterations or "10000")

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({host, port})
server:listen(1024)
local addr = server:getsockname()
print(("worker %d listening on %s:%d"):format(sockrun.worker, addr.host, addr.port))

-- work is the per-request computation: a checksum loop that the VM cannot
-- skip, so every request costs the same.
local function work(n)
  local h = 0
  for i = 1, n do
    h = (h * 31 + i) % 1000003
  end
  return h
end

local function serve(conn)
  while true do
    local data = conn:recv(4096)
    if data == "" then break end
    work(iterations)
    conn:sendall(data)
  end
  conn:close()
end

while true do
  local conn = server:accept()
  thread.spawn(serve, conn)
end
