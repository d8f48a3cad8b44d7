---@meta select
-- sockrun's select, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/threads.md.

---Python's select module (`local select = require "select"`); it can be called as Lua's base function `select`: `select("#", ...)` works.
---@class select
---@overload fun(n: integer|"#", ...: any): any
local select = {}

---Waits until sockets are ready; returns the ready ones of each list.
---@generic T
---@param rlist T[]
---@param wlist T[]
---@param xlist T[]
---@param timeout? number
---@return T[] readable
---@return T[] writable
---@return T[] exceptional
function select.select(rlist, wlist, xlist, timeout) end

return select
