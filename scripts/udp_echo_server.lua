-- udp_echo_server.lua: a UDP echo server. Every datagram goes straight back
-- to the address it came from, as it came: the UDP twin of
-- tcp_echo_server.lua, and the server of the benchmark's UDP rows.
--
--   sockrun scripts/udp_echo_server.lua
--   sockrun --var host=0.0.0.0 --var port=9000 scripts/udp_echo_server.lua
--
-- Try it with `nc -u 127.0.0.1 10001`: each line you type comes back.

local HOST = vars.host or "127.0.0.1" -- the interface to listen on
local PORT = tonumber(vars.port or 10001) -- the port to listen on

-- A UDP socket: SOCK_DGRAM. No listen, no accept, no connection: datagrams
-- from any client arrive on this one socket, each with its sender's address.
local sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock:bind({HOST, PORT})
print("listening on " .. tostring(sock:getsockname()))

while true do
  -- One datagram of up to 65535 bytes (the most UDP carries), and who sent
  -- it. A longer one would be cut to the size asked, as the kernel does.
  local data, addr = sock:recvfrom(65535)
  -- The reply goes to that sender. A client that has gone away makes the
  -- kernel report ECONNREFUSED on a later call on some systems; that is no
  -- reason to stop serving the others.
  local ok, err = pcall(sock.sendto, sock, data, addr)
  if not ok and err.name ~= "ECONNREFUSED" then
    error(err, 0) -- Ctrl-C, or a real fault: not ours to hide
  end
end
