package luagen

import (
	"fmt"
	"strings"
)

// The language's own shapes: multiple assignment, loops, constant
// conditions, closures with protected calls, table constructors.

// target is a place a multiple assignment assigns: its text on the left
// and the expression that reads it back.
type target struct {
	lhs, read string
	// key is true for a target whose key is an expression of variables
	// (t[(i or 1) % 4 + 1]): at most one such per statement, so that no
	// two targets of one statement are the same place.
	key bool
}

// multiassign is multiple assignment as the Lua 5.1 manual §2.4.3 orders
// it: every right-hand expression, table and key evaluated first, then
// the assignments; to locals, upvalues, globals, fields and indexed
// targets; with calls and varargs on the right, fewer values than
// targets and more.
func (g *Gen) multiassign() Snippet {
	shape := pick(g, "locals", "upvalues", "globals", "fields", "indexed", "mixed", "calls", "varargs", "localdecl", "fib")
	var b body
	var targets []target
	names := []string{"a", "b", "c", "d"}[:g.between(2, 4)]
	newLocals := func() {
		for i, n := range names {
			b.add("local %s = %d", n, i+1)
			targets = append(targets, target{lhs: n, read: n})
		}
	}
	globals := func() []string {
		var gs []string
		for i := range g.between(2, 3) {
			n := g.fresh("G")
			b.add("%s = %d", n, 10*(i+1))
			targets = append(targets, target{lhs: n, read: n})
			gs = append(gs, n)
		}
		return gs
	}
	table := func() {
		b.add("local t = {10, 20, 30, 40, x = 5, y = 6}")
		b.add("local i = 1")
		targets = append(targets,
			target{lhs: "t.x", read: "t.x"}, target{lhs: "t.y", read: "t.y"},
			target{lhs: `t["z"]`, read: "t.z"}, target{lhs: "i", read: "i"},
			target{lhs: "t[(i or 1) % 4 + 1]", read: "t[(i or 1) % 4 + 1]", key: true},
			target{lhs: "t[5]", read: "t[5]"})
	}
	b.add("local function pair(x, y) return y, x end")
	b.add("local function none() end")
	b.add("local function three() return 7, 8, 9 end")
	b.add("local calls = 0")
	b.add("local function counted(x) calls = calls + 1 return x end")
	var cleanup []string
	varargs := false
	switch shape {
	case "locals", "calls", "fib":
		newLocals()
	case "upvalues":
		newLocals()
		b.open("local function step()")
	case "globals":
		cleanup = globals()
	case "fields", "indexed":
		table()
	case "mixed":
		newLocals()
		table()
		cleanup = globals()
	case "varargs":
		newLocals()
		b.open("local function v(...)")
		varargs = true
	case "localdecl":
		newLocals()
	}
	stmts := g.between(1, 4)
	for range stmts {
		if shape == "localdecl" {
			g.localDecl(&b, names)
			continue
		}
		stmt := g.assignStmt(targets, shape == "calls" || shape == "mixed", varargs)
		if shape == "fib" || g.chance(0.3) {
			b.open("for _ = 1, %d do", g.between(2, 6))
			b.add("%s", stmt)
			b.close()
		} else {
			b.add("%s", stmt)
		}
	}
	switch shape {
	case "upvalues":
		b.close()
		b.add("step()")
		if g.chance(0.5) {
			b.add("step()")
		}
	case "varargs":
		b.add("print(%s)", reads(targets))
		b.close()
		b.add("v(%s)", pick(g, "", "100", "100, 200", "100, 200, 300", "nil, 200"))
	}
	b.add("print(%s)", reads(targets))
	b.add("print(\"calls\", calls)")
	for _, n := range cleanup {
		b.add("%s = nil", n)
	}
	return b.snippet("multiassign", shape)
}

// reads is the expressions reading targets, each through N, separated by
// commas.
func reads(ts []target) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, "N("+t.read+")")
	}
	return strings.Join(parts, ", ")
}

// assignStmt is one multiple assignment to distinct targets.
func (g *Gen) assignStmt(targets []target, calls, varargs bool) string {
	perm := g.r.Perm(len(targets))
	n := g.between(1, min(4, len(targets)))
	var lhs []string
	keyed := false
	for _, i := range perm {
		if len(lhs) == n {
			break
		}
		if targets[i].key {
			if keyed {
				continue
			}
			keyed = true
		}
		lhs = append(lhs, targets[i].lhs)
	}
	nr := g.between(max(1, len(lhs)-2), len(lhs)+2)
	var rhs []string
	for j := range nr {
		last := j == nr-1
		rhs = append(rhs, g.rhsExpr(targets, calls || g.chance(0.2), varargs, last))
	}
	return strings.Join(lhs, ", ") + " = " + strings.Join(rhs, ", ")
}

