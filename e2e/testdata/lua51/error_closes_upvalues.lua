-- A thread dies with an error after handing out a closure over its
-- locals: the error closes the thread's upvalues, as Lua 5.1 closes them,
-- so the closure keeps the locals' last values. (gopher-lua's
-- handler-protected call left them open, reading registers the dead
-- thread cleared: nil, or a Go nil dereference. The main chunk's error is
-- the same call: smtp_sink.lua's threads, started as its main chunk died,
-- met that Go nil.)
local q = thread.queue()
local a = thread.spawn(function()
  local greeting, n = "still here", 41
  q:put(function() n = n + 1 return greeting, n end)
  error("thread dies", 0)
end)
print(pcall(a.join, a))
local f = q:get()
print(f())
print(f())
