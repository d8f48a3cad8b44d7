-- tcp_time_client.lua: the client of tcp_time_server.lua. It sends each line
-- you type and prints the time-stamped reply; an empty line (or end of
-- input) ends it.
--
--   sockrun scripts/tcp_time_client.lua       (connects to localhost:21567)

local HOST = vars.host or "localhost" -- host name
local PORT = tonumber(vars.port or 21567) -- port number, the server's
local BUFSIZE = 1024 -- buffer size, 1K
local ADDR = {HOST, PORT}

-- input is Python's input(prompt): it writes the prompt (no newline) and
-- reads a line of standard input; nil at end of input.
local function input(prompt)
  io.write(prompt)
  return io.read()
end

local tcpCliSock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcpCliSock:connect(ADDR) -- connect to the server

while true do
  local data = input(">")
  if data == nil or data == "" then -- end of input, or an empty line
    break
  end
  -- pcall is the tutorial's try/except: an error (say the server reset
  -- the connection) is printed, and the loop goes on.
  local ok, reply = pcall(function()
    tcpCliSock:send(data) -- send the data
    return tcpCliSock:recv(BUFSIZE) -- receive the reply
  end)
  if not ok then
    -- Python's "except Exception" does not catch Ctrl-C: let it end the client.
    if type(reply) == "table" and reply.class == "KeyboardInterrupt" then
      error(reply, 0)
    end
    print("Error:  " .. tostring(reply))
  elseif reply == "" then -- the server closed the connection
    break
  else
    print("Server:  " .. reply)
  end
end

tcpCliSock:close() -- close the client socket
