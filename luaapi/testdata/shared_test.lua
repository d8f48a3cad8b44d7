-- Lua-side tests of the shared module: the key-value store common to every
-- worker and thread of a run. Each Test* function runs in a VM of its own
-- (with a store of its own; e2e/workers_test.go covers several workers).

local st = require("sockettest")
local raises, contains = st.raises, st.contains

function TestSharedSetGet(t)
  t:eq(require("shared"), shared, "require returns the global")
  t:eq(shared.get("missing"), nil, "missing key")
  shared.set("s", "text")
  shared.set("n", 42.5)
  shared.set("t", true)
  shared.set("f", false)
  shared.set("", "empty key")
  shared.set("bin", "a\0b")
  t:eq(shared.get("s"), "text", "string")
  t:eq(shared.get("n"), 42.5, "number")
  t:eq(shared.get("t"), true, "true")
  t:eq(shared.get("f"), false, "false")
  t:eq(shared.get(""), "empty key", "empty key")
  t:eq(shared.get("bin"), "a\0b", "binary string")
  shared.set("s", 7)
  t:eq(shared.get("s"), 7, "overwritten with another type")
  shared.set(10, "ten")
  t:eq(shared.get("10"), "ten", "a number key is its string")
  t:eq(shared.get(10), "ten", "either way")
end

function TestSharedAddDelete(t)
  t:eq(shared.add("k", "first"), true, "add absent")
  t:eq(shared.add("k", "second"), false, "add present")
  t:eq(shared.get("k"), "first", "add kept the first")
  t:eq(shared.delete("k"), true, "delete present")
  t:eq(shared.delete("k"), false, "delete absent")
  t:eq(shared.get("k"), nil, "gone")
  t:eq(shared.add("k", false), true, "add after delete")
  t:eq(shared.get("k"), false, "false stored")
end

function TestSharedIncr(t)
  t:eq(shared.incr("hits"), 1, "absent starts at 0")
  t:eq(shared.incr("hits"), 2, "again")
  t:eq(shared.incr("hits", 10), 12, "delta")
  t:eq(shared.incr("hits", -2.5), 9.5, "negative fractional delta")
  t:eq(shared.incr("from10", 1, 10), 11, "init for an absent key")
  t:eq(shared.incr("from10", 1, 10), 12, "init ignored when present")
  shared.set("str", "5")
  contains(t, raises(t, shared.incr, "str"), 'shared key "str" holds a string, not a number (incr)')
  t:eq(shared.get("str"), "5", "unchanged")
  shared.set("b", true)
  contains(t, raises(t, shared.incr, "b", 1), 'shared key "b" holds a boolean, not a number (incr)')
end

