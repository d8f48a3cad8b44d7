local function show(t) local ks = {} for k in pairs(t) do if k ~= "func" and k ~= "activelines" then ks[#ks+1]=k end end table.sort(ks) local o = {} for _,k in ipairs(ks) do o[#o+1]=k.."="..tostring(t[k]) end print(table.concat(o, " ")) end
local t = {}
function t.m(self) show(debug.getinfo(1)) show(debug.getinfo(2)) print(debug.getinfo(1, "f").func == t.m) end
local function loc() t:m() end
glob = function() loc() end
glob()
show(debug.getinfo(print))
show(debug.getinfo(1))
show(debug.getinfo(1, "l"))
show(debug.getinfo(1, "n"))
show(debug.getinfo(glob, "S"))
print(debug.getinfo(100))
show(debug.getinfo(-1))
print(pcall(debug.getinfo, 1, "x"))
print(pcall(debug.getinfo, "x"))
print(pcall(debug.getinfo))
local ok, e = pcall(function() debug.getinfo({}) end) print(e)
local function lines()
  local a = 1

  return a
end
local L = debug.getinfo(lines, "L").activelines
local ls = {} for l in pairs(L) do ls[#ls+1] = l end table.sort(ls) print(table.concat(ls, " "))
print(debug.getinfo(print, "L").activelines)
local up = 1
local function nu() return up + glob2 end
print(debug.getinfo(nu, "u").nups, debug.getinfo(1, "u").nups)
local f = loadstring("return debug.getinfo(1, 'S')", "mychunk")
show(loadstring("return debug.getinfo(1, 'S')", "@some/file.lua")())
show(f())
show(debug.getinfo("1", "l"))
