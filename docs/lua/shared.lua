---@meta shared
-- sockrun's shared, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/threads.md.

---A key-value store and messages common to every worker of the run, or to every process on one Redis.
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

---Sends `text` to every subscription to `channel`; returns how many got it.
---@param channel string
---@param text string
---@return integer
function shared.publish(channel, text) end

---A subscription to the channels, read like a thread.queue.
---@param channel string
---@param ... string
---@return shared.subscription
function shared.subscribe(channel, ...) end

---@class shared.subscription
---@operator len: integer
local sub = {}

---Takes the oldest message and its channel, waiting while there is none.
---@param timeout? number
---@return string|nil
---@return string? channel
function sub:get(timeout) end

---The count of messages waiting.
---@return integer
function sub:len() end

---Ends the subscription: gets drain it then return `nil`.
function sub:close() end

return shared
