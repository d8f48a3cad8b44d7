-- tcp_ctime_client.lua: the client of tcp_ctime_server.lua. It sends
-- "client message" N times (the first argument, 3 by default) and prints
-- each reply: the server's time, then the message.
--
--   sockrun scripts/tcp_ctime_client.lua      (connects to 127.0.0.1:11000)
--   sockrun scripts/tcp_ctime_client.lua 10

local serverName = vars.host or "127.0.0.1"
local serverPort = tonumber(vars.port or 11000)
local BUFSIZ = 1024
local ADDR = {serverName, serverPort}
local times = tonumber(arg[1] or 3)

local clientSocket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
clientSocket:connect(ADDR) -- connection-oriented: connect first
for _ = 1, times do
  local data = "client message"
  clientSocket:send(data)
  -- Wait for the reply before sending again: TCP is a byte stream, so two
  -- messages sent back to back could arrive glued in one recv.
  local returnData = clientSocket:recv(BUFSIZ)
  if returnData == "" then -- the server closed the connection
    break
  end
  print(string.format("Return time is:%s", returnData))
end
clientSocket:close()
