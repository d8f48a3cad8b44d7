// Package luagen generates deterministic Lua 5.1 programs whose output
// tells one Lua implementation from another: each program is a list of
// snippets, each snippet a few statements of one category (multiple
// assignment, loops, numbers as text, string.format, coroutines, ...)
// that print what they compute. The same seed gives the same program, so
// a difference found once is found again.
//
// Every snippet is valid Lua 5.1 whose output lua5.1 defines: no
// iteration order of pairs is printed, no table address, no length of a
// table with holes, no two targets of one assignment that are the same
// variable, and every loop is bounded by a guard, so that even a wrong VM
// ends it.
//
// Script puts many snippets in one chunk, each in a function of its own
// called by pcall after a header line, and Split cuts the chunk's output
// back into each snippet's, so that one process runs thousands of
// snippets and one error hides none of the others.
//
// The package is test machinery: sockrun's e2e tests compare lua5.1 with
// the sockrun binary on its programs. It imports nothing of sockrun, so
// an in-process test of the Lua layer can use it too.
package luagen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Snippet is one generated piece of Lua: statements that print their
// results, meant to run as the body of a function of their own.
type Snippet struct {
	// Category is what the snippet exercises: one of Categories().
	Category string
	// Shape is the form within the category ("locals", "next2", ...).
	Shape string
	// Body is the Lua source: statements, indented by two spaces.
	Body string
}

// Name is "category/shape".
func (s Snippet) Name() string { return s.Category + "/" + s.Shape }

// Gen makes snippets from a source of random numbers.
type Gen struct {
	r  *rand.Rand
	id int // counter for names unique within one generator
}

// New returns a generator drawing from src.
func New(src rand.Source) *Gen { return &Gen{r: rand.New(src)} }

// NewSeeded returns the generator for seed: the same seed, the same
// snippets.
func NewSeeded(seed uint64) *Gen { return New(rand.NewPCG(seed, 0x51ed51ed)) }

// category is one kind of snippet and the function that makes one.
type category struct {
	name string
	gen  func(g *Gen) Snippet
}

// categories are the generator's categories, in a fixed order.
var categories = []category{
	{"multiassign", (*Gen).multiassign},
	{"forloops", (*Gen).forloops},
	{"constif", (*Gen).constif},
	{"closures", (*Gen).closures},
	{"constructors", (*Gen).constructors},
	{"numtext", (*Gen).numtext},
	{"format", (*Gen).format},
	{"tonumber", (*Gen).tonumber},
	{"tablelib", (*Gen).tablelib},
	{"stringlib", (*Gen).stringlib},
	{"selectunpack", (*Gen).selectunpack},
	{"errors", (*Gen).errors},
	{"errmsg", (*Gen).errmsg},
	{"coroutines", (*Gen).coroutines},
	{"metatables", (*Gen).metatables},
}

// Categories are the names of the categories, in the generator's order.
func Categories() []string {
	names := make([]string, len(categories))
	for i, c := range categories {
		names[i] = c.name
	}
	return names
}

// Snippet returns a snippet of a category chosen at random.
func (g *Gen) Snippet() Snippet {
	return categories[g.r.IntN(len(categories))].gen(g)
}

// Of returns a snippet of the named category; it panics on a name that
// is not one of Categories() (a mistake in the caller).
func (g *Gen) Of(name string) Snippet {
	for _, c := range categories {
		if c.name == name {
			return c.gen(g)
		}
	}
	panic("luagen: no category " + strconv.Quote(name))
}

// Program is the n snippets of seed.
func Program(seed uint64, n int) []Snippet {
	g := NewSeeded(seed)
	out := make([]Snippet, n)
	for i := range out {
		out[i] = g.Snippet()
	}
	return out
}

// The helpers every snippet may call, defined as globals at the top of
// a Script (snippets never assign these names).
//
// N writes a value as text the same way on every Lua 5.1: numbers with
// %.17g (which both the C library and Go's write alike for finite
// values), nan without its sign, -0 as "-0", nil, booleans and strings
// with tostring, other values as their type (an address is no one's
// answer). Snippets print numbers through N unless number-to-text is
// what they test. R prints what a pcall returned as P does, or "error"
// for an error: whether a library call fails is its category's, the
// message is errmsg's (Lua 5.1 and gopher-lua word them differently).
// guard counts a loop's turns and ends a runaway loop
// with an error. print writes a string with a NUL byte through io.write:
// lua5.1's print writes each value with C's fputs, which stops at the
// first NUL, and the snippets' strings hold NULs (sockrun writes them
// whole, a difference docs/lua.md lists).
const prelude = `do
  local print, write, tostring, select, type, find = print, io.write, tostring, select, type, string.find
  function _G.print(...)
    local n = select("#", ...)
    for i = 1, n do
      local v = select(i, ...)
      if type(v) == "string" and find(v, "\0", 1, true) then
        for j = 1, n do
          if j > 1 then write("\t") end
          write(tostring((select(j, ...))))
        end
        write("\n")
        return
      end
    end
    print(...)
  end
end
function N(x)
  local ty = type(x)
  if ty == "nil" or ty == "boolean" or ty == "string" then return tostring(x) end
  if ty ~= "number" then return ty end
  if x ~= x then return "nan" end
  if x == 0 and 1/x < 0 then return "-0" end
  return string.format("%.17g", x)
end
function P(...)
  local t = {}
  for i = 1, select("#", ...) do t[i] = N((select(i, ...))) end
  print(select("#", ...), table.concat(t, " "))
end
function R(ok, ...)
  if ok then P(...) else print("error") end
end
function guard(n)
  if n > 200 then error("runaway loop", 2) end
  return n + 1
end
`

