-- multicast_receiver.lua: join a multicast group and print every datagram
-- sent to it, with its sender. Run several: each one gets every datagram.
--
--   sockrun scripts/multicast_receiver.lua
--   sockrun --var group=239.255.0.1 --var port=45678 --var iface=127.0.0.1 scripts/multicast_receiver.lua
--
-- Send to it with multicast_sender.lua. By default everything stays on
-- this machine: the group is joined on the loopback interface.

local GROUP = vars.group or "239.255.0.1" -- 239.255.0.0/16: for a site's own use
local PORT = tonumber(vars.port or 45678)
local IFACE = vars.iface or "127.0.0.1" -- the interface (by its address) to join on

local sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
-- Several receivers on one machine bind the same port: each gets a copy.
sock:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
-- Bind the port on every address: a multicast datagram is addressed to
-- the group, not to one of this machine's addresses.
sock:bind({"", PORT})

-- Joining is telling the kernel (and the routers) "send me this group's
-- datagrams on that interface": a struct ip_mreq, the group's address
-- then the interface's, 4 bytes each.
local mreq = struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton(IFACE))
sock:setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
print("joined " .. GROUP .. " on " .. IFACE .. ", port " .. sock:getsockname().port)

while true do
  local data, sender = sock:recvfrom(65535)
  print(sender .. ": " .. data)
end
