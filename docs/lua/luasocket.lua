---@meta
-- sockrun's socket, socket.unix, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- See docs/luasocket.md.

---What `socket.dns.toip` and `socket.dns.tohostname` found.
---@class socket.dnsresolved
---@field name string the canonical name
---@field alias string[] other names
---@field ip string[] the addresses

-- LuaSocket's API: tcp, udp and unix objects, select, dns, and the helpers LuaSocket's Lua modules use.
---@class socketlib
---@field _VERSION string `"LuaSocket 3.1.0"`: the LuaSocket API this face follows
---@field _SETSIZE integer the most descriptors `socket.select` takes: the process's limit of open files
---@field _SOCKETINVALID integer `-1`: what `getfd` returns for an object with no descriptor
---@field _DATAGRAMSIZE integer `8192`: the default size of `udp:receive`
---@field BLOCKSIZE integer `2048`: the chunk size of `socket.source`
---@field sinkt table<string, fun(sock: any): function> the modes of `socket.sink` (`"keep-open"`, `"close-when-done"`); libraries add their own
---@field sourcet table<string, fun(sock: any, length?: integer): function> the modes of `socket.source` (`"until-closed"`, `"by-length"`); libraries add their own
---@field dns socket.dnslib LuaSocket's name lookups
---@field unix socket.unixlib LuaSocket's unix domain sockets (also `require("socket.unix")`)
socket = {}

---LuaSocket's name lookups.
---@class socket.dnslib
socket.dns = {}

---A new TCP master object; its family is chosen at bind or connect.
---@return tcp.master|nil
---@return string? err
function socket.tcp() end

---A new IPv4 TCP master object.
---@return tcp.master|nil
---@return string? err
function socket.tcp4() end

---A new IPv6 TCP master object (IPv6 only).
---@return tcp.master|nil
---@return string? err
function socket.tcp6() end

---A new unconnected UDP object; its family is chosen at first use.
---@return udp.unconnected|nil
---@return string? err
function socket.udp() end

---A new unconnected IPv4 UDP object.
---@return udp.unconnected|nil
---@return string? err
function socket.udp4() end

---A new unconnected IPv6 UDP object (IPv6 only).
---@return udp.unconnected|nil
---@return string? err
function socket.udp6() end

---A TCP client object connected to `address`, or `nil`, err.
---@param address string
---@param port integer|string
---@param laddress? string
---@param lport? integer|string
---@param family? "inet"|"inet6"|"unspec"
---@return tcp.client|nil
---@return string? err
function socket.connect(address, port, laddress, lport, family) end

---socket.connect over IPv4.
---@param address string
---@param port integer|string
---@param laddress? string
---@param lport? integer|string
---@return tcp.client|nil
---@return string? err
function socket.connect4(address, port, laddress, lport) end

---socket.connect over IPv6.
---@param address string
---@param port integer|string
---@param laddress? string
---@param lport? integer|string
---@return tcp.client|nil
---@return string? err
function socket.connect6(address, port, laddress, lport) end

---A TCP server object bound to `address` and listening, or `nil`, err.
---@param address string
---@param port integer|string
---@param backlog? integer
---@return tcp.server|nil
---@return string? err
function socket.bind(address, port, backlog) end

---Waits until objects of `recvt` are readable or of `sendt` writable; returns the two lists, or with `"timeout"`.
---@param recvt table|nil
---@param sendt table|nil
---@param timeout? number
---@return table readable
---@return table writable
---@return string? err
function socket.select(recvt, sendt, timeout) end

---The time in seconds since the epoch, with fractions.
---@return number
function socket.gettime() end

---A function that calls `func` and returns `nil`, err for an error raised by try.
---@param func function
---@return function
function socket.protect(func) end

---A try function that calls `finalizer` before it raises.
---@param finalizer? fun()
---@return fun(ret1: any, ...: any): ...
function socket.newtry(finalizer) end

---Returns its arguments, or raises ret2 (for protect) if `ret1` is `nil` or `false`.
---@param ret1 any
---@param ... any
---@return ...
function socket.try(ret1, ...) end

---Its arguments after the first `d`.
---@param d integer
---@param ret1? any
---@param ... any
---@return ...
function socket.skip(d, ret1, ...) end

---A function that calls table[name](opt1, opt2) for its first argument name.
---@param table table<any, function>
---@return fun(name: any, opt1: any, opt2: any): ...
function socket.choose(table) end

