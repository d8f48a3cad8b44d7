-- udp_input_client.lua: the client of udp_print_server.lua. It prints each
-- line you type and sends it as one datagram, until end of input (Ctrl-D).
-- Nothing comes back: whether the datagram arrived, the client cannot tell.
--
--   sockrun scripts/udp_input_client.lua      (sends to localhost:8081)

local port = tonumber(vars.port or 8081)
local host = vars.host or "localhost"

local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while true do
  local msg = io.read() -- a line of standard input; nil at the end
  if msg == nil then
    break
  end
  print(msg)
  s:sendto(msg, {host, port}) -- one datagram to host:port
end
s:close()
