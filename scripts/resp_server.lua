-- resp_server.lua: a key-value server that speaks Redis's protocol (RESP2),
-- so that Redis's own clients talk to it: redis-cli, redis-benchmark, and
-- every Redis library.
--
--   sockrun scripts/resp_server.lua                          (127.0.0.1:6379)
--   sockrun --var port=7000 scripts/resp_server.lua
--   sockrun --workers 4 scripts/resp_server.lua              (one store, four VMs)
--
-- Try it:
--
--   redis-cli -p 6379 SET greeting hello EX 60
--   redis-cli -p 6379 GET greeting
--   redis-benchmark -p 6379 -t set,get -n 10000 -q
--
-- Commands: PING, ECHO, GET, SET (EX, PX, NX), DEL, EXISTS, INCR, MGET,
-- MSET, KEYS, EXPIRE, TTL, FLUSHALL, QUIT.
--
-- The framing. A client sends each command as an array of bulk strings:
--
--   *3\r\n            an array of 3 elements
--   $3\r\nSET\r\n     a bulk string: its length in bytes, a line end, the
--   $1\r\nk\r\n       bytes, a line end; the bytes may hold anything,
--   $5\r\nhello\r\n   "\r\n" included, since the length says where they end
--
-- or, typed by a person (telnet, nc), as an "inline" command: one line of
-- words separated by spaces, "SET k hello\r\n". The server answers each
-- command with one reply, whose first byte says its type:
--
--   +OK\r\n                    a simple string
--   -ERR unknown command\r\n   an error
--   :42\r\n                    an integer
--   $5\r\nhello\r\n            a bulk string; $-1\r\n is "no value" (nil)
--   *2\r\n$1\r\na\r\n$-1\r\n   an array of replies
--
-- A client may send many commands without waiting for the replies
-- (pipelining): they wait in the socket's receive buffer, and each is
-- answered in turn. A frame that breaks these rules gets a
-- "-ERR Protocol error" reply and the connection is closed, as Redis does:
-- after a broken frame, nothing says where the next command starts.
--
-- The data lives in the `shared` store, which every thread and every
-- --workers VM of the run sees. With one worker a Lua table would be a
-- little faster, but one code path for both cases is simpler to read and
-- to trust. Each key k is stored as
--
--   "v:" .. k    its value, with the key's time to live, so that the store
--                itself expires it
--   "t:" .. k    when it expires (socket.time() seconds), with the same time
--                to live: only for the TTL command, since the store does
--                not tell a key's remaining time
--
-- Each shared call is atomic, and a command that makes no blocking call
-- runs whole within its worker (threads switch only at blocking calls).
-- Across workers, commands that take two shared calls (SET with EX, EXPIRE,
-- MSET, FLUSHALL) are not atomic as a whole: two workers changing the
-- same key at the same instant may leave TTL's answer out of date, never
-- the value. INCR is a single shared.incr, atomic everywhere.

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 6379)

-- What one client can make the server hold or wait for. The keys live in
-- the shared store, which holds at most limits.max_shared bytes
-- (--max-shared; by default a quarter of limits.max_memory): a write that
-- would pass it is answered as Redis answers one past its maxmemory
-- (noeviction), "-OOM command not allowed ...", while reads and DEL go on,
-- so a client can make room. One client's SET loop fills the store, not
-- the process.
local MAX_INLINE = 65536 -- bytes of an inline command, or of a "*N" / "$N" line
local MAX_ARGS = 65536 -- elements of one command's array
local MAX_COMMAND = tonumber(vars.max_command or 16 * 1024 * 1024) -- bytes of one command (Redis: 512 MiB a bulk string)
local TIMEOUT = tonumber(vars.timeout or 10) -- seconds for a command to arrive whole, once it has started
local IDLE = tonumber(vars.idle or 0) -- seconds a connection may wait between commands; 0: no limit, as Redis
-- The longest time to live: the shared store counts a TTL in nanoseconds,
-- and one past about 292 years overflows (the key would expire at once),
-- so longer expiries are refused as Redis refuses ones it cannot hold.
local MAX_TTL = 100 * 365 * 86400

-- Replies, encoded. Each command returns one of these strings.
local OK = "+OK\r\n"
local NIL = "$-1\r\n"
local function integer(n)
  return ":" .. string.format("%d", n) .. "\r\n"