// rhsExpr is one right-hand expression: a target read back, a constant,
// arithmetic on targets, a call (multi-valued when last), or varargs.
func (g *Gen) rhsExpr(targets []target, calls, varargs, last bool) string {
	t := func() string { return targets[g.intn(len(targets))].read }
	k := g.intn(10)
	switch {
	case varargs && k < 3:
		if g.chance(0.3) {
			return "select('#', ...)"
		}
		return "..."
	case calls && k < 3:
		return pick(g,
			"pair("+t()+", "+t()+")",
			"none()",
			"three()",
			"(three())",
			"counted("+t()+")",
			"(pair("+t()+", 1))")
	case k < 5:
		return t()
	case k < 7:
		return fmt.Sprintf("(%s or 0) + %d", t(), g.between(1, 9))
	case k < 8:
		return fmt.Sprintf("(%s or 0) + (%s or 0)", t(), t())
	default:
		return fmt.Sprint(g.between(1, 99))
	}
}

// localDecl is a local declaration of several names that reads the names
// it shadows, in a block of its own, printed inside and after.
func (g *Gen) localDecl(b *body, names []string) {
	n := g.between(1, len(names))
	perm := g.r.Perm(len(names))
	var lhs, rhs []string
	for _, i := range perm[:n] {
		lhs = append(lhs, names[i])
	}
	for range g.between(max(1, n-1), n+1) {
		switch g.intn(4) {
		case 0:
			rhs = append(rhs, fmt.Sprint(g.between(1, 9)*100))
		case 1:
			rhs = append(rhs, fmt.Sprintf("(%s or 0) + 1", names[g.intn(len(names))]))
		default:
			rhs = append(rhs, names[g.intn(len(names))])
		}
	}
	b.open("do")
	b.add("local %s = %s", strings.Join(lhs, ", "), strings.Join(rhs, ", "))
	b.add("print(%s)", ns(lhs))
	b.close()
	b.add("print(%s)", ns(names))
}

// ns is names each passed through N, separated by commas.
func ns(names []string) string {
	var parts []string
	for _, n := range names {
		parts = append(parts, "N("+n+")")
	}
	return strings.Join(parts, ", ")
}

// forloops is numeric for with integer and fractional steps, and generic
// for with every shape of iterator: pairs, ipairs, next with two values
// and with three, a stateless iterator, a closure, one returning more or
// fewer values than the loop names, a callable table, gmatch; alone,
// nested, with break, and inside a function called twice.
func (g *Gen) forloops() Snippet {
	shape := pick(g, "numeric", "numeric-float", "pairs", "ipairs", "next2", "next3", "stateless", "closure", "morevals", "callable", "gmatch", "nested")
	var b body
	b.add("local acc = {}")
	b.add("local n = 0")
	b.add("local t = {5, 6, 7, 8, x = 1, y = 2}")
	b.add("local function it(s, c) if c < s then return c + 1, c * c, -c end end")
	b.add("local function gen(k) local i = 0 return function() i = i + 1 if i <= k then return i * 10 end end end")
	b.add("local callable = setmetatable({}, {__call = function(self, s, c) c = c + 1 if c <= 3 then return c end end})")
	inFunc := shape == "next2" || g.chance(0.3)
	if inFunc {
		b.open("local function run()")
		b.add("acc = {}")
		b.add("n = 0")
	}
	g.loop(&b, shape, 0)
	b.add("print(#acc, table.concat(acc, \",\"), n)")
	if inFunc {
		b.close()
		b.add("run()")
		b.add("run()")
	}
	return b.snippet("forloops", shape)
}

