package luagen

import "fmt"

// Errors, coroutines and metatables.

// errors is error values and levels caught by pcall and xpcall: strings
// with each level, numbers, nil, booleans, tables (with and without
// __tostring), assert, error rethrown, and the position each level
// blames. The caught value's type and text are printed as they are.
func (g *Gen) errors() Snippet {
	shape := pick(g, "levels", "values", "assert", "xpcall", "rethrow", "direct")
	var b body
	b.add("local function show(ok, e) if type(e) == \"table\" then e = getmetatable(e) and tostring(e) or (\"table code=\" .. tostring(e.code)) end print(ok, type(e), e) end")
	switch shape {
	case "levels":
		lvl := pick(g, "", ", 0", ", 1", ", 2", ", 3")
		b.add("local function inner() error(\"lvl\"%s) end", lvl)
		b.add("local function outer()")
		b.add("  inner()")
		b.add("end")
		b.add("show(pcall(outer))")
		b.add("show(pcall(inner))")
	case "values":
		v := pick(g, "42", "42.5", "nil", "", "true", "false", "{code = 7}", "setmetatable({}, {__tostring = function() return \"custom\" end})", "\"\"", "\"multi\\nline\"")
		lvl := pick(g, "", ", 0", ", 2")
		if v == "" {
			lvl = ""
		}
		b.add("show(pcall(function() error(%s%s) end))", v, lvl)
	case "assert":
		b.add("show(pcall(assert, %s))", pick(g, "false", "nil", "false, \"msg\"", "nil, 42", "false, {code = 3}", "1 == 2, \"cmp\""))
		b.add("print(select(\"#\", assert(1, 2, 3)), assert(\"v\", \"ignored\"))")
	case "xpcall":
		b.add("local function h(m) return \"handled: \" .. tostring(type(m) == \"table\" and \"table\" or m) end")
		b.add("show(xpcall(function() error(%s) end, h))", pick(g, "\"x\"", "\"x\", 0", "\"x\", 2", "42", "nil", "{}"))
		b.add("print(xpcall(function() return 1, 2 end, h))")
	case "rethrow":
		b.add("show(pcall(function() local ok, e = pcall(error, %s) error(e, %s) end))", pick(g, "\"in\"", "\"in\", 0", "{code = 5}", "7"), pick(g, "0", "1", "2"))
	case "direct":
		b.add("show(pcall(error))")
		b.add("show(pcall(error, %s))", pick(g, "\"x\"", "\"x\", 1", "\"x\", 2", "42", "nil"))
		b.add("print(pcall(pcall))")
		b.add("print(select(\"#\", pcall(pcall, error, \"e\")), pcall(pcall, error, \"e\"))")
	}
	return b.snippet("errors", shape)
}

// errmsg is the messages of runtime errors Lua raises itself, as pcall
// catches them: indexing, calling, arithmetic, concatenation, comparison
// and length of the wrong types, through locals, globals, upvalues,
// fields and methods, and the library's argument errors.
func (g *Gen) errmsg() Snippet {
	shape := pick(g, "index", "call", "arith", "concat", "compare", "length", "method", "argument")
	var b body
	b.add("local up = nil")
	b.add("local t = {f = {}}")
	b.add("local s = \"str\"")
	via := pick(g, "local", "global", "upvalue", "field")
	nilRef := map[string]string{"local": "l", "global": "undefinedglobal", "upvalue": "up", "field": "t.missing"}[via]
	var expr string
	switch shape {
	case "index":
		expr = nilRef + ".key"
	case "call":
		expr = nilRef + "()"
	case "arith":
		expr = pick(g, nilRef+" + 1", "1 - "+nilRef, "s * 2", "t - 1", "-"+nilRef, "{} % 2")
	case "concat":
		expr = pick(g, "\"a\" .. "+nilRef, nilRef+" .. \"a\"", "\"a\" .. {}", "1 .. true")
	case "compare":
		expr = pick(g, nilRef+" < 1", "1 < \"2\"", "{} < {}", "t <= 1", "\"a\" > 1")
	case "length":
		expr = pick(g, "#"+nilRef, "#5")
	case "method":
		expr = pick(g, "s:nomethod()", "t:nomethod()", "t.f:m()", "(5):x()")
	case "argument":
		expr = pick(g, "string.rep()", "string.sub(\"x\", {})", "setmetatable(1, {})", "math.floor(\"a\")", "string.char(\"x\")", "(\"x\"):rep(nil)", "ipairs()", "tostring()", "table.insert(nil, 1)")
	}
	b.add("local function f()")
	b.add("  local l = nil")
	b.add("  return %s", expr)
	b.add("end")
	b.add("print(pcall(f))")
	return b.snippet("errmsg", shape+"-"+via)
}

