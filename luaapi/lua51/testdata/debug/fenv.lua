local function f() return getfenv(1) == _G, getfenv(2) == _G, getfenv(0) == _G, getfenv() == _G end
print(f())
print(select(2, pcall(getfenv, 1)) == _G, select(2, pcall(getfenv, 2)) == _G, select(2, pcall(getfenv, 3)) == _G)
local function g() local e = {print = print, rawget = rawget, G = _G}; setfenv(1, e); x = 1; return e.x, rawget(G, "x") end
print(g())
local function h() return getfenv(5) end
print(pcall(h))
print(pcall(getfenv, -1))
print(pcall(getfenv, {}))
print(pcall(function() setfenv(2, {}) end))
print(pcall(setfenv, print, {}))
print(pcall(setfenv, 1))
local function t1() return getfenv(2) end
local function t2() return t1() end
print(pcall(t2))
local function k() local e = setmetatable({}, {__index = _G}); local fn = function() return y end; print(setfenv(fn, e) == fn); e.y = "from e"; return fn() end
print(k())
print(coroutine.wrap(function() return pcall(function() return getfenv(3) == _G, select(2, pcall(getfenv, 4)) == _G end) end)())
local env = setmetatable({}, {__index = _G})
local function m() setfenv(2, env) end
pcall(m)
print(pcall(function() local fn = function() z = 1 end; pcall(setfenv, 2, env); return getfenv(1) == env end))
