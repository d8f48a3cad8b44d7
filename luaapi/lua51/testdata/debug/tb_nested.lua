local function lvl3() error("deep") end
local function lvl2() lvl3() end
local t = {}
function t.field() lvl2() end
function t:meth() t.field() end
local function tc() return t:meth() end
print(xpcall(function() tc() end, debug.traceback))
print(xpcall(function() local x = nil; return x.y end, function(e) return debug.traceback("handled", 1) end))
local e = {}
print(select(2, xpcall(function() error(e) end, debug.traceback)) == e)
print(select(2, xpcall(function() error(42, 0) end, debug.traceback)))
print(select(2, xpcall(function() error(nil) end, debug.traceback)))
print(pcall(function() print(debug.traceback("in pcall")) end))
print(debug.traceback("lvl2", 2))
print(debug.traceback("lvl0", 0))
print(debug.traceback(nil))
print(debug.traceback(print, 4) == print)
print(debug.traceback(12, 1))
