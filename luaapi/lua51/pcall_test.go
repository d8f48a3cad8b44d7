package lua51

import (
	"context"
	"runtime"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// newState is a state opened as the runner opens one: small stacks for
// threads and coroutines, MainCallDepth for the main thread.
func newState(t testing.TB) *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: MainCallDepth, MinimizeStackMemory: true, RegistrySize: 64, RegistryMaxSize: 1 << 20, RegistryGrowStep: 64})
	// As the runner: NewState raised RegistrySize to 5,120 slots.
	L.Options.RegistrySize = 64
	L.Options.CallStackSize = 1024
	t.Cleanup(L.Close)
	Open(L, Options{})
	return L
}

// runIn runs src as a chunk of L and returns its results joined as print
// joins them.
func runIn(t *testing.T, L *lua.LState, src string) string {
	t.Helper()
	proto, err := Compile(src, "t.lua")
	if err != nil {
		t.Fatal(err)
	}
	top := L.GetTop()
	L.Push(L.NewFunctionFromProto(proto))
	if err := L.PCall(0, lua.MultRet, nil); err != nil {
		t.Fatalf("%s\n%v", src, err)
	}
	var out []string
	for i := top + 1; i <= L.GetTop(); i++ {
		out = append(out, L.ToStringMeta(L.Get(i)).String())
	}
	L.SetTop(top)
	return strings.Join(out, "\t")
}