end
local function bulk(s)
  return "$" .. #s .. "\r\n" .. s .. "\r\n"
end
local function array(replies)
  return "*" .. #replies .. "\r\n" .. table.concat(replies)
end
local function err(msg)
  -- An error is one line: a line end inside it would end the reply early.
  return "-" .. msg:gsub("[\r\n]", " ") .. "\r\n"
end
local WRONG_TYPE = err("ERR value is not an integer or out of range")
-- Redis's words for a write refused past its maxmemory.
local OOM = err("OOM command not allowed when used memory > 'maxmemory'.")

-- is_full says whether e, an error a shared call raised, is the store
-- refusing a write because it is full (limits.max_shared, or a Redis at
-- its maxmemory).
local function is_full(e)
  return type(e) == "table" and e.class == "shared.StoreError" and e.name == "ENOSPC"
end
local SYNTAX = err("ERR syntax error")

-- A broken frame is raised as {protocol = why}; serve answers it and closes.
local function protocol_error(why)
  error({ protocol = why }, 0)
end

-- Socket errors that mean the client is gone or too slow: part of serving
-- the public, not a fault of this script.
local CLIENT_GONE = { ECONNRESET = true, EPIPE = true, ETIMEDOUT = true, EOF = true, ENOTCONN = true }

-- A command has one deadline for all of its reads: before each read the
-- socket's timeout is set to what is left, so a client that sends one byte
-- every few seconds cannot stretch a command (and hold a thread) for ever.
local function until_deadline(conn, deadline)
  conn:settimeout(math.max(deadline - socket.time(), 0.001)) -- 0 would mean non-blocking
end

-- read_line reads one line of a frame and returns it without its "\r\n"
-- (or a bare "\n", which a person typing may send). recvuntil, not
-- recvline: a line the stream ends before its "\n" is a command cut short,
-- raised as an EOFError, not a command to run.
local function read_line(conn, deadline)
  until_deadline(conn, deadline)
  local ok, line = pcall(conn.recvuntil, conn, "\n", MAX_INLINE)
  if not ok then
    if line.name == "EMSGSIZE" then
      protocol_error("too big inline request")
    end
    error(line, 0)
  end
  return line:sub(-2) == "\r\n" and line:sub(1, -3) or line:sub(1, -2)
end

