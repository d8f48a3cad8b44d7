---@meta signal
-- sockrun's signal module (as Python's), for lua-language-server.
-- Hand-written; held to the registry by luaapi's tests. The constants
-- (signal.SIGINT, ..., signal.SIG_DFL, signal.SIG_IGN) are in
-- constants.lua, generated. See docs/signal.md.

---Python's signal module: handlers for SIGINT, SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2, run in the main thread.
---@class signallib
signal = {}

---Sets what signalnum does: a function handler(signum, frame), signal.SIG_DFL or signal.SIG_IGN; returns the previous handler.
---@param signalnum integer
---@param handler fun(signum: integer, frame: nil)|integer
---@return fun(signum: integer, frame: nil)|integer previous
function signal.signal(signalnum, handler) end

---The current handler of signalnum.
---@param signalnum integer
---@return fun(signum: integer, frame: nil)|integer
function signal.getsignal(signalnum) end

---SIGINT's default handler: raises KeyboardInterrupt.
---@param signum integer
---@param frame nil
function signal.default_int_handler(signum, frame) end
