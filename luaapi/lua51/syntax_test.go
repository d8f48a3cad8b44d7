package lua51

import (
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockrun/sockrun/internal/testenv"
)

// syntaxCases are chunks that do not compile, with lua5.1's message for
// each loaded by loadstring (so named by its first line).
var syntaxCases = []struct{ src, want string }{
	{"x =", `[string "x ="]:1: unexpected symbol near '<eof>'`},
	{"return 1 +\n nil + \n", `[string "return 1 +..."]:3: unexpected symbol near '<eof>'`},
	{"x = 'abc", `[string "x = 'abc"]:1: unfinished string near '<eof>'`},
	{"x = 1e", `[string "x = 1e"]:1: malformed number near '1e'`},
	{"x = \"abc\ndef\"", `[string "x = "abc..."]:1: unfinished string near '"abc'`},
	{"for i = 1 do end", `[string "for i = 1 do end"]:1: ',' expected near 'do'`},
	{"function f( end", `[string "function f( end"]:1: <name> or '...' expected near 'end'`},
	{"local function end", `[string "local function end"]:1: '<name>' expected near 'end'`},
	{"return return", `[string "return return"]:1: unexpected symbol near 'return'`},
	{"x = }", `[string "x = }"]:1: unexpected symbol near '}'`},
	{"a.b:c = 1", `[string "a.b:c = 1"]:1: function arguments expected near '='`},
	{"f() = 1", `[string "f() = 1"]:1: unexpected symbol near '='`},
	{"(a) = 1", `[string "(a) = 1"]:1: syntax error near '='`},
	{"x = [==[ abc", `[string "x = [==[ abc"]:1: unfinished long string near '<eof>'`},
	{"--[[ abc", `[string "--[[ abc"]:1: unfinished long comment near '<eof>'`},
	{`x = '\300'`, `[string "x = '\300'"]:1: escape sequence too large near '''`},
	{"x = 3 x = 4 5", `[string "x = 3 x = 4 5"]:1: unexpected symbol near '5'`},
	{"break", `[string "break"]:1: no loop to break near '<eof>'`},
	{"function f() return ... end", `[string "function f() return ... end"]:1: cannot use '...' outside a vararg function near '...'`},
	{"x = ~1", `[string "x = ~1"]:1: unexpected symbol near '~'`},
	{"x = 1 @ 2", `[string "x = 1 @ 2"]:1: unexpected symbol near '@'`},
	{"x = \x01", "[string \"x = \x01\"]:1: unexpected symbol near 'char(1)'"},
	{"if x then else elseif", `[string "if x then else elseif"]:1: 'end' expected near 'elseif'`},
	{"local t = {a = 1, [2] = , }", `[string "local t = {a = 1, [2] = , }"]:1: unexpected symbol near ','`},
	{"while true do\n\n x = 1\n", `[string "while true do..."]:4: 'end' expected (to close 'while' at line 1) near '<eof>'`},
	{"function f()\n  return 1\n", `[string "function f()..."]:3: 'end' expected (to close 'function' at line 1) near '<eof>'`},
	{"x = f(1,\n2", `[string "x = f(1,..."]:2: ')' expected (to close '(' at line 1) near '<eof>'`},
	{"x y", `[string "x y"]:1: '=' expected near 'y'`},
	{"x = y z", `[string "x = y z"]:1: '=' expected near '<eof>'`},
	{"x = [[a\n[[b]]", `[string "x = [[a..."]:2: nesting of [[...]] is deprecated near '['`},
	{"x = 0x", `[string "x = 0x"]:1: malformed number near '0x'`},
	{"x = 1..2", `[string "x = 1..2"]:1: malformed number near '1..2'`},
	{"x = .5.5", `[string "x = .5.5"]:1: malformed number near '.5.5'`},
	{"do local a = 1 return a x = 1 end", `[string "do local a = 1 return a x = 1 end"]:1: 'end' expected near 'x'`},
	{"local a = f\n(g)()", `[string "local a = f..."]:2: ambiguous syntax (function call x new statement) near '('`},
	{"x = 1 end", `[string "x = 1 end"]:1: '<eof>' expected near 'end'`},
	{"for a.b = 1, 2 do end", `[string "for a.b = 1, 2 do end"]:1: '=' or 'in' expected near '.'`},
	{"x = " + strings.Repeat("'a' .. ", 198) + "'a'", `[string "x = 'a' .. 'a' .. 'a' .. 'a' .. 'a' .. 'a' .. 'a' .. 'a' .. 'a'..."]:1: chunk has too many syntax levels`},
}