// Each case's want is what lua5.1 prints for print(<src's results>),
// except where the comment says.
var pcallCases = []struct{ name, src, want string }{
	{"#448: a closure keeps sharing the caller's local after a caught error",
		`local handled = 0; local function get() return handled end
		pcall(error, "x"); handled = handled + 1
		pcall(function() error("y") end); handled = handled + 1
		return handled, get()`, "2\t2"},
	{"#448 with xpcall: the failed call's upvalues are closed",
		`local g
		xpcall(function() local v = 10; g = function() return v end; error("y") end, function(e) return e end)
		local function clobber(a, b, c, d, e) local x, y, z = 1, 2, 3 return x end
		clobber(100, 200, 300, 400, 500)
		return g()`, "10"},
	{"#448 in a coroutine (calls that can yield)",
		`return coroutine.wrap(function()
			local handled = 0; local function get() return handled end
			pcall(error, "x"); handled = handled + 1
			pcall(function() error("y") end); handled = handled + 1
			local g
			xpcall(function() local v = 10; g = function() return v end; error("y") end, function(e) return e end)
			local function clobber(a, b, c, d, e) local x, y, z = 1, 2, 3 return x end
			clobber(100, 200, 300, 400, 500)
			return handled, get(), g()
		end)()`, "2\t2\t10"},
	{"#448 through a Go function: a closure its callback made keeps its value", `
		local g
		local ok = pcall(table.sort, {2, 1}, function(a, b) local v = 42; g = function() return v end; error("x", 0) end)
		local function clobber(a, b, c, d, e) local x, y, z = 1, 2, 3 return x end
		clobber(100, 200, 300, 400, 500)
		local ok2, e = pcall(string.gsub, "ab", "%w", function(c) local v = c .. "!"; g = function() return v end; if c == "b" then error("stop", 0) end end)
		clobber(100, 200, 300, 400, 500)
		return ok, ok2, e, g()`, "false\tfalse\tstop\tb!"},
	// A Go function pcall calls runs on the caller's state: the upvalues
	// of its callbacks' frames are closed with the values they held.
	{"#448 through a Go function: a vararg callback", `
		local g
		local ok = pcall(table.sort, {2, 1}, function(...) local v = select(1, ...) * 10; g = function() return v end; error("x", 0) end)
		local function clobber(a, b, c, d, e) local x, y, z = 1, 2, 3 return x end
		clobber(100, 200, 300, 400, 500)
		return ok, g()`, "false\t10"},
	{"#448 through a Go function: more registers than one call of the closer takes", `
		local gs = {}
		local function r(n) local v, w = n, n * 2; gs[#gs + 1] = function() return v + w end; if n == 0 then error("bottom", 0) end; return (r(n - 1)) end
		local ok, e = pcall(string.gsub, "a", "a", function() r(150) end)
		local function clobber(a, b, c, d, e) local x, y, z = 1, 2, 3 return x end
		clobber(100, 200, 300, 400, 500)
		local sum = 0; for _, f in ipairs(gs) do sum = sum + f() end
		return ok, e, #gs, sum`, "false\tbottom\t151\t33975"},
	{"#448 through a Go function: a closure shares a callback's local until it fails", `
		local h
		local ok, v = pcall(table.sort, {1, 2}, function() local v = 1; h = function() v = v + 1; return v end; h(); h(); error(v, 0) end)
		local function clobber(a, b, c, d, e) local x, y, z = 1, 2, 3 return x end
		clobber(7, 7, 7, 7, 7)
		return ok, v, h(), h()`, "false\t3\t4\t5"},
	{"#448 through a Go function in a coroutine", `
		return coroutine.wrap(function()
			local g, handled = nil, 0
			local function get() return handled end
			local ok = pcall(string.gsub, "a", "a", function() local v = "kept"; g = function() return v end; error("e") end)
			handled = handled + 1
			local function clobber(a, b, c, d, e) local x, y, z = 1, 2, 3 return x end
			clobber(9, 9, 9, 9, 9)
			return ok, g(), handled, get()
		end)()`, "false\tkept\t1\t1"},
	{"pcall of a Go function: results", `
		return select('#', pcall(select, '#')), select('#', pcall(string.gsub, "", "x", "")), pcall(select, 2, "a", "b", "c")`, "2\t3\ttrue\tb\tc"},
	{"C stack overflow: nested pcalls of Go functions", `
		local n = 0
		local function nest() n = n + 1; local ok, e = pcall(string.gsub, "x", "x", nest); if not ok then error(e, 0) end end
		local ok, e = pcall(nest)
		return ok, e, n`, "false\tC stack overflow\t197"}, // lua5.1: about 100, each level two C calls
	{"#448 after protected calls inside a Go function's callback", `
		local handled = 0; local function get() return handled end
		pcall(table.sort, {2, 1}, function(a, b) pcall(math.floor, "x"); pcall(error, "y"); error("z") end)
		handled = handled + 1
		pcall(table.sort, {2, 1}, function(a, b) pcall(function() pcall(math.floor, "x") error("w") end); error("z") end)
		handled = handled + 1
		pcall(pcall, error, "x"); handled = handled + 1
		return handled, get()`, "3\t3"},
	{"xpcall handler in a coroutine sees the failed frames", `
		local function inner() local secret = "s"; error("e") end
		return coroutine.wrap(function() return xpcall(inner, function(e) return probe() end) end)()`, "false\tt.lua:2: "},
	{"stack overflow in a coroutine's pcall", `
		local function r() return 1 + r() end
		return coroutine.wrap(function() return pcall(r) end)()`, "false\tt.lua:2: stack overflow"},
	{"results", `return pcall(function(a, b) return a, nil, b end, 1, 2)`, "true\t1\tnil\t2"},
	{"no results", `return select('#', pcall(function() end))`, "1"},
	{"Go function", `return pcall(string.rep, "ab", 3)`, "true\tababab"},
	{"callable table", `return pcall(setmetatable({}, {__call = function(self, a) return "called", a end}), 5)`, "true\tcalled\t5"},
	{"not callable", `return pcall(42)`, "false\tattempt to call a number value"},
	{"nil", `return pcall(nil)`, "false\tattempt to call a nil value"},
	{"no argument", `return pcall(pcall)`, "false\tbad argument #1 to '?' (value expected)"},
	{"error values kept", `local t = {}; local ok, e = pcall(error, t); return ok, e == t, select(2, pcall(error, 42)), select(2, pcall(error, nil))`, "false\ttrue\t42\tnil"},
	{"error position", `return pcall(function() error("x") end)`, "false\tt.lua:1: x"},
	{"error level 2 from a Go function pcall called", `return pcall(error, "x", 2)`, "false\tt.lua:1: x"},
	{"a message of error with a leading space", `return select(2, pcall(error, " x", 0)), select(2, pcall(error, " y"))`, " x\t y"},
	{"error level 0", `return pcall(function() error("x", 0) end)`, "false\tx"},
	// No position: pcall, a C function, called string.rep.
	{"Go error", `return pcall(function() return pcall(string.rep) end)`, "true\tfalse\tbad argument #1 to '?' (string expected, got no value)"},
	{"nested", `return pcall(pcall, error, "e")`, "true\tfalse\te"},
	{"xpcall handler", `return xpcall(function() error("a") end, function(e) return "handled: " .. e end)`, "false\thandled: t.lua:1: a"},
	{"xpcall handler of a Go error", `return xpcall(coroutine.resume, function(e) return "h:" .. tostring(e) end)`, "false\th:bad argument #1 to '?' (coroutine expected)"},
	{"xpcall handler of a Go function's error", `return xpcall(string.rep, function(e) return "h:" .. e end)`, "false\th:bad argument #1 to '?' (string expected, got no value)"},
	{"xpcall handler of a call of nil", `return xpcall(nil, function(e) return "h:" .. tostring(e) end)`, "false\th:attempt to call a nil value"},
	{"xpcall error in handler", `return xpcall(function() error("a") end, function(e) error("b") end)`, "false\terror in error handling"},
	{"xpcall handler not a function", `return xpcall(function() error("a") end, nil)`, "false\terror in error handling"},
	{"xpcall results", `return xpcall(function() return 1, 2 end, print)`, "true\t1\t2"},
	{"xpcall no handler", `return pcall(xpcall, print)`, "false\tbad argument #2 to '?' (value expected)"},
	{"xpcall handler sees the failed frames", `
		local function inner() local secret = "s"; error("e") end
		return xpcall(inner, function(e) return probe() end)`, "false\tt.lua:2: "},
	{"yield outside a coroutine", `return pcall(coroutine.yield, 1)`, "false\tattempt to yield across metamethod/C-call boundary"},
	{"yield through pcall", `
		local co = coroutine.create(function(a)
			local ok, v = pcall(function(x) return coroutine.yield(x + 1) * 2 end, a)
			return ok, v
		end)
		local _, y = coroutine.resume(co, 1)
		return y, coroutine.resume(co, 10)`, "2\ttrue\ttrue\t20"}, // lua5.1: yield across C boundary
	{"yield through xpcall, then error", `
		local co = coroutine.wrap(function()
			return xpcall(function() coroutine.yield("y"); error("after", 0) end, function(e) return "h:" .. e end)
		end)
		return co(), co()`, "y\tfalse\th:after"},
	{"pcall(coroutine.yield) in a coroutine", `
		local co = coroutine.create(function() return pcall(coroutine.yield, "a", "b") end)
		local _, a, b = coroutine.resume(co)
		return a, b, coroutine.resume(co, "c")`, "a\tb\ttrue\ttrue\tc"},
	{"return pcall(f) at a coroutine's end, f yielding", `
		local co = coroutine.wrap(function() return pcall(function() return coroutine.yield(1) end) end)
		return co(), co("x")`, "1\ttrue\tx"},
	{"return coroutine.yield(...) at a coroutine's end", `
		local co = coroutine.create(function(a) local b = coroutine.yield(a) return coroutine.yield(b) end)
		local _, x = coroutine.resume(co, 1)
		local _, y = coroutine.resume(co, 2)
		local ok, z = coroutine.resume(co, 3)
		return x, y, ok, z, coroutine.status(co)`, "1\t2\ttrue\t3\tdead"},
	{"nested pcalls yielding in a coroutine", `
		local co = coroutine.wrap(function()
			return pcall(function()
				local ok, v = pcall(function() return coroutine.yield("in") .. "!" end)
				return ok, v, coroutine.yield("out")
			end)
		end)
		return co(), co("a"), co("b")`, "in\tout\ttrue\ttrue\ta!\tb"},
	{"yield nothing through pcall", `
		local co = coroutine.create(function() return pcall(function() coroutine.yield() end) end)
		return select('#', coroutine.resume(co)), coroutine.resume(co)`, "1\ttrue\ttrue"},
	{"yield across a Go function", `
		local co = coroutine.wrap(function() return pcall(table.sort, {3, 1, 2}, function(a, b) coroutine.yield() return a < b end) end)
		return co()`, "false\tattempt to yield across metamethod/C-call boundary"},
	{"running and status inside pcall", `
		local co
		co = coroutine.create(function()
			return pcall(function() return coroutine.running() == co, coroutine.status(co) end)
		end)
		return coroutine.resume(co)`, "true\ttrue\ttrue\trunning"},
	{"running in the main thread", `return pcall(coroutine.running)`, "true\tnil"},
	{"resume the running coroutine", `
		local co = coroutine.create(function() return pcall(coroutine.resume, coroutine.running()) end)
		return coroutine.resume(co)`, "true\ttrue\tfalse\tcannot resume running coroutine"},
	{"resume a dead coroutine", `
		local co = coroutine.create(function() end); coroutine.resume(co)
		return coroutine.resume(co)`, "false\tcannot resume dead coroutine"},
	{"wrap error", `
		local w = coroutine.wrap(function() error("boom") end)
		return pcall(w)`, "false\tt.lua:2: boom"},
	{"create a Go function", `return pcall(coroutine.create, print)`, "false\tbad argument #1 to '?' (Lua function expected)"},
	{"stack overflow", `
		local function r() return 1 + r() end
		local ok, e = pcall(r)
		return ok, e`, "false\tt.lua:2: stack overflow"},
	{"stack overflow in a coroutine", `
		local function r() return 1 + r() end
		return coroutine.resume(coroutine.create(r))`, "false\tt.lua:2: stack overflow"},
	{"main thread depth", `
		local depth = 0
		local function d() depth = depth + 1; d() end
		pcall(d)
		return depth > 19000`, "true"},
	{"C stack overflow: nested pcalls", `
		local n = 0
		local err
		local function f() n = n + 1; local ok, e = pcall(f); if not ok and not err then err = e end end
		f()
		return n, err`, "198\tC stack overflow"},
	{"C stack overflow: nested coroutines", `
		local n = 0
		local function g() n = n + 1; local ok, e = coroutine.resume(coroutine.create(g)); if not ok then error(e, 0) end end
		return select(2, pcall(g)), n`, "C stack overflow\t198"},
	{"resumed with fewer values than the yield takes", `
		local co = coroutine.wrap(function()
		  local c, d = coroutine.yield()
		  local y = coroutine.yield
		  local e, f, g = y()
		  local n = select("#", coroutine.yield())
		  return c, d, e, f, g, n
		end)
		co() co("x") co()
		return co()`, "x\tnil\tnil\tnil\tnil\t0"},
}

