-- socket.protect catches a try error three times; the closures must still
-- share their variables with the functions that made them (gopher-lua #448),
-- as under lua5.1 with Debian's LuaSocket.
local socket = require "socket"
local count = 0
local function bump() count = count + 1 end
local f = socket.protect(function() socket.try(nil, "boom") end)
for i = 1, 3 do
  print(f())
  bump()
  print(i, count)
end
local function worker()
  local n = 0
  local function inc() n = n + 1 end
  for i = 1, 3 do
    print(f())
    inc()
  end
  return n
end
print(worker())
