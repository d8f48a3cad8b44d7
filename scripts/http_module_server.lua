-- http_module_server.lua: the server of http_server.lua, with the same
-- routes and the same answers, written on the http module: the module
-- reads each request and writes each response in Go, on the socket's own
-- receive buffer, and applies the same limits to what a client sends.
-- What is left to the script is what a server is for: its routes.
-- (http_server.lua parses HTTP in Lua, to show how; read it first.)
--
--   sockrun scripts/http_module_server.lua                   (127.0.0.1:8080)
--   sockrun --var port=9000 --var max_body=65536 scripts/http_module_server.lua
--   sockrun --workers auto scripts/http_module_server.lua    (every core)
--   sockrun --var cert=cert.pem --var key=key.pem scripts/http_module_server.lua   (HTTPS)
--   sockrun --metrics 127.0.0.1:9100 scripts/http_module_server.lua   (Prometheus metrics)
--
-- Try it with curl, as http_server.lua:
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
-- HEAD is answered wherever GET is, with the head only (write_response
-- leaves the body out when it is given the HEAD request).

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 8080)
local TIMEOUT = tonumber(vars.timeout or 10) -- seconds to send a whole request (or to take a response)
local IDLE = tonumber(vars.idle or 30) -- seconds a kept-alive connection may wait for its next request
local LINGER = 2 -- seconds to drain a client's unread input before closing on it

-- What one client can make the server hold or wait for: the module's
-- defaults (8 KiB lines, 100 header lines, 32 KiB of them) and these.
-- read_request refuses more with the status to answer (413, 414, 431 ...).
-- http.limits checks them once, here, where a table would be read and
-- checked again at every request.
local LIMITS = http.limits({
  max_body = tonumber(vars.max_body or 1048576),
  timeout = TIMEOUT, -- the whole request, from its first byte
  idle = IDLE, -- the wait for a request's first byte
})

local TLS = nil
if vars.cert then
  TLS = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
  TLS:load_cert_chain(vars.cert, vars.key or vars.cert)
  TLS:set_alpn_protocols({ "http/1.1" })
end

local TEXT = { ["Content-Type"] = "text/plain; charset=utf-8" }
local JSON = { ["Content-Type"] = "application/json" }

-- What an operator watches: requests by method and status, and how long
-- each took to answer. With --metrics they are served at /metrics beside
-- sockrun's own (connections, bytes, calls, errors); without, they are
-- kept and nobody reads them. Every worker runs these lines: they share
-- one counter, so /metrics shows the sum. A label's values must be few:
-- a client may send any method, so the unknown ones are counted as
-- "other" rather than each making a series of its own.
local REQUESTS = metrics.counter("http_requests_total", "HTTP requests answered, by method and status", { "method", "status" })
local SECONDS = metrics.histogram("http_request_duration_seconds", "Time from a request read to its response written", { "method" },
  { 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1 })
local METHODS = { GET = true, HEAD = true, POST = true, PUT = true, DELETE = true, OPTIONS = true, PATCH = true }

local function method_label(req)
  if not req then
    return "unread" -- refused before its request line was whole
  end
  local method = req.method -- (each field read asks the request object)
  return METHODS[method] and method or "other"
end

-- count counts an answered request, and the seconds it took when given,
-- in series bound once, at their first use, and kept:
-- SERIES[method][status] is REQUESTS' series of the method and the
-- status, SERIES[method].seconds is SECONDS' of the method. A bound
-- series is updated without a table of labels to read and look up at
-- every request. (A scrape shows a series from the moment it is bound:
-- bound at first use, only what happened is shown.)
local SERIES = {}
local function count(req, status, seconds)
  local method = method_label(req)
  local of_method = SERIES[method]
  if not of_method then
    of_method = {}
    SERIES[method] = of_method
  end
  local requests = of_method[status]
  if not requests then
    requests = REQUESTS:labels({ method = method, status = status })
    of_method[status] = requests
  end
  requests:inc()
  if seconds then
    if not of_method.seconds then
      of_method.seconds = SECONDS:labels({ method = method })
    end
    of_method.seconds:observe(seconds)
  end
end

-- Socket errors that mean the client is gone or too slow.
local CLIENT_GONE = { ECONNRESET = true, EPIPE = true, ETIMEDOUT = true, EOF = true, ENOTCONN = true }

