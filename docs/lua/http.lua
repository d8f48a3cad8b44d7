---@meta http
-- sockrun's http, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/http.md.

---The limits of `read_request` and `read_response`.
---@class http.limits
---@field max_line? integer bytes of the start line or of one header line, CRLF included (8192)
---@field max_head? integer bytes of all the header lines (32768)
---@field max_headers? integer header lines (100)
---@field max_body? integer bytes of a request's body; of a body read whole (1048576)
---@field timeout? number seconds for the whole message from its first byte (default: the socket's timeout)
---@field idle? number seconds to wait for a request's first byte (read_request)
---@field method? string the request's method, if not sent with `http.request` (read_response)

---HTTP/1.1 over a connected socket, parsed in Go: requests and responses, for servers and clients.
---@class httplib
---@field responses table<integer, string> the reason phrase of each status: `http.responses[404] == "Not Found"`
http = {}

---The next request on `conn`: a request object (method, target, path, query, version, headers, body, keep_alive); `nil` at the end of the stream; `nil` and an error value with the status to answer for a request to refuse.
---@param conn socket.socket a connected stream socket of either face, or an SSL socket
---@param limits? http.limits|http.limits_object
---@return http.request|nil req
---@return socket.error? err
function http.read_request(conn, limits) end

---Sends a response (Content-Length from a string `body`, chunked from a function); returns whether the connection stays open.
---@param conn socket.socket a connected stream socket of either face, or an SSL socket
---@param status integer
---@param headers? table|http.headers
---@param body? string|fun(): string?
---@param req? http.request
---@return boolean keep
function http.write_response(conn, status, headers, body, req) end

---Sends a short text response for an error `status` (or an error value of read_request) that closes the connection.
---@param conn socket.socket a connected stream socket of either face, or an SSL socket
---@param status integer|socket.error
---@param message? string
function http.send_error(conn, status, message) end

---Sends a request (Host from the peer's address unless given).
---@param conn socket.socket a connected stream socket of either face, or an SSL socket
---@param method string
---@param target string
---@param headers? table|http.headers
---@param body? string|fun(): string?
function http.request(conn, method, target, headers, body) end

---The next response on `conn`: a response object (status, reason, version, headers, body, keep_alive).
---@param conn socket.socket a connected stream socket of either face, or an SSL socket
---@param limits? http.limits|http.limits_object
---@return http.response resp
function http.read_response(conn, limits) end

---Checks a table of `limits` once and returns them as a fixed object, which read_request and read_response take in place of the table without reading it again.
---@param limits http.limits
---@return http.limits_object
function http.limits(limits) end

---A request http.read_request read: its fields come from the parsed head when read; keep_alive and a script's own fields may be set.
---@class http.request
---@field method string the method: `"GET"`
---@field target string the request target as sent: `"/a?x=1"`
---@field path string the target before `"?"`
---@field query string the target after `"?"`, `""` if none
---@field version string `"HTTP/1.1"` or `"HTTP/1.0"`
---@field headers http.headers the header lines: a headers object
---@field body http.body the body: a body object (`body:read()`)
---@field keep_alive boolean whether the connection may stay open after the response (may be set to `false`)

---A response http.read_response read: its fields come from the parsed head when read.
---@class http.response
---@field status integer the status: 200
---@field reason string the reason phrase as sent: `"OK"`
---@field version string `"HTTP/1.1"` or `"HTTP/1.0"`
---@field headers http.headers the header lines: a headers object
---@field body http.body the body: a body object (`body:read()`)
---@field keep_alive boolean whether the server keeps the connection open

---A message's header lines, in the order received: looked up in any case, repeated lines kept; #headers counts them, tostring(headers) is the lines.
---@class http.headers
---@operator len: integer
local headers = {}

---The value of the first header line named `name`, in any case; `default` (or `nil`) if there is none.
---@param name string
---@param default? string
---@return string?
function headers:get(name, default) end

---The values of every header line named `name`, in order: a list, empty if none.
---@param name string
---@return string[]
function headers:get_all(name) end

---An iterator over the header lines in order: for name, value in `h:items()` do ... end.
---@return fun(): string, string
function headers:items() end

---A message's body, read from the connection on demand.
---@class http.body
local body = {}

---All of the body (`n` absent), or the next piece of at most `n` bytes; `""` at its end.
---@param n? integer
---@return string?
---@return socket.error? err
function body:read(n) end

---The limits of a table, checked once by http.limits: read_request and read_response take it in place of the table; its fields read them back and cannot be set.
---@class http.limits_object
---@field max_line integer bytes of the start line or of one header line (8192 if not given)
---@field max_head integer bytes of all the header lines (32768 if not given)
---@field max_headers integer header lines (100 if not given)
---@field max_body integer bytes of a request's body; of a body read whole (1048576 if not given)
---@field timeout number? seconds for the whole message from its first byte; `nil` if not given
---@field idle number? seconds to wait for a request's first byte; `nil` if not given

return http
