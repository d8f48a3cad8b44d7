-- socket.listen_fds and sockrun.notify, in a VM handed what a service
-- manager hands a run (systemd_test.go): two listening sockets, "web"
-- (TCP on 127.0.0.1, vars.tcp_port) and "admin" (unix, vars.unix_path),
-- and a notify socket at vars.notify_path, which the tests bind.

-- notifyListener binds a unix datagram socket where sockrun's notifier
-- sends: what a service manager reads.
local function notifyListener(t)
  os.remove(vars.notify_path)
  local s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
  s:bind(vars.notify_path)
  s:settimeout(10)
  return s
end

function TestListenFdsSockets(t)
  local socks, names = socket.listen_fds()
  t:eq(#socks, 2, "sockets")
  t:eq(names[1], "web")
  t:eq(names[2], "admin")
  local web, admin = socks[1], socks[2]
  t:eq(web.family, socket.AF_INET, "web's family")
  t:eq(web.type, socket.SOCK_STREAM, "web's type")
  t:eq(admin.family, socket.AF_UNIX, "admin's family")
  t:eq(web:getsockname().port, tonumber(vars.tcp_port), "web's port")
  t:eq(admin:getsockname(), vars.unix_path, "admin's path")
  t:eq(web:getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN), 1, "web listens")
  -- An ordinary socket object: accept, timeouts, close.
  web:settimeout(10)
  local c = socket.create_connection({"127.0.0.1", tonumber(vars.tcp_port)}, 10)
  local conn, addr = web:accept()
  t:eq(addr.host, "127.0.0.1")
  c:sendall("ping")
  t:eq(conn:recv(10), "ping")
  conn:close(); c:close()
  local u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  u:settimeout(10)
  u:connect(vars.unix_path)
  admin:settimeout(10)
  local uconn = admin:accept()
  u:sendall("hi")
  t:eq(uconn:recv(10), "hi")
  uconn:close(); u:close()
  -- A later call returns the same objects.
  local again, names2 = socket.listen_fds()
  t:eq(again[1], web, "second call's first socket")
  t:eq(again[2], admin, "second call's second socket")
  t:eq(names2[2], "admin")
  web:close()
  t:eq(socket.listen_fds()[1]:fileno(), -1, "closed stays closed")
  local ok, err = pcall(web.accept, web)
  t:eq(ok, false)
  t:eq(err.name, "EBADF")
end

function TestNotifySends(t)
  local nl = notifyListener(t)
  t:eq(sockrun.notify("STATUS=starting"), true, "notify's result")
  t:eq(nl:recv(100), "STATUS=starting")
  t:eq(sockrun.notify("READY=1\nSTATUS=serving"), true)
  t:eq(nl:recv(100), "READY=1\nSTATUS=serving")
  -- The script said READY=1: the first accept sends no second one.
  local web = socket.listen_fds()[1]
  web:settimeout(0)
  pcall(web.accept, web)
  sockrun.notify("STATUS=next")
  t:eq(nl:recv(100), "STATUS=next", "the datagram after the accept")
  nl:close()
end

function TestNotifyReadyAtFirstAccept(t)
  local nl = notifyListener(t)
  local web = socket.listen_fds()[1]
  local th = thread.spawn(function()
    web:settimeout(10)
    local conn = web:accept()
    conn:sendall("served")
    conn:close()
  end)
  -- READY=1 comes when the thread starts to accept: then connect.
  t:eq(nl:recv(100), "READY=1", "what the first accept sends")
  local c = socket.create_connection({"127.0.0.1", tonumber(vars.tcp_port)}, 10)
  t:eq(c:recv(10), "served")
  c:close()
  th:join()
  -- Once per run: a second accept sends nothing more.
  web:settimeout(0)
  pcall(web.accept, web)
  nl:settimeout(0)
  local ok, err = pcall(nl.recv, nl, 100)
  t:eq(ok, false, "a second READY=1")
  t:eq(err.name, "EAGAIN")
  nl:close()
end

function TestNotifyErrors(t)
  local ok, err = pcall(sockrun.notify)
  t:eq(ok, false)
  t:eq(tostring(err):find("bad argument #1 to 'notify' (string expected, got nil)", 1, true) ~= nil, true, tostring(err))
  ok, err = pcall(sockrun.notify, "")
  t:eq(ok, false)
  t:eq(tostring(err):find("empty state", 1, true) ~= nil, true, tostring(err))
  -- Nothing bound at the notify path: the manager is gone.
  os.remove(vars.notify_path)
  ok, err = pcall(sockrun.notify, "STATUS=x")
  t:eq(ok, false)
  t:eq(err.name, "ENOENT", tostring(err))
end
