// Package store is the key-value store every worker (VM) and thread of one
// run shares: the shared module's state, made by the runner and handed to
// every VM in its config. It holds plain Go values and knows no Lua.
//
// It imports nothing of sockrun: it sits at the bottom with the socket
// core (luaapi/core).
package store
