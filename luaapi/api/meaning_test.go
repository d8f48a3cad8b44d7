package api

import (
	"math/rand/v2"
	"regexp"
	"slices"
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

// TestSigTokens: the scanner splits a signature as the regexp it
// replaced did, on real signatures and on random ones.
func TestSigTokens(t *testing.T) {
	re := regexp.MustCompile(`\[|\]|[A-Za-z_][A-Za-z0-9_]*(?:\.\.\.)?|\.\.\.`)
	cases := []string{
		"data, [flags,] address", "x1 [, x2, ...]", "formats...", "...", "a.b..c....d", "[[a]]",
		"fd, events, [timeout]", "_x9, Y_..., 3z, ..x", "", "a-b+c", "é, ü...", "[...]",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab_Z09.[], é-"
	for range 5000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		want := re.FindAllString(c, -1)
		if got := slices.Collect(sigTokens(c)); !slices.Equal(got, want) {
			t.Fatalf("sigTokens(%q) = %q, want %q", c, got, want)
		}
	}
	numberedRe := regexp.MustCompile(`^[a-z]+[2-9]$`)
	for _, c := range []string{"x2", "arg9", "x1", "x", "2", "X2", "ab_2", "abc10", "a2b", "zz8"} {
		if got, want := numbered(c), numberedRe.MatchString(c); got != want {
			t.Errorf("numbered(%q) = %v, want %v", c, got, want)
		}
	}
}