---An LTN12 sink that sends to `sock` (`"keep-open"`, `"close-when-done"`).
---@param mode? "keep-open"|"close-when-done"
---@param sock tcp.client|unix.client|any
---@return function
---@overload fun(sock: tcp.client|unix.client|any): function
function socket.sink(mode, sock) end

---An LTN12 source that receives from `sock` (`"until-closed"`, `"by-length"`).
---@param mode "until-closed"|"by-length"
---@param sock tcp.client|unix.client|any
---@param length? integer
---@return function
function socket.source(mode, sock, length) end

---The first IPv4 `address` of a name, and what the lookup found; or `nil`, err.
---@param address string
---@return string|nil
---@return socket.dnsresolved|string
function socket.dns.toip(address) end

---The canonical name of a name or `address`, and what the lookup found; or `nil`, err.
---@param address string
---@return string|nil
---@return socket.dnsresolved|string
function socket.dns.tohostname(address) end

---This machine's host name.
---@return string
function socket.dns.gethostname() end

---Every `address` of a name: a list of {family = `"inet"` | `"inet6"`, addr = ...}; or `nil`, err.
---@param address string
---@return {family: "inet"|"inet6", addr: string}[]|nil
---@return string? err
function socket.dns.getaddrinfo(address) end

---The names of an `address` (a list), and the service name of `port`; or `nil`, err.
---@param address string|nil
---@param port? integer|string
---@return string[]|nil
---@return string? service_or_err
function socket.dns.getnameinfo(address, port) end

---A TCP object (`tcp{master}`) before bind or connect: listen makes it a server, connect a client.
---@class tcp.master
local tcp = {}

---Waits for a connection; returns a tcp{client} object, or `nil`, err.
---@return tcp.client|nil
---@return string? err
function tcp:accept() end

---Binds to a local `address` (`"*"`: any); returns 1, or `nil`, err.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:bind(address, port) end

---Closes the object's socket; returns 1.
---@return 1
function tcp:close() end

---Connects to a remote `address`; returns 1, or `nil`, err.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:connect(address, port) end

---`true` if received bytes wait in the object's buffer.
---@return boolean
function tcp:dirty() end

---The family: `"inet4"` or `"inet6"`.
---@return "inet4"|"inet6"
function tcp:getfamily() end

---The descriptor, -1 if none.
---@return integer
function tcp:getfd() end

---The value of a named option, or `nil`, err.
---@param name string
---@return any
---@return string? err
function tcp:getoption(name) end

---The peer's address, port and family, or `nil`, err.
---@return string|nil
---@return integer|string|nil port_or_err
---@return string? family
function tcp:getpeername() end

---The local address, port and family, or `nil`, err.
---@return string|nil
---@return integer|string|nil port_or_err
---@return string? family
function tcp:getsockname() end

---Bytes received, bytes sent, and the object's age in seconds.
---@return integer received
---@return integer sent
---@return number age
function tcp:getstats() end

---Resets the counters of getstats; returns 1.
---@param received integer
---@param sent integer
---@param age number
---@return 1
function tcp:setstats(received, sent, age) end

---The block and total timeouts (-1: none).
---@return number block
---@return number total
function tcp:gettimeout() end

---Makes a master a server that accepts connections; returns 1, or `nil`, err.
---@param backlog? integer
---@return 1|nil
---@return string? err
function tcp:listen(backlog) end

---Reads a line (`"*l"`), everything (`"*a"`) or n bytes; returns data, or `nil`, err, partial.
---@param pattern? "*l"|"*a"|integer
---@param prefix? string
---@return string|nil
---@return string? err
---@return string? partial
function tcp:receive(pattern, prefix) end

---Sends data:sub(i, `j`); returns the index of the last byte sent, or `nil`, err, last.
---@param data string
---@param i? integer
---@param j? integer
---@return integer|nil
---@return string? err
---@return integer? last
function tcp:send(data, i, j) end

---Makes the object use a duplicate of descriptor `fd`.
---@param fd integer
function tcp:setfd(fd) end

---Sets a named option; returns 1, or `nil`, err.
---@param name string
---@param value? any
---@return 1|nil
---@return string? err
function tcp:setoption(name, value) end

---The same as connect.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:setpeername(address, port) end

---The same as bind.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:setsockname(address, port) end

