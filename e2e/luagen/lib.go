package luagen

import (
	"fmt"
	"strings"
)

// The standard library's shapes: numbers as text, string.format,
// tonumber, the table library, string.byte/sub/rep, select and unpack.

// numbers are expressions of numbers whose text Lua 5.1 writes with
// %.14g: integers, the edges of the integers a double holds, fractions,
// infinities, -0, nan.
var numbers = []string{
	"0", "1", "-1", "100", "255", "1e14", "1e15", "1e16", "1e100", "-1e-5",
	"123456789012345", "12345678901234", "2^53", "2^63", "-2^63", "2^31", "2^32 + 0.5",
	"1/3", "-1/3", "2/3", "0.1", "0.1 + 0.2", "3.14159265358979", "math.pi",
	"1e-310", "5e-324", "12.5", "-7.25", "1e300 * 10", "-1e300 * 10",
	"math.huge", "-math.huge", "-0", "0 * -1", "0/0", "-(0/0)", "100 / 2", "7 % 3",
	"-7 % 3", "5.5 % 2", "2^0.5", "1e15 + 0.5", "99999999999999", "999999999999999",
}

// numtext is numbers made text: print, tostring, .., table.concat,
// io.write, string.format's %s, and a number used as a table key made
// text again.
func (g *Gen) numtext() Snippet {
	shape := pick(g, "print", "tostring", "concat", "table.concat", "io.write", "format-s", "key")
	var b body
	var xs []string
	for range g.between(1, 4) {
		xs = append(xs, "("+pick(g, numbers...)+")")
	}
	list := strings.Join(xs, ", ")
	switch shape {
	case "print":
		b.add("print(%s)", list)
	case "tostring":
		for _, x := range xs {
			b.add("print(tostring(%s), #tostring(%s))", x, x)
		}
	case "concat":
		for _, x := range xs {
			b.add("print(%s .. \"|\", \"|\" .. %s, %s .. %s)", x, x, x, x)
		}
	case "table.concat":
		b.add("print(table.concat({%s}, \" \"))", list)
	case "io.write":
		b.add("io.write(%s, \"\\n\")", strings.Join(xs, ", \" \", "))
	case "format-s":
		b.add("print(string.format(%s, %s))", quote(strings.Repeat("[%s]", len(xs))), list)
	case "key":
		b.add("local t = {}")
		for i, x := range xs {
			b.add("t[tostring(%s)] = %d", x, i+1)
		}
		for _, x := range xs {
			b.add("print(t[tostring(%s)] ~= nil, t[%s .. \"\"] ~= nil)", x, x)
		}
	}
	return b.snippet("numtext", shape)
}

// format is string.format with one or more directives: every conversion
// Lua 5.1 has (%d %i %u %c %x %X %o %e %E %f %g %G %q %s %%), flags,
// width and precision, arguments of each kind, too few and too many
// arguments, and options it rejects.
func (g *Gen) format() Snippet {
	shape := pick(g, "integer", "float", "string", "quote", "mixed", "args", "invalid")
	var b body
	var fmts, args []string
	directive := func(kind string) {
		flags := ""
		for range g.intn(3) {
			flags += pick(g, "-", "+", " ", "#", "0")
		}
		width := ""
		if g.chance(0.5) {
			width = fmt.Sprint(g.between(1, 12))
		}
		prec := ""
		if g.chance(0.4) {
			prec = "." + fmt.Sprint(g.intn(10))
		}
		switch kind {
		case "integer":
			conv := pick(g, "d", "i", "u", "x", "X", "o", "c")
			if conv == "c" {
				// Only "-" is defined for %c in C.
				fmts = append(fmts, "%"+strings.Repeat("-", strings.Count(flags, "-"))+width+"c")
				args = append(args, pick(g, "65", "97", "48", "32", "10", "0", "126"))
				return
			}
			fmts = append(fmts, "%"+flags+width+prec+conv)
			args = append(args, pick(g, "0", "1", "-1", "42", "-42", "255", "65535", "3.7", "-3.7", "2^31", "2^40", "-2^40", "\"12\"", "\" 7 \""))
		case "float":
			conv := pick(g, "e", "E", "f", "g", "G")
			fmts = append(fmts, "%"+flags+width+prec+conv)
			args = append(args, pick(g, "0", "1", "-1", "0.5", "1/3", "-2/3", "1e15", "1e-5", "123456.789", "1e100", "2^53",
				"math.huge", "-math.huge", "-0", "100", "0.1", "\"2.5\"", "1e-300"))
		case "string":
			f := "%" + strings.ReplaceAll(strings.ReplaceAll(flags, "0", ""), "#", "") + width + prec + "s"
			fmts = append(fmts, f)
			args = append(args, pick(g, "\"\"", "\"abc\"", "\"hello world\"", "42", "1.5", "\"a\\0b\""))
		case "quote":
			fmts = append(fmts, "%q")
			args = append(args, pick(g, "\"plain\"", "\"a\\nb\"", "\"tab\\there\"", "\"q\\\"uote\"", "\"back\\\\slash\"",
				"\"nul\\0mid\"", "\"cr\\r\"", "\"\\1\\2\\3\"", "\"\\200\\255\"", "\"\\0001\"", "42", "\"\""))
		case "percent":
			fmts = append(fmts, "%%")
		}
	}
	kinds := []string{"integer", "float", "string", "quote", "percent"}
	switch shape {
	case "integer", "float", "string", "quote":
		for range g.between(1, 3) {
			directive(shape)
		}
	case "mixed", "args":
		for range g.between(2, 5) {
			directive(pick(g, kinds...))
		}
	case "invalid":
		fmts = append(fmts, pick(g, "%y", "%", "%10", "%123d", "%.123f", "%-#- +05.3 d", "%b", "%5.2q"))
		args = append(args, "1")
	}
	text := strings.Join(fmts, pick(g, "|", " ", "", "<>"))
	switch {
	case shape == "args" && g.chance(0.5) && len(args) > 0:
		args = args[:len(args)-1] // one too few
	case shape == "args":
		args = append(args, "\"extra\"", "99") // more than it uses
	}
	all := append([]string{quote(text)}, args...)
	b.add("R(pcall(string.format, %s))", strings.Join(all, ", "))
	return b.snippet("format", shape)
}

