-- Lua-side tests of the bit module (LuaJIT's bit). The checksums are the
-- reference results of Lua BitOp's test suite (bittest.lua, public
-- domain), which LuaJIT passes: every operation over the same vectors must
-- print the same numbers.

local st = require("sockettest")
local misuse = st.misuse

local vectors = {
  0, 1, -1, 2, -2, 0x12345678, 0x87654321,
  0x33333333, 0x77777777, 0x55aa55aa, 0xaa55aa55,
  0x7fffffff, 0x80000000, 0xffffffff,
}

-- checksum is the suite's position-weighted sum of the bytes of s.
local function checksum(s)
  local z = 0
  for i = 1, #s do z = (z + string.byte(s, i) * i) % 2147483629 end
  return z
end

local function rejects(t, name, f, ...)
  if pcall(f, ...) then t:error("bit." .. name .. " accepted bad arguments") end
end

local function unop(t, name, want)
  local f = bit[name]
  rejects(t, name, f); rejects(t, name, f, "z"); rejects(t, name, f, true)
  local s = ""
  for _, x in ipairs(vectors) do s = s .. "," .. tostring(f(x)) end
  t:eq(checksum(s), want, "bit." .. name .. " over the vectors")
end

local function binop(t, name, want, from, to)
  local f = bit[name]
  rejects(t, name, f); rejects(t, name, f, "z"); rejects(t, name, f, true)
  local s = ""
  for _, x in ipairs(vectors) do
    if from then
      rejects(t, name, f, 1, true)
      for y = from, to do s = s .. "," .. tostring(f(x, y)) end
    else
      for _, y in ipairs(vectors) do s = s .. "," .. tostring(f(x, y)) end
    end
  end
  t:eq(checksum(s), want, "bit." .. name .. " over the vectors")
end

function TestBitReferenceVectors(t)
  t:eq(require("bit"), bit, "require returns the global")
  t:eq(bit.tobit(1), 1, "tobit")
  t:eq(bit.band(1), 1, "one argument")
  t:eq(bit.bxor(1, 2), 3, "two")
  t:eq(bit.bor(1, 2, 4, 8, 16, 32, 64, 128), 255, "many")
  unop(t, "tobit", 277312)
  unop(t, "bnot", 287870)
  unop(t, "bswap", 307611)
  binop(t, "band", 41206764)
  binop(t, "bor", 51253663)
  binop(t, "bxor", 79322427)
  binop(t, "lshift", 325260344, 0, 31)
  binop(t, "rshift", 139061800, 0, 31)
  binop(t, "arshift", 111364720, 0, 31)
  binop(t, "rol", 302401155, 0, 31)
  binop(t, "ror", 302316761, 0, 31)
  binop(t, "tohex", 47880306, -8, 8)
end

function TestBitManualExamples(t)
  t:eq(bit.tobit(0xffffffff), -1, "results are signed")
  t:eq(bit.tobit(0xffffffff + 1), 0, "modulo 2^32")
  t:eq(bit.tobit(2^40 + 1234), 1234, "modulo 2^32, far out")
  t:eq(bit.tohex(1), "00000001", "8 digits by default")
  t:eq(bit.tohex(-1), "ffffffff", "lower case")
  t:eq(bit.tohex(0xffffffff), "ffffffff", "unsigned range too")
  t:eq(bit.tohex(-1, -8), "FFFFFFFF", "negative n: upper case")
  t:eq(bit.tohex(0x21, 4), "0021", "n digits")
  t:eq(bit.tohex(0x87654321, 4), "4321", "the low digits")
  t:eq(bit.tohex(1, 0), "", "no digits")
  t:eq(bit.tohex(0x12345678, 20), "12345678", "at most 8")
  t:eq(bit.bnot(0), -1, "bnot")
  t:eq(bit.tohex(bit.bnot(0x12345678)), "edcba987", "bnot bits")
  t:eq(bit.tohex(bit.band(0x12345678, 0xff)), "00000078", "band")
  t:eq(bit.tohex(bit.bor(0x12345678, 0xff)), "123456ff", "bor")
  t:eq(bit.tohex(bit.bxor(0x12345678, 0xff)), "12345687", "bxor")
  t:eq(bit.lshift(1, 0), 1, "lshift 0")
  t:eq(bit.lshift(1, 8), 256, "lshift")
  t:eq(bit.lshift(1, 40), 256, "shift counts use their low 5 bits")
  t:eq(bit.rshift(256, 8), 1, "rshift")
  t:eq(bit.rshift(-256, 8), 16777215, "rshift fills with zeros")
  t:eq(bit.arshift(256, 8), 1, "arshift")
  t:eq(bit.arshift(-256, 8), -1, "arshift copies the sign")
  t:eq(bit.tohex(bit.lshift(0x87654321, 12)), "54321000", "lshift bits")
  t:eq(bit.tohex(bit.rshift(0x87654321, 12)), "00087654", "rshift bits")
  t:eq(bit.tohex(bit.arshift(0x87654321, 12)), "fff87654", "arshift bits")
  t:eq(bit.tohex(bit.rol(0x12345678, 12)), "45678123", "rol")
  t:eq(bit.tohex(bit.ror(0x12345678, 12)), "67812345", "ror")
  t:eq(bit.tohex(bit.bswap(0x12345678)), "78563412", "bswap")
  t:eq(bit.tohex(bit.bswap(0x78563412)), "12345678", "bswap back")
end

function TestBitConversions(t)
  t:eq(bit.tobit(1.5), 2, "a fraction rounds to nearest")
  t:eq(bit.tobit(2.5), 2, "ties to even")
  t:eq(bit.tobit(-1.5), -2, "negative ties to even")
  t:eq(bit.tobit(0.4), 0, "below a half")
  t:eq(bit.tobit("0x10"), 16, "a numeric string, as Lua converts it")
  t:eq(bit.tobit(" 7 "), 7, "with spaces")
  t:eq(bit.tobit(2^53 + 2^32 * 5 + 4), 4, "beyond 2^51: exact modulo 2^32")
  t:eq(bit.tobit(-2^63), 0, "-2^63")
  t:eq(bit.tobit(1/0), 0, "inf")
  t:eq(bit.tobit(0/0), 0, "NaN")
  t:eq(bit.tobit(-2147483648), -2147483648, "the smallest")
  t:eq(bit.tobit(2147483648), -2147483648, "2^31 wraps")
end

function TestBitBadInput(t)
  misuse(t, "bad argument #1 to 'band' (number expected, got no value)", function() bit.band() end)
  misuse(t, "bad argument #3 to 'bor' (number expected, got table)", function() bit.bor(1, 2, {}) end)
  misuse(t, "bad argument #1 to 'tobit' (number expected, got string)", function() bit.tobit("z") end)
  misuse(t, "bad argument #2 to 'lshift' (number expected, got no value)", function() bit.lshift(1) end)
  misuse(t, "bad argument #2 to 'tohex' (number expected, got boolean)", function() bit.tohex(1, true) end)
  misuse(t, "bad argument #1 to 'bnot' (number expected, got nil)", function() bit.bnot(nil) end)
end
