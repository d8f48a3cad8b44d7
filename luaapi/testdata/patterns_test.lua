-- Lua-side tests of string.find, string.match, string.gmatch and
-- string.gsub, which sockrun replaces with its own (luaapi/patterns.go):
-- Lua 5.1's behaviour, also where gopher-lua's differed, and the same
-- functions as methods of strings and in threads.
local st = require("sockettest")
local contains = st.contains

-- results packs a call's results with their count.
local function results(...) return {n = select("#", ...), ...} end

-- same checks that a call returned exactly the values of want, both
-- packed by results.
local function same(t, got, want, what)
  t:eq(got.n, want.n, what .. ": number of results")
  for i = 1, want.n do t:eq(got[i], want[i], what .. ": result " .. i) end
end

-- fails checks that fn(...) raises an error that contains want.
local function fails(t, want, fn, ...)
  local ok, err = pcall(fn, ...)
  t:eq(ok, false, "raised: " .. want)
  contains(t, err, want)
end

function TestInstalled(t)
  t:eq(("").find, string.find, "strings' find is string.find")
  t:eq(("").match, string.match, "strings' match")
  t:eq(("").gmatch, string.gmatch, "strings' gmatch")
  t:eq(("").gsub, string.gsub, "strings' gsub")
  t:eq(string.gfind, string.gmatch, "gfind, 5.1's old name of gmatch")
  -- gopher-lua's string.match returned nothing for no match; Lua's nil.
  same(t, results(("abc"):match("x")), results(nil), "no match")
  -- and gopher-lua's read %f as the letter f.
  same(t, results(("THE (quick) fox"):find("%f[%a]%a+", 2)), results(6, 10), "frontier")
end

function TestFind(t)
  same(t, results(("hello world"):find("o w")), results(5, 7), "plain text")
  same(t, results(("hello world"):find("l")), results(3, 3), "first")
  same(t, results(("hello world"):find("l", 5)), results(10, 10), "from init")
  same(t, results(("hello world"):find("l", -2)), results(10, 10), "init from the end")
  same(t, results(("hello world"):find("l", -100)), results(3, 3), "init before the start")
  same(t, results(("hello"):find("", 10)), results(6, 5), "init past the end: the end")
  same(t, results(("hello"):find("", 3)), results(3, 2), "empty pattern")
  same(t, results(("a.b"):find(".", 1, true)), results(2, 2), "plain flag")
  same(t, results(("a+b"):find("+", 1, true)), results(2, 2), "plain flag, special character")
  same(t, results(("a)b"):find("a)")), results(1, 2), "no specials: a plain search")
  same(t, results(("key = value"):find("(%w+) = (%w+)")), results(1, 11, "key", "value"), "captures")
  same(t, results(("hello"):find("()ll()")), results(3, 4, 3, 5), "position captures")
  same(t, results(("hello"):find("^l")), results(nil), "anchored")
  same(t, results(("hello"):find("^l", 3)), results(3, 3), "anchored at init")
  same(t, results(string.find(12345, 34)), results(3, 4), "numbers as strings")
end

function TestMatch(t)
  t:eq(("  trim me  "):match("^%s*(.-)%s*$"), "trim me", "trim")
  t:eq(("hello"):match(".l"), "el", "whole match without captures")
  t:eq(("hello"):match(".l", 3), "ll", "init")
  t:eq(("hello"):match("", 10), "", "init past the end")
  same(t, results(("2024-01-02"):match("(%d+)-(%d+)-(%d+)")), results("2024", "01", "02"), "captures")
  same(t, results(("hello"):match("()l")), results(3), "a position capture is a number")
  same(t, results(("say 'hi'"):match("(['\"])(.-)%1")), results("'", "hi"), "back-reference")
  t:eq(("f(a(b)c)"):match("%b()"), "(a(b)c)", "balance")
  t:eq(("\0a\0"):match("%z(.)%z"), "a", "%z")
  t:eq(("a$b^"):match("$b^"), "$b^", "'$' and '^' in the middle are characters")
end

