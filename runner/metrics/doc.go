// Package metrics serves --metrics: Prometheus' text format at /metrics,
// as Prometheus' Go client (client_golang) serves it, and a health check at
// /healthz for readiness and liveness probes.
//
// /metrics has sockrun's own families (sockrun_*: connections, bytes,
// calls and errors by function and errno, threads, interpreter-lock
// waits), Go's runtime and the process's (memory, CPU, descriptors), and
// the script's own (the metrics module's, luaapi/metricset). The workers
// of a run are VMs of one process: one endpoint answers for all of them,
// with their counts summed. A scrape reads atomics and the client's own
// locks: it never takes a VM's interpreter lock, so it answers while a
// script spins in a loop that holds it.
//
// It may import runner/host (the VMs it reads) and luaapi/metricset (the
// script's metrics); never the command line (cobra, viper, pflag).
package metrics
