package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// deepProgram builds a Lua program from b: a function made of layers, one
// a byte, each calling the next as the way it names (plain recursion some
// thousands deep, pcall, xpcall, a coroutine by wrap or by resume, a
// metamethod, a string.gsub or table.sort callback, a chain of coroutines
// or pcalls hundreds deep), down to a bottom (byte 10, or the eighth
// layer, or the end of b) that returns, raises, yields or returns many
// values. The program calls it under pcall and prints
// "done": whatever the layers make of it (an overflow of either stack, a
// yield across a boundary), the run must end with Lua's errors.
func deepProgram(b []byte) string {
	next := func() byte {
		if len(b) == 0 {
			return 0
		}
		c := b[0]
		b = b[1:]
		return c
	}
	var gen func(layers int) string
	gen = func(layers int) string {
		kind := next() % 11
		if kind == 10 || layers == 0 || len(b) == 0 {
			switch next() % 4 {
			case 0:
				return "function() return 1 end"
			case 1:
				return `function() error("bottom") end`
			case 2:
				return "function() return coroutine.yield(1) end"
			default:
				return "function() local t = {} for i = 1, 1000 do t[i] = i end return unpack(t) end"
			}
		}
		n := int(next())
		inner := gen(layers - 1)
		switch kind {
		case 0: // recursion, not a tail call, up to 20,400 deep
			return fmt.Sprintf("(function() local inner = %s local function r(n) if n <= 0 then return inner() end return (r(n - 1)) end return function() return r(%d) end end)()", inner, n*80)
		case 1:
			return fmt.Sprintf("function() return pcall(%s) end", inner)
		case 2:
			return fmt.Sprintf("function() return xpcall(%s, debug.traceback) end", inner)
		case 3:
			return fmt.Sprintf("function() return coroutine.wrap(%s)() end", inner)
		case 4:
			return fmt.Sprintf("function() return coroutine.resume(coroutine.create(%s)) end", inner)
		case 5:
			return fmt.Sprintf("function() local inner = %s return setmetatable({}, {__index = function() return inner() end}).x end", inner)
		case 6:
			return fmt.Sprintf("function() local inner = %s return (string.gsub(\"x\", \"x\", function() return tostring((inner())) end)) end", inner)
		case 7:
			return fmt.Sprintf("function() local inner, r = %s table.sort({2, 1, 3}, function(a, b) r = r or {inner()} return a < b end) return r end", inner)
		case 8: // coroutines nested up to 510 deep
			return fmt.Sprintf("function() local inner, n = %s, 0 local function w() n = n + 1 if n > %d then return inner() end return coroutine.wrap(w)() end return w() end", inner, n*2)
		default: // pcalls nested up to 510 deep
			return fmt.Sprintf("function() local inner, n = %s, 0 local function p() n = n + 1 if n > %d then return inner() end return pcall(p) end return p() end", inner, n*2)
		}
	}
	return "local f = " + gen(8) + "\nprint(\"result\", pcall(f))\nprint(\"done\")\n"
}

// FuzzDeepNesting runs deepProgram's programs (issue #16: no Go panic,
// runtime error or stack dump reaches a user from anything a script does,
// deep recursion and nested coroutines included): each must print "done"
// and exit 0, with nothing of Go's on either stream.
func FuzzDeepNesting(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 255, 3, 0, 8, 255, 1})                  // recursion 20,400 deep under a coroutine 510 deep
	f.Add([]byte{8, 255, 9, 255, 8, 255, 10, 2})            // coroutines, pcalls, coroutines: 510 each, a yield at the bottom
	f.Add([]byte{3, 0, 1, 0, 10, 2})                        // a yield inside pcall inside a coroutine
	f.Add([]byte{3, 0, 1, 0, 2, 0, 4, 0, 5, 0, 6, 0, 7, 0}) // one of each
	f.Add([]byte{5, 0, 0, 200, 6, 0, 0, 200, 7, 0, 0, 200, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		src := deepProgram(b)
		path := filepath.Join(t.TempDir(), "deep.lua")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		p := start(t, path)
		p.closeStdin()
		code := p.wait(60 * time.Second)
		out, stderr := strings.Join(p.Stdout(), "\n"), p.Stderr()
		for _, s := range []string{"goroutine ", "fatal error", "runtime error", "panic:", ".go:"} {
			if strings.Contains(out, s) || strings.Contains(stderr, s) {
				t.Fatalf("Go's %q reached the user (input %v):\n%s\nstdout:\n%s\nstderr:\n%s", s, b, src, out, stderr)
			}
		}
		if code != 0 || !strings.HasSuffix(out, "done") {
			t.Fatalf("exit %d, want 0 after \"done\" (input %v):\n%s\nstdout:\n%s\nstderr:\n%s", code, b, src, out, stderr)
		}
	})
}
