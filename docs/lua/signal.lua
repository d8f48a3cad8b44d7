---@meta signal
-- sockrun's signal, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/signal.md.

---Signal handlers, as Python's signal module: handlers run in the main thread.
---@class signallib
signal = {}

---Sets what `signalnum` does: a function handler(signum, frame), signal.SIG_DFL or signal.SIG_IGN; returns the previous `handler`.
---@param signalnum integer `signal.SIGINT`, `signal.SIGTERM`, `signal.SIGHUP`, `signal.SIGUSR1`, `signal.SIGUSR2`: a signal a script may handle
---@param handler fun(signum: integer, frame: nil)|integer or `signal.SIG_DFL`, `signal.SIG_IGN`
---@return fun(signum: integer, frame: nil)|integer previous
function signal.signal(signalnum, handler) end

---The current handler of `signalnum`.
---@param signalnum integer `signal.SIGINT`, `signal.SIGTERM`, `signal.SIGHUP`, `signal.SIGUSR1`, `signal.SIGUSR2`: a signal a script may handle
---@return fun(signum: integer, frame: nil)|integer
function signal.getsignal(signalnum) end

---SIGINT's default handler: raises KeyboardInterrupt.
---@param signum integer
---@param frame nil
function signal.default_int_handler(signum, frame) end

return signal
