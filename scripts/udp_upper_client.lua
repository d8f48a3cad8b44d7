-- udp_upper_client.lua: the client of udp_upper_server.lua. It sends each
-- line you type and prints who answered and the upper-cased reply. An empty
-- line (the reply is empty too) or end of input ends it.
--
--   sockrun scripts/udp_upper_client.lua      (sends to 127.0.0.1:12000)

local serverName = vars.host or "127.0.0.1"
local serverPort = tonumber(vars.port or 12000)
local socketAddress = {serverName, serverPort}

-- input is Python's input(prompt): it writes the prompt and reads a line of
-- standard input; nil at end of input.
local function input(prompt)
  io.write(prompt)
  return io.read()
end

-- the type of socket is IPv4 and UDP
local clientSocket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while true do
  local message = input("Input a lowercase sentence\n")
  if message == nil then -- end of input
    break
  end
  clientSocket:sendto(message, socketAddress)
  -- The reply, and the address it came from: the server's IP and port.
  local returnMessage, serverAddress = clientSocket:recvfrom(2048)
  if returnMessage == "" then
    break
  end
  print(string.format("The peersocket is: %s:%s", serverAddress.host, serverAddress.port))
  print(string.format("The return message is: %s", returnMessage))
end
clientSocket:close()
