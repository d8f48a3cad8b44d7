-- dns_server.lua: a DNS server over UDP, answering for one zone.
--
--   sockrun scripts/dns_server.lua                                  -- the example zone below
--   sockrun --var zone=my.zone --var port=5353 scripts/dns_server.lua
--
-- Ask it with dig:   dig @127.0.0.1 -p 5353 www.example.test
--
-- A zone file has one record a line, as in BIND's files (without $TTL,
-- SOA and the other directives): a name, a type (A, AAAA, TXT or CNAME)
-- and its value. "#" or ";" starts a comment. A dot inside a label is
-- written "\.", a space or other unprintable byte "\DDD", as BIND and dig
-- write them.
--
--   www.example.test.    A      127.0.0.1
--   www.example.test.    AAAA   ::1
--   example.test.        TXT    "hello from sockrun"
--   alias.example.test.  CNAME  www.example.test.
--
-- Every DNS message, question or answer, is the same shape (RFC 1035):
-- a 12-byte header (an id, flags, and four counts), then the questions,
-- then the answer, authority and additional records. Names are written as
-- labels ("\3www\7example\4test\0"), and a name already written in the
-- message can be replaced by a 2-byte pointer to it: "name compression".

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 5353)
local TTL = tonumber(vars.ttl or 300) -- how long resolvers may cache an answer

local EXAMPLE_ZONE = [[
www.example.test.    A      127.0.0.1
www.example.test.    AAAA   ::1
example.test.        A      127.0.0.1
example.test.        TXT    "hello from sockrun"
alias.example.test.  CNAME  www.example.test.
]]

-- Record types and response codes, by their numbers on the wire.
local TYPES = {A = 1, CNAME = 5, TXT = 16, AAAA = 28}
local TYPE_NAMES = {[1] = "A", [5] = "CNAME", [16] = "TXT", [28] = "AAAA"}
local NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP = 0, 1, 2, 3, 4
local CLASS_IN = 1

-- A name is its labels, and a label may hold any byte, a "." included:
-- "www\.example.test" is two labels, "www.example" and "test". Names are
-- written as dig and zone files write them: a dot inside a label is "\.",
-- a backslash "\\", a byte that is not printable "\DDD" (decimal).

