-- The resume loop Copas uses: send(data, last + 1) after a "timeout", and
-- a send to a closed peer. Plain LuaSocket, one thread: the reader is the
-- other end of the same process, read between sends. It prints the same
-- under lua5.1 with Debian's LuaSocket and under sockrun.
local socket = require("socket")

local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local c = assert(socket.connect("127.0.0.1", port))
local conn = assert(server:accept())
c:settimeout(0)
conn:settimeout(0)

local data = string.rep("0123456789", 800000) -- 8,000,000 bytes
local got, sent, last, timeouts, went_back = {}, 0, 0, 0, false
local function drain()
  while true do
    local chunk, err, partial = conn:receive(65536)
    chunk = chunk or partial
    if chunk and #chunk > 0 then got[#got + 1] = chunk end
    if err then return end
  end
end
while last < #data do
  local i, err, partial = c:send(data, last + 1)
  if i then
    last = i
  else
    if err ~= "timeout" then error("send: " .. tostring(err)) end
    if partial < last then went_back = true end
    last, timeouts = partial, timeouts + 1
    drain()
  end
end
c:close()
conn:settimeout(5)
while true do
  local chunk, err, partial = conn:receive(65536)
  chunk = chunk or partial
  if chunk and #chunk > 0 then got[#got + 1] = chunk end
  if err then break end
end
local all = table.concat(got)
print("bytes", #all, "same", all == data, "timeouts seen", timeouts > 0, "index went back", went_back)

-- A peer that closed: send fails with "closed", and the index of the
-- last byte sent is never negative.
local d = assert(socket.connect("127.0.0.1", port))
local e = assert(server:accept())
e:close()
d:settimeout(5)
local i, err, partial
repeat
  i, err, partial = d:send(string.rep("x", 100000))
until not i
print("closed peer", err, "index never negative", partial >= 0)
d:close()
server:close()
