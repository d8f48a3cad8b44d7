-- Lua-side tests of the framing reads (recv_exactly, recvline, recvuntil,
-- lines) and sock:makefile. They share the receive buffer with recv, so
-- mixing them never loses or reorders a byte. Over 127.0.0.1 only.
local st = require("sockettest")

function TestRecvExactly(t)
  local c, s = st.pair()
  thread.spawn(function()
    c:sendall("ab"); c:sendall("cdefg"); c:sendall("hij")
  end)
  t:eq(s:recv_exactly(4), "abcd", "four bytes across two sends")
  t:eq(s:recv(1), "e", "recv takes the next byte")
  t:eq(s:recv_exactly(5), "fghij", "the rest")
  t:eq(s:recv_exactly(0), "", "zero bytes")
  st.misuse(t, "bad argument #1 to 'recv_exactly' (negative count)", function() s:recv_exactly(-1) end)
end

function TestRecvExactlyEndOfStream(t)
  local c, s = st.pair()
  c:sendall("abc")
  c:close()
  local err = st.raises(t, s.recv_exactly, s, 10)
  t:eq(err.class, "EOFError", "class")
  t:eq(err.partial, "abc", "what came before the end")
  st.contains(t, err, "connection closed after 3 of 10 bytes (recv_exactly")
  t:eq(s:recv(10), "", "the partial bytes were consumed")
end

function TestRecvExactlyTimeoutKeepsData(t)
  local c, s = st.pair()
  c:sendall("abc")
  s:settimeout(0.2)
  local err = st.raises(t, s.recv_exactly, s, 10)
  t:eq(err.name, "ETIMEDOUT", "timed out")
  c:sendall("defghij")
  t:eq(s:recv_exactly(10), "abcdefghij", "nothing was lost")
end

function TestRecvline(t)
  local c, s = st.pair()
  c:sendall("one\r\ntwo\n\nthr")
  c:sendall("ee\nlast without end")
  c:shutdown(socket.SHUT_WR)
  t:eq(s:recvline(), "one", "CRLF stripped")
  t:eq(s:recvline(), "two", "LF stripped")
  t:eq(s:recvline(), "", "an empty line")
  t:eq(s:recvline(), "three", "a line across two sends")
  t:eq(s:recvline(), "last without end", "the last line without an end of line")
  t:eq(s:recvline(), nil, "nil at the end of the stream")
  t:eq(s:recvline(), nil, "still nil")
end