---Sets the block (`"b"`) or total (`"t"`) timeout; `nil` or negative: none.
---@param value number|nil
---@param mode? "b"|"t"
---@return 1
function tcp:settimeout(value, mode) end

---Shuts down `"receive"`, `"send"` or `"both"`; returns 1.
---@param mode? "receive"|"send"|"both"
---@return 1
function tcp:shutdown(mode) end

---A connected TCP object (`tcp{client}`): receive and send.
---@class tcp.client
local tcp = {}

---Waits for a connection; returns a tcp{client} object, or `nil`, err.
---@return tcp.client|nil
---@return string? err
function tcp:accept() end

---Binds to a local `address` (`"*"`: any); returns 1, or `nil`, err.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:bind(address, port) end

---Closes the object's socket; returns 1.
---@return 1
function tcp:close() end

---Connects to a remote `address`; returns 1, or `nil`, err.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:connect(address, port) end

---`true` if received bytes wait in the object's buffer.
---@return boolean
function tcp:dirty() end

---The family: `"inet4"` or `"inet6"`.
---@return "inet4"|"inet6"
function tcp:getfamily() end

---The descriptor, -1 if none.
---@return integer
function tcp:getfd() end

---The value of a named option, or `nil`, err.
---@param name string
---@return any
---@return string? err
function tcp:getoption(name) end

---The peer's address, port and family, or `nil`, err.
---@return string|nil
---@return integer|string|nil port_or_err
---@return string? family
function tcp:getpeername() end

---The local address, port and family, or `nil`, err.
---@return string|nil
---@return integer|string|nil port_or_err
---@return string? family
function tcp:getsockname() end

---Bytes received, bytes sent, and the object's age in seconds.
---@return integer received
---@return integer sent
---@return number age
function tcp:getstats() end

---Resets the counters of getstats; returns 1.
---@param received integer
---@param sent integer
---@param age number
---@return 1
function tcp:setstats(received, sent, age) end

---The block and total timeouts (-1: none).
---@return number block
---@return number total
function tcp:gettimeout() end

---Makes a master a server that accepts connections; returns 1, or `nil`, err.
---@param backlog? integer
---@return 1|nil
---@return string? err
function tcp:listen(backlog) end

---Reads a line (`"*l"`), everything (`"*a"`) or n bytes; returns data, or `nil`, err, partial.
---@param pattern? "*l"|"*a"|integer
---@param prefix? string
---@return string|nil
---@return string? err
---@return string? partial
function tcp:receive(pattern, prefix) end

---Sends data:sub(i, `j`); returns the index of the last byte sent, or `nil`, err, last.
---@param data string
---@param i? integer
---@param j? integer
---@return integer|nil
---@return string? err
---@return integer? last
function tcp:send(data, i, j) end

---Makes the object use a duplicate of descriptor `fd`.
---@param fd integer
function tcp:setfd(fd) end

---Sets a named option; returns 1, or `nil`, err.
---@param name string
---@param value? any
---@return 1|nil
---@return string? err
function tcp:setoption(name, value) end

---The same as connect.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:setpeername(address, port) end

---The same as bind.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:setsockname(address, port) end

---Sets the block (`"b"`) or total (`"t"`) timeout; `nil` or negative: none.
---@param value number|nil
---@param mode? "b"|"t"
---@return 1
function tcp:settimeout(value, mode) end

---Shuts down `"receive"`, `"send"` or `"both"`; returns 1.
---@param mode? "receive"|"send"|"both"
---@return 1
function tcp:shutdown(mode) end

---A listening TCP object (`tcp{server}`): accept returns clients.
---@class tcp.server
local tcp = {}

---Waits for a connection; returns a tcp{client} object, or `nil`, err.
---@return tcp.client|nil
---@return string? err
function tcp:accept() end

---Binds to a local `address` (`"*"`: any); returns 1, or `nil`, err.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:bind(address, port) end

---Closes the object's socket; returns 1.
---@return 1
function tcp:close() end

---Connects to a remote `address`; returns 1, or `nil`, err.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:connect(address, port) end

---`true` if received bytes wait in the object's buffer.
---@return boolean
function tcp:dirty() end

---The family: `"inet4"` or `"inet6"`.
---@return "inet4"|"inet6"
function tcp:getfamily() end

---The descriptor, -1 if none.
---@return integer
function tcp:getfd() end

