// Package pysocket is the Python face: Python's socket module (sockets,
// addresses as {host, port} tables, name lookups, constants, socket.explain),
// socket objects and their framing reads, sock:makefile's files, and the
// select module, over the socket core. Its state is one instance per VM
// (Module), which its socket and select modules share and every socket
// carries. A socket's TLS layer is the ssl module's, behind the TLS
// interface.
//
// It may import luaapi/api, luaapi/core and gopher-lua; never the
// LuaSocket face (luaapi/luasocket), ssl, another module package, luaapi
// or the runner.
package pysocket