// tonumber is tonumber of strings, with and without a base, and strings
// in arithmetic.
func (g *Gen) tonumber() Snippet {
	shape := pick(g, "decimal", "base", "arith")
	var b body
	strs := []string{"10", "  10  ", "0x10", "0X1f", "1e2", "1E+2", "-1e-2", ".5", "5.", "1_0", "10a",
		"", " ", "inf", "nan", "-inf", "1e", "0x", "0x1p4", "1.5", "-.5", "+5", "- 5", "0b101", "1e400",
		"\t7\n", "0x7fffffff", "1e-400", "00012", "1..2", "0x-1", "2^3", "١"}
	switch shape {
	case "decimal":
		for range g.between(1, 4) {
			s := pick(g, strs...)
			b.add("local v = tonumber(%s)", quote(s))
			b.add("print(%s, type(v), N(v))", quote(s))
		}
	case "base":
		for range g.between(1, 4) {
			s := pick(g, "10", "ff", "FF", "z", "Z", "777", "8", "1.5", " 11 ", "-11", "0x10", "", "1 1", "zz", "1e2", "-0", "7fffffff")
			base := pick(g, "2", "8", "10", "16", "36", "nil", "1", "37")
			b.add("R(pcall(tonumber, %s, %s))", quote(s), base)
		}
	case "arith":
		for range g.between(1, 4) {
			s := pick(g, strs...)
			op := pick(g, "+ 0", "* 1", "- 0", "/ 1")
			// Whether it fails is tonumber's; the message is errmsg's.
			b.add("local ok, v = pcall(function() return N(%s %s) end)", quote(s), op)
			b.add("print(%s, ok, ok and v or \"error\")", quote(s))
		}
	}
	return b.snippet("tonumber", shape)
}

// tablelib is table.insert, remove, concat, getn, maxn, sort at their
// edges: positions 0 and past the end, empty tables, a table whose last
// element was set to nil, separators and elements of each type, ranges
// that are empty or reach past the end.
func (g *Gen) tablelib() Snippet {
	shape := pick(g, "insert", "remove", "concat", "getn-maxn", "sort")
	var b body
	b.add("local function show(t, n) local o = {} for i = 1, n do o[i] = N(t[i]) end return table.concat(o, \",\") end")
	b.add("local t = {%s}", pick(g, "", "1", "1, 2, 3", "\"a\", \"b\", \"c\", \"d\"", "10, 20"))
	switch shape {
	case "insert":
		for range g.between(1, 3) {
			// Not position 0: it moves t[0]'s nil into t[1], and the length
			// of a table with a hole is not one number.
			b.add("R(pcall(table.insert, t, %s))", pick(g, "\"v\"", "1, \"first\"", "#t + 1, \"end\"", "2, \"two\"", "math.max(#t, 1), \"last\"",
				"1, 2, 3", "nil"))
			b.add("print(#t, show(t, 6))")
		}
	case "remove":
		if g.chance(0.4) {
			b.add("t[#t] = nil")
		}
		for range g.between(1, 3) {
			b.add("print(select(\"#\", table.remove(t%s)), show(t, 5))", pick(g, "", ", 1", ", 0", ", #t", ", #t + 1", ", 2", ", -1", ", #t + 2"))
			b.add("print(#t)")
		}
		b.add("R(pcall(table.remove, t, 1))")
	case "concat":
		b.add("t[#t + 1] = %s", pick(g, "5", "2.5", "\"x\"", "-3"))
		for range g.between(1, 3) {
			b.add("R(pcall(table.concat, t%s))", pick(g, "", ", \",\"", ", 0", ", \", \", 2", ", \"-\", 2, 3", ", \"\", 3, 2",
				", \"\", 1, #t + 1", ", 1.5", ", nil, 1, 1", ", \"\", 0, 1", ", \"+\", -1, 1"))
		}
		b.add("R(pcall(table.concat, {1, {}, 3}))")
		b.add("R(pcall(table.concat, {1, nil, 3}, \",\", 1, 3))")
		b.add("R(pcall(table.concat, {true}))")
	case "getn-maxn":
		b.add("local m = {1, 2, [10] = \"ten\", [12.5] = \"frac\", x = 99}")
		b.add("R(pcall(table.getn, t))")
		b.add("R(pcall(table.maxn, m))")
		b.add("R(pcall(table.maxn, {}))")
		b.add("print(type(table.foreach), type(table.foreachi), type(table.setn))")
	case "sort":
		b.add("local s = {%s}", pick(g, "5, 2, 8, 1, 9", "\"pear\", \"apple\", \"fig\"", "3, 1, 2", "1"))
		b.add("table.sort(s%s)", pick(g, "", ", function(a, b) return a > b end"))
		b.add("print(show(s, #s))")
		// Which pair is compared first is the sort algorithm's: only
		// that it fails is Lua 5.1's.
		b.add("print((pcall(table.sort, {3, \"a\", 1})))")
	}
	return b.snippet("tablelib", shape)
}

