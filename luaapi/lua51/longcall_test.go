package lua51

import (
	"errors"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// fakeHost is a Host that counts what the built-ins ask of it, refuses
// strings larger than max, and fails the test if the lock is released
// twice or taken twice.
type fakeHost struct {
	t           *testing.T
	max         int64
	unlocked    bool
	checkpoints int
	unlocks     int
	reserved    []int64
}

func (h *fakeHost) Checkpoint(L *lua.LState) {
	if h.unlocked {
		h.t.Error("Checkpoint without the lock")
	}
	h.checkpoints++
}

func (h *fakeHost) Unlock(L *lua.LState) {
	if h.unlocked {
		h.t.Error("Unlock without the lock")
	}
	h.unlocked = true
	h.unlocks++
}

func (h *fakeHost) Lock(L *lua.LState) {
	if !h.unlocked {
		h.t.Error("Lock with the lock held")
	}
	h.unlocked = false
}

func (h *fakeHost) Reserve(L *lua.LState, n int64) error {
	if h.unlocked {
		h.t.Error("Reserve without the lock")
	}
	h.reserved = append(h.reserved, n)
	if n > h.max {
		return errors.New("not enough memory for that")
	}
	return nil
}

// runWithHost runs src in a state whose host is h and returns what it
// prints with out (numbers as %.14g), or its error.
func runWithHost(t *testing.T, h *fakeHost, src string) string {
	t.Helper()
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	Open(L, Options{Stdin: strings.NewReader(""), Host: h})
	var out strings.Builder
	L.SetGlobal("out", L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				out.WriteByte('\t')
			}
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		out.WriteByte('\n')
		return 0
	}))
	forgetSites()
	proto, err := Compile(src, "test")
	if err != nil {
		t.Fatal(err)
	}
	L.Push(L.NewFunctionFromProto(proto))
	if err := L.PCall(0, 0, nil); err != nil {
		return "error: " + err.Error()
	}
	if h.unlocked {
		t.Error("the lock was not taken back")
	}
	return out.String()
}

// TestBigStringsAskTheHost: ".." and table.concat ask the host before
// making a string of BigString bytes or more, raise its error if it
// refuses (an error pcall catches), and copy without the lock; smaller
// strings are made without asking.
func TestBigStringsAskTheHost(t *testing.T) {
	h := &fakeHost{t: t, max: 8 << 20}
	got := runWithHost(t, h, `
local s = ("x"):rep(2^20)
local small = "a" .. tostring(1)
local t = s .. s .. 1
out(#t)
out(#table.concat({s, s, s}, ","))
out(pcall(function() return s .. s .. s .. s .. s .. s .. s .. s .. s end))
local big = {}
for i = 1, 9 do big[i] = s end
out(pcall(table.concat, big))`)
	want := "2097153\n3145730\nfalse\ttest:7: not enough memory for that\nfalse\tnot enough memory for that\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// The sizes asked: numbers count 24 bytes at most.
	wantReserved := []int64{2<<20 + 24, 3<<20 + 2, 9 << 20, 9 << 20}
	if len(h.reserved) != len(wantReserved) {
		t.Fatalf("reserved %v, want %v", h.reserved, wantReserved)
	}
	for i, n := range wantReserved {
		if h.reserved[i] != n {
			t.Errorf("reserve %d: %d, want %d", i, h.reserved[i], n)
		}
	}
	// One copy for "..", one per big element for table.concat.
	if h.unlocks != 4 {
		t.Errorf("%d copies without the lock, want 4", h.unlocks)
	}
}

// TestLongCallsCheckpoint: table.sort lets the host hand the lock over
// before every call of its comparator or of a __lt metamethod, and every
// sortCheckpoint comparisons of numbers; table.concat every
// concatCheckpoint elements. The results are as without a host.
func TestLongCallsCheckpoint(t *testing.T) {
	for _, c := range []struct {
		name, src, want string
		checkpoints     func(out string) int
	}{
		{"sort with a comparator", `
local calls, t = 0, {}
for i = 1, 100 do t[i] = (i * 37) % 101 end
table.sort(t, function(a, b) calls = calls + 1; return a > b end)
out(t[1], t[100], calls)`, "", nil},
		{"sort with __lt", `
local calls, t = 0, {}
local mt = {__lt = function(a, b) calls = calls + 1; return a.v < b.v end}
for i = 1, 100 do t[i] = setmetatable({v = (i * 37) % 101}, mt) end
table.sort(t)
out(t[1].v, t[100].v, calls)`, "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &fakeHost{t: t, max: 1 << 30}
			got := runWithHost(t, h, c.src)
			f := strings.Fields(got)
			if len(f) != 3 || (f[0] != "100" && f[0] != "1") {
				t.Fatalf("got %q", got)
			}
			if calls := f[2]; calls == "0" || h.checkpoints < atoi(calls) {
				t.Errorf("%d checkpoints for %s calls into Lua", h.checkpoints, calls)
			}
		})
	}

	h := &fakeHost{t: t, max: 1 << 30}
	got := runWithHost(t, h, `
local t = {}
for i = 1, 20000 do t[i] = (i * 7919) % 20011 end
table.sort(t)
local ok = true
for i = 2, #t do ok = ok and t[i - 1] <= t[i] end
out(ok, #table.concat(t, ","))`)
	if !strings.HasPrefix(got, "true\t") {
		t.Errorf("sorted numbers: %q", got)
	}
	// 20,000 numbers take a few hundred thousand comparisons; the concat
	// two checkpoints more.
	if h.checkpoints < 10 {
		t.Errorf("%d checkpoints sorting and joining 20,000 numbers", h.checkpoints)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
