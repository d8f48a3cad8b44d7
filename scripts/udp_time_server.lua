-- udp_time_server.lua: the UDP time-stamp server of the tutorial. It sends
-- every datagram back to its sender with the time in front:
-- "[Sat Nov 21 07:35:18 2026] hi". No connections: each datagram carries its
-- sender's address, and the reply goes there.
--
--   sockrun scripts/udp_time_server.lua       (listens on every interface, port 21567)
--   sockrun scripts/udp_time_client.lua       (in a second terminal)

local HOST = vars.host or "" -- host name; "" is every interface
local PORT = tonumber(vars.port or 21567) -- port number
local BUFSIZE = 1024 -- buffer size, 1K
local ADDR = {HOST, PORT}

-- ctime is Python's time.ctime(): the local time as in
-- "Sat Nov 21 07:35:18 2026", the day padded with a space. os.date's "%c"
-- is that format.
local function ctime()
  return os.date("%c")
end

local udpSerSock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udpSerSock:bind(ADDR) -- bind the address to the socket

while true do -- loop forever, waiting for datagrams
  -- pcall is the tutorial's try/except: an error is printed, and the
  -- server carries on.
  local ok, e = pcall(function()
    print("Waiting for message ....")
    -- recvfrom waits for one datagram (at most BUFSIZE bytes of it) and
    -- returns it with the address it came from.
    local data, addr = udpSerSock:recvfrom(BUFSIZE)
    print("Get client msg is:  " .. data)
    udpSerSock:sendto(string.format("[%s] %s", ctime(), data), addr) -- a datagram back to addr
    print("Received from and returned to:  " .. tostring(addr))
  end)
  if not ok then
    -- Python's "except Exception" does not catch Ctrl-C: let it end the server.
    if type(e) == "table" and e.class == "KeyboardInterrupt" then
      error(e, 0)
    end
    print("Error:  " .. tostring(e))
  end
end