// stringlib is string.byte, sub, rep, char, len, upper, lower and
// reverse at their edges: index 0, negative indices, indices past the
// end, empty ranges, counts of zero and below, fractional indices.
func (g *Gen) stringlib() Snippet {
	shape := pick(g, "byte", "sub", "rep", "char", "misc")
	var b body
	s := pick(g, "\"hello\"", "\"\"", "\"a\"", "\"\\0\\1\\255\"", "\"Lua 5.1\"")
	idx := func() string { return pick(g, "0", "1", "2", "-1", "-2", "-100", "100", "3", "1.5", "-0.5", "nil") }
	switch shape {
	case "byte":
		for range g.between(1, 4) {
			b.add("R(pcall(string.byte, %s, %s, %s))", s, idx(), idx())
		}
		b.add("P(string.byte(%s))", s)
	case "sub":
		for range g.between(1, 4) {
			b.add("R(pcall(string.sub, %s, %s, %s))", s, idx(), idx())
		}
		b.add("print((%s):sub(%s))", s, pick(g, "0", "1", "2", "-1", "-100", "100"))
	case "rep":
		for range g.between(1, 3) {
			b.add("R(pcall(string.rep, %s, %s%s))", s, pick(g, "0", "1", "3", "-1", "2.7", "\"2\""), pick(g, "", "", ", \",\"", ", 5"))
		}
	case "char":
		b.add("R(pcall(string.char%s))", pick(g, "", ", 72, 105", ", 0, 255", ", 256", ", -1", ", 65.9", ", \"66\""))
	case "misc":
		b.add("print(#%s, (%s):len(), (%s):upper(), (%s):lower(), (%s):reverse())", s, s, s, s, s)
		b.add("R(pcall(string.len, nil))")
	}
	return b.snippet("stringlib", shape)
}

// selectunpack is select with counts, positive, negative, zero and out of
// range indices, and unpack with and without ranges, over holes.
func (g *Gen) selectunpack() Snippet {
	shape := pick(g, "select", "unpack", "select", "unpack", "types")
	var b body
	vals := pick(g, "", "1", "1, 2, 3", "nil, nil", "\"a\", nil, \"c\"")
	switch shape {
	case "select":
		for range g.between(1, 4) {
			b.add("R(pcall(select, %s%s))", pick(g, "\"#\"", "1", "2", "3", "-1", "-2", "-5", "0", "\"2\"", "10", "1.5"), prefixComma(vals))
		}
	case "unpack":
		for range g.between(1, 4) {
			r := pick(g, "", ", 1", ", 2", ", 1, 3", ", 2, 1", ", -1, 1", ", 3, 5", ", 1, 0", ", nil, 2")
			if strings.Contains(vals, "\"a\", nil") && strings.Count(r, ",") < 2 {
				r = ", 1, 3" // the length of a table with a hole is not one number
			}
			b.add("R(pcall(unpack, {%s}%s))", vals, r)
		}
	case "types":
		b.add("print(type(select), type(unpack), type(table.unpack))")
	}
	return b.snippet("selectunpack", shape)
}

// prefixComma is ", " + s, or "" for an empty s.
func prefixComma(s string) string {
	if s == "" {
		return ""
	}
	return ", " + s
}
