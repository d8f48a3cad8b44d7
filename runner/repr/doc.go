// Package repr prints Lua values as Lua source, readably and bounded: the
// prompt's way of showing a statement's values and the trace's way of
// showing a call's arguments and results are two settings of its one
// Printer.
//
// It may import gopher-lua and luaapi/lua51 (Lua 5.1's number format),
// nothing else of sockrun: the prompt and the trace import it.
package repr
