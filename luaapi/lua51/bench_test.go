package lua51

import (
	"bytes"
	"io"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// benchState is a state with gopher-lua's libraries (lua51 false) or
// this package's (true), whose print writes to io.Discard: as sockrun's
// print did before (tostring'ed with L.ToStringMeta into a bytes.Buffer)
// or does now (AppendPrint into a reused buffer).
func benchState(lua51 bool) *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	if lua51 {
		Open(L, Options{})
		var buf []byte
		L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
			buf = AppendPrint(L, buf[:0], 1, L.GetTop())
			buf = append(buf, '\n')
			io.Discard.Write(buf)
			return 0
		}))
		return L
	}
	for _, lib := range standard {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		var b bytes.Buffer
		top := L.GetTop()
		for i := 1; i <= top; i++ {
			if i > 1 {
				b.WriteByte('\t')
			}
			b.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		b.WriteByte('\n')
		io.Discard.Write(b.Bytes())
		return 0
	}))
	return L
}

// benchLoop runs body 1,000 times (i from 1) per b.N, in gopher-lua's
// library and in this package's; ns/op is per 1,000 calls.
func benchLoop(b *testing.B, body string) {
	for _, lib := range []struct {
		name  string
		lua51 bool
	}{{"gopher", false}, {"lua51", true}} {
		b.Run(lib.name, func(b *testing.B) {
			L := benchState(lib.lua51)
			defer L.Close()
			fn, err := L.LoadString("for i = 1, 1000 do " + body + " end")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				L.Push(fn)
				L.Call(0, 0)
			}
		})
	}
}

func BenchmarkTostringInteger(b *testing.B) { benchLoop(b, "local s = tostring(i)") }
func BenchmarkTostringFloat(b *testing.B)   { benchLoop(b, "local s = tostring(i / 7)") }
func BenchmarkPrint(b *testing.B)           { benchLoop(b, `print("reply", i, i / 7, true)`) }
func BenchmarkFormat(b *testing.B) {
	benchLoop(b, `local s = string.format("%d %s %5.2f|%-8s|%x", i, "abc", i / 3, "k", i)`)
}
func BenchmarkFormatString(b *testing.B) {
	benchLoop(b, `local s = string.format("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", "/index.html", "localhost")`)
}
func BenchmarkTableConcat(b *testing.B) { benchLoop(b, `local s = table.concat({i, "a", i / 2}, ",")`) }

// BenchmarkSort sorts 1,000 numbers per b.N, and 1,000 with a Lua
// comparison function.
func BenchmarkSort(b *testing.B) {
	benchLoop(b, `if i == 1 then local t = {} for k = 1, 1000 do t[k] = (k * 7919) % 1000 end table.sort(t) end`)
}
func BenchmarkSortFunc(b *testing.B) {
	benchLoop(b, `if i == 1 then local t = {} for k = 1, 1000 do t[k] = (k * 7919) % 1000 end table.sort(t, function(a, b) return a > b end) end`)
}
