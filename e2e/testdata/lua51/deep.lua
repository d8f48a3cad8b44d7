-- Deep recursion and deep nesting end in Lua 5.1's errors, which pcall
-- catches, never in a Go stack dump.
local function r() return 1 + r() end
print("recursion", pcall(r))

local depth = 0
local function d() depth = depth + 1; d() end
pcall(d)
print("main depth", depth > 19000)

local co = coroutine.create(function() depth = 0; d() end)
print("coroutine", coroutine.resume(co))

local n = 0
local function nest() n = n + 1; coroutine.wrap(nest)() end
local ok, e = pcall(nest)
print("nested coroutines", ok, e:match("C stack overflow$"), n)

n = 0
local function p() n = n + 1; local ok, e = pcall(p); if not ok then error(e, 0) end end
print("nested pcalls", pcall(p))

local t = setmetatable({}, {__index = function(t, k) return t[k + 1] end})
print("metamethods", pcall(function() return t[1] end))

local function g(k) return (string.gsub("x", "x", function() return g(k + 1) end)) end
print("callbacks", pcall(g, 1))

-- Uncaught, at the end: the run fails with Lua's message.
local function nest2() coroutine.wrap(nest2)() end
nest2()