---The value of a named option, or `nil`, err.
---@param name string
---@return any
---@return string? err
function tcp:getoption(name) end

---The peer's address, port and family, or `nil`, err.
---@return string|nil
---@return integer|string|nil port_or_err
---@return string? family
function tcp:getpeername() end

---The local address, port and family, or `nil`, err.
---@return string|nil
---@return integer|string|nil port_or_err
---@return string? family
function tcp:getsockname() end

---Bytes received, bytes sent, and the object's age in seconds.
---@return integer received
---@return integer sent
---@return number age
function tcp:getstats() end

---Resets the counters of getstats; returns 1.
---@param received integer
---@param sent integer
---@param age number
---@return 1
function tcp:setstats(received, sent, age) end

---The block and total timeouts (-1: none).
---@return number block
---@return number total
function tcp:gettimeout() end

---Makes a master a server that accepts connections; returns 1, or `nil`, err.
---@param backlog? integer
---@return 1|nil
---@return string? err
function tcp:listen(backlog) end

---Reads a line (`"*l"`), everything (`"*a"`) or n bytes; returns data, or `nil`, err, partial.
---@param pattern? "*l"|"*a"|integer
---@param prefix? string
---@return string|nil
---@return string? err
---@return string? partial
function tcp:receive(pattern, prefix) end

---Sends data:sub(i, `j`); returns the index of the last byte sent, or `nil`, err, last.
---@param data string
---@param i? integer
---@param j? integer
---@return integer|nil
---@return string? err
---@return integer? last
function tcp:send(data, i, j) end

---Makes the object use a duplicate of descriptor `fd`.
---@param fd integer
function tcp:setfd(fd) end

---Sets a named option; returns 1, or `nil`, err.
---@param name string
---@param value? any
---@return 1|nil
---@return string? err
function tcp:setoption(name, value) end

---The same as connect.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:setpeername(address, port) end

---The same as bind.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function tcp:setsockname(address, port) end

---Sets the block (`"b"`) or total (`"t"`) timeout; `nil` or negative: none.
---@param value number|nil
---@param mode? "b"|"t"
---@return 1
function tcp:settimeout(value, mode) end

---Shuts down `"receive"`, `"send"` or `"both"`; returns 1.
---@param mode? "receive"|"send"|"both"
---@return 1
function tcp:shutdown(mode) end

---A UDP object with no peer (`udp{unconnected}`): sendto and receivefrom.
---@class udp.unconnected
local udp = {}

---Closes the object's socket; returns 1.
---@return 1
function udp:close() end

---`true` if datagrams read ahead wait in the object's queue.
---@return false
function udp:dirty() end

---The family: `"inet4"` or `"inet6"`.
---@return "inet4"|"inet6"
function udp:getfamily() end

---The descriptor, -1 if none.
---@return integer
function udp:getfd() end

---The value of a named option, or `nil`, err.
---@param name string
---@return any
---@return string? err
function udp:getoption(name) end

---The peer's address, port and family (connected only).
---@return string|nil
---@return integer|string|nil port_or_err
---@return string? family
function udp:getpeername() end

---The local address, port and family, or `nil`, err.
---@return string|nil
---@return integer|string|nil port_or_err
---@return string? family
function udp:getsockname() end

---Waits for a datagram; returns up to `size` bytes of it (8192), or `nil`, err.
---@param size? integer
---@return string|nil
---@return string? err
function udp:receive(size) end

---Waits for a datagram; returns data, address, port (unconnected only).
---@param size? integer
---@return string|nil
---@return string address_or_err
---@return integer? port
function udp:receivefrom(size) end

---Sends a `datagram` to the peer (connected only); returns the count sent.
---@param datagram string
---@return integer|nil
---@return string? err
function udp:send(datagram) end

---Sends a `datagram` to a numeric `address` (unconnected only).
---@param datagram string
---@param address string
---@param port integer|string
---@return integer|nil
---@return string? err
function udp:sendto(datagram, address, port) end

---Makes the object use a duplicate of descriptor `fd`.
---@param fd integer
function udp:setfd(fd) end

---Sets a named option; returns 1, or `nil`, err.
---@param name string
---@param value? any
---@return 1|nil
---@return string? err
function udp:setoption(name, value) end

