-- udp_print_server.lua: the UDP server of the "How to use socket" tutorial.
-- It prints every datagram it receives and who sent it. It answers nothing.
--
--   sockrun scripts/udp_print_server.lua      (listens on every interface, port 8081)
--   sockrun scripts/udp_input_client.lua      (in a second terminal)

local HOST = vars.host or "" -- "" is every interface
local PORT = tonumber(vars.port or 8081)

local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s:bind({HOST, PORT})
while true do
  -- recvfrom waits for a datagram: up to 1024 bytes of it, and the sender's
  -- address (its IP and the port its socket is bound to).
  local data, host = s:recvfrom(1024)
  print("received:  " .. data .. " from " .. tostring(host))
end
