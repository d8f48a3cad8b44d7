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
  misuse(t, [[bad argument #1 to 'inc' (label method: value "\xff" is not valid UTF-8; Prometheus' text format is UTF-8)]],
    function() c:inc({method = "\255", status = 200}) end)
  local err = misuse(t, [[bad argument #1 to 'labels' (label method: value "G\xe9T" is not valid UTF-8]],
    function() c:labels({method = "G\233T", status = 200}) end)
  if not err:find("metrics_test.lua:%d+: bad argument") then
    t:fatal("the message does not name the script's line: " .. err)
  end
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

-- m:labels binds a series: its methods are the metric's without labels,
-- and update the same series the metric's methods with those labels do.
function TestMetricsLabels(t)
  local c = metrics.counter("bound_total", "h", {"method", "status"})
  local ok = c:labels({method = "GET", status = 200})
  t:eq(tostring(ok), [[<counter bound_total{method="GET",status="200"}>]], "tostring, labels in the metric's order")
  t:eq(ok:value(), 0, "a bound series is 0 before its first update")
  ok:inc()
  ok:add(2)
  ok:add(0.5)
  c:inc({status = "200", method = "GET"})
  t:eq(ok:value(), 4.5, "the series' value")
  t:eq(c:value({method = "GET", status = 200}), 4.5, "the metric's value of the same labels")
  t:eq(c:labels({method = "GET", status = "200"}):value(), 4.5, "bound again: the same series")
  t:eq(c:value({method = "POST", status = 200}), 0, "another series untouched")

  local g = metrics.gauge("bound_gauge", "h", {"queue"})
  local q = g:labels({queue = "in"})
  t:eq(tostring(q), [[<gauge bound_gauge{queue="in"}>]], "tostring")
  q:set(10)
  q:inc()
  q:dec()
  q:dec()
  q:add(-2.5)
  t:eq(q:value(), 6.5, "set, inc, dec, add")
  t:eq(g:value({queue = "in"}), 6.5, "the gauge's value")

  local h = metrics.histogram("bound_seconds", "h", {"route"}, {0.01, 0.1, 1})
  local root = h:labels({route = "/"})
  t:eq(tostring(root), [[<histogram bound_seconds{route="/"}>]], "tostring")
  root:observe(0.005)
  root:observe(3)
  h:observe(0.5, {route = "/"})
  local sum, count = root:value()
  t:eq(sum, 3.505, "sum")
  t:eq(count, 3, "count")

  local plain = metrics.counter("bound_plain_total", "no labels")
  local p = plain:labels()
  t:eq(tostring(p), "<counter bound_plain_total>", "tostring without labels")
  p:inc()
  t:eq(plain:value(), 1, "a metric without labels")
  local esc = c:labels({method = 'a"b', status = "x\\y"})
  t:eq(tostring(esc), [[<counter bound_total{method="a\"b",status="x\\y"}>]], "quotes and backslashes escaped")
end

-- Every thread updates one bound series, under the lock.
function TestMetricsLabelsThreads(t)
  local hits = metrics.counter("bound_hits_total", "hits", {"who"}):labels({who = "thread"})
  local ts = {}
  for i = 1, 10 do
    ts[i] = thread.spawn(function()
      for _ = 1, 100 do
        hits:inc()
        thread.sleep(0)
      end
    end)
  end
  for _, th in ipairs(ts) do th:join() end
  t:eq(hits:value(), 1000, "every thread's increments")
end

function TestMetricsLabelsErrors(t)
  local c = metrics.counter("bad_bound_total", "h", {"method", "status"})
  misuse(t, "bad argument #1 to 'labels' (label status missing: bad_bound_total has labels method, status)",
    function() c:labels({method = "GET"}) end)
  misuse(t, "bad argument #1 to 'labels' (bad_bound_total has no label stauts (its labels: method, status); did you mean status?)",
    function() c:labels({method = "GET", stauts = 200}) end)
  misuse(t, "bad argument #1 to 'labels' (labels expected: bad_bound_total has labels method, status, give a table such as {method=...})",
    function() c:labels() end)
  misuse(t, "bad argument #1 to 'labels' (table of labels expected, got string)", function() c:labels("GET") end)
  misuse(t, "bad argument #1 to 'labels' (label method: string or number expected, got boolean)",
    function() c:labels({method = true, status = 200}) end)
  misuse(t, "bad argument #1 to 'labels' (plain_bound has no labels, got label code)",
    function() metrics.gauge("plain_bound", "h"):labels({code = 1}) end)
  misuse(t, "bad self to 'labels' (metric expected, got nil; call it as m:labels(...))", function() c.labels() end)

  local s = c:labels({method = "GET", status = 200})
  misuse(t, "bad argument #1 to 'add' (a counter only goes up: got -1; use a gauge for a value that goes down)",
    function() s:add(-1) end)
  misuse(t, "bad argument #1 to 'add' (a counter only goes up: got ", function() s:add(0 / 0) end) -- nan
  misuse(t, "bad argument #1 to 'add' (number expected, got nil)", function() s:add() end)
  misuse(t, "bad argument #1 to 'inc' (a series takes no labels: its labels were given to labels(), got table)",
    function() s:inc({method = "POST", status = 200}) end)
  misuse(t, "bad argument #2 to 'add' (a series takes no labels: its labels were given to labels(), got table)",
    function() s:add(1, {method = "POST", status = 200}) end)
  misuse(t, "bad argument #1 to 'value' (a series takes no labels", function() s:value({}) end)
  misuse(t, "bad self to 'inc' (counter series expected, got nil; call it as cs:inc(...))", function() s.inc() end)
  misuse(t, "bad self to 'inc' (counter series expected, got counter; call it as cs:inc(...))", function() s.inc(c) end)
  misuse(t, "counter_series object has no method 'set'", function() s:set(1) end)

  local g = metrics.gauge("bad_bound_gauge", "h"):labels()
  misuse(t, "bad argument #1 to 'set' (number expected, got table)", function() g:set({}) end)
  misuse(t, "bad self to 'set' (gauge series expected, got counter series; call it as gs:set(...))",
    function() g.set(s, 1) end)
  local h = metrics.histogram("bad_bound_h", "h"):labels()
  misuse(t, "bad argument #1 to 'observe' (number expected, got string)", function() h:observe("x") end)
  misuse(t, "bad argument #1 to 'observe' (a number expected, got nan)", function() h:observe(0 / 0) end)
  t:eq(s:value(), 0, "nothing counted by the mistakes")
  t:eq(select(2, h:value()), 0, "nothing observed by the mistakes")
end