---Connects to a peer (`"*"`: disconnects); returns 1, or `nil`, err.
---@param address string
---@param port? integer|string
---@return 1|nil
---@return string? err
function udp:setpeername(address, port) end

---Binds to a local `address` (`"*"`: any); returns 1, or `nil`, err.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function udp:setsockname(address, port) end

---Sets the block (`"b"`) or total (`"t"`) timeout; `nil` or negative: none.
---@param value number|nil
---@param mode? "b"|"t"
---@return 1
function udp:settimeout(value, mode) end

---The block and total timeouts (-1: none).
---@return number block
---@return number total
function udp:gettimeout() end

---A UDP object with a peer (`udp{connected}`, setpeername): send and receive.
---@class udp.connected
local udp = {}

---Closes the object's socket; returns 1.
---@return 1
function udp:close() end

---`true` if datagrams read ahead wait in the object's queue.
---@return false
function udp:dirty() end

---The family: `"inet4"` or `"inet6"`.
---@return "inet4"|"inet6"
function udp:getfamily() end

---The descriptor, -1 if none.
---@return integer
function udp:getfd() end

---The value of a named option, or `nil`, err.
---@param name string
---@return any
---@return string? err
function udp:getoption(name) end

---The peer's address, port and family (connected only).
---@return string|nil
---@return integer|string|nil port_or_err
---@return string? family
function udp:getpeername() end

---The local address, port and family, or `nil`, err.
---@return string|nil
---@return integer|string|nil port_or_err
---@return string? family
function udp:getsockname() end

---Waits for a datagram; returns up to `size` bytes of it (8192), or `nil`, err.
---@param size? integer
---@return string|nil
---@return string? err
function udp:receive(size) end

---Waits for a datagram; returns data, address, port (unconnected only).
---@param size? integer
---@return string|nil
---@return string address_or_err
---@return integer? port
function udp:receivefrom(size) end

---Sends a `datagram` to the peer (connected only); returns the count sent.
---@param datagram string
---@return integer|nil
---@return string? err
function udp:send(datagram) end

---Sends a `datagram` to a numeric `address` (unconnected only).
---@param datagram string
---@param address string
---@param port integer|string
---@return integer|nil
---@return string? err
function udp:sendto(datagram, address, port) end

---Makes the object use a duplicate of descriptor `fd`.
---@param fd integer
function udp:setfd(fd) end

---Sets a named option; returns 1, or `nil`, err.
---@param name string
---@param value? any
---@return 1|nil
---@return string? err
function udp:setoption(name, value) end

---Connects to a peer (`"*"`: disconnects); returns 1, or `nil`, err.
---@param address string
---@param port? integer|string
---@return 1|nil
---@return string? err
function udp:setpeername(address, port) end

---Binds to a local `address` (`"*"`: any); returns 1, or `nil`, err.
---@param address string
---@param port integer|string
---@return 1|nil
---@return string? err
function udp:setsockname(address, port) end

---Sets the block (`"b"`) or total (`"t"`) timeout; `nil` or negative: none.
---@param value number|nil
---@param mode? "b"|"t"
---@return 1
function udp:settimeout(value, mode) end

---The block and total timeouts (-1: none).
---@return number block
---@return number total
function udp:gettimeout() end

---A unix stream object (`unixstream{master}`) before bind or connect.
---@class unixstream.master
local unix = {}

---Waits for a connection; returns a unixstream{client} object, or `nil`, err.
---@return unix.client|nil
---@return string? err
function unix:accept() end

---Binds to a `path`; returns 1, or `nil`, err.
---@param path string
---@return 1|nil
---@return string? err
function unix:bind(path) end

---Closes the object's socket; returns 1.
---@return 1
function unix:close() end

---Connects to the socket at `path`; returns 1, or `nil`, err.
---@param path string
---@return 1|nil
---@return string? err
function unix:connect(path) end

---`true` if received bytes wait in the object's buffer.
---@return boolean
function unix:dirty() end

---The descriptor, -1 if none.
---@return integer
function unix:getfd() end

---The value of a named option, or `nil`, err.
---@param name string
---@return any
---@return string? err
function unix:getoption(name) end

---The peer's path, or `nil`, err.
---@return string|nil
---@return string? err
function unix:getpeername() end

---The bound path, or `nil`, err.
---@return string|nil
---@return string? err
function unix:getsockname() end

