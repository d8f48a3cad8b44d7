-- tls_echo_server.lua: the threaded echo server, over TLS.
--
--   sockrun --var cert=cert.pem --var key=key.pem scripts/tls_echo_server.lua
--
-- Make a certificate for trying it (valid for a day, for localhost):
--
--   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
--     -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
--     -keyout key.pem -out cert.pem
--
-- and talk to it with `openssl s_client -connect 127.0.0.1:10443`: type a
-- line, it comes back.

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 10443)
local CERT = vars.cert or error("give the certificate file: --var cert=cert.pem")
local KEY = vars.key or CERT -- the key may be in the certificate's file

-- The context holds what every connection's TLS layer uses: our
-- certificate and key. Purpose.CLIENT_AUTH makes it a server's context.
local ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx:load_cert_chain(CERT, KEY)

-- handle runs in a thread of its own for each client. The TLS handshake
-- happens here, not in the accept loop: a client that connects and never
-- starts TLS then holds only its own thread, and the timeout ends it.
local function handle(conn, addr)
  conn:settimeout(10) -- for the handshake, and for each read after it
  local ok, err = pcall(ctx.wrap_socket, ctx, conn, {server_side = true})
  if not ok then
    -- Not TLS, a certificate the client rejected, a timeout: say why
    -- and forget this client.
    print(tostring(addr) .. ": handshake failed: " .. tostring(err))
    conn:close()
    return
  end
  conn:settimeout(300) -- an idle client is dropped after five minutes
  while true do
    -- recv and sendall look the same as on a plain socket: the TLS layer
    -- decrypts what arrives and encrypts what is sent.
    local ok, data = pcall(conn.recv, conn, 16384)
    if not ok or data == "" then break end -- an error, or the client closed
    if not pcall(conn.sendall, conn, data) then break end
  end
  conn:close()
end

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({HOST, PORT})
server:listen(socket.SOMAXCONN)
print("listening on " .. tostring(server:getsockname()) .. " (TLS)")

local waiting = false -- accept is failing for want of descriptors
while true do
  local ok, conn, addr = pcall(server.accept, server)
  if ok then
    if waiting then
      print("accepting again")
      waiting = false
    end
    thread.spawn(handle, conn, addr)
  elseif conn.name == "EMFILE" or conn.name == "ENFILE" then
    -- Out of descriptors: every client we hold has one. Wait for some to
    -- leave rather than exit; the kernel keeps new clients queued.
    if not waiting then
      print("accept: " .. tostring(conn) .. "; waiting for clients to leave")
      waiting = true
    end
    socket.sleep(0.1)
  else
    error(conn, 0)
  end
end
