package luaapi_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/luaapi/testcerts"
	"github.com/sockrun/sockrun/runner"
	lua "github.com/yuin/gopher-lua"
)

// luaTestTimeout bounds each Lua test function; when it passes, the run's
// context ends and every blocking call in the test is interrupted.
const luaTestTimeout = 30 * time.Second

// TestLua runs the Lua-side tests: every global function named Test* that
// loading testdata/*_test.lua defines runs as a subtest, in order of
// definition, each in a VM of its own (sockrun's, with its interpreter lock
// and threads), with a test object t (t:log, t:error, t:fatal, t:skip,
// t:eq, t:tempdir, t:certs, t:name, t:stdin, t:stdout). A file that defines none
// fails.
func TestLua(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*_test.lua"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Lua test files found: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), "_test.lua"), func(t *testing.T) {
			names := luaTestNames(t, file)
			if len(names) == 0 {
				t.Fatalf("%s defines no Test* function", file)
			}
			for _, name := range names {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					runLuaTest(t, file, name)
				})
			}
		})
	}
}

// TestLuaTestNames checks how the harness finds a file's tests: the
// global functions named Test* the chunk defines, however it defines
// them, in the order of their definition; not local functions, other
// values named Test*, or the text of comments and strings.
func TestLuaTestNames(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "names_test.lua")
	src := `-- function TestInComment(t) end
local s = "function TestInString(t) end"
function TestZebra(t) end
local function TestLocal(t) end
TestAssigned = function(t) end
TestNumber = 42
function Testament(t) end
function helper() end
local defs = {}
function defs.TestField(t) end
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := luaTestNames(t, file)
	want := []string{"TestZebra", "TestAssigned", "Testament"}
	if !slices.Equal(got, want) {
		t.Errorf("luaTestNames = %q, want %q", got, want)
	}
}

// newLuaVM is a VM as the harness runs a test file in, and its standard
// output and error; the VM's context ends after luaTestTimeout. shared is
// the shared module's store; nil gives the VM an in-process one.
func newLuaVM(t *testing.T, file string, stdin *testStdin, shared luaapi.SharedStore) (*runner.Embedded, context.Context, *lockedWriter, *lockedWriter) {
	ctx, cancel := context.WithTimeout(context.Background(), luaTestTimeout)
	stdout, stderr := &lockedWriter{}, &lockedWriter{}
	env := &runner.Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Dir: "."}
	cfg := luaapi.Config{Vars: map[string]string{}, Args: []string{file}, Version: runner.Version, Shared: shared}
	if configure := luaTestConfigs[filepath.Base(file)]; configure != nil {
		configure(t, &cfg)
	}
	vm := runner.Embed(ctx, env, cfg, file)
	t.Cleanup(func() {
		vm.Close()
		cancel()
	})
	return vm, ctx, stdout, stderr
}

// loadChunk loads file into L and runs it, as the main chunk of a script.
func loadChunk(L *lua.LState, file string) {
	chunk, err := L.LoadFile(file)
	if err != nil {
		L.RaiseError("%v", err)
	}
	L.Push(chunk)
	L.Call(0, 0)
}

// luaTestNames loads file in a VM of its own and lists the global
// functions named Test* it defines, by their line of definition.
func luaTestNames(t *testing.T, file string) []string {
	vm, _, _, _ := newLuaVM(t, file, &testStdin{r: strings.NewReader("")}, nil)
	type test struct {
		name string
		line int
	}
	var tests []test
	err := vm.Run(func(L *lua.LState) {
		loadChunk(L, file)
		L.G.Global.ForEach(func(k, v lua.LValue) {
			name, ok := k.(lua.LString)
			fn, isFn := v.(*lua.LFunction)
			if ok && isFn && strings.HasPrefix(string(name), "Test") && fn.Proto != nil {
				tests = append(tests, test{string(name), fn.Proto.LineDefined})
			}
		})
	})
	if err != nil {
		msg, trace := runner.DescribeError(err)
		t.Fatalf("loading %s: %s\n%s", file, msg, trace)
	}
	slices.SortFunc(tests, func(a, b test) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return strings.Compare(a.name, b.name)
	})
	names := make([]string, len(tests))
	for i, x := range tests {
		names[i] = x.name
	}
	return names
}

// luaT is the Go side of the t object a Lua test function receives.
type luaT struct {
	t    *testing.T
	mu   sync.Mutex
	skip string

	stdin  *testStdin
	stdout *lockedWriter
}

func (lt *luaT) methods(L *lua.LState) *lua.LTable {
	message := func(L *lua.LState, from int) string {
		var parts []string
		for i := from; i <= L.GetTop(); i++ {
			parts = append(parts, L.ToStringMeta(L.Get(i)).String())
		}
		return strings.Join(parts, " ")
	}
	return L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"log": func(L *lua.LState) int {
			lt.t.Logf("%s: %s", L.Where(1), message(L, 2))
			return 0
		},
		"error": func(L *lua.LState) int {
			lt.t.Errorf("%s %s", L.Where(1), message(L, 2))
			return 0
		},
		"fatal": func(L *lua.LState) int {
			L.RaiseError("%s", message(L, 2))
			return 0
		},
		"skip": func(L *lua.LState) int {
			lt.mu.Lock()
			lt.skip = message(L, 2)
			lt.mu.Unlock()
			L.RaiseError("skipped")
			return 0
		},
		"eq": func(L *lua.LState) int {
			got, want := L.Get(2), L.Get(3)
			if !L.Equal(got, want) {
				what := L.OptString(4, "value")
				L.RaiseError("%s: got %s, want %s", what, luaRepr(L, got), luaRepr(L, want))
			}
			return 0
		},
		"tempdir": func(L *lua.LState) int {
			// Unix socket paths are limited to 108 bytes: keep it short.
			dir, err := os.MkdirTemp("", "sr")
			if err != nil {
				L.RaiseError("tempdir: %v", err)
			}
			lt.t.Cleanup(func() { os.RemoveAll(dir) })
			L.Push(lua.LString(dir))
			return 1
		},
		// t:certs() makes the TLS tests' certificates in a temporary
		// directory and returns their paths by name (see testcerts.Make).
		"certs": func(L *lua.LState) int {
			dir, err := os.MkdirTemp("", "srcerts")
			if err != nil {
				L.RaiseError("certs: %v", err)
			}
			lt.t.Cleanup(func() { os.RemoveAll(dir) })
			certs, err := testcerts.Make(dir)
			if err != nil {
				L.RaiseError("certs: %v", err)
			}
			paths := L.NewTable()
			for name, path := range certs {
				paths.RawSetString(name, lua.LString(path))
			}
			L.Push(paths)
			return 1
		},
		"name": func(L *lua.LState) int {
			L.Push(lua.LString(lt.t.Name()))
			return 1
		},
		// t:stdin(text) makes text the test's standard input (empty
		// otherwise); call it before the first read.
		"stdin": func(L *lua.LState) int {
			lt.stdin.set(L.CheckString(2))
			return 0
		},
		// t:stdout() is what the test has written to standard output.
		"stdout": func(L *lua.LState) int {
			L.Push(lua.LString(lt.stdout.String()))
			return 1
		},
	})
}

func luaRepr(L *lua.LState, v lua.LValue) string {
	if s, ok := v.(lua.LString); ok {
		return fmt.Sprintf("%q", string(s))
	}
	return L.ToStringMeta(v).String()
}

// runLuaTest runs the Test* function name of file in a fresh VM: it loads
// the file, then calls the function with a t object.
func runLuaTest(t *testing.T, file, name string) { runLuaTestWith(t, file, name, nil) }

// runLuaTestWith is runLuaTest with shared as the shared module's store.
func runLuaTestWith(t *testing.T, file, name string, shared luaapi.SharedStore) {
	stdin := &testStdin{r: strings.NewReader("")}
	vm, ctx, stdout, stderr := newLuaVM(t, file, stdin, shared)
	lt := &luaT{t: t, stdin: stdin, stdout: stdout}
	err := vm.Run(func(L *lua.LState) {
		tObj := L.NewTable()
		tMeta := L.NewTable()
		tMeta.RawSetString("__index", lt.methods(L))
		L.SetMetatable(tObj, tMeta)
		loadChunk(L, file)
		fn, ok := L.GetGlobal(name).(*lua.LFunction)
		if !ok {
			L.RaiseError("%s is not a function", name)
		}
		L.Push(fn)
		L.Push(tObj)
		L.Call(1, 0)
	})
	if s := stdout.String(); s != "" {
		t.Logf("stdout:\n%s", s)
	}
	lt.mu.Lock()
	skip := lt.skip
	lt.mu.Unlock()
	if skip != "" {
		t.Skip(skip) // a t:skip is the machine's network stack, never a missing tool
	}
	if err != nil {
		msg, trace := runner.DescribeError(err)
		if ctx.Err() != nil {
			msg = "timed out after " + luaTestTimeout.String() + ": " + msg
		}
		t.Fatalf("%s\n%s", msg, trace)
	}
	if s := stderr.String(); s != "" {
		t.Logf("stderr:\n%s", s)
	}
}

// lockedWriter is a buffer the threads of a test may write at once.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// testStdin is a test's standard input, which t:stdin sets.
type testStdin struct {
	mu sync.Mutex
	r  *strings.Reader
}

func (s *testStdin) set(text string) {
	s.mu.Lock()
	s.r = strings.NewReader(text)
	s.mu.Unlock()
}

func (s *testStdin) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Read(p)
}
