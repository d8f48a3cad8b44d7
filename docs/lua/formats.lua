---@meta
-- sockrun's bit, json, struct, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/formats.md.

---LuaJIT's bit: 32-bit bit operations.
---@class bitlib
bit = {}

---`x` reduced to a signed 32-bit number.
---@param x number
---@return integer
function bit.tobit(x) end

---The low `n` hex digits of `x` (8 by default; negative `n` for upper case).
---@param x number
---@param n? integer
---@return string
function bit.tohex(x, n) end

---The bitwise not of `x`.
---@param x number
---@return integer
function bit.bnot(x) end

---The bitwise and of all arguments.
---@param x1 number
---@param ... number
---@return integer
function bit.band(x1, ...) end

---The bitwise or of all arguments.
---@param x1 number
---@param ... number
---@return integer
function bit.bor(x1, ...) end

---The bitwise xor of all arguments.
---@param x1 number
---@param ... number
---@return integer
function bit.bxor(x1, ...) end

---`x` shifted left by `n` bits (n's low 5 bits).
---@param x number
---@param n integer
---@return integer
function bit.lshift(x, n) end

---`x` shifted right by `n` bits, filling with zeros.
---@param x number
---@param n integer
---@return integer
function bit.rshift(x, n) end

---`x` shifted right by `n` bits, copying the sign bit.
---@param x number
---@param n integer
---@return integer
function bit.arshift(x, n) end

---`x` rotated left by `n` bits.
---@param x number
---@param n integer
---@return integer
function bit.rol(x, n) end

---`x` rotated right by `n` bits.
---@param x number
---@param n integer
---@return integer
function bit.ror(x, n) end

---`x` with its four bytes in reverse order.
---@param x number
---@return integer
function bit.bswap(x) end

---Options of `json.encode`.
---@class json.encodeoptions
---@field indent? integer|string pretty-print with this many spaces (1-16) or this string per level

---JSON text to Lua values and back.
---@class jsonlib
---@field null userdata JSON's `null`, where `nil` cannot stand (in an array, as a value to keep)
json = {}

---The JSON text of `value`; options.indent pretty-prints.
---@param value any
---@param options? json.encodeoptions
---@return string
function json.encode(value, options) end

---The Lua value of a JSON document.
---@param text string
---@return any
function json.decode(text) end

---Marks `t` (or a new table) to encode as a JSON array, even when empty.
---@generic T: table
---@param t? T
---@return T
function json.array(t) end

---Python's struct: pack and unpack binary records.
---@class structlib
struct = {}

---The values packed as the `format` says, as a string.
---@param format string
---@param v1 any
---@param ... any
---@return string
function struct.pack(format, v1, ...) end

---The values of `data`, which must be exactly `calcsize(format)` bytes.
---@param format string
---@param data string
---@return any ...
function struct.unpack(format, data) end

---The values of the record at byte `offset` (from 0) of `data`.
---@param format string
---@param data string
---@param offset? integer
---@return any ...
function struct.unpack_from(format, data, offset) end

---An iterator over the records `data` holds back to back.
---@param format string
---@param data string
---@return fun(): ...
function struct.iter_unpack(format, data) end

---The size in bytes of the format's record.
---@param format string
---@return integer
function struct.calcsize(format) end