function TestSharedKeys(t)
  t:eq(#shared.keys(), 0, "empty store")
  for _, k in ipairs({"pear", "apple", "fig", "Banana", "10", "9"}) do shared.set(k, 1) end
  t:eq(table.concat(shared.keys(), ","), "10,9,Banana,apple,fig,pear", "sorted")
  shared.delete("fig")
  t:eq(table.concat(shared.keys(), ","), "10,9,Banana,apple,pear", "after delete")
end

function TestSharedTTL(t)
  -- What is checked before the 0.05 s TTLs pass must run within them: on
  -- a busy machine it may not, and then it proves nothing, so the keys are
  -- set again (up to 20 times) rather than the test failing.
  local added, incremented, got
  for try = 1, 20 do
    local t0 = socket.time()
    shared.set("short", "v", 0.05)
    shared.set("long", "v", 60)
    shared.set("zero", "v", 0) -- 0: no expiry
    added = shared.add("short-add", 1, 0.05)
    shared.set("counter", 1, 0.05)
    incremented = shared.incr("counter")
    got = shared.get("short")
    shared.set("reset", "v", 0.05)
    shared.set("reset", "w") -- a set without ttl drops the old expiry
    if socket.time() - t0 < 0.05 then break end
    if try == 20 then t:fatal("20 tries took longer than the TTL") end
    for _, k in ipairs(shared.keys()) do shared.delete(k) end
  end
  t:eq(added, true, "add with ttl")
  t:eq(incremented, 2, "incr keeps the value")
  t:eq(got, "v", "before expiry")
  thread.sleep(0.1) -- the time under test: the TTLs pass
  t:eq(shared.get("short"), nil, "expired")
  t:eq(shared.get("counter"), nil, "incr kept the TTL")
  t:eq(shared.get("long"), "v", "long TTL still there")
  t:eq(shared.get("zero"), "v", "no TTL")
  t:eq(shared.get("reset"), "w", "set without ttl does not expire")
  t:eq(table.concat(shared.keys(), ","), "long,reset,zero", "keys skip expired")
  t:eq(shared.add("short-add", 2), true, "add over an expired key")
  t:eq(shared.get("short-add"), 2, "new value")
  t:eq(shared.delete("short"), false, "expired counts as absent")
  t:eq(shared.incr("counter", 1, 100), 101, "incr over an expired key starts at init")
end

-- A TTL past what Go's Duration holds (292 years) lasts that long: it used
-- to wrap to a negative duration, a key gone as soon as it was set, and an
-- add that succeeded every time.
function TestSharedHugeTTL(t)
  for _, ttl in ipairs({1e10, 9.3e9, 2^63, 1e300}) do
    local k = "huge" .. ttl
    shared.set(k, "v", ttl)
    t:eq(shared.get(k), "v", "set with ttl " .. ttl)
    t:eq(shared.add(k .. "add", 1, ttl), true, "first add with ttl " .. ttl)
    t:eq(shared.add(k .. "add", 2, ttl), false, "second add with ttl " .. ttl)
    t:eq(shared.get(k .. "add"), 1, "the first add's value")
  end
  t:eq(#shared.keys(), 8, "every key present")
end

function TestSharedAcrossThreads(t)
  local ths = {}
  for i = 1, 10 do
    ths[i] = thread.spawn(function()
      for j = 1, 50 do
        shared.incr("total")
        if j % 10 == 0 then thread.sleep(0) end
      end
      shared.set("thread" .. i, i)
    end)
  end
  for i = 1, 10 do ths[i]:join(10) end
  t:eq(shared.get("total"), 500, "every increment counted")
  t:eq(#shared.keys(), 11, "keys from every thread")
end

function TestSharedBadArguments(t)
  contains(t, raises(t, shared.get), "bad argument #1 to 'get' (string expected, got nil)")
  contains(t, raises(t, shared.get, {}), "bad argument #1 to 'get' (string expected, got table)")
  contains(t, raises(t, shared.set, "k"), "bad argument #2 to 'set' (string, number or boolean expected, got nil)")
  contains(t, raises(t, shared.set, "k", {}), "bad argument #2 to 'set' (string, number or boolean expected, got table)")
  contains(t, raises(t, shared.set, "k", print), "bad argument #2 to 'set' (string, number or boolean expected, got function)")
  contains(t, raises(t, shared.set, "k", socket.socket()), "bad argument #2 to 'set' (string, number or boolean expected, got socket)")
  contains(t, raises(t, shared.set, "k", 1, -1), "bad argument #3 to 'set' (ttl must be 0 (none) or more seconds, got -1)")
  contains(t, raises(t, shared.set, "k", 1, "10"), "bad argument #3 to 'set' (number or nil expected for ttl, got string)")
  contains(t, raises(t, shared.add, true, 1), "bad argument #1 to 'add' (string expected, got boolean)")
  contains(t, raises(t, shared.add, "k", {}), "bad argument #2 to 'add' (string, number or boolean expected, got table)")
  contains(t, raises(t, shared.add, "k", 1, 0/0), "bad argument #3 to 'add' (ttl must be 0 (none) or more seconds")
  contains(t, raises(t, shared.incr, "k", "1"), "bad argument #2 to 'incr' (number expected, got string)")
  contains(t, raises(t, shared.incr, "k", 1, {}), "bad argument #3 to 'incr' (number expected, got table)")
  contains(t, raises(t, shared.incr, nil), "bad argument #1 to 'incr' (string expected, got nil)")
  contains(t, raises(t, shared.delete, {}), "bad argument #1 to 'delete' (string expected, got table)")
  t:eq(#shared.keys(), 0, "nothing stored by the failed calls")
end

-- Publish and subscribe. Channels are not per database in Redis, and the
-- Redis run of this suite gives each test a database, not a Redis: every
-- channel name starts with the test's name.

function TestSharedPublishSubscribe(t)
  local ch = t:name() .. ":"
  local sub = shared.subscribe(ch .. "news", ch .. "sport")
  local other = shared.subscribe(ch .. "news")
  t:eq(shared.publish(ch .. "news", "first"), 2, "two subscriptions got it")
  t:eq(shared.publish(ch .. "sport", "a\0b"), 1, "one got it")
  t:eq(shared.publish(ch .. "nobody", "lost"), 0, "no one subscribed")
  t:eq(shared.publish(ch .. "news", 42), 2, "a number is sent as its text")
  local text, channel = sub:get(10)
  t:eq(text, "first", "text")
  t:eq(channel, ch .. "news", "channel")
  text, channel = sub:get(10)
  t:eq(text, "a\0b", "binary text")
  t:eq(channel, ch .. "sport", "the other channel")
  t:eq(sub:get(10), "42", "in order")
  t:eq(other:get(10), "first", "the other subscription")
  t:eq(other:get(10), "42", "and its next")
  t:eq(sub:len(), 0, "nothing left")
  t:eq(#other, 0, "# is len")
  t:eq(tostring(sub), "<subscription " .. ch .. "news, " .. ch .. "sport: 0 waiting>", "tostring")
  sub:close()
  other:close()
  t:eq(tostring(sub), "<subscription " .. ch .. "news, " .. ch .. "sport closed: 0 waiting>", "tostring closed")
end

-- A subscription is read like a thread.queue: get waits with the
-- interpreter lock released, wakes when a message comes, times out, and
-- returns nil once the subscription is closed and drained.
function TestSharedSubscriptionLikeAQueue(t)
  local ch = t:name()
  local sub = shared.subscribe(ch)
  contains(t, raises(t, sub.get, sub, 0), "TimeoutError: timed out (get)")
  local err = raises(t, sub.get, sub, 0.01)
  t:eq(err.name, "ETIMEDOUT", "a timeout's name")
  local got = {}
  local reader = thread.spawn(function()
    while #got < 100 do
      got[#got + 1] = sub:get()
    end
  end)
  for i = 1, 100 do
    shared.publish(ch, tostring(i))
    if i % 10 == 0 then thread.sleep(0) end
  end
  reader:join(20)
  t:eq(#got, 100, "every message")
  t:eq(got[1] .. " " .. got[50] .. " " .. got[100], "1 50 100", "in order")

  -- close wakes a waiting thread with nil; what was queued is drained
  -- first.
  local waiter = thread.spawn(function() return sub:get() end)
  thread.sleep(0)
  sub:close()
  t:eq(waiter:join(10), nil, "a waiting get returns nil on close")
  t:eq(sub:get(), nil, "closed and drained: nil")
  t:eq(sub:get(0), nil, "even with timeout 0")
  sub:close() -- harmless
  shared.publish(ch, "after")
  t:eq(sub:get(), nil, "a closed subscription receives nothing")

  local sub2 = shared.subscribe(ch)
  shared.publish(ch, "queued")
  -- wait for it to arrive (Redis delivers on a connection of its own), then close
  t:eq(sub2:get(10), "queued", "arrived")
  shared.publish(ch, "kept")
  local deadline = socket.time() + 10
  while sub2:len() == 0 and socket.time() < deadline do thread.sleep(0.001) end
  sub2:close()
  t:eq(sub2:get(), "kept", "what arrived before close is still there")
  t:eq(sub2:get(), nil, "then nil")
end

function TestSharedSubscribeBadArguments(t)
  contains(t, raises(t, shared.publish), "bad argument #1 to 'publish' (string expected, got nil)")
  contains(t, raises(t, shared.publish, "ch"), "bad argument #2 to 'publish' (string expected, got nil)")
  contains(t, raises(t, shared.publish, "ch", {}), "bad argument #2 to 'publish' (string expected, got table)")
  contains(t, raises(t, shared.publish, true, "x"), "bad argument #1 to 'publish' (string expected, got boolean)")
  contains(t, raises(t, shared.subscribe), "bad argument #1 to 'subscribe' (string expected, got nil)")
  contains(t, raises(t, shared.subscribe, "a", {}), "bad argument #2 to 'subscribe' (string expected, got table)")
  local sub = shared.subscribe(t:name())
  contains(t, raises(t, sub.get, sub, -1), "bad argument #1 to 'get' (timeout value out of range)")
  contains(t, raises(t, sub.get, sub, "1"), "bad argument #1 to 'get' (number or nil expected, got string)")
  contains(t, raises(t, sub.get, {}), "bad self to 'get' (subscription expected, got table; call it as sub:get(...))")
  contains(t, raises(t, sub.len), "bad self to 'len' (subscription expected, got nil")
  sub:close()
end
