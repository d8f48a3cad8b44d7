package lua51

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
	lua "github.com/yuin/gopher-lua"
)

// A snippet is a Lua program run under sockrun's Lua layer and under
// lua5.1, whose output must be want. It prints with out(...), which writes
// its arguments tab-separated as Lua 5.1's tostring does (numbers as
// "%.14g"), so that the comparison does not rest on gopher-lua's tostring.
// An error the snippet does not catch ends its output with
// "error: <message>".
type snippet struct {
	name string
	src  string
	want string
}

// outPrelude defines out for lua5.1.
const outPrelude = `function explain(msg) return msg end
function out(...)
  local t = {}
  for i = 1, select('#', ...) do
    local v = select(i, ...)
    if type(v) == "number" then v = string.format("%.14g", v) end
    t[i] = tostring(v)
  end
  io.write(table.concat(t, "\t"), "\n")
end`

// snippetTimeout bounds one snippet's run: a wrong compilation may loop.
const snippetTimeout = 10 * time.Second

// newTestState is a Lua state as the runner makes one: the standard
// libraries, corrected, and out writing into buf.
func newTestState(buf *bytes.Buffer, globals map[string]string) *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, RegistryMaxSize: 1 << 20})
	Open(L, Options{Stdin: strings.NewReader("")})
	L.SetGlobal("out", L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				buf.WriteByte('\t')
			}
			switch v := L.Get(i).(type) {
			case lua.LNumber:
				buf.WriteString(FormatNumber(float64(v)))
			case lua.LString:
				buf.WriteString(string(v))
			case *lua.LNilType, lua.LBool:
				buf.WriteString(v.String())
			default:
				buf.WriteString(v.Type().String())
			}
		}
		buf.WriteByte('\n')
		return 0
	}))
	L.SetGlobal("explain", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(Explain(L, L.CheckString(1))))
		return 1
	}))
	for k, v := range globals {
		L.SetGlobal(k, lua.LString(v))
	}
	return L
}

// runHere runs src, named name, in a new state and returns its output.
func runHere(t *testing.T, name, src string, globals map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	L := newTestState(&buf, globals)
	defer L.Close()
	ctx, cancel := context.WithTimeout(context.Background(), snippetTimeout)
	defer cancel()
	L.SetContext(ctx)
	// Every snippet is named alike: forget the sites of the one before.
	forgetSites()
	proto, err := Compile(src, name)
	if err != nil {
		buf.WriteString("error: " + err.Error() + "\n")
		return buf.String()
	}
	L.Push(L.NewFunctionFromProto(proto))
	if err := L.PCall(0, 0, nil); err != nil {
		msg := err.Error()
		if apiErr, ok := err.(*lua.ApiError); ok {
			msg = apiErr.Object.String()
		}
		buf.WriteString("error: " + msg + "\n")
	}
	return buf.String()
}

// haveLua51 skips t unless lua5.1 is on PATH.
func haveLua51(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "lua5.1")
}

// runLua51 runs src as the file name in dir under lua5.1, with out
// defined and each global set, and returns its output as runHere gives
// it.
func runLua51(t *testing.T, lua51, dir, name, src string, globals map[string]string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), snippetTimeout)
	defer cancel()
	args := []string{"-e", outPrelude}
	for k, v := range globals {
		args = append(args, "-e", k+" = "+luaQuote(v))
	}
	cmd := exec.CommandContext(ctx, lua51, append(args, name)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := stdout.String()
	if err != nil {
		// lua5.1: <message>\nstack traceback:...
		msg, _, _ := strings.Cut(stderr.String(), "\nstack traceback:")
		out += "error: " + strings.TrimPrefix(strings.TrimSpace(msg), "lua5.1: ") + "\n"
	}
	return out
}

// luaQuote is s as a Lua string literal.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString("\\n")
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// checkSnippets runs each snippet here and compares with its want; and,
// where lua5.1 is on PATH, checks that lua5.1 gives want too.
func checkSnippets(t *testing.T, snippets []snippet) {
	for _, s := range snippets {
		t.Run(s.name, func(t *testing.T) {
			if got := runHere(t, "snippet.lua", s.src, nil); got != s.want {
				t.Errorf("sockrun gives\n%s\nwant\n%s", got, s.want)
			}
		})
	}
}

// checkSnippetsWithLua51 checks that lua5.1 prints each snippet's want.
func checkSnippetsWithLua51(t *testing.T, snippets []snippet) {
	lua51 := haveLua51(t)
	dir := t.TempDir()
	for _, s := range snippets {
		t.Run(s.name, func(t *testing.T) {
			if got := runLua51(t, lua51, dir, "snippet.lua", s.src, nil); got != s.want {
				t.Errorf("lua5.1 gives\n%s\nwant\n%s", got, s.want)
			}
		})
	}
}

// forgetSites forgets the sites of every chunk compiled.
func forgetSites() {
	chunkSites.Lock()
	defer chunkSites.Unlock()
	chunkSites.byName = map[string][]site{}
	chunkSites.order = nil
}
