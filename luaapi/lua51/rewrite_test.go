package lua51

import "testing"

// The rewrite pass's cases: each shape gopher-lua v1.1.2 compiles wrongly,
// with the cases of its issues (#440, #315, #158, #540, #514, #537), and
// what lua5.1 prints for them.

func TestRewrite(t *testing.T) { checkSnippets(t, rewriteSnippets) }

func TestRewriteWithLua51(t *testing.T) { checkSnippetsWithLua51(t, rewriteSnippets) }

var rewriteSnippets = []snippet{
	{"assign_and_to_local", `local function f() return nil end
local function run()
  local a, b, c, nf = 1, 2, 3, false
  local t = {10}
  b = x and 5
  out(b)
  b = 2
  b = t[9] and c
  out(b)
  b = 2
  b = f() and c
  out(b)
  b = 2
  b = not c and 5
  out(b)
  b = 2
  b = y or x and 5
  out(b)
  b = 2
  b = c and (x and 5)
  out(b)
  local found = t[2] and t[2].name
  out(found)
  found = "old"
  found = t[2] and t[2].name
  out(found)
end
run()
`, `nil
nil
nil
false
nil
nil
nil
nil
`},
	{"assign_calls_varargs", `local function many() return 1, 2, 3, 4 end
local function none() end
local a, b, c = 0, 0, 0
a, b, c = many()
out(a, b, c)
a, b, c = none()
out(a, b, c)
a, b, c = 9, many()
out(a, b, c)
a, b, c = (many())
out(a, b, c)
a, b = many(), 7
out(a, b)
local function va(...)
  local x, y
  x, y = ...
  return x, y
end
out(va(5, 6, 7))
out(va(5))
out(va())
a, b, c = 1
out(a, b, c)
a, b = 1, 2, 3
out(a, b)
local n = 0
local function bump() n = n + 1 return n end
a, b = 1, 2, bump(), bump()
out(a, b, n)
`, `1	2	3
nil	nil	nil
9	1	2
1	nil	nil
1	7
5	6
5	nil
nil	nil
1	nil	nil
1	2
1	2	2
`},
	{"assign_closures", `local a, b = 1, 2
local get = function() return a, b end
a, b = b, a
out(get())
local fs = {}
for i = 1, 3 do
  local x, y = i, i * 10
  fs[i] = function() x, y = y, x return x, y end
end
out(fs[1]())
out(fs[3]())
`, `2	1
10	1
30	3
`},
	{"assign_defaults", `local p, q, r = 1, 2, 3
p, q, r = "default", p, q
out(p, q, r)
`, `default	1	2
`},
	{"assign_fibonacci", `local x, y = 0, 1
for i = 1, 10 do
  x, y = y, x + y
end
out(x, y)
`, `55	89
`},
	{"assign_globals_upvalues", `ga, gb = 1, 2
ga, gb = gb, ga
out(ga, gb)
local u, v = 1, 2
local function swap() u, v = v, u end
swap()
out(u, v)
local l = 5
gx, l = l, gx
out(gx, l)
`, `2	1
2	1
5	nil
`},
	{"assign_indexed", `local t = {1, 2, 3}
local i, j = 1, 3
t[i], t[j] = t[j], t[i]
out(t[1], t[2], t[3])
local arr = {10, 20, 30}
local k = 1
arr[k], k = k, arr[k]
out(arr[1], arr[10], k)
k = 1
k, arr[k] = 2, "z"
out(k, arr[1], arr[2])
local o = {}
local o2 = o
o, o.x = {}, 1
out(o2.x, o.x)
`, `3	2	1
1	nil	10
2	z	20
1	nil
`},
	{"assign_issue158", `local i = 1
a = {}
a[i], i  = 20, 30
out(a[1], a[30], i)
local a, b = {}, 10
a[b], b = 20, 30
out(a[10], a[30], b)
`, `20	nil	30
20	nil	30
`},
	{"assign_issue315", `local a = {}
local d = 'e'
local f = 1

f, a.d = f, d

out(f..", "..a.d)
`, `1, e
`},
	{"assign_issue440", `local a, b = 0, 0
a, b = a + 1, a + b
out(a, b)
`, `1	0
`},
	{"assign_last_parameter", `local function m(s) s = s .. "!" return s end
out(m("hi"))
local function n(a, s) s = (tostring(s)) return s end
out(n(1, 5))
local function k(a, s) s = (type(s)) return s end
out(k(1, 5))
local obj = {}
function obj:name(s) s = "<" .. s .. ">" return s end
out(obj:name("x"))
function obj:self_last() self = (rawequal(self, obj)) return self end
out(obj:self_last())
local function v(s, ...) s = s .. select('#', ...) return s end
out(v("n=", 1, 2))
local function w(a, b) b = b .. a, "extra" return b end
out(w("a", "b"))
`, `hi!
5
number
<x>
true
n=2
ba
`},
	{"assign_nested_function", `local function outer()
  local p, q = "p", "q"
  local function inner()
    local r, s = "r", "s"
    r, s, p, q = s, r, q, p
    return r, s
  end
  local r, s = inner()
  return p, q, r, s
end
out(outer())
`, `q	p	s	r
`},
	{"assign_order", `local log = {}
local function f(x) log[#log + 1] = x return x end
local t = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = "set " .. k rawset(t, k, v) end})
local a, b
t[f("k1")], a, t[f("k2")], b = f(1), f(2), f(3), f(4)
out(table.concat(log, " "))
out(t.k1, a, t.k2, b)
local x
x, x = 1, 2
out(x)
`, `k1 k2 1 2 3 4 set k2 set k1
1	2	3	4
1
`},
	{"assign_swap_locals", `local a, b = 1, 2
a, b = b, a
out(a, b)
`, `2	1
`},
	{"assign_table_value_local", `local u = 5
local function run()
  local a, b = 1, 2
  local t = {10, 20, 30, x = 40}
  u, t.x, g2 = true, a
  out(a, u, t.x, g2)
  g1, t[1], t[b] = b, a, a
  out(g1, t[1], t[2])
end
run()
`, `1	true	1	nil
2	1	1
`},
	{"assign_vararg_to_local", `local function run(...)
  local a, b, c = 1, 2, 3
  local t = {10, 20, 30, x = 40}
  b = (...)
  out(a, b, c, t[1], t.x)
  b = ..., 5, 6
  out(a, b, c, t[1], t.x)
  c = ..., ...
  out(a, b, c, t[1], t.x)
  a, b = 1, (...)
  out(a, b, c, t[1], t.x)
  b = nil or ...
  out(a, b, c, t[1], t.x)
  t[b], a, t[2], t.x = c, 5, 6, true
  out(a, b, c, t[1], t[2], t[11], t.x)
end
run(11, 12)
`, `1	11	3	10	40
1	11	3	10	40
1	11	11	10	40
1	11	11	10	40
1	11	11	10	40
5	11	11	10	6	11	true
`},
	{"concat_errors", `out(pcall(function() return "a" .. undefinedglobal end))
out(pcall(function() local l; return l .. "a" end))
out(pcall(function() local tt = {}; return "a" .. tt.name .. "b" end))
local up
out(pcall(function() return "x" .. up end))
out(pcall(function() return "x" .. {} end))
out(pcall(function() return {} .. "x" end))
out(pcall(function() return ("x"):rep(2) .. nil end))
out(pcall(function() return "x" .. true .. "y" end))
out(pcall(function() local t = {} return t[1] .. "y" end))
`, `false	snippet.lua:1: attempt to concatenate global 'undefinedglobal' (a nil value)
false	snippet.lua:2: attempt to concatenate local 'l' (a nil value)
false	snippet.lua:3: attempt to concatenate field 'name' (a nil value)
false	snippet.lua:5: attempt to concatenate upvalue 'up' (a nil value)
false	snippet.lua:6: attempt to concatenate a table value
false	snippet.lua:7: attempt to concatenate a table value
false	snippet.lua:8: attempt to concatenate a nil value
false	snippet.lua:9: attempt to concatenate a boolean value
false	snippet.lua:10: attempt to concatenate field '?' (a nil value)
`},
	{"concat_inside_expressions", `local t = {}
for i = 1, 3 do t[#t + 1] = "item" .. i / 2 end
out(table.concat(t, ","))
local function f(...) return select('#', ...) end
out(f("a" .. 1.5))
local s = ""
for i = 1, 5 do s = s .. i .. "," end
out(s)
out("path: " .. string.gsub("a;b", ";", ","))
local function va(...) return "v" .. ... end
out(va(1, 2, 3))
out(select('#', "x" .. string.gsub("a", "a", "b")))
`, `item0.5,item1,item1.5
1
1,2,3,4,5,
path: a,b
v1
1
`},
	{"concat_metamethods", `local mt = {__concat = function(a, b)
  local function s(v) return type(v) == "table" and "T" or tostring(v) end
  return "(" .. s(a) .. "+" .. s(b) .. ")"
end}
local t = setmetatable({}, mt)
out("a" .. t)
out(t .. "b")
out(1 .. t .. 2)
out("x" .. "y" .. t .. "z" .. 1.5)
local r = setmetatable({}, {__concat = function(a, b) return 0.1 + 0.2 end})
out("s" .. (r .. "q"))
`, `(a+T)
(T+b)
1(T+2)
xy(T+z1.5)
s0.3
`},
	{"concat_numbers", `local x = 1e15
out(x .. "", 0.1 + 0.2 .. "", "a" .. 1/3 .. "b", 2^53 .. "")
out(1 .. 2, -0.0 .. "", 10 .. "", 1e100 .. "|" .. -1e-5)
local n = 3
out("n=" .. n .. ", half=" .. n / 2 .. ", big=" .. n * 1e20)
out(("x"):rep(3) .. 7.5)
`, `1e+15	0.3	a0.33333333333333b	9.007199254741e+15
12	-0	10	1e+100|-1e-05
n=3, half=1.5, big=3e+20
xxx7.5
`},
	{"constant_logic_in_loops", `local function f()
  local s, n = 0, 0
  repeat
    s = s + (false and 1 or 0)
    n = n + 1
    s = s + n
  until n >= 3
  while true do
    local q = nil or n
    s = s + (true and 1)
    n = n + 1
    if n > 5 then break end
  end
  for k, v in ipairs({1, 2}) do
    local a = false or v
    local b = 1 and v
    local c = not nil
    local d = not 1
    s = s + a + b + (c and 1 or 0) + (d and 100 or 0)
  end
  while false do s = -1 end
  return s, n
end
out(f())
local function g(...) return 1 and ... end
out(g(7, 8))
local function h() return 5, 6 end
out(false or h())
out(true and h())
`, `17	6
7
5
5
`},
	{"for_issue514_bare_function", `local log = {}
local function iter(state, control)
  log[#log + 1] = tostring(state) .. "," .. tostring(control)
  if control == nil then return 1 end
  if control < 2 then return control + 1 end
end
for i in iter do end
for i in iter do end
out(table.concat(log, " "))
`, `nil,nil nil,1 nil,2 nil,nil nil,1 nil,2
`},
	{"for_issue514_next", `local function f()
  local t = {1, 2, 3}
  local s = 0
  for k, v in next, t do s = s + v end
  return s
end
out(f())
local function g()
  local x, y, z = 7, 8, 9
  local s = 0
  for k, v in next, {1, 2, 3} do s = s + v end
  return s
end
out(g())
local s = 0
for k, v in next, {1, 2, 3} do s = s + v end
out(s)
`, `6
6
6
`},
	{"for_multivalue_tail", `local function gen() return next, {1, 2, 3}, nil end
local function f(...)
  local s = 0
  for k, v in gen() do s = s + v end
  for k, v in ... do s = s + v end
  for k in next, ({10, 20}) do s = s + k end
  return s
end
out(f(next, {4, 5}))
local function pair() return {100, 200}, nil end
local function g()
  local s = 0
  for k, v in next, pair() do s = s + v end
  for k in next, pair() do s = s + k end
  for k, v in next, {1}, nil, "extra" do s = s + v end
  return s
end
out(g())
`, `18
304
`},
	{"if_false_in_for", `local function f()
  local s = 0
  for k, v in pairs({1, 2, 3}) do
    if false then s = s + 100 end
    s = s + v
  end
  return s
end
out(f())
`, `6
`},
	{"if_false_local_in_for", `local function f()
  local s = 0
  for k, v in ipairs({1, 2, 3}) do
    if false then local x = 1 s = s + x end
    s = s + v
  end
  return s
end
out(pcall(f))
local s = 0
for k, v in pairs({1, 2, 3}) do
  if false then local x end
  s = s + v
end
out(s)
`, `true	6
6
`},
	{"if_false_return_value", `local function f()
  for _, v in ipairs({1}) do
    if false then local x end
  end
  return 1
end
out(f())
`, `1
`},
	{"if_nil_elseif_false", `local function f()
  local s = 0
  for k, v in ipairs({1, 2, 3}) do
    if nil then s = -1 end
    if v == 0 then s = s + 1 elseif false then s = s + 2 else s = s + v end
    if false then s = -1 else s = s + 10 end
    if true then s = s + 100 else s = -1 end
  end
  return s
end
out(f())
`, `336
`},
	{"assign_call_cut_to_one_value_to_last_local", `local function tell(c, text)
  text = text .. "\n"
  out(text)
  text = (tostring(text) .. "!")
  out(text)
  local g = string.upper
  text = (g(text))
  out(text)
end
tell({}, "a" .. tostring(1))
local x = 1
x = (tostring(x))
out(x, type(x))
`, "a1\n\na1\n!\nA1\n!\n1\tstring\n"},
	{"table_constructor_big_mixed", `local parts = {}
for i = 1, 30000 do parts[i] = 0 end
for _, i in ipairs({1, 25550, 25551, 25600, 25601, 30000}) do parts[i] = i end
local src = "local log, f = ... return {k0 = 'a', " .. table.concat(parts, ",", 1, 25600)
  .. ", k1 = log('k1'), [25551] = 'keyed', " .. table.concat(parts, ",", 25601, 30000) .. ", f()}"
local order = {}
local function log(x) order[#order + 1] = x return x end
local t = loadstring(src)(log, function() log("f") return "t1", "t2" end)
out(#t, t.k0, t.k1, t[1], t[2], t[25550], t[25551], t[25600], t[25601], t[30000], t[30001], t[30002], t[30003])
out(table.concat(order, " "))
`, `30002	a	k1	1	0	25550	keyed	25600	25601	30000	t1	t2	nil
k1 f
`},
	{"table_constructor_issue537", `local t = loadstring("return {" .. string.rep("1,", 30000) .. "}")()
out(#t, t[25550], t[25551], t[30000], t[30001], t[0], t[-1])
`, `30000	1	1	1	nil	nil	nil
`},
	{"table_constructor_tail", `local function f() return "a", "b" end
local src = "local f = ... return {" .. string.rep("1,", 50) .. "f()}"
local t = loadstring(src)(f)
out(#t, t[1], t[50], t[51], t[52])
src = "return {" .. string.rep("2,", 100) .. "...}"
t = loadstring(src)("x", "y")
out(#t, t[1], t[100], t[101], t[102])
src = "local f = ... return {" .. string.rep("3,", 49) .. "f()}"
t = loadstring(src)(f)
out(#t, t[49], t[50], t[51])
`, `52	1	1	a	b
102	2	2	x	y
51	3	a	b
`},
}
