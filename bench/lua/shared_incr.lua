-- shared_incr.lua: the benchmark's shared.incr rounds. A server whose
-- every connection asks for one round: the client sends
--
--   KEY WARMUP DURATION\n        (seconds, fractions allowed)
--
-- and THREADS threads call shared.incr(KEY) in a loop, as fast as they
-- can, for the warm-up and then the measured window, and the script
-- answers with one line of JSON:
--
--   {"done": every incr done, warm-up included, "ops": the incr done in
--    the window, "seconds": the window, "stored": shared.get(KEY) after
--    the round, "sampled": the calls timed in the window, "hist": [bucket,
--    count, ...]}, or {"error": message}
--
-- One call in SAMPLE is timed with socket.time() (the others are not:
-- two clock reads cost about as much as an in-process incr), and its
-- duration goes into a histogram: tenths of a microsecond below 100 µs,
-- 1% steps above (bucket 1000 + floor(100 * ln(µs / 100))). The timed
-- calls also move the phase: the worker threads watch the clock
-- themselves, since a thread sleeping until the window's end would get
-- the interpreter lock back only after the busy threads' turns, seconds
-- late with fifty of them.
--
--   sockrun --var port=9000 [--shared-url redis://...] bench/lua/shared_incr.lua
local host = vars.host or "127.0.0.1"
local port = tonumber(vars.port or "9000")
local THREADS = tonumber(vars.threads or "50")
local SAMPLE = tonumber(vars.sample or "16")

local time, incr, floor, log = socket.time, shared.incr, math.floor, math.log

-- phase is read and moved by every worker thread: 0 warm-up, 1 the
-- measured window (from clock reading open to close), 2 stop. The
-- threads share it as an upvalue; no thread runs while another holds the
-- interpreter lock, so it moves between their calls.
local phase, open, close = 2, math.huge, math.huge

local function bucket(us)
  if us < 100 then return floor(us * 10) end
  return 1000 + floor(100 * log(us / 100))
end

local function worker(key)
  local done, ops, sampled, hist = 0, 0, 0, {}
  local ok, err = pcall(function()
    local k = 0
    while phase < 2 do
      if k == 0 then
        k = SAMPLE
        local p = phase
        local a = time()
        if a >= close then
          phase = 2
        elseif a >= open and phase == 0 then
          phase = 1
        end
        incr(key)
        local d = time() - a
        if p == 1 then
          local b = bucket(d * 1e6)
          hist[b] = (hist[b] or 0) + 1
          sampled = sampled + 1
        end
      else
        incr(key)
      end
      k = k - 1
      done = done + 1
      if phase == 1 then ops = ops + 1 end
    end
  end)
  return done, ops, sampled, hist, (not ok) and tostring(err) or nil
end

local function round(conn, key, warmup, duration)
  shared.delete(key)
  phase, open = 0, time() + warmup
  close = open + duration
  local ts = {}
  for i = 1, THREADS do ts[i] = thread.spawn(worker, key) end
  local done, ops, sampled, hist, errs = 0, 0, 0, {}, nil
  for i = 1, THREADS do
    local d, o, s, h, e = ts[i]:join()
    done, ops, sampled = done + d, ops + o, sampled + s
    for b, n in pairs(h) do hist[b] = (hist[b] or 0) + n end
    errs = errs or e
  end
  if errs then return { error = errs } end
  local flat = {}
  for b, n in pairs(hist) do
    flat[#flat + 1] = b
    flat[#flat + 1] = n
  end
  return { done = done, ops = ops, seconds = duration, stored = shared.get(key) or 0,
    sampled = sampled, hist = flat }
end

local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server:setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server:bind({host, port})
server:listen(socket.SOMAXCONN)
print("listening on " .. tostring(server:getsockname()))

while true do
  local conn = server:accept()
  local line = conn:recvline(1024)
  local key, warmup, duration = (line or ""):match("^(%S+) (%S+) (%S+)$")
  local ok, res
  if key and tonumber(warmup) and tonumber(duration) then
    ok, res = pcall(round, conn, key, tonumber(warmup), tonumber(duration))
    if not ok then res = { error = tostring(res) } end
  else
    res = { error = "bad request line: " .. tostring(line) }
  end
  phase = 2
  pcall(conn.sendall, conn, json.encode(res) .. "\n")
  conn:close()
end
