package base

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sockrun/sockrun/internal/testenv"
	lua "github.com/yuin/gopher-lua"
)

// newPatternState is a plain gopher-lua state whose string library has
// this file's pattern functions, as the base package installs them.
func newPatternState(t testing.TB) *lua.LState {
	L := lua.NewState()
	t.Cleanup(L.Close)
	str := L.GetGlobal("string").(*lua.LTable)
	// A Base of no VM: searches run with no limit and no host to ask.
	b := &Base{}
	for name, fn := range map[string]lua.LGFunction{"find": b.strFind, "match": b.strMatch, "gmatch": b.strGmatch, "gsub": b.strGsub} {
		str.RawSetString(name, L.NewFunction(fn))
	}
	str.RawSetString("gfind", str.RawGetString("gmatch"))
	return L
}

// patternSubjects and patternCorpus are the differential test's strings
// and patterns: every part of the pattern language, the servers' own
// patterns, and malformed ones.
var patternSubjects = []string{
	"hello world", "", "key = value", "  trim me  ", "a,b,,c", "f(a(b)c) [x]", "THE (quick) fox",
	"aaa", "abab", "x=1, y=22, z=333", "\x00a\x00", "caf\xe9 na\xefve", "GET /index.html?q=1&r=2 HTTP/1.1",
	"Host:  example.com  ", "*3", "$11", "-42", "0x1F", "line1\r\nline2\n", "%d%%", "[a-z]", "^$", "'q' \"qq\"",
}

var patternCorpus = []string{
	// Plain text, dots and anchors.
	"", "o", "o w", "l+", "^h", "^", "$", "^$", "o$", "d$", "$d", "a$b", "^^", "x^", "..", "^.", ".$", ".-$",
	// Classes and their complements.
	"%a+", "%A+", "%d+", "%D+", "%l+", "%u+", "%s+", "%S+", "%w+", "%W+", "%p+", "%P", "%c", "%C+",
	"%x+", "%X", "%z", "%Z+", "%g", "%.", "%%", "%-", "%[", "%]", "%(", "%)", "%^", "%$", "%*",
	// Sets.
	"[aeiou]+", "[^aeiou]+", "[a-f]+", "[^%s]+", "[%w_]+", "[%a%d]+", "[]]", "[^]]", "[]a]+", "[a-]+",
	"[-a]+", "[%-=]+", "[%]%[]+", "[,]", "[^,]+", "[^%w%s]", "[\r\n]", "[%z\x01-\x08\x0a-\x1f\x7f]",
	"[a-c-e]", "[%a-z]", "[a-%d]", "[a--z]", "[^^]", "[%^]", "[[]", "[b-a]",
	// Repetitions.
	"a*", "a+", "a-", "a?", "%a*%d", ".-", ".*", ".+", "<.->", "(.-)=", "l-o", "a?b?", "x*$", "%s*(.-)%s*$",
	"^%s*(.-)%s*$", "^(%S+)%s+(%S+)", "%d+%.?%d*", "[+-]?%d+", "^-?%d+$", "^-?[1-9]%d*$", "a**", "^*", "a+?",
	// Captures and position captures.
	"(h)(e)(l)(l)(o)", "()", "()o()", "(o)(r?)", "((%a+) (%a+))", "(%w+)%s*=%s*(%w+)", "(a*(.)%w(%s*))",
	"()a", "(", "(%a", "%a)", ")", "(()", "(a)(b", "()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()",
	"()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()",
	// Back-references.
	"(%a)%1", "(['\"])(.-)%1", "(a)(b)%2%1", "%1", "(a%1)", "()a%1", "%0", "(.)%1%1",
	// Balances and frontiers.
	"%b()", "%b[]", "%b''", "%bab", "%b(", "%b", "%f[%a]%a+", "%f[%A]", "%f[%z]", "%f[^%z]", "%f[%w]%w+%f[%W]",
	"%fa", "%f", "%f[a",
	// Malformed.
	"%", "a%", "[a", "[", "[^", "[%", "[a%]", "[]",
	// The servers' patterns.
	"^([%w!#$%%&'*+%-.^_`|~]+) (%S+) HTTP/(%d)%.(%d)$", "^([^?]*)%??(.*)$",
	"^([%w!#$%%&'*+%-.^_`|~]+):[ \t]*(.-)[ \t]*$", "^%s*0*(%d+)%s*$", "^(%x+)[ \t]*$", "^(%x+)[ \t]*;",
	"^%*(-?%d+)$", "^%$(%d+)$",
}

// patternReplacements are gsub's replacements as Lua source: strings and
// a number, then the names of the table and functions the driver
// defines.
var patternReplacements = []string{
	`"<%0>"`, `"[%1]"`, `"%2%1"`, `"%%"`, `"%"`, `"x%ay"`, `""`, `"-"`, `7`, `"%3"`,
	`"T"`, `"CONCAT"`, `"NIL"`, `"FALSE"`, `"TABLE"`, `"NUMBER"`,
}

// stringReplacements is how many of patternReplacements are strings or
// numbers.
const stringReplacements = 10