---Bytes received, bytes sent, and the object's age in seconds.
---@return integer received
---@return integer sent
---@return number age
function unix:getstats() end

---Resets the counters of getstats; returns 1.
---@param received integer
---@param sent integer
---@param age number
---@return 1
function unix:setstats(received, sent, age) end

---The block and total timeouts (-1: none).
---@return number block
---@return number total
function unix:gettimeout() end

---Makes a master a server that accepts connections; returns 1, or `nil`, err.
---@param backlog? integer
---@return 1|nil
---@return string? err
function unix:listen(backlog) end

---As tcp:receive.
---@param pattern? "*l"|"*a"|integer
---@param prefix? string
---@return string|nil
---@return string? err
---@return string? partial
function unix:receive(pattern, prefix) end

---As tcp:send.
---@param data string
---@param i? integer
---@param j? integer
---@return integer|nil
---@return string? err
---@return integer? last
function unix:send(data, i, j) end

---Makes the object use a duplicate of descriptor `fd`.
---@param fd integer
function unix:setfd(fd) end

---Sets a named option; returns 1, or `nil`, err.
---@param name string
---@param value? any
---@return 1|nil
---@return string? err
function unix:setoption(name, value) end

---The same as connect.
---@param path string
---@return 1|nil
---@return string? err
function unix:setpeername(path) end

---The same as bind.
---@param path string
---@return 1|nil
---@return string? err
function unix:setsockname(path) end

---Sets the block (`"b"`) or total (`"t"`) timeout.
---@param value number|nil
---@param mode? "b"|"t"
---@return 1
function unix:settimeout(value, mode) end

---Shuts down `"receive"`, `"send"` or `"both"`; returns 1.
---@param mode? "receive"|"send"|"both"
---@return 1
function unix:shutdown(mode) end

---A connected unix stream object (`unixstream{client}`).
---@class unixstream.client
local unix = {}

---Waits for a connection; returns a unixstream{client} object, or `nil`, err.
---@return unix.client|nil
---@return string? err
function unix:accept() end

---Binds to a `path`; returns 1, or `nil`, err.
---@param path string
---@return 1|nil
---@return string? err
function unix:bind(path) end

---Closes the object's socket; returns 1.
---@return 1
function unix:close() end

---Connects to the socket at `path`; returns 1, or `nil`, err.
---@param path string
---@return 1|nil
---@return string? err
function unix:connect(path) end

---`true` if received bytes wait in the object's buffer.
---@return boolean
function unix:dirty() end

---The descriptor, -1 if none.
---@return integer
function unix:getfd() end

---The value of a named option, or `nil`, err.
---@param name string
---@return any
---@return string? err
function unix:getoption(name) end

---The peer's path, or `nil`, err.
---@return string|nil
---@return string? err
function unix:getpeername() end

---The bound path, or `nil`, err.
---@return string|nil
---@return string? err
function unix:getsockname() end

---Bytes received, bytes sent, and the object's age in seconds.
---@return integer received
---@return integer sent
---@return number age
function unix:getstats() end

---Resets the counters of getstats; returns 1.
---@param received integer
---@param sent integer
---@param age number
---@return 1
function unix:setstats(received, sent, age) end

---The block and total timeouts (-1: none).
---@return number block
---@return number total
function unix:gettimeout() end

---Makes a master a server that accepts connections; returns 1, or `nil`, err.
---@param backlog? integer
---@return 1|nil
---@return string? err
function unix:listen(backlog) end

---As tcp:receive.
---@param pattern? "*l"|"*a"|integer
---@param prefix? string
---@return string|nil
---@return string? err
---@return string? partial
function unix:receive(pattern, prefix) end

---As tcp:send.
---@param data string
---@param i? integer
---@param j? integer
---@return integer|nil
---@return string? err
---@return integer? last
function unix:send(data, i, j) end

---Makes the object use a duplicate of descriptor `fd`.
---@param fd integer
function unix:setfd(fd) end

---Sets a named option; returns 1, or `nil`, err.
---@param name string
---@param value? any
---@return 1|nil
---@return string? err
function unix:setoption(name, value) end

---The same as connect.
---@param path string
---@return 1|nil
---@return string? err
function unix:setpeername(path) end

---The same as bind.
---@param path string
---@return 1|nil
---@return string? err
function unix:setsockname(path) end

