-- Lua-side tests of errors that teach: socket.explain(err) says what a
-- common mistake's error means, worked out from the socket's state.
local st = require("sockettest")

local function why(t, fn, ...)
  local err = st.raises(t, fn, ...)
  return socket.explain(err) or "", err
end

function TestExplainAcceptWithoutListen(t)
  local s = socket.socket()
  s:bind({"127.0.0.1", 0})
  st.contains(t, why(t, s.accept, s), "call listen() after bind() and before accept()")
end

function TestExplainRecvOnListener(t)
  local l = st.listener()
  l:settimeout(0.01)
  st.contains(t, why(t, l.recv, l, 10), "this socket is listening: it only accepts connections")
end

function TestExplainSendAfterShutdown(t)
  local c, s = st.pair()
  c:shutdown(socket.SHUT_WR)
  local x, err = why(t, c.sendall, c, "more")
  t:eq(err.name, "EPIPE", "broken pipe")
  st.contains(t, x, "shut down its sending side (shutdown(SHUT_WR))")
end

function TestExplainAddressInUse(t)
  local l, addr = st.listener()
  local s = socket.socket()
  local x, err = why(t, s.bind, s, addr)
  t:eq(err.name, "EADDRINUSE", "in use")
  st.contains(t, x, "TIME_WAIT")
  st.contains(t, x, "SO_REUSEADDR")
end

function TestExplainRefused(t)
  local holder, addr = st.refusing()
  local s = socket.socket()
  st.contains(t, why(t, s.connect, s, addr), "nothing is listening on that port")
  st.contains(t, why(t, socket.create_connection, addr), "nothing is listening on that port")
  holder:close()
end

-- A datagram to a port where nothing listens comes back as an ICMP port
-- unreachable, which a connected UDP socket's next call raises.
function TestExplainUDPRefused(t)
  local holder, addr = st.unreachable()
  local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  s:connect(addr)
  s:send("anyone?")
  local x, err = why(t, s.recv, s, 100)
  t:eq(err.name, "ECONNREFUSED", "port unreachable")
  st.contains(t, x, "ICMP \"port unreachable\"")
  st.contains(t, x, "next call")
  s:close()
  holder:close()
end

function TestExplainClosedAndNotConnected(t)
  local s = socket.socket()
  st.contains(t, why(t, s.send, s, "x"), "the socket is not connected: call connect() first")
  s:close()
  st.contains(t, why(t, s.recv, s, 1), "the socket is closed")
end

function TestExplainNonBlockingAndTimeout(t)
  local c, s = st.pair()
  s:setblocking(false)
  st.contains(t, why(t, s.recv, s, 1), "the socket is non-blocking")
  s:settimeout(0.05)
  st.contains(t, why(t, s.recv, s, 1), "nothing arrived within the socket's timeout (0.05 s")
end

function TestNoExplanationForOthers(t)
  t:eq(socket.explain("just a string"), nil, "a string")
  local q = thread.queue(1)
  q:put(1)
  local err = st.raises(t, q.put, q, 2, 0)
  t:eq(socket.explain(err), nil, "a queue's timeout has none")
  t:eq(tostring(err):find("\n"), nil, "the error itself stays one line")
end
