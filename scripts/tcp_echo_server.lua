-- tcp_echo_server.lua: the echo server of the "Python Socket" tutorial. It
-- sends back every byte a client sends, 16 bytes at a time, until the client
-- closes; then it waits for the next client. It prints nothing, unless a
-- client's connection fails (say the client resets it).
--
--   sockrun scripts/tcp_echo_server.lua            (listens on localhost:10000)
--   sockrun scripts/tcp_echo_client.lua            (in a second terminal)

local HOST = vars.host or "localhost"
local PORT = tonumber(vars.port or 10000)

-- Create a TCP/IP socket: AF_INET is IPv4, SOCK_STREAM is TCP.
local sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

-- Bind the socket to the port: claim localhost:10000 for this socket.
local server_address = {HOST, PORT}
sock:bind(server_address)

-- Listen for incoming connections: the kernel now completes handshakes for
-- us and queues the connections; 1 is the length of that queue (the backlog).
sock:listen(1)

while true do
  -- Wait for a connection. accept takes the next queued connection: a new
  -- socket for talking to that one client, and the client's address.
  local connection, client_address = sock:accept()

  -- The conversation runs under pcall (the tutorial's try/finally): a
  -- client that resets the connection makes recv or sendall raise
  -- (ConnectionResetError, BrokenPipeError), and one client's failure must
  -- not end the server for every client after it. The error is printed,
  -- the connection closed, and the server waits for the next client.
  local ok, err = pcall(function()
    -- Receive the data in small chunks and retransmit it.
    while true do
      -- recv returns up to 16 bytes, as soon as any have arrived; "" means
      -- the client closed its side of the connection.
      local data = connection:recv(16)
      if data ~= "" then
        -- sendall keeps sending until the kernel has taken every byte.
        connection:sendall(data)
      else
        break
      end
    end
  end)
  if not ok then
    -- Ctrl-C is no client's fault: let it end the server.
    if type(err) == "table" and err.class == "KeyboardInterrupt" then
      error(err, 0)
    end
    print("error with " .. tostring(client_address) .. ": " .. tostring(err))
  end

  -- Clean up the connection: this closes our end; the listening socket
  -- stays open for the next client.
  connection:close()
end
