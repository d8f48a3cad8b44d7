-- Lua-side tests of the ssl module: TLS over sockets on 127.0.0.1, with
-- certificates the test makes (t:certs()).
local st = require("sockettest")

-- serve starts a TLS server on a free port with cert/key and a handler
-- run in a thread for the first connection; it returns the address and
-- the thread. The handler gets the wrapped connection.
local function serve(t, certfile, keyfile, handler, setup)
  local ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
  ctx:load_cert_chain(certfile, keyfile)
  if setup then setup(ctx) end
  local l, addr = st.listener()
  local th = thread.spawn(function()
    local conn = l:accept()
    local ok, err = pcall(ctx.wrap_socket, ctx, conn, {server_side = true})
    if not ok then conn:close(); l:close(); return err end
    local result = handler(conn)
    conn:close()
    l:close()
    return result
  end)
  return addr, th
end

local function client_ctx(certs)
  local ctx = ssl.create_default_context()
  ctx:load_verify_locations(certs.ca)
  return ctx
end

function TestTLSRoundTrip(t)
  local certs = t:certs()
  local addr, th = serve(t, certs.server_cert, certs.server_key, function(conn)
    local line = conn:recvline()
    conn:sendall(line:upper() .. "\n")
    local f = conn:makefile("rw")
    f:write("via makefile\n"); f:flush()
    return line
  end)
  local ctx = client_ctx(certs)
  t:eq(ctx.check_hostname, true, "a default client context checks the host name")
  t:eq(ctx.verify_mode, ssl.CERT_REQUIRED, "and requires a certificate")
  local s = ctx:wrap_socket(socket.socket(), {server_hostname = "localhost"})
  s:connect(addr) -- the handshake runs when connect succeeds
  assert(s:version() == "TLSv1.3" or s:version() == "TLSv1.2", "version " .. s:version())
  local cipher = s:cipher()
  t:eq(type(cipher[1]), "string", "cipher name")
  t:eq(cipher[2], s:version(), "cipher's version")
  assert(cipher[3] >= 128, "cipher bits")
  local cert = s:getpeercert()
  t:eq(cert.subject.commonName, "localhost", "peer's subject")
  t:eq(cert.issuer.commonName, "sockrun test CA", "peer's issuer")
  t:eq(cert.subjectAltName[1][1], "DNS", "altname type")
  t:eq(cert.subjectAltName[1][2], "localhost", "altname")
  assert(#s:getpeercert(true) > 100, "DER form")
  s:sendall("hello over tls\n")
  t:eq(s:recvline(), "HELLO OVER TLS", "echoed through the TLS layer, read with recvline")
  t:eq(s:recv_exactly(4), "via ", "recv_exactly")
  t:eq(s:recv(100), "makefile\n", "recv")
  t:eq(s:recv(100), "", "end of stream (the server closed)")
  t:eq(th:join(), "hello over tls", "the server read it")
  st.contains(t, tostring(s), "<ssl.socket fd=")
end

function TestTLSWrapConnected(t)
  local certs = t:certs()
  local addr = serve(t, certs.server_cert, certs.server_key, function(conn)
    conn:sendall(conn:recv(100))
  end)
  local raw = socket.create_connection(addr)
  local s = client_ctx(certs):wrap_socket(raw, {server_hostname = "127.0.0.1"})
  t:eq(s == raw, true, "the same socket, now with TLS")
  s:sendall("ping")
  t:eq(s:recv(100), "ping", "echo")
end

function TestTLSListeningSocketWrapsAccepted(t)
  local certs = t:certs()
  local ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
  ctx:load_cert_chain(certs.server_cert, certs.server_key)
  local l, addr = st.listener()
  local server = ctx:wrap_socket(l, {server_side = true})
  thread.spawn(function()
    local conn = server:accept()
    t:eq(conn:version() ~= nil, true, "accepted socket is an SSL socket, handshake done")
    conn:sendall("welcome\n")
    conn:close()
  end)
  local s = client_ctx(certs):wrap_socket(socket.create_connection(addr), {server_hostname = "localhost"})
  t:eq(s:recvline(), "welcome", "greeting")
end

function TestTLSALPN(t)
  local certs = t:certs()
  local addr = serve(t, certs.server_cert, certs.server_key, function(conn)
    conn:sendall(conn:selected_alpn_protocol() or "none")
  end, function(ctx) ctx:set_alpn_protocols({"h2", "http/1.1"}) end)
  local ctx = client_ctx(certs)
  ctx:set_alpn_protocols({"http/1.1"})
  local s = ctx:wrap_socket(socket.create_connection(addr), {server_hostname = "localhost"})
  t:eq(s:selected_alpn_protocol(), "http/1.1", "client's view")
  t:eq(s:recv(100), "http/1.1", "server's view")
end

-- fails connects a client with ctx to a server using cert/key and returns
-- the error of the client's handshake.
local function fails(t, ctx, certfile, keyfile, hostname, setup)
  local addr = serve(t, certfile, keyfile, function() end, setup)
  local raw = socket.create_connection(addr)
  local err = st.raises(t, ctx.wrap_socket, ctx, raw, {server_hostname = hostname})
  raw:close()
  return err
end

function TestTLSUnknownAuthority(t)
  local certs = t:certs()
  local ctx = ssl.create_default_context()
  ctx:load_verify_locations(certs.rogue_ca)
  local err = fails(t, ctx, certs.server_cert, certs.server_key, "localhost")
  t:eq(err.class, "ssl.SSLCertVerificationError", "class")
  t:eq(err.name, "CERTIFICATE_VERIFY_FAILED", "name")
  st.contains(t, err, "certificate verify failed: unable to get local issuer certificate")
  st.contains(t, err, "(wrap_socket 127.0.0.1:")
end

function TestTLSNameMismatch(t)
  local certs = t:certs()
  local err = fails(t, client_ctx(certs), certs.other_cert, certs.other_key, "localhost")
  st.contains(t, err, "Hostname mismatch, certificate is not valid for 'localhost'")
end

function TestTLSExpired(t)
  local certs = t:certs()
  local err = fails(t, client_ctx(certs), certs.expired_cert, certs.expired_key, "localhost")
  st.contains(t, err, "certificate verify failed: certificate has expired")
end

function TestTLSProtocolVersion(t)
  local certs = t:certs()
  local ctx = client_ctx(certs)
  ctx.maximum_version = ssl.TLSVersion.TLSv1_2
  local addr, th = serve(t, certs.server_cert, certs.server_key, function() end,
    function(sctx) sctx.minimum_version = ssl.TLSVersion.TLSv1_3 end)
  local raw = socket.create_connection(addr)
  local err = st.raises(t, ctx.wrap_socket, ctx, raw, {server_hostname = "localhost"})
  raw:close()
  -- As python3's ssl: the server finds no version in common, the client
  -- hears the server's alert.
  local serr = th:join()
  t:eq(serr.reason, "UNSUPPORTED_PROTOCOL", "the server's reason")
  st.contains(t, serr, "ssl.SSLError: [SSL: UNSUPPORTED_PROTOCOL] unsupported protocol (wrap_socket ")
  t:eq(err.name, "TLSV1_ALERT_PROTOCOL_VERSION", "name")
  st.contains(t, err, "ssl.SSLError: [SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version (wrap_socket 127.0.0.1:")
end

function TestTLSNoVerification(t)
  local certs = t:certs()
  local addr = serve(t, certs.other_cert, certs.other_key, function(conn) conn:sendall("ok") end)
  local ctx = ssl.create_default_context()
  ctx.check_hostname = false
  ctx.verify_mode = ssl.CERT_NONE
  local s = ctx:wrap_socket(socket.create_connection(addr))
  t:eq(s:recv(10), "ok", "CERT_NONE talks to anyone")
end

function TestTLSClientCertificates(t)
  local certs = t:certs()
  local function setup(sctx)
    sctx.verify_mode = ssl.CERT_REQUIRED
    sctx:load_verify_locations(certs.ca)
  end
  local addr = serve(t, certs.server_cert, certs.server_key, function(conn)
    conn:sendall(conn:getpeercert().subject.commonName)
  end, setup)
  local ctx = client_ctx(certs)
  ctx:load_cert_chain(certs.client_cert, certs.client_key)
  local s = ctx:wrap_socket(socket.create_connection(addr), {server_hostname = "localhost"})
  t:eq(s:recv(100), "sockrun test client", "the server saw the client's certificate")
end

function TestTLSTimeoutAndInterrupts(t)
  local certs = t:certs()
  -- A "server" that accepts and never speaks TLS: the handshake times out.
  -- It keeps the connection (held) after reading: a socket nothing refers
  -- to is closed by the garbage collector, and the client would see EOF.
  local l, addr = st.listener()
  local held
  thread.spawn(function() held = l:accept(); held:recv(1) end)
  local raw = socket.create_connection(addr)
  raw:settimeout(0.3)
  local err = st.raises(t, client_ctx(certs).wrap_socket, client_ctx(certs), raw, {server_hostname = "localhost"})
  t:eq(err.name, "ETIMEDOUT", "the handshake honours the socket's timeout")
end

-- tamper starts a proxy in front of addr that passes TLS records through,
-- a record at a time, and returns its address and a function that makes
-- it spoil the next record from the client: "flip" flips the record's last
-- byte, "cut" sends all but its last three bytes and ends the stream.
local function tamper(addr)
  local l, paddr = st.listener()
  local spoil = nil
  thread.spawn(function()
    local c = l:accept()
    l:close()
    local u = socket.create_connection(addr)
    thread.spawn(function()
      pcall(function()
        while true do
          local data = u:recv(65536)
          if data == "" then break end
          c:sendall(data)
        end
      end)
      pcall(c.shutdown, c, socket.SHUT_WR)
    end)
    while true do
      local ok, head = pcall(c.recv_exactly, c, 5)
      if not ok then break end
      local body = c:recv_exactly(head:byte(4) * 256 + head:byte(5))
      local record = head .. body
      if spoil == "flip" then
        record = record:sub(1, -2) .. string.char(bit.bxor(record:byte(-1), 1))
      elseif spoil == "cut" then
        u:sendall(record:sub(1, -4))
        break
      end
      spoil = nil
      u:sendall(record)
    end
    u:shutdown(socket.SHUT_WR)
  end)
  return paddr, function(how) spoil = how end
end

-- tampered runs a TLS server (TLS 1.2 at most if tls12) behind tamper,
-- connects a client through it and spoils the client's first record after
-- both handshakes with how; it returns the error (or result) of the
-- server's recv, and the client's socket.
local function tampered(t, tls12, how)
  local certs = t:certs()
  local done = thread.event()
  local result = thread.queue()
  local addr = serve(t, certs.server_cert, certs.server_key, function(conn)
    done:set()
    local ok, got = pcall(conn.recv, conn, 100)
    local sent, serr = pcall(conn.sendall, conn, "reply")
    result:put({ok = ok, got = got, sent = sent, serr = serr})
  end, function(sctx)
    if tls12 then sctx.maximum_version = ssl.TLSVersion.TLSv1_2 end
  end)
  local paddr, spoil = tamper(addr)
  local s = client_ctx(certs):wrap_socket(socket.create_connection(paddr), {server_hostname = "localhost"})
  s:settimeout(10)
  assert(done:wait(10), "the server's handshake")
  spoil(how)
  s:sendall("hello")
  return result:get(10), s
end

-- TestTLSCorruptRecord: a record spoiled after the handshake is an
-- ssl.SSLError with Python's reason, on both sides (python3's ssl module
-- raises the same), in TLS 1.3 and 1.2.
function TestTLSCorruptRecord(t)
  for _, tls12 in ipairs({false, true}) do
    local r, s = tampered(t, tls12, "flip")
    t:eq(r.ok, false, "the server's recv fails")
    local err = r.got
    t:eq(err.class, "ssl.SSLError", "class")
    t:eq(err.errno, 1, "errno (SSL_ERROR_SSL)")
    t:eq(err.library, "SSL", "library")
    t:eq(err.reason, "DECRYPTION_FAILED_OR_BAD_RECORD_MAC", "reason")
    t:eq(err.name, "DECRYPTION_FAILED_OR_BAD_RECORD_MAC", "name")
    t:eq(err.op, "recv", "op")
    st.contains(t, err, "ssl.SSLError: [SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed or bad record mac (recv 127.0.0.1:")
    -- The server answered with an alert: the client hears it.
    local cerr = st.raises(t, s.recv, s, 100)
    t:eq(cerr.class, "ssl.SSLError", "the client's class")
    t:eq(cerr.reason, "SSLV3_ALERT_BAD_RECORD_MAC", "the client's reason")
    st.contains(t, cerr, "ssl.SSLError: [SSL: SSLV3_ALERT_BAD_RECORD_MAC] sslv3 alert bad record mac (recv ")
    -- The server's send after the failure fails the same way.
    t:eq(r.sent, false, "the server's send after it fails")
    t:eq(r.serr.class, "ssl.SSLError", "and raises an ssl.SSLError")
    s:close()
  end
