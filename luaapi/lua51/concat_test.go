package lua51

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// The cost of concatenating as Lua 5.1 does, measured on string-building
// loops of 1,000 iterations:
//
//	go test -run XXX -bench Concat ./luaapi/lua51/
//
// native is gopher-lua's own instruction (numbers in Go's formatting);
// chain is what Compile makes, one helper call per chain; operand is the
// alternative, a helper call per operand that may be a number, then
// gopher-lua's instruction.

// concatLoops are the loops measured: operands that are strings, and
// operands that are numbers.
var concatLoops = map[string]struct{ src, operand string }{
	"strings": {
		`local s, name = "", "world" for i = 1, 1000 do s = "hello " .. name .. "!" end`,
		`local s, name = "", "world" for i = 1, 1000 do s = "hello " .. tostr(name) .. "!" end`,
	},
	"numbers": {
		`local s for i = 1, 1000 do s = "n=" .. i .. " half=" .. i / 2 end`,
		`local s for i = 1, 1000 do s = "n=" .. tostr(i) .. " half=" .. tostr(i / 2) end`,
	},
}

// nativeCompile is gopher-lua's compile alone.
func nativeCompile(src string) (*lua.FunctionProto, error) {
	stmts, err := parse.Parse(strings.NewReader(src), "bench")
	if err != nil {
		return nil, err
	}
	return lua.Compile(stmts, "bench")
}

// sockrunCompile is Compile.
func sockrunCompile(src string) (*lua.FunctionProto, error) { return Compile(src, "bench") }

// tostr is the per-operand helper: a number as Lua 5.1 writes it, any
// other value as it is.
func tostr(L *lua.LState) int {
	if n, ok := L.Get(1).(lua.LNumber); ok {
		L.Push(lua.LString(FormatNumber(float64(n))))
		return 1
	}
	L.SetTop(1)
	return 1
}

func benchConcatLoop(b *testing.B, src string, compile func(string) (*lua.FunctionProto, error)) {
	L := lua.NewState()
	defer L.Close()
	// A local upvalue, as cheap to reach as the chain helper's constant.
	L.SetGlobal("tostr", L.NewFunction(tostr))
	proto, err := compile("local tostr = tostr " + src)
	if err != nil {
		b.Fatal(err)
	}
	fn := L.NewFunctionFromProto(proto)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		L.Push(fn)
		if err := L.PCall(0, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConcat(b *testing.B) {
	for _, name := range []string{"strings", "numbers"} {
		loop := concatLoops[name]
		b.Run(name+"/native", func(b *testing.B) { benchConcatLoop(b, loop.src, nativeCompile) })
		b.Run(name+"/chain", func(b *testing.B) { benchConcatLoop(b, loop.src, sockrunCompile) })
		b.Run(name+"/operand", func(b *testing.B) { benchConcatLoop(b, loop.operand, nativeCompile) })
	}
}

// TestConcatHelperUnreachable: a string literal equal to the helper's
// constant stays a string, and the helper is no global.
func TestConcatHelperUnreachable(t *testing.T) {
	src := `local x = 1.5
local s = "\0lua51:0"
out(#s, s == "\0" .. "lua51:0", "v" .. x)
for k in pairs(_G) do if type(k) == "string" and k:find("lua51", 1, true) then out("global", k) end end`
	want := "8\ttrue\tv1.5\n"
	if got := runHere(t, "snippet.lua", src, nil); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