// patternDriver runs every case of the Lua table cases and prints one
// line for each: "ok" and the results (count, then each as n<number>,
// s<hex>, nil or a boolean), or "err" and the message.
const patternDriver = `
local hexdigits = "0123456789abcdef"
local function hex(s)
  local t = {}
  for i = 1, #s do
    local b = string.byte(s, i)
    t[i] = string.sub(hexdigits, math.floor(b / 16) + 1, math.floor(b / 16) + 1) ..
      string.sub(hexdigits, b % 16 + 1, b % 16 + 1)
  end
  return table.concat(t)
end
local function ser(...)
  local t = {tostring(select("#", ...))}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "string" then t[#t + 1] = "s" .. hex(v)
    elseif type(v) == "number" then t[#t + 1] = "n" .. tostring(v)
    else t[#t + 1] = tostring(v) end
  end
  return table.concat(t, " ")
end
local function pack(...) return {n = select("#", ...), ...} end
local repls = {
  T = {hello = "HI", a = "A", b = false, o = 1, [1] = "one", ["1"] = "str1", key = {}},
  CONCAT = function(...)
    local t = {}
    for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
    return "<" .. table.concat(t, ",") .. ">"
  end,
  NIL = function() return nil end,
  FALSE = function() return false end,
  TABLE = function() return {} end,
  NUMBER = function() return 42 end,
}
for _, c in ipairs(cases) do
  local r = pack(pcall(function()
    if c[1] == "gmatch" then
      local out, it = {}, string.gmatch(c[2], c[3])
      for i = 1, 100 do
        local v = pack(it())
        if v.n == 0 or v[1] == nil then break end
        out[i] = "{" .. ser(unpack(v, 1, v.n)) .. "}"
      end
      return table.concat(out, " ")
    elseif c[1] == "gsub" then
      local repl = repls[c[4]]
      if repl == nil then repl = c[4] end
      return string.gsub(c[2], c[3], repl, c[5])
    end
    return string[c[1]](c[2], c[3], c[4], c[5])
  end))
  if r[1] then print("ok " .. ser(unpack(r, 2, r.n))) else print("err " .. tostring(r[2])) end
end
`

// luaQuote is s as a Lua string literal, every byte outside printable
// ASCII, and the quote and backslash, as a decimal escape.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' || c == '"' || c == '\\' {
			fmt.Fprintf(&b, "\\%03d", c)
		} else {
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// randomPattern is a pattern made of the pattern language's pieces, some
// of them malformed.
func randomPattern(r *rand.Rand) string {
	pieces := []string{"a", "b", "o", "l", " ", ".", "%a", "%d", "%s", "%w", "[ab]", "[^a]", "[a-z]", "[%d,]",
		"*", "+", "-", "?", "(", ")", "()", "^", "$", "%1", "%2", "%b()", "%f[%w]", "%", "[", "]", "%%", "-?"}
	var b strings.Builder
	for n := 1 + r.Intn(6); n > 0; n-- {
		b.WriteString(pieces[r.Intn(len(pieces))])
	}
	return b.String()
}

// patternCases are the differential test's calls, one Lua table each:
// {"find", s, pattern, init, plain}, {"match", s, pattern, init},
// {"gmatch", s, pattern}, {"gsub", s, pattern, repl, n}.
func patternCases() []string {
	var cases []string
	add := func(fn, s, p string, more ...string) {
		cases = append(cases, fmt.Sprintf("{%q, %s, %s, %s}", fn, luaQuote(s), luaQuote(p), strings.Join(more, ", ")))
	}
	r := rand.New(rand.NewSource(1))
	patterns := append([]string(nil), patternCorpus...)
	for range 300 {
		patterns = append(patterns, randomPattern(r))
	}
	inits := []string{"nil", "1", "2", "-1", "-3", "0", "5", "100"}
	ns := []string{"nil", "0", "1", "2", "-1"}
	for i, p := range patterns {
		for j, s := range patternSubjects {
			if (i+j)%3 != 0 && i < len(patternCorpus) || (i+j)%8 != 0 && i >= len(patternCorpus) {
				continue // a third of the corpus's pairs, an eighth of the random ones
			}
			init := inits[(i+j)%len(inits)]
			add("find", s, p, "nil")
			add("find", s, p, init, []string{"nil", "true", "false"}[(i+2*j)%3])
			add("match", s, p, "nil")
			add("match", s, p, init)
			add("gmatch", s, p)
			add("gsub", s, p, patternReplacements[(i+j)%len(patternReplacements)], ns[(i+j)%len(ns)])
			add("gsub", s, p, patternReplacements[(i*7+j)%len(patternReplacements)], "nil")
		}
	}
	for k, repl := range patternReplacements[:stringReplacements] {
		for _, s := range patternSubjects[:6] {
			for _, p := range []string{"o", "(l)(l)", "()o", "%w+", "", "^%s*", "(h)(e)(l)(l)(o)"} {
				add("gsub", s, p, repl, ns[k%len(ns)])
			}
		}
	}
	return cases
}

// errPosition is the position gopher-lua and Lua put before an error
// message, which differ: "<string>:12: ", "x.lua:12: ".
var errPosition = regexp.MustCompile(`^err [^\n]*?:\d+: `)

// TestPatternsAgainstLua51 runs the same calls of string.find, match,
// gmatch and gsub in a lua5.1 process and in a state with this file's
// functions, and compares every result and error message. Skipped where
// lua5.1 is not installed, failed for it under CI.
func TestPatternsAgainstLua51(t *testing.T) {
	lua51 := testenv.Tool(t, "lua5.1")
	cases := patternCases()
	script := "cases = {\n" + strings.Join(cases, ",\n") + "\n}\n" + patternDriver
	file := filepath.Join(t.TempDir(), "patterns.lua")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := exec.Command(lua51, file).Output()
	if err != nil {
		t.Fatalf("lua5.1: %v", err)
	}

	L := newPatternState(t)
	var got bytes.Buffer
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		got.WriteString(L.CheckString(1))
		got.WriteByte('\n')
		return 0
	}))
	if err := L.DoString(script); err != nil {
		t.Fatal(err)
	}

	wantLines := strings.Split(string(want), "\n")
	gotLines := strings.Split(got.String(), "\n")
	if len(wantLines) != len(gotLines) || len(wantLines) != len(cases)+1 {
		t.Fatalf("%d cases: lua5.1 printed %d lines, sockrun %d", len(cases), len(wantLines)-1, len(gotLines)-1)
	}
	failures := 0
	for i, c := range cases {
		w := errPosition.ReplaceAllString(wantLines[i], "err ")
		g := errPosition.ReplaceAllString(gotLines[i], "err ")
		if w != g {
			t.Errorf("%s:\n  lua5.1:  %s\n  sockrun: %s", c, w, g)
			if failures++; failures == 20 {
				t.Fatal("too many differences")
			}
		}
	}
	t.Logf("%d calls compared", len(cases))
}

