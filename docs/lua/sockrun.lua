---@meta sockrun
-- sockrun's sockrun, globals, io (extended), os (extended), string (extended), for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/api.md.

---About the running sockrun: its version, this worker's number, and the threads' switch interval.
---@class sockrunlib
---@field version string sockrun's version: `"0.1.0"`
---@field worker integer this VM's number, 1 to `workers` (`--workers N`)
---@field workers integer how many VMs run the script (`--workers N`; 1 otherwise)
sockrun = {}

---Sets how long a thread may keep the interpreter lock while others wait (Python's sys.setswitchinterval).
---@param seconds number
function sockrun.setswitchinterval(seconds) end

---The switch interval, in seconds.
---@return number
function sockrun.getswitchinterval() end

---Tells the service manager the run's `state` (sd_notify: `"READY=1"`, `"STATUS=..."`); `false` when none listens (`NOTIFY_SOCKET` unset).
---@param state string
---@return boolean
function sockrun.notify(state) end

---The script's parameters, strings: `--var port=9000` gives `vars.port == "9000"`.
---@type table<string, string>
vars = {}

---The script's path (`arg[0]`) and the arguments after it (`arg[1]`, ..., also the script's `...`); the program and the options before the script at the negative indices.
---@type table<integer, string>
arg = {}

---The KiB of memory in use, a whole number (Lua 5.1's; `collectgarbage("count")` has the fraction too).
---@type fun(): integer
_G.gcinfo = function() end

---Writes its arguments, tab-separated, and a newline to standard output in one write.
---@param ... any
function print(...) end

---Writes strings and numbers to the current output; returns the file.
---@param ... string|number
---@return file*
function io.write(...) end

---Reads lines (`"l"`, `"L"`), numbers (`"n"`), counts of bytes or the rest (`"a"`) from the current input, the lock released while it waits.
---@param ... string|integer
---@return string|number|nil ...
function io.read(...) end

---An iterator over the lines of standard input, or of a file.
---@param filename? string
---@return fun(): string?
function io.lines(filename) end

---Ends the run with `code`, closing every socket.
---@param code? integer|boolean
function os.exit(code) end

---The date formatted as C's strftime, or a table for `"*t"`.
---@param format? string
---@param time? integer
---@return string|osdate
function os.date(format, time) end

---`s` repeated `n` times; raises if the result would be larger than limits.max_memory.
---@param s string|number
---@param n integer
---@return string
function string.rep(s, n) end

---The start and end of the first match of `pattern` in `s` from `init`, then its captures; `nil` if there is none. With `plain`, or a `pattern` without special characters, a `plain` search.
---@param s string|number
---@param pattern string|number
---@param init? integer
---@param plain? boolean
---@return integer|nil start
---@return integer|nil end
---@return any ...
function string.find(s, pattern, init, plain) end

---The captures of the first match of `pattern` in `s` from `init`, or the whole match if it has none; `nil` if there is none.
---@param s string|number
---@param pattern string|number
---@param init? integer
---@return any ...
function string.match(s, pattern, init) end

---An iterator over the matches of `pattern` in `s`, returning each one's captures, or the whole match.
---@param s string|number
---@param pattern string|number
---@return fun(): string|integer, ...
function string.gmatch(s, pattern) end

---`s` with its first `n` (default all) matches of `pattern` replaced by `repl` (a string with %0-%9, a table, or a function), and the number of matches.
---@param s string|number
---@param pattern string|number
---@param repl string|number|table|fun(...: string|integer): any
---@param n? integer
---@return string
---@return integer count
function string.gsub(s, pattern, repl, n) end

return sockrun