end

-- TestTLSTruncatedRecord: a stream that ends in the middle of a record
-- ends as Python's recv ends it (suppress_ragged_eofs): "".
function TestTLSTruncatedRecord(t)
  local r, s = tampered(t, false, "cut")
  t:eq(r.ok, true, "no error: " .. tostring(r.got))
  t:eq(r.got, "", "end of stream")
  s:close()
end

-- TestTLSHandshakeErrorsAsPython: a client that is not TLS, or leaves in
-- the middle of the handshake, fails the server's handshake with the
-- errors python3's ssl module raises for it.
function TestTLSHandshakeErrorsAsPython(t)
  local certs = t:certs()
  local cases = {
    {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "ssl.SSLError", 1, "HTTP_REQUEST", "[SSL: HTTP_REQUEST] http request"},
    {"hello there\r\n", "ssl.SSLError", 1, "WRONG_VERSION_NUMBER", "[SSL: WRONG_VERSION_NUMBER] wrong version number"},
    {"", "ssl.SSLEOFError", 8, "UNEXPECTED_EOF_WHILE_READING", "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol"},
  }
  for _, c in ipairs(cases) do
    local addr, th = serve(t, certs.server_cert, certs.server_key, function() end)
    local raw = socket.create_connection(addr)
    raw:sendall(c[1])
    raw:shutdown(socket.SHUT_WR)
    local err = th:join()
    raw:close()
    t:eq(err.class, c[2], "class of " .. c[4])
    t:eq(err.errno, c[3], "errno of " .. c[4])
    t:eq(err.reason, c[4], "reason")
    t:eq(err.library, "SSL", "library of " .. c[4])
    t:eq(err.message, c[5], "message")
  end