// coroutines is yield and resume passing values both ways, status at
// every stage (suspended, running, normal, dead), wrap, resuming a dead
// coroutine, errors inside a coroutine and through wrap, yield from a
// nested call, yield across pcall (an error in Lua 5.1), and a coroutine
// whose last statement returns a yield.
func (g *Gen) coroutines() Snippet {
	shape := pick(g, "pingpong", "status", "wrap", "dead", "error", "nested-yield", "yield-in-pcall", "return-yield", "generator")
	var b body
	switch shape {
	case "pingpong":
		b.add("local co = coroutine.create(function(a, b)")
		b.add("  print(\"start\", a, b)")
		b.add("  local c, d = coroutine.yield(a + b)")
		b.add("  print(\"got\", c, d)")
		b.add("  local e = coroutine.yield()")
		b.add("  return e, \"done\"")
		b.add("end)")
		b.add("print(coroutine.resume(co, %d, %d))", g.between(1, 9), g.between(1, 9))
		b.add("print(coroutine.resume(co%s))", pick(g, "", ", \"x\"", ", \"x\", \"y\"", ", nil, 2"))
		b.add("print(coroutine.resume(co%s))", pick(g, "", ", 7", ", nil"))
		b.add("print(coroutine.resume(co))")
	case "status":
		b.add("local co")
		b.add("local other = coroutine.create(function() print(\"outer seen as\", coroutine.status(co)) end)")
		b.add("co = coroutine.create(function()")
		b.add("  print(\"inside\", coroutine.status(co), type(coroutine.running()))")
		b.add("  coroutine.resume(other)")
		b.add("  coroutine.yield()")
		b.add("end)")
		b.add("print(coroutine.status(co))")
		b.add("coroutine.resume(co)")
		b.add("print(coroutine.status(co))")
		b.add("coroutine.resume(co)")
		b.add("print(coroutine.status(co), coroutine.status(other))")
	case "wrap":
		b.add("local f = coroutine.wrap(function(x) for i = 1, %d do x = coroutine.yield(x * i) end return \"end\" end)", g.between(1, 3))
		b.add("for i = 1, 5 do")
		b.add("  local ok, v = pcall(f, i)")
		b.add("  print(ok, v)")
		b.add("  if not ok then break end")
		b.add("end")
	case "dead":
		b.add("local co = coroutine.create(function() return %s end)", pick(g, "", "1", "nil, 2"))
		b.add("print(coroutine.resume(co))")
		b.add("print(coroutine.resume(co))")
		b.add("print(coroutine.status(co))")
	case "error":
		b.add("local co = coroutine.create(function() coroutine.yield(1) error(%s) end)", pick(g, "\"inside\"", "\"inside\", 0", "{}", "42"))
		b.add("print(coroutine.resume(co))")
		b.add("local ok, e = coroutine.resume(co)")
		b.add("print(ok, type(e), type(e) == \"table\" and \"table\" or e, coroutine.status(co))")
		b.add("local w = coroutine.wrap(function() error(\"in wrap\") end)")
		b.add("print(pcall(w))")
	case "nested-yield":
		b.add("local function deep(n) if n == 0 then return coroutine.yield(\"bottom\") end return deep(n - 1) end")
		b.add("local co = coroutine.create(function() local v = deep(%d) return \"got \" .. tostring(v) end)", g.between(0, 5))
		b.add("print(coroutine.resume(co))")
		b.add("print(coroutine.resume(co, \"back\"))")
	case "yield-in-pcall":
		b.add("local co = coroutine.create(function() local ok, e = pcall(coroutine.yield, 1) print(\"pcall gave\", ok, e) return \"after\" end)")
		b.add("local ok, v = coroutine.resume(co)")
		b.add("print(ok, v, coroutine.status(co))")
		b.add("if coroutine.status(co) == \"suspended\" then print(coroutine.resume(co, \"resumed\")) end")
	case "return-yield":
		b.add("local co = coroutine.create(function(a) return coroutine.yield(a) end)")
		b.add("print(coroutine.resume(co, \"first\"))")
		b.add("print(coroutine.resume(co, \"second\", \"third\"))")
		b.add("print(coroutine.status(co))")
	case "generator":
		n := g.between(0, 4)
		b.add("local gen = coroutine.wrap(function() for i = 1, %d do coroutine.yield(i, i * i) end end)", n)
		b.add("local acc = {}")
		b.add("for i = 1, %d do", n)
		b.add("  local a, sq = gen()")
		b.add("  acc[#acc + 1] = a .. \":\" .. sq")
		b.add("end")
		b.add("print(table.concat(acc, \",\"))")
		b.add("print(pcall(gen))")
		b.add("print(pcall(gen))")
	}
	return b.snippet("coroutines", shape)
}