---Sets the block (`"b"`) or total (`"t"`) timeout.
---@param value number|nil
---@param mode? "b"|"t"
---@return 1
function unix:settimeout(value, mode) end

---Shuts down `"receive"`, `"send"` or `"both"`; returns 1.
---@param mode? "receive"|"send"|"both"
---@return 1
function unix:shutdown(mode) end

---A listening unix stream object (`unixstream{server}`).
---@class unixstream.server
local unix = {}

---Waits for a connection; returns a unixstream{client} object, or `nil`, err.
---@return unix.client|nil
---@return string? err
function unix:accept() end

---Binds to a `path`; returns 1, or `nil`, err.
---@param path string
---@return 1|nil
---@return string? err
function unix:bind(path) end

---Closes the object's socket; returns 1.
---@return 1
function unix:close() end

---Connects to the socket at `path`; returns 1, or `nil`, err.
---@param path string
---@return 1|nil
---@return string? err
function unix:connect(path) end

---`true` if received bytes wait in the object's buffer.
---@return boolean
function unix:dirty() end

---The descriptor, -1 if none.
---@return integer
function unix:getfd() end

---The value of a named option, or `nil`, err.
---@param name string
---@return any
---@return string? err
function unix:getoption(name) end

---The peer's path, or `nil`, err.
---@return string|nil
---@return string? err
function unix:getpeername() end

---The bound path, or `nil`, err.
---@return string|nil
---@return string? err
function unix:getsockname() end

---Bytes received, bytes sent, and the object's age in seconds.
---@return integer received
---@return integer sent
---@return number age
function unix:getstats() end

---Resets the counters of getstats; returns 1.
---@param received integer
---@param sent integer
---@param age number
---@return 1
function unix:setstats(received, sent, age) end

---The block and total timeouts (-1: none).
---@return number block
---@return number total
function unix:gettimeout() end

---Makes a master a server that accepts connections; returns 1, or `nil`, err.
---@param backlog? integer
---@return 1|nil
---@return string? err
function unix:listen(backlog) end

---As tcp:receive.
---@param pattern? "*l"|"*a"|integer
---@param prefix? string
---@return string|nil
---@return string? err
---@return string? partial
function unix:receive(pattern, prefix) end

---As tcp:send.
---@param data string
---@param i? integer
---@param j? integer
---@return integer|nil
---@return string? err
---@return integer? last
function unix:send(data, i, j) end

---Makes the object use a duplicate of descriptor `fd`.
---@param fd integer
function unix:setfd(fd) end

---Sets a named option; returns 1, or `nil`, err.
---@param name string
---@param value? any
---@return 1|nil
---@return string? err
function unix:setoption(name, value) end

---The same as connect.
---@param path string
---@return 1|nil
---@return string? err
function unix:setpeername(path) end

---The same as bind.
---@param path string
---@return 1|nil
---@return string? err
function unix:setsockname(path) end

---Sets the block (`"b"`) or total (`"t"`) timeout.
---@param value number|nil
---@param mode? "b"|"t"
---@return 1
function unix:settimeout(value, mode) end

---Shuts down `"receive"`, `"send"` or `"both"`; returns 1.
---@param mode? "receive"|"send"|"both"
---@return 1
function unix:shutdown(mode) end

---A unix datagram object with no peer (`unixdgram{unconnected}`).
---@class unixdgram.unconnected
local unixdgram = {}

---Binds to a `path`; returns 1, or `nil`, err.
---@param path string
---@return 1|nil
---@return string? err
function unixdgram:bind(path) end

---Closes the object's socket; returns 1.
---@return 1
function unixdgram:close() end

---Sets the peer datagrams go to; returns 1, or `nil`, err.
---@param path string
---@return 1|nil
---@return string? err
function unixdgram:connect(path) end

---`false`: a datagram socket buffers nothing.
---@return false
function unixdgram:dirty() end

---The descriptor, -1 if none.
---@return integer
function unixdgram:getfd() end

---The value of a named option, or `nil`, err.
---@param name string
---@return any
---@return string? err
function unixdgram:getoption(name) end

---The peer's path (connected only).
---@return string|nil
---@return string? err
function unixdgram:getpeername() end

---The bound path, or `nil`, err.
---@return string|nil
---@return string? err
function unixdgram:getsockname() end

---Waits for a datagram; returns up to `size` bytes of it, or `nil`, err.
---@param size? integer
---@return string|nil
---@return string? err
function unixdgram:receive(size) end