// loop appends one loop of shape whose body records into acc and counts
// into n.
func (g *Gen) loop(b *body, shape string, depth int) {
	brk := g.chance(0.3)
	record := func(v string) {
		b.add("n = guard(n)")
		b.add("acc[#acc + 1] = %s", v)
	}
	switch shape {
	case "numeric":
		from, to := g.between(-3, 5), g.between(-3, 8)
		step := pick(g, "", ", 1", ", 2", ", -1", ", -2", ", 3")
		b.open("for i = %d, %d%s do", from, to, step)
		record("i")
		if g.chance(0.3) {
			b.add("i = i * 100")
		}
		if brk {
			b.add("if i == %d then break end", g.between(-3, 8))
		}
	case "numeric-float":
		from := pick(g, "0", "1", "-1", "0.5")
		to := pick(g, "1", "2", "-1", "0", "1.5")
		step := pick(g, "0.25", "0.5", "0.1", "-0.25", "0.3", "-0.1")
		b.open("for x = %s, %s, %s do", from, to, step)
		record("N(x)")
	case "pairs":
		b.open("for k, v in pairs(t) do")
		b.add("n = guard(n)")
		b.add("if type(k) == \"number\" then acc[#acc + 1] = k * v end")
		b.close()
		b.add("table.sort(acc)")
		return
	case "ipairs":
		b.add("local holey = {1, 2, nil, 4}")
		b.open("for i, v in ipairs(%s) do", pick(g, "t", "holey", "{}", "{\"a\", \"b\"}"))
		record("i .. \"=\" .. v")
	case "next2":
		b.add("local sum = 0")
		b.open("for k, v in next, t do")
		b.add("n = guard(n)")
		b.add("sum = sum + v")
		b.close()
		b.add("acc[#acc + 1] = sum")
		return
	case "next3":
		b.add("local sum = 0")
		b.open("for k, v in next, t, nil do")
		b.add("n = guard(n)")
		b.add("sum = sum + v")
		b.close()
		b.add("acc[#acc + 1] = sum")
		return
	case "stateless":
		vars := pick(g, "i", "i, sq", "i, sq, neg", "i, sq, neg, extra")
		b.open("for %s in it, %d, %d do", vars, g.between(0, 5), g.between(-1, 2))
		record("N(" + strings.ReplaceAll(vars, ", ", ") .. \":\" .. N(") + ")")
	case "closure":
		b.open("for v in gen(%d) do", g.between(0, 4))
		record("v")
	case "morevals":
		b.add("local function three(s, c) if c < 3 then return c + 1, \"b\", \"c\" end end")
		b.add("local function one(s, c) if c < 3 then return c + 1 end end")
		if g.chance(0.5) {
			b.open("for a in three, nil, 0 do")
			record("a")
		} else {
			b.open("for a, x, y in one, nil, 0 do")
			record("a .. tostring(x) .. tostring(y)")
		}
	case "callable":
		b.open("for c in callable, nil, 0 do")
		record("c")
	case "gmatch":
		if g.chance(0.5) {
			b.open("for w in string.gmatch(\"one two  three\", \"%%a+\") do")
			record("w")
		} else {
			b.open("for k, v in string.gmatch(\"a=1, b=2, c=3\", \"(%%w+)=(%%w+)\") do")
			record("k .. v")
		}
	case "nested":
		inner := pick(g, "numeric", "stateless", "closure", "ipairs", "next2")
		b.open("for o = 1, %d do", g.between(1, 3))
		b.add("acc[#acc + 1] = \"o\" .. o")
		g.loop(b, inner, depth+1)
		if brk {
			b.add("if o == 2 then break end")
		}
		b.close()
		return
	}
	if brk && shape != "numeric" {
		b.add("if n == %d then break end", g.between(1, 3))
	}
	b.close()
}

// constif is a loop whose body has an if with a constant condition (the
// dead branch may declare locals or break), in a numeric, generic, while
// or repeat loop, at top level or in a function.
func (g *Gen) constif() Snippet {
	loop := pick(g, "numeric", "pairs", "ipairs", "next", "while", "repeat")
	var b body
	b.add("local acc = {}")
	b.add("local n = 0")
	b.add("local t = {3, 4, 5}")
	inFunc := g.chance(0.4)
	if inFunc {
		b.open("local function run()")
	}
	switch loop {
	case "numeric":
		b.open("for i = 1, %d do", g.between(1, 4))
		b.add("local v = i")
	case "pairs":
		b.open("for k, v in pairs(t) do")
	case "ipairs":
		b.open("for k, v in ipairs(t) do")
	case "next":
		// Three values: with two, a generic for has gopher-lua #514
		// of its own (forloops).
		b.open("for k, v in next, t, nil do")
	case "while":
		b.add("local w = 0")
		b.open("while w < %d do", g.between(1, 4))
		b.add("w = w + 1")
		b.add("local v = w")
	case "repeat":
		b.add("local w = 0")
		b.open("repeat")
		b.add("w = w + 1")
		b.add("local v = w")
	}
	// The constant if first in the body, or after other statements
	// (gopher-lua #540 shows when it comes first).
	first := g.chance(0.6)
	if !first {
		b.add("n = guard(n)")
	}
	for range g.between(1, 3) {
		g.constIf(&b)
	}
	if first {
		b.add("n = guard(n)")
	}
	b.add("acc[#acc + 1] = tostring(v)")
	if loop == "repeat" {
		b.close(fmt.Sprintf("until w >= %d", g.between(1, 4)))
	} else {
		b.close()
	}
	// Code after the loop, with a local of its own: where gopher-lua
	// #540 shows (a call or a return there goes wrong).
	b.add("local after = n + 1")
	b.add("table.sort(acc)")
	b.add("print(#acc, table.concat(acc, \",\"), n, after)")
	if inFunc {
		b.add("return after")
		b.close()
		b.add("print(run())")
	}
	return b.snippet("constif", loop)
}

