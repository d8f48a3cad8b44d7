// Package threads is the script modules of concurrency within one VM and
// across workers: thread (threads taking turns under the interpreter
// lock, and their queues, locks and events), signal (handlers run in the
// main thread, as Python's), and shared (the run's key-value store and
// publish/subscribe, in the process or in Redis). Each has its instance
// per VM: Threads (the one count of live threads), Signals (the VM's
// Interrupter), Shared (the store, and the VM's subscriptions).
//
// It may import luaapi/api, luaapi/store, the Lua 5.1 layer
// (luaapi/lua51) and gopher-lua; never a face (a socket passed to a
// thread is an api.Served), another module package, luaapi or the runner.
package threads
