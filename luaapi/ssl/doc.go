// Package ssl is Python's ssl module over Go's crypto/tls: contexts, and
// wrap_socket, which lays TLS over a Python-face socket through the core's
// transport, so that every socket method works unchanged on the SSL
// socket (its type inherits the socket type's methods).
//
// It may import luaapi/api, luaapi/core, gopher-lua and the Python face
// it wraps (luaapi/pysocket): the one face that may import another. Never
// the LuaSocket face, another module package, luaapi or the runner.
package ssl
