-- Lua-side tests of the json module: round trips of null and arrays with
-- holes, exact integers, the errors of bad values and bad documents.

local st = require("sockettest")
local misuse = st.misuse

-- decodeError returns the message json.decode raises for text.
local function decodeError(t, text)
  local ok, err = pcall(json.decode, text)
  if ok then t:fatal("json.decode accepted " .. text) end
  return err
end

local function has(t, msg, want)
  if not msg:find(want, 1, true) then t:fatal(string.format("%q does not contain %q", msg, want)) end
end

function TestJSONEncode(t)
  t:eq(require("json"), json, "require returns the global")
  t:eq(json.encode({a = 1, b = {true, false}, c = "x"}), '{"a":1,"b":[true,false],"c":"x"}', "sorted keys, compact")
  t:eq(json.encode({}), "{}", "an empty table is an object")
  t:eq(json.encode(json.array()), "[]", "unless marked as an array")
  t:eq(json.encode(json.array({1, 2})), "[1,2]", "json.array returns its table")
  t:eq(json.encode({1, nil, 3}), "[1,null,3]", "a hole encodes as null")
  t:eq(json.encode({[3] = "c"}), '[null,null,"c"]', "up to the largest key")
  t:eq(json.encode({1, json.null, 3}), "[1,null,3]", "json.null encodes as null")
  t:eq(json.encode({a = json.null}), '{"a":null}', "in an object too")
  t:eq(json.encode(nil), "null", "nil at the top")
  t:eq(json.encode(json.null), "null", "json.null at the top")
  t:eq(json.encode("a\"b\\c\n\t\1/é"), '"a\\"b\\\\c\\n\\t\\u0001/é"', "escapes; UTF-8 as it is")
  t:eq(json.encode(2^53), "9007199254740992", "integers without exponent")
  t:eq(json.encode(-2^53), "-9007199254740992", "negative")
  t:eq(json.encode(1e20), "100000000000000000000", "large integral float without exponent")
  t:eq(json.encode(1e300), "1e+300", "very large: exponent")
  t:eq(json.encode(0.1), "0.1", "shortest form that reads back")
  t:eq(json.encode(1/3), "0.3333333333333333", "all the digits")
  t:eq(json.encode({["1"] = "one"}), '{"1":"one"}', "a string key that looks like a number stays a string")
  t:eq(json.encode({a = {b = {}}}, {indent = 2}), '{\n  "a": {\n    "b": {}\n  }\n}', "indent")
  t:eq(json.encode({1, {2}}, {indent = "\t"}), '[\n\t1,\n\t[\n\t\t2\n\t]\n]', "indent string")
  t:eq(tostring(json.null), "null", "json.null prints as null")
end

function TestJSONDecode(t)
  local v = json.decode(' {"a": [1, 2.5, -3e2], "b": {"c": null}, "d": "\\u00e9\\ud83d\\ude00\\n", "e": true} ')
  t:eq(v.a[1], 1, "integer"); t:eq(v.a[2], 2.5, "fraction"); t:eq(v.a[3], -300, "exponent")
  t:eq(v.b.c, json.null, "null is json.null")
  t:eq(v.d, "é😀\n", "escapes and a surrogate pair")
  t:eq(v.e, true, "true")
  t:eq(json.decode("null"), json.null, "a null document")
  t:eq(json.decode('"\\ud800"'), "\239\191\189", "a lone surrogate becomes U+FFFD")
  t:eq(json.decode("9007199254740993"), 2^53, "beyond 2^53: the nearest number")
  t:eq(json.decode("-0"), 0, "-0")
  t:eq(json.decode("1E2"), 100, "upper-case exponent")
end

