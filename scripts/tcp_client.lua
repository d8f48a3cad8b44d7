-- tcp_client.lua: the interactive client of tcp_server.lua. It prints the
-- server's greeting, then sends each line you type and prints the reply;
-- q says goodbye. It ends at end of input (Ctrl-D) too.
--
--   sockrun scripts/tcp_client.lua            (connects to 127.0.0.1:9999)

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 9999)

-- input is Python's input(prompt): it writes the prompt (no newline) and
-- reads a line of standard input; nil at end of input.
local function input(prompt)
  io.write(prompt)
  return io.read()
end

local z = socket.socket() -- a TCP socket
z:connect({HOST, PORT}) -- connect to the server's IP and port
local f = z:recv(1024) -- the greeting the server sent with sendall; at most 1024 bytes
print(f)
while true do -- talk with the server
  local a = input("请输入信息") -- "please enter a message"
  if a == nil then -- end of input
    break
  end
  z:sendall(a) -- send the line (an empty line sends nothing, so no reply comes)
  if a == "q" then -- q: stop talking to the server
    break
  end
  local js = z:recv(1024) -- the server's reply
  print(js)
end
z:close() -- close the connection; the server's recv returns ""
