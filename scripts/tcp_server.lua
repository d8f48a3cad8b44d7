-- tcp_server.lua: the server of the tutorial that greets each client with
-- 你好欢迎你 ("hello, welcome"), then answers every message with the same
-- message and 好 ("good") appended, until the client sends q.
--
--   sockrun scripts/tcp_server.lua            (listens on 127.0.0.1:9999)
--   sockrun scripts/tcp_client.lua            (in a second terminal)

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 9999)

local a = socket.socket() -- a TCP socket (AF_INET, SOCK_STREAM are the defaults)
a:bind({HOST, PORT}) -- the server's IP and port
a:listen(5) -- listen; at most 5 connections wait in the queue for accept

-- accept is done once per client: loop to wait for client after client.
while true do
  -- accept blocks until a client connects, then returns two values: the
  -- connection (a new socket) and the client's address.
  local b, c = a:accept()
  -- Print the connection and the client's address (Python's print puts a
  -- space between them; Lua's would put a tab).
  print(tostring(b) .. " " .. tostring(c))
  -- The conversation runs under pcall: a client that resets the connection
  -- makes sendall or recv raise (ConnectionResetError, BrokenPipeError),
  -- and one client's failure must not end the server for every client
  -- after it. The error is printed, and the server goes on to the next.
  local ok, err = pcall(function()
    b:sendall("你好欢迎你") -- greet the client; Lua strings are already UTF-8 bytes
    -- Talk with this client until it sends q.
    while true do
      local j = b:recv(1024) -- up to 1024 bytes of what the client sent
      if j == "" then -- "" means the client went away without sending q
        break
      end
      print(j)
      if j == "q" then -- q: the client is done talking
        break
      end
      b:sendall(j .. "好") -- send the message back with 好 appended
    end
  end)
  if not ok then
    -- Ctrl-C is no client's fault: let it end the server.
    if type(err) == "table" and err.class == "KeyboardInterrupt" then
      error(err, 0)
    end
    print("error: " .. tostring(err))
  end
  b:close()
end
