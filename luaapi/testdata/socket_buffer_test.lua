-- Lua-side tests of the receive buffer: every read of a stream socket goes
-- through it, whatever its flags, so mixing read kinds on one socket never
-- loses or reorders a byte. Over 127.0.0.1 only.
local st = require("sockettest")

-- payload is n bytes that are not all alike, so a byte out of place shows.
local function payload(n)
  local parts = {}
  for i = 0, n - 1 do parts[#parts + 1] = string.char((i * 7 + math.floor(i / 256)) % 256) end
  return table.concat(parts)
end

function TestMixedReadsKeepOrder(t)
  local c, s = st.pair()
  local want = payload(20000)
  local sender = thread.spawn(function()
    -- In pieces of odd sizes, so reads meet every kind of boundary.
    local i = 1
    while i <= #want do
      c:sendall(want:sub(i, i + 996))
      i = i + 997
    end
    c:shutdown(socket.SHUT_WR)
  end)
  local got, total, round = {}, 0, 0
  local reads = {
    function() return s:recv(7) end,
    function()
      local peeked = s:recv(5, socket.MSG_PEEK)
      t:eq(s:recv(5, socket.MSG_PEEK), peeked, "a second peek sees the same bytes")
      local d = s:recv(#peeked)
      t:eq(d, peeked, "recv after peek returns what was peeked")
      return d
    end,
    function()
      local d = s:recv(300, socket.MSG_WAITALL)
      if total + #d < #want then t:eq(#d, 300, "MSG_WAITALL returns all it asked for before the end") end
      return d
    end,
    function()
      local d, addr = s:recvfrom(13)
      t:eq(addr, nil, "recvfrom on a stream has no address")
      return d
    end,
    function()
      local ok, d = pcall(s.recv, s, 11, socket.MSG_DONTWAIT)
      if not ok then
        t:eq(d.name, "EAGAIN", "MSG_DONTWAIT with nothing there")
        return nil
      end
      return d
    end,
    function() return s:recv(4096) end,
  }
  while total < #want do
    round = round + 1
    local d = reads[round % #reads + 1]()
    if d then
      if d == "" then t:fatal("end of stream after " .. total .. " bytes") end
      got[#got + 1] = d
      total = total + #d
    end
  end
  t:eq(total, #want, "byte count")
  t:eq(table.concat(got) == want, true, "every byte in order")
  t:eq(s:recv(10), "", "then end of stream")
  sender:join()
end

function TestPeekDoesNotConsume(t)
  local c, s = st.pair()
  c:sendall("hello world")
  t:eq(s:recv(5, socket.MSG_PEEK), "hello", "peek")
  t:eq(s:recv(5, socket.MSG_PEEK), "hello", "peek again")
  t:eq(s:recv(11, socket.MSG_PEEK + socket.MSG_WAITALL), "hello world", "peek with waitall")
  t:eq(s:recv(3), "hel", "recv after peek")
  t:eq(s:recv(100, socket.MSG_WAITALL + socket.MSG_DONTWAIT), "lo world", "the rest")
end

-- TestPeekOnUnixSockets: on a unix socket (which reads no more than
-- asked) a peek with nothing buffered peeks in the kernel, so the next
-- read gets everything there is, as Python's does (a peek that buffered
-- its 4 bytes made the next recv(100) return those 4 alone), and
-- descriptors sent with the bytes are still there for recv_fds. With
-- bytes buffered, on a unix or TCP socket, a peek consumes nothing either.
function TestPeekOnUnixSockets(t)
  local a, b = socket.socketpair()
  a:sendall("peekdata")
  t:eq(b:recv(4, socket.MSG_PEEK), "peek", "peek")
  t:eq(b:recv(4, socket.MSG_PEEK), "peek", "peek again")
  t:eq(b:recv(100), "peekdata", "recv after the peeks gets all of it")
  -- With bytes buffered by a framing read, a peek reads the buffer and
  -- consumes nothing either.
  for _, pair in ipairs({{socket.socketpair()}, {st.pair()}}) do
    local c, s = pair[1], pair[2]
    c:sendall("line\npeekdata")
    t:eq(s:recvline(), "line", "a framing read first")
    t:eq(s:recv(4, socket.MSG_PEEK), "peek", "peek after it")
    local rest = s:recv(100)
    t:eq(rest:sub(1, 4), "peek", "the next recv starts with the peeked bytes")
    while #rest < 8 do rest = rest .. s:recv(100) end
    t:eq(rest, "peekdata", "and nothing is lost")
  end
  local p1, p2 = socket.socketpair()
  local x = socket.socketpair()
  socket.send_fds(p1, "take", {x})
  t:eq(p2:recv(2, socket.MSG_PEEK), "ta", "peek at bytes that carry a descriptor")
  local data, fds = socket.recv_fds(p2, 100, 4)
  t:eq(data, "take", "recv_fds after the peek")
  t:eq(#fds, 1, "the descriptor is still there")
  socket.close(fds[1])
  local d1, d2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
  d1:send("peekdata")
  t:eq(d2:recv(4, socket.MSG_PEEK), "peek", "peek at a datagram")
  t:eq(d2:recv(100), "peekdata", "the datagram is whole")
end

function TestWaitallWaitsForEverything(t)
  local c, s = st.pair()
  local q = thread.queue()
  thread.spawn(function()
    c:sendall("ab")
    q:get() -- the reader is about to call recv
    c:sendall("cdefgh")
    c:sendall("ij")
  end)
  q:put(true)
  t:eq(s:recv(10, socket.MSG_WAITALL), "abcdefghij", "all ten bytes")
end

function TestWaitallEndOfStream(t)
  local c, s = st.pair()
  c:sendall("abc")
  c:close()
  t:eq(s:recv(10, socket.MSG_WAITALL), "abc", "what came before the end")
  t:eq(s:recv(10), "", "then end of stream")
end

function TestWaitallTimeoutKeepsPartial(t)
  local c, s = st.pair()
  c:sendall("abc")
  s:settimeout(0.2)
  local err = st.raises(t, s.recv, s, 10, socket.MSG_WAITALL)
  t:eq(err.name, "ETIMEDOUT", "timed out")
  t:eq(s:recv(10), "abc", "the partial read stayed buffered for the next call")
  c:sendall("def")
  t:eq(s:recv(10), "def", "then what came after")
end

function TestReadAheadServesSmallReads(t)
  local c, s = st.pair()
  c:sendall("0123456789")
  c:close()
  local got = {}
  while true do
    local d = s:recv(1)
    if d == "" then break end
    got[#got + 1] = d
  end
  t:eq(table.concat(got), "0123456789", "one byte at a time")
end

function TestBufferedBytesAreReadableToSelect(t)
  local c, s = st.pair()
  c:sendall("xy")
  t:eq(s:recv(1), "x", "first byte")
  -- The kernel may have nothing left: "y" waits in the receive buffer.
  local r = require("select").select({s}, nil, nil, 0)
  t:eq(#r, 1, "readable")
  t:eq(s:recv(1, socket.MSG_DONTWAIT), "y", "buffered byte")
end

function TestDatagramsKeepTheirBoundaries(t)
  local a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  a:bind({"127.0.0.1", 0})
  local b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  b:bind({"127.0.0.1", 0})
  b:sendto("first datagram", a:getsockname())
  b:sendto("second", a:getsockname())
  t:eq(a:recv(5), "first", "a short read truncates the datagram")
  t:eq(a:recv(100), "second", "the rest of the first is gone, as the kernel drops it")
  b:sendto("peeked", a:getsockname())
  t:eq(a:recv(100, socket.MSG_PEEK), "peeked", "peek a datagram")
  local d, addr = a:recvfrom(100)
  t:eq(d, "peeked", "then read it")
  t:eq(addr.port, b:getsockname().port, "from b")
end

function TestThreadsWaitingWhileAnotherFillsTheBuffer(t)
  local c, s = st.pair()
  local n = 6
  local ready, got = thread.queue(), {}
  local threads = {}
  for i = 1, n do
    threads[i] = thread.spawn(function()
      ready:put(i)
      local b = s:recv(1)
      got[#got + 1] = b
    end)
  end
  for _ = 1, n do ready:get() end
  c:sendall("abcdef")
  for i = 1, n do threads[i]:join(10) end
  table.sort(got)
  t:eq(table.concat(got), "abcdef", "each waiting thread got one byte")
end

-- The strings recv, recv_exactly and recvuntil return are laid out with
-- their own header (core/boxed.go): they must stay whole through
-- collections, work as table keys and compare equal to the same bytes made
-- any other way, whether the script holds them or only a substring.
function TestReceivedStringsOutliveCollections(t)
  local c, s = st.pair()
  local kept, keys, subs, want = {}, {}, {}, {}
  for i = 1, 200 do
    local msg = i .. ":" .. payload(i % 3 == 0 and 700 or i)
    want[i] = msg
    c:sendall(msg)
    local got
    if i % 4 == 0 then
      got = s:recv_exactly(#msg)
    else
      got = s:recv(#msg, socket.MSG_WAITALL)
    end
    kept[i] = got
    keys[got] = i
    subs[i] = got:sub(2, -2)
    if i % 50 == 0 then
      for _ = 1, 20 do local _ = {string.rep("x", 1000)} end
      collectgarbage("collect")
    end
  end
  c:sendall("tail|")
  t:eq(s:recvuntil("|"), "tail|", "recvuntil")
  collectgarbage("collect")
  for i = 1, 200 do
    t:eq(kept[i], want[i], "string " .. i .. " kept whole")
    t:eq(keys[want[i]], i, "string " .. i .. " as a table key")
    t:eq(subs[i], want[i]:sub(2, -2), "substring " .. i)
    t:eq(#kept[i], #want[i], "length " .. i)
  end
  c:close(); s:close()
end

-- A plain recv that finds bytes at once reads them into a buffer its VM
-- shares (core's scratch buffer); what it read beyond what was asked must
-- become the socket's own before another socket's recv reads into that
-- buffer again.
function TestShortRecvsKeepTheirRest(t)
  local c1, s1 = st.pair()
  local c2, s2 = st.pair()
  local a, b = payload(3000), string.reverse(payload(3000))
  c1:sendall(a)
  c2:sendall(b)
  local got1, got2 = {}, {}
  local n1, n2 = 0, 0
  while n1 < #a or n2 < #b do
    if n1 < #a then
      local d = s1:recv(7)
      got1[#got1 + 1] = d
      n1 = n1 + #d
    end
    if n2 < #b then
      local d = s2:recv(11)
      got2[#got2 + 1] = d
      n2 = n2 + #d
    end
  end
  t:eq(table.concat(got1), a, "the first connection's bytes, in 7-byte reads")
  t:eq(table.concat(got2), b, "the second connection's bytes, in 11-byte reads")
  c1:close(); s1:close(); c2:close(); s2:close()
end