function TestGmatch(t)
  local words = {}
  for w in ("one two  three"):gmatch("%a+") do words[#words + 1] = w end
  t:eq(table.concat(words, ","), "one,two,three", "words")
  local kv = {}
  for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do kv[#kv + 1] = k .. ":" .. v end
  t:eq(table.concat(kv, ","), "a:1,b:2", "captures")
  local empties = 0
  for e in ("abc"):gmatch("x*") do
    t:eq(e, "", "an empty match")
    empties = empties + 1
  end
  t:eq(empties, 4, "an empty match at each position and the end")
  local n = 0
  for s in ("^a^a"):gmatch("^a") do n = n + 1; t:eq(s, "^a", "'^' is a character") end
  t:eq(n, 2, "no anchor in gmatch")
end

function TestGmatchIterator(t)
  local it = ("a1b2"):gmatch("%a(%d)")
  t:eq(select("#", ("a"):gmatch(".")), 1, "gmatch returns the iterator alone")
  t:eq(it(), "1", "first")
  t:eq(it(), "2", "second")
  same(t, results(it()), results(), "then nothing")
  same(t, results(it()), results(), "and nothing again")
  local positions = {}
  for p in ("aXbX"):gmatch("()X") do positions[#positions + 1] = p end
  t:eq(table.concat(positions, ","), "2,4", "position captures")
  fails(t, "malformed pattern (ends with '%')", ("a"):gmatch("a%"))
end

function TestGsubString(t)
  same(t, results(("hello world"):gsub("o", "0")), results("hell0 w0rld", 2), "every match")
  same(t, results(("hello world"):gsub("o", "0", 1)), results("hell0 world", 1), "n")
  same(t, results(("hello world"):gsub("o", "0", 0)), results("hello world", 0), "n = 0")
  same(t, results(("hello world"):gsub("o", "0", -1)), results("hello world", 0), "n < 0")
  same(t, results(("hello world"):gsub("(%w+) (%w+)", "%2 %1")), results("world hello", 1), "captures")
  same(t, results(("hello"):gsub("l+", "<%0>")), results("he<ll>o", 1), "%0")
  same(t, results(("hello"):gsub("l+", "<%1>")), results("he<ll>o", 1), "%1 without captures")
  same(t, results(("hello"):gsub("()l", "%1")), results("he34o", 2), "position capture")
  same(t, results(("50"):gsub("%d+", "%0%%")), results("50%", 1), "%%")
  same(t, results(("x"):gsub("x", "%a")), results("a", 1), "'%' before another byte: that byte")
  same(t, results(("x"):gsub("x", "%")), results("\0", 1), "a '%' at the end: NUL, as Lua 5.1")
  same(t, results(("abc"):gsub("", "-")), results("-a-b-c-", 4), "empty matches")
  same(t, results(("abc"):gsub("%w*", "-")), results("--", 2), "an empty match after a match")
  same(t, results(("hello hello"):gsub("^hello", "bye")), results("bye hello", 1), "anchored")
  same(t, results(("abc"):gsub("b", 5)), results("a5c", 1), "a number as replacement")
  same(t, results(("abc"):gsub("x", "y")), results("abc", 0), "no match")
  fails(t, "invalid capture index", string.gsub, "abc", "b", "%2")
  fails(t, "invalid capture index", string.gsub, "abc", "(b)", "%2")
  fails(t, "unfinished capture", string.gsub, "abc", "(b", "%1")
  fails(t, "string/function/table expected", string.gsub, "abc", "b", true)
end

function TestGsubTableFunction(t)
  local vars = {name = "Lua", version = 5.1, off = false}
  same(t, results(("$name $version $off $none"):gsub("%$(%w+)", vars)), results("Lua 5.1 $off $none", 4), "table")
  same(t, results(("hello"):gsub("l", {})), results("hello", 2), "no keys: kept")
  same(t, results(("a,b"):gsub("%w", string.upper)), results("A,B", 2), "function")
  same(t, results(("k=v"):gsub("(%w)=(%w)", function(k, v) return v .. "=" .. k end)), results("v=k", 1), "function with captures")
  same(t, results(("abc"):gsub("%w", function(c) if c == "b" then return false end return c:upper() end)), results("AbC", 3), "false keeps the match")
  same(t, results(("abc"):gsub("%w", function() end)), results("abc", 3), "nil keeps the match")
  same(t, results(("ab"):gsub("()", function(p) return p end)), results("1a2b3", 3), "position capture to the function, number returned")
  fails(t, "invalid replacement value (a table)", string.gsub, "abc", "b", function() return {} end)
  fails(t, "invalid replacement value (a boolean)", string.gsub, "abc", "b", {b = true})
  -- A function may use patterns itself.
  same(t, results(("a1 b2"):gsub("%w+", function(w) return (w:gsub("%d", "#")) end)), results("a# b#", 2), "nested gsub")
end

function TestPatternErrors(t)
  for _, c in ipairs({
    {"%", "malformed pattern (ends with '%')"},
    {"[a", "malformed pattern (missing ']')"},
    {"[]", "malformed pattern (missing ']')"},
    {"(", "unfinished capture"},
    {"a)", "invalid pattern capture"},
    {"%1", "invalid capture index"},
    {"(a%1)", "invalid capture index"},
    {"%fa", "missing '[' after '%f' in pattern"},
    {"%b", "unbalanced pattern"},
    {string.rep("()", 33), "too many captures"},
  }) do
    fails(t, c[2], string.match, "abc", c[1])
  end
  fails(t, "pattern too complex", string.match, string.rep("a", 1000), string.rep("a?", 1000))
  -- Lua reports a malformed part only where matching reaches it.
  t:eq(("b"):match("a%"), nil, "never reached")
  -- A long subject is no problem for a repetition.
  t:eq(#string.rep("a", 2000000):match(".*"), 2000000, "2 MB through .*")
end

function TestPatternsInThreads(t)
  local h = thread.spawn(function()
    return select("#", ("a"):match("b")), ("THE fox"):find("%f[%a]%a+", 2), ("a"):gsub("a", "%")
  end)
  same(t, results(h:join()), results(1, 5, "\0", 1), "a thread's strings use the new functions")
  local co = coroutine.wrap(function() return ("x=1"):match("(%w)=(%d)") end)
  same(t, results(co()), results("x", "1"), "and a coroutine's")
end
