-- Lua-side tests of the globals every script sees besides the modules:
-- vars, arg, sockrun, print, io.write, io.stdout:write, io.read and
-- io.lines. The harness runs each test with no --var, no arguments and an
-- empty standard input unless t:stdin gives it one.

function TestVars(t)
  t:eq(type(vars), "table", "vars is a table")
  t:eq(next(vars), nil, "no --var given")
  t:eq(vars.port, nil, "an unset parameter is nil")
  t:eq(tonumber(vars.port or "9000"), 9000, "the usual default pattern")
end

function TestArg(t)
  t:eq(type(arg), "table", "arg is a table")
  assert(arg[0]:find("base_test%.lua$"), "arg[0] is the script: " .. tostring(arg[0]))
  t:eq(#arg, 0, "no arguments")
  t:eq(arg[1], nil, "arg[1]")
end

function TestSockrun(t)
  t:eq(type(sockrun.version), "string", "version")
  assert(sockrun.version:find("^%d+%.%d+%.%d+"), "a version number: " .. sockrun.version)
  t:eq(sockrun.worker, 1, "worker")
  t:eq(sockrun.workers, 1, "workers")
end

function TestPrint(t)
  print("hello", 42, nil, true)
  print()
  local s = socket.socket()
  print(s)
  t:eq(t:stdout(), "hello\t42\tnil\ttrue\n\n" .. tostring(s) .. "\n", "print writes to standard output, tab-separated")
  local with_meta = setmetatable({}, {__tostring = function() return "custom" end})
  print(with_meta)
  assert(t:stdout():find("custom\n$"), "print uses __tostring")
end

function TestIOWrite(t)
  io.write("a", 1, " ", 2.5, "\n")
  print("b")
  local f = io.write("c")
  t:eq(f, true, "io.write returns true, as Lua 5.1's")
  t:eq(t:stdout(), "a1 2.5\nb\nc", "io.write goes to standard output, in order with print")
  local ok, err = pcall(io.write, {})
  assert(not ok and err:find("bad argument #1 to 'write' %(string expected, got table%)"), tostring(err))
end

function TestStdoutWrite(t)
  print("a")
  t:eq(io.stdout:write("b", 2, " ", 1e15, "\n"), true, "io.stdout:write returns true, as Lua 5.1's")
  io.write("c\n")
  t:eq(t:stdout(), "a\nb2 1e+15\nc\n", "io.stdout:write goes to standard output, in order, numbers as Lua 5.1 writes them")
  local ok, err = pcall(io.stdout.write, io.stdout, "x", {})
  assert(not ok and err:find("bad argument #2 to 'write' %(string expected, got table%)"), tostring(err))
  t:eq(io.stderr:write("to stderr\n"), true, "io.stderr:write")
  t:eq(io.output(io.stderr), io.stderr, "io.output set to io.stderr")
  t:eq(io.write("also to stderr\n"), true, "io.write then writes to io.stderr")
  io.output(io.stdout)
  t:eq(t:stdout(), "a\nb2 1e+15\nc\n", "none of it on standard output")
end

function TestIOReadAtEOF(t)
  t:eq(io.read(), nil, "a line")
  t:eq(io.read("l"), nil, "l")
  t:eq(io.read("L"), nil, "L")
  t:eq(io.read("n"), nil, "n")
  t:eq(io.read(5), nil, "a count")
  t:eq(io.read(0), nil, "0 at the end is nil")
  t:eq(io.read("a"), "", "a is \"\" at the end, as in Lua")
  local n = 0
  for line in io.lines() do n = n + 1 end
  t:eq(n, 0, "io.lines yields nothing")
end

function TestIOReadFormats(t)
  t:stdin("first line\nsecond\r\n12 0x1F -3.5e1 12abc\nthird\nrest\nof it")
  t:eq(io.read(), "first line", "a line without its newline")
  t:eq(io.read("L"), "second\r\n", "L keeps the line end")
  t:eq(io.read("n"), 12, "a number")
  local a, b = io.read("n", "n")
  t:eq(a, 31, "a hex number")
  t:eq(b, -35, "with an exponent")
  t:eq(io.read("*n"), 12, "the old *n, a number prefix")
  t:eq(io.read("n"), nil, "no number at abc")
  t:eq(io.read("l"), "abc", "what the failed number did not take")
  t:eq(io.read(3), "thi", "a count")
  t:eq(io.read(0), "", "0 reads nothing but is not nil before the end")
  t:eq(io.read("l"), "rd", "the rest of the line")
  t:eq(io.read("a"), "rest\nof it", "a reads the rest")
  t:eq(io.read("l"), nil, "then nil")
end

-- A count too large to allocate (2^53, 1e300, math.huge) reads what there
-- is, to the end of input; it used to crash the process with a Go panic
-- that pcall could not catch. NaN is an argument error, a negative count
-- reads nothing, as 0.
function TestIOReadHugeCounts(t)
  for _, n in ipairs({2^53, 2^40, 1e300, math.huge, 2^63, 2^64}) do
    t:stdin("hello\nworld")
    local ok, got = pcall(io.read, n)
    t:eq(ok, true, "io.read(" .. n .. ") raised " .. tostring(got))
    t:eq(got, "hello\nworld", "io.read(" .. n .. ") reads to the end")
    t:eq(io.read(n), nil, "io.read(" .. n .. ") at the end")
  end
  t:stdin("abc")
  local ok, err = pcall(io.read, 0/0)
  t:eq(ok, false, "NaN raises")
  assert(tostring(err):find("bad argument #1 to 'read' (number has no integer representation)", 1, true), tostring(err))
  ok, err = pcall(io.read, "l", 0/0)
  assert(not ok and tostring(err):find("bad argument #2 to 'read'", 1, true), tostring(err))
  t:eq(io.read(-1), "", "a negative count reads nothing before the end")
  t:eq(io.read(-1e300), "", "however negative")
  t:eq(io.read(2.9), "ab", "a fractional count is its integer part")
  t:eq(io.read(2^53), "c", "the rest")
  t:eq(io.read(-1), nil, "a negative count at the end is nil")
end

function TestIOReadCRLF(t)
  t:stdin("one\r\ntwo\n")
  t:eq(io.read("l"), "one", "l drops a CR before the newline")
  t:eq(io.read("l"), "two", "and a plain newline")
end

function TestIOLines(t)
  t:stdin("alpha\nbeta\n\ngamma")
  local got = {}
  for line in io.lines() do got[#got + 1] = line end
  t:eq(table.concat(got, ","), "alpha,beta,,gamma", "every line, the last without a newline")
end

function TestIOReadErrors(t)
  local ok, err = pcall(io.read, "x")
  assert(not ok and err:find("bad argument #1 to 'read' %(invalid format%)"), tostring(err))
  ok, err = pcall(io.read, "l", {})
  assert(not ok and err:find("bad argument #2 to 'read' %(invalid format%)"), tostring(err))
end

-- io.read waits with the interpreter lock released: a thread runs while
-- the main thread waits for standard input.
function TestIOReadLetsThreadsRun(t)
  t:stdin("x\n")
  local th = thread.spawn(function() return "ran" end)
  t:eq(io.read(), "x", "read")
  t:eq(th:join(), "ran", "the thread ran")
end

function TestIOReadHugeCountFromAFile(t)
  -- A huge count on a file other than standard input must not allocate
  -- the count.
  local path = t:tempdir() .. "/in.txt"
  local f = io.open(path, "w"); f:write("hello file\n"); f:close()
  io.input(path)
  t:eq(io.read(2^40), "hello file\n", "what there is")
  t:eq(io.read(2^53), nil, "then the end")
  t:eq(io.read(0/0), nil, "NaN reads to the end, as Lua 5.1's C cast makes it: nothing is left")
  io.input():close()
end