function TestRecvlineTooLong(t)
  local c, s = st.pair()
  c:sendall(string.rep("x", 40) .. "\nshort\n")
  local err = st.raises(t, s.recvline, s, 10)
  t:eq(err.name, "EMSGSIZE", "name")
  st.contains(t, err, "no end of line within 10 bytes (recvline")
  t:eq(s:recv(5), "xxxxx", "nothing was consumed")
  t:eq(#s:recvline(), 35, "the rest of the long line, with a larger max")
  t:eq(st.raises(t, s.recvline, s, 5).name, "EMSGSIZE", "max counts the end of line too")
  t:eq(s:recvline(6), "short", "six bytes with it")
end

function TestRecvuntil(t)
  local c, s = st.pair()
  thread.spawn(function()
    c:sendall("HEAD\r\n\r"); c:sendall("\nbody--END--tail")
    c:close()
  end)
  t:eq(s:recvuntil("\r\n\r\n"), "HEAD\r\n\r\n", "a delimiter split across sends, included")
  t:eq(s:recvuntil("--END--"), "body--END--", "another")
  local err = st.raises(t, s.recvuntil, s, "--END--")
  t:eq(err.class, "EOFError", "no delimiter before the end")
  t:eq(err.partial, "tail", "partial")
  st.misuse(t, "bad argument #1 to 'recvuntil' (empty delimiter)", function() s:recvuntil("") end)
  st.misuse(t, "bad argument #2 to 'recvuntil' (max must be positive)", function() s:recvuntil("x", 0) end)
end

function TestLines(t)
  local c, s = st.pair()
  thread.spawn(function()
    for i = 1, 100 do c:sendall("line " .. i .. "\n") end
    c:close()
  end)
  local n = 0
  for line in s:lines() do
    n = n + 1
    t:eq(line, "line " .. n, "line")
  end
  t:eq(n, 100, "every line")
end

function TestFramingMixedWithRecv(t)
  local c, s = st.pair()
  c:sendall("12345\nabcdefXYZ!rest")
  c:close()
  t:eq(s:recv(2), "12", "recv")
  t:eq(s:recvline(), "345", "recvline")
  t:eq(s:recv_exactly(3), "abc", "recv_exactly")
  t:eq(s:recv(2, socket.MSG_PEEK), "de", "peek")
  t:eq(s:recvuntil("!"), "defXYZ!", "recvuntil")
  t:eq(s:recv(100, socket.MSG_WAITALL), "rest", "waitall to the end")
end

function TestOneDeadlinePerCall(t)
  -- A peer that sends a byte at a time must not stretch a call's timeout:
  -- the timeout bounds the whole recvline, not each byte's wait.
  local c, s = st.pair()
  local stop = thread.event()
  thread.spawn(function()
    while not stop:is_set() do
      c:sendall("x")
      thread.sleep(0.05)
    end
  end)
  s:settimeout(0.3)
  -- With a timeout per byte the call would never end: the test's own
  -- time limit would fail it.
  local err = st.raises(t, s.recvline, s)
  stop:set()
  t:eq(err.name, "ETIMEDOUT", "timed out")
end

function TestMakefile(t)
  local c, s = st.pair()
  local w = c:makefile("wb")
  t:eq(w:write("GET / HTTP/1.0\r\n"), 16, "write returns the length")
  w:write("Host: x\r\n\r\n")
  local r = s:makefile("rb")
  s:settimeout(0.2)
  local err = st.raises(t, r.readline, r)
  t:eq(err.name, "ETIMEDOUT", "nothing sent before flush")
  s:settimeout(nil)
  w:flush()
  t:eq(r:readline(), "GET / HTTP/1.0\r\n", "readline keeps the end of line")
  t:eq(r:readline(), "Host: x\r\n", "second line")
  t:eq(r:read(2), "\r\n", "read(n)")
  w:write("payload and more")
  w:close()
  t:eq(c:fileno() >= 0, true, "closing the file leaves the socket open")
  c:close()
  t:eq(r:read(7), "payload", "read(n) waits for n")
  t:eq(r:read(), " and more", "read() to the end")
  t:eq(r:read(), "", "then empty")
  t:eq(r:readline(), "", "readline at the end is empty")
  err = st.raises(t, r.write, r, "x")
  t:eq(err.class, "io.UnsupportedOperation", "a reader does not write")
  r:close()
  err = st.raises(t, r.read, r)
  t:eq(err.class, "ValueError", "closed file")
  st.misuse(t, "bad argument #1 to 'makefile' (invalid mode rx", function() s:makefile("rx") end)
end

-- TestMakefileAfterTimeout: a file's read that times out keeps what it
-- had read in the receive buffer, so the file goes on reading where it
-- was, losing nothing (Python's refuses: "cannot read from timed out
-- object"; docs/api.md says why sockrun differs).
function TestMakefileAfterTimeout(t)
  local c, s = st.pair()
  s:settimeout(0.2)
  local f = s:makefile("r")
  c:sendall("abc")
  t:eq(st.raises(t, f.readline, f).name, "ETIMEDOUT", "half a line, then a timeout")
  c:sendall("def\nxy")
  t:eq(f:readline(), "abcdef\n", "the whole line after it")
  t:eq(st.raises(t, f.read, f, 4).name, "ETIMEDOUT", "half of read(4)")
  c:sendall("zw")
  t:eq(f:read(4), "xyzw", "all four after it")
end

function TestMakefileLines(t)
  local c, s = st.pair()
  local f = c:makefile("w")
  for i = 1, 3 do f:write("row " .. i .. "\n") end
  f:close()
  c:close()
  local got = {}
  for line in s:makefile():lines() do got[#got + 1] = line end
  t:eq(table.concat(got, ","), "row 1,row 2,row 3", "lines without their end of line")
end
