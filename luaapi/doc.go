// Package luaapi is what sockrun's scripts see, assembled: the runner
// imports it, makes a Runtime per Lua VM (New, Open) and asks it what the
// run needs (the observer, signals, threads, the leak report). The script
// modules live in packages of their own, in layers (layers_test.go):
//
//	core, store       sockets, addresses and the shared store as Go values, no Lua
//	api               the VM every module reaches the host through, the
//	                  registry, the call path, errors and explanations
//	pysocket, ssl     Python's socket, select and ssl (ssl wraps pysocket)
//	luasocket         LuaSocket and mime.core, on the core
//	threads           thread, sync objects, signal, shared
//	formats, base     struct, bit, json; print, io, os, string, sockrun
//
// It never imports the runner; it reaches the host (the interpreter lock,
// threads, the run's context, standard streams) through the Host
// interface. It may import every package under luaapi/ but the test
// helpers; only the runner imports it.
package luaapi
