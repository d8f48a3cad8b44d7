-- smtp_sink.lua: an SMTP server that accepts every message and prints it,
-- instead of delivering it: what a developer points an application at to
-- see the mail it sends. It shows SMTP's shape (RFC 5321): a line-based
-- dialogue of commands and three-digit replies, then a message body ended
-- by a line holding a single ".", with dot-stuffing undone.
--
--   sockrun scripts/smtp_sink.lua                    (127.0.0.1:2525)
--   sockrun --var port=2526 scripts/smtp_sink.lua
--
-- Try it with LuaSocket's client (socket.smtp), or by hand with nc:
--
--   nc -C 127.0.0.1 2525
--   HELO me / MAIL FROM:<a@x> / RCPT TO:<b@y> / DATA / Subject: hi / (empty) / text / . / QUIT
--
-- Each message is printed as "message from <a@x> to <b@y>:" and its lines.

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 2525)
-- What one client can make the server hold: RFC 5321 asks a server to take
-- at least 100 recipients per message, and answers more with 452.
local MAX_RECIPIENTS = tonumber(vars.max_recipients or 100)

local server = socket.create_server({HOST, PORT})
print("listening on " .. tostring(server:getsockname()))

-- serve talks to one client: replies are "code text" lines ending in CRLF.
local function serve(conn, addr)
  conn:settimeout(60)
  local function reply(line) conn:sendall(line .. "\r\n") end
  reply("220 sockrun smtp sink ready")
  -- read_line is the next line, or nil when the client went away or sent
  -- a line longer than recvline's bound (64 KiB), which is answered first.
  local function read_line()
    local ok, line = pcall(conn.recvline, conn)
    if ok then return line end
    if type(line) == "table" and line.name == "EMSGSIZE" then
      reply("500 line too long")
      return nil
    end
    error(line, 0)
  end
  local from, to = nil, {}
  while true do
    local line = read_line()
    if not line then return end                      -- the client went away
    local verb, arg = line:match("^(%a+)%s*(.-)%s*$")
    verb = (verb or ""):upper()
    if verb == "HELO" or verb == "EHLO" then
      reply("250 hello " .. arg)
    elseif verb == "MAIL" then
      from, to = arg:match("^[Ff][Rr][Oo][Mm]:%s*(.*)$"), {}
      reply("250 sender ok")
    elseif verb == "RCPT" then
      local rcpt = arg:match("^[Tt][Oo]:%s*(.*)$")
      if not rcpt then
        reply("501 syntax: RCPT TO:<address>")
      elseif #to >= MAX_RECIPIENTS then
        reply("452 too many recipients")
      else
        to[#to + 1] = rcpt
        reply("250 recipient ok")
      end
    elseif verb == "DATA" then
      if not from or #to == 0 then
        reply("503 MAIL and RCPT first")
      else
        reply("354 end with <CRLF>.<CRLF>")
        print("message from " .. from .. " to " .. table.concat(to, ", ") .. ":")
        while true do
          local body = read_line()
          if not body then return end                -- gone mid-message
          if body == "." then break end
          if body:sub(1, 2) == ".." then body = body:sub(2) end   -- undo dot-stuffing
          print("  " .. body)
        end
        print("end of message")
        reply("250 accepted")
        from, to = nil, {}
      end
    elseif verb == "RSET" then
      from, to = nil, {}
      reply("250 reset")
    elseif verb == "NOOP" then
      reply("250 ok")
    elseif verb == "QUIT" then
      reply("221 bye")
      return
    else
      reply("502 command not implemented")
    end
  end
end

local out_of_fds = false
while true do
  local ok, conn, addr = pcall(server.accept, server)
  if ok then
    out_of_fds = false
    thread.spawn(function()
      local ok, err = pcall(serve, conn, addr)
      if not ok then print(tostring(addr) .. ": " .. tostring(err)) end
      conn:close()
    end)
  elseif type(conn) == "table" and (conn.name == "EMFILE" or conn.name == "ENFILE") then
    -- Out of file descriptors: every open connection holds one. Raising
    -- here would end the server for every client; instead wait a moment
    -- for some connection to close and accept again, while new clients
    -- wait in the listen backlog.
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
