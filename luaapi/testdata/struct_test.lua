-- Lua-side tests of the struct module (Python's struct). Go's
-- TestStructAgainstPython compares it with Python over generated cases;
-- these cover the API's shape, the exact 64-bit forms and the errors.

local st = require("sockettest")
local misuse = st.misuse

local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end

function TestStructPackUnpack(t)
  t:eq(require("struct"), struct, "require returns the global")
  t:eq(hex(struct.pack(">HHI", 1, 2, 3)), "0001000200000003", "big-endian")
  t:eq(hex(struct.pack("<hi", -2, 1)), "feff01000000", "little-endian, signed")
  t:eq(hex(struct.pack("!4sBx", "ab", 255)), "61620000ff00", "s pads with NULs, x is a zero byte")
  t:eq(hex(struct.pack("3s", "abcdef")), "616263", "s truncates")
  t:eq(hex(struct.pack("5p", "abcdef")), "0461626364", "p: a length byte, then the string")
  t:eq(hex(struct.pack("<?c?", true, "z", 0)), "017a00", "? takes Python's truth: 0 is false")
  t:eq(hex(struct.pack(">e", 1.5)), "3e00", "half float")
  t:eq(hex(struct.pack(">f", 0.1)), "3dcccccd", "float rounds to nearest")
  t:eq(hex(struct.pack("<d", -2)), "00000000000000c0", "double")
  t:eq(hex(struct.pack("<I", "4294967295")), "ffffffff", "a decimal string for an integer")

  local a, b, c = struct.unpack(">HHI", "\0\1\0\2\0\0\0\3")
  t:eq(a, 1, "first"); t:eq(b, 2, "second"); t:eq(c, 3, "third")
  t:eq(select("#", struct.unpack("<2xh", "\1\2\3\4")), 1, "pad bytes give no value")
  t:eq(struct.unpack("<h", "\254\255"), -2, "signed")
  t:eq(struct.unpack("5p", "\4abcd"), "abcd", "pascal string")
  t:eq(struct.unpack("5p", "\9abcd"), "abcd", "pascal length past the field is cut")
  t:eq(struct.unpack("?", "\7"), true, "any nonzero byte is true")
  t:eq(struct.unpack(">f", "\61\204\204\205"), 0.10000000149011612, "float widens exactly")
  t:eq(select("#", struct.unpack("0i", "")), 0, "a zero count")
end

function TestStructNativeAlignment(t)
  t:eq(struct.calcsize("@bi"), 8, "native: i aligned to 4")
  t:eq(struct.calcsize("bi"), 8, "no prefix is native")
  t:eq(struct.calcsize("=bi"), 5, "standard: no alignment")
  t:eq(struct.calcsize("<bq"), 9, "standard q is 8 bytes")
  t:eq(struct.calcsize("@bq"), 16, "native q aligned to 8")
  t:eq(struct.calcsize("@ib0q"), 8, "a zero count aligns the end")
  t:eq(struct.calcsize("<l"), 4, "standard long is 4 bytes")
  t:eq(struct.calcsize("@n"), struct.calcsize("@N"), "ssize_t and size_t")
  t:eq(struct.calcsize("< i i "), 8, "spaces between codes")
  t:eq(hex(struct.pack("@bh", 1, 2)):sub(1, 2), "01", "first byte")
  t:eq(#struct.pack("@bh", 1, 2), 4, "padding inside a native record")
end

function TestStruct64BitExact(t)
  -- 2^53 + 1 is no Lua number: unpack gives a decimal string, pack takes one.
  local data = struct.pack("<q", "9007199254740993")
  t:eq(hex(data), "0100000000002000", "packed exactly")
  t:eq(struct.unpack("<q", data), "9007199254740993", "beyond 2^53: a decimal string")
  t:eq(struct.unpack("<q", struct.pack("<q", 2^53)), 2^53, "2^53 itself is a number")
  t:eq(struct.unpack("<q", struct.pack("<q", -2^53)), -2^53, "and -2^53")
  t:eq(struct.unpack("<q", struct.pack("<q", "-9007199254740993")), "-9007199254740993", "negative beyond")
  t:eq(struct.unpack("<Q", string.rep("\255", 8)), "18446744073709551615", "2^64 - 1")
  t:eq(struct.unpack("<q", "\0\0\0\0\0\0\0\128"), "-9223372036854775808", "-2^63")
  t:eq(hex(struct.pack(">Q", "18446744073709551615")), "ffffffffffffffff", "the largest Q")
  t:eq(hex(struct.pack(">Q", 2^63)), "8000000000000000", "a number is packed as the integer it holds")
  local v = struct.unpack(">Q", struct.pack(">Q", "12345678901234567890"))
  t:eq(v, "12345678901234567890", "round trip")
  misuse(t, "'Q' format requires 0 <= number <= 18446744073709551615", function() struct.pack("Q", "18446744073709551616") end)
  misuse(t, "'q' format requires -9223372036854775808 <= number <= 9223372036854775807", function() struct.pack("q", 2^63) end)
  misuse(t, "'Q' format requires 0", function() struct.pack("Q", "-1") end)
  t:eq(hex(struct.pack("B", "-0")), "00", "-0 is zero")
end

function TestStructUnpackFrom(t)
  local data = "xx" .. struct.pack(">HH", 7, 8) .. "yy"
  local a, b = struct.unpack_from(">HH", data, 2)
  t:eq(a, 7, "offset counts from 0"); t:eq(b, 8, "second")
  t:eq(struct.unpack_from("B", data), 120, "offset defaults to 0")
  t:eq(struct.unpack_from("B", data, -1), 121, "a negative offset counts from the end")
  misuse(t, "unpack_from requires a buffer of at least 8 bytes for unpacking 4 bytes at offset 4 (actual buffer size is 6)",
    function() struct.unpack_from("i", "abcdef", 4) end)
  misuse(t, "not enough data to unpack 4 bytes at offset -2", function() struct.unpack_from("i", "abcdef", -2) end)
  misuse(t, "offset -10 out of range for 6-byte buffer", function() struct.unpack_from("i", "abcdef", -10) end)
  misuse(t, "bad argument #3 to 'unpack_from' (offset must be an integer, got 1.5)", function() struct.unpack_from("b", "ab", 1.5) end)
end

function TestStructIterUnpack(t)
  local data = struct.pack("<hB hB hB", 1, 2, 3, 4, 5, 6)
  local got = {}
  for a, b in struct.iter_unpack("<hB", data) do got[#got + 1] = a .. ":" .. b end
  t:eq(table.concat(got, ","), "1:2,3:4,5:6", "records in order")
  local n = 0
  for _ in struct.iter_unpack("<i", "") do n = n + 1 end
  t:eq(n, 0, "no data, no records")
  local bools = {}
  for v in struct.iter_unpack("?", "\0\1") do bools[#bools + 1] = tostring(v) end
  t:eq(table.concat(bools, ","), "false,true", "false does not end the loop")
  misuse(t, "iterative unpacking requires a buffer of a multiple of 4 bytes, got 6", function() struct.iter_unpack("i", "abcdef") end)
  misuse(t, "cannot iteratively unpack with a struct of length 0", function() struct.iter_unpack("0i", "") end)
  misuse(t, "cannot iteratively unpack a format without values", function() struct.iter_unpack("4x", "abcd") end)
end

function TestStructBadInput(t)
  misuse(t, "bad argument #1 to 'pack' (bad char in struct format)", function() struct.pack("y", 1) end)
  misuse(t, "bad argument #1 to 'unpack' (bad char in struct format)", function() struct.unpack("<z", "") end)
  misuse(t, "bad argument #1 to 'calcsize' (bad char in struct format)", function() struct.calcsize("i<") end)
  misuse(t, "bad argument #1 to 'pack' (bad char in struct format)", function() struct.pack("<n", 1) end)
  misuse(t, "bad char in struct format", function() struct.calcsize("2 i") end)
  misuse(t, "bad argument #1 to 'calcsize' (repeat count given without format specifier)", function() struct.calcsize("i3") end)
  misuse(t, "total struct size too long", function() struct.calcsize("99999999999999999999i") end)
  misuse(t, "bad argument #1 to 'pack' (string expected, got nil)", function() struct.pack(nil) end)
  misuse(t, "bad argument #3 to 'pack' (pack expected 2 items for packing (got 1))", function() struct.pack("hh", 1) end)
  misuse(t, "bad argument #3 to 'pack' (pack expected 1 items for packing (got 2))", function() struct.pack("h", 1, 2) end)
  misuse(t, "bad argument #2 to 'pack' ('b' format requires -128 <= number <= 127)", function() struct.pack("b", 128) end)
  misuse(t, "bad argument #3 to 'pack' ('H' format requires 0 <= number <= 65535)", function() struct.pack(">bH", 1, -1) end)
  misuse(t, "bad argument #2 to 'pack' (required argument is not an integer)", function() struct.pack("i", 1.5) end)
  misuse(t, "required argument is not an integer, got string", function() struct.pack("i", "12abc") end)
  misuse(t, "required argument is not an integer, got table", function() struct.pack("i", {}) end)
  misuse(t, "required argument is not an integer", function() struct.pack("i", 0/0) end)
  misuse(t, "required argument is not a float, got string", function() struct.pack("d", "1.5") end)
  misuse(t, "float too large to pack with f format", function() struct.pack("<f", 1e39) end)
  misuse(t, "float too large to pack with e format", function() struct.pack("<e", 65520) end)
  misuse(t, "char format requires a string of length 1", function() struct.pack("c", "ab") end)
  misuse(t, "argument for 's' must be a string, got number", function() struct.pack("s", 1) end)
  misuse(t, "bad argument #2 to 'unpack' (unpack requires a buffer of 4 bytes, got 3)", function() struct.unpack("i", "abc") end)
  t:eq(select("#", struct.unpack("65536B", string.rep("\0", 65536))), 65536, "the most values one unpack returns")
  misuse(t, "too many values to unpack (100000, at most 65536; use iter_unpack)", function() struct.unpack("100000B", string.rep("\0", 100000)) end)
  -- Special floats pack as they are.
  t:eq(hex(struct.pack(">f", 1/0)), "7f800000", "inf packs in f")
  t:eq(hex(struct.pack(">e", -1/0)), "fc00", "-inf packs in e")
  local nan = struct.unpack(">d", struct.pack(">d", 0/0))
  t:eq(nan ~= nan, true, "NaN survives a round trip")
end
