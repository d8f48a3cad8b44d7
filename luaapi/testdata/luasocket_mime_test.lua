-- Lua-side tests of mime.core, the native half of LuaSocket's mime
-- module, against the examples of LuaSocket's manual and RFC 2045.

local core = require("mime.core")

function TestB64(t)
  t:eq(core.b64("hello"), "aGVsbG8=", "the last chunk is padded")
  local out, rest = core.b64("hel", "lo")
  t:eq(out, "aGVs"); t:eq(rest, "lo", "what is left for the next step")
  t:eq(core.b64(""), nil, "no output: nil")
  t:eq(core.b64(nil), nil)
  t:eq(core.unb64("aGVsbG8="), "hello")
  out, rest = core.unb64("aGVs\r\nbG", "")
  t:eq(out, "hel", "line breaks are skipped"); t:eq(rest, "bG")
  t:eq(core.unb64(string.rep("QUJD", 2)), "ABCABC")
  local all = ""
  for i = 0, 255 do all = all .. string.char(i) end
  t:eq(core.unb64(core.b64(all)), all, "every byte round trips")
end

function TestQp(t)
  t:eq(core.qp("a=b \r\nc\128"), "a=3Db=20\r\nc=80", "= and a trailing space are quoted")
  t:eq(core.qp("x\r\ny", nil, "|"), "x|y", "the marker for line breaks")
  local out, rest = core.qp("ab ", "")
  t:eq(out, "ab"); t:eq(rest, " ", "a space waits: it may end a line")
  t:eq(core.qp("end "), "end=20=\r\n", "the last chunk's pending bytes")
  t:eq(core.unqp("a=3Db=20=\r\nc"), "a=b c", "soft line breaks dropped")
  t:eq(core.unqp("x=4"), "x", "an unfinished escape at the end is dropped")
  t:eq(core.unqp("=ZZok"), "=ZZok", "a bad escape is kept")
end

function TestWrap(t)
  local out, left = core.wrp(5, "abcdefgh", 5)
  t:eq(out, "abcde\r\nfgh"); t:eq(left, 2)
  t:eq(core.wrp(2, nil, 5), "\r\n", "the end closes an open line")
  t:eq(core.wrp(5, nil, 5), nil, "nothing open")
  out, left = core.wrp(76, "a\r\nb")
  t:eq(out, "a\r\nb"); t:eq(left, 75)
  out = core.qpwrp(4, "abc=3Dx", 4)
  t:eq(out, "abc=\r\n=3D=\r\nx", "never inside =XX")
  t:eq(core.qpwrp(1, nil, 4), "=\r\n")
end

function TestEolDot(t)
  local out, ctx = core.eol(0, "a\nb\rc\r\nd\n\re")
  t:eq(out, "a\r\nb\r\nc\r\nd\r\ne"); t:eq(ctx, 0)
  out, ctx = core.eol(0, "x\r")
  t:eq(out, "x\r\n"); t:eq(ctx, 13, "a CR may be half of a CRLF")
  t:eq(core.eol(ctx, "\ny"), "y", "and it was")
  t:eq(core.eol(0, "a\nb", "|"), "a|b")
  out, ctx = core.dot(2, ".a\r\n.b\r\nc.d")
  t:eq(out, "..a\r\n..b\r\nc.d"); t:eq(ctx, 0)
  t:eq(select(2, core.dot(0, "x\r\n")), 2, "at the start of a line")
  t:eq(select(2, core.dot(0, nil)), 2)
end