func TestPcall(t *testing.T) {
	L := newState(t)
	L.SetGlobal("probe", L.NewFunction(func(L *lua.LState) int {
		// Called by an xpcall handler: below it (level 1), the failed
		// frames, error's, then inner's; pcall's machinery is no level.
		for level := 2; level < 10; level++ {
			fn, _, ok := FunctionAt(L, level)
			if !ok {
				break
			}
			if fn != nil && !fn.IsG {
				L.Push(lua.LString(Where(L, level)))
				return 1
			}
		}
		L.Push(lua.LString("no frame"))
		return 1
	}))
	for _, c := range pcallCases {
		t.Run(c.name, func(t *testing.T) {
			if got := runIn(t, L, c.src); got != c.want {
				t.Errorf("%s\ngot  %q\nwant %q", c.src, got, c.want)
			}
		})
	}
}

// TestPcallPool checks that finished calls reuse their coroutines, and
// that a failed one is replaced.
func TestPcallPool(t *testing.T) {
	L := newState(t)
	p := protectedOf(L)
	runIn(t, L, `for i = 1, 100 do pcall(function() end); pcall(math.floor, 1); pcall(error, "x") end`)
	if n := len(p.cos); n > 4 {
		t.Errorf("%d pcall coroutines after 300 sequential calls, want at most 4", n)
	}
	runIn(t, L, `for i = 1, 100 do pcall(function() error("x") end) end`)
	runIn(t, L, `coroutine.wrap(function() for i = 1, 100 do pcall(function() error("x") end) end end)()`)
	if n := len(p.cos); n > 4 {
		t.Errorf("%d pcall coroutines alive after 200 failed calls (100 in a coroutine), want at most 4", n)
	}
}

