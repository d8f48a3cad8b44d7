package api

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestMoved: what a receive took off the wire, from the data it returned
// and the bytes the core counted: a line reader's line with the end of
// line it dropped, LuaSocket's prefix left out, a read of nothing.
func TestMoved(t *testing.T) {
	line := Func{Name: "recvline"}.Receives(Result(1).WithoutLineEnd())
	raw := Func{Name: "recv"}.Receives(Result(1))
	for _, c := range []struct {
		f        Func
		result   lua.LValue
		received int
		want     string
		ok       bool
	}{
		{line, lua.LString("hello, anyone here?"), 20, "hello, anyone here?\n", true},
		{line, lua.LString("second"), 8, "second\r\n", true},
		{line, lua.LString("a\rb"), 5, "a\rb\r\n", true}, // LuaSocket drops every \r: shown before the \n
		{line, lua.LString("last"), 4, "last", true},     // a last line with no end of line
		{line, lua.LNil, 0, "", false},                   // the end of the stream
		{raw, lua.LString("prefix+data"), 4, "data", true},
		{raw, lua.LString(""), 0, "", true},
	} {
		ev := &CallEvent{Func: &c.f, Results: []lua.LValue{c.result}, Received: c.received}
		got, ok := ev.Moved()
		if got != c.want || ok != c.ok {
			t.Errorf("%s -> %v having moved %d: Moved() = %q, %v; want %q, %v", c.f.Name, c.result, c.received, got, ok, c.want, c.ok)
		}
	}
}