// headerPrefix starts the line printed before each snippet's output.
const headerPrefix = "@@ snippet "

// endLine is printed after the last snippet.
const endLine = "@@ end"

// Script is one Lua chunk that runs snips[from:to], each in a function
// of its own called by pcall after the header line "@@ snippet i" (i its
// index in snips), then prints "@@ end". An error that escapes a snippet
// is printed as "@@ error", its type and its text (tables as their type
// only: an address is no one's answer). Every line is where it is in the
// Script of all of snips, the snippets before from left as empty lines,
// so that the positions in error messages are the same whatever part of
// snips runs.
func Script(snips []Snippet, from, to int) string {
	var b strings.Builder
	b.WriteString(prelude)
	for i, s := range snips[:to] {
		var text strings.Builder
		fmt.Fprintf(&text, "print(%q)\n", headerPrefix+strconv.Itoa(i))
		text.WriteString("do\n  local ok, e = pcall(function()\n")
		text.WriteString(s.Body)
		text.WriteString("  end)\n")
		text.WriteString("  if not ok then print(\"@@ error\", type(e), type(e) == \"table\" and \"table\" or e) end\nend\n")
		if i < from {
			b.WriteString(strings.Repeat("\n", strings.Count(text.String(), "\n")))
			continue
		}
		b.WriteString(text.String())
	}
	fmt.Fprintf(&b, "print(%q)\n", endLine)
	return b.String()
}

// Split cuts out, the standard output of a Script of snippets from to
// to, into each snippet's output: parts[i] is snippet from+i's. ran is
// how many snippets' headers appeared, complete whether the end line
// did; the output after the last header of an incomplete run is that
// snippet's.
func Split(out []byte, from, to int) (parts []string, ran int, complete bool) {
	n := to - from
	parts = make([]string, n)
	cur := -1
	var buf bytes.Buffer
	flush := func() {
		if cur >= 0 && cur < n {
			parts[cur] = buf.String()
		}
		buf.Reset()
	}
	for len(out) > 0 {
		line := out
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i+1], out[i+1:]
		} else {
			out = nil
		}
		text := strings.TrimSuffix(string(line), "\n")
		if rest, ok := strings.CutPrefix(text, headerPrefix); ok {
			if i, err := strconv.Atoi(rest); err == nil && i-from == ran && ran < n {
				flush()
				cur = ran
				ran++
				continue
			}
		}
		if text == endLine && ran == n && !complete {
			flush()
			cur = -1
			complete = true
			continue
		}
		buf.Write(line)
	}
	flush()
	return parts, ran, complete
}

// byteSource draws its first values from data, one byte each, then from
// a PCG: a fuzzer's bytes choose the first decisions of a generator, one
// decision a byte.
type byteSource struct {
	data []byte
	pcg  *rand.PCG
}

// FromBytes is a source whose first values come from data, then from a
// PCG seeded with seed.
func FromBytes(seed uint64, data []byte) rand.Source {
	return &byteSource{data: data, pcg: rand.NewPCG(seed, 0xf022)}
}

// Uint64 implements rand.Source. A byte is repeated over all eight bytes
// of the value, since rand.Rand reads the high bits for some choices and
// the low bits for others.
func (s *byteSource) Uint64() uint64 {
	if len(s.data) == 0 {
		return s.pcg.Uint64()
	}
	b := s.data[0]
	s.data = s.data[1:]
	return uint64(b) * 0x0101010101010101
}

// intn is a number in [0, n).
func (g *Gen) intn(n int) int { return g.r.IntN(n) }

// between is a number in [lo, hi].
func (g *Gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// chance is true with probability p.
func (g *Gen) chance(p float64) bool { return g.r.Float64() < p }

// pick is one of xs.
func pick[T any](g *Gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// fresh is a name not used before by this generator, starting with
// prefix.
func (g *Gen) fresh(prefix string) string {
	g.id++
	return prefix + strconv.Itoa(g.id)
}

// quote is s as a Lua 5.1 string literal: printable ASCII as itself,
// everything else as a decimal escape (Lua 5.1 has no \x).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 32 && c < 127:
			b.WriteByte(c)
		default:
			// Three digits, so that a digit after it is not read as
			// part of the escape.
			fmt.Fprintf(&b, "\\%03d", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// body is the lines of a snippet's body, each indented by four spaces
// (it sits inside the function the Script wraps it in).
type body struct {
	lines []string
	depth int
}

// add appends a line at the current depth.
func (b *body) add(format string, args ...any) {
	b.lines = append(b.lines, strings.Repeat("  ", b.depth+2)+fmt.Sprintf(format, args...))
}

// open appends a line and indents what follows.
func (b *body) open(format string, args ...any) {
	b.add(format, args...)
	b.depth++
}

// close dedents and appends "end" (or the given closing text).
func (b *body) close(text ...string) {
	b.depth--
	if len(text) > 0 {
		b.add("%s", text[0])
		return
	}
	b.add("end")
}

// snippet is the finished snippet.
func (b *body) snippet(cat, shape string) Snippet {
	return Snippet{Category: cat, Shape: shape, Body: strings.Join(b.lines, "\n") + "\n"}
}