-- read_command reads the next command and returns its words (a list of
-- strings, possibly empty), or nil when the client has closed the
-- connection or stayed idle longer than IDLE.
local function read_command(conn)
  -- Wait for the first byte of a command, without taking it (MSG_PEEK):
  -- only then does the command's deadline start.
  conn:settimeout(IDLE > 0 and IDLE or nil)
  local ok, first = pcall(conn.recv, conn, 1, socket.MSG_PEEK)
  if not ok then
    if first.name == "ETIMEDOUT" then
      return nil
    end
    error(first, 0)
  end
  if first == "" then
    return nil
  end
  local deadline = socket.time() + TIMEOUT

  local line = read_line(conn, deadline)
  if first ~= "*" then
    -- An inline command: words separated by spaces. (Redis also takes
    -- quoted words here; this server does not.)
    local words = {}
    for w in line:gmatch("%S+") do
      words[#words + 1] = w
    end
    return words
  end

  local n = line:match("^%*(-?%d+)$")
  n = tonumber(n)
  if not n or n > MAX_ARGS then
    protocol_error("invalid multibulk length")
  end
  local words, total = {}, 0
  for i = 1, n do -- "*0" and "*-1" are empty commands: nothing to do
    line = read_line(conn, deadline)
    local size = line:match("^%$(%d+)$")
    if not size then
      protocol_error("expected '$', got '" .. line:sub(1, 1) .. "'")
    end
    -- The sizes, plus a little for each element's own overhead, must stay
    -- within MAX_COMMAND: a client announcing "$99999999999" gets an error
    -- before the server tries to hold a byte of it.
    total = total + tonumber(size) + 16
    if total > MAX_COMMAND then
      protocol_error("invalid bulk length")
    end
    size = tonumber(size)
    -- The bytes and their "\r\n" in one read; the length, not a search
    -- for "\r\n", says where they end.
    until_deadline(conn, deadline)
    local data = conn:recv_exactly(size + 2)
    if data:sub(-2) ~= "\r\n" then
      protocol_error("bulk string longer than its length")
    end
    words[i] = data:sub(1, -3)
  end
  return words
end

-- How values are kept. The shared store holds strings and numbers; a value
-- that is an integer written the canonical way ("42", not "042" or "4.2e1")
-- is kept as a number, so that INCR can be one atomic shared.incr. Lua
-- numbers are exact integers up to 2^53, so at most 15 digits.
local function stored(value)
  if #value <= 15 and (value == "0" or value:match("^-?[1-9]%d*$")) then
    return tonumber(value)
  end
  return value
end
local function shown(v)
  if type(v) == "number" then
    return string.format("%d", v)
  end
  return v
end

-- put stores key's value with a time to live in seconds (nil: for ever).
local function put(key, value, ttl)
  shared.set("v:" .. key, value, ttl)
  if ttl then
    local ok, e = pcall(shared.set, "t:" .. key, socket.time() + ttl, ttl)
    if not ok then
      -- No room for the expiry's record: take the value back too, rather
      -- than keep a key whose TTL would be reported wrong.
      shared.delete("v:" .. key)
      error(e, 0)
    end
  else
    shared.delete("t:" .. key) -- a plain SET removes a previous expiry, as in Redis
  end
end

-- integer_arg reads a command's integer argument; nil if it is not one.
local function integer_arg(s)
  if not s:match("^-?%d+$") or #s > 15 then
    return nil
  end
  return tonumber(s)
end

-- glob_compile turns a KEYS glob (*, ?, [abc], [a-z], [^a], \x) into a
-- list of steps: "*" matches any run of characters, and every other step is
-- a function that says whether it matches one character (a byte).
local function glob_compile(glob)
  local steps, i = {}, 1
  local function literal(c)
    local b = c:byte()
    return function(x)
      return x == b
    end
  end
  while i <= #glob do
    local c = glob:sub(i, i)
    if c == "*" then
      if steps[#steps] ~= "*" then -- "**" is "*"
        steps[#steps + 1] = "*"
      end
    elseif c == "?" then
      steps[#steps + 1] = function()
        return true
      end
    elseif c == "\\" and i < #glob then
      i = i + 1
      steps[#steps + 1] = literal(glob:sub(i, i))
    elseif c == "[" then
      -- A class as Redis reads it: "\\x" is x, "a-z" (or "z-a") a range,
      -- "]" the end; a class left open runs to the end of the glob.
      local j, negate, ranges = i + 1, false, {}
      if glob:sub(j, j) == "^" then
        negate, j = true, j + 1
      end
      while true do
        local p = glob:sub(j, j)
        if p == "\\" and j < #glob then
          j = j + 1
          ranges[#ranges + 1] = { glob:byte(j), glob:byte(j) }
        elseif p == "]" then
          break
        elseif j > #glob then
          j = #glob
          break
        elseif j + 2 <= #glob and glob:sub(j + 1, j + 1) == "-" then
          local a, b = glob:byte(j), glob:byte(j + 2)
          ranges[#ranges + 1] = { math.min(a, b), math.max(a, b) }
          j = j + 2
        else
          ranges[#ranges + 1] = { glob:byte(j), glob:byte(j) }
        end
        j = j + 1
      end
      steps[#steps + 1] = function(x)
        for _, r in ipairs(ranges) do
          if x >= r[1] and x <= r[2] then
            return not negate
          end
        end
        return negate
      end
      i = j
    else
      steps[#steps + 1] = literal(c)
    end
    i = i + 1
  end
  return steps
end

-- glob_match says whether the steps of a glob match all of key. It never
-- backtracks further than the last star: on a mismatch the last star takes
-- one more character and the steps after it start again. That is enough
-- for globs, and it keeps the work to (key length) x (steps), so no pattern
-- a client sends can keep the server busy: a backtracking matcher (a Lua
-- pattern with several ".*") takes exponential time on "*a*a*a*a*a*b".
local function glob_match(steps, key)
  local k, s = 1, 1 -- the next character of the key, the next step
  local star, resume = nil, 0 -- the last star's step, where its run ends
  while k <= #key do
    local step = steps[s]
    if step == "*" then
      star, resume, s = s, k, s + 1
    elseif step and step(key:byte(k)) then
      k, s = k + 1, s + 1
    elseif star then
      resume = resume + 1
      k, s = resume, star + 1
    else
      return false
    end
  end
  while steps[s] == "*" do
    s = s + 1
  end
  return s > #steps
end

-- The commands: for each name, its arity as Redis counts it (the words,
-- the command's name included; negative: at least that many) and the
-- function that runs it and returns the reply.
local COMMANDS = {}

COMMANDS.PING = {
  -1,
  function(w)
    if #w == 1 then
      return "+PONG\r\n"
    elseif #w == 2 then
      return bulk(w[2])
    end
  end,
}

COMMANDS.ECHO = {
  2,
  function(w)
    return bulk(w[2])
  end,
}

COMMANDS.QUIT = {
  -1,
  function()
    return OK, true -- true: close the connection after the reply
  end,
}

COMMANDS.GET = {
  2,
  function(w)
    local v = shared.get("v:" .. w[2])
    return v == nil and NIL or bulk(shown(v))
  end,
}

-- SET key value [EX seconds | PX milliseconds] [NX]
COMMANDS.SET = {
  -3,
  function(w)
    local ttl, nx
    local i = 4
    while i <= #w do
      local opt = w[i]:upper()
      if (opt == "EX" or opt == "PX") and not ttl and w[i + 1] then
        local n = integer_arg(w[i + 1])
        if not n then
          return WRONG_TYPE
        end
        ttl = opt == "EX" and n or n / 1000
        if ttl <= 0 or ttl > MAX_TTL then
          return err("ERR invalid expire time in 'set' command")
        end
        i = i + 2
      elseif opt == "NX" and not nx then
        nx = true
        i = i + 1
      else
        return SYNTAX
      end
    end
    local key, value = w[2], stored(w[3])
    if nx then
      -- shared.add stores only if the key is absent, in one atomic step.
      if not shared.add("v:" .. key, value, ttl) then
        return NIL
      end
      if ttl then
        shared.set("t:" .. key, socket.time() + ttl, ttl)
      end
      return OK
    end
    put(key, value, ttl)
    return OK
  end,
}

COMMANDS.DEL = {
  -2,
  function(w)
    local n = 0
    for i = 2, #w do
      if shared.delete("v:" .. w[i]) then
        n = n + 1
      end
      shared.delete("t:" .. w[i])
    end
    return integer(n)
  end,
}

COMMANDS.EXISTS = {
  -2,
  function(w)
    local n = 0
    for i = 2, #w do -- a key named twice counts twice, as in Redis
      if shared.get("v:" .. w[i]) ~= nil then
        n = n + 1
      end
    end
    return integer(n)
  end,
}

COMMANDS.INCR = {
  2,
  function(w)
    local key = "v:" .. w[2]
    local v = shared.get(key)
    if v ~= nil and (type(v) ~= "number" or v >= 2 ^ 53 - 1) then
      return WRONG_TYPE -- not an integer, or past what a Lua number holds exactly
    end
    -- Atomic across workers; an existing key keeps its time to live.
    local ok, n = pcall(shared.incr, key)
    if not ok then
      if is_full(n) then
        return OOM -- a new key, and no room for it
      end
      return WRONG_TYPE -- another worker stored a string in between
    end
    return integer(n)
  end,
}

COMMANDS.MGET = {
  -2,
  function(w)
    local replies = {}
    for i = 2, #w do
      local v = shared.get("v:" .. w[i])
      replies[#replies + 1] = v == nil and NIL or bulk(shown(v))
    end
    return array(replies)
  end,
}

COMMANDS.MSET = {
  -3,
  function(w)
    if #w % 2 ~= 1 then
      return err("ERR wrong number of arguments for 'mset' command")
    end
    for i = 2, #w, 2 do
      put(w[i], stored(w[i + 1]))
    end
    return OK
  end,
}

COMMANDS.KEYS = {
  2,
  function(w)
    local steps = glob_compile(w[2])
    local replies = {}
    for _, k in ipairs(shared.keys()) do
      if k:sub(1, 2) == "v:" then
        local key = k:sub(3)
        if glob_match(steps, key) then
          replies[#replies + 1] = bulk(key)
        end
      end
    end
    return array(replies)
  end,
}

COMMANDS.EXPIRE = {
  3,
  function(w)
    local key, seconds = w[2], integer_arg(w[3])
    if not seconds then
      return WRONG_TYPE
    elseif seconds > MAX_TTL then
      return err("ERR invalid expire time in 'expire' command")
    end
    local v = shared.get("v:" .. key)
    if v == nil then
      return integer(0) -- no such key
    end
    if seconds <= 0 then -- an expiry in the past deletes the key, as in Redis
      shared.delete("v:" .. key)
      shared.delete("t:" .. key)
    else
      -- The store sets a time to live only with a value: store the value
      -- again, with the new expiry.
      put(key, v, seconds)
    end
    return integer(1)
  end,
}

COMMANDS.TTL = {
  2,
  function(w)
    if shared.get("v:" .. w[2]) == nil then
      return integer(-2) -- no such key
    end
    local at = shared.get("t:" .. w[2])
    if at == nil then
      return integer(-1) -- a key without an expiry
    end
    return integer(math.max(0, math.floor(at - socket.time() + 0.5)))
  end,
}

COMMANDS.FLUSHALL = {
  -1,
  function(w)
    if #w > 2 or (w[2] and w[2]:upper() ~= "SYNC" and w[2]:upper() ~= "ASYNC") then
      return SYNTAX
    end
    for _, k in ipairs(shared.keys()) do
      local prefix = k:sub(1, 2)
      if prefix == "v:" or prefix == "t:" then
        shared.delete(k)
      end
    end
    return OK
  end,
}

-- execute runs one command and returns its reply, and true if the
-- connection is to be closed after it.
local function execute(words)
  local name = words[1]
  local command = COMMANDS[name:upper()]
  if not command then
    -- Redis's wording, which clients and their users know.
    local args = {}
    for i = 2, math.min(#words, 20) do
      args[#args + 1] = "'" .. words[i]:sub(1, 128) .. "' "
    end
    return err("ERR unknown command '" .. name:sub(1, 128) .. "', with args beginning with: " .. table.concat(args))
  end
  local arity, run = command[1], command[2]
  if (arity > 0 and #words ~= arity) or (arity < 0 and #words < -arity) then
    return err("ERR wrong number of arguments for '" .. name:lower() .. "' command")
  end
  -- A write the full store refuses is the client's answer, not an end:
  -- the connection and the server go on. (MSET stores the pairs before
  -- the one refused: the store is per key, not per command.)
  local ok, reply, close = pcall(run, words)
  if not ok then
    if is_full(reply) then
      return OOM
    end
    error(reply, 0)
  end
  if reply == nil then
    return err("ERR wrong number of arguments for '" .. name:lower() .. "' command")
  end
  return reply, close
end

-- serve answers one connection's commands until it ends. Errors raised in
-- here are dealt with by connection, below.
local function serve(conn, addr)
  while true do
    local ok, words = pcall(read_command, conn)
    if not ok then
      if type(words) == "table" and words.protocol then
        print(tostring(addr) .. ": protocol error: " .. words.protocol)
        conn:settimeout(1)
        pcall(conn.sendall, conn, err("ERR Protocol error: " .. words.protocol))
        return
      end
      error(words, 0) -- the client went away or was too slow, or a bug
    end
    if words == nil then
      return -- the client closed, or stayed idle: the normal end
    end
    if #words > 0 then -- an empty line or "*0" is no command
      local reply, close = execute(words)
      -- The client has TIMEOUT seconds to take a reply: one that pipelines
      -- commands and never reads the replies does not hold a thread for ever.
      conn:settimeout(TIMEOUT)
      conn:sendall(reply)
      if close then
        return
      end
    end
  end
end

-- connection is the body of each connection's thread. Whatever one client
-- does — reset, send garbage, stall — ends only its own connection.
local function connection(conn, addr)
  local ok, e = pcall(serve, conn, addr)
  conn:close()
  if not ok then
    if type(e) == "table" and CLIENT_GONE[e.name] then
      print(tostring(addr) .. ": " .. tostring(e.message or e))
    else
      error(e, 0) -- a bug in this script (or Ctrl-C): sockrun prints it; only this thread ends
    end
  end
end

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({ HOST, PORT })
server:listen(socket.SOMAXCONN)
print("listening on " .. tostring(server:getsockname()))

local out_of_fds = false
while true do
  local ok, conn, addr = pcall(server.accept, server)
  if ok then
    out_of_fds = false
    conn:setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) -- replies leave at once
    thread.spawn(connection, conn, addr)
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
