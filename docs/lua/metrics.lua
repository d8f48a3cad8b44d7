---@meta metrics
-- sockrun's metrics, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/metrics.md.

---Counters, gauges and histograms with labels, served to Prometheus by --metrics.
---@class metricslib
metrics = {}

---Defines a counter with the label names given.
---@param name string
---@param help string
---@param labels? string[]
---@return metrics.counter
function metrics.counter(name, help, labels) end

---Defines a gauge with the label names given.
---@param name string
---@param help string
---@param labels? string[]
---@return metrics.gauge
function metrics.gauge(name, help, labels) end

---Defines a histogram with the label names and bucket bounds given.
---@param name string
---@param help string
---@param labels? string[]
---@param buckets? number[]
---@return metrics.histogram
function metrics.histogram(name, help, labels, buckets) end

---A metric that only goes up: requests served, bytes, errors.
---@class metrics.counter
local c = {}

---Adds 1 to the series of `labels`.
---@param labels? table<string, string|number>
function c:inc(labels) end

---Adds `n` (0 or more) to the series of `labels`.
---@param n number
---@param labels? table<string, string|number>
function c:add(n, labels) end

---The series' value: 0 if never touched.
---@param labels? table<string, string|number>
---@return number
function c:value(labels) end

---The series of `labels`, bound: a counter series, whose inc, add and value take no `labels`; a scrape shows it from now on.
---@param labels? table<string, string|number>
---@return metrics.counter_series
function c:labels(labels) end

---A metric that goes up and down: connections open, queue length.
---@class metrics.gauge
local g = {}

---Sets the series of `labels` to `v`.
---@param v number
---@param labels? table<string, string|number>
function g:set(v, labels) end

---Adds 1 to the series of `labels`.
---@param labels? table<string, string|number>
function g:inc(labels) end

---Takes 1 from the series of `labels`.
---@param labels? table<string, string|number>
function g:dec(labels) end

---Adds `n` (negative takes away) to the series of `labels`.
---@param n number
---@param labels? table<string, string|number>
function g:add(n, labels) end

---The series' value: 0 if never touched.
---@param labels? table<string, string|number>
---@return number
function g:value(labels) end

---The series of `labels`, bound: a gauge series, whose set, inc, dec, add and value take no `labels`; a scrape shows it from now on.
---@param labels? table<string, string|number>
---@return metrics.gauge_series
function g:labels(labels) end

---A metric that counts observations in buckets: latencies, sizes.
---@class metrics.histogram
local h = {}

---Counts `v` in its bucket of the series of `labels`.
---@param v number
---@param labels? table<string, string|number>
function h:observe(v, labels) end

---The series' sum of observations and their count.
---@param labels? table<string, string|number>
---@return number sum
---@return integer count
function h:value(labels) end

---The series of `labels`, bound: a histogram series, whose observe and value take no `labels`; a scrape shows it from now on.
---@param labels? table<string, string|number>
---@return metrics.histogram_series
function h:labels(labels) end

---One series of a counter, bound to its labels' values by c:labels: updated without looking them up.
---@class metrics.counter_series
local cs = {}

---Adds 1 to the series.
function cs:inc() end

---Adds `n` (0 or more) to the series.
---@param n number
function cs:add(n) end

---The series' value.
---@return number
function cs:value() end

---One series of a gauge, bound to its labels' values by g:labels: updated without looking them up.
---@class metrics.gauge_series
local gs = {}

---Sets the series to `v`.
---@param v number
function gs:set(v) end

---Adds 1 to the series.
function gs:inc() end

---Takes 1 from the series.
function gs:dec() end

---Adds `n` (negative takes away) to the series.
---@param n number
function gs:add(n) end

---The series' value.
---@return number
function gs:value() end

---One series of a histogram, bound to its labels' values by h:labels: updated without looking them up.
---@class metrics.histogram_series
local hs = {}

---Counts `v` in its bucket of the series.
---@param v number
function hs:observe(v) end

---The series' sum of observations and their count.
---@return number sum
---@return integer count
function hs:value() end

return metrics
