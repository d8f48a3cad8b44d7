-- tcp_http_client.lua: the first client of the "Python Socket" tutorial. It
-- creates a socket, looks the server's name up, connects to its port 80 and
-- asks for the home page, as a browser does.
--
--   sockrun scripts/tcp_http_client.lua                          (www.google.com:80)
--   sockrun --var host=localhost --var port=8000 scripts/tcp_http_client.lua

local host = vars.host or "www.google.com"
local port = tonumber(vars.port or 80)

-- Create an AF_INET, STREAM socket (TCP). pcall catches the error, as the
-- tutorial's try/except does.
local ok, s = pcall(socket.socket, socket.AF_INET, socket.SOCK_STREAM)
if not ok then
  print("Failed to create socket. Error code: " .. tostring(s.errno) .. " , Error message : " .. tostring(s.message))
  os.exit(1)
end
print("Socket Created")

-- Ask the resolver (the hosts file, then DNS) for the host's IPv4 address.
local remote_ip
ok, remote_ip = pcall(socket.gethostbyname, host)
if not ok then
  -- could not resolve
  print("Hostname could not be resolved. Exiting")
  os.exit(1)
end
print("Ip address of " .. host .. " is " .. remote_ip)

-- Connect to remote server: the TCP handshake with remote_ip:port.
s:connect({remote_ip, port})
print("Socket Connected to " .. host .. " on ip " .. remote_ip)

-- Send some data: an HTTP request is lines of text ending with an empty
-- line. "Connection: close" asks the server to close the connection after
-- its reply, so that we know when the reply is complete.
local message = "GET / HTTP/1.1\r\nHost: " .. host .. "\r\nConnection: close\r\n\r\n"
s:sendall(message)

-- Receive a reply: recv until "", the server closing the connection.
local reply = {}
while true do
  local data = s:recv(4096)
  if data == "" then
    break
  end
  reply[#reply + 1] = data
end
print(table.concat(reply))
s:close()
