-- lock.lua: a thread calls shared.incr while Redis holds writes back
-- (CLIENT PAUSE); the main thread then reads a line and prints "main
-- ran": it can only do so if the waiting call released the interpreter
-- lock. Then the main thread calls shared.incr itself, to be interrupted.
thread.spawn(function()
  print("incr " .. shared.incr("n"))
end)
print("reading")
io.read("*l")
print("main ran")
print("main incr " .. shared.incr("n"))
