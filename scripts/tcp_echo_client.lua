-- tcp_echo_client.lua: the client of the echo server (tcp_echo_server.lua).
-- It sends one message and reads the echo back in chunks of 16 bytes, the
-- way the server sends it, until all of it has come back.
--
--   sockrun scripts/tcp_echo_client.lua                  (the default message)
--   sockrun scripts/tcp_echo_client.lua "something else"

local HOST = vars.host or "localhost"
local PORT = tonumber(vars.port or 10000)

-- Create a TCP/IP socket.
local sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

-- Connect the socket to the port where the server is listening: this does
-- the TCP handshake (SYN, SYN-ACK, ACK) with the server's kernel.
local server_address = {HOST, PORT}
sock:connect(server_address)

-- Send data: sendall sends every byte of the message.
local message = arg[1] or "This is the message.  It will be repeated."
sock:sendall(message)

-- Look for the response. TCP is a stream, not messages: the echo comes back
-- in pieces, so count the bytes until all of them are back.
local amount_received = 0
local amount_expected = #message
while amount_received < amount_expected do
  local data = sock:recv(16) -- at most 16 bytes
  if data == "" then -- the server closed the connection early
    break
  end
  amount_received = amount_received + #data
  print("received '" .. data .. "'")
end

-- Close the socket: our side sends FIN, and the server's recv returns "".
sock:close()
