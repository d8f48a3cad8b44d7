local function a() error("x") end
local function b() return a() end
local function c() return b() end
function d() c() end
print(xpcall(d, debug.traceback))
local function f(n) if n > 0 then return f(n - 1) end print(debug.traceback("t")) end
f(3)
