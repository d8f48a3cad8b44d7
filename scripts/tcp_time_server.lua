-- tcp_time_server.lua: the TCP time-stamp server of the tutorial. It sends
-- every message back with the time in front: "[Sat Nov 21 07:35:18 2026] hi".
--
--   sockrun scripts/tcp_time_server.lua       (listens on localhost:21567)
--   sockrun scripts/tcp_time_client.lua       (in a second terminal)

local HOST = vars.host or "localhost" -- host name
local PORT = tonumber(vars.port or 21567) -- port number
local BUFSIZE = 1024 -- buffer size, 1K
local ADDR = {HOST, PORT}

-- ctime is Python's time.ctime(): the local time as in
-- "Sat Nov 21 07:35:18 2026", the day padded with a space. os.date's "%c"
-- is that format.
local function ctime()
  return os.date("%c")
end

local tcpSerSock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcpSerSock:bind(ADDR) -- bind the address to the socket
tcpSerSock:listen(5) -- listen: at most 5 connections wait to be accepted

while true do -- loop forever, waiting for connections
  local tcpCliSock -- the client's socket, closed below whatever happens
  -- pcall is the tutorial's try/except: an error with one client (say it
  -- resets the connection) is printed, and the server carries on.
  local ok, e = pcall(function()
    print("Waiting for connection ....")

    local addr
    tcpCliSock, addr = tcpSerSock:accept() -- wait for a client to connect
    print("Connected client from :  " .. tostring(addr))

    while true do
      local data = tcpCliSock:recv(BUFSIZE) -- receive data
      if data == "" then -- the client closed the connection
        break
      else
        print("Client:  " .. data)
      end
      tcpCliSock:send(string.format("[%s] %s", ctime(), data)) -- time stamp
    end
  end)
  -- Close the client's socket on every way out, the error too: Python's
  -- garbage collector closed it for the tutorial; Lua's does not, and a
  -- socket left open after each failed client would use up the
  -- descriptors.
  if tcpCliSock then
    tcpCliSock:close()
  end
  if not ok then
    -- Python's "except Exception" does not catch Ctrl-C: let it end the server.
    if type(e) == "table" and e.class == "KeyboardInterrupt" then
      error(e, 0)
    end
    print("Error:  " .. tostring(e))
  end
end
