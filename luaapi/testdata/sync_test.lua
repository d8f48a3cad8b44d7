-- Lua-side tests of thread.queue, thread.lock and thread.event. Each Test*
-- function runs in a VM of its own (see luaapi/luatest_test.go).

local st = require("sockettest")
local raises, contains = st.raises, st.contains

-- until_waiting polls (letting other threads run) until tostring(obj)
-- reports n waiting threads.
local function until_waiting(obj, n)
  local want = ", " .. n .. " waiting>"
  for _ = 1, 5000 do
    if tostring(obj):sub(-#want) == want then return end
    thread.sleep(0.001)
  end
  error("never saw " .. n .. " waiting in " .. tostring(obj))
end

function TestQueueFIFO(t)
  local q = thread.queue()
  t:eq(q:len(), 0, "empty len")
  for i = 1, 5 do q:put(i) end
  t:eq(q:len(), 5, "len")
  t:eq(#q, 5, "#q")
  t:eq(tostring(q), "<queue 5, 0 waiting>", "tostring")
  for i = 1, 5 do t:eq(q:get(), i, "get " .. i) end
  t:eq(q:len(), 0, "drained")
  -- many values: the buffer compacts itself and keeps the order
  for i = 1, 1000 do q:put(i) end
  for i = 1, 500 do t:eq(q:get(), i, "first half") end
  for i = 1001, 1200 do q:put(i) end
  for i = 501, 1200 do t:eq(q:get(), i, "second half") end
end

function TestQueueAnyValue(t)
  local q = thread.queue()
  local tbl, fn = {1, 2}, function() return "f" end
  local s = socket.socket()
  q:put(tbl); q:put(fn); q:put(false); q:put("str"); q:put(s); q:put(q)
  t:eq(q:get(), tbl, "table is the same table")
  t:eq(q:get()(), "f", "function")
  t:eq(q:get(), false, "false")
  t:eq(q:get(), "str", "string")
  t:eq(q:get(), s, "socket")
  t:eq(q:get(), q, "the queue itself")
  s:close()
end

function TestQueueBlockingGet(t)
  local q = thread.queue()
  local th = thread.spawn(function() return q:get(), q:get() end)
  until_waiting(q, 1)
  q:put("a")
  q:put("b")
  local a, b = th:join(5)
  t:eq(a, "a", "first")
  t:eq(b, "b", "second")
end

function TestQueueHandoffNoBarging(t)
  -- A put while a getter waits goes to that getter: a thread that did not
  -- wait cannot take it first.
  local q = thread.queue()
  local th = thread.spawn(function() return q:get() end)
  until_waiting(q, 1)
  q:put("for the waiter")
  t:eq(q:len(), 0, "handed over, not queued")
  local err = raises(t, q.get, q, 0)
  t:eq(err.name, "ETIMEDOUT", "barging get finds nothing")
  t:eq(th:join(5), "for the waiter", "waiter got it")
end

function TestQueueGettersServedInOrder(t)
  local q = thread.queue()
  local got = {}
  local ths = {}
  for i = 1, 5 do
    ths[i] = thread.spawn(function() got[i] = q:get() end)
    until_waiting(q, i)
  end
  for i = 1, 5 do q:put(i * 10) end
  for i = 1, 5 do ths[i]:join(5) end
  for i = 1, 5 do t:eq(got[i], i * 10, "getter " .. i) end
end

function TestQueueTimeouts(t)
  local q = thread.queue(1)
  local t0 = socket.time()
  local err = raises(t, q.get, q, 0.05)
  local waited = socket.time() - t0
  assert(waited >= 0.04, "get waited " .. waited)
  t:eq(err.name, "ETIMEDOUT", "get timeout name")
  t:eq(err.op, "get", "get timeout op")
  t:eq(err.class, "TimeoutError", "class")
  contains(t, err, "TimeoutError: timed out (get)")
  err = raises(t, q.get, q, 0)
  t:eq(err.name, "ETIMEDOUT", "get(0) on empty")
  q:put(1)
  err = raises(t, q.put, q, 2, 0.05)
  t:eq(err.name, "ETIMEDOUT", "put timeout on full")
  t:eq(err.op, "put", "put timeout op")
  err = raises(t, q.put, q, 2, 0)
  t:eq(err.name, "ETIMEDOUT", "put(v, 0) on full")
  t:eq(q:len(), 1, "timed-out puts added nothing")
  t:eq(q:get(0), 1, "get(0) with a value")
  q:put(3, 0) -- room: does not raise
  t:eq(q:get(1), 3, "get with timeout and a value")
  -- a waiter that timed out is gone: the next put is queued, not lost
  raises(t, q.get, q, 0.01)
  q:put(4)
  t:eq(q:len(), 1, "queued after a getter timed out")
  t:eq(q:get(), 4, "and got")
end

function TestQueueBounded(t)
  local q = thread.queue(2)
  t:eq(tostring(q), "<queue 0/2, 0 waiting>", "tostring bounded")
  local n = 50
  local producer = thread.spawn(function()
    for i = 1, n do q:put(i) end
    return "done"
  end)
  local maxlen = 0
  for i = 1, n do
    if q:len() > maxlen then maxlen = q:len() end
    t:eq(q:get(), i, "order")
    if i % 7 == 0 then thread.sleep(0.001) end
  end
  t:eq(producer:join(5), "done", "producer finished")
  assert(maxlen <= 2, "queue held " .. maxlen .. " values, capacity 2")
  -- putters wait in order and go in as room frees up
  q:put("a"); q:put("b")
  local p1 = thread.spawn(function() q:put("c") end)
  until_waiting(q, 1)
  local p2 = thread.spawn(function() q:put("d") end)
  until_waiting(q, 2)
  t:eq(q:get(), "a", "a")
  t:eq(q:get(), "b", "b")
  t:eq(q:get(), "c", "c after room")
  t:eq(q:get(), "d", "d after room")
  p1:join(5); p2:join(5)
end

function TestQueueClose(t)
  local q = thread.queue()
  local results = {}
  local getters = {}
  for i = 1, 3 do
    getters[i] = thread.spawn(function()
      results[i] = (function(...) return {n = select("#", ...), ...} end)(q:get())
    end)
  end
  until_waiting(q, 3)
  q:close()
  for i = 1, 3 do
    getters[i]:join(5)
    t:eq(results[i].n, 1, "get returned one value")
    t:eq(results[i][1], nil, "woken getter gets nil")
  end
  t:eq(tostring(q), "<queue 0 closed, 0 waiting>", "tostring closed")
  local err = raises(t, q.put, q, 1)
  t:eq(err.name, "ESHUTDOWN", "put on closed name")
  t:eq(err.class, "queue.ShutDown", "put on closed class")
  contains(t, err, "queue.ShutDown: queue is closed (put)")
  t:eq(q:get(), nil, "get on closed and empty")
  t:eq(q:get(0), nil, "get(0) on closed and empty")
  q:close() -- twice is harmless

  -- values queued before close are still delivered, then nil
  local q2 = thread.queue()
  q2:put("x"); q2:put("y")
  q2:close()
  t:eq(q2:get(), "x", "drain 1")
  t:eq(q2:get(), "y", "drain 2")
  t:eq(q2:get(), nil, "then nil")

  -- a putter waiting on a full queue raises when it is closed
  local q3 = thread.queue(1)
  q3:put(1)
  local p = thread.spawn(function()
    local ok, e = pcall(q3.put, q3, 2)
    return ok, e
  end)
  until_waiting(q3, 1)
  q3:close()
  local ok, e = p:join(5)
  t:eq(ok, false, "waiting put failed")
  t:eq(e.name, "ESHUTDOWN", "waiting put error")
  t:eq(q3:get(), 1, "the value queued before close")
  t:eq(q3:get(), nil, "not the one whose put failed")
end

function TestQueueProducersConsumers(t)
  local q = thread.queue(8)
  local producers, consumers, per = 6, 4, 200
  local ps, cs = {}, {}
  for p = 1, producers do
    ps[p] = thread.spawn(function()
      for i = 1, per do
        q:put(p * 100000 + i)
        if i % 50 == 0 then thread.sleep(0) end
      end
    end)
  end
  local seen = {}
  local count = 0
  for c = 1, consumers do
    cs[c] = thread.spawn(function()
      local got = 0
      while true do
        local v = q:get()
        if v == nil then return got end
        assert(not seen[v], "value delivered twice: " .. v)
        seen[v] = true
        count = count + 1
        got = got + 1
      end
    end)
  end
  for p = 1, producers do ps[p]:join(10) end
  q:close()
  local total = 0
  for c = 1, consumers do total = total + cs[c]:join(10) end
  t:eq(total, producers * per, "every value consumed once")
  t:eq(count, producers * per, "count")
  for p = 1, producers do
    for i = 1, per do
      assert(seen[p * 100000 + i], "lost value " .. p .. ":" .. i)
    end
  end
end

function TestQueueBadArguments(t)
  contains(t, raises(t, thread.queue, -1), "bad argument #1 to 'queue' (capacity must be 0 (unbounded) or more, got -1)")
  contains(t, raises(t, thread.queue, "x"), "bad argument #1 to 'queue' (number expected, got string)")
  local q = thread.queue()
  contains(t, raises(t, q.put, q), "bad argument #1 to 'put' (value expected, got nil)")
  contains(t, raises(t, q.put, q, 1, "soon"), "bad argument #2 to 'put' (number or nil expected, got string)")
  contains(t, raises(t, q.put, q, 1, -1), "bad argument #2 to 'put' (timeout value out of range)")
  contains(t, raises(t, q.get, q, {}), "bad argument #1 to 'get' (number or nil expected, got table)")
  contains(t, raises(t, q.get, q, -0.5), "bad argument #1 to 'get' (timeout value out of range)")
  contains(t, raises(t, q.get, nil), "bad self to 'get' (queue expected, got nil; call it as q:get(...))")
  contains(t, raises(t, q.len, thread.lock()), "bad self to 'len' (queue expected, got userdata")
  contains(t, raises(t, q.close, 5), "bad self to 'close' (queue expected, got number")
  contains(t, raises(t, q.put, "q", 1), "bad self to 'put'")
end

function TestLock(t)
  local l = thread.lock()
  t:eq(l:locked(), false, "new lock unlocked")
  t:eq(tostring(l), "<lock unlocked, 0 waiting>", "tostring")
  t:eq(l:acquire(), true, "acquire")
  t:eq(l:locked(), true, "locked")
  t:eq(l:acquire(0), false, "acquire(0) when held")
  local t0 = socket.time()
  t:eq(l:acquire(0.05), false, "acquire timeout when held")
  assert(socket.time() - t0 >= 0.04, "acquire waited")
  l:release()
  t:eq(l:locked(), false, "released")
  t:eq(l:acquire(0), true, "acquire(0) when free")
  l:release()
  local err = raises(t, l.release, l)
  contains(t, err, "cannot release an unlocked lock (release)")
  -- as Python's Lock, another thread may release it
  l:acquire()
  thread.spawn(function() l:release() end):join(5)
  t:eq(l:locked(), false, "released by another thread")
end

function TestLockAcrossBlockingCalls(t)
  -- Each thread reads the counter, blocks, then writes it back: without the
  -- lock the updates would be lost.
  local l = thread.lock()
  local counter = 0
  local ths = {}
  for i = 1, 8 do
    ths[i] = thread.spawn(function()
      for _ = 1, 10 do
        assert(l:acquire())
        local v = counter
        thread.sleep(0.0005)
        counter = v + 1
        l:release()
      end
    end)
  end
  for i = 1, 8 do ths[i]:join(10) end
  t:eq(counter, 80, "no lost update")
  t:eq(l:locked(), false, "free at the end")
end

function TestLockHandoffAndOrder(t)
  local l = thread.lock()
  l:acquire()
  local order = {}
  local ths = {}
  for i = 1, 4 do
    ths[i] = thread.spawn(function()
      l:acquire()
      order[#order + 1] = i
      l:release()
    end)
    until_waiting(l, i)
  end
  l:release()
  -- the lock went to the first waiter: it is still held
  t:eq(l:locked(), true, "handed over, not freed")
  t:eq(l:acquire(0), false, "no barging")
  for i = 1, 4 do ths[i]:join(5) end
  t:eq(table.concat(order, ","), "1,2,3,4", "first come, first served")
end

function TestLockBadArguments(t)
  local l = thread.lock()
  contains(t, raises(t, l.acquire, l, "x"), "bad argument #1 to 'acquire' (number or nil expected, got string)")
  contains(t, raises(t, l.acquire, l, -1), "bad argument #1 to 'acquire' (timeout value out of range)")
  contains(t, raises(t, l.acquire, nil), "bad self to 'acquire' (lock expected, got nil; call it as l:acquire(...))")
  contains(t, raises(t, l.release, thread.queue()), "bad self to 'release' (lock expected")
  contains(t, raises(t, l.locked, {}), "bad self to 'locked' (lock expected, got table")
end

function TestEvent(t)
  local e = thread.event()
  t:eq(e:is_set(), false, "new event clear")
  t:eq(tostring(e), "<event clear, 0 waiting>", "tostring")
  t:eq(e:wait(0), false, "wait(0) when clear")
  local t0 = socket.time()
  t:eq(e:wait(0.05), false, "wait timeout")
  assert(socket.time() - t0 >= 0.04, "wait waited")
  e:set()
  t:eq(e:is_set(), true, "set")
  t:eq(e:wait(), true, "wait when set")
  t:eq(e:wait(0), true, "wait(0) when set")
  e:clear()
  t:eq(e:is_set(), false, "cleared")
end

function TestEventWakesAll(t)
  local e = thread.event()
  local ths = {}
  for i = 1, 10 do
    ths[i] = thread.spawn(function() return e:wait(10) end)
  end
  until_waiting(e, 10)
  e:set()
  e:clear() -- before any waiter runs: they were woken and still see true
  for i = 1, 10 do t:eq(ths[i]:join(5), true, "waiter " .. i) end
  t:eq(tostring(e), "<event clear, 0 waiting>", "no one left waiting")
end

function TestEventBadArguments(t)
  local e = thread.event()
  contains(t, raises(t, e.wait, e, "x"), "bad argument #1 to 'wait' (number or nil expected, got string)")
  contains(t, raises(t, e.wait, e, -2), "bad argument #1 to 'wait' (timeout value out of range)")
  contains(t, raises(t, e.set, nil), "bad self to 'set' (event expected, got nil; call it as e:set(...))")
  contains(t, raises(t, e.clear, 1), "bad self to 'clear' (event expected")
  contains(t, raises(t, e.is_set, thread.lock()), "bad self to 'is_set' (event expected")
end

function TestRequireThreadHasSync(t)
  local th = require("thread")
  t:eq(th, thread, "require returns the global")
  t:eq(type(th.queue), "function", "queue")
  t:eq(type(th.lock), "function", "lock")
  t:eq(type(th.event), "function", "event")
end
