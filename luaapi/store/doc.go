// Package store is the shared module's backend: a key-value store and a
// publish/subscribe broker that every worker (VM) and thread of a run
// shares, made by the runner and handed to every VM in its config. Store
// is the interface; Memory keeps everything in the process (the
// default), Redis keeps it in a Redis server (shared.url), so that
// sockrun processes on several hosts share it. It holds plain Go values
// and knows no Lua.
//
// It imports nothing of sockrun (only go-redis): it sits at the bottom
// with the socket core (luaapi/core).
package store
