-- http_server.lua: an HTTP/1.1 server written out by hand, so that every
-- step of the protocol shows: reading a request's head line by line,
-- finding where its body ends, keeping the connection for the next request,
-- and refusing what a client has no right to make a server hold.
--
--   sockrun scripts/http_server.lua                          (127.0.0.1:8080)
--   sockrun --var port=9000 --var max_body=65536 scripts/http_server.lua
--   sockrun --workers auto scripts/http_server.lua           (every core)
--   sockrun --var cert=cert.pem --var key=key.pem scripts/http_server.lua   (HTTPS)
--
-- Try it with curl (-v shows both heads; two URLs share one connection):
--
--   curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/json
--   curl --data-binary 'hello' http://127.0.0.1:8080/echo
--
-- The routes:
--
--   GET  /      a fixed text
--   any  /echo  the request as the server read it: request line, header
--               lines, an empty line, the body
--   GET  /json  a JSON description of the request
--
-- HEAD is answered wherever GET is, with the head only.
--
-- The framing (RFC 9112). A request is
--
--   GET /json?x=1 HTTP/1.1\r\n       the request line: method, target, version
--   Host: 127.0.0.1:8080\r\n         header lines, "name: value"
--   Content-Length: 5\r\n
--   \r\n                             an empty line ends the head
--   hello                            the body: exactly Content-Length bytes
--
-- and a response has the same shape with a status line ("HTTP/1.1 200 OK")
-- first. On a kept-alive connection the next request starts with the byte
-- after the body: nothing but the body's length says where one request ends
-- and the next begins. So the server reads the head a line at a time
-- (recvuntil "\n"), takes the body's length from Content-Length (or from the
-- chunks' sizes with "Transfer-Encoding: chunked"), reads exactly that
-- much (recv_exactly), and every response states its own Content-Length.
-- A client may send several requests without waiting for the answers
-- (pipelining): they wait in the socket's receive buffer, and are answered
-- one after the other, in order.

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 8080)

-- What one client can make the server hold or wait for. Without bounds,
-- a single client could fill the memory with an endless header line, or
-- hold a thread forever by sending nothing.
local MAX_LINE = 8192 -- bytes of the request line, or of one header line
local MAX_HEAD = 32768 -- bytes of all the header lines together
local MAX_HEADERS = 100 -- header lines
local MAX_BODY = tonumber(vars.max_body or 1048576) -- bytes of a body
local TIMEOUT = tonumber(vars.timeout or 10) -- seconds to send a whole request (or to take a response)
local IDLE = tonumber(vars.idle or 30) -- seconds a kept-alive connection may wait for its next request
local LINGER = 2 -- seconds to drain a client's unread input before closing on it

-- HTTPS: given a certificate and its key, every connection speaks TLS
-- first, then the same HTTP inside it. (Make a certificate to try it: see
-- tls_echo_server.lua.)
local TLS = nil
if vars.cert then
  TLS = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
  TLS:load_cert_chain(vars.cert, vars.key or vars.cert)
  TLS:set_alpn_protocols({ "http/1.1" }) -- what a browser or curl asks for
end

local REASONS = {
  [100] = "Continue",
  [200] = "OK",
  [400] = "Bad Request",
  [404] = "Not Found",
  [405] = "Method Not Allowed",
  [408] = "Request Timeout",
  [413] = "Content Too Large",
  [414] = "URI Too Long",
  [417] = "Expectation Failed",
  [431] = "Request Header Fields Too Large",
  [501] = "Not Implemented",
  [505] = "HTTP Version Not Supported",
}

-- A request the server refuses is raised as an error value {status, why}:
-- the parsing below stays a straight line, and one place (serve) answers
-- every refusal the same way.
local function refuse(status, why)
  error({ status = status, why = why }, 0)
end