function TestJSONRoundTrip(t)
  for _, text in ipairs({
    "[1,null,3]", "[null]", "[]", "{}", '{"a":null}', "[[],{}]", '{"":""}',
    "9007199254740992", "-9007199254740992", "123456789012", "0.5", '"\\u0000"',
    '{"a":[1,{"b":[null,null,{"c":[]}]}],"z":false}',
  }) do
    t:eq(json.encode(json.decode(text)), text, "round trip of " .. text)
  end
  local holes = json.decode("[1,null,3]")
  t:eq(#holes, 3, "the length survives: the hole is json.null")
  t:eq(holes[2], json.null, "the hole")
  for i = -2^53, -2^53 + 3 do
    t:eq(json.decode(json.encode(i)), i, "exact integer " .. i)
  end
  for _, i in ipairs({2^53, 2^53 - 1, 2^31, 2^32 + 1, 1e15 + 1}) do
    t:eq(json.decode(json.encode(i)), i, "exact integer " .. string.format("%.0f", i))
  end
  local arr = json.decode("[]")
  arr[1] = "x"
  t:eq(json.encode(arr), '["x"]', "a decoded array stays an array")
end

function TestJSONEncodeErrors(t)
  local cyc = {}
  cyc.self = cyc
  misuse(t, "json.encode: cycle: a table contains itself (at $.self)", function() json.encode(cyc) end)
  local deep = {a = {{}}}
  deep.a[1].back = deep.a
  misuse(t, "cycle: a table contains itself (at $.a[1].back)", function() json.encode(deep) end)
  local shared = {}
  t:eq(json.encode({shared, shared}), "[{},{}]", "the same table twice is no cycle")
  misuse(t, "json.encode: table mixes string keys and integer keys", function() json.encode({1, 2, x = 3}) end)
  misuse(t, 'json.encode: table key of type boolean is neither a string nor a positive integer (at $)', function() json.encode({[true] = 1}) end)
  misuse(t, "table key 1.5 is neither a string nor a positive integer", function() json.encode({[1.5] = 1}) end)
  misuse(t, "table key 0 is neither a string nor a positive integer", function() json.encode({[0] = 1}) end)
  misuse(t, "table key -1 is neither", function() json.encode({x = {[-1] = 1}}) end)
  misuse(t, "sparse array: key 1000 with only 1 values", function() json.encode({[1000] = 1}) end)
  misuse(t, "json.encode: cannot encode NaN: JSON has no NaN or infinity (at $[2])", function() json.encode({1, 0/0}) end)
  misuse(t, "cannot encode +Inf", function() json.encode(1/0) end)
  misuse(t, "cannot encode a function (at $.f)", function() json.encode({f = print}) end)
  misuse(t, 'string is not valid UTF-8 (byte 2 of it); JSON text is UTF-8 (at $["a b"])', function() json.encode({["a b"] = "x\255"}) end)
  misuse(t, "json.array table has the string key", function() json.encode(json.array({x = 1})) end)
  misuse(t, "bad argument #2 to 'encode' (unknown option sort)", function() json.encode({}, {sort = true}) end)
  misuse(t, "bad argument #2 to 'encode' (options table expected, got string)", function() json.encode({}, "x") end)
  misuse(t, "bad argument #1 to 'encode' (value expected)", function() json.encode() end)
  misuse(t, "bad argument #1 to 'array' (the table already has a metatable)", function() json.array(setmetatable({}, {})) end)
end

function TestJSONDecodeErrors(t)
  has(t, decodeError(t, '{"a": 1, "b": 2,}'), "json.decode: unexpected character '}' at byte 17")
  has(t, decodeError(t, ""), "json.decode: unexpected end of input at byte 1")
  has(t, decodeError(t, "[1, 2"), "unexpected end of input at byte 6")
  has(t, decodeError(t, "[1 2]"), "unexpected character '2' at byte 4")
  has(t, decodeError(t, "{1: 2}"), "unexpected character '1' at byte 2")
  has(t, decodeError(t, "nul"), "unexpected character 'n' at byte 1")
  has(t, decodeError(t, "[NaN]"), "unexpected character 'N' at byte 2")
  has(t, decodeError(t, "01"), "leading zero in a number at byte 1")
  has(t, decodeError(t, "1."), "unexpected end of input at byte 3")
  has(t, decodeError(t, "-"), "unexpected end of input at byte 2")
  has(t, decodeError(t, "+1"), "unexpected character '+' at byte 1")
  has(t, decodeError(t, "1e400"), "number 1e400 out of range at byte 1")
  has(t, decodeError(t, '"abc'), "unexpected end of input in a string at byte 5")
  has(t, decodeError(t, '"a\nb"'), "control character 0x0a in a string (write it as an escape) at byte 3")
  has(t, decodeError(t, '"\\x"'), "invalid escape '\\x' at byte 2")
  has(t, decodeError(t, '"\\u12g4"'), "invalid \\u escape at byte 2")
  has(t, decodeError(t, '"\255"'), "invalid UTF-8 at byte 2")
  has(t, decodeError(t, "[1] x"), "extra data after the document: 'x' at byte 5")
  has(t, decodeError(t, "\0"), "unexpected byte 0x00 at byte 1")
  has(t, decodeError(t, string.rep("[", 1001)), "nested more than 1000 deep at byte 1001")
  t:eq(#json.decode(string.rep("[", 1000) .. string.rep("]", 1000)), 1, "1000 deep is fine")
  local err = decodeError(t, "{")
  if not err:find("json_test%.lua:%d+: ") then t:error("no script line in " .. err) end
  misuse(t, "bad argument #1 to 'decode' (string expected, got nil)", function() json.decode() end)
end
