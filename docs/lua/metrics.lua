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

return metrics
