// Package metricset is the metrics module's backend: the script's
// counters, gauges and histograms of a run, kept with Prometheus' Go
// client (client_golang) in one registry that every worker (VM) of the
// process shares, made by the runner and handed to every VM in its
// config. The runner serves it at --metrics' /metrics beside sockrun's
// own families; without --metrics the values are kept and nothing is
// served. A scrape reads it under the client's own locks, never under
// the interpreter lock. It holds plain Go values and knows no Lua.
//
// It imports nothing of sockrun (only the Prometheus client): it sits at
// the bottom with the socket core (luaapi/core) and the shared store.
package metricset