-- labels_of splits a written name into its labels, undoing the escapes.
local function labels_of(name)
  local labels, label, i = {}, {}, 1
  while i <= #name do
    local c = name:sub(i, i)
    if c == "\\" then
      local ddd = name:match("^%d%d%d", i + 1)
      if ddd then
        label[#label + 1] = string.char(tonumber(ddd) % 256)
        i = i + 3
      else
        label[#label + 1] = name:sub(i + 1, i + 1)
        i = i + 1
      end
    elseif c == "." then
      labels[#labels + 1] = table.concat(label)
      label = {}
    else
      label[#label + 1] = c
    end
    i = i + 1
  end
  if #label > 0 then labels[#labels + 1] = table.concat(label) end
  return labels
end

-- written is labels[from], labels[from + 1] ... as a written name.
local function written(labels, from)
  local out = {}
  for i = from or 1, #labels do
    local label = labels[i]:gsub("[%.\\]", "\\%0")
    out[#out + 1] = label:gsub("[%z\1-\32\127-\255]", function(c)
      return string.format("\\%03d", c:byte())
    end)
  end
  return table.concat(out, ".")
end

-- zone[name][type] is the list of values of that name and type. Names are
-- kept written, lower-case and without the final dot: DNS names ignore
-- case, and "a\046b" and "a\.b" are one name.
local zone, origins = {}, {}

local function canonical(name)
  return written(labels_of(name)):lower()
end

local function load_zone(text, where)
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local content = line:gsub("%s*[#;].*$", "")
    local name, rtype, value = content:match("^%s*(%S+)%s+(%a+)%s+(.-)%s*$")
    if name then
      rtype = rtype:upper()
      if not TYPES[rtype] then
        error(string.format("%s:%d: unknown record type %s (A, AAAA, TXT, CNAME)", where, n, rtype), 0)
      end
      if rtype == "TXT" then value = value:match('^"(.*)"$') or value end
      name = canonical(name)
      zone[name] = zone[name] or {}
      zone[name][rtype] = zone[name][rtype] or {}
      table.insert(zone[name][rtype], value)
      origins[name] = true
    elseif content:match("%S") then
      error(string.format("%s:%d: expected NAME TYPE VALUE, got %q", where, n, line), 0)
    end
  end
end

if vars.zone then
  local f = assert(io.open(vars.zone))
  load_zone(f:read("*a"), vars.zone)
  f:close()
else
  load_zone(EXAMPLE_ZONE, "the example zone")
end

-- read_name reads a name at byte offset (counted from 0, as struct does)
-- of msg, following compression pointers, and returns it and the offset
-- after it. A malformed name (a label past the end, a pointer loop)
-- raises, and the caller answers FORMERR.
local function read_name(msg, offset)
  local labels, after, jumps = {}, nil, 0
  while true do
    if offset >= #msg then error("name runs past the end of the message") end
    local len = msg:byte(offset + 1)
    if len == 0 then
      offset = offset + 1
      break
    elseif len >= 0xC0 then -- a pointer: the rest of the name is elsewhere
      if offset + 2 > #msg then error("truncated pointer") end
      jumps = jumps + 1
      if jumps > 20 then error("pointer loop") end
      after = after or offset + 2
      offset = struct.unpack_from("!H", msg, offset) - 0xC000
    elseif len > 63 then
      error("bad label length")
    else
      if offset + 1 + len > #msg then error("label runs past the end") end
      labels[#labels + 1] = msg:sub(offset + 2, offset + 1 + len)
      offset = offset + 1 + len
    end
  end
  return written(labels), after or offset
end

-- A response under construction: its parts and the offsets of the names
-- already in it, for compression.
local function new_response()
  return {parts = {}, size = 0, names = {}}
end

local function put(resp, bytes)
  resp.parts[#resp.parts + 1] = bytes
  resp.size = resp.size + #bytes
end

-- put_name writes a written name, or a pointer to it (or to its longest
-- suffix) when it is already in the message. resp.names holds where each
-- name written so far, and each of its suffixes, starts.
local function put_name(resp, name)
  local labels = labels_of(name)
  for i, label in ipairs(labels) do
    local suffix = written(labels, i):lower()
    local at = resp.names[suffix]
    if at then
      put(resp, struct.pack("!H", 0xC000 + at))
      return
    end
    if resp.size < 0x3FFF then resp.names[suffix] = resp.size end
    put(resp, string.char(#label) .. label)
  end
  put(resp, "\0")
end

-- rdata is a record's value as bytes on the wire.
local function rdata(resp, rtype, value)
  if rtype == "A" then
    return socket.inet_pton(socket.AF_INET, value)
  elseif rtype == "AAAA" then
    return socket.inet_pton(socket.AF_INET6, value)
  elseif rtype == "TXT" then
    local chunks = {} -- a TXT value is strings of at most 255 bytes each
    for i = 1, math.max(#value, 1), 255 do
      local s = value:sub(i, i + 254)
      chunks[#chunks + 1] = string.char(#s) .. s
    end
    return table.concat(chunks)
  end
end

local function put_record(resp, name, rtype, value)
  put_name(resp, name)
  put(resp, struct.pack("!HHI", TYPES[rtype], CLASS_IN, TTL))
  if rtype == "CNAME" then
    -- The length comes before the name, whose compressed size is known
    -- only once written: write it, then fill in the length.
    local slot = #resp.parts + 1
    put(resp, "\0\0")
    local before = resp.size
    put_name(resp, value)
    resp.parts[slot] = struct.pack("!H", resp.size - before)
  else
    local data = rdata(resp, rtype, value)
    put(resp, struct.pack("!H", #data) .. data)
  end
end

-- answer builds the response to query msg from the zone, or returns nil
-- for a message not worth an answer.
local function answer(msg)
  if #msg < 12 then return nil end -- no header: not even an id to answer to
  local id, flags, qdcount = struct.unpack("!HHH", msg:sub(1, 6))
  if flags >= 0x8000 then return nil end -- a response, not a query
  local opcode = math.floor(flags / 0x800) % 16
  local rd = math.floor(flags / 0x100) % 2 -- recursion desired: echoed back
  local function header(rcode, an, aa)
    local f = 0x8000 + opcode * 0x800 + (aa and 0x400 or 0) + rd * 0x100 + rcode
    return struct.pack("!HHHHHH", id, f, qdcount == 1 and 1 or 0, an, 0, 0)
  end
  local function refuse(rcode)
    -- An error answer: the header alone (and the question, if it parsed).
    local resp = new_response()
    put(resp, struct.pack("!HHHHHH", id, 0x8000 + opcode * 0x800 + rd * 0x100 + rcode, 0, 0, 0, 0))
    return table.concat(resp.parts)
  end
  if opcode ~= 0 then return refuse(NOTIMP) end
  if qdcount ~= 1 then return refuse(FORMERR) end
  local ok, qname, offset = pcall(read_name, msg, 12)
  if not ok or offset + 4 > #msg then return refuse(FORMERR) end
  local qtype, qclass = struct.unpack_from("!HH", msg, offset)
  local question = msg:sub(13, offset + 4)

  -- Follow CNAMEs (a few at most) and collect the answer records.
  local records, name, seen = {}, canonical(qname), {}
  local wanted = TYPE_NAMES[qtype]
  while zone[name] and not seen[name] do
    seen[name] = true
    local owner = (name == canonical(qname)) and qname or name
    if wanted and zone[name][wanted] then
      for _, v in ipairs(zone[name][wanted]) do records[#records + 1] = {owner, wanted, v} end
      break
    elseif qtype == 255 then -- ANY: everything the name has
      for rtype, values in pairs(zone[name]) do
        for _, v in ipairs(values) do records[#records + 1] = {owner, rtype, v} end
      end
      break
    elseif zone[name].CNAME then
      local target = zone[name].CNAME[1]
      records[#records + 1] = {owner, "CNAME", target}
      name = canonical(target)
    else
      break -- the name exists, without records of that type: no data
    end
  end
  local rcode = NOERROR
  if not zone[canonical(qname)] then rcode = NXDOMAIN end
  if qclass ~= CLASS_IN and qclass ~= 255 then records, rcode = {}, NOERROR end

  local resp = new_response()
  put(resp, header(rcode, #records, origins[canonical(qname)] or rcode == NXDOMAIN))
  -- The question's name sits right after the header: it and each of its
  -- suffixes can be pointed to ("example.test" inside "www.example.test").
  local at, labels = 12, labels_of(qname)
  for i, label in ipairs(labels) do
    resp.names[written(labels, i):lower()] = at
    at = at + 1 + #label
  end
  put(resp, question)
  for _, r in ipairs(records) do put_record(resp, r[1], r[2], r[3]) end
  local out = table.concat(resp.parts)
  if #out > 512 then
    -- Too long for a plain UDP answer: send the question with TC set, and
    -- the client asks again over TCP (which this server does not serve).
    out = struct.pack("!HHHHHH", id, 0x8000 + 0x200 + rd * 0x100 + rcode, 1, 0, 0, 0) .. question
  end
  return out
end

local sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock:bind({HOST, PORT})
print("serving DNS on " .. sock:getsockname())

while true do
  -- One datagram is one query: recvfrom tells who asked. 4096 bytes is
  -- more than a query can be; what is longer is cut, and answered FORMERR
  -- or dropped like any other malformed query.
  local msg, client = sock:recvfrom(4096)
  local ok, resp = pcall(answer, msg)
  if not ok then
    -- A bug or a query this code did not foresee: log it, answer
    -- SERVFAIL if the query had an id, and go on serving.
    print(client .. ": error: " .. tostring(resp))
    resp = #msg >= 2 and (msg:sub(1, 2) .. struct.pack("!HHHHH", 0x8000 + SERVFAIL, 0, 0, 0, 0)) or nil
  end
  if resp then
    local sent, err = pcall(sock.sendto, sock, resp, client)
    if not sent then print(client .. ": " .. tostring(err)) end
  end
end
