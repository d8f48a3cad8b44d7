// Package base is sockrun's replacements and additions to Lua's base
// library: print, arg and vars (the globals), io.write, io.read and
// io.lines on the run's standard streams, os.exit and os.date, string.rep
// under the memory limit, string.find, match, gmatch and gsub on sockrun's
// pattern matcher, and the sockrun module. Its modules share one instance
// per VM (Base): the standard streams and the configuration they read.
//
// It may import luaapi/api, luaapi/core (for its limits), the Lua 5.1
// layer (luaapi/lua51), the pattern matcher (luaapi/lpattern) and
// gopher-lua; never a face, another module package, luaapi or the runner.
package base