end

function TestSSLMisuse(t)
  local certs = t:certs()
  local ctx = ssl.create_default_context()
  st.misuse(t, "bad argument #1 to 'wrap_socket' (socket expected, got nil)", function() ctx:wrap_socket(nil) end)
  st.misuse(t, "bad argument #2 to 'wrap_socket' (unknown option bogus", function() ctx:wrap_socket(socket.socket(), {bogus = 1}) end)
  st.misuse(t, "bad argument #1 to 'create_default_context' (ssl.Purpose.SERVER_AUTH or ssl.Purpose.CLIENT_AUTH expected, got X)",
    function() ssl.create_default_context("X") end)
  st.misuse(t, "verify_mode must be ssl.CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED", function() ctx.verify_mode = 7 end)
  local err = st.raises(t, function() ctx.verify_mode = ssl.CERT_NONE end)
  st.contains(t, err, "ValueError: Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
  err = st.raises(t, ctx.load_cert_chain, ctx, certs.ca .. ".missing")
  t:eq(err.class, "FileNotFoundError", "missing file")
  err = st.raises(t, ctx.load_cert_chain, ctx, certs.ca)
  t:eq(err.class, "ssl.SSLError", "a certificate without its key")
  t:eq(err.library, "SSL", "its library")
  local empty = t:tempdir() .. "/empty.pem"
  local f = io.open(empty, "w"); f:write("nothing\n"); f:close()
  err = st.raises(t, ctx.load_verify_locations, ctx, empty)
  t:eq(err.library .. " " .. err.reason, "X509 NO_CERTIFICATE_OR_CRL_FOUND", "a CA file without certificates, as Python")
  st.contains(t, err, "ssl.SSLError: [X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found (load_verify_locations ")
  err = st.raises(t, ctx.wrap_socket, ctx, socket.socket())
  st.contains(t, err, "ValueError: check_hostname requires server_hostname")
  local s = ctx:wrap_socket(socket.socket(), {server_hostname = "localhost"})
  err = st.raises(t, s.version, s)
  st.contains(t, err, "ValueError: the TLS handshake has not been done yet")
  local plain = socket.socket()
  local ssock = ssl.create_default_context():wrap_socket(socket.socket(), {server_hostname = "localhost"})
  st.misuse(t, "version is a method of SSL sockets", function() ssock.version(plain) end)
end
