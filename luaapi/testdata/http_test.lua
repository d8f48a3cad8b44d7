-- Lua-side tests of the http module: requests read, responses written,
-- the client side, the refusals of hostile input, and the mixing of the
-- module's reads with the socket's own. Over 127.0.0.1 only.
local st = require("sockettest")

-- served sends raw on the client end of a new connection and returns
-- the client end and the server's end.
local function served(raw)
  local c, s = st.pair()
  if raw then c:sendall(raw) end
  return c, s
end

-- response ends the server's end and returns all the client received.
local function response(c, s)
  s:close()
  return st.recvall(c)
end

function TestReadRequest(t)
  local c, s = served("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example.test\r\nAccept: */*\r\n"
    .. "X-Two: 1\r\nx-two:  2 \r\n\r\n")
  local req = http.read_request(s)
  t:eq(req.method, "GET", "method")
  t:eq(req.target, "/a/b?x=1&y=2", "target")
  t:eq(req.path, "/a/b", "path")
  t:eq(req.query, "x=1&y=2", "query")
  t:eq(req.version, "HTTP/1.1", "version")
  t:eq(req.keep_alive, true, "HTTP/1.1 keeps the connection")
  local h = req.headers
  t:eq(#h, 4, "four header lines")
  t:eq(h:get("host"), "example.test", "lookup in any case")
  t:eq(h:get("HOST"), "example.test", "lookup in any case")
  t:eq(h:get("X-Two"), "1", "the first of a repeated header")
  local all = h:get_all("x-TWO")
  t:eq(#all, 2, "both lines kept")
  t:eq(all[2], "2", "the spaces around a value are not part of it")
  t:eq(h:get("missing"), nil, "nil for a missing header")
  t:eq(h:get("missing", "dflt"), "dflt", "or the default")
  t:eq(#h:get_all("missing"), 0, "an empty list")
  local names = {}
  for name, value in h:items() do names[#names + 1] = name .. "=" .. value end
  t:eq(table.concat(names, ","), "Host=example.test,Accept=*/*,X-Two=1,x-two=2", "in order, names as received")
  t:eq(tostring(h), "Host: example.test\r\nAccept: */*\r\nX-Two: 1\r\nx-two: 2\r\n", "tostring: the lines")
  t:eq(req.body:read(), "", "no body")
  t:eq(req.body:read(10), "", "no body")
  t:eq(tostring(req), "<http.request GET /a/b?x=1&y=2 HTTP/1.1>", "tostring")
  -- A script's own fields, and keep_alive, may be set; the rest may not.
  t:eq(req.user, nil, "no such field")
  req.user = "ann"
  t:eq(req.user, "ann", "a field of the script's")
  req.keep_alive = false
  t:eq(req.keep_alive, false, "keep_alive set")
  st.misuse(t, "cannot set field 'method' of an http.request", function() req.method = "PUT" end)
  c:close()
  t:eq(http.read_request(s), nil, "nil at the end of the stream")
end

function TestReadRequestMethods(t)
  -- The common methods and any other token, each as sent.
  local methods = { "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "PROPFIND", "get", "GETX" }
  local raw = {}
  for i, m in ipairs(methods) do raw[i] = m .. " /" .. i .. " HTTP/1.1\r\nHost: x\r\n\r\n" end
  local c, s = served(table.concat(raw))
  for i, m in ipairs(methods) do
    local req = http.read_request(s)
    t:eq(req.method, m, "method " .. m)
    t:eq(req.path, "/" .. i, "its path")
    t:eq(req.status, nil, "a response's field is not a request's")
    t:eq(req.reason, nil, "a response's field is not a request's")
  end
  c:close()
end

function TestReadRequestSharesTheBuffer(t)
  local c, s = served("hello\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcrest")
  -- recvline reads ahead: the requests are buffered behind the line.
  t:eq(s:recvline(), "hello", "a line read by the socket")
  t:eq(http.read_request(s).target, "/", "the request after it, from the buffer")
  local req = http.read_request(s)
  t:eq(req.method, "POST", "pipelined")
  t:eq(req.body:read(), "abc", "its body")
  t:eq(s:recv_exactly(4), "rest", "what follows is the socket's again")
end

function TestReadRequestBody(t)
  -- The second body is a request itself: it must never be read as one.
  local inner = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
  local c, s = served("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
    .. "PUT /q HTTP/1.1\r\nHost: x\r\nContent-Length: " .. #inner .. "\r\n\r\n" .. inner
    .. "GET /r HTTP/1.1\r\nHost: x\r\n\r\n")
  local req = http.read_request(s)
  t:eq(req.body:read(4), "0123", "a piece")
  t:eq(req.body:read(100), "456789", "the rest, no more than the body")
  t:eq(req.body:read(100), "", "the end")
  -- A body left unread is read past before the next request.
  req = http.read_request(s)
  t:eq(req.target, "/q", "the next request")
  req = http.read_request(s)
  t:eq(req.method .. " " .. req.target, "GET /r", "after an unread body, the request after it")
  st.misuse(t, "bad argument #1 to 'read' (negative count)", function() req.body:read(-1) end)
end

function TestReadRequestChunked(t)
  local c, s = served("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
    .. "5\r\nhello\r\n7;ext=1\r\n, world\r\nA \r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n"
    .. "POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    .. "GET /e HTTP/1.1\r\nHost: x\r\n\r\n")
  local req = http.read_request(s)
  t:eq(req.body:read(), "hello, world0123456789", "the chunks, decoded")
  req = http.read_request(s)
  t:eq(req.body:read(2), "ab", "a piece of a chunk")
  t:eq(req.body:read(), "c", "the rest")
  t:eq(http.read_request(s).target, "/e", "the next request")
end

-- refused reads raw as a request (and its body, if it has one) and
-- returns the error value.
local function refused(t, raw, limits)
  local c, s = served(raw)
  local req, err = http.read_request(s, limits)
  if req then
    req, err = req.body:read()
  end
  if req ~= nil or type(err) ~= "table" then
    t:fatal("not refused: " .. raw:sub(1, 60) .. " got " .. tostring(req))
  end
  c:close()
  s:close()
  return err
end

function TestReadRequestRefusals(t)
  for _, case in ipairs({
    { "GARBAGE\r\n\r\n", 400, "malformed request line" },
    { "GET / http/1.1\r\nHost: x\r\n\r\n", 400, "malformed request line" },
    { "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed request line" },
    { "GET /\1 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed request line" },
    { "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "request target is not a path" },
    { "GET / HTTP/2.0\r\n\r\n", 505, "HTTP/2.0" },
    { "GET / HTTP/1.1\r\n\r\n", 400, "no Host header" },
    { "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400, "more than one Host header" },
    { "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "malformed header line" },
    { "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 400, "malformed header line" },
    { "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\1b\r\n\r\n", 400, "malformed header line" },
    { "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400, "malformed header line" },
    { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na", 400, "bad Content-Length" },
    { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\na", 400, "bad Content-Length" },
    { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\na", 400, "bad Content-Length" },
    { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", 400, "bad Content-Length" },
    { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 413, "body over 1048576 bytes" },
    { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "both Transfer-Encoding and Content-Length" },
    { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "more than one Transfer-Encoding header" },
    { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "Transfer-Encoding gzip, chunked" },
    { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: 200-ok\r\n\r\n", 417, "unknown expectation" },
    { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad chunk size" },
    { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400, "bad chunk size" },
    { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n", 400, "bad chunk size" },
    { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\n", 400, "bad chunk size" },
    { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 400, "chunk longer than its size" },
    { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", 413, "body over 1048576 bytes" },
    { "GET /" .. string.rep("a", 9000) .. " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "line longer than 8192 bytes" },
    { "GET / HTTP/1.1\r\nHost: x\r\nX-A: " .. string.rep("a", 9000) .. "\r\n\r\n", 431, "line longer than 8192 bytes" },
    { "GET / HTTP/1.1\r\nHost: x\r\n" .. string.rep("X-A: 1\r\n", 100) .. "\r\n", 431, "more than 100 header lines or 32768 bytes" },
  }) do
    local err = refused(t, case[1])
    t:eq(err.status, case[2], "status of " .. case[1]:sub(1, 50))
    t:eq(err.message, case[3], "why, of " .. case[1]:sub(1, 50))
    t:eq(err.class, "http.HTTPError", "class")
    t:eq(err.name, "HTTP_" .. case[2], "name")
    t:eq(err.reason, http.responses[case[2]], "reason")
  end
  -- Within the limits: 100 header lines, a line of 8192 bytes with its CRLF.
  local c, s = served("GET / HTTP/1.1\r\nHost: x\r\n" .. string.rep("X-A: 1\r\n", 99) .. "\r\n")
  t:eq(#http.read_request(s).headers, 100, "100 header lines")
  c, s = served("GET /" .. string.rep("a", 8192 - 16) .. " HTTP/1.1\r\nHost: x\r\n\r\n")
  t:eq(#http.read_request(s).target, 8192 - 15, "a request line of 8192 bytes")
  -- Empty lines before a request are skipped; HTTP/1.0 needs no Host.
  c, s = served("\r\n\r\nGET / HTTP/1.0\r\n\r\n")
  local req = http.read_request(s)
  t:eq(req.version, "HTTP/1.0", "HTTP/1.0")
  t:eq(req.keep_alive, false, "HTTP/1.0 closes unless asked")
end

-- The limits refuse the same requests whether they come as a table or
-- as a limits object made of it.
function TestReadRequestLimits(t)
  for _, form in ipairs({
    { "a table", function(l) return l end },
    { "a limits object", http.limits },
  }) do
    local name, make = form[1], form[2]
    local lim = make({ max_headers = 2, max_line = 64, max_head = 20, max_body = 4 })
    local err = refused(t, "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", lim)
    t:eq(err.status, 431, "max_headers, " .. name)
    err = refused(t, "GET / HTTP/1.1\r\nHost: x\r\nA: " .. string.rep("1", 20) .. "\r\n\r\n", lim)
    t:eq(err.message, "more than 2 header lines or 20 bytes", "max_head, " .. name)
    err = refused(t, "GET /" .. string.rep("a", 64) .. " HTTP/1.1\r\n\r\n", lim)
    t:eq(err.message, "line longer than 64 bytes", "max_line, " .. name)
    lim = make({ max_headers = 2, max_line = 64, max_head = 100, max_body = 4 })
    err = refused(t, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", lim)
    t:eq(err.message, "body over 4 bytes", "max_body, " .. name)
    err = refused(t, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", lim)
    t:eq(err.status, 413, "max_body of a chunked body, " .. name)
  end
  local c, s = served()
  st.misuse(t, "bad argument #2 to 'read_request' (unknown limit max_bdy; did you mean max_body?)", function()
    http.read_request(s, { max_bdy = 1 })
  end)
  st.misuse(t, "bad argument #2 to 'read_request' (limit max_line must be a positive integer, got 0)", function()
    http.read_request(s, { max_line = 0 })
  end)
  st.misuse(t, "bad argument #2 to 'read_request' (timeout must be a number of seconds, got -1)", function()
    http.read_request(s, { timeout = -1 })
  end)
  st.misuse(t, "bad argument #2 to 'read_request' (table of limits expected, got string)", function()
    http.read_request(s, "x")
  end)
end

-- A table of limits is read at every call: a change between two calls
-- holds for the second.
function TestReadRequestLimitsChanged(t)
  local lim = { max_body = 4 }
  local post = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"
  t:eq(refused(t, post, lim).status, 413, "over max_body")
  lim.max_body = 5
  local c, s = served(post)
  t:eq(http.read_request(s, lim).body:read(), "abcde", "max_body raised between calls")
  c:close()
  s:close()
end

-- http.limits checks a table once and fixes it: the object reads back
-- its limits, defaults included, cannot be changed, and raises what the
-- table would raise.
function TestLimitsObject(t)
  local lim = http.limits({ max_body = 65536, timeout = 10, idle = 30.5 })
  t:eq(tostring(lim), "<http.limits max_line=8192 max_head=32768 max_headers=100 max_body=65536 timeout=10 idle=30.5>", "tostring")
  t:eq(lim.max_body, 65536, "max_body")
  t:eq(lim.max_line, 8192, "max_line's default")
  t:eq(lim.max_head, 32768, "max_head's default")
  t:eq(lim.max_headers, 100, "max_headers' default")
  t:eq(lim.timeout, 10, "timeout")
  t:eq(lim.idle, 30.5, "idle")
  local dflt = http.limits({})
  t:eq(dflt.timeout, nil, "no timeout given")
  t:eq(tostring(dflt), "<http.limits max_line=8192 max_head=32768 max_headers=100 max_body=1048576>", "the defaults")
  t:eq(tostring(http.limits(lim)), tostring(lim), "made of another object")
  st.misuse(t, "cannot set field 'max_body' of an http.limits object: it is fixed when made; make another with http.limits{...}",
    function() lim.max_body = 1 end)
  t:eq(lim.max_body, 65536, "unchanged")
  st.misuse(t, "http.limits object has no field 'max_bdy'; did you mean max_body?", function() return lim.max_bdy end)
  st.misuse(t, "bad argument #1 to 'limits' (unknown limit max_bdy; did you mean max_body?)", function()
    http.limits({ max_bdy = 1 })
  end)
  st.misuse(t, "bad argument #1 to 'limits' (limit max_line must be a positive integer, got 0)", function()
    http.limits({ max_line = 0 })
  end)
  st.misuse(t, "bad argument #1 to 'limits' (timeout must be a number of seconds, got -1)", function()
    http.limits({ timeout = -1 })
  end)
  st.misuse(t, "bad argument #1 to 'limits' (unknown limit 'method': a limits object holds limits only", function()
    http.limits({ method = "HEAD" })
  end)
  st.misuse(t, "bad argument #1 to 'limits' (table of limits expected, got nil)", function() http.limits() end)
  st.misuse(t, "bad argument #1 to 'limits' (table of limits expected, got string)", function() http.limits("x") end)
  local c, s = served()
  st.misuse(t, "bad argument #2 to 'read_request' (table of limits expected, got socket)", function()
    http.read_request(s, s)
  end)
  c:close()
  s:close()
end

-- read_request and read_response apply a limits object's timeouts, and
-- one object serves several threads. (Its size limits are tested with
-- the table's in TestReadRequestLimits.)
function TestLimitsObjectApplied(t)
  local c, s = served()
  t:eq(http.read_request(s, http.limits({ idle = 0.05 })), nil, "idle")
  c:sendall("GET / HT")
  local req, err = http.read_request(s, http.limits({ timeout = 0.1 }))
  t:eq(req, nil, "no request")
  t:eq(err.message, "request not complete within 0.1 s", "timeout")
  c:close()
  s:close()

  -- A client's read, and the same object in another thread.
  local small = http.limits({ max_body = 4, timeout = 5 })
  local srv, addr = st.listener()
  local h = thread.spawn(function()
    local conn = srv:accept()
    local r = http.read_request(conn, small)
    http.write_response(conn, 200, nil, "too long", r)
    conn:close()
  end)
  c = socket.create_connection(addr)
  http.request(c, "GET", "/", { Host = "x" })
  local resp = http.read_response(c, small)
  t:eq(resp.status, 200, "status")
  local ok
  ok, err = pcall(resp.body.read, resp.body)
  t:eq(ok, false, "a response's body over max_body raises")
  t:eq(err.message, "body over 4 bytes", "read_response's max_body")
  c:close()
  h:join()
end

function TestReadRequestTimeouts(t)
  -- Nothing within idle: the end, as a closed connection.
  local c, s = served()
  t:eq(http.read_request(s, { idle = 0.05 }), nil, "idle")
  -- Half a request within timeout: 408.
  c:sendall("GET / HT")
  local req, err = http.read_request(s, { timeout = 0.1 })
  t:eq(req, nil, "no request")
  t:eq(err.status, 408, "408")
  t:eq(err.message, "request not complete within 0.1 s", "why")
  -- The socket's timeout when no limit is given.
  c, s = served("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
  s:settimeout(0.1)
  req = http.read_request(s)
  req, err = req.body:read()
  t:eq(err.status, 408, "a body too slow")
  t:eq(err.message, "request not complete within 0.1 s", "why")
  req, err = req == nil and http.read_request(s), nil
  t:eq(req, nil, "the connection is over after a refused body")
end

function TestReadRequestEndOfStream(t)
  local c, s = served("GET / HTTP/1.1\r\nHo")
  c:close()
  local err = st.raises(t, http.read_request, s)
  t:eq(err.class, "EOFError", "class")
  t:eq(err.name, "EOF", "name")
  st.contains(t, err, "connection closed in the middle of a request's head (after 18 bytes) (read_request")
  c, s = served("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nabc")
  c:close()
  local req = http.read_request(s)
  err = st.raises(t, req.body.read, req.body)
  t:eq(err.name, "EOF", "a body cut short")
end

function TestExpectContinue(t)
  local c, s = served("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n")
  local req = http.read_request(s)
  local h = thread.spawn(function() return req.body:read() end)
  t:eq(c:recvuntil("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n", "the interim response, when the body is read")
  c:sendall("hello")
  t:eq(h:join(), "hello", "then the body")
  -- A response before the body is read: the connection cannot go on.
  c, s = served("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
  req = http.read_request(s)
  t:eq(http.write_response(s, 413, nil, "no", req), false, "closes")
  t:eq(http.read_request(s), nil, "no next request")
  local resp = http.read_response(c)
  t:eq(resp.status, 413, "the response")
  t:eq(resp.headers:get("connection"), "close", "says it closes")
end

function TestWriteResponse(t)
  local c, s = served()
  local keep = http.write_response(s, 200, {
    "X-First: 1",
    { "X-Second", 2 },
    ["X-B"] = "b",
    ["X-A"] = { "a1", "a2" },
    ["Content-Type"] = "text/plain",
  }, "hello")
  t:eq(keep, true, "kept without a request")
  local raw = response(c, s)
  local head, body = raw:match("^(.-\r\n)\r\n(.*)$")
  t:eq(body, "hello", "the body")
  local lines = {}
  for line in head:gmatch("(.-)\r\n") do
    if not line:find("^Date: ") then lines[#lines + 1] = line end
  end
  t:eq(table.concat(lines, "|"), "HTTP/1.1 200 OK|X-First: 1|X-Second: 2|Content-Type: text/plain|X-A: a1|X-A: a2|X-B: b|Server: sockrun|Content-Length: 5",
    "the list in order, then the names sorted")
  t:eq(#head:match("Date: ([^\r]*)"), 29, "a Date")
end

function TestWriteResponseRequest(t)
  -- HEAD: the GET's Content-Length, no body.
  local c, s = served("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
  local req = http.read_request(s)
  t:eq(http.write_response(s, 200, { Server = "mine", Date = "then" }, "hello", req), true, "kept")
  t:eq(response(c, s), "HTTP/1.1 200 OK\r\nDate: then\r\nServer: mine\r\nContent-Length: 5\r\n\r\n", "HEAD")
  -- HTTP/1.0 asking for keep-alive: said back.
  c, s = served("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
  req = http.read_request(s)
  t:eq(req.keep_alive, true, "asked for")
  t:eq(http.write_response(s, 404, { Date = "d" }, "", req), true, "kept")
  t:eq(response(c, s), "HTTP/1.1 404 Not Found\r\nDate: d\r\nServer: sockrun\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n", "1.0 keep-alive")
  -- HTTP/1.1 with Connection: close; a script's Connection: close.
  c, s = served("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
  req = http.read_request(s)
  t:eq(req.keep_alive, false, "close asked")
  t:eq(http.write_response(s, 200, { Date = "d" }, "", req), false, "closed")
  req = http.read_request(s)
  t:eq(http.write_response(s, 200, { Date = "d", Connection = "close" }, "", req), false, "the script closes")
  t:eq(response(c, s), "HTTP/1.1 200 OK\r\nDate: d\r\nServer: sockrun\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    .. "HTTP/1.1 200 OK\r\nConnection: close\r\nDate: d\r\nServer: sockrun\r\nContent-Length: 0\r\n\r\n", "both")
  -- 204 and 1xx have no Content-Length; an odd status has an empty reason.
  c, s = served()
  http.write_response(s, 103, { Date = "d", Link = "</a>" })
  http.write_response(s, 204, { Date = "d" })
  http.write_response(s, 299, { Date = "d" })
  t:eq(response(c, s), "HTTP/1.1 103 Early Hints\r\nDate: d\r\nLink: </a>\r\nServer: sockrun\r\n\r\n"
    .. "HTTP/1.1 204 No Content\r\nDate: d\r\nServer: sockrun\r\n\r\n"
    .. "HTTP/1.1 299 \r\nDate: d\r\nServer: sockrun\r\nContent-Length: 0\r\n\r\n", "no body")
end

function TestWriteResponseChunked(t)
  local c, s = served("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.0\r\n\r\n")
  local parts = { "hello", "", ", world", string.rep("x", 70000) }
  local function chunks()
    local i = 0
    return function()
      i = i + 1
      return parts[i]
    end
  end
  local req = http.read_request(s)
  t:eq(http.write_response(s, 200, { Date = "d" }, chunks(), req), true, "chunked keeps the connection")
  local resp = http.read_response(c)
  t:eq(resp.headers:get("transfer-encoding"), "chunked", "chunked")
  t:eq(resp.body:read(), "hello, world" .. parts[4], "the chunks")
  -- HTTP/1.0 has no chunks: the body ends with the connection.
  req = http.read_request(s)
  t:eq(http.write_response(s, 200, { Date = "d" }, chunks(), req), false, "closes")
  s:close()
  resp = http.read_response(c)
  t:eq(resp.headers:get("connection"), "close", "says so")
  t:eq(resp.keep_alive, false, "read until the end")
  t:eq(resp.body:read(), "hello, world" .. parts[4], "the bytes")
end

function TestWriteResponseMisuse(t)
  local c, s = served()
  st.misuse(t, "bad argument #1 to 'write_response' (socket expected, got nil)", function() http.write_response(nil, 200) end)
  st.misuse(t, "bad argument #2 to 'write_response' (status must be from 100 to 599, got 99)", function() http.write_response(s, 99) end)
  st.misuse(t, "bad argument #3 to 'write_response' (header name \"X A\" is not a token)", function() http.write_response(s, 200, { ["X A"] = "1" }) end)
  st.misuse(t, "bad argument #3 to 'write_response' (the value of header X-A has a control character (CR, LF ...))", function()
    http.write_response(s, 200, { ["X-A"] = "1\r\nSet-Cookie: evil" })
  end)
  st.misuse(t, "bad argument #3 to 'write_response' (Content-Length is the module's to write, from the body)", function()
    http.write_response(s, 200, { ["Content-Length"] = 5 }, "hello")
  end)
  st.misuse(t, "bad argument #3 to 'write_response' (header line \"nope\" has no colon)", function() http.write_response(s, 200, { "nope" }) end)
  st.misuse(t, "bad argument #4 to 'write_response' (body must be a string, a function or nil, got table)", function() http.write_response(s, 200, nil, {}) end)
  st.misuse(t, "bad argument #4 to 'write_response' (a 304 response has no body)", function() http.write_response(s, 304, nil, "x") end)
  st.misuse(t, "bad argument #5 to 'write_response' (request (from read_request) expected, got string)", function() http.write_response(s, 200, nil, "", "GET") end)
  st.misuse(t, "bad argument #4 to 'write_response' (the body function returned a number: strings expected, nil at the end)", function()
    http.write_response(s, 200, nil, function() return 1 end)
  end)
  st.misuse(t, "bad argument #2 to 'send_error' (an error status (400 to 599) expected, got 200)", function() http.send_error(s, 200) end)
  local u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  st.misuse(t, "bad argument #1 to 'read_request' (a stream socket expected, got a datagram socket)", function() http.read_request(u) end)
  u:close()
  s:close()
  local err = st.raises(t, http.read_request, s)
  t:eq(err.name, "EBADF", "a closed socket")
end

function TestSendError(t)
  local c, s = served("GET / HTTP/1.1\r\nHost: x\r\nX: \1\r\n\r\n")
  local req, err = http.read_request(s)
  http.send_error(s, err)
  local resp = http.read_response(c)
  t:eq(resp.status, 400, "the status")
  t:eq(resp.keep_alive, false, "closes")
  t:eq(resp.body:read(), "400 Bad Request: malformed header line\n", "the text")
  c, s = served()
  http.send_error(s, 503, "busy")
  resp = http.read_response(c)
  t:eq(resp.reason, "Service Unavailable", "reason")
  t:eq(resp.body:read(), "503 Service Unavailable: busy\n", "the message")
end

function TestClient(t)
  local srv, addr = st.listener()
  local h = thread.spawn(function()
    local conn = srv:accept()
    while true do
      local req = http.read_request(conn)
      if not req then break end
      local body = req.body:read()
      if req.path == "/chunks" then
        local sent = false
        http.write_response(conn, 200, nil, function()
          if sent then return nil end
          sent = true
          return req.method .. " " .. body
        end, req)
      elseif req.path == "/continue" then
        http.write_response(conn, 100)
        http.write_response(conn, 200, { ["X-Host"] = req.headers:get("host") }, body, req)
      else
        http.write_response(conn, 200, { ["X-Host"] = req.headers:get("host") }, req.method .. " " .. body, req)
      end
    end
    conn:close()
  end)
  local c = socket.create_connection(addr)
  http.request(c, "GET", "/", { Accept = "*/*" })
  local resp = http.read_response(c)
  t:eq(resp.status, 200, "status")
  t:eq(resp.reason, "OK", "reason")
  t:eq(resp.version, "HTTP/1.1", "version")
  t:eq(resp.keep_alive, true, "kept")
  t:eq(resp.headers:get("x-host"), tostring(addr), "Host from the peer's address")
  t:eq(resp.body:read(), "GET ", "the body")
  t:eq(tostring(resp), "<http.response HTTP/1.1 200 OK>", "tostring")
  st.misuse(t, "bad argument #5 to 'write_response' (request (from read_request) expected, got http.response)", function()
    http.write_response(c, 200, nil, "", resp)
  end)
  -- Pipelined: a HEAD's response has no body, whatever its length says.
  http.request(c, "POST", "/chunks", { Host = "h" }, "abc")
  http.request(c, "HEAD", "/", nil)
  local n = 0
  http.request(c, "PUT", "/continue", nil, function()
    n = n + 1
    if n <= 2 then return "part" .. n end
  end)
  resp = http.read_response(c)
  t:eq(resp.headers:get("transfer-encoding"), "chunked", "a chunked response")
  t:eq(resp.body:read(3), "POS", "read in pieces")
  resp = http.read_response(c) -- the rest of the last body is read past
  t:eq(resp.headers:get("content-length"), "5", "HEAD's length")
  t:eq(resp.body:read(), "", "no body")
  resp = http.read_response(c)
  t:eq(resp.status, 200, "the final response after 100 Continue")
  t:eq(resp.body:read(), "part1part2", "a chunked request's body")
  c:close()
  h:join()
end

function TestClientBrokenResponse(t)
  for _, case in ipairs({
    { "HTTP/1.1 2000 OK\r\n\r\n", "malformed status line" },
    { "HTTP/2 200 OK\r\n\r\n", "malformed status line" },
    { "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", "both Transfer-Encoding and Content-Length" },
    { "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "bad Content-Length \"x\"" },
    { "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", "malformed header line" },
  }) do
    local c, s = served()
    s:sendall(case[1])
    local err = st.raises(t, http.read_response, c)
    t:eq(err.class, "http.HTTPError", "class")
    t:eq(err.name, "HTTP_BAD_RESPONSE", "name")
    st.contains(t, err, case[2])
  end
  local c, s = served()
  s:close()
  local err = st.raises(t, http.read_response, c)
  st.contains(t, err, "EOFError: connection closed in the middle of an exchange: no response (read_response")
  c, s = served()
  s:sendall("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n")
  local resp = http.read_response(c)
  err = st.raises(t, resp.body.read, resp.body)
  st.contains(t, err, "bad chunk size (read")
end

function TestLuaSocketObjects(t)
  -- Any face's stream socket: LuaSocket's tcp objects too.
  local srv = socket.bind("127.0.0.1", 0)
  local _, port = srv:getsockname()
  local c = socket.connect("127.0.0.1", port)
  local conn = srv:accept()
  c:send("GET /ls HTTP/1.1\r\nHost: x\r\n\r\n")
  local req = http.read_request(conn)
  t:eq(req.target, "/ls", "read from a LuaSocket object")
  http.write_response(conn, 200, nil, "ok", req)
  t:eq(http.read_response(c).body:read(), "ok", "and written")
  c:close()
  conn:close()
  srv:close()
end

function TestResponses(t)
  t:eq(http.responses[200], "OK", "200")
  t:eq(http.responses[413], "Content Too Large", "413")
  t:eq(http.responses[431], "Request Header Fields Too Large", "431")
end
