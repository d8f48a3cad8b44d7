// Package metricsmod is the metrics module: counters, gauges and
// histograms with labels that a script defines and updates, kept in the
// run's metricset.Set (common to every worker of the process) and served
// by --metrics at /metrics with sockrun's own families. Without --metrics
// the values are kept, and read back with value(), and nothing is served.
// Its instance per VM is Metrics: the set, and the names this VM defined
// (defining one twice in a VM is an error; workers running the same line
// share the metric).
//
// It may import luaapi/api, luaapi/metricset, the Lua 5.1 layer (luaapi/lua51) and gopher-lua; never a face,
// another module package, luaapi or the runner.
package metricsmod
