-- tcp_print_server.lua: the TCP server of the "How to use socket" tutorial.
-- For each client it reads once, at most 1024 bytes, prints what came and
-- goes back to accept the next client: only the first message of each
-- connection is printed. (tcp_echo_server.lua reads in a loop instead.)
--
--   sockrun scripts/tcp_print_server.lua      (listens on every interface, port 8081)
--   sockrun scripts/tcp_input_client.lua      (in a second terminal)

local HOST = vars.host or "" -- "" is every interface
local PORT = tonumber(vars.port or 8081)

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s:bind({HOST, PORT})
s:listen(1) -- one connection may wait in the queue for accept
while true do
  local connection, address = s:accept() -- wait for a client
  -- One read: what has arrived, up to 1024 bytes. Under pcall, because a
  -- client that resets the connection makes recv raise, and one client's
  -- failure must not end the server for every client after it.
  local ok, data = pcall(connection.recv, connection, 1024)
  if ok then
    print("Received:  " .. data)
  elseif type(data) == "table" and data.class == "KeyboardInterrupt" then
    error(data, 0) -- Ctrl-C is no client's fault: let it end the server
  else
    print("error with " .. tostring(address) .. ": " .. tostring(data))
  end
  -- Close the connection. (Python closed it too, when the variable was
  -- reused for the next client.) The client's later sends then fail.
  connection:close()
end
