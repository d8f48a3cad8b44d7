-- gopher-lua #448: after an error caught by pcall, a closure made by the
-- main chunk must keep sharing its local with the main chunk. The errors
-- are real socket errors: a refused connection and a bad address.
local socket = require "socket"

local handled = 0
local function get() return handled end

-- A port nobody listens on: one bound, not listening, held until the
-- connect is refused.
local probe = socket.socket()
probe:bind({"127.0.0.1", 0})
local addr = probe:getsockname()

local s = socket.socket()
local ok, err = pcall(s.connect, s, addr)
assert(not ok and err.name == "ECONNREFUSED", tostring(err))
s:close()
probe:close()
handled = handled + 1
print(handled, get())

ok, err = pcall(socket.inet_pton, socket.AF_INET, "bad")
assert(not ok)
handled = handled + 1
print(handled, get())

-- Inside a function, caught by pcall of a Lua function.
local function serve()
  local count = 0
  local function peek() return count end
  local ok2 = pcall(function() socket.inet_pton(socket.AF_INET, "bad") end)
  count = count + 1
  return count, peek(), ok2
end
print(serve())