---Waits for a datagram; returns data and the sender's path.
---@param size? integer
---@return string|nil
---@return string path_or_err
function unixdgram:receivefrom(size) end

---Sends a `datagram` to the peer (connected only).
---@param datagram string
---@return integer|nil
---@return string? err
function unixdgram:send(datagram) end

---Sends a `datagram` to the socket at `path` (unconnected only).
---@param datagram string
---@param path string
---@return integer|nil
---@return string? err
function unixdgram:sendto(datagram, path) end

---Makes the object use a duplicate of descriptor `fd`.
---@param fd integer
function unixdgram:setfd(fd) end

---Sets a named option; returns 1, or `nil`, err.
---@param name string
---@param value? any
---@return 1|nil
---@return string? err
function unixdgram:setoption(name, value) end

---The same as connect.
---@param path string
---@return 1|nil
---@return string? err
function unixdgram:setpeername(path) end

---The same as bind.
---@param path string
---@return 1|nil
---@return string? err
function unixdgram:setsockname(path) end

---Sets the block (`"b"`) or total (`"t"`) timeout.
---@param value number|nil
---@param mode? "b"|"t"
---@return 1
function unixdgram:settimeout(value, mode) end

---The block and total timeouts (-1: none).
---@return number block
---@return number total
function unixdgram:gettimeout() end

---A unix datagram object with a peer (`unixdgram{connected}`).
---@class unixdgram.connected
local unixdgram = {}

---Binds to a `path`; returns 1, or `nil`, err.
---@param path string
---@return 1|nil
---@return string? err
function unixdgram:bind(path) end

---Closes the object's socket; returns 1.
---@return 1
function unixdgram:close() end

---Sets the peer datagrams go to; returns 1, or `nil`, err.
---@param path string
---@return 1|nil
---@return string? err
function unixdgram:connect(path) end

---`false`: a datagram socket buffers nothing.
---@return false
function unixdgram:dirty() end

---The descriptor, -1 if none.
---@return integer
function unixdgram:getfd() end

---The value of a named option, or `nil`, err.
---@param name string
---@return any
---@return string? err
function unixdgram:getoption(name) end

---The peer's path (connected only).
---@return string|nil
---@return string? err
function unixdgram:getpeername() end

---The bound path, or `nil`, err.
---@return string|nil
---@return string? err
function unixdgram:getsockname() end

---Waits for a datagram; returns up to `size` bytes of it, or `nil`, err.
---@param size? integer
---@return string|nil
---@return string? err
function unixdgram:receive(size) end

---Waits for a datagram; returns data and the sender's path.
---@param size? integer
---@return string|nil
---@return string path_or_err
function unixdgram:receivefrom(size) end

---Sends a `datagram` to the peer (connected only).
---@param datagram string
---@return integer|nil
---@return string? err
function unixdgram:send(datagram) end

---Sends a `datagram` to the socket at `path` (unconnected only).
---@param datagram string
---@param path string
---@return integer|nil
---@return string? err
function unixdgram:sendto(datagram, path) end

---Makes the object use a duplicate of descriptor `fd`.
---@param fd integer
function unixdgram:setfd(fd) end

---Sets a named option; returns 1, or `nil`, err.
---@param name string
---@param value? any
---@return 1|nil
---@return string? err
function unixdgram:setoption(name, value) end

---The same as connect.
---@param path string
---@return 1|nil
---@return string? err
function unixdgram:setpeername(path) end

---The same as bind.
---@param path string
---@return 1|nil
---@return string? err
function unixdgram:setsockname(path) end

---Sets the block (`"b"`) or total (`"t"`) timeout.
---@param value number|nil
---@param mode? "b"|"t"
---@return 1
function unixdgram:settimeout(value, mode) end

---The block and total timeouts (-1: none).
---@return number block
---@return number total
function unixdgram:gettimeout() end

---LuaSocket's unix domain sockets: socket.unix() or .stream() for a stream, .dgram() for datagrams.
---@class socket.unixlib
---@overload fun(): unix.master|nil, string?
socket.unix = {}

---A new unix stream master object.
---@return unix.master|nil
---@return string? err
function socket.unix.stream() end

---A new unconnected unix datagram object.
---@return unixdgram.unconnected|nil
---@return string? err
function socket.unix.dgram() end
