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

---Writes strings and numbers to the default output; returns `true`.
---@param ... string|number
---@return boolean?
function io.write(...) end

---Reads lines (`"*l"`), numbers (`"*n"`), counts of bytes or the rest (`"*a"`) from the default input, the lock released while it waits.
---@param ... string|integer
---@return string|number|nil ...
function io.read(...) end

---An iterator over the lines of a file, closed at its end, or of the default input.
---@param filename? string
---@return fun(): string?
function io.lines(filename) end

---Opens a file as C's fopen (`"r"`, `"w"`, `"a"`, with `"+"` and `"b"`): the file, or `nil`, a message and an errno.
---@param filename string
---@param mode? string
---@return sockrun.file?
---@return string?
---@return integer?
function io.open(filename, mode) end

---Runs `prog` with /bin/sh and returns a file reading its output (`"r"`) or writing its input (`"w"`).
---@param prog string
---@param mode? string
---@return sockrun.file?
---@return string?
---@return integer?
function io.popen(prog, mode) end

---A new temporary file, read and written, removed when closed.
---@return sockrun.file?
function io.tmpfile() end

---Closes `file`, or the default output.
---@param file? sockrun.file
---@return boolean?
---@return string?
function io.close(file) end

---Writes what the default output buffered.
---@return boolean?
function io.flush() end

---Sets the default input to `file` (a name is opened for reading); returns the default input.
---@param file? string|sockrun.file
---@return sockrun.file
function io.input(file) end

---Sets the default output to `file` (a name is opened for writing); returns the default output.
---@param file? string|sockrun.file
---@return sockrun.file
function io.output(file) end

---`"file"` for an open file, "closed file" for a closed one, `nil` for anything else.
---@param obj any
---@return string?
function io.type(obj) end

---A file from io.open, io.popen or io.tmpfile, or a standard stream.
---@class sockrun.file
local file = {}

---Reads lines (`"*l"`), numbers (`"*n"`), counts of bytes or the rest (`"*a"`), the lock released while it waits.
---@param ... string|integer
---@return string|number|nil ...
function file:read(...) end

---Writes strings and numbers; returns `true`, or `nil`, a message and an errno.
---@param ... string|number
---@return boolean?
---@return string?
---@return integer?
function file:write(...) end

---An iterator over the file's lines, which leaves it open.
---@return fun(): string?
function file:lines() end

---Moves to `offset` from the start (`"set"`), the position (`"cur"`) or the end (`"end"`); returns the position.
---@param whence? string
---@param offset? integer
---@return integer?
---@return string?
---@return integer?
function file:seek(whence, offset) end

---Buffering of what is written: `"no"`, `"full"` or `"line"`.
---@param mode string
---@param size? integer
---@return boolean?
function file:setvbuf(mode, size) end

---Writes what the file buffered.
---@return boolean?
---@return string?
---@return integer?
function file:flush() end

---Closes the file (a standard stream is not closed); for io.popen, waits for the command.
---@return boolean?
---@return string?
---@return integer?
function file:close() end

---Ends the run with `code`, closing every socket.
---@param code? integer|boolean
function os.exit(code) end

---Runs `command` with /bin/sh, the other threads going on meanwhile; its wait status as C's `system()`.
---@param command? string
---@return integer
function os.execute(command) end

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
