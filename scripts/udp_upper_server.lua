-- udp_upper_server.lua: the UDP server of the "Socket通信Python实现" tutorial
-- (after Computer Networking: A Top-Down Approach). It answers every
-- datagram with its text in upper case.
--
--   sockrun scripts/udp_upper_server.lua      (listens on every interface, port 12000)
--   sockrun scripts/udp_upper_client.lua      (in a second terminal)

local serverName = vars.host or "" -- "" is every interface
local serverPort = tonumber(vars.port or 12000)

-- A UDP socket: SOCK_DGRAM. No listen, no accept: datagrams just arrive.
local serverSocket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

-- upper is Python's str.upper for the letters of ASCII and Latin-1 in
-- UTF-8: Lua's string.upper, as C's toupper, upper-cases ASCII letters
-- only, so the two-byte letters à to þ (but ÷) become À to Þ here.
local function upper(s)
  return (string.upper(s):gsub("\195([\160-\190])", function(c)
    if c ~= "\183" then return "\195" .. string.char(c:byte() - 32) end
  end))
end

serverSocket:bind({serverName, serverPort})
print("Waiting for connection...")
while true do
  -- One datagram, up to 2048 bytes, and the address of the client that sent it.
  local message, clientAddress = serverSocket:recvfrom(2048)
  print("Receive Message: " .. message)
  -- Upper case, as Python's message.upper() (é becomes É).
  local modifiedMessage = upper(message)
  serverSocket:sendto(modifiedMessage, clientAddress) -- the reply goes back to the sender
end
