package lua51

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// Runtime errors named as lua5.1 names them: each snippet prints
// explain(message) of errors it catches, which must be lua5.1's message.

func TestExplain(t *testing.T) { checkSnippets(t, nameSnippets) }

func TestExplainWithLua51(t *testing.T) { checkSnippetsWithLua51(t, nameSnippets) }

// TestExplainWithoutType: a call, length or unary minus of a value not
// reached from the globals by names is named without its type, which
// gopher-lua's message does not give; a line with two such calls names
// neither.
func TestExplainWithoutType(t *testing.T) {
	src := `local function try(f) out(explain(select(2, pcall(f)))) end
try(function()
  local s = {}
  s:foo()
end)
try(function()
  local t = {}
  t.handler(1)
end)
try(function()
  local t = {}
  return #t.list
end)
try(function()
  local t = {}
  return -t.n
end)
try(function()
  local t = {}
  print(t:one(), t:two())
end)`
	want := `snippet.lua:4: attempt to call method 'foo' (not a function)
snippet.lua:8: attempt to call field 'handler' (not a function)
snippet.lua:12: attempt to get length of field 'list' (no length)
snippet.lua:16: attempt to perform arithmetic on field 'n' (not a number)
snippet.lua:20: attempt to call a non-function object
`
	if got := runHere(t, "snippet.lua", src, nil); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestExplainLeavesOtherMessages: messages Explain does not know, or of
// chunks it has no sites of, stay as they are, or lose only gopher-lua's
// wording.
func TestExplainLeavesOtherMessages(t *testing.T) {
	forgetSites()
	L := lua.NewState()
	defer L.Close()
	for msg, want := range map[string]string{
		"x.lua:3: boom": "x.lua:3: boom",
		"no position":   "no position",
		"nowhere.lua:1: attempt to index a non-table object(nil) with key 'k'": "nowhere.lua:1: attempt to index a nil value",
		"nowhere.lua:1: attempt to call a non-function object":                 "nowhere.lua:1: attempt to call a non-function object",
		"nowhere.lua:1: cannot perform add operation between nil and number":   "nowhere.lua:1: attempt to perform arithmetic on a nil value",
		"nowhere.lua:1: attempt to compare table with table":                   "nowhere.lua:1: attempt to compare two table values",
		"nowhere.lua:1: attempt to compare number with nil":                    "nowhere.lua:1: attempt to compare number with nil",
	} {
		if got := Explain(L, msg); got != want {
			t.Errorf("Explain(%q) = %q, want %q", msg, got, want)
		}
	}
}

var nameSnippets = []snippet{
	{"names_arith", `local function try(f) out(explain(select(2, pcall(f)))) end
try(function() local x; return x + 1 end)
try(function() return 1 + {} end)
try(function() return "a" + 1 end)
try(function() return "1" + {} end)
try(function() local t = {}; return t.x * 2 end)
try(function() local n = 2; return n ^ gx end)
try(function() local a, b = 1, nil; return a - b end)
try(function() local s = "x"; return s % 2 end)
try(function() return 1 < "x" end)
try(function() return {} < {} end)
try(function() return {} <= {} end)
try(function() local x; return x + 1, x * 2 end)
`, `snippet.lua:2: attempt to perform arithmetic on local 'x' (a nil value)
snippet.lua:3: attempt to perform arithmetic on a table value
snippet.lua:4: attempt to perform arithmetic on a string value
snippet.lua:5: attempt to perform arithmetic on a table value
snippet.lua:6: attempt to perform arithmetic on field 'x' (a nil value)
snippet.lua:7: attempt to perform arithmetic on global 'gx' (a nil value)
snippet.lua:8: attempt to perform arithmetic on local 'b' (a nil value)
snippet.lua:9: attempt to perform arithmetic on local 's' (a string value)
snippet.lua:10: attempt to compare number with string
snippet.lua:11: attempt to compare two table values
snippet.lua:12: attempt to compare two table values
snippet.lua:13: attempt to perform arithmetic on local 'x' (a nil value)
`},
	{"names_call", `local function try(f) out(explain(select(2, pcall(f)))) end
try(function()
  socket = {} socket.spwan()
end)
try(function()
  string.fromat("x")
end)
try(function()
  undefinedfn()
end)
numberglobal = 5
try(function()
  numberglobal()
end)
try(function()
  local x = socket.spwan or print; print(string.fromat("x"))
end)
try(function()
  local t = {}; return #undefinedglobal
end)
try(function()
  return -undefinedglobal
end)
tableglobal = {}
try(function()
  return -tableglobal
end)
try(function()
  return #numberglobal
end)
`, `snippet.lua:3: attempt to call field 'spwan' (a nil value)
snippet.lua:6: attempt to call field 'fromat' (a nil value)
snippet.lua:9: attempt to call global 'undefinedfn' (a nil value)
snippet.lua:13: attempt to call global 'numberglobal' (a number value)
snippet.lua:16: attempt to call field 'fromat' (a nil value)
snippet.lua:19: attempt to get length of global 'undefinedglobal' (a nil value)
snippet.lua:22: attempt to perform arithmetic on global 'undefinedglobal' (a nil value)
snippet.lua:26: attempt to perform arithmetic on global 'tableglobal' (a table value)
snippet.lua:29: attempt to get length of global 'numberglobal' (a number value)
`},
	{"names_index", `local function try(f) out(explain(select(2, pcall(f)))) end
try(function() local t = {} return t.a.b end)
try(function() local t = {} t.a.b = 1 end)
try(function() sockt.socket() end)
try(function() local t = {}; t[1].x = 1 end)
try(function() local t = {{}}; t[1].x.y = 1 end)
try(function() local obj; obj:foo() end)
try(function() local obj = {}; obj.a:foo() end)
try(function() local t = {} return t.x.y.z end)
try(function() return undefinedglobal.x end)
try(function() function undefined_tbl.f() end end)
try(function() function undefined_tbl:m() end end)
local up
try(function() return up.field end)
try(function() local b = true; return b.x end)
try(function() local f = function() end; return f().x end)
try(function() local a, b; a.x, b = 1, 2 end)
try(function() local s = {}; s.a, s.b.c = 1, 2 end)
`, `snippet.lua:2: attempt to index field 'a' (a nil value)
snippet.lua:3: attempt to index field 'a' (a nil value)
snippet.lua:4: attempt to index global 'sockt' (a nil value)
snippet.lua:5: attempt to index field '?' (a nil value)
snippet.lua:6: attempt to index field 'x' (a nil value)
snippet.lua:7: attempt to index local 'obj' (a nil value)
snippet.lua:8: attempt to index field 'a' (a nil value)
snippet.lua:9: attempt to index field 'x' (a nil value)
snippet.lua:10: attempt to index global 'undefinedglobal' (a nil value)
snippet.lua:11: attempt to index global 'undefined_tbl' (a nil value)
snippet.lua:12: attempt to index global 'undefined_tbl' (a nil value)
snippet.lua:14: attempt to index upvalue 'up' (a nil value)
snippet.lua:15: attempt to index local 'b' (a boolean value)
snippet.lua:16: attempt to index a nil value
snippet.lua:17: attempt to index local 'a' (a nil value)
snippet.lua:18: attempt to index field 'b' (a nil value)
`},
}
