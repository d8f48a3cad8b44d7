local function count(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end
local lim = 15
-- weak keys: collectable keys go, values, strings, numbers and keys held elsewhere stay
local a = setmetatable({}, {__mode = 'k'})
for i = 1, lim do a[{}] = i end
for i = 1, lim do local t = {}; a[t] = t end
for i = 1, lim do a[i] = i end
for i = 1, lim do local s = string.rep('@', i); a[s] = s .. '#' end
local held = {}
a[held] = "held"
a[print] = "a Go function, held by _G"
a[function() end] = "a closure no one holds"
a[coroutine.create(function() end)] = "a thread no one holds"
collectgarbage()
print("k", count(a), a[held], a[print])
-- weak values
a = setmetatable({}, {__mode = 'v'})
a[1] = string.rep('b', 21)
collectgarbage()
print("string value kept", a[1] ~= nil)
a[1] = nil
for i = 1, lim do a[i] = {} end
for i = 1, lim do a[i .. 'x'] = {} end
for i = 1, lim do local t = {}; a[t] = t end
for i = 1, lim do a[i + lim] = i .. 'x' end
a.kept = held
collectgarbage()
print("v", count(a), a.kept == held)
-- both
a = setmetatable({}, {__mode = 'vk'})
local x, y, z = {}, {}, {}
a[1], a[2], a[3] = x, y, z
a[string.rep('$', 11)] = string.rep('$', 11)
for i = 4, lim do a[i] = {} end
for i = 1, lim do a[{}] = i end
for i = 1, lim do local t = {}; a[t] = t end
collectgarbage()
print("kv", count(a))
x, y, z = nil
collectgarbage()
print("kv after", count(a), next(a))
-- reachable through a closure's upvalue, a table, a global, a coroutine's stack
a = setmetatable({}, {__mode = 'k'})
local up = {}
local function f() return up end
local holder = {{}}
glob = {}
local co = coroutine.create(function(v) coroutine.yield() return v end)
local onstack = {}
coroutine.resume(co, onstack)
a[up], a[holder[1]], a[glob], a[onstack], a[{}] = 1, 2, 3, 4, 5
onstack = nil
collectgarbage()
print("reachable", count(a), a[up], a[holder[1]], a[glob])
-- a value held only by the entry's own key (weak keys, strong values: no ephemerons in 5.1)
a = setmetatable({}, {__mode = 'k'})
do local k = {}; a[k] = {k} end
collectgarbage()
print("value refers to key", count(a))
-- traversal with a collection inside
a = setmetatable({}, {__mode = 'v'})
local keep = {}
for i = 1, 10 do a["s" .. i] = (i % 2 == 0) and keep or {} end
local seen = 0
for k, v in pairs(a) do seen = seen + 1; collectgarbage() end
print("traversal", seen >= 5, count(a))
-- a table that stops being weak is not cleared
a = setmetatable({}, {__mode = 'k'})
getmetatable(a).__mode = nil
a[{}] = 1
collectgarbage()
print("no longer weak", count(a))
-- __mode given after setmetatable is seen when setmetatable is called again
local mt = {}
a = setmetatable({}, mt)
mt.__mode = 'k'
setmetatable(a, mt)
a[{}] = 1
collectgarbage()
print("mode set later", count(a))
