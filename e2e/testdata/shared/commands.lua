-- commands.lua: runs one shared call per line of standard input and
-- prints what came of it, so that a test can stop and start the store
-- between calls:
--   incr          -> "incr N"          (shared.incr("n"))
--   publish TEXT  -> "published N"     (shared.publish("news", TEXT))
-- or, when the call raised, "error CLASS NAME MESSAGE". A thread reads
-- the subscription to "news" and prints "got TEXT", or "lost MESSAGE"
-- when it raised.
local sub = shared.subscribe("news")
thread.spawn(function()
  while true do
    local ok, text = pcall(sub.get, sub)
    if ok then
      print("got " .. tostring(text))
    elseif type(text) == "table" and text.class == "shared.StoreError" then
      print("lost " .. tostring(text))
    else
      error(text, 0) -- the run is ending
    end
  end
end)
print("ready")
while true do
  local line = io.read("*l")
  if not line then
    os.exit(0)
  end
  local cmd, arg = line:match("^(%S+)%s*(.*)$")
  local ok, res
  if cmd == "incr" then
    ok, res = pcall(shared.incr, "n")
  else
    ok, res = pcall(shared.publish, "news", arg)
  end
  if ok then
    print((cmd == "incr" and "incr " or "published ") .. res)
  else
    print("error " .. res.class .. " " .. res.name .. " " .. tostring(res))
  end
end
