-- threaded_echo_server.lua: an echo server that serves every client at once,
-- one thread per client (Python's socketserver.ThreadingTCPServer, by hand).
--
--   sockrun scripts/threaded_echo_server.lua
--   sockrun --var host=0.0.0.0 --var port=9000 scripts/threaded_echo_server.lua
--
-- Try it with several clients at once: `nc 127.0.0.1 10000` in a few terminals.

local HOST = vars.host or "127.0.0.1" -- the interface to listen on
local PORT = tonumber(vars.port or 10000) -- the port to listen on

-- handle serves one client until it closes its side: everything it sends
-- comes straight back. It runs in a thread of its own, so while it waits in
-- recv the other clients' threads (and the accept loop) carry on.
local function handle(conn)
  -- Send each reply at once rather than waiting to batch small writes
  -- (Nagle's algorithm): what a request/response server wants, and what
  -- Go's net package does for every TCP connection.
  conn:setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
  conn:close()
end

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
-- Let a restarted server bind the port at once, even while connections of
-- the previous run are still in TIME_WAIT.
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({HOST, PORT})
-- A long queue of connections waiting for accept, so that a burst of
-- clients connecting at the same moment is not turned away.
server:listen(socket.SOMAXCONN)
print("listening on " .. tostring(server:getsockname()))

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
  -- An error in one client's thread is printed and ends only that thread;
  -- the server goes on accepting.
  thread.spawn(handle, conn)
end
