-- An echo server on Debian's lua-copas, unmodified: Copas loads coxpcall,
-- which checks that pcall lets a coroutine yield through it, and runs
-- each client in a coroutine that yields inside copcall on every wait.
package.path = "/usr/share/lua/5.1/?.lua;" .. package.path
local copas = require "copas"
local socket = require "socket"

local srv = assert(socket.bind("127.0.0.1", 0))
local _, port = srv:getsockname()
print("listening on 127.0.0.1:" .. port)

copas.addserver(srv, function(c)
  c = copas.wrap(c)
  while true do
    local line, err = c:receive("*l")
    if not line then break end
    c:send("echo: " .. line .. "\n")
  end
  -- Copas closes the connection when the handler returns (autoclose).
end)
copas.loop()
