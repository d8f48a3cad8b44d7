---@meta mime.core
-- sockrun's mime.core, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/luasocket.md.

---The native half of LuaSocket's mime module: Base64, Quoted-Printable, line wrapping.
---@class mime.core
local core = {}

---Base64 of C..D as far as whole groups go, and what is left.
---@param C string|nil
---@param D? string|nil
---@return string|nil
---@return string|nil rest
function core.b64(C, D) end

---The bytes of Base64 C..D as far as whole groups go, and what is left.
---@param C string|nil
---@param D? string|nil
---@return string|nil
---@return string|nil rest
function core.unb64(C, D) end

---Quoted-Printable of C..D, and what is left.
---@param C string|nil
---@param D? string|nil
---@param marker? string
---@return string|nil
---@return string|nil rest
function core.qp(C, D, marker) end

---The bytes of Quoted-Printable C..D, and what is left.
---@param C string|nil
---@param D? string|nil
---@return string|nil
---@return string|nil rest
function core.unqp(C, D) end

---`C` broken into lines of at most `length`, and what is left of the line.
---@param n integer
---@param C string|nil
---@param length? integer
---@return string|nil
---@return integer n
function core.wrp(n, C, length) end

---Quoted-Printable `C` broken with soft line breaks, and what is left of the line.
---@param n integer
---@param C string|nil
---@param length? integer
---@return string|nil
---@return integer n
function core.qpwrp(n, C, length) end

---`C` with every end of line made `marker`, and the context for the next chunk.
---@param c integer
---@param C string|nil
---@param marker? string
---@return string|nil
---@return integer c
function core.eol(c, C, marker) end

---`C` dot-stuffed for SMTP, and the state for the next chunk.
---@param n integer
---@param C string|nil
---@return string|nil
---@return integer n
function core.dot(n, C) end

return core