// TestPcallContext checks that a protected call runs with its caller's
// context (the main thread's raises KeyboardInterrupt in sockrun), or none.
func TestPcallContext(t *testing.T) {
	L := newState(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	L.SetGlobal("same", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(L.Context() == ctx))
		return 1
	}))
	L.SetGlobal("none", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(L.Context() == nil))
		return 1
	}))
	L.SetContext(ctx)
	if got := runIn(t, L, `return pcall(function() return same() end), pcall(same)`); got != "true\ttrue\ttrue" {
		t.Errorf("with a context: %q", got)
	}
	L.RemoveContext()
	if got := runIn(t, L, `return pcall(function() return none() end), pcall(none)`); got != "true\ttrue\ttrue" {
		t.Errorf("without a context: %q", got)
	}
}

// TestPcallAbandoned checks that coroutines suspended inside a pcall and
// dropped by the script are collected with their pcall coroutines: the
// weak map of pending calls is swept as it grows, so what is kept stays
// bounded.
func TestPcallAbandoned(t *testing.T) {
	L := newState(t)
	p := protectedOf(L)
	for round := 0; round < 5; round++ {
		runIn(t, L, `for i = 1, 200 do
			coroutine.wrap(function() pcall(coroutine.yield, i) end)()
			coroutine.wrap(function() pcall(function() coroutine.yield() end) end)()
		end`)
		runtime.GC()
		runtime.GC()
	}
	t.Logf("%d pcall coroutines, %d pending calls kept", len(p.cos), len(p.pending))
	if n, m := len(p.cos), len(p.pending); n > 600 || m > 1000 {
		t.Errorf("%d pcall coroutines and %d pending calls kept after 1,000 of each were dropped", n, m)
	}
}

