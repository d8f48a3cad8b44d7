-- chat_server.lua: a line-based chat room, one thread per client.
--
--   sockrun scripts/chat_server.lua                  (127.0.0.1:10001)
--   sockrun --var host=0.0.0.0 --var port=9000 scripts/chat_server.lua
--
-- Join with `nc 127.0.0.1 10001` (or scripts/chat_client.lua) from a few
-- terminals. Every line you type reaches everyone else as "[nick] text".
-- Commands: /nick NAME, /who, /quit.

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 10001)
local MAX_LINE = 4096 -- a longer line without "\n" gets its sender dropped

-- The room: every connected client's socket, mapped to its state
-- ({conn, addr, nick}). All threads share this table. They take turns
-- running Lua, and switch only inside a blocking call (recv, sendall,
-- accept...), so between two such calls a thread has the table to itself:
-- no lock is needed.
local clients = {}
local guests = 0 -- how many default nicks were handed out

-- nick_taken says whether someone in the room is called name.
local function nick_taken(name)
  for _, c in pairs(clients) do
    if c.nick == name then
      return true
    end
  end
  return false
end

-- tell sends one line to one client. A client that has gone away makes
-- sendall raise; its own thread notices and removes it, so the error is
-- ignored here.
local function tell(c, text)
  pcall(c.conn.sendall, c.conn, text .. "\n")
end

-- broadcast sends a line to everyone in the room except `except`.
local function broadcast(text, except)
  -- sendall may wait for a slow client, and while it waits other clients
  -- can join or leave: go through a copy of the room, not the room itself.
  local targets = {}
  for _, c in pairs(clients) do
    if c ~= except then
      targets[#targets + 1] = c
    end
  end
  for _, c in ipairs(targets) do
    tell(c, text)
  end
end

-- command runs one line from client c: a command ("/who") or a chat line.
-- It returns false when c quits.
local function command(c, line)
  local cmd, rest = line:match("^(/%S*)%s*(.-)%s*$")
  if not cmd then -- not a command: say it to the room
    if line ~= "" then
      broadcast("[" .. c.nick .. "] " .. line, c)
    end
  elseif cmd == "/quit" then
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
    if rest == "" or rest:find("%s") then
      tell(c, "* usage: /nick NAME (one word)")
    elseif nick_taken(rest) then
      tell(c, "* nick " .. rest .. " is taken")
    else
      local old = c.nick
      c.nick = rest
      print("* " .. old .. " is now known as " .. rest)
      broadcast("* " .. old .. " is now known as " .. rest) -- c hears it too
    end
  else
    tell(c, "* unknown command " .. cmd .. "; try /nick NAME, /who, /quit")
  end
  return true
end

-- serve reads client c's lines until it quits or hangs up. TCP is a
-- stream, not a sequence of messages: one recv may bring half a line, or
-- several lines at once. So bytes are kept in a buffer, and every complete
-- line ("\n"-terminated) is taken out of it.
local function serve(c)
  local buffer = ""
  while true do
    local data = c.conn:recv(4096)
    if data == "" then -- the client closed the connection
      return
    end
    buffer = buffer .. data
    local start = 1
    while true do
      local newline = buffer:find("\n", start, true)
      if not newline then
        break
      end
      local line = buffer:sub(start, newline - 1):gsub("\r$", "") -- telnet sends "\r\n"
      start = newline + 1
      if not command(c, line) then
        return
      end
    end
    buffer = buffer:sub(start) -- keep the partial line for the next recv
    if #buffer > MAX_LINE then
      tell(c, "* line too long")
      return
    end
  end
end

-- handle is a client's thread: join the room, chat, leave.
local function handle(conn, addr)
  repeat
    guests = guests + 1
  until not nick_taken("guest" .. guests)
  local c = { conn = conn, addr = addr, nick = "guest" .. guests }
  clients[conn] = c
  print("* " .. c.nick .. " joined from " .. tostring(addr))
  tell(c, "* welcome " .. c.nick .. "; commands: /nick NAME, /who, /quit")
  broadcast("* " .. c.nick .. " joined", c)

  -- A reset connection makes recv raise: catch it so that this client
  -- still leaves the room properly (and the others are not disturbed).
  local ok, err = pcall(serve, c)
  if not ok then
    print("* " .. c.nick .. ": " .. tostring(err))
  end

  clients[conn] = nil
  conn:close()
  print("* " .. c.nick .. " left")
  broadcast("* " .. c.nick .. " left")
end

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({HOST, PORT})
server:listen(socket.SOMAXCONN)
print("listening on " .. tostring(server:getsockname()))

while true do
  local conn, addr = server:accept()
  thread.spawn(handle, conn, addr)
end
