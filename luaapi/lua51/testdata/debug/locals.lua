local function f(a, b, ...)
  local c = a + b
  for i = 1, 6 do local n, v = debug.getlocal(1, i) print(i, n, type(v)) end
  print(debug.getlocal(1, 0), debug.getlocal(1, -1))
  print(debug.getlocal(0, 1), debug.getlocal(0, 2), debug.getlocal(0, 3))
  print(debug.setlocal(1, 3, 10), c)
  print(debug.setlocal(2, 1, "changed"))
  print(debug.setlocal(1, 50, 1))
  return c
end
local outer = "orig"
print(f(1, 2, "x"), outer)
print(pcall(debug.getlocal, 50, 1))
print(pcall(debug.setlocal, 1, 1))
print(pcall(debug.getlocal, 1))
local u1, u2 = 1, 2
local function g() return u1 + u2 end
print(debug.getupvalue(g, 1), debug.getupvalue(g, 2))
print(select('#', debug.getupvalue(g, 3)), select('#', debug.getupvalue(g, 0)))
print(debug.setupvalue(g, 2, 40), g(), u2)
print(select('#', debug.setupvalue(g, 3, 1)))
print(select('#', debug.getupvalue(print, 1)), select('#', debug.setupvalue(print, 1, 1)))
print(pcall(debug.getupvalue, 1, 1))
print(pcall(debug.setupvalue, g, 1))
