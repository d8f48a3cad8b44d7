---@meta thread
-- sockrun's thread, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/threads.md.

---Threads of one VM taking turns under the interpreter lock, and queues, locks and events between them.
---@class threadlib
thread = {}

---Starts `fn(...)` in a new thread; returns its handle.
---@param fn function
---@param ... any
---@return thread.thread
function thread.spawn(fn, ...) end

---The handle of the calling thread.
---@return thread.thread
function thread.current() end

---Waits, letting other threads run; 0 gives every waiting thread a turn.
---@param seconds number
function thread.sleep(seconds) end

---A new FIFO queue, bounded by `capacity` if given.
---@param capacity? integer
---@return thread.queue
function thread.queue(capacity) end

---A new lock.
---@return thread.lock
function thread.lock() end

---A new event, not set.
---@return thread.event
function thread.event() end

---A thread's handle.
---@class thread.thread
local t = {}

---Waits for the thread to end; returns its results or raises its error.
---@param timeout? number
---@return any ...
function t:join(timeout) end

---Whether the thread is still running.
---@return boolean
function t:alive() end

---The thread's number (the main chunk's is 1).
---@return integer
function t:id() end

---A first-in, first-out queue of values between threads.
---@class thread.queue
---@operator len: integer
local q = {}

---Adds `value`, waiting while a bounded queue is full.
---@param value any
---@param timeout? number
function q:put(value, timeout) end

---Takes the oldest value, waiting while the queue is empty; `nil` once closed and drained.
---@param timeout? number
---@return any
function q:get(timeout) end

---The count of values queued.
---@return integer
function q:len() end

---Closes the queue: puts raise, gets drain it then return `nil`.
function q:close() end

---A lock (Python's `threading.Lock`), not reentrant.
---@class thread.lock
local l = {}

---Takes the lock, waiting while another thread holds it; `false` on `timeout`.
---@param timeout? number
---@return boolean
function l:acquire(timeout) end

---Releases the lock.
function l:release() end

---Whether a thread holds the lock.
---@return boolean
function l:locked() end

---An event (Python's `threading.Event`): a flag threads can wait for.
---@class thread.event
local e = {}

---Sets the event and wakes every waiter.
function e:set() end

---Clears the event.
function e:clear() end

---Whether the event is set.
---@return boolean
function e:is_set() end

---Waits until the event is set; `false` on `timeout`.
---@param timeout? number
---@return boolean
function e:wait(timeout) end

return thread
