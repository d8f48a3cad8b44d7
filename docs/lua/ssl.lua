---@meta ssl
-- sockrun's ssl, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/ssl.md.

---Options of `ctx:wrap_socket`.
---@class ssl.wrapoptions
---@field server_side? boolean this is the server's end
---@field server_hostname? string the name the server's certificate must match
---@field do_handshake_on_connect? boolean `false` to run the handshake later, with `do_handshake`

---Python's ssl module: TLS over sockets, with Go's crypto/tls.
---@class ssllib
---@field Purpose {SERVER_AUTH: string, CLIENT_AUTH: string} what `create_default_context` makes a context for
---@field TLSVersion {TLSv1: integer, TLSv1_1: integer, TLSv1_2: integer, TLSv1_3: integer, MINIMUM_SUPPORTED: integer, MAXIMUM_SUPPORTED: integer} TLS versions, for `minimum_version` and `maximum_version`
ssl = {}

---A context with secure defaults: for a client (Purpose.SERVER_AUTH, default) or a server (Purpose.CLIENT_AUTH).
---@param purpose? string
---@return ssl.context
function ssl.create_default_context(purpose) end

---A context for `PROTOCOL_TLS_CLIENT` (default) or `PROTOCOL_TLS_SERVER`.
---@param protocol? integer `ssl.PROTOCOL_*`: the side a context is for
---@return ssl.context
function ssl.SSLContext(protocol) end

---A TLS context: certificates, verification, versions.
---@class ssl.context
---@field check_hostname boolean whether the peer's certificate must match server_hostname
---@field verify_mode integer `CERT_NONE`, `CERT_OPTIONAL` or `CERT_REQUIRED`
---@field minimum_version integer the lowest TLS version allowed (ssl.TLSVersion)
---@field maximum_version integer the highest TLS version allowed (ssl.TLSVersion)
local ctx = {}

---Loads this side's certificate chain and private key (PEM).
---@param certfile string
---@param keyfile? string
function ctx:load_cert_chain(certfile, keyfile) end

---Trusts the CA certificates in `cafile` (PEM) for verifying the peer.
---@param cafile string
function ctx:load_verify_locations(cafile) end

---Trusts the system's CA certificates too.
function ctx:load_default_certs() end

---The ALPN `protocols` to offer or accept, most preferred first.
---@param protocols string[]
function ctx:set_alpn_protocols(protocols) end

---Lays TLS over `sock` and returns it as an SSL socket; `options` server_side, server_hostname, do_handshake_on_connect.
---@param sock socket.socket
---@param options? ssl.wrapoptions
---@return ssl.socket
function ctx:wrap_socket(sock, options) end

---A socket with a TLS layer: every socket method, and these.
---@class ssl.socket: socket.socket
local ssock = {}

---The TLS version in use: `"TLSv1.3"`.
---@return string
function ssock:version() end

---The cipher suite in use: {name, version, bits}.
---@return {[1]: string, [2]: string, [3]: integer}
function ssock:cipher() end

---The peer's certificate as a table, or its DER bytes.
---@param binary_form? boolean
---@return table|string|nil
function ssock:getpeercert(binary_form) end

---The protocol ALPN agreed on, or `nil`.
---@return string?
function ssock:selected_alpn_protocol() end

---Runs the TLS handshake now, if it has not run.
function ssock:do_handshake() end

return ssl
