package lua51

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The loaders' cases: loadstring, load, loadfile, dofile and require with
// its searchers, over files in a directory the snippets know as DIR, and
// what lua5.1 prints for them (the directory shown as $DIR).

// writeLoadFiles writes loadFiles into a new directory and returns it.
func writeLoadFiles(t *testing.T) string {
	dir := t.TempDir()
	for name, src := range loadFiles {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	dir := writeLoadFiles(t)
	for _, s := range loadSnippets {
		t.Run(s.name, func(t *testing.T) {
			got := runHere(t, "snippet.lua", s.src, map[string]string{"DIR": dir})
			if got = strings.ReplaceAll(got, dir, "$DIR"); got != s.want {
				t.Errorf("sockrun gives\n%s\nwant\n%s", got, s.want)
			}
		})
	}
}

func TestLoadWithLua51(t *testing.T) {
	lua51 := haveLua51(t)
	dir := writeLoadFiles(t)
	for _, s := range loadSnippets {
		t.Run(s.name, func(t *testing.T) {
			got := runLua51(t, lua51, dir, "snippet.lua", s.src, map[string]string{"DIR": dir})
			if got = strings.ReplaceAll(got, dir, "$DIR"); got != s.want {
				t.Errorf("lua5.1 gives\n%s\nwant\n%s", got, s.want)
			}
		})
	}
}

// TestRequireCModule: a C library on package.cpath fails to load, as in a
// Lua 5.1 built without dynamic libraries.
func TestRequireCModule(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cmod.so"), []byte("\x7fELF"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `package.path = "" package.cpath = DIR .. "/?.so"
out(pcall(require, "cmod"))
out(pcall(require, "cmod.sub"))`
	want := `false	error loading module 'cmod' from file '$DIR/cmod.so':
	dynamic libraries not enabled; check your Lua installation
false	error loading module 'cmod.sub' from file '$DIR/cmod.so':
	dynamic libraries not enabled; check your Lua installation
`
	got := runHere(t, "snippet.lua", src, map[string]string{"DIR": dir})
	if got = strings.ReplaceAll(got, dir, "$DIR"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

var loadSnippets = []snippet{
	{"load_pieces", `local parts = {"return ", "1 ", "+ 41"}
local i = 0
out(load(function() i = i + 1; return parts[i] end)())
out(load(function() return nil end) ~= nil)
local n = 0
out(load(function() n = n + 1; if n == 1 then return 42 end end))
n = 0
out(load(function() n = n + 1; if n == 1 then return "return 'x'" elseif n == 2 then return "" else return "error" end end)())
local function try(reader) return load(reader) end
out(select(2, pcall(try, function() return {} end)))
out(select(2, pcall(try, function() error("in reader") end)))
out(type(select(2, pcall(try, function() error({}) end))))
out(pcall(load(function() n = n + 1 if n < 100 then return "error('e')" end end)))
`, `42
true
nil	(load):1: unexpected symbol near '42'
x
nil	snippet.lua:9: reader function must return a string
nil	snippet.lua:11: in reader
nil
false	(load):1: e
`},
	{"loadfile_dofile", `out(loadfile(DIR .. "/nonexistent.lua"))
out(loadfile(DIR))
out(loadfile(DIR .. "/sheb_error.lua"))
out(loadfile(DIR .. "/sheb_ok.lua")(1, 2))
out(pcall(dofile, DIR .. "/sheb_error.lua"))
out(pcall(dofile, DIR .. "/nonexistent.lua"))
out(dofile(DIR .. "/sheb_ok.lua"))
out(pcall(dofile, DIR .. "/raises.lua"))
local ok, err = pcall(dofile, DIR .. "/raises_table.lua")
out(ok, type(err), err.code)
out(select("#", dofile(DIR .. "/returns_many.lua")))
`, `nil	cannot open $DIR/nonexistent.lua: No such file or directory
nil	cannot read $DIR: Is a directory
nil	$DIR/sheb_error.lua:3: unexpected symbol near '<eof>'
1	2
false	$DIR/sheb_error.lua:3: unexpected symbol near '<eof>'
false	cannot open $DIR/nonexistent.lua: No such file or directory

false	$DIR/raises.lua:2: raised here
false	table	7
4
`},
	{"loadstring_names", `out(loadstring("x ="))
out(loadstring("x =", "=mychunk"))
out(loadstring("x =", "@file.lua"))
out(loadstring("local x = \n", "a very long chunk name that is longer than sixty characters for sure ok"))
out(loadstring(string.rep("x", 70) .. " = "))
out(loadstring("x=", "=" .. string.rep("a", 100)))
out(loadstring("x=", "@" .. string.rep("b", 100)))
out(pcall(loadstring("error('boom')")))
out(pcall(loadstring("error('boom')", "=(eval)")))
out(pcall(loadstring("\n\nerror('boom')", "@some/file.lua")))
out(pcall(loadstring("local t = nil; error('in ' .. 'chunk')", "first line\nsecond")))
out(loadstring("return ...")(1, 2))
out(loadstring("return 1 + 1", "two")())
`, `nil	[string "x ="]:1: unexpected symbol near '<eof>'
nil	mychunk:1: unexpected symbol near '<eof>'
nil	file.lua:1: unexpected symbol near '<eof>'
nil	[string "a very long chunk name that is longer than sixty characters for..."]:2: unexpected symbol near '<eof>'
nil	[string "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."]:1: unexpected symbol near '<eof>'
nil	aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1: unexpected symbol near '<eof>'
nil	...bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:1: unexpected symbol near '<eof>'
false	[string "error('boom')"]:1: boom
false	(eval):1: boom
false	some/file.lua:3: boom
false	[string "first line..."]:1: in chunk
1	2
2
`},
	{"require_loaders", `package.path = DIR .. "/?.lua"
package.cpath = ""
out(#package.loaders)
table.insert(package.loaders, 2, function(name)
  if name == "virtual" then return function(n) return "virtual:" .. n end end
  return "\n\tno virtual module '" .. name .. "'"
end)
out(require("virtual"))
out(pcall(require, "nothing"))
package.loaders = {function() return "\n\tonly loader" end}
out(pcall(require, "other"))
`, `4
virtual:virtual
false	module 'nothing' not found:
	no field package.preload['nothing']
	no virtual module 'nothing'
	no file '$DIR/nothing.lua'
false	module 'other' not found:
	only loader
`},
	{"require_modules", `package.path = DIR .. "/?.lua;" .. DIR .. "/?/init.lua"
package.cpath = ""
out(pcall(require, "badmod"))
out(pcall(require, "nomod"))
out(pcall(require, "a.b"))
out(require("goodmod").name, require("goodmod").name, package.loaded.goodmod.name)
out(pcall(require, "errmod"))
out(pcall(require, "errmod"))
out(require("nilmod"), require("nilmod"), x_loaded, package.loaded.nilmod)
package.preload.pre = function(...) out("preload", ...) return "P" end
out(require("pre"), package.loaded.pre)
out(require("sub.mod"))
out(require("pkg"))
package.loaded.fake = "already"
out(require("fake"))
out(pcall(require, 42))
package.cpath = DIR .. "/?.so"
out(pcall(require, "zz.sub"))
out(select(2, pcall(function() require("missing") end)))
`, `false	error loading module 'badmod' from file '$DIR/badmod.lua':
	$DIR/badmod.lua:1: unexpected symbol near '='
false	module 'nomod' not found:
	no field package.preload['nomod']
	no file '$DIR/nomod.lua'
	no file '$DIR/nomod/init.lua'
false	module 'a.b' not found:
	no field package.preload['a.b']
	no file '$DIR/a/b.lua'
	no file '$DIR/a/b/init.lua'
loading	goodmod
goodmod	goodmod	goodmod
false	$DIR/errmod.lua:1: fail in module
false	loop or previous error loading module 'errmod'
true	true	1	true
preload	pre
P	P
sub.mod:sub.mod
pkg init
already
false	module '42' not found:
	no field package.preload['42']
	no file '$DIR/42.lua'
	no file '$DIR/42/init.lua'
false	module 'zz.sub' not found:
	no field package.preload['zz.sub']
	no file '$DIR/zz/sub.lua'
	no file '$DIR/zz/sub/init.lua'
	no file '$DIR/zz/sub.so'
	no file '$DIR/zz.so'
snippet.lua:19: module 'missing' not found:
	no field package.preload['missing']
	no file '$DIR/missing.lua'
	no file '$DIR/missing/init.lua'
	no file '$DIR/missing.so'
`},
}
var loadFiles = map[string]string{
	"sheb_error.lua":   "#!/usr/bin/lua\nreturn 1 + \n",
	"sheb_ok.lua":      "#!/usr/bin/lua\nreturn ...",
	"raises.lua":       "\nerror('raised here')",
	"raises_table.lua": "error({code = 7})",
	"returns_many.lua": "return 1, nil, 3, nil",
	"badmod.lua":       "x = = 1",
	"goodmod.lua":      "out('loading', ...) return {name = ...}",
	"errmod.lua":       "error('fail in module')",
	"nilmod.lua":       "x_loaded = (x_loaded or 0) + 1",
	"sub/mod.lua":      "return 'sub.mod:' .. ...",
	"pkg/init.lua":     "return 'pkg init'",
}

// TestLoadStdin: loadfile() and dofile() without a name read the host's
// standard input, named stdin.
func TestLoadStdin(t *testing.T) {
	for _, c := range []struct{ stdin, src, want string }{
		{"return 40 + 2, ...", `out(loadfile()(1))`, "42\t1\n"},
		{"#!/bin/lua\nreturn 7", `out(dofile())`, "7\n"},
		{"\nx = = 1", `out(loadfile())`, "nil\tstdin:2: unexpected symbol near '='\n"},
		{"error('e')", `out(pcall(dofile))`, "false\tstdin:1: e\n"},
	} {
		var buf bytes.Buffer
		L := newTestState(&buf, nil)
		openLoad(L, Options{Stdin: strings.NewReader(c.stdin)})
		if err := L.DoString(c.src); err != nil {
			t.Fatal(err)
		}
		L.Close()
		if buf.String() != c.want {
			t.Errorf("%q with stdin %q: got %q, want %q", c.src, c.stdin, buf.String(), c.want)
		}
	}
}
