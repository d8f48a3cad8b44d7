-- https_get.lua: fetch a URL over HTTP or HTTPS and print the body, as
-- `curl URL` does, written out with sockets and the ssl module.
--
--   sockrun --var url=https://example.com/ scripts/https_get.lua
--   sockrun --var url=http://127.0.0.1:8080/json scripts/https_get.lua
--   sockrun --var url=https://localhost:8443/ --var cafile=cert.pem scripts/https_get.lua
--
-- The status line and the headers go to stderr, the body to stdout. The
-- server's certificate is verified against the system's CAs (and the
-- cafile given); when it cannot be, the script says why and exits 1.

local URL = vars.url or error("give the URL: --var url=https://host/path", 0)
local TIMEOUT = tonumber(vars.timeout or 15)

-- A URL is scheme://host[:port][/path]: split it.
local scheme, rest = URL:match("^(%a+)://(.*)$")
if scheme ~= "http" and scheme ~= "https" then
  io.stderr:write("https_get: only http:// and https:// URLs: " .. URL .. "\n")
  os.exit(2)
end
local authority, path = rest:match("^([^/]*)(.*)$")
if path == "" then path = "/" end
local host, port = authority:match("^%[(.+)%]:?(%d*)$") -- [::1]:8443
if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
if not host then
  io.stderr:write("https_get: no host in " .. URL .. "\n")
  os.exit(2)
end
port = tonumber(port) or (scheme == "https" and 443 or 80)

-- fail says what went wrong, with sockrun's explanation when it has one.
local function fail(what, err)
  io.stderr:write("https_get: " .. what .. ": " .. tostring(err) .. "\n")
  local why = socket.explain(err)
  if why then io.stderr:write("  why: " .. why .. "\n") end
  os.exit(1)
end

local ok, conn = pcall(socket.create_connection, {host, port}, TIMEOUT)
if not ok then fail("cannot connect to " .. host .. ":" .. port, conn) end

if scheme == "https" then
  -- The context verifies the server: its certificate must lead to a CA
  -- we trust, and name the host we asked for (server_hostname, also sent
  -- to the server so that it can pick the right certificate: SNI).
  local ctx = ssl.create_default_context()
  if vars.cafile then ctx:load_verify_locations(vars.cafile) end
  local wrapped, err = pcall(ctx.wrap_socket, ctx, conn, {server_hostname = host})
  if not wrapped then fail("cannot verify " .. host, err) end
  io.stderr:write("* " .. conn:version() .. ", " .. conn:cipher()[1] .. ", certificate for " ..
    conn:getpeercert().subject.commonName .. "\n")
end

-- One request; "Connection: close" asks the server to close after the
-- response, so that the end of the stream ends the body too.
local hostHeader = (port == 80 or port == 443) and host or (host .. ":" .. port)
conn:sendall("GET " .. path .. " HTTP/1.1\r\nHost: " .. hostHeader ..
  "\r\nUser-Agent: sockrun-https_get\r\nAccept: */*\r\nConnection: close\r\n\r\n")

-- The head: the status line, then header lines until an empty line.
local function line()
  local ok, l = pcall(conn.recvline, conn)
  if not ok then fail("reading the response", l) end
  if l == nil then fail("reading the response", "the server closed the connection") end
  return l
end
local status = line()
io.stderr:write(status .. "\n")
local code = tonumber(status:match("^HTTP/%d%.%d (%d%d%d)"))
if not code then fail("reading the response", "not an HTTP status line: " .. status) end
local headers = {}
while true do
  local l = line()
  if l == "" then break end
  io.stderr:write(l .. "\n")
  local name, value = l:match("^([^:]+):%s*(.-)%s*$")
  if name then headers[name:lower()] = value end
end

-- The body: Content-Length bytes, or chunks, or everything to the end.
local ok, err = pcall(function()
  if (headers["transfer-encoding"] or ""):lower():find("chunked", 1, true) then
    while true do
      local size = tonumber((line():match("^%x+")), 16)
      if not size then error("bad chunk size", 0) end
      if size == 0 then break end
      io.write(conn:recv_exactly(size))
      conn:recv_exactly(2) -- the CRLF after each chunk
    end
  elseif headers["content-length"] then
    io.write(conn:recv_exactly(tonumber(headers["content-length"])))
  else
    while true do
      local data = conn:recv(65536)
      if data == "" then break end
      io.write(data)
    end
  end
end)
if not ok then fail("reading the body", err) end
conn:close()
if code >= 400 then os.exit(1) end
