package lua51

import (
	"os"
	"runtime/metrics"
	"strconv"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

func init() {
	correct("base", func(L *lua.LState, _ Options) {
		gc := &gcParams{pause: 200, stepmul: 200}
		tostring := L.NewFunction(baseToString)
		L.G.Registry.RawSetString(tostringKey, tostring)
		for name, fn := range map[string]lua.LValue{
			"tostring":       tostring,
			"print":          L.NewFunction(basePrint),
			"error":          L.NewFunction(baseError),
			"select":         L.NewFunction(baseSelect),
			"unpack":         L.NewFunction(baseUnpack),
			"assert":         L.NewFunction(baseAssert),
			"gcinfo":         L.NewFunction(baseGCInfo),
			"collectgarbage": L.NewFunction(gc.collectGarbage),
			"getfenv":        L.NewFunction(baseGetfenv),
			"setfenv":        L.NewFunction(baseSetfenv),
		} {
			L.SetGlobal(name, fn)
		}
	})
}

// tostringKey is where the registry keeps the state's own tostring, which
// print calls directly unless the script replaced the global.
const tostringKey = "lua51.tostring"

// ToString is tostring(v) as Lua 5.1's: the result of v's __tostring
// metamethod if it has one (whatever that returns), else v as text with
// numbers written as C's %.14g.
func ToString(L *lua.LState, v lua.LValue) lua.LValue {
	switch v := v.(type) {
	case lua.LString:
		return v
	case lua.LNumber:
		return lua.LString(FormatNumber(float64(v)))
	case *lua.LNilType, lua.LBool:
		return lua.LString(v.String())
	}
	if mm := L.GetMetaField(v, "__tostring"); mm != lua.LNil {
		L.Push(mm)
		L.Push(v)
		L.Call(1, 1)
		r := L.Get(-1)
		L.Pop(1)
		return r
	}
	return lua.LString(v.String())
}

// baseToString is tostring(v).
func baseToString(L *lua.LState) int {
	L.Push(ToString(L, checkAny(L, 1)))
	return 1
}

// AppendPrint appends arguments from to to (stack indices) of the running
// function as Lua 5.1's print writes them, separated by tabs: each through
// the global tostring (the built-in one directly), whose result must be a
// string or a number.
func AppendPrint(L *lua.LState, b []byte, from, to int) []byte {
	ts := L.GetGlobal("tostring")
	own := ts == L.G.Registry.RawGetString(tostringKey)
	for i := from; i <= to; i++ {
		if i > from {
			b = append(b, '\t')
		}
		v := L.Get(i)
		if own {
			switch v := v.(type) {
			case lua.LString:
				b = append(b, v...)
				continue
			case lua.LNumber:
				b = AppendNumber(b, float64(v))
				continue
			}
		}
		var r lua.LValue
		if own {
			r = ToString(L, v)
		} else {
			L.Push(ts)
			L.Push(v)
			L.Call(1, 1)
			r = L.Get(-1)
			L.Pop(1)
		}
		switch r := r.(type) {
		case lua.LString:
			b = append(b, r...)
		case lua.LNumber:
			b = AppendNumber(b, float64(r))
		default:
			raise(L, "'tostring' must return a string to 'print'")
		}
	}
	return b
}

// printMu keeps the lines that states print to the process's standard
// output whole.
var printMu sync.Mutex

// basePrint is print(...) for a host that keeps gopher-lua's standard
// output: the arguments as AppendPrint writes them and a newline, in one
// write to os.Stdout. sockrun replaces it with its own.
func basePrint(L *lua.LState) int {
	b := AppendPrint(L, nil, 1, L.GetTop())
	b = append(b, '\n')
	printMu.Lock()
	defer printMu.Unlock()
	os.Stdout.Write(b)
	return 0
}

// baseError is error(message [, level]): raises message; a string or a
// number gets the position of the function level levels up (1, the
// default, is the function that called error; 0 none). error() raises
// nil.
func baseError(L *lua.LState) int {
	level := optInt(L, 2, 1)
	v := L.Get(1)
	switch v.(type) {
	case lua.LString, lua.LNumber:
		if level > 0 {
			// The position and the message joined: a number becomes
			// text, even where there is no position to add.
			L.Error(lua.LString(Where(L, level)+string(checkString(L, 1))), 0)
		}
	}
	L.Error(v, 0)
	return 0
}

// baseSelect is select(n, ...): the arguments after the nth (a negative n
// counts from the end), or with "#" their count.
func baseSelect(L *lua.LState) int {
	n := L.GetTop()
	if s, ok := L.Get(1).(lua.LString); ok && len(s) > 0 && s[0] == '#' {
		L.Push(lua.LNumber(n - 1))
		return 1
	}
	i := checkInt(L, 1)
	if i < 0 {
		i = n + i
	} else if i > n {
		i = n
	}
	if i < 1 {
		argError(L, 1, "index out of range")
	}
	return n - i
}

// baseUnpack is unpack(t [, i [, j]]): t[i] to t[j], by default 1 and #t.
func baseUnpack(L *lua.LState) int {
	t := checkTable(L, 1)
	i := optInt(L, 2, 1)
	var e int
	if L.Get(3) == lua.LNil {
		e = t.Len()
	} else {
		e = checkInt(L, 3)
	}
	if i > e {
		return 0
	}
	n := int64(e) - int64(i) + 1
	if n >= maxResults || int(n)+L.GetTop() > maxResults {
		raise(L, "too many results to unpack")
	}
	for k := i; k <= e; k++ {
		L.Push(t.RawGetInt(k))
	}
	return int(n)
}

// baseAssert is assert(v [, message]): raises message (default "assertion
// failed!") if v is false or nil, else returns all its arguments.
func baseAssert(L *lua.LState) int {
	checkAny(L, 1)
	if !lua.LVAsBool(L.Get(1)) {
		raise(L, optString(L, 2, "assertion failed!"))
	}
	return L.GetTop()
}

// heapBytes is the bytes of the Go heap's live and not yet swept objects:
// what the Lua states allocated, as collectgarbage("count") reports it.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// baseGCInfo is gcinfo(): the KiB in use, an integer.
func baseGCInfo(L *lua.LState) int {
	L.Push(lua.LNumber(heapBytes() >> 10))
	return 1
}

// gcParams are the values collectgarbage("setpause") and ("setstepmul")
// set and return: Lua 5.1's, which tune its own collector; Go's collector
// runs by its own rules.
type gcParams struct {
	pause, stepmul int
	// steps counts the basic steps (collectgarbage("step", 0)) since the
	// last full collection.
	steps int
}

// basicSteps is how many basic steps make a collection cycle.
const basicSteps = 16

// collectGarbage is collectgarbage([opt [, arg]]) as Lua 5.1's: "collect"
// (the default) runs a full collection and returns 0; "count" the KiB in
// use, with a fraction; "step" with arg above 0 runs a full collection
// and returns true (a finished cycle); with 0 it is a basic step, of which
// every 16th runs a full collection and returns true, the others false (a
// script looping "until collectgarbage('step', 0)", as Lua 5.1's gc.lua
// does, ends); "setpause" and "setstepmul" set the value and return the last
// one; "stop" and "restart" return 0 (Go's collector cannot be stopped).
func (gc *gcParams) collectGarbage(L *lua.LState) int {
	opt := optString(L, 1, "collect")
	arg := optInt(L, 2, 0)
	switch opt {
	case "collect":
		ClearWeakTables(L)
		L.Push(lua.LNumber(0))
	case "count":
		L.Push(lua.LNumber(float64(heapBytes()) / 1024))
	case "step":
		gc.steps++
		done := arg > 0 || gc.steps >= basicSteps
		if done {
			gc.steps = 0
			ClearWeakTables(L)
		}
		L.Push(lua.LBool(done))
	case "setpause":
		L.Push(lua.LNumber(gc.pause))
		gc.pause = arg
	case "setstepmul":
		L.Push(lua.LNumber(gc.stepmul))
		gc.stepmul = arg
	case "stop", "restart":
		L.Push(lua.LNumber(0))
	default:
		argError(L, 1, "invalid option '"+opt+"'")
	}
	return 1
}

// scriptThread is the thread L runs in as the script sees it: L, or, when
// L is the coroutine of a protected call, the thread that called pcall.
func scriptThread(L *lua.LState) *lua.LState {
	for {
		pc, ok := protectedCallOf(L)
		if !ok {
			return L
		}
		L = pc.caller
	}
}

// envFunction is Lua 5.1's getfunc: the function argument 1 names, itself
// or the one running at that level as the debug library counts levels
// (through pcall, as in Lua 5.1); nil for a Go function's level (a C
// function's in Lua 5.1). opt says the level may be omitted (1).
func envFunction(L *lua.LState, opt bool) (fn *lua.LFunction, level int) {
	if f, ok := L.Get(1).(*lua.LFunction); ok {
		return f, -1
	}
	if opt {
		level = optInt(L, 1, 1)
	} else {
		level = checkInt(L, 1)
	}
	if level < 0 {
		argError(L, 1, "level must be non-negative")
	}
	fn, tail, ok := FunctionAt(L, level)
	if !ok {
		argError(L, 1, "invalid level")
	}
	if tail {
		raise(L, "no function environment for tail call at level "+strconv.Itoa(level))
	}
	return fn, level
}

// baseGetfenv is getfenv([f]): the environment of the function f, or of
// the function running at level f (default 1); a Go function's is the
// running thread's globals, as a C function's in Lua 5.1.
func baseGetfenv(L *lua.LState) int {
	fn, _ := envFunction(L, true)
	if fn == nil || fn.IsG {
		L.Push(scriptThread(L).Env)
	} else {
		L.Push(fn.Env)
	}
	return 1
}

// baseSetfenv is setfenv(f, table): sets the environment of the function
// f, or of the function running at level f, and returns that function;
// level 0 sets the running thread's globals and returns nothing.
func baseSetfenv(L *lua.LState) int {
	env := checkTable(L, 2)
	fn, level := envFunction(L, false)
	if level == 0 {
		scriptThread(L).Env = env
		return 0
	}
	if fn == nil || fn.IsG {
		raise(L, "'setfenv' cannot change environment of given object")
	}
	fn.Env = env
	L.Push(fn)
	return 1
}
