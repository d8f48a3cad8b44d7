-- port_scan.lua: which TCP ports of a host accept connections? Tries a
-- range of ports, many at a time, and prints the open ones.
--
--   sockrun scripts/port_scan.lua                        (127.0.0.1, ports 1-1024)
--   sockrun --var host=192.168.1.10 --var first=1 --var last=65535 \
--           --var concurrency=200 --var timeout=1 scripts/port_scan.lua
--
-- Scan only hosts you are allowed to scan.

local HOST = vars.host or "127.0.0.1"
local FIRST = tonumber(vars.first or 1)
local LAST = tonumber(vars.last or 1024)
local CONCURRENCY = tonumber(vars.concurrency or 100) -- ports tried at once
local TIMEOUT = tonumber(vars.timeout or 1) -- seconds to wait for an answer

assert(FIRST and LAST and 1 <= FIRST and FIRST <= LAST and LAST <= 65535,
  "first and last must be ports with 1 <= first <= last <= 65535")
assert(CONCURRENCY and CONCURRENCY >= 1, "concurrency must be at least 1")

-- Resolve the host once, not once per port: its first address (IPv4 or
-- IPv6) is the one scanned.
local target = socket.getaddrinfo(HOST, nil, socket.AF_UNSPEC, socket.SOCK_STREAM)[1]
local family, ip = target.family, target.addr.host

-- probe tries to connect to one port and says how it went: "open" (a
-- server accepted), "closed" (refused: nothing listens there) or
-- "filtered" (no answer in time: a firewall dropped it, or the server is
-- swamped).
local function probe(port)
  local s = socket.socket(family, socket.SOCK_STREAM)
  s:settimeout(TIMEOUT)
  -- connect_ex returns the error number instead of raising: 0 is success.
  local err = s:connect_ex({ip, port})
  local state = "closed"
  if err == 0 then
    state = "open"
    -- On one's own machine, a connect to a free port can pick that very
    -- port as its local one and connect to itself: nothing listens there.
    if tostring(s:getsockname()) == tostring(s:getpeername()) then
      state = "closed"
    end
  elseif err == socket.ETIMEDOUT then
    state = "filtered"
  end
  s:close()
  return state
end

-- The workers share the next port to try and the results. Threads switch
-- only in blocking calls (here: connect_ex), so taking a port and counting
-- it up needs no lock.
local next_port = FIRST
local open = {} -- the open ports found
local count = { open = 0, closed = 0, filtered = 0 }

local function worker()
  while next_port <= LAST do
    local port = next_port
    next_port = next_port + 1
    local state = probe(port)
    count[state] = count[state] + 1
    if state == "open" then
      open[#open + 1] = port
    end
  end
end

local started = socket.time()
local workers = {}
for i = 1, math.min(CONCURRENCY, LAST - FIRST + 1) do
  workers[i] = thread.spawn(worker)
end
for _, w in ipairs(workers) do
  w:join() -- raises if the worker failed (e.g. too many open files)
end

-- Workers finish in any order: sort before printing.
table.sort(open)
for _, port in ipairs(open) do
  print(port .. " open")
end
print(("scanned %d ports of %s in %.2fs: %d open, %d closed, %d filtered"):format(
  LAST - FIRST + 1, HOST, socket.time() - started, count.open, count.closed, count.filtered))
