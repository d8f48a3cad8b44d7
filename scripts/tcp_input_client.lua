-- tcp_input_client.lua: the client of tcp_print_server.lua. It connects,
-- then sends each line you type, until end of input (Ctrl-D).
--
--   sockrun scripts/tcp_input_client.lua      (connects to localhost:8081)

local port = tonumber(vars.port or 8081)
local host = vars.host or "localhost"

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s:connect({host, port})
while true do
  local msg = io.read() -- a line of standard input, without its newline; nil at the end
  if msg == nil then
    break
  end
  s:send(msg) -- send the line's bytes (UTF-8 text) to the server
end
s:close()