// constIf appends one if statement with constant conditions.
func (g *Gen) constIf(b *body) {
	falsy := []string{"false", "nil", "not true", "not 1"}
	truthy := []string{"true", "1", "not nil", "not false", "\"s\""}
	dead := func() {
		switch g.intn(7) {
		case 4:
			b.add("local x = %d", g.between(1, 9))
		case 5:
			b.add("local x")
		case 6:
			b.add("local x, y = %d", g.between(1, 9))
		case 0:
			b.add("local dead = %d", g.between(1, 9))
			b.add("acc[#acc + 1] = tostring(dead)")
		case 1:
			b.add("break")
		case 2:
			b.add("acc[#acc + 1] = \"dead\"")
		default:
			b.add("local a = 1")
			b.add("v = a + 2")
		}
	}
	live := func() {
		switch g.intn(3) {
		case 0:
			b.add("local live = v")
			b.add("acc[#acc + 1] = \"live\" .. tostring(live)")
		case 1:
			b.add("n = n + 0")
		default:
			b.add("acc[#acc + 1] = \"L\"")
		}
	}
	switch g.intn(5) {
	case 0:
		b.open("if %s then", pick(g, falsy...))
		dead()
		b.close()
	case 1:
		b.open("if %s then", pick(g, falsy...))
		dead()
		b.depth--
		b.add("else")
		b.depth++
		live()
		b.close()
	case 2:
		b.open("if %s then", pick(g, truthy...))
		live()
		b.depth--
		b.add("else")
		b.depth++
		dead()
		b.close()
	case 3:
		b.open("if %s then", pick(g, falsy...))
		dead()
		b.depth--
		b.add("elseif %s then", pick(g, falsy...))
		b.depth++
		dead()
		b.depth--
		b.add("elseif %s then", pick(g, truthy...))
		b.depth++
		live()
		b.close()
	default:
		b.open("while %s do", pick(g, falsy...))
		dead()
		b.close()
	}
}

// closures is a function whose local is shared with closures it made,
// around a protected call that catches an error (gopher-lua #448): the
// local read in the maker and through the closures must agree.
func (g *Gen) closures() Snippet {
	shape := pick(g, "pcall-after", "pcall-before", "xpcall", "nested", "loop", "error-in-closure", "pcall-in-pcall", "two-makers")
	var b body
	thrower := pick(g,
		"error, \"boom\"",
		"function() error(\"boom\") end",
		"function() local z = nil; return z.f end",
		"function() error({code = 1}) end",
		"string.rep",
		"function() error() end")
	b.open("local function maker()")
	b.add("local n = 0")
	b.add("local other = 100")
	switch shape {
	case "pcall-after", "two-makers":
		b.add("local function inc() n = n + 1; other = other + 1 end")
		b.add("local function get() return n, other end")
		b.add("print(pcall(%s) == false)", thrower)
		b.add("n = n + 10")
		b.add("inc()")
	case "pcall-before":
		b.add("print(pcall(%s) == false)", thrower)
		b.add("local function inc() n = n + 1; other = other + 1 end")
		b.add("local function get() return n, other end")
		b.add("n = n + 10")
		b.add("inc()")
	case "xpcall":
		b.add("local function inc() n = n + 1; other = other + 1 end")
		b.add("local function get() return n, other end")
		b.add("print(xpcall(%s, function(m) return \"handled\" end))", strings.Replace(thrower, ", \"boom\"", "", 1))
		b.add("n = n + 10")
		b.add("inc()")
	case "nested":
		b.add("local function get() return n, other end")
		b.open("local function mid()")
		b.add("local function inc() n = n + 1; other = other + 1 end")
		b.add("print(pcall(%s) == false)", thrower)
		b.add("inc()")
		b.add("return inc")
		b.close()
		b.add("local inc = mid()")
		b.add("n = n + 10")
		b.add("inc()")
	case "loop":
		b.add("local fs = {}")
		b.open("for i = 1, 3 do")
		b.add("local mine = i")
		b.add("fs[i] = function() mine = mine + 1; n = n + 1; return mine end")
		b.add("pcall(%s)", thrower)
		b.add("fs[i]()")
		b.add("mine = mine * 10")
		b.add("local r = fs[i]()")
		b.add("print(i, mine, r)")
		b.close()
		b.add("local function inc() end")
		b.add("local function get() return n, other end")
	case "error-in-closure":
		b.add("local function inc() n = n + 1; other = other + 1; error(\"in closure\") end")
		b.add("local function get() return n, other end")
		b.add("print(pcall(inc))")
		b.add("n = n + 10")
		b.add("print(pcall(inc))")
	case "pcall-in-pcall":
		b.add("local function inc() n = n + 1; other = other + 1 end")
		b.add("local function get() return n, other end")
		b.add("print(pcall(function() local ok = pcall(%s); inc(); error(\"outer\", 0) end))", thrower)
		b.add("n = n + 10")
		b.add("inc()")
	}
	b.add("print(\"maker\", n, other)")
	b.add("print(\"closure\", get())")
	b.add("return get")
	b.close()
	b.add("local get = maker()")
	b.add("print(\"after\", get())")
	if shape == "two-makers" {
		b.add("local get2 = maker()")
		b.add("print(\"second\", get2())")
	}
	return b.snippet("closures", shape)
}

