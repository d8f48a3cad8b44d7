package lua51

import (
	lua "github.com/yuin/gopher-lua"
)

func init() {
	correct("io", func(L *lua.LState, _ Options) {
		if mod, ok := L.GetGlobal("io").(*lua.LTable); ok {
			numbersAsText(L, mod, "write", 0)
		}
		if mt, ok := L.GetTypeMetatable("FILE*").(*lua.LTable); ok {
			numbersAsText(L, mt, "write", 0)
		}
	})
}

// numbersAsText replaces the Go function t[name] with one that turns its
// first n number arguments (every one for n 0) into their text as Lua 5.1
// writes them (%.14g) before calling it: gopher-lua's library functions
// take numbers as strings with Go's formatting. The replacement has the
// original's upvalues, which gopher-lua's io functions read.
func numbersAsText(L *lua.LState, t *lua.LTable, name string, n int) {
	orig, ok := t.RawGetString(name).(*lua.LFunction)
	if !ok || orig.GFunction == nil {
		return
	}
	fn := orig.GFunction
	upvalues := make([]lua.LValue, len(orig.Upvalues))
	for i, uv := range orig.Upvalues {
		upvalues[i] = uv.Value()
	}
	t.RawSetString(name, L.NewClosure(func(L *lua.LState) int {
		last := L.GetTop()
		if n > 0 {
			last = min(n, last)
		}
		for i := 1; i <= last; i++ {
			if n, ok := L.Get(i).(lua.LNumber); ok {
				L.Replace(i, lua.LString(FormatNumber(float64(n))))
			}
		}
		return fn(L)
	}, upvalues...))
}
