-- multicast_sender.lua: send each line typed (or piped in) as one datagram
-- to a multicast group: every receiver that joined it gets it.
--
--   sockrun scripts/multicast_sender.lua
--   printf 'hello\nworld\n' | sockrun --var group=239.255.0.1 scripts/multicast_sender.lua
--
-- By default the datagrams never leave this machine: they go out on the
-- loopback interface with a time-to-live of 0. `--var ttl=1` lets them
-- reach the local network (with `--var iface=` an address of the
-- interface to send on).

local GROUP = vars.group or "239.255.0.1"
local PORT = tonumber(vars.port or 45678)
local IFACE = vars.iface or "127.0.0.1"
local TTL = tonumber(vars.ttl or 0)

local sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
-- Which interface the datagrams go out on, by its address.
sock:setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(IFACE))
-- How many routers they may cross: 0 keeps them on this host, 1 on the
-- local network.
sock:setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, TTL)
-- Deliver a copy to receivers on this machine too.
sock:setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)

local sent = 0
for line in io.lines() do
  sock:sendto(line, {GROUP, PORT})
  sent = sent + 1
end
print("sent " .. sent .. " datagrams to " .. GROUP .. ":" .. PORT)
