---@meta select
-- sockrun's select module, for lua-language-server. Hand-written; held to
-- the registry by luaapi's tests.

---Python's `select.select`. The global `select` is also Lua's base function: `select("#", ...)` works.
---@class selectlib
---@overload fun(n: integer|"#", ...: any): any
select = {}

---Waits until sockets are ready; returns the ready ones of each list.
---@generic T
---@param rlist T[]
---@param wlist T[]
---@param xlist T[]
---@param timeout? number
---@return T[] readable, T[] writable, T[] exceptional
function select.select(rlist, wlist, xlist, timeout) end

return select
