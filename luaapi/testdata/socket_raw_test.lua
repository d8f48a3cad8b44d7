-- Lua-side test of SOCK_RAW: an ICMP echo to 127.0.0.1 when the test may
-- open raw sockets (root, or CAP_NET_RAW), else the PermissionError a
-- script gets without the privilege.
local st = require("sockettest")

-- checksum is the Internet checksum of s (RFC 1071).
local function checksum(s)
  local sum = 0
  for i = 1, #s - 1, 2 do sum = sum + s:byte(i) * 256 + s:byte(i + 1) end
  if #s % 2 == 1 then sum = sum + s:byte(#s) * 256 end
  while sum > 0xffff do sum = sum % 0x10000 + math.floor(sum / 0x10000) end
  return 0xffff - sum
end

local function u16(n) return string.char(math.floor(n / 256), n % 256) end

function TestRawICMPEcho(t)
  local ok, r = pcall(socket.socket, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
  if not ok then
    t:eq(r.name, "EPERM", "raw sockets need privilege")
    t:eq(r.class, "PermissionError", "class")
    t:eq(r.op, "socket", "op")
    t:eq(tostring(r), "PermissionError: [Errno " .. socket.EPERM .. "] Operation not permitted (socket)", "printed")
    return
  end
  t:eq(tostring(r):match("type=(%S+), proto=(%d+)"), "SOCK_RAW", "type")
  t:eq(tostring(r):match("proto=(%d+)"), tostring(socket.IPPROTO_ICMP), "protocol")
  r:settimeout(5)
  local id, seq, payload = r:fileno() % 65536, 7, "sockrun ping"
  local body = u16(id) .. u16(seq) .. payload
  local packet = "\8\0" .. u16(checksum("\8\0\0\0" .. body)) .. body -- type 8: echo request
  t:eq(r:sendto(packet, {"127.0.0.1", 0}), #packet, "sent")
  -- The socket sees every ICMP packet on the host, our request included:
  -- read until the reply to ours.
  for i = 1, 20 do
    local data, from = r:recvfrom(1500)
    local ihl = (data:byte(1) % 16) * 4 -- a raw IPv4 socket reads the IP header too
    local icmp = data:sub(ihl + 1)
    if icmp:byte(1) == 0 and icmp:sub(5, 8) == u16(id) .. u16(seq) then -- type 0: echo reply
      t:eq(from.host, "127.0.0.1", "from")
      t:eq(icmp:sub(9), payload, "the payload comes back")
      t:eq(checksum(icmp), 0, "a valid checksum")
      return
    end
  end
  t:fatal("no echo reply among 20 packets")
end
