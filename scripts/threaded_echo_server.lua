-- threaded_echo_server.lua: an echo server that serves every client at once,
-- one thread per client (Python's socketserver.ThreadingTCPServer, by hand).
--
--   sockrun scripts/threaded_echo_server.lua
--   sockrun --var host=0.0.0.0 --var port=9000 scripts/threaded_echo_server.lua
--
-- Try it with several clients at once: `nc 127.0.0.1 10000` in a few terminals.
--
-- As a service (docs/deploy.md): started by systemd's socket activation it
-- serves the socket it is handed rather than binding one, and on SIGTERM it
-- drains: it stops accepting, lets the clients it has finish (for up to
-- vars.drain seconds, 30 by default), then ends with exit code 0. A new
-- server started meanwhile on the same socket takes the new clients: no
-- connection is refused across a restart.

local HOST = vars.host or "127.0.0.1" -- the interface to listen on
local PORT = tonumber(vars.port or 10000) -- the port to listen on
local DRAIN = tonumber(vars.drain or 30) -- seconds the clients get to finish on SIGTERM

local clients = {} -- the connections being served, each to its thread, for the drain

-- handle serves one client until it closes its side: everything it sends
-- comes straight back. It runs in a thread of its own, so while it waits in
-- recv the other clients' threads (and the accept loop) carry on.
local function handle(conn)
  -- Send each reply at once rather than waiting to batch small writes
  -- (Nagle's algorithm): what a request/response server wants, and what
  -- Go's net package does for every TCP connection. (A unix socket a
  -- service manager handed us has no Nagle.)
  if conn.family ~= socket.AF_UNIX then
    conn:setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
  end
  clients[conn] = thread.current()
  while true do
    -- recv returns what has arrived, up to 65536 bytes: a small message
    -- costs no more with a large bufsize, and a big transfer takes one
    -- recv and one sendall per 64 KiB rather than sixteen of each.
    local data = conn:recv(65536)
    if data == "" then -- "" means the client closed the connection
      break
    end
    conn:sendall(data)
  end
  clients[conn] = nil
  conn:close()
end

-- The socket a service manager handed us (socket activation), if any; else
-- one of our own.
local server = socket.listen_fds()[1]
if not server then
  server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
  -- Let a restarted server bind the port at once, even while connections of
  -- the previous run are still in TIME_WAIT.
  server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
  server:bind({HOST, PORT})
  -- A long queue of connections waiting for accept, so that a burst of
  -- clients connecting at the same moment is not turned away.
  server:listen(socket.SOMAXCONN)
end
print("listening on " .. tostring(server:getsockname()))

-- Draining: SIGTERM (systemctl stop, a restart) closes our listening
-- socket, which ends the accept below; the clients we have carry on. The
-- handler runs in the main thread, while it waits in accept.
local draining = false
signal.signal(signal.SIGTERM, function()
  draining = true
  server:close()
end)

-- accept waits for the next client. When the process is out of file
-- descriptors (EMFILE: every client we hold has one, and the limit, see
-- `ulimit -n`, is reached), accept fails; that is no reason to stop serving
-- the clients we have. A production server waits for some to leave and
-- goes on accepting; meanwhile the kernel keeps new clients queued in the
-- backlog. Any other error still ends the server.
local function accept()
  local waiting = false
  while true do
    local ok, conn, addr = pcall(server.accept, server)
    if ok then
      if waiting then
        print("accepting again")
      end
      return conn, addr
    end
    if draining then
      return nil -- our listening socket is closed: no more clients
    end
    if conn.name ~= "EMFILE" and conn.name ~= "ENFILE" then
      error(conn, 0) -- Ctrl-C, or a real fault: not ours to hide
    end
    if not waiting then
      print("accept: " .. tostring(conn) .. "; waiting for clients to leave")
      waiting = true
    end
    socket.sleep(0.1)
  end
end

while true do
  local conn = accept()
  if not conn then
    break -- draining
  end
  -- An error in one client's thread is printed and ends only that thread;
  -- the server goes on accepting.
  thread.spawn(handle, conn)
end

-- Drain: wait for each client's thread until the deadline, then end the
-- reading side of the connections left, so that their threads see the end
-- of the stream and finish what they were sending.
local serving = {}
for conn, t in pairs(clients) do
  serving[#serving + 1] = t
end
print("draining " .. #serving .. " connections")
sockrun.notify("STATUS=draining " .. #serving .. " connections")
local deadline = socket.time() + DRAIN
for _, t in ipairs(serving) do
  pcall(t.join, t, math.max(deadline - socket.time(), 0))
end
for conn in pairs(clients) do
  pcall(conn.shutdown, conn, socket.SHUT_RD)
end
print("drained")
