package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// ioPrelude is run before each io snippet: a file with lines and numbers
// in the snippet's directory (its working directory), named by path.
const ioPrelude = `local path = "data.txt"
do local f = assert(io.open(path, "w")) f:write("first line\n12 0x1F -3.5e2 abc\n\nlast") f:close() end
local function show(...) local t = {} for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end print(table.concat(t, " | ")) end
`

// ioSnippets are io programs whose output under sockrun must be lua5.1's.
// Errors are caught with pcall around a function that calls, so that
// their messages carry the script's line as lua5.1's do.
var ioSnippets = []struct{ name, src string }{
	{"open missing", `show(io.open("/nonexistent"))`},
	{"open directory then read", `local f = io.open("/tmp") show(f:read("*a"))`},
	{"open write a directory", `show(io.open("/tmp", "w"))`},
	{"open bad mode", `show(io.open(path, "z")) show(io.open(path, "rw") ~= nil)`},
	{"open no name", `show(pcall(function() return io.open() end))`},
	{"read formats", `local f = io.open(path) show(f:read("*l", "*n", "*n", "*n", "*n")) show(f:read("*l", "*l", "*l", "*l")) f:close()`},
	{"read counts", `local f = io.open(path) show(f:read(5, 0, 3)) show(f:read(-1)) show(f:read(0), f:read(1), f:read("*a"), f:read("*a"), f:read("*l"), f:read("*n")) f:close()`},
	{"read default line", `local f = io.open(path) show(f:read()) show(f:read("*line")) f:close()`},
	{"read bad format", `local f = io.open(path) show(pcall(function() return f:read("x") end)) show(pcall(function() return f:read("*x") end)) show(pcall(function() return f:read({}) end)) show(pcall(function() return f:read("l") end))`},
	{"read bad format after nil", `local f = io.tmpfile() show(f:read("*l", "*x"))`},
	{"read numbers", `local f = io.tmpfile() f:write("  -7.5x 1e 1e+ 0x 0x1p4 .5 . inf nan 1.2.3 1e999 abc") f:seek("set")
for i = 1, 14 do show(f:read("*n"), f:read(1)) end`},
	{"write returns", `local f = io.tmpfile() show(f:write("a", 1, 2.5, 1e15, 1/3, "\n")) f:seek("set") show(f:read("*a"))`},
	{"write bad arg", `local f = io.tmpfile() show(pcall(function() return f:write("x", {}) end)) f:seek("set") show(f:read("*a"))`},
	{"io.write returns", `show(io.write(""))`},
	{"closed file", `local f = io.open(path) show(f:close()) show(tostring(f), io.type(f)) show(pcall(function() return f:read() end)) show(pcall(function() return f:write("x") end)) show(pcall(function() return f:close() end)) show(pcall(function() return f:seek() end)) show(pcall(function() return f:lines() end))`},
	{"tostring open", `local f = io.open(path) show(tostring(f):match("^file %(0x%x+%)$") ~= nil) f:close()`},
	{"io.type", `show(io.type(io.stdout), io.type(io.stdin), io.type(42), io.type(nil), io.type({})) show(pcall(function() return io.type() end))`},
	{"standard files do not close", `show(io.stdout:close()) show(io.stderr:close()) show(io.stdin:close()) show(io.close()) print("still here")`},
	{"seek", `local f = io.open(path) show(f:seek("end")) show(f:seek("set", 6)) show(f:read("*l")) show(f:seek("cur", -4)) show(f:read("*l")) show(f:seek()) show(f:seek("set", -5)) show(pcall(function() return f:seek("bad") end)) show(pcall(function() return f:seek("set", "x") end)) show(f:seek("set", "3"))`},
	{"setvbuf flush", `local f = io.tmpfile() show(f:setvbuf("no"), f:setvbuf("full", 10), f:setvbuf("line")) show(pcall(function() return f:setvbuf("xx") end)) show(f:flush(), io.flush())`},
	{"file lines", `local f = io.open(path) for l in f:lines() do show(l) end show(io.type(f)) show(f:read("*a")) f:close()`},
	{"io.lines closes", `local it = io.lines(path) show(it()) show(it()) show(it()) show(it()) show(select("#", it())) show(pcall(function() return it() end))`},
	{"io.lines missing", `show(pcall(function() return io.lines("/nonexistent") end))`},
	{"io.input and read", `io.input(path) show(io.read("*l")) show(io.read("*n", "*n")) show(io.read("*a")) show(io.read("*a")) show(io.read("*l")) show(io.type(io.input())) io.close(io.input()) show(pcall(function() return io.read() end)) show(pcall(function() return io.lines() end))`},
	{"io.input errors", `show(pcall(function() return io.input("/nonexistent") end)) show(pcall(function() return io.input(5) end)) show(pcall(function() return io.input({}) end))`},
	{"io.output", `io.output("out.txt") io.write("x", 5, "\n") show(io.output() ~= io.stdout) io.close() show(pcall(function() return io.write("y") end)) io.output(io.stdout) show(io.open("out.txt"):read("*a"))`},
	{"io.close arg", `show(pcall(function() return io.close(5) end)) local f = io.open(path) show(io.close(f)) show(io.type(f))`},
	{"modes", `local f = io.open("m.txt", "w") f:write("abc") f:close()
f = io.open("m.txt", "r+") f:write("Z") f:close() show(io.open("m.txt"):read("*a"))
f = io.open("m.txt", "a") f:write("app") f:close() show(io.open("m.txt"):read("*a"))
f = io.open("m.txt", "a+") show(f:read("*a")) f:write("!") f:seek("set") show(f:read("*a")) f:close()
f = io.open("m.txt", "w+") show(f:read("*a")) f:write("new") f:seek("set") show(f:read("*a")) f:close()`},
	{"read a write-only file", `local f = io.open("w.txt", "w") show(f:read("*l")) show(f:write("x")) f:close() local g = io.open("w.txt") show(g:write("y")) show(g:read("*a"))`},
	{"read then write", `local f = io.open("rw.txt", "w+") f:write("line1\nline2\n") f:seek("set") show(f:read("*l")) f:seek("cur") f:write("XX") f:seek("set") show(f:read("*a"))`},
	{"buffered until flush", `local f = io.open("b.txt", "w") f:write("held") show(io.open("b.txt"):read("*a")) f:flush() show(io.open("b.txt"):read("*a")) f:close()`},
	{"unbuffered", `local f = io.open("b.txt", "w") f:setvbuf("no") f:write("now") show(io.open("b.txt"):read("*a")) f:close()`},
	{"line buffered", `local f = io.open("b.txt", "w") f:setvbuf("line") f:write("a") show(io.open("b.txt"):read("*a")) f:write("b\nc") show(io.open("b.txt"):read("*a")) f:close()`},
	{"popen read", `local p = io.popen("echo hi; echo there; exit 3") show(p:read("*l")) show(p:read("*a")) show(p:close()) show(io.type(p))`},
	{"popen write", `local p = io.popen("cat > popen_out.txt", "w") show(p:write("to cat\n")) show(p:close()) show(io.open("popen_out.txt"):read("*a"))`},
	{"popen seek", `local p = io.popen("echo x") show(p:seek()) p:close()`},
	{"popen lines", `for l in io.popen("printf 'a\\nb\\n'"):lines() do show(l) end`},
	{"tmpfile", `local f = io.tmpfile() show(io.type(f)) f:write("t") f:seek("set") show(f:read("*a")) show(f:close())`},
	{"long line", `local f = io.tmpfile() f:write(("x"):rep(200000), "\nnext") f:seek("set") show(#f:read("*l")) show(f:read("*l"))`},
	{"big read all", `local f = io.tmpfile() f:write(("0123456789"):rep(500000)) f:seek("set", 7) show(#f:read("*a")) f:seek("set") show(#f:read(3000000), #f:read(3000000), f:read(1))`},
	{"metatable", `local f = io.open(path) local mt = getmetatable(f) show(mt.__index == mt, type(mt.read), f.nosuch) f:close()`},
	{"method errors", `show(pcall(function() return io.stdout.read(nil) end)) show(pcall(function() return io.stdout.write(5) end))`},
	{"std read write wrong way", `show(io.stdout:read("*l")) show(io.stdin:write("x"))`},
	{"seek std", `show(io.stdout:seek("set"))`},
	{"unflushed at exit", `local f = io.open("exit.txt", "w") f:write("kept") io.stdout:write(tostring(io.open("exit.txt"):read("*a")), "\n")`},
}

// TestIOFileAsLua51 runs each io snippet under lua5.1 and under sockrun,
// in a directory of its own, and compares their standard output.
func TestIOFileAsLua51(t *testing.T) {
	lua := testenv.Tool(t, "lua5.1")
	for _, s := range ioSnippets {
		t.Run(s.name, func(t *testing.T) {
			run := func(prog string) string {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "t.lua"), []byte(ioPrelude+s.src+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, prog, "t.lua")
				cmd.Dir = dir
				var out, errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errb
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s: %v\n%s%s", prog, err, out.String(), errb.String())
				}
				return out.String()
			}
			want, got := run(lua), run(sockrunBin)
			if got != want {
				t.Fatalf("%s\nsockrun printed:\n%s\nlua5.1 printed:\n%s", s.src, got, want)
			}
		})
	}
}
