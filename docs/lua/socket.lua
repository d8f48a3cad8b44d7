---@meta socket
-- sockrun's socket, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/api.md.

---An address: `{host, port}` (also `addr.host`, `addr.port`), as Python's `(host, port)` tuple; `tostring(addr)` is `127.0.0.1:9000`. An `AF_UNIX` address is a path string.
---@class socket.address
---@field [1] string the host
---@field [2] integer the port
---@field host string the host: `addr[1]`
---@field port integer the port: `addr[2]`

---An address as an argument: `{host, port}`, `{host = h, port = p}`, a returned address, or an `AF_UNIX` path.
---@alias socket.addresslike socket.address|{[1]: string, [2]: integer}|{host: string, port: integer}|string

---The error value a failed call raises: catch it with `pcall`, compare `err.name` (never `err.errno`: the numbers differ between systems). `tostring(err)` is Python's line: `ConnectionRefusedError: [Errno 111] Connection refused (connect 127.0.0.1:9)`.
---@class socket.error
---@field class string Python's exception class: `"ConnectionRefusedError"`, `"TimeoutError"`, `"socket.gaierror"`
---@field errno integer the error number; negative for name resolution; `0` if there is none
---@field name string the errno's name: `"ECONNREFUSED"`, `"EAI_NONAME"`; `""` if there is none
---@field message string the system's message: `"Connection refused"`
---@field op string the call that failed: `"connect"`
---@field addr? string the address it concerned, if any: `"127.0.0.1:9"`
---@field where? string the script's file and line that made the call: `"server.lua:12"`
---@field explanation? string one line on the likely cause, when it is a common mistake
---@field partial? string what a framing read got before the stream ended (`EOFError` only)

---An entry of `socket.getaddrinfo`'s result.
---@class socket.addrinfo
---@field [1] integer family
---@field [2] integer type
---@field [3] integer proto
---@field [4] string canonname
---@field [5] socket.address address
---@field family integer
---@field type integer
---@field proto integer
---@field canonname string
---@field addr socket.address

---Options of `socket.create_server`.
---@class socket.serveroptions
---@field backlog? integer the listen backlog (128)
---@field reuse_port? boolean set `SO_REUSEPORT`
---@field family? integer `AF_INET`, or `AF_INET6` for an IPv6 literal
---@field dualstack_ipv6? boolean with `AF_INET6`: take IPv4 connections too

---A control message: `{level, type, data}`.
---@alias socket.ancdata {[1]: integer, [2]: integer, [3]: string}

---Python's socket module: sockets, addresses, name lookups, constants.
---@class socketlib
---@field errorcode table<integer, string> the name of each errno: `socket.errorcode[socket.ECONNREFUSED] == "ECONNREFUSED"`
---@field has_ipv6 boolean `true`
socket = {}

---A new socket, `AF_INET` and `SOCK_STREAM` by default; with `fileno`, a socket object for that descriptor.
---@param family? integer `socket.AF_*`: an address family
---@param type? integer `socket.SOCK_*`: a socket type
---@param proto? integer `socket.IPPROTO_*`: a protocol
---@param fileno? integer
---@return socket.socket
function socket.socket(family, type, proto, fileno) end

---Two connected sockets, `AF_UNIX` and `SOCK_STREAM` by default.
---@param family? integer `socket.AF_*`: an address family
---@param type? integer `socket.SOCK_*`: a socket type
---@param proto? integer `socket.IPPROTO_*`: a protocol
---@return socket.socket
---@return socket.socket
function socket.socketpair(family, type, proto) end

---A socket on a duplicate of the descriptor `fd`.
---@param fd integer
---@param family? integer `socket.AF_*`: an address family
---@param type? integer `socket.SOCK_*`: a socket type
---@param proto? integer `socket.IPPROTO_*`: a protocol
---@return socket.socket
function socket.fromfd(fd, family, type, proto) end

---The listening sockets a service manager handed the run (socket activation: `LISTEN_FDS`), and their names.
---@return socket.socket[] socks
---@return string[] names
function socket.listen_fds() end

---Closes a descriptor that is not a socket object.
---@param fd integer
function socket.close(fd) end

---Sends data with descriptors (`SCM_RIGHTS`) over a unix socket; returns the count sent.
---@param sock socket.socket
---@param buffers string|string[]
---@param fds integer[]
---@param flags? integer `socket.MSG_*`, or-ed together: flags of send and recv
---@param address? socket.addresslike
---@return integer
function socket.send_fds(sock, buffers, fds, flags, address) end

---Receives data and descriptors: data, fds, msg_flags, address.
---@param sock socket.socket
---@param bufsize integer
---@param maxfds integer
---@param flags? integer `socket.MSG_*`, or-ed together: flags of send and recv
---@return string data
---@return integer[] fds
---@return integer msg_flags
---@return socket.address|string|nil address
function socket.recv_fds(sock, bufsize, maxfds, flags) end

---The length of a control message of `n` data bytes.
---@param n integer
---@return integer
function socket.CMSG_LEN(n) end

---The room a control message of `n` data bytes takes, for recvmsg's ancbufsize.
---@param n integer
---@return integer
function socket.CMSG_SPACE(n) end

