// Package formats is the script modules that turn values into bytes and
// back: struct (Python's struct), bit (LuaJIT's bit) and json. They keep
// no state: every function is an api.Fn.
//
// It may import luaapi/api, the Lua 5.1 layer (luaapi/lua51) and
// gopher-lua; never a face, another module package, luaapi or the runner.
package formats
