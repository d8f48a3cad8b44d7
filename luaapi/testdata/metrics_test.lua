-- Lua-side tests of the metrics module: counters, gauges and histograms
-- with labels. Each Test* function runs in a VM of its own, without
-- --metrics: the values are kept and read back with value()
-- (e2e/metrics_test.go scrapes them).

local st = require("sockettest")
local misuse = st.misuse

function TestMetricsCounter(t)
  t:eq(require("metrics"), metrics, "require returns the global")
  local c = metrics.counter("requests_total", "requests answered", {"method", "code"})
  t:eq(tostring(c), "<counter requests_total{method,code}>", "tostring")
  t:eq(c:value({method = "GET", code = "200"}), 0, "a series never touched is 0")
  c:inc({method = "GET", code = "200"})
  c:inc({code = 200, method = "GET"}) -- a number label is its text, in any order
  c:add(2.5, {method = "POST", code = "201"})
  c:add(0, {method = "POST", code = "201"})
  t:eq(c:value({method = "GET", code = "200"}), 2, "inc twice")
  t:eq(c:value({method = "POST", code = 201}), 2.5, "add")
  local plain = metrics.counter("plain_total", "no labels")
  plain:inc()
  plain:add(41)
  t:eq(plain:value(), 42, "a counter without labels")
end

function TestMetricsGauge(t)
  local g = metrics.gauge("clients", "clients connected")
  t:eq(tostring(g), "<gauge clients>", "tostring")
  g:set(10)
  g:inc()
  g:dec()
  g:dec()
  g:add(-2.5)
  t:eq(g:value(), 6.5, "set, inc, dec, add")
  local q = metrics.gauge("queue_length", "per queue", {"queue"})
  q:set(3, {queue = "in"})
  q:add(1, {queue = "out"})
  t:eq(q:value({queue = "in"}), 3, "series in")
  t:eq(q:value({queue = "out"}), 1, "series out")
end

function TestMetricsHistogram(t)
  local h = metrics.histogram("latency_seconds", "time to answer", {"route"}, {0.01, 0.1, 1})
  h:observe(0.005, {route = "/"})
  h:observe(0.5, {route = "/"})
  h:observe(3, {route = "/"})
  local sum, count = h:value({route = "/"})
  t:eq(sum, 3.505, "sum")
  t:eq(count, 3, "count")
  local d = metrics.histogram("sizes", "default buckets")
  d:observe(1)
  t:eq(select(2, d:value()), 1, "default buckets")
end

-- Every thread of the VM updates the same metric, under the lock.
function TestMetricsThreads(t)
  local c = metrics.counter("hits_total", "hits", {"who"})
  local ts = {}
  for i = 1, 10 do
    ts[i] = thread.spawn(function()
      for _ = 1, 100 do
        c:inc({who = "thread"})
        thread.sleep(0)
      end
    end)
  end
  for _, th in ipairs(ts) do th:join() end
  t:eq(c:value({who = "thread"}), 1000, "every thread's increments")
end

