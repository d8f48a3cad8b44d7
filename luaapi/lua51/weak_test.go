package lua51

import (
	"runtime"
	"strings"
	"testing"
	"weak"

	lua "github.com/yuin/gopher-lua"
)

// TestWeakMatchesLua51 runs the programs of testdata/weak (gc.lua's weak
// table tests and more) and compares their output with lua5.1's.
func TestWeakMatchesLua51(t *testing.T) {
	debugTestPrograms(t, "testdata/weak/*.lua")
}

// weakTestCount is the number of entries of the table global name.
func weakTestCount(t *testing.T, L *lua.LState, name string) int {
	t.Helper()
	tb, ok := L.GetGlobal(name).(*lua.LTable)
	if !ok {
		t.Fatalf("%s is not a table", name)
	}
	n := 0
	tb.ForEach(func(_, _ lua.LValue) { n++ })
	return n
}

// TestWeakKeepsWhatGoReaches checks that an object only Go code reaches
// stays in a weak table: a Go variable, a userdata's Go value, the stack
// of another thread state (a sockrun thread), a running Go function's
// arguments. A wrong removal would be worse than a kept entry.
func TestWeakKeepsWhatGoReaches(t *testing.T) {
	var out strings.Builder
	L := debugTestState(t, &out)
	type holder struct{ v lua.LValue }
	var goHeld lua.LValue
	L.SetGlobal("gohold", L.NewFunction(func(L *lua.LState) int {
		goHeld = L.Get(1)
		return 0
	}))
	L.SetGlobal("boxed", L.NewFunction(func(L *lua.LState) int {
		ud := L.NewUserData()
		ud.Value = &holder{L.Get(1)}
		L.Push(ud)
		return 1
	}))
	th, _ := L.NewThread()
	L.SetGlobal("onthread", L.NewFunction(func(L *lua.LState) int {
		th.Push(L.Get(1))
		return 0
	}))
	L.SetGlobal("collectwith", L.NewFunction(func(L *lua.LState) int {
		// Its argument is on this Go function's stack frame only.
		L.Push(lua.LNumber(ClearWeakTables(L)))
		return 1
	}))
	debugTestRun(t, L, `w = setmetatable({}, {__mode = "k"})
w[{}] = "garbage"
local a, b, c = {}, {}, {}
w[a], w[b], w[c] = "go variable", "userdata value", "other thread"
gohold(a); box = boxed(b); onthread(c)
local d = {}
w[d] = "argument"
a, b, c = nil
wv = setmetatable({}, {__mode = "v"})
wv[1] = function() end
wv[2] = print
removed = collectwith(d)
`, "t.lua")
	if got := weakTestCount(t, L, "w"); got != 4 {
		t.Errorf("the weak-keyed table has %d entries after collecting, want 4", got)
	}
	if got := L.GetGlobal("removed"); got != lua.LNumber(2) {
		t.Errorf("ClearWeakTables removed %v entries, want 2 (the lone key and the lone closure)", got)
	}
	if got := weakTestCount(t, L, "wv"); got != 1 {
		t.Errorf("the weak-valued table has %d entries after collecting, want 1 (print)", got)
	}
	runtime.KeepAlive(goHeld)
	runtime.KeepAlive(th)
}

// TestWeakForgetsDeadTables checks that noting weak tables does not keep
// them alive, and that the VM's list of them does not grow without bound.
func TestWeakForgetsDeadTables(t *testing.T) {
	var out strings.Builder
	L := debugTestState(t, &out)
	debugTestRun(t, L, `for i = 1, 2000 do setmetatable({}, {__mode = "k"})[{}] = i end`, "t.lua")
	s := weakStateOf(L)
	if n := len(s.tables); n > 2000 {
		t.Fatalf("%d tables noted for 2000 made", n)
	}
	if n := len(s.tables); n >= 200 {
		// The list is pruned when it doubles; at most the tables since the
		// last pruning are left.
		runtime.GC()
	}
	ClearWeakTables(L)
	if n := len(s.tables); n != 0 {
		t.Errorf("%d dead weak tables still noted after a collection", n)
	}
}

// TestWeakStateIsPerVM checks that the state of a VM goes when the VM
// goes, and that two VMs do not share weak tables.
func TestWeakStateIsPerVM(t *testing.T) {
	var out1, out2 strings.Builder
	L1 := debugTestState(t, &out1)
	L2 := debugTestState(t, &out2)
	debugTestRun(t, L1, `w = setmetatable({}, {__mode = "k"}) w[{}] = 1`, "t.lua")
	debugTestRun(t, L2, `w = setmetatable({}, {__mode = "k"}) w[{}] = 1`, "t.lua")
	if ClearWeakTables(L2) != 1 || weakTestCount(t, L1, "w") != 1 {
		t.Fatal("clearing one VM's weak tables touched another's")
	}
}

// TestWeakStateGoesWithTheVM checks that a VM's weak-table state is
// dropped once the VM is unreachable.
func TestWeakStateGoesWithTheVM(t *testing.T) {
	p := func() weak.Pointer[lua.Global] {
		L := lua.NewState(lua.Options{SkipOpenLibs: true})
		defer L.Close()
		Open(L, Options{})
		if _, err := L.LoadString(`setmetatable({}, {__mode = "k"})`); err != nil {
			t.Fatal(err)
		}
		weakStateOf(L)
		return weak.Make(L.G)
	}()
	for i := 0; i < 1000; i++ {
		if i%10 == 0 {
			runtime.GC()
		}
		if _, ok := weakStates.Load(p); !ok {
			return
		}
		runtime.Gosched()
	}
	t.Fatal("the weak-table state of an unreachable VM is still kept")
}
