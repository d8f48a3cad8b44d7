package repr

import (
	"math"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestPrinter prints values with the prompt's bounds and with the
// trace's, from a table built in Lua.
func TestPrinter(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(`
		plain = {1, 2, x = "y", [2.5] = true, ["not a name"] = 1.5, ["end"] = 0}
		nested = {{{{{1}}}}}
		cyclic = {}; cyclic.self = cyclic
		big = {}; for i = 1, 20 do big[i] = i end
	`); err != nil {
		t.Fatal(err)
	}
	deep := &Printer{Depth: 4, Items: 100}
	shallow := &Printer{Depth: 1, Items: 8, String: func(s string) string { return "<" + s + ">" }}
	for _, c := range []struct {
		p    *Printer
		v    lua.LValue
		want string
	}{
		{deep, L.GetGlobal("plain"), `{1, 2, [2.5] = true, ["end"] = 0, ["not a name"] = 1.5, x = "y"}`},
		{deep, L.GetGlobal("nested"), `{{{{{...}}}}}`},
		{deep, L.GetGlobal("cyclic"), `{self = <cycle>}`},
		{deep, lua.LString("a\"b\\\n\x00\xffé"), `"a\"b\\\n\000\255é"`},
		{deep, lua.LNumber(1e15), `1e+15`},
		{deep, lua.LNumber(math.Inf(1)), `inf`},
		{shallow, L.GetGlobal("nested"), `{{...}}`},
		{shallow, L.GetGlobal("big"), `{1, 2, 3, 4, 5, 6, 7, 8, ...}`},
		{shallow, L.GetGlobal("plain"), `{1, 2, [2.5] = true, [<end>] = 0, [<not a name>] = 1.5, x = <y>}`},
	} {
		if got := c.p.Value(c.v); got != c.want {
			t.Errorf("Value(%s) = %s, want %s", c.v, got, c.want)
		}
	}
	special := &Printer{Depth: 2, Items: 10, Special: func(v lua.LValue) (string, bool) {
		if n, ok := v.(lua.LNumber); ok && n == 2 {
			return "two", true
		}
		return "", false
	}}
	if got := special.Value(L.GetGlobal("plain")); got != `{1, two, [2.5] = true, ["end"] = 0, ["not a name"] = 1.5, x = "y"}` {
		t.Errorf("with Special: %s", got)
	}
}