---The host's name, aliases and addresses, by reverse lookup.
---@param ip_or_name string
---@return string hostname
---@return string[] aliases
---@return string[] addresses
function socket.gethostbyaddr(ip_or_name) end

---The host name and service name of an `address`.
---@param address socket.addresslike
---@param flags integer `socket.NI_*`, or-ed together: flags of getnameinfo
---@return string host
---@return string port
function socket.getnameinfo(address, flags) end

---The port of a service (/etc/services).
---@param name string
---@param proto? string
---@return integer
function socket.getservbyname(name, proto) end

---The name of the service on a `port`.
---@param port integer
---@param proto? string
---@return string
function socket.getservbyport(port, proto) end

---One line on the likely cause of an error value, or `nil`.
---@param err socket.error|any
---@return string?
function socket.explain(err) end

---A TCP socket connected to the first `address` of host that answers.
---@param address socket.addresslike
---@param timeout? number
---@return socket.socket
function socket.create_connection(address, timeout) end

---A listening TCP socket with `SO_REUSEADDR`.
---@param address socket.addresslike
---@param options? socket.serveroptions
---@return socket.socket
function socket.create_server(address, options) end

---The host's first IPv4 address.
---@param host string
---@return string
function socket.gethostbyname(host) end

---The canonical name, aliases and IPv4 addresses of `host`.
---@param host string
---@return string hostname
---@return string[] aliases
---@return string[] addresses
function socket.gethostbyname_ex(host) end

---This machine's host name.
---@return string
function socket.gethostname() end

---The addresses to connect or bind to, as Python returns them.
---@param host string?
---@param port integer|string|nil
---@param family? integer `socket.AF_*`: an address family
---@param type? integer `socket.SOCK_*`: a socket type
---@param proto? integer `socket.IPPROTO_*`: a protocol
---@param flags? integer `socket.AI_*`, or-ed together: flags of getaddrinfo
---@return socket.addrinfo[]
function socket.getaddrinfo(host, port, family, type, proto, flags) end

---The fully qualified `name` of `name` or of this machine.
---@param name? string
---@return string
function socket.getfqdn(name) end

---An IPv4 or IPv6 address packed in 4 or 16 bytes.
---@param family integer `socket.AF_*`: an address family
---@param text string
---@return string
function socket.inet_pton(family, text) end

---The text form of a `packed` address.
---@param family integer `socket.AF_*`: an address family
---@param packed string
---@return string
function socket.inet_ntop(family, packed) end

---An IPv4 address packed in 4 bytes, as C's inet_aton reads it.
---@param text string
---@return string
function socket.inet_aton(text) end

---The dotted text of a `packed` IPv4 address.
---@param packed string
---@return string
function socket.inet_ntoa(packed) end

---A 16-bit number in network byte order.
---@param n integer
---@return integer
function socket.htons(n) end

---A 16-bit number from network byte order.
---@param n integer
---@return integer
function socket.ntohs(n) end

---A 32-bit number in network byte order.
---@param n integer
---@return integer
function socket.htonl(n) end

---A 32-bit number from network byte order.
---@param n integer
---@return integer
function socket.ntohl(n) end

---Waits, letting other threads run.
---@param seconds number
function socket.sleep(seconds) end

---Monotonic seconds, for measuring intervals.
---@return number
function socket.time() end

---The timeout new sockets get, `nil` for blocking.
---@return number?
function socket.getdefaulttimeout() end

---Sets the timeout new sockets get: `nil` blocking, 0 non-blocking, `seconds` a deadline for each call.
---@param seconds number?
function socket.setdefaulttimeout(seconds) end

---A socket object, as Python's.
---@class socket.socket
---@field family integer the family: `socket.AF_INET`, ... (read-only)
---@field type integer the type: `socket.SOCK_STREAM`, ... (read-only)
---@field proto integer the protocol (read-only)
local sock = {}

---Binds the socket to a local `address`.
---@param address socket.addresslike
---@overload fun(self: socket.socket, host: string, port: integer)
function sock:bind(address) end

---Makes the socket accept connections.
---@param backlog? integer
function sock:listen(backlog) end

---Waits for a connection; returns conn, address.
---@return socket.socket conn
---@return socket.address|string address
function sock:accept() end

---Connects to a remote `address`.
---@param address socket.addresslike
---@overload fun(self: socket.socket, host: string, port: integer)
function sock:connect(address) end

---Connects; returns 0 or the errno instead of raising.
---@param address socket.addresslike
---@return integer errno
---@overload fun(self: socket.socket, host: string, port: integer): integer
function sock:connect_ex(address) end

---Sends what the kernel takes now; returns the count sent.
---@param data string
---@param flags? integer `socket.MSG_*`, or-ed together: flags of send and recv
---@return integer
function sock:send(data, flags) end

---Sends all of `data`, waiting as needed.
---@param data string
---@param flags? integer `socket.MSG_*`, or-ed together: flags of send and recv
function sock:sendall(data, flags) end

