-- chat_server.lua: a line-based chat room, two threads per client.
--
--   sockrun scripts/chat_server.lua                  (127.0.0.1:10001)
--   sockrun --var host=0.0.0.0 --var port=9000 scripts/chat_server.lua
--   sockrun --shared-url redis://HOST:6379/0 scripts/chat_server.lua
--
-- Join with `nc 127.0.0.1 10001` (or scripts/chat_client.lua) from a few
-- terminals. Every line you type reaches everyone else as "[nick] text".
-- Commands: /nick NAME, /who, /quit.
--
-- SIGTERM (`kill`, `systemctl stop`, a host taken out of a load balancer)
-- stops the server cleanly: it stops accepting, tells every client, ends
-- each connection once the client has read that, and exits 0. What a
-- client sends until it has closed its side is still said to the room.
--
-- Chat servers that share a store form one room: the workers of one
-- sockrun (--workers 2), and, with the store in Redis (--shared-url, or
-- shared.url in sockrun.yaml), servers on any number of hosts. Every line
-- said is published on the store's channel "chat" (--var room=NAME for
-- another), and each server hands what the others publish to its own
-- clients. /who and the nicks are each server's own.
--
-- A server people can reach must assume some of them are hostile or
-- broken. This one bounds what each client may cost it: a line is at most
-- MAX_LINE bytes, at most MAX_QUEUED bytes wait for a client that reads
-- slowly, a send waits at most SEND_TIMEOUT seconds, every line is parsed
-- in time proportional to its length, and running out of descriptors
-- pauses accept instead of ending the server.

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 10001)
local MAX_LINE = 4096 -- a longer line without "\n" gets its sender dropped
local MAX_QUEUED = 1024 * 1024 -- bytes waiting to be sent to one client; more drops it
local SEND_TIMEOUT = 10 -- seconds a client may take to accept what we send
local CHANNEL = vars.room or "chat" -- where the servers sharing a store meet
local DRAIN = 5 -- seconds clients get to hang up after SIGTERM told them

-- The room: every connected client's socket, mapped to its state
-- ({conn, addr, nick, out, queued}). All threads share this table. They take turns
-- running Lua, and switch only inside a call into sockrun (recvline, put,
-- accept...), so between two such calls a thread has the table to itself:
-- no lock is needed.
local clients = {}
local guests = 0 -- the number of the last default nick handed out

-- nicks maps each nick in use to its client, so that finding whether a
-- name is taken does not walk the whole room.
local nicks = {}

-- nick_taken says whether someone in the room is called name.
local function nick_taken(name)
  return nicks[name] ~= nil
end

-- drop disconnects a client that does not keep up: shutting the socket
-- down wakes its reader thread (recvline returns nil: it leaves the room
-- as anyone does) and its writer thread (sendall fails at once).
local function drop(c, why)
  if c.dropped then
    return
  end
  c.dropped = true
  print("* " .. c.nick .. " dropped: " .. why)
  c.out:close()
  pcall(c.conn.shutdown, c.conn, socket.SHUT_RDWR)
end

-- tell queues one line for one client; its writer thread sends it. It
-- never waits: a client with MAX_QUEUED bytes queued has stopped reading,
-- and waiting for it would stall whoever is talking (every broadcaster, if
-- we sent directly). It is dropped instead.
local function tell(c, text)
  if c.dropped or c.gone then
    return
  end
  text = text .. "\n"
  if c.queued + #text > MAX_QUEUED then
    drop(c, "not reading (" .. c.queued .. " bytes queued)")
    return
  end
  c.queued = c.queued + #text
  -- The queue has no limit of its own (queued counts the bytes); put
  -- raises only if the queue was closed meanwhile (a call into sockrun may
  -- let another thread run first): the client is gone.
  pcall(c.out.put, c.out, text)
end

-- The room's lines go out through one thread, the announcer. broadcast
-- hands it a line and returns: it never waits, and costs the same however
-- full the room is. The announcer then hands each client every line that
-- waits for it in one put. Without it, each join would cost one put per
-- client already in: a crowd joining at once would cost the square of its
-- size, all of it holding the interpreter lock, and a newcomer would wait
-- seconds for its welcome.
local room = thread.queue()
local said = 0 -- lines broadcast so far: a line goes to those in the room when it was said
local announcer

