package lua51

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// benchState is a state opened as the runner opens one, running src's
// function bench(n) b.N times over.
func benchLua(b *testing.B, src string) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 4096, MinimizeStackMemory: true, RegistrySize: 64, RegistryMaxSize: 1 << 20, RegistryGrowStep: 64})
	defer L.Close()
	L.Options.RegistrySize = 64 // as the runner: NewState raised it to 5,120 slots
	L.Options.CallStackSize = 1024
	Open(L, Options{})
	proto, err := Compile(src, "bench")
	if err != nil {
		b.Fatal(err)
	}
	L.Push(L.NewFunctionFromProto(proto))
	if err := L.PCall(0, 1, nil); err != nil {
		b.Fatal(err)
	}
	fn := L.Get(-1)
	L.Pop(1)
	b.ReportAllocs()
	b.ResetTimer()
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 0, Protect: true}, lua.LNumber(b.N)); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkPcallOK(b *testing.B) {
	benchLua(b, `local function f(a) return a end
		return function(n) for i = 1, n do pcall(f, i) end end`)
}

func BenchmarkPcallGoOK(b *testing.B) {
	benchLua(b, `local f = math.floor
		return function(n) for i = 1, n do pcall(f, i) end end`)
}

func BenchmarkPcallError(b *testing.B) {
	benchLua(b, `local function f(a) error("x") end
		return function(n) for i = 1, n do pcall(f, i) end end`)
}

func BenchmarkPcallGoError(b *testing.B) {
	benchLua(b, `return function(n) for i = 1, n do pcall(error, "x") end end`)
}

func BenchmarkCallBaseline(b *testing.B) {
	benchLua(b, `local function f(a) return a end
		return function(n) for i = 1, n do f(i) end end`)
}

// The same calls from inside a coroutine, where a yield may pass through
// pcall: the calls of Lua functions run on a coroutine of their own.

func BenchmarkPcallInCoroutineOK(b *testing.B) {
	benchLua(b, `local function f(a) return a end
		return function(n) coroutine.wrap(function() for i = 1, n do pcall(f, i) end end)() end`)
}

func BenchmarkPcallInCoroutineError(b *testing.B) {
	benchLua(b, `local function f(a) error("x") end
		return function(n) coroutine.wrap(function() for i = 1, n do pcall(f, i) end end)() end`)
}

// BenchmarkPcallNested is a pcall made inside a pcall, as a server's
// handler makes them inside the pcall around the connection.
func BenchmarkPcallNested(b *testing.B) {
	benchLua(b, `local f = math.floor
		return function(n) pcall(function() for i = 1, n do pcall(f, i) end end) end`)
}

// BenchmarkCoroutineResume is a resume and a yield of a generator.
func BenchmarkCoroutineResume(b *testing.B) {
	benchLua(b, `return function(n)
		local g = coroutine.wrap(function() while true do coroutine.yield(1) end end)
		for i = 1, n do g() end
	end`)
}