-- as_table is a request's headers as one table by lower-case name, a
-- repeated header's values joined with ", " (for /json).
local function as_table(headers)
  local t = {}
  for name, value in headers:items() do
    name = name:lower()
    t[name] = t[name] and t[name] .. ", " .. value or value
  end
  return t
end

-- The routes: for each path, a handler per method. A handler takes the
-- request and returns the status, the headers and the body, or nil and
-- the error value of a body it could not read.
local ROUTES = {
  ["/"] = {
    GET = function()
      return 200, TEXT, "Hello from sockrun!\n"
    end,
  },
  ["/echo"] = {
    ANY = function(req)
      local body, err = req.body:read()
      if not body then
        return nil, err
      end
      -- tostring(headers) is the header lines, each ending in CRLF.
      return 200, TEXT, req.method .. " " .. req.target .. " " .. req.version .. "\r\n" .. tostring(req.headers) .. "\r\n" .. body
    end,
  },
  ["/json"] = {
    GET = function(req, number)
      return 200,
        JSON,
        json.encode({
          method = req.method,
          path = req.path,
          query = req.query,
          version = req.version,
          headers = as_table(req.headers),
          request = number, -- how many requests this connection has made
          worker = sockrun.worker,
        }) .. "\n"
    end,
  },
}

-- route answers one request: status, headers, body (or nil and an error).
local function route(req, number)
  local r = ROUTES[req.path]
  local method = req.method -- (each field read asks the request object)
  if method == "HEAD" then
    method = "GET"
  end
  local handler = r and (r[method] or r.ANY)
  if handler then
    return handler(req, number)
  elseif r then
    local allow = {}
    for m in pairs(r) do
      allow[#allow + 1] = m
    end
    table.sort(allow)
    if r.GET then
      allow[#allow + 1] = "HEAD"
    end
    return 405, { ["Content-Type"] = TEXT["Content-Type"], Allow = table.concat(allow, ", ") }, "405 Method Not Allowed\n"
  end
  return 404, TEXT, "404 Not Found: " .. req.path .. "\n"
end

-- serve answers the requests of one connection until it ends.
local function serve(conn, addr)
  local number = 0
  while true do
    local req, err = http.read_request(conn, LIMITS)
    local started = socket.time()
    local status, headers, body
    if req then
      number = number + 1
      status, headers, body = route(req, number)
      if status == nil then
        err = headers
      end
    end
    if err then
      -- A request to refuse: err.status is the answer. The connection
      -- closes after it, since what follows cannot be trusted to start a
      -- request.
      print(tostring(addr) .. ": " .. err.status .. " " .. err.reason .. " (" .. err.message .. ")")
      count(req, err.status)
      conn:settimeout(1)
      pcall(http.send_error, conn, err)
      return
    end
    if not req then
      return -- the client closed, or stayed idle: the normal end
    end
    local written = http.write_response(conn, status, headers, body, req)
    count(req, status, socket.time() - started)
    if not written then
      return
    end
  end
end

-- lingering_close: see http_server.lua. Say we are done writing, read and
-- drop what still comes for a short while, then close, so that a reset
-- does not destroy the last response before the client has read it.
local function lingering_close(conn)
  pcall(function()
    conn:shutdown(socket.SHUT_WR)
    local deadline = socket.time() + LINGER
    repeat
      conn:settimeout(math.max(deadline - socket.time(), 0.001))
    until conn:recv(65536) == ""
  end)
  conn:close()
end

local function connection(conn, addr)
  -- The client has TIMEOUT seconds to take each response (and for a TLS
  -- handshake); reads have their own bounds in LIMITS.
  conn:settimeout(TIMEOUT)
  if TLS then
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
    if type(err) == "table" and CLIENT_GONE[err.name] then
      print(tostring(addr) .. ": " .. tostring(err.message or err))
    else
      error(err, 0) -- a bug in this script: printed with a traceback
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
    conn:setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    thread.spawn(connection, conn, addr)
  elseif type(conn) == "table" and (conn.name == "EMFILE" or conn.name == "ENFILE") then
    -- Out of file descriptors: wait for some connection to close.
    if not out_of_fds then
      print("accept: " .. tostring(conn) .. "; waiting for connections to close")
      out_of_fds = true
    end
    thread.sleep(0.1)
  elseif type(conn) == "table" and conn.name == "ECONNABORTED" then
    -- A client gave up while waiting in the backlog: nothing to do.
  else
    error(conn, 0)
  end
end
