// Package luasocket is the LuaSocket face: LuaSocket 3's socket module
// (tcp, udp and unix objects whose class changes as LuaSocket's do,
// select, dns, and what LuaSocket's socket.lua adds in Lua) and mime.core,
// directly on the socket core. Its objects carry their face's instance
// (Module); errors are returned as nil, message as LuaSocket returns
// them.
//
// It may import luaapi/api, luaapi/core and gopher-lua; never the Python
// face (luaapi/pysocket), another module package, luaapi or the runner.
// The Python face's sockets reach its select as core.Holder values.
package luasocket