// TestProtectedCallOf checks the debug library's view of a protected call.
func TestProtectedCallOf(t *testing.T) {
	L := newState(t)
	var got []string
	L.SetGlobal("look", L.NewFunction(func(L *lua.LState) int {
		pc, ok := protectedCallOf(L)
		if !ok {
			got = append(got, "none")
			return 0
		}
		dbg, _ := pc.caller.GetStack(0)
		fn, _ := pc.caller.GetInfo("f", dbg, lua.LNil)
		top := "other"
		if f := fn.(*lua.LFunction); f == L.GetGlobal("pcall") || f == L.GetGlobal("xpcall") {
			top = "called"
		}
		layout := "bare"
		if pc.looping {
			layout = "looping"
		}
		got = append(got, pc.name+" "+top+" "+layout+" "+map[bool]string{true: "failed", false: "-"}[pc.failed != nil])
		return 0
	}))
	// pcall(look) calls the Go function look on the caller's own state
	// (callDirect): no protected call's coroutine.
	runIn(t, L, `look(); pcall(look); pcall(function() look() end); xpcall(function() error("x") end, look); xpcall(42, look)
		coroutine.wrap(function() pcall(function() look() end); xpcall(function() error("x") end, look) end)()`)
	// The caller's top frame is the pcall or xpcall that made the call.
	want := "none|none|pcall called bare -|xpcall called bare -|xpcall called bare -|pcall called looping -|xpcall called looping -"
	if s := strings.Join(got, "|"); s != want {
		t.Errorf("got %s, want %s", s, want)
	}
}
