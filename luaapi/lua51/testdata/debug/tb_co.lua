local function f(n)
  if n > 0 then return f(n-1)
  else coroutine.yield() end
end
local co = coroutine.create(f)
coroutine.resume(co, 3)
print(debug.traceback(co))
print(debug.traceback(co, "msg", 1))
local y = coroutine.yield
local co2 = coroutine.create(function() local z = 1; y(z) end)
coroutine.resume(co2)
print(debug.traceback(co2))
print(debug.getinfo(co2, 0).name, debug.getinfo(co2, 0).what, debug.getinfo(co2, 1).currentline)
print(debug.getlocal(co2, 1, 1))
print(debug.setlocal(co2, 1, 1, 5), debug.getlocal(co2, 1, 1))
local cow = coroutine.wrap(function() print(debug.traceback("in co")) end)
cow()
local t = setmetatable({}, {__index = function(t, k) print(debug.traceback("idx")) end})
local _ = t.zzz
for k in function() print(debug.traceback("iter")) end do end
print(debug.traceback(coroutine.create(function() end)))
