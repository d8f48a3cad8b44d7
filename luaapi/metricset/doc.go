// Package metricset is the metrics module's backend: the script's
// counters, gauges and histograms of a run, kept in one set that every
// worker (VM) of the process shares, made by the runner and handed to
// every VM in its config, and Prometheus' text format, which the runner
// serves at --metrics' /metrics beside sockrun's own families; without
// --metrics the values are kept and nothing is served. A scrape reads
// the set under its own locks, never under the interpreter lock. It holds
// plain Go values and knows no Lua.
//
// Its metrics and text are those of Prometheus' Go client (client_golang),
// which it replaces: the client's package initialisation cost every run
// of sockrun milliseconds of start-up, --metrics or not. Tests check the
// text with Prometheus' own parser.
//
// It imports nothing of sockrun: it sits at the bottom with the socket
// core (luaapi/core) and the shared store.
package metricset
