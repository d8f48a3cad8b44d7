-- Lua-side tests of the thread module's threads: spawn, join, alive, id,
-- current, sleep. (Queues, locks and events are in sync_test.lua.) Each
-- Test* function runs in a VM of its own (see luaapi/luatest_test.go).
local st = require("sockettest")
local raises, contains = st.raises, st.contains

function TestSpawnJoinResults(t)
  t:eq(require("thread"), thread, "require returns the global")
  local h = thread.spawn(function(a, b) return a + b, a * b, "done" end, 3, 4)
  local sum, product, word = h:join()
  t:eq(sum, 7, "first result")
  t:eq(product, 12, "second result")
  t:eq(word, "done", "third result")
  t:eq(select("#", thread.spawn(function() end):join()), 0, "no results")
  -- Joining a finished thread again gives the same results.
  t:eq(h:join(), 7, "second join")
end

function TestJoinReraises(t)
  local h = thread.spawn(function() error({code = 42}) end)
  local err = raises(t, h.join, h)
  t:eq(err.code, 42, "the thread's own error value")
  local h2 = thread.spawn(function() error("plain message") end)
  contains(t, raises(t, h2.join, h2), "plain message")
end

function TestJoinTimeout(t)
  local ev = thread.event()
  local h = thread.spawn(function() ev:wait() return "late" end)
  local err = raises(t, h.join, h, 0.05)
  t:eq(err.name, "ETIMEDOUT", "join timeout")
  t:eq(tostring(err), "TimeoutError: timed out (join)", "message")
  err = raises(t, h.join, h, 0)
  t:eq(err.name, "ETIMEDOUT", "join(0) on a running thread")
  t:eq(h:alive(), true, "still running")
  ev:set()
  t:eq(h:join(), "late", "joined after all")
  t:eq(h:alive(), false, "done")
end

function TestAliveAndId(t)
  local gate = thread.queue()
  local h = thread.spawn(function() return gate:get() end)
  t:eq(h:alive(), true, "alive while waiting")
  assert(h:id() > 1, "a spawned thread's id is above the main thread's")
  local h2 = thread.spawn(function() end)
  t:eq(h2:id(), h:id() + 1, "ids count up")
  gate:put("go")
  t:eq(h:join(), "go", "result")
  t:eq(h:alive(), false, "not alive after join")
  assert(tostring(h):find("^<thread %d+ done"), tostring(h))
end

function TestCurrent(t)
  local main = thread.current()
  t:eq(main:id(), 1, "the main chunk is thread 1")
  t:eq(main:alive(), true, "the main thread is alive")
  local h
  h = thread.spawn(function() return thread.current() end)
  t:eq(h:join(), h, "current() in a thread is its handle")
  contains(t, raises(t, main.join, main), "cannot join the current thread")
end

function TestSleepLetsOthersRun(t)
  st.runs_during(t, thread.sleep) -- the other thread runs while main sleeps
  local t0 = socket.time()
  thread.sleep(0.05)
  assert(socket.time() - t0 >= 0.049, "slept at least the time asked")
  contains(t, raises(t, thread.sleep, -1), "bad argument #1 to 'sleep'")
end

function TestManyThreads(t)
  -- Threads share tables without locks between blocking calls.
  local count, handles = 0, {}
  for i = 1, 500 do
    handles[i] = thread.spawn(function()
      thread.sleep(0)
      count = count + 1
      return i
    end)
  end
  local sum = 0
  for i = 1, 500 do sum = sum + handles[i]:join() end
  t:eq(sum, 500 * 501 / 2, "every result")
  t:eq(count, 500, "every increment")
end

function TestBadArguments(t)
  contains(t, raises(t, thread.spawn, 42), "bad argument #1 to 'spawn'")
  local h = thread.spawn(function() end)
  contains(t, raises(t, h.join, h, "soon"), "bad argument #1 to 'join'")
  contains(t, raises(t, h.join, "not a thread"), "thread expected")
end

function TestThreadErrorClosesItsSockets(t)
  local srv, addr = st.listener()
  local c = socket.create_connection(addr, 5)
  local conn = srv:accept()
  local h = thread.spawn(function(s) error("handler failed") end, conn)
  raises(t, h.join, h)
  t:eq(conn:fileno(), -1, "the failed thread's socket is closed")
  t:eq(c:recv(10), "", "its peer sees the end")
end

function TestCurrentInCoroutine(t)
  local main = thread.current()
  t:eq(coroutine.wrap(function() return thread.current() end)(), main, "in a coroutine of the main chunk")
  local h
  h = thread.spawn(function()
    local outer = coroutine.wrap(function()
      local inner = coroutine.wrap(function() return thread.current() end)
      return thread.current(), inner()
    end)
    return outer()
  end)
  local outer, inner = h:join()
  t:eq(outer, h, "in a coroutine of a thread")
  t:eq(inner, h, "in a coroutine of a coroutine of a thread")
  -- A coroutine made in one thread runs in whichever thread resumes it.
  local co = coroutine.create(function() while true do coroutine.yield(thread.current()) end end)
  local _, first = coroutine.resume(co)
  t:eq(first, main, "resumed by the main chunk")
  local h2
  h2 = thread.spawn(function() local _, who = coroutine.resume(co) return who end)
  t:eq(h2:join(), h2, "resumed by a thread")
  -- So joining the current thread from a coroutine is caught, not a wait
  -- for itself (the timeout only bounds the test if it is not).
  local h3
  h3 = thread.spawn(function()
    return coroutine.wrap(function() return pcall(h3.join, h3, 2) end)()
  end)
  local ok, err = h3:join()
  t:eq(ok, false, "self-join in a coroutine fails")
  contains(t, tostring(err), "cannot join the current thread")
end

function TestSleepZeroGivesATurn(t)
  -- No switch-interval hand-off here: only sleep(0) lets the thread run.
  sockrun.setswitchinterval(3600)
  local ran = false
  thread.spawn(function() ran = true end)
  local deadline = socket.time() + 10
  while not ran and socket.time() < deadline do thread.sleep(0) end
  t:eq(ran, true, "the other thread ran during sleep(0)")
end

function TestLabelNamesThePeerAfterAReset(t)
  local l = st.listener()
  local c = socket.socket()
  c:connect(l:getsockname())
  local port = c:getsockname().port
  c:setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, {1, 0})
  c:close() -- a reset: the kernel forgets the connection's peer
  local conn = l:accept()
  local th = thread.spawn(function() end, conn)
  st.contains(t, tostring(th), "serving 127.0.0.1:" .. port)
  th:join()
end
