-- tcp_proxy.lua: a TCP relay. Every client that connects is connected on
-- to an upstream server, and bytes are copied both ways until both sides
-- are done. Put it between a client and a server to watch or delay their
-- traffic, or to reach a server listening elsewhere.
--
--   sockrun scripts/tcp_proxy.lua        (127.0.0.1:10080 -> 127.0.0.1:10000)
--   sockrun --var listen_port=8080 --var upstream_host=example.org \
--           --var upstream_port=80 scripts/tcp_proxy.lua

local LISTEN_HOST = vars.listen_host or "127.0.0.1"
local LISTEN_PORT = tonumber(vars.listen_port or 10080)
local UPSTREAM_HOST = vars.upstream_host or "127.0.0.1"
local UPSTREAM_PORT = tonumber(vars.upstream_port or 10000)

-- pipe copies src to dst until src's end of stream, counting the bytes in
-- session[count]. Then it passes that end on with shutdown(SHUT_WR): dst's
-- peer reads end of stream, while the other direction stays open (a
-- "half-close": a client may send its request, shut down writing, and
-- still read the whole answer).
local function pipe(src, dst, session, count)
  while true do
    local data = src:recv(65536)
    if data == "" then
      break
    end
    dst:sendall(data)
    session[count] = session[count] + #data
  end
  dst:shutdown(socket.SHUT_WR)
end

-- relay runs pipe and catches its error: a reset connection, a broken
-- pipe. Then the connection is lost both ways: closing both sockets wakes
-- the thread copying the other direction, which fails in turn. The first
-- error is the one worth reporting.
local function relay(src, dst, session, count)
  local ok, err = pcall(pipe, src, dst, session, count)
  if not ok then
    session.err = session.err or err
    src:close()
    dst:close()
  end
end

-- handle is a client's thread: connect upstream, copy both ways with two
-- threads (this one and one more), close both sockets when both are done.
local function handle(client, addr)
  local ok, upstream = pcall(socket.create_connection, {UPSTREAM_HOST, UPSTREAM_PORT})
  if not ok then -- upstream is the error here
    print(tostring(addr) .. ": " .. tostring(upstream))
    client:close()
    return
  end
  local session = { up = 0, down = 0 } -- bytes copied each way, and the first error
  local down = thread.spawn(relay, upstream, client, session, "down")
  relay(client, upstream, session, "up")
  down:join()
  client:close()
  upstream:close()
  local report = ("%s: %d bytes up, %d bytes down"):format(tostring(addr), session.up, session.down)
  if session.err then
    report = report .. ", " .. tostring(session.err)
  end
  print(report)
end

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({LISTEN_HOST, LISTEN_PORT})
server:listen(socket.SOMAXCONN)
print(("listening on %s, forwarding to %s:%d"):format(tostring(server:getsockname()), UPSTREAM_HOST, UPSTREAM_PORT))

-- accept waits for the next client. When the process is out of file
-- descriptors (EMFILE: each client holds two, its own and the upstream's,
-- and the limit, see `ulimit -n`, is reached), accept fails; that is no
-- reason to drop the connections we relay. A production server waits for
-- some to end and goes on accepting; meanwhile the kernel keeps new clients
-- queued in the backlog. Any other error still ends the proxy.
local function accept()
  local waiting = false
  while true do
    local ok, client, addr = pcall(server.accept, server)
    if ok then
      if waiting then
        print("accepting again")
      end
      return client, addr
    end
    if client.name ~= "EMFILE" and client.name ~= "ENFILE" then
      error(client, 0) -- Ctrl-C, or a real fault: not ours to hide
    end
    if not waiting then
      print("accept: " .. tostring(client) .. "; waiting for clients to leave")
      waiting = true
    end
    socket.sleep(0.1)
  end
end

while true do
  local client, addr = accept()
  thread.spawn(handle, client, addr)
end
