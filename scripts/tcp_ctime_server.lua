-- tcp_ctime_server.lua: the TCP server of the "Socket通信Python实现"
-- tutorial. It answers every message with the current time and the message
-- glued after it: "Sun Dec 16 17:04:10 2018client message".
--
--   sockrun scripts/tcp_ctime_server.lua      (listens on every interface, port 11000)
--   sockrun scripts/tcp_ctime_client.lua      (in a second terminal)

local host = vars.host or "" -- "" is every interface
local port = tonumber(vars.port or 11000)
local ADDR = {host, port}
local BUFSIZ = 1024

-- ctime is Python's time.ctime(): the local time as in
-- "Sat Nov 21 07:35:18 2026", the day padded with a space. os.date's "%c"
-- is that format.
local function ctime()
  return os.date("%c")
end

local tcpSocket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcpSocket:bind(ADDR)
-- set the max number of tcp connection: 5 may wait in the queue for accept
tcpSocket:listen(5)
while true do
  print("waiting for connection...")
  local clientSocket, clientAddr = tcpSocket:accept()
  print(string.format("conneted form: %s", clientAddr.host)) -- the client's IP
  while true do
    -- pcall is the tutorial's try/except IOError around recv: a failed
    -- read (say the client reset the connection) is printed and ends this client.
    local ok, data = pcall(clientSocket.recv, clientSocket, BUFSIZ)
    if not ok then
      -- Ctrl-C is not an IOError in Python: let it end the server.
      if type(data) == "table" and data.class == "KeyboardInterrupt" then
        error(data, 0)
      end
      print(data)
      break
    end
    if data == "" then
      break
    end
    local returnData = ctime() .. data
    -- send fails too if the client has reset the connection meanwhile
    -- (ConnectionResetError, BrokenPipeError): print it and end this
    -- client, as for recv, instead of ending the server.
    local sent, err = pcall(clientSocket.send, clientSocket, returnData)
    if not sent then
      if type(err) == "table" and err.class == "KeyboardInterrupt" then
        error(err, 0)
      end
      print(err)
      break
    end
  end
  clientSocket:close()
end
