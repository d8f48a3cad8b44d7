-- udp_time_client.lua: the client of udp_time_server.lua. It sends each line
-- you type as a datagram and prints the time-stamped reply; an empty line
-- (or end of input) ends it.
--
--   sockrun scripts/udp_time_client.lua       (sends to localhost:21567)

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

-- A UDP socket: no connect, each sendto names where the datagram goes.
local udpCliSock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

while true do
  local data = input(">")
  if data == nil or data == "" then -- end of input, or an empty line
    break
  end
  -- pcall is the tutorial's try/except: an error is printed, and the loop
  -- goes on.
  local ok, e = pcall(function()
    udpCliSock:sendto(data, ADDR) -- send the datagram; the kernel picks our port
    -- Wait for the reply; like the tutorial, remember where it came from
    -- and send the next datagram there.
    data, ADDR = udpCliSock:recvfrom(BUFSIZE)
  end)
  if not ok then
    -- Python's "except Exception" does not catch Ctrl-C: let it end the client.
    if type(e) == "table" and e.class == "KeyboardInterrupt" then
      error(e, 0)
    end
    print("Error:  " .. tostring(e))
  elseif data == "" then -- an empty datagram came back
    break
  else
    print("Server :  " .. data)
  end
end

udpCliSock:close() -- close the client socket