// patternBenchmarks are the calls scripts/http_server.lua and
// scripts/resp_server.lua make on each request, with a typical subject.
var patternBenchmarks = []struct{ name, call, subject, pattern string }{
	{"http/request-line", "match", "GET /index.html?q=1 HTTP/1.1", "^([%w!#$%%&'*+%-.^_`|~]+) (%S+) HTTP/(%d)%.(%d)$"},
	{"http/target", "match", "/index.html?q=1", "^([^?]*)%??(.*)$"},
	{"http/header", "match", "User-Agent: wrk/4.2.0", "^([%w!#$%%&'*+%-.^_`|~]+):[ \t]*(.-)[ \t]*$"},
	{"http/control-chars", "find", "wrk/4.2.0 [compiled with LuaJIT]", "[%z\x01-\x08\x0a-\x1f\x7f]"},
	{"http/token-list", "gmatch", "gzip, deflate, br", "[^,]+"},
	{"http/trim", "match", " keep-alive ", "^%s*(.-)%s*$"},
	{"http/content-length", "match", "1024", "^%s*0*(%d+)%s*$"},
	{"resp/array", "match", "*3", "^%*(-?%d+)$"},
	{"resp/bulk", "match", "$5", "^%$(%d+)$"},
	{"resp/integer", "match", "1234567", "^-?[1-9]%d*$"},
	{"resp/inline", "gmatch", "SET key value", "%S+"},
	{"resp/error", "gsub", "ERR unknown command 'FOO',\r\nwith args", "[\r\n]"},
}

// patternCall is the Lua function each benchmark calls with the subject
// and the pattern, by the string function it uses.
var patternCall = map[string]string{
	"match":  "local s, p = ...; return s:match(p)",
	"find":   "local s, p = ...; return s:find(p)",
	"gmatch": "local s, p = ...; local n = 0; for w in s:gmatch(p) do n = n + 1 end; return n",
	"gsub":   "local s, p = ...; return (s:gsub(p, ' '))",
}

// BenchmarkPatterns runs the servers' pattern calls in a Lua state with
// gopher-lua's string library ("old") and with this file's functions
// ("new").
func BenchmarkPatterns(b *testing.B) {
	states := []struct {
		name string
		new  func(testing.TB) *lua.LState
	}{
		{"old", func(tb testing.TB) *lua.LState { L := lua.NewState(); tb.Cleanup(L.Close); return L }},
		{"new", newPatternState},
	}
	for _, c := range patternBenchmarks {
		for _, st := range states {
			b.Run(c.name+"/"+st.name, func(b *testing.B) {
				L := st.new(b)
				fn, err := L.LoadString(patternCall[c.call])
				if err != nil {
					b.Fatal(err)
				}
				var s, p lua.LValue = lua.LString(c.subject), lua.LString(c.pattern)
				b.ReportAllocs()
				for b.Loop() {
					L.Push(fn)
					L.Push(s)
					L.Push(p)
					L.Call(2, lua.MultRet)
					L.SetTop(0)
				}
			})
		}
	}
}