// constructors is table constructors: calls and varargs in the last
// position (all their values) and elsewhere (one), parenthesized calls,
// positional items over explicit keys, trailing separators, nested
// constructors, and one with 30,000 items (gopher-lua #537) compiled
// with loadstring.
func (g *Gen) constructors() Snippet {
	shape := pick(g, "tail-call", "mid-call", "paren", "varargs", "keys", "nested", "big")
	var b body
	b.add("local function f0() end")
	b.add("local function f1() return \"one\" end")
	b.add("local function f3() return 1, 2, 3 end")
	show := func(expr string, n int) {
		b.add("local t = %s", expr)
		var parts []string
		for i := 1; i <= n; i++ {
			parts = append(parts, fmt.Sprintf("N(t[%d])", i))
		}
		b.add("print(%s)", strings.Join(parts, ", "))
	}
	call := func() string { return pick(g, "f0()", "f1()", "f3()") }
	switch shape {
	case "tail-call":
		show(fmt.Sprintf("{%s}", strings.Join(append(g.items(g.intn(3)), call()), ", ")), 6)
	case "mid-call":
		show(fmt.Sprintf("{%s, %s%s}", call(), call(), pick(g, "", ", 9", ", nil")), 6)
	case "paren":
		show(fmt.Sprintf("{(%s), %s}", call(), pick(g, "(f3())", "f3()", "(f0())")), 6)
	case "varargs":
		b.add("local function v(...) return {%s} end", pick(g, "...", "n = select('#', ...), ...", "..., \"last\"", "(...)", "0, ..."))
		b.add("local t = v(%s)", pick(g, "", "1", "1, 2", "nil, 2", "1, nil, 3"))
		b.add("print(N(t.n), N(t[1]), N(t[2]), N(t[3]), N(t[4]))")
	case "keys":
		show(pick(g,
			"{[3] = \"a\", \"b\"}",
			"{\"b\", [3] = \"a\"}",
			"{x = 1, [3] = \"k\", 3, 4}",
			"{[4] = \"k\", f3()}",
			"{f3(), [2] = \"k\"}",
			"{1, 2, 3; x = 4;}",
			"{[1.0] = \"float\", [2] = \"two\"}"), 4)
		b.add("print(N(t.x))")
	case "nested":
		show(fmt.Sprintf("{{%s}, {f3()}, f3()}", call()), 5)
		b.add("print(N(t[1][1]), N(t[2][3]))")
	case "big":
		n := pick(g, 25549, 25550, 25551, 30000)
		b.add("local src = \"return {\" .. string.rep(\"7,\", %d) .. \"8}\"", n)
		b.add("local t = assert(loadstring(src))()")
		b.add("print(#t, N(t[%d]), N(t[%d]))", n, n+1)
	}
	return b.snippet("constructors", shape)
}

// items is n constant items for a constructor.
func (g *Gen) items(n int) []string {
	var out []string
	for range n {
		out = append(out, pick(g, "1", "\"s\"", "true", "2.5"))
	}
	return out
}