// metatables is __index (a table, a function, a chain), __newindex (a
// table, a function) and rawget/rawset around them, __call, __concat on
// either side, __eq (only between tables with the same metamethod in
// Lua 5.1), __lt and __le (and __le from __lt), __unm, __add with a
// number on the left, __len on a table (not used by Lua 5.1), and a
// protected metatable.
func (g *Gen) metatables() Snippet {
	shape := pick(g, "index", "newindex", "call", "concat", "eq", "lt-le", "arith", "len", "protected")
	var b body
	switch shape {
	case "index":
		b.add("local base = {a = 1}")
		b.add("local mid = setmetatable({b = 2}, {__index = base})")
		b.add("local t = setmetatable({c = 3}, {__index = %s})", pick(g, "mid", "function(t, k) return \"fn:\" .. k end", "base"))
		b.add("print(t.a, t.b, t.c, t.d, rawget(t, \"a\"))")
	case "newindex":
		b.add("local store = {}")
		b.add("local t = setmetatable({x = 1}, {__newindex = %s})", pick(g, "store", "function(t, k, v) rawset(t, k, v * 2) end"))
		b.add("t.x = 10")
		b.add("t.y = 20")
		b.add("rawset(t, \"z\", 30)")
		b.add("print(t.x, t.y, t.z, store.y)")
	case "call":
		b.add("local t = setmetatable({}, {__call = function(self, a, b) return %s end})", pick(g, "a", "a, b", "b, a, \"extra\"", ""))
		b.add("print(t(%s))", pick(g, "", "1", "1, 2", "1, 2, 3"))
		b.add("print(pcall(t, \"x\"))")
		b.add("local r = {t(5, 6)}")
		b.add("print(#r)")
	case "concat":
		b.add("local mt = {__concat = function(a, b) return (type(a) == \"table\" and \"T\" or tostring(a)) .. \"+\" .. (type(b) == \"table\" and \"T\" or tostring(b)) end}")
		b.add("local t = setmetatable({}, mt)")
		b.add("print(%s)", pick(g, "t .. \"s\"", "\"s\" .. t", "1 .. t", "t .. t", "\"a\" .. \"b\" .. t", "t .. 2 .. \"c\""))
	case "eq":
		b.add("local mt = {__eq = function(a, b) return true end}")
		b.add("local x, y = setmetatable({}, mt), setmetatable({}, mt)")
		b.add("local z = setmetatable({}, {__eq = function() return true end})")
		b.add("print(x == y, x ~= y, x == z, x == 1, rawequal(x, y), x == x)")
	case "lt-le":
		b.add("local mt = {__lt = function(a, b) return a.v < b.v end%s}", pick(g, "", ", __le = function(a, b) return a.v <= b.v end"))
		b.add("local a, b = setmetatable({v = 1}, mt), setmetatable({v = 2}, mt)")
		b.add("print(a < b, b < a, a > b)")
		b.add("print(pcall(function() return a <= b, b >= a, b <= a end))")
	case "arith":
		b.add("local mt = {__unm = function(a) return \"neg\" end, __add = function(a, b) return (type(a) == \"table\" and \"T\" or a) .. \"plus\" .. (type(b) == \"table\" and \"T\" or b) end}")
		b.add("local t = setmetatable({}, mt)")
		b.add("print(-t, t + 1, 2 + t, t + t)")
	case "len":
		b.add("local t = setmetatable({1, 2, 3}, {__len = function() return 99 end})")
		b.add("print(#t)")
	case "protected":
		b.add("local t = setmetatable({}, {__metatable = %s})", pick(g, "\"locked\"", "false", "{}"))
		b.add("local m = getmetatable(t)")
		b.add("print(type(m), type(m) == \"table\" and \"table\" or m)")
		b.add("print(pcall(setmetatable, t, {}))")
	}
	if g.chance(0.2) {
		b.add("print(getmetatable(\"s\").__index == string, %s)", fmt.Sprint(g.between(1, 9)))
	}
	return b.snippet("metatables", shape)
}
