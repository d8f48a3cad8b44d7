// Package host is the life of a sockrun VM: the Lua state with sockrun's
// modules (VM, the modules' luaapi.Host), its fair interpreter lock (gil),
// its threads and epochs of interruption, the run's limits (memory,
// runtime), the process-wide set-up (profiles, GC floor, memory reducer),
// the script's chunks as they are read, compiled and loaded, errors as
// sockrun prints them, and the process's environment (Env) and exit codes.
//
// It may import luaapi and its packages, gopher-lua and x/sys; never the
// command line (runner, cobra, viper), the trace (runner/trace: a tracer
// is seen through LockTracer) nor the prompt (runner/prompt).
package host