---Waits for data; returns up to `bufsize` bytes, `""` at end of stream.
---@param bufsize integer
---@param flags? integer `socket.MSG_*`, or-ed together: flags of send and recv
---@return string
function sock:recv(bufsize, flags) end

---Sends a datagram to `address`; returns the count sent.
---@param data string
---@param flags? integer `socket.MSG_*`, or-ed together: flags of send and recv
---@param address socket.addresslike
---@return integer
---@overload fun(self: socket.socket, data: string, address: socket.addresslike): integer
function sock:sendto(data, flags, address) end

---Waits for a datagram; returns data, address.
---@param bufsize integer
---@param flags? integer `socket.MSG_*`, or-ed together: flags of send and recv
---@return string data
---@return socket.address|string|nil address
function sock:recvfrom(bufsize, flags) end

---Shuts down reading (`SHUT_RD`), writing (`SHUT_WR`) or both (`SHUT_RDWR`).
---@param how integer `socket.SHUT_*`: what shutdown shuts down
function sock:shutdown(how) end

---Closes the socket.
function sock:close() end

---`nil` blocks, 0 is non-blocking, `seconds` a deadline for each call.
---@param seconds number?
function sock:settimeout(seconds) end

---The timeout in seconds, or `nil`.
---@return number?
function sock:gettimeout() end

---`true` is `settimeout(nil)`, `false` `settimeout(0)`.
---@param flag boolean|integer
function sock:setblocking(flag) end

---`false` in non-blocking mode.
---@return boolean
function sock:getblocking() end

---Sets a socket `option`.
---@param level integer `socket.SOL_SOCKET`, `socket.IPPROTO_TCP`, `socket.IPPROTO_IP`, `socket.IPPROTO_IPV6`, `socket.IPPROTO_UDP`: the level of an option: SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6
---@param option integer `socket.SO_*`: an option of the level: SO_* (SOL_SOCKET), TCP_*, IP_*, IPV6_*
---@param value integer|boolean|string|{[1]: integer, [2]: integer}
function sock:setsockopt(level, option, value) end

---An option's value, or `buflen` raw bytes of it.
---@param level integer `socket.SOL_SOCKET`, `socket.IPPROTO_TCP`, `socket.IPPROTO_IP`, `socket.IPPROTO_IPV6`, `socket.IPPROTO_UDP`: the level of an option: SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6
---@param option integer `socket.SO_*`: an option of the level: SO_* (SOL_SOCKET), TCP_*, IP_*, IPV6_*
---@param buflen? integer
---@return integer|string
function sock:getsockopt(level, option, buflen) end

---The local address.
---@return socket.address|string
function sock:getsockname() end

---The remote address.
---@return socket.address|string
function sock:getpeername() end

---The descriptor, or -1 once closed.
---@return integer
function sock:fileno() end

---Exactly `n` bytes; raises EOFError with err.partial if the stream ends first.
---@param n integer
---@return string
function sock:recv_exactly(n) end

---The next line without its end of line, `nil` at the end of the stream.
---@param max? integer
---@return string?
function sock:recvline(max) end

---The bytes up to and including `delim`.
---@param delim string
---@param max? integer
---@return string
function sock:recvuntil(delim, max) end

---An iterator over the lines received.
---@param max? integer
---@return fun(): string?
function sock:lines(max) end

---A buffered file over the socket, as Python's: `"r"` (default), `"w"`, `"rw"`.
---@param mode? string
---@return socket.file
function sock:makefile(mode) end

---A new socket object on a duplicate of the descriptor.
---@return socket.socket
function sock:dup() end

---Sends a `file` (a path or an io `file`) and returns the `count` sent.
---@param file string|file*
---@param offset? integer
---@param count? integer
---@return integer
function sock:sendfile(file, offset, count) end

---Sends `buffers` with ancillary data; returns the count sent.
---@param buffers string|string[]
---@param ancdata? socket.ancdata[]
---@param flags? integer `socket.MSG_*`, or-ed together: flags of send and recv
---@param address? socket.addresslike
---@return integer
function sock:sendmsg(buffers, ancdata, flags, address) end

---Receives data and ancillary data: data, ancdata, msg_flags, address.
---@param bufsize integer
---@param ancbufsize? integer
---@param flags? integer `socket.MSG_*`, or-ed together: flags of send and recv
---@return string data
---@return socket.ancdata[] ancdata
---@return integer msg_flags
---@return socket.address|string|nil address
function sock:recvmsg(bufsize, ancbufsize, flags) end

---A file over a socket: `sock:makefile(mode)`.
---@class socket.file
local f = {}

---`n` bytes, fewer only at the end of the stream; with no `n`, all until the end.
---@param n? integer
---@return string
function f:read(n) end

---The next line with its `"\n"`, `""` at the end of the stream.
---@param max? integer
---@return string
function f:readline(max) end

---An iterator over the lines, without their end of line.
---@param max? integer
---@return fun(): string?
function f:lines(max) end

---Buffers `data` to send; returns its length.
---@param data string
---@return integer
function f:write(data) end

---Sends what write buffered.
function f:flush() end

---Flushes and closes the file (not the socket).
function f:close() end

return socket