function TestMetricsDefineErrors(t)
  misuse(t, "bad argument #1 to 'counter' (string expected, got nil)", function() metrics.counter() end)
  misuse(t, "bad argument #2 to 'counter' (string expected, got nil)", function() metrics.counter("x_total") end)
  misuse(t, [[bad argument #1 to 'counter' (metric name "1st": want letters, digits, _ and :, not starting with a digit]],
    function() metrics.counter("1st", "h") end)
  misuse(t, [[bad argument #1 to 'gauge' (metric name "a-b": want]], function() metrics.gauge("a-b", "h") end)
  misuse(t, [[bad argument #1 to 'counter' (metric name "sockrun_x": names starting with sockrun_ are sockrun's own)]],
    function() metrics.counter("sockrun_x", "h") end)
  misuse(t, "bad argument #3 to 'counter' (list of label names expected, got string)",
    function() metrics.counter("a_total", "h", "code") end)
  misuse(t, "bad argument #3 to 'counter' (item 2 of the label names: string expected, got number)",
    function() metrics.counter("a_total", "h", {"code", 5}) end)
  misuse(t, [[bad argument #3 to 'counter' (label name "code" given twice)]],
    function() metrics.counter("a_total", "h", {"code", "code"}) end)
  misuse(t, [[bad argument #3 to 'counter' (label name "my-label": want]],
    function() metrics.counter("a_total", "h", {"my-label"}) end)
  misuse(t, [[bad argument #3 to 'counter' (label name "__x": names starting with __ are Prometheus' own)]],
    function() metrics.counter("a_total", "h", {"__x"}) end)
  misuse(t, [[bad argument #3 to 'histogram' (label name "le": a histogram's buckets are labelled le)]],
    function() metrics.histogram("h_seconds", "h", {"le"}) end)
  misuse(t, "bad argument #4 to 'histogram' (buckets must increase: 0.1 after 1)",
    function() metrics.histogram("h_seconds", "h", nil, {1, 0.1}) end)
  misuse(t, "bad argument #4 to 'histogram' (item 1 of the bucket bounds: number expected, got string)",
    function() metrics.histogram("h_seconds", "h", nil, {"x"}) end)
  misuse(t, "bad argument #4 to 'counter' (a counter takes no buckets: only a histogram does)",
    function() metrics.counter("a_total", "h", nil, {1}) end)
end

function TestMetricsDefinedTwice(t)
  metrics.counter("once_total", "h")
  local err = misuse(t, [[metric "once_total" is already defined at ]], function() metrics.counter("once_total", "h") end)
  if not err:find("metrics_test.lua:%d+: define it once and keep the object %(counter%)") then
    t:fatal("the message does not say where it was defined: " .. err)
  end
  misuse(t, [[metric "once_total" is already defined at ]], function() metrics.gauge("once_total", "other") end)
end

function TestMetricsLabelErrors(t)
  local c = metrics.counter("req_total", "h", {"method", "status"})
  misuse(t, "bad argument #1 to 'inc' (label status missing: req_total has labels method, status)",
    function() c:inc({method = "GET"}) end)
  misuse(t, "bad argument #1 to 'inc' (req_total has no label stauts (its labels: method, status); did you mean status?)",
    function() c:inc({method = "GET", stauts = 200}) end)
  misuse(t, "bad argument #1 to 'inc' (labels expected: req_total has labels method, status, give a table such as {method=...})",
    function() c:inc() end)
  misuse(t, "bad argument #1 to 'inc' (table of labels expected, got string)", function() c:inc("GET") end)
  misuse(t, "bad argument #1 to 'inc' (label method: string or number expected, got boolean)",
    function() c:inc({method = true, status = 200}) end)
  misuse(t, "bad argument #1 to 'inc' (labels are named: got a key 1)", function() c:inc({"GET", "200"}) end)
  misuse(t, "bad argument #2 to 'add' (label status missing", function() c:add(1, {method = "GET"}) end)
  local plain = metrics.gauge("plain", "h")
  misuse(t, "bad argument #2 to 'set' (plain has no labels, got label code)", function() plain:set(1, {code = 1}) end)
  t:eq(c:value({method = "GET", status = 200}), 0, "nothing counted by the mistakes")
end

function TestMetricsValueErrors(t)
  local c = metrics.counter("up_total", "h")
  misuse(t, "bad argument #1 to 'add' (a counter only goes up: got -1; use a gauge for a value that goes down)",
    function() c:add(-1) end)
  misuse(t, "bad argument #1 to 'add' (a counter only goes up: got ", function() c:add(0 / 0) end) -- nan
  misuse(t, "bad argument #1 to 'add' (number expected, got nil)", function() c:add() end)
  local g = metrics.gauge("g", "h")
  misuse(t, "bad argument #1 to 'set' (number expected, got table)", function() g:set({}) end)
  local h = metrics.histogram("h", "h")
  misuse(t, "bad argument #1 to 'observe' (number expected, got string)", function() h:observe("x") end)
  misuse(t, "bad self to 'inc' (counter expected, got nil; call it as c:inc(...))", function() c.inc() end)
  t:eq(c:value(), 0, "unchanged")
end
