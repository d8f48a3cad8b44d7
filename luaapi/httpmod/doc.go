// Package httpmod is the http module: HTTP/1.1 for scripts, with the
// parsing in Go. A server reads requests with http.read_request and
// answers with http.write_response; a client writes with http.request and
// reads with http.read_response. Python's http.server and http.client
// are the reference for names.
//
// Every read goes through the socket core's receive buffer (a
// core.Scanner), the one that recv, recvline and the other framing reads
// share, so a script may mix the module's calls with the socket's own
// reads on one connection without losing a byte; and like every socket
// call, a read that waits releases the interpreter lock.
//
// The head of a message is scanned as its bytes arrive, one line at a
// time (parse.go, Lua-free): the limits and the rules against request
// smuggling of scripts/http_server.lua, which parses the same protocol in
// Lua for teaching, are applied line by line.
//
// It may import luaapi/api, luaapi/core, gopher-lua and x/sys. It works
// on any face's stream socket through core.Holder, so it imports neither
// face, no other module package, luaapi nor the runner.
package httpmod
