---@meta shared
-- sockrun's shared, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/threads.md.

---A key-value store common to every worker of the run.
---@class sharedlib
shared = {}

---The value of `key`, or `nil`.
---@param key string
---@return string|number|boolean|nil
function shared.get(key) end

---Stores `value` under `key`, for `ttl` seconds if given.
---@param key string
---@param value string|number|boolean|nil
---@param ttl? number
function shared.set(key, value, ttl) end

---Stores `value` only if `key` is absent; returns whether it did.
---@param key string
---@param value string|number|boolean
---@param ttl? number
---@return boolean
function shared.add(key, value, ttl) end

---Adds `delta` to a number atomically; returns the new value.
---@param key string
---@param delta? number
---@param init? number
---@return number
function shared.incr(key, delta, init) end

---Removes `key`; returns whether it was there.
---@param key string
---@return boolean
function shared.delete(key) end

---The live keys, sorted.
---@return string[]
function shared.keys() end

return shared
