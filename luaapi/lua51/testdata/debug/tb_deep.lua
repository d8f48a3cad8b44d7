local function rec(n) if n == 0 then error("bottom") end rec(n-1) end
print(xpcall(function() rec(30) end, debug.traceback))
local function rec2(n) if n == 0 then print(debug.traceback()) return end rec2(n-1) end
rec2(9)
rec2(10)
rec2(11)
