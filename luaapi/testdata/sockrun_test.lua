-- Lua-side tests of the sockrun module: the run's facts and the threads'
-- switch interval. Each Test* function runs in a VM of its own (see
-- runner/luatest_test.go).
local st = require("sockettest")
local raises, contains = st.raises, st.contains

function TestSockrunModule(t)
  t:eq(require("sockrun"), sockrun, "require returns the global")
  t:eq(type(sockrun.version), "string", "version")
  t:eq(sockrun.worker, 1, "worker")
  t:eq(sockrun.workers, 1, "workers")
end

function TestSwitchInterval(t)
  t:eq(sockrun.getswitchinterval(), 0.005, "the default, as CPython's")
  sockrun.setswitchinterval(0.02)
  t:eq(sockrun.getswitchinterval(), 0.02, "set")
  sockrun.setswitchinterval(1e-9)
  t:eq(sockrun.getswitchinterval(), 1e-6, "rounded up to a microsecond")
  contains(t, raises(t, sockrun.setswitchinterval, 0),
    "bad argument #1 to 'setswitchinterval' (switch interval must be strictly positive)")
  contains(t, raises(t, sockrun.setswitchinterval, -1), "strictly positive")
  contains(t, raises(t, sockrun.setswitchinterval, 0 / 0), "strictly positive")
  contains(t, raises(t, sockrun.setswitchinterval, "0.01"),
    "bad argument #1 to 'setswitchinterval' (number expected, got string)")
  contains(t, raises(t, sockrun.setswitchinterval), "number expected, got nil")
  t:eq(sockrun.getswitchinterval(), 1e-6, "unchanged by the bad calls")
end

function TestSwitchIntervalHandsOver(t)
  -- The main chunk keeps making calls that do not block; the thread it
  -- starts gets a turn once it has waited a switch interval, not before.
  sockrun.setswitchinterval(0.05)
  local ran_at
  local t0 = socket.time()
  thread.spawn(function() ran_at = socket.time() end)
  local deadline = t0 + 10
  while not ran_at and socket.time() < deadline do end
  assert(ran_at, "the thread never ran while the main chunk made non-blocking calls")
  assert(ran_at - t0 >= 0.049, "the thread ran after " .. (ran_at - t0) .. " s, before the interval")
end
