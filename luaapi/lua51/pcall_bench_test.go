package lua51

import (
	"context"
	"fmt"
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

// BenchmarkCallGoBaseline is BenchmarkPcallGoOK's call without pcall.
func BenchmarkCallGoBaseline(b *testing.B) {
	benchLua(b, `local f = math.floor
		return function(n) for i = 1, n do f(i) end end`)
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

// gopherPcall is gopher-lua's own pcall, the reference the server
// benchmarks compare with: the same calls without the coroutine (and with
// gopher-lua #448).
var gopherPcall = func() lua.LGFunction {
	L := lua.NewState()
	defer L.Close()
	return L.GetGlobal("pcall").(*lua.LFunction).GFunction
}()

// serverShape is a request of a threaded server as http_server.lua serves
// one: a pcall of a Lua function (read_head) that makes four pcalls of a
// Go function (recv, recvuntil), then a pcall of a Lua function that makes
// none (read_body).
const serverShape = `local recv = string.byte
	local function head(s) local ok = pcall(recv, s); pcall(recv, s); pcall(recv, s); pcall(recv, s); return ok end
	local function body(s) return #s end
	return function() pcall(head, "GET"); pcall(body, "x") end`

// benchServer serves one request per iteration, from each of nthreads
// thread states in turn (with a context, as the runner's), as a threaded
// server's connections take turns; gopher says pcall is gopher-lua's.
func benchServer(b *testing.B, gopher bool, nthreads int) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: MainCallDepth, MinimizeStackMemory: true, RegistrySize: 64, RegistryMaxSize: 1 << 20, RegistryGrowStep: 64})
	defer L.Close()
	L.Options.RegistrySize = 64
	L.Options.CallStackSize = 1024
	Open(L, Options{})
	if gopher {
		L.SetGlobal("pcall", L.NewFunction(gopherPcall))
	}
	proto, err := Compile(serverShape, "server")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	threads := make([]*lua.LState, nthreads)
	requests := make([]lua.LValue, nthreads)
	for i := range threads {
		th, _ := L.NewThread()
		th.SetContext(ctx)
		th.Push(th.NewFunctionFromProto(proto))
		if err := th.PCall(0, 1, nil); err != nil {
			b.Fatal(err)
		}
		threads[i], requests[i] = th, th.Get(-1)
		th.Pop(1)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		th := threads[i%nthreads]
		L.G.CurrentThread = th
		th.Push(requests[i%nthreads])
		if err := th.PCall(0, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPcallServer is six protected calls of a request (serverShape)
// made by sockrun's pcall and by gopher-lua's, from one thread and from
// fifty in turn.
func BenchmarkPcallServer(b *testing.B) {
	for _, n := range []int{1, 50} {
		for _, gopher := range []bool{false, true} {
			name := fmt.Sprintf("threads=%d/sockrun", n)
			if gopher {
				name = fmt.Sprintf("threads=%d/gopher-lua", n)
			}
			b.Run(name, func(b *testing.B) { benchServer(b, gopher, n) })
		}
	}
}
