-- incr.lua: --var threads=N threads each add 1 to the shared key "n"
-- --var rounds=M times, then the worker prints "done WORKER".
local threads, rounds = tonumber(vars.threads), tonumber(vars.rounds)
local running = {}
for i = 1, threads do
  running[i] = thread.spawn(function()
    for _ = 1, rounds do
      shared.incr("n")
    end
  end)
end
for i = 1, threads do
  running[i]:join()
end
print("done " .. sockrun.worker)
