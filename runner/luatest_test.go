package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	lua "github.com/yuin/gopher-lua"
)

// luaTestTimeout bounds each Lua test function; when it passes, the run's
// context ends and every blocking call in the test is interrupted.
const luaTestTimeout = 30 * time.Second

// TestLua runs the Lua-side tests: every global function named Test* in
// ../luaapi/testdata/*_test.lua runs as a subtest, in a VM of its own, with
// a test object t (t:log, t:error, t:fatal, t:skip, t:eq, t:tempdir, t:name,
// t:stdin, t:stdout).
func TestLua(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "luaapi", "testdata", "*_test.lua"))
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

// luaTestNames lists the Test* globals a test file defines, in order.
func luaTestNames(t *testing.T, file string) []string {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, "function Test"); ok {
			name := "Test" + rest[:strings.IndexByte(rest, '(')]
			names = append(names, name)
		}
	}
	return names
}

// luaT is the Go side of the t object a Lua test function receives.
type luaT struct {
	t      *testing.T
	mu     sync.Mutex
	failed bool
	skip   string

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
			lt.mu.Lock()
			lt.failed = true
			lt.mu.Unlock()
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

// runLuaTest runs one Test* function of file in a fresh VM.
func runLuaTest(t *testing.T, file, name string) {
	var stdout, stderr bytes.Buffer
	stdin := &testStdin{r: strings.NewReader("")}
	out := syncWriter(&stdout)
	env := &Env{Stdin: stdin, Stdout: out, Stderr: syncWriter(&stderr), Dir: "."}
	ctx, cancel := context.WithTimeout(context.Background(), luaTestTimeout)
	defer cancel()
	cfg := luaapi.Config{Vars: map[string]string{}, Args: []string{file}, Version: Version}
	v := newVM(ctx, env, cfg, file)
	defer v.close()
	lt := &luaT{t: t, stdin: stdin, stdout: out}
	tObj := v.L.NewTable()
	tMeta := v.L.NewTable()
	tMeta.RawSetString("__index", lt.methods(v.L))
	v.L.SetMetatable(tObj, tMeta)

	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	chunk, err := v.L.Load(bytes.NewReader(src), file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	body := v.L.NewFunction(func(L *lua.LState) int {
		L.Push(chunk)
		L.Call(0, 0)
		fn, ok := L.GetGlobal(name).(*lua.LFunction)
		if !ok {
			L.RaiseError("%s is not a function", name)
		}
		L.Push(fn)
		L.Push(tObj)
		L.Call(1, 0)
		return 0
	})
	done := make(chan error, 1)
	v.runChunk(body, done)
	err = <-done
	if err == nil && !v.waitThreads(time.Second, nil) {
		err = fmt.Errorf("threads still running when the test ended")
	}
	if s := out.String(); s != "" {
		t.Logf("stdout:\n%s", s)
	}
	if lt.skip != "" {
		t.Skip(lt.skip)
	}
	if err != nil {
		msg, trace := describeError(err)
		if ctx.Err() != nil {
			msg = "timed out after " + luaTestTimeout.String() + ": " + msg
		}
		t.Fatalf("%s\n%s", msg, trace)
	}
	if stderr.Len() > 0 {
		t.Logf("stderr:\n%s", stderr.String())
	}
}

// syncWriter makes a buffer safe for the threads of a test to write.
func syncWriter(b *bytes.Buffer) *lockedWriter { return &lockedWriter{b: b} }

type lockedWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
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