func TestSyntaxMessages(t *testing.T) {
	for _, c := range syntaxCases {
		_, err := Compile(c.src, ChunkID(c.src))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v\nwant %s", c.src, err, c.want)
		}
	}
}

func TestSyntaxMessagesWithLua51(t *testing.T) {
	lua51 := haveLua51(t)
	dir := t.TempDir()
	for _, c := range syntaxCases {
		src := "local f, err = loadstring(" + luaQuote(c.src) + ") out(err)"
		if got := runLua51(t, lua51, dir, "syntax.lua", src, nil); got != c.want+"\n" {
			t.Errorf("%q: lua5.1 gives %q, want %q", c.src, got, c.want)
		}
	}
}

// TestIncomplete: the prompt asks for more where lua5.1's does, when the
// chunk ends inside a statement.
func TestIncomplete(t *testing.T) {
	for src, want := range map[string]bool{
		"function f()":      true,
		"x = ":              true,
		"for i = 1, 3 do":   true,
		"t = {1, 2,":        true,
		"s = [[long":        true,
		"x = 'abc":          true,
		"x = = 1":           false,
		"x = 'a\n'":         false,
		"return return":     false,
		"if x then else if": true,
	} {
		_, err := Compile(src, "stdin")
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: %v is no SyntaxError", src, err)
			continue
		}
		if se.Incomplete() != want {
			t.Errorf("%q (%v): Incomplete() = %v", src, se, !want)
		}
	}
}

// TestLua52Syntax: the Lua 5.2 syntax gopher-lua takes, which lua5.1
// rejects, compiles: empty statements, goto and labels.
func TestLua52Syntax(t *testing.T) {
	src := `local s = 0;;
for i = 1, 3 do;
  if i == 2 then goto continue end
  s = s + i
  ::continue::
end;
out(s)`
	if got := runHere(t, "snippet.lua", src, nil); got != "4\n" {
		t.Errorf("got %q", got)
	}
	if _, err := Compile("goto nowhere", "x.lua"); err == nil || err.Error() != "x.lua:2: no visible label 'nowhere' for <goto> at line 1" {
		t.Errorf("goto without its label: %v", err)
	}
}

// TestGotoIsReservedByGopherLua: a chunk that is Lua 5.1 but uses goto as
// a name fails loudly, saying why.
func TestGotoIsReservedByGopherLua(t *testing.T) {
	_, err := Compile("local goto = 1", "x.lua")
	want := "x.lua:1: unexpected symbol near 'goto' (sockrun's parser reserves 'goto' and '::', as Lua 5.2 does)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestSyntaxCheckerWithLuac compares the syntax check with luac5.1 -p over
// the Lua 5.1 files at hand (gopher-lua's copies of the Lua test suites,
// sockrun's scripts), whole, cut short and with bytes cut out.
func TestSyntaxCheckerWithLuac(t *testing.T) {
	luac := testenv.Tool(t, "luac5.1")
	var files []string
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/yuin/gopher-lua").Output(); err == nil {
		mod := strings.TrimSpace(string(out))
		for _, g := range []string{"_lua5.1-tests/*.lua", "_glua-tests/*.lua"} {
			m, _ := filepath.Glob(filepath.Join(mod, g))
			files = append(files, m...)
		}
	}
	m, _ := filepath.Glob("../../scripts/*.lua")
	files = append(files, m...)
	if len(files) == 0 {
		t.Skip("no Lua files at hand")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "v.lua")
	rng := rand.New(rand.NewSource(1))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		variants := []string{string(b)}
		for i := 0; i < 3; i++ {
			variants = append(variants, string(b[:rng.Intn(len(b)+1)]))
			s := rng.Intn(len(b) + 1)
			e := min(s+rng.Intn(20), len(b))
			variants = append(variants, string(b[:s])+string(b[e:]))
		}
		for i, v := range variants {
			if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(luac, "-p", "v.lua")
			cmd.Dir = dir
			out, _ := cmd.CombinedOutput()
			want := strings.TrimPrefix(strings.TrimSpace(string(out)), luac+": ")
			got := ""
			if se := checkSyntax(skipShebang(v), "v.lua"); se != nil {
				got = se.Error()
			}
			if i == 0 && want != "" {
				// Not Lua 5.1 (gopher-lua's own tests of goto, ";").
				break
			}
			if got != want {
				t.Errorf("%s cut to %d bytes: got %q, luac5.1 says %q", f, len(v), got, want)
			}
		}
	}
}