-- The other servers. Each server sharing the store has a number of its
-- own, from a counter in the store, and publishes each line as "NUMBER
-- line", so that it knows its own lines when they come back. me is taken
-- before the first client: with the store in Redis, a server that cannot
-- reach it does not start.
local me = shared.incr(CHANNEL .. ":servers")
local others = shared.subscribe(CHANNEL)
local cut_off = false -- the last publish failed: said once, not for every line

local function announce()
  while true do
    local batch = { room:get() }
    if batch[1] == nil then
      return -- the room's queue is closed: the server is stopping
    end
    while #batch < 100 and room:len() > 0 do
      batch[#batch + 1] = room:get()
    end
    local first = batch[1].seq
    local lines, senders = {}, {}
    for i, item in ipairs(batch) do
      lines[i] = item.text
      if item.except then
        senders[item.except] = true
      end
    end
    local everything = table.concat(lines, "\n")
    -- tell is a call into sockrun, where another thread may run and join
    -- or leave: go through a copy of the room, not the room itself.
    local targets = {}
    for _, c in pairs(clients) do
      targets[#targets + 1] = c
    end
    for _, c in ipairs(targets) do
      if not senders[c] and c.since < first then
        tell(c, everything)
      else -- it said some of these lines, or joined after some were said
        local own = {}
        for _, item in ipairs(batch) do
          if item.except ~= c and item.seq > c.since then
            own[#own + 1] = item.text
          end
        end
        if #own > 0 then
          tell(c, table.concat(own, "\n"))
        end
      end
    end
  end
end

-- store_error says whether err is the store's: Redis down or too slow
-- (shared.StoreError). Anything else (Ctrl-C) is not ours to catch.
local function store_error(err)
  return type(err) == "table" and err.class == "shared.StoreError"
end

-- tell_others publishes a line for the other servers. A store that
-- cannot be reached costs them the line, not this room: the error is
-- caught, and said once on the server's output.
local function tell_others(text)
  local ok, err = pcall(shared.publish, CHANNEL, me .. " " .. text)
  if not ok and not store_error(err) then
    error(err, 0)
  end
  if not ok and not cut_off then
    print("* the other servers miss what is said here: " .. tostring(err))
  elseif ok and cut_off then
    print("* the other servers hear this room again")
  end
  cut_off = not ok
end

-- next_guest is the number of the next default nick ("guest7"), counted
-- in the store so that no two servers sharing it hand out the same one;
-- if the store cannot be reached, this server counts on by itself.
local function next_guest()
  local ok, n = pcall(shared.incr, CHANNEL .. ":guests")
  if ok then
    return n
  end
  if not store_error(n) then
    error(n, 0)
  end
  return guests + 1
end

-- broadcast says a line to everyone in the room except `except`, here
-- and on the other servers.
local function broadcast(text, except)
  announcer = announcer or thread.spawn(announce)
  said = said + 1
  pcall(room.put, room, { text = text, except = except, seq = said }) -- closed: stopping
  tell_others(text)
end

-- relay is the thread that reads the other servers' lines, as a queue is
-- read, and hands them to the announcer as lines said here. When the
-- subscription's link to Redis broke, get raises once it is back: lines
-- said meanwhile on the other servers are lost, and the room is told.
local function relay()
  while true do
    local ok, msg = pcall(others.get, others)
    local line
    if not ok then
      if not store_error(msg) then
        error(msg, 0)
      end
      print("* " .. tostring(msg))
      line = "* some lines from the other servers were lost"
    elseif msg == nil then
      return -- the subscription is closed: the run is ending
    else
      local from, text = msg:match("^(%d+) (.*)")
      if tonumber(from) ~= me then
        line = text or msg
      end
    end
    if line then
      announcer = announcer or thread.spawn(announce)
      said = said + 1
      pcall(room.put, room, { text = line, seq = said }) -- closed: stopping
    end
  end
end
thread.spawn(relay)

-- words splits a line at white space. gmatch with "%S+" looks at each byte
-- once. (A pattern such as "^(/%S*)%s*(.-)%s*$" looks simpler, but "(.-)"
-- followed by "%s*$" tries every end for every start: a line of a few
-- thousand spaces then takes seconds, all of it holding the interpreter
-- lock, and the whole room freezes. Parse what strangers send in one
-- pass.)
local function words(line)
  local list = {}
  for w in line:gmatch("%S+") do
    list[#list + 1] = w
  end
  return list
end

-- command runs one line from client c: a command ("/who") or a chat line.
-- It returns false when c quits.
local function command(c, line)
  if line:sub(1, 1) ~= "/" then -- not a command: say it to the room
    if line ~= "" then
      broadcast("[" .. c.nick .. "] " .. line, c)
    end
    return true
  end
  local args = words(line)
  local cmd = args[1]
  if cmd == "/quit" then
    tell(c, "* bye")
    return false
  elseif cmd == "/who" then
    local names = {}
    for _, other in pairs(clients) do
      names[#names + 1] = other.nick
    end
    table.sort(names)
    tell(c, "* online: " .. table.concat(names, ", "))
  elseif cmd == "/nick" then
    local name = args[2]
    if #args ~= 2 then
      tell(c, "* usage: /nick NAME (one word)")
    elseif nick_taken(name) then
      tell(c, "* nick " .. name .. " is taken")
    else
      local old = c.nick
      nicks[c.nick], nicks[name] = nil, c
      c.nick = name
      print("* " .. old .. " is now known as " .. name)
      local notice = "* " .. old .. " is now known as " .. name
      tell(c, notice) -- in order with c's other replies
      broadcast(notice, c)
    end
  else
    tell(c, "* unknown command " .. cmd .. "; try /nick NAME, /who, /quit")
  end
  return true
end

-- serve reads client c's lines until it quits or hangs up. TCP is a
-- stream, not a sequence of messages: one recv may bring half a line, or
-- several lines at once. recvline does the framing: it returns one whole
-- line (without "\n" or "\r\n"), nil at the end of the stream, and raises
-- EMSGSIZE when MAX_LINE bytes come without a "\n", so a client cannot
-- make us buffer without end.
local function serve(c)
  while true do
    local ok, line = pcall(c.conn.recvline, c.conn, MAX_LINE)
    if not ok then
      local err = line
      if type(err) ~= "table" then
        error(err, 0)
      elseif err.name == "ETIMEDOUT" then
        -- The socket's timeout is there for the writer's sends; a reader
        -- may wait as long as the client is silent. Nothing was consumed:
        -- read on.
      elseif err.name == "EMSGSIZE" then
        tell(c, "* line too long")
        return
      else
        error(err, 0) -- a reset connection: handle reports it
      end
    elseif line == nil then -- the client closed the connection
      return
    elseif not command(c, line) then
      return
    end
  end
end

-- stopping is set when SIGTERM came: the server is going away;
-- everyone_left is set when, stopping, the last client has left.
local stopping = false
local everyone_left = thread.event()
local STOPPING = "* this server is stopping; connect again to go on chatting"

-- stop_telling tells client c the server is stopping; its writer sends
-- that after what is queued, then ends our side of the stream.
local function stop_telling(c)
  tell(c, STOPPING)
  c.out:close()
end

-- write is a client's writer thread: it sends the client's queued lines
-- in order until the queue is closed and empty. A client that takes longer
-- than SEND_TIMEOUT to take a line (its buffers are full: it stopped
-- reading) or whose connection fails is dropped.
local function write(c)
  while true do
    local text = c.out:get()
    if text == nil then
      -- Closed: the client left, or the server is stopping. Then the
      -- client has everything it was told ("* server stopping"): end our
      -- side of the stream (FIN), and its reader reads on until the
      -- client hangs up, so that nothing it says meanwhile is lost and
      -- the connection ends without a reset.
      if stopping and not c.gone then
        pcall(c.conn.shutdown, c.conn, socket.SHUT_WR)
      end
      return
    end
    -- Send what else is queued with it, in one sendall: when many lines
    -- come at once (a crowd joining, a busy room) one system call carries
    -- them all, and the writer is quickly done and out of others' way.
    if c.out:len() > 0 then
      local batch = { text }
      while c.out:len() > 0 and #batch < 1000 do
        batch[#batch + 1] = c.out:get()
      end
      text = table.concat(batch)
    end
    c.queued = c.queued - #text
    local ok, err = pcall(c.conn.sendall, c.conn, text)
    if not ok then
      if type(err) == "table" and err.name == "ETIMEDOUT" then
        drop(c, "not reading (a send waited " .. SEND_TIMEOUT .. " s)")
      else
        drop(c, tostring(err))
      end
      return
    end
  end
end

-- handle is a client's thread: join the room, chat, leave.
local function handle(conn, addr)
  conn:settimeout(SEND_TIMEOUT)
  repeat
    guests = next_guest()
  until not nick_taken("guest" .. guests)
  local c = { conn = conn, addr = addr, nick = "guest" .. guests, out = thread.queue(), queued = 0, since = said }
  clients[conn] = c
  nicks[c.nick] = c
  local writer = thread.spawn(write, c)
  print("* " .. c.nick .. " joined from " .. tostring(addr))
  tell(c, "* welcome " .. c.nick .. "; commands: /nick NAME, /who, /quit")
  broadcast("* " .. c.nick .. " joined", c)
  if stopping then -- accepted just before the listener closed
    stop_telling(c)
  end

  -- A reset connection makes recvline raise: catch it so that this client
  -- still leaves the room properly (and the others are not disturbed).
  local ok, err = pcall(serve, c)
  if not ok then
    print("* " .. c.nick .. ": " .. tostring(err))
  end

  clients[conn] = nil
  nicks[c.nick] = nil
  c.gone = true -- tell queues nothing more
  if stopping and next(clients) == nil then
    everyone_left:set()
  end
  -- Let the writer send what is queued ("* bye", "* line too long"), then
  -- close. It ends within SEND_TIMEOUT, even for a client that reads
  -- nothing.
  c.out:close()
  writer:join()
  conn:close()
  print("* " .. c.nick .. " left")
  broadcast("* " .. c.nick .. " left")
end

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({HOST, PORT})
server:listen(socket.SOMAXCONN)
print("listening on " .. tostring(server:getsockname()))

-- accept waits for the next client. When the process is out of file
-- descriptors (EMFILE: every client holds one, and the limit, see
-- `ulimit -n`, is reached), accept fails; that is no reason to end the
-- room. A production server waits for some clients to leave and goes on
-- accepting; meanwhile the kernel keeps new clients queued in the
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

-- SIGTERM: stop taking clients (closing the listener makes accept
-- raise, and tells a load balancer's health check this server is gone)
-- and let the main loop below end. The handler runs in the main thread.
signal.signal(signal.SIGTERM, function()
  stopping = true
  server:close()
end)

while not stopping do
  local ok, conn, addr = pcall(accept)
  if ok then
    thread.spawn(handle, conn, addr)
  elseif not stopping then
    error(conn, 0)
  end
end

-- Stopping. Every client is told, its writer sends what is queued and
-- ends our side of the stream (see write); each client then hangs up and
-- leaves the room as anyone does, its leaving still said to the other
-- servers. A client that has not hung up after DRAIN seconds is cut off.
print("* stopping")
-- tell and drop are calls into sockrun, where other threads run and
-- leave: go through a copy of the room.
local function everyone()
  local list = {}
  for _, c in pairs(clients) do
    list[#list + 1] = c
  end
  return list
end
for _, c in ipairs(everyone()) do
  stop_telling(c)
end
if next(clients) ~= nil and not everyone_left:wait(DRAIN) then
  for _, c in ipairs(everyone()) do
    drop(c, "still connected " .. DRAIN .. " s after the server began to stop")
  end
  everyone_left:wait()
end
-- The room's threads: the announcer ends once its queue is closed, the
-- relay once the subscription is; then the run ends, exit 0.
room:close()
others:close()
print("* stopped")
