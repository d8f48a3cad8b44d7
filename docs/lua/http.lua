---@meta http
-- sockrun's http module, for lua-language-server. Hand-written; held to
-- the registry by luaapi's tests.

---HTTP/1.1 over a connected socket, parsed in Go: requests and responses, for servers and clients.
---@class httplib
---@field responses table<integer, string> the reason phrase of each status: `http.responses[404] == "Not Found"`
http = {}

---A message's header lines, in the order received: looked up in any case, repeated lines kept. `#headers` is the count of lines; `tostring(headers)` the lines, each ending in CRLF.
---@class http.headers
local headers = {}

---A message's body, read from the connection on demand.
---@class http.body
local body = {}

---What `http.read_request` returns.
---@class http.request
---@field method string `"GET"`
---@field target string the request target as sent: `"/a?x=1"`
---@field path string the target before `?`: `"/a"`
---@field query string the target after `?`, `""` if none
---@field version string `"HTTP/1.1"` or `"HTTP/1.0"`
---@field headers http.headers
---@field body http.body
---@field keep_alive boolean whether the client lets the connection stay open after the response

---What `http.read_response` returns.
---@class http.response
---@field status integer `200`
---@field reason string `"OK"`
---@field version string `"HTTP/1.1"`
---@field headers http.headers
---@field body http.body
---@field keep_alive boolean whether the server keeps the connection open

---The limits of `read_request` and `read_response`.
---@class http.limits
---@field max_line? integer bytes of the start line or of one header line, CRLF included (8192)
---@field max_head? integer bytes of all the header lines (32768)
---@field max_headers? integer header lines (100)
---@field max_body? integer bytes of a request's body; of a body read whole (1048576)
---@field timeout? number seconds for the whole message from its first byte (default: the socket's timeout)
---@field idle? number seconds to wait for a request's first byte (read_request)
---@field method? string the request's method, if not sent with `http.request` (read_response)

---The next request on conn; `nil` at the end of the stream; `nil` and an error value with the status to answer for a request to refuse.
---@param conn socket.socket
---@param limits? http.limits
---@return http.request|nil
---@return socket.error? err
function http.read_request(conn, limits) end

---Sends a response (Content-Length from a string body, chunked from a function); returns whether the connection stays open.
---@param conn socket.socket
---@param status integer
---@param headers? table|http.headers
---@param body? string|fun(): string?
---@param req? http.request
---@return boolean keep
function http.write_response(conn, status, headers, body, req) end

---Sends a short text response for an error status (or an error value of `read_request`) that closes the connection.
---@param conn socket.socket
---@param status integer|socket.error
---@param message? string
function http.send_error(conn, status, message) end

---Sends a request (Host from the peer's address unless given).
---@param conn socket.socket
---@param method string
---@param target string
---@param headers? table|http.headers
---@param body? string|fun(): string?
function http.request(conn, method, target, headers, body) end

---The next response on conn.
---@param conn socket.socket
---@param limits? http.limits
---@return http.response
function http.read_response(conn, limits) end

---The value of the first header line named name, in any case; default (or nil) if there is none.
---@param name string
---@param default? string
---@return string?
function headers:get(name, default) end

---The values of every header line named name, in order: a list, empty if none.
---@param name string
---@return string[]
function headers:get_all(name) end

---An iterator over the header lines in order: `for name, value in h:items() do ... end`.
---@return fun(): string, string
function headers:items() end

---All of the body (n absent), or the next piece of at most n bytes; `""` at its end.
---@param n? integer
---@return string|nil
---@return socket.error? err
function body:read(n) end
