---@meta select
-- sockrun's select module, for lua-language-server. Hand-written; held to
-- the registry by luaapi's tests.

---Python's select module (`local select = require "select"`). It can be called as Lua's base function `select`: `select("#", ...)` works.
---@class select
---@overload fun(n: integer|"#", ...: any): any
local select = {}

---Waits until sockets are ready; returns the ready ones of each list.
---@generic T
---@param rlist T[]
---@param wlist T[]
---@param xlist T[]
---@param timeout? number
---@return T[] readable, T[] writable, T[] exceptional
function select.select(rlist, wlist, xlist, timeout) end

return select
