package lua51

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
	lua "github.com/yuin/gopher-lua"
)

// run runs src as the chunk "s.lua" in a state Open made and returns what
// it prints, and its error, if any, after "error: ".
func run(t testing.TB, src string) string {
	t.Helper()
	// As sockrun's states: a registry that grows, for unpack's 8,000.
	L := lua.NewState(lua.Options{SkipOpenLibs: true, RegistryMaxSize: 1 << 20})
	defer L.Close()
	Open(L, Options{})
	var out bytes.Buffer
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		out.Write(AppendPrint(L, nil, 1, L.GetTop()))
		out.WriteByte('\n')
		return 0
	}))
	proto, err := Compile(src, "s.lua")
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	L.Push(L.NewFunctionFromProto(proto))
	if err := L.PCall(0, 0, nil); err != nil {
		fmt.Fprintf(&out, "error: %v", err)
	}
	return out.String()
}

func TestSnippets(t *testing.T) {
	for _, s := range snippets {
		if got := run(t, s.src); got != s.want {
			t.Errorf("%s\n got: %q\nwant: %q", s.src, got, s.want)
		}
	}
}

// lua51 runs src under lua5.1 as the file s.lua and returns its standard
// output; the test is skipped when lua5.1 is not installed.
func lua51(t *testing.T, src string) string {
	t.Helper()
	path := testenv.Tool(t, "lua5.1")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.lua"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "s.lua")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lua5.1 %s: %v", src, err)
	}
	return string(out)
}

// TestSnippetsLua51 checks the table against lua5.1 itself.
func TestSnippetsLua51(t *testing.T) {
	for _, s := range snippets {
		if got := lua51(t, s.src); got != s.want {
			t.Errorf("lua5.1 now prints another thing for %s\n got: %q\nwant: %q", s.src, got, s.want)
		}
	}
}

// compareLines runs src in-process and under lua5.1 and reports the lines
// that differ, the first ten of them.
func compareLines(t *testing.T, src string) {
	want := strings.Split(lua51(t, src), "\n")
	got := strings.Split(run(t, src), "\n")
	progs := strings.Split(src, "\n")
	bad := 0
	for i := range max(len(want), len(got)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			line := ""
			if i < len(progs) {
				line = progs[i]
			}
			t.Errorf("line %d: %s\n got: %q\nwant: %q", i+1, line, g, w)
			if bad++; bad == 10 {
				t.Fatal("too many differences")
			}
		}
	}
}

// formatValues are what the generated string.format calls format.
var formatValues = []string{
	"0", "-0.0", "1", "-1", "3.7", "-3.7", "255", "2^31", "2^53", "2^63", "-2^63", "2^64",
	"1e15", "1e100", "1e-5", "0.1", "1/3", "123456.789", "1/0", "-1/0", "0/0", "-(0/0)",
	"1e300", "2^-1074", "65", "0.5", "1.5", "2.5", "-0.5", "9.999999", "99999.5", "1e-300",
	`"abc"`, `""`, `"a\0b"`, `string.rep("x", 120)`, `"%"`, `"12"`, `" 0x10 "`, `"1e2"`,
}

// TestFormatLua51 compares string.format with lua5.1's on 3,000
// generated directives: flags, widths, precisions and conversions,
// valid and not.
func TestFormatLua51(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var src strings.Builder
	for range 3000 {
		var f strings.Builder
		f.WriteString("[%")
		for range r.Intn(4) {
			f.WriteByte("-+ #0"[r.Intn(5)])
		}
		if r.Intn(2) == 0 {
			fmt.Fprint(&f, r.Intn(30))
		}
		if r.Intn(2) == 0 {
			f.WriteByte('.')
			if r.Intn(4) > 0 {
				fmt.Fprint(&f, r.Intn(25))
			}
		}
		f.WriteByte("diuoxXcfeEgGsqqy%"[r.Intn(17)])
		f.WriteString("]")
		// Each call in a function of its own: Lua 5.1 and gopher-lua
		// both keep one constant for 0 and -0.0 in a function.
		fmt.Fprintf(&src, "do local function f() print(pcall(string.format, %q, %s)) end f() end\n", f.String(), formatValues[r.Intn(len(formatValues))])
	}
	compareLines(t, src.String())
}

// TestToNumberLua51 compares tonumber with lua5.1's on 3,000 generated
// strings, in base 10 and others.
func TestToNumberLua51(t *testing.T) {
	pieces := []string{" ", "\t", "+", "-", "0", "1", "7", "9", ".", "e", "E", "x", "X", "a", "f", "F", "p",
		"inf", "nan", "_", "z", "Z", "(", ")", "\\0", "infinity", "0x", "1e5", "12", "ff"}
	bases := []string{"", ", 10", ", 16", ", 2", ", 8", ", 36", ", 7", ", 16.9"}
	r := rand.New(rand.NewSource(1))
	var src strings.Builder
	for range 3000 {
		var s strings.Builder
		for range 1 + r.Intn(6) {
			s.WriteString(pieces[r.Intn(len(pieces))])
		}
		fmt.Fprintf(&src, "print(pcall(tonumber, \"%s\"%s))\n", s.String(), bases[r.Intn(len(bases))])
	}
	compareLines(t, src.String())
}