-- Socket errors that mean the client is gone or too slow: part of serving
-- the public, not a fault of this script. So is every error of the TLS
-- layer (err.library == "SSL", as Python's ssl.SSLError has it): a record
-- that arrives corrupt, an alert the client sends. Anything else is a bug.
local CLIENT_GONE = { ECONNRESET = true, EPIPE = true, ETIMEDOUT = true, EOF = true, ENOTCONN = true }

local function client_gone(err)
  return type(err) == "table" and (CLIENT_GONE[err.name] or err.library == "SSL")
end

-- A request has one deadline for all of it: before each read the socket's
-- timeout is set to what is left. A per-read timeout alone would let a
-- client that sends one header line every few seconds hold its thread for
-- ever (the "slowloris" attack).
local function until_deadline(conn, deadline)
  -- A timeout of 0 would make the socket non-blocking: wait at least 1 ms,
  -- and an expired deadline then fails the read with a TimeoutError.
  conn:settimeout(math.max(deadline - socket.time(), 0.001))
end

-- read_line reads one line of the head (or of the chunked framing) within
-- the deadline, and returns it without its "\r\n" (a bare "\n" is taken
-- too, as RFC 9112 allows). It reads up to "\n" with recvuntil rather than
-- recvline, because recvline returns an unfinished last line as a line when
-- the stream ends: here a line without its end is a request cut short (the
-- client went away), raised as an EOFError. A line longer than MAX_LINE is
-- refused with the status `too_long`.
local function read_line(conn, deadline, too_long)
  until_deadline(conn, deadline)
  local ok, line = pcall(conn.recvuntil, conn, "\n", MAX_LINE)
  if not ok then
    if line.name == "EMSGSIZE" then
      refuse(too_long, "line longer than " .. MAX_LINE .. " bytes")
    end
    error(line, 0)
  end
  return line:sub(-2) == "\r\n" and line:sub(1, -3) or line:sub(1, -2)
end

-- A header's name is a "token": letters, digits and a few marks.
local HEADER_LINE = "^([%w!#$%%&'*+%-.^_`|~]+):[ \t]*(.-)[ \t]*$"

-- read_head reads the request line and the header lines. It returns the
-- request as a table, or nil if the client closed the connection (or
-- stayed idle too long) between two requests, which is how kept-alive
-- connections normally end.
local function read_head(conn)
  -- Wait for the first byte of the next request, up to IDLE seconds,
  -- without taking it (MSG_PEEK); only then does the request's clock start.
  conn:settimeout(IDLE)
  local ok, first = pcall(conn.recv, conn, 1, socket.MSG_PEEK)
  if not ok then
    if first.name == "ETIMEDOUT" then
      return nil
    end
    error(first, 0)
  end
  if first == "" then -- the client closed: no more requests
    return nil
  end
  local deadline = socket.time() + TIMEOUT

  local line = read_line(conn, deadline, 414)
  local method, target, major, minor = line:match("^([%w!#$%%&'*+%-.^_`|~]+) (%S+) HTTP/(%d)%.(%d)$")
  if not method then
    refuse(400, "malformed request line")
  elseif major ~= "1" then
    refuse(505, "HTTP/" .. major .. "." .. minor)
  elseif target:sub(1, 1) ~= "/" then
    refuse(400, "request target is not a path")
  end
  local req = {
    line = line,
    method = method,
    target = target,
    version = "HTTP/1." .. minor,
    headers = {}, -- by lower-case name; repeated headers joined with ", "
    raw = {}, -- the header lines as received, in order (for /echo)
    deadline = deadline,
  }
  req.path, req.query = target:match("^([^?]*)%??(.*)$")

  local size = 0
  while true do
    line = read_line(conn, deadline, 431)
    if line == "" then -- the empty line: the head is complete
      break
    end
    size = size + #line
    if #req.raw == MAX_HEADERS or size > MAX_HEAD then
      refuse(431, "more than " .. MAX_HEADERS .. " header lines or " .. MAX_HEAD .. " bytes")
    end
    local name, value = line:match(HEADER_LINE)
    -- No name, a space before the colon, a line folded onto the previous
    -- one (starting with a space), a control character in the value: all
    -- malformed, and all ways to make two servers read one request
    -- differently, so refuse them rather than guess.
    if not name or value:find("[%z\1-\8\10-\31\127]") then
      refuse(400, "malformed header line")
    end
    req.raw[#req.raw + 1] = line
    name = name:lower()
    local prev = req.headers[name]
    req.headers[name] = prev and prev .. ", " .. value or value
  end

  if req.version == "HTTP/1.1" and not req.headers.host then
    refuse(400, "no Host header") -- HTTP/1.1 requires one
  end
  return req
end

-- has_token says whether a comma-separated header value (Connection,
-- Transfer-Encoding) lists token, in any case.
local function has_token(value, token)
  if not value then
    return false
  end
  for item in value:gmatch("[^,]+") do
    if item:match("^%s*(.-)%s*$"):lower() == token then
      return true
    end
  end
  return false
end

-- body_length reads Content-Length: nil if there is none.
local function body_length(req)
  local cl = req.headers["content-length"]
  if cl == nil then
    return nil
  end
  -- "5, 5" from two identical headers is one length; two different ones
  -- are a request smuggling attempt or a broken client.
  local n
  for item in cl:gmatch("[^,]+") do
    local digits = item:match("^%s*0*(%d+)%s*$")
    if not digits or (n and n ~= digits) then
      refuse(400, "bad Content-Length")
    end
    n = digits
  end
  if not n then -- "Content-Length:" with no value, or only commas
    refuse(400, "bad Content-Length")
  end
  if #n > 15 or tonumber(n) > MAX_BODY then -- 15 digits: still exact as a Lua number
    refuse(413, "body over " .. MAX_BODY .. " bytes")
  end
  return tonumber(n)
end

-- continue_if_expected answers "Expect: 100-continue": the client waits
-- for this interim response before it sends a large body, so a server that
-- refuses the body (413) spares it the upload.
local function continue_if_expected(conn, req)
  local expect = req.headers.expect
  if expect == nil then
    return
  end
  if expect:lower() ~= "100-continue" then
    refuse(417, "unknown expectation")
  end
  if req.version == "HTTP/1.1" then
    conn:sendall("HTTP/1.1 100 Continue\r\n\r\n")
  end
end

-- read_body reads the request's body, as its head says how: a
-- Content-Length, the chunked encoding, or no body at all.
local function read_body(conn, req)
  local te = req.headers["transfer-encoding"]
  if te and req.headers["content-length"] then
    -- Which of the two frames the body? Servers that disagree about it
    -- are how requests get smuggled past proxies: refuse.
    refuse(400, "both Transfer-Encoding and Content-Length")
  end
  if te then
    if te:lower() ~= "chunked" then
      refuse(501, "Transfer-Encoding " .. te)
    end
    continue_if_expected(conn, req)
    -- Chunked: each chunk is its size in hex on a line, the bytes, CRLF;
    -- a chunk of size 0 ends the body, followed by optional trailer lines
    -- and an empty line.
    local parts, total = {}, 0
    while true do
      local line = read_line(conn, req.deadline, 400)
      -- the size in hex; a chunk extension after ";" is ignored
      local hex = line:match("^(%x+)[ \t]*$") or line:match("^(%x+)[ \t]*;")
      if not hex or #hex > 8 then
        refuse(400, "bad chunk size")
      end
      local size = tonumber(hex, 16)
      if size == 0 then
        break
      end
      total = total + size
      if total > MAX_BODY then
        refuse(413, "body over " .. MAX_BODY .. " bytes")
      end
      until_deadline(conn, req.deadline)
      parts[#parts + 1] = conn:recv_exactly(size)
      if read_line(conn, req.deadline, 400) ~= "" then
        refuse(400, "chunk longer than its size")
      end
    end
    for _ = 1, MAX_HEADERS + 1 do -- the trailer: read and dropped
      if read_line(conn, req.deadline, 431) == "" then
        return table.concat(parts)
      end
    end
    refuse(431, "too many trailer lines")
  end
  local n = body_length(req)
  if n == nil or n == 0 then
    return ""
  end
  continue_if_expected(conn, req)
  until_deadline(conn, req.deadline)
  return conn:recv_exactly(n)
end

-- The routes: for each path, a handler per method. A handler takes the
-- request and returns the status, the Content-Type and the body.
local ROUTES = {
  ["/"] = {
    GET = function()
      return 200, "text/plain; charset=utf-8", "Hello from sockrun!\n"
    end,
  },
  ["/echo"] = {
    ANY = function(req)
      return 200,
        "text/plain; charset=utf-8",
        req.line .. "\r\n" .. table.concat(req.raw, "\r\n") .. (#req.raw > 0 and "\r\n" or "") .. "\r\n" .. req.body
    end,
  },
  ["/json"] = {
    GET = function(req)
      return 200,
        "application/json",
        -- json.encode writes an object's keys sorted: the same request
        -- gives the same bytes every time.
        json.encode({
          method = req.method,
          path = req.path,
          query = req.query,
          version = req.version,
          headers = req.headers,
          request = req.number, -- how many requests this connection has made
          worker = sockrun.worker,
        }) .. "\n"
    end,
  },
}

-- The Date header, formatted once a second rather than once a request.
local date_at, date_text = nil, nil
local function http_date()
  local now = os.time()
  if now ~= date_at then
    date_at, date_text = now, os.date("!%a, %d %b %Y %H:%M:%S GMT", now)
  end
  return date_text
end

-- response builds a whole response in one string, so that it leaves in one
-- sendall. Content-Length is the body's length in bytes, HEAD or not: a HEAD
-- response says how long the GET's body would be.
local function response(status, headers, body, head_only)
  local lines = {
    "HTTP/1.1 " .. status .. " " .. REASONS[status],
    "Date: " .. http_date(),
    "Server: sockrun",
    "Content-Length: " .. #body,
  }
  for _, h in ipairs(headers) do
    lines[#lines + 1] = h
  end
  lines[#lines + 1] = "\r\n"
  return table.concat(lines, "\r\n") .. (head_only and "" or body)
end

-- answer routes one request and sends its response. It returns whether the
-- connection stays open for another request.
local function answer(conn, req)
  -- HTTP/1.1 keeps the connection unless the client says "close"; HTTP/1.0
  -- closes it unless the client asks for "keep-alive".
  local connection = req.headers.connection
  local keep
  if req.version == "HTTP/1.1" then
    keep = not has_token(connection, "close")
  else
    keep = has_token(connection, "keep-alive")
  end

  local headers = {}
  local status, ctype, body
  local route = ROUTES[req.path]
  local method = req.method == "HEAD" and "GET" or req.method
  local handler = route and (route[method] or route.ANY)
  if handler then
    status, ctype, body = handler(req)
  elseif route then
    local allow = {}
    for m in pairs(route) do
      allow[#allow + 1] = m
    end
    table.sort(allow)
    if route.GET then
      allow[#allow + 1] = "HEAD"
    end
    status, ctype, body = 405, "text/plain; charset=utf-8", "405 Method Not Allowed\n"
    headers[#headers + 1] = "Allow: " .. table.concat(allow, ", ")
  else
    status, ctype, body = 404, "text/plain; charset=utf-8", "404 Not Found: " .. req.path .. "\n"
  end
  headers[#headers + 1] = "Content-Type: " .. ctype
  if not keep then
    headers[#headers + 1] = "Connection: close"
  elseif req.version == "HTTP/1.0" then
    headers[#headers + 1] = "Connection: keep-alive"
  end
  -- The client has TIMEOUT seconds to take the response: one that sends
  -- requests and never reads the answers does not hold a thread for ever.
  conn:settimeout(TIMEOUT)
  conn:sendall(response(status, headers, body, req.method == "HEAD"))
  return keep
end

-- lingering_close closes a connection whose client may still be sending
-- (a body we refused, requests after a bad one). Closing a socket with
-- unread input makes the kernel reset the connection, and a reset can
-- destroy our last response before the client has read it. So: say we are
-- done writing (shutdown), read and drop what still comes for a short
-- while, then close.
local function lingering_close(conn)
  pcall(function()
    conn:shutdown(socket.SHUT_WR)
    local deadline = socket.time() + LINGER
    repeat
      until_deadline(conn, deadline)
    until conn:recv(65536) == ""
  end)
  conn:close()
end

-- serve answers the requests of one connection until it ends. Errors
-- raised in here are dealt with by connection, below.
local function serve(conn, addr)
  local number = 0
  while true do
    local ok, req = pcall(read_head, conn)
    if ok and req then
      ok, req.body = pcall(read_body, conn, req)
      if not ok then
        req = req.body
      end
    end
    if not ok then
      local err = req
      if type(err) == "table" and err.name == "ETIMEDOUT" then
        err = { status = 408, why = "request not complete within " .. TIMEOUT .. " s" }
      end
      if type(err) ~= "table" or not err.status then
        error(err, 0) -- the client went away, or a bug
      end
      -- A refused request: answer it, and close, since what follows in the
      -- stream cannot be trusted to start a request.
      print(tostring(addr) .. ": " .. err.status .. " " .. REASONS[err.status] .. " (" .. err.why .. ")")
      local body = err.status .. " " .. REASONS[err.status] .. ": " .. err.why .. "\n"
      conn:settimeout(1)
      pcall(conn.sendall, conn, response(err.status, { "Content-Type: text/plain; charset=utf-8", "Connection: close" }, body))
      return
    end
    if req == nil then
      return -- the client closed, or stayed idle: the normal end
    end
    number = number + 1
    req.number = number
    if not answer(conn, req) then
      return
    end
  end
end

-- connection is the body of each connection's thread. Whatever happens to
-- one client — a reset, garbage, a timeout — ends only its own connection:
-- the error is caught here, the connection closed, and the server goes on.
local function connection(conn, addr)
  if TLS then
    -- The handshake happens in the connection's own thread, within the
    -- request timeout: a client that never starts TLS holds only itself.
    conn:settimeout(TIMEOUT)
    local ok, err = pcall(TLS.wrap_socket, TLS, conn, { server_side = true })
    if not ok then
      print(tostring(addr) .. ": TLS handshake failed: " .. tostring(err))
      conn:close()
      return
    end
  end
  local ok, err = pcall(serve, conn, addr)
  lingering_close(conn)
  if not ok then
    if client_gone(err) then
      print(tostring(addr) .. ": " .. tostring(err.message or err))
    else
      -- Not the client's doing: a bug in this script. Raise it again, so
      -- that sockrun prints it with a traceback; it still ends only this
      -- thread.
      error(err, 0)
    end
  end
end

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({ HOST, PORT })
server:listen(socket.SOMAXCONN)
print("listening on " .. tostring(server:getsockname()) .. (TLS and " (HTTPS)" or ""))

local out_of_fds = false
while true do
  local ok, conn, addr = pcall(server.accept, server)
  if ok then
    out_of_fds = false
    -- Responses go out as soon as they are written (no Nagle delay).
    conn:setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    thread.spawn(connection, conn, addr)
  elseif type(conn) == "table" and (conn.name == "EMFILE" or conn.name == "ENFILE") then
    -- Out of file descriptors: every open connection holds one, and the
    -- process (or the system) has reached its limit. Raising here would
    -- end the server for every client; instead wait a moment for some
    -- connection to close, and accept again. Meanwhile new clients wait
    -- in the listen backlog.
    if not out_of_fds then
      print("accept: " .. tostring(conn) .. "; waiting for connections to close")
      out_of_fds = true
    end
    thread.sleep(0.1)
  elseif type(conn) == "table" and conn.name == "ECONNABORTED" then
    -- A client gave up while waiting in the backlog: nothing to do.
  else
    error(conn, 0) -- Ctrl-C, or something unexpected: stop the server
  end
end
