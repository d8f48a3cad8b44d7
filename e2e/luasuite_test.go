package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// The proofs that sockrun runs Lua 5.1 (issue #16): gopher-lua's shipped
// copies of test suites, and LuaSocket's test/mimetest.lua, run under the
// sockrun binary unmodified. What each file does today is a table in
// docs/lua.md, which these tests read: a file passes, or its row says how
// it fails and why; a file that fails otherwise than its row says fails
// the test, and so does a listed failure that starts passing, so that
// the table stays true. -luasuite.update rewrites the table's results
// from a run (keeping the reasons) for a person to review.

var luasuiteUpdate = flag.Bool("luasuite.update", false, "rewrite the results in docs/lua.md's table of suite files with this run's (the reasons are kept)")

// suiteDirs are the directories of gopher-lua's module that hold test
// suites, each run file by file as gopher-lua's own script_test.go runs
// them: with the directory as the working directory.
var suiteDirs = []string{"_lua5.1-tests", "_glua-tests"}

// suiteFileTime bounds one file's run: every file that ends ends within
// 10 s here, loaded. A file whose row says it "does not end in N s" (on
// sockrun, verybig.lua runs for minutes) is given N s, so that a file
// known not to end costs only that.
const suiteFileTime = 60 * time.Second

// doesNotEnd is the result of a run its bound ended.
var doesNotEnd = regexp.MustCompile(`^does not end in (\d+) s$`)

// boundOf is the time to give a file whose row says row: suiteFileTime,
// or the N s of "does not end in N s".
func boundOf(row string) time.Duration {
	if m := doesNotEnd.FindStringSubmatch(row); m != nil {
		var n int
		fmt.Sscan(m[1], &n)
		return time.Duration(n) * time.Second
	}
	return suiteFileTime
}

// suiteMaxMemory bounds the memory of one file's run under sockrun, as
// gopher-lua's script_test.go bounds it (SetMx(40), in MB): big.lua
// builds a string of 4 GiB, which Lua 5.1 refuses as too long and
// gopher-lua tries to make.
const suiteMaxMemory = "256MiB"

// lua51MemoryLimit runs lua5.1 ("$0") on its arguments with at most 1
// GiB of address space: on 64 bits, lua5.1 builds big.lua's 4 GiB string
// (in 8 GiB and 25 s here) before the suite's check that it cannot.
const lua51MemoryLimit = `ulimit -v 1048576 && exec "$0" "$@"`

// suiteLuaPath is LUA_PATH as the Lua 5.1 suite's README asks for it.
const suiteLuaPath = "?;./?.lua"

// passes is the result of a file that ran to its end without an error.
const passes = "passes"

// TestLuaSuites runs every .lua file of gopher-lua's _lua5.1-tests/ and
// _glua-tests/ under sockrun (and under lua5.1, the reference) and
// compares each result with its row in docs/lua.md.
func TestLuaSuites(t *testing.T) {
	mod := goModuleDir(t, "github.com/yuin/gopher-lua")
	lua := lua51(t)
	table := readDocTable(t, "luasuite")
	rows := map[string][]string{}
	for _, r := range table.rows {
		rows[r[0]] = r
	}
	type result struct{ sockrun, lua51 string }
	var mu sync.Mutex
	results := map[string]result{}
	t.Run("files", func(t *testing.T) {
		for _, suite := range suiteDirs {
			files, err := filepath.Glob(filepath.Join(mod, suite, "*.lua"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no .lua files in %s (%v)", filepath.Join(mod, suite), err)
			}
			for _, path := range files {
				name := suite + "/" + filepath.Base(path)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					row, ok := rows[name]
					if !ok {
						row = []string{name, "", "", ""}
					}
					dir := copySuite(t, filepath.Join(mod, suite))
					start := time.Now()
					got := runSuiteFile(t, boundOf(row[1]), dir, sockrunBin, "--max-memory", suiteMaxMemory, filepath.Base(path))
					t.Logf("sockrun: %s (%.1f s)", got, time.Since(start).Seconds())
					ref := ""
					if lua != "" {
						ref = runSuiteFile(t, boundOf(row[2]), copySuite(t, filepath.Join(mod, suite)), "sh", "-c", lua51MemoryLimit, lua, filepath.Base(path))
						t.Logf("lua5.1: %s", ref)
					}
					mu.Lock()
					results[name] = result{got, ref}
					mu.Unlock()
					if ok && anyOutcome(row[1], got) {
						got = row[1] // one of the outcomes the row allows
					}
					switch {
					case !ok:
						t.Errorf("%s has no row in docs/lua.md's table of suite files: add it (sockrun: %s; lua5.1: %s)", name, got, ref)
					case row[1] != got && row[1] == passes:
						t.Errorf("%s: docs/lua.md says it passes; it fails: %s", name, got)
					case row[1] != got && got == passes:
						t.Errorf("%s now passes: docs/lua.md lists it as failing (%s); remove the failure from its row (-luasuite.update)", name, row[1])
					case row[1] != got:
						t.Errorf("%s: docs/lua.md says it fails with %q; it fails with %q: update its row and reason (-luasuite.update)", name, row[1], got)
					case got != passes && row[3] == "":
						t.Errorf("%s fails (%s) and its row in docs/lua.md gives no reason", name, got)
					}
					if ok && lua != "" && row[2] != ref {
						t.Errorf("%s under lua5.1: docs/lua.md says %q, this run %q (-luasuite.update)", name, row[2], ref)
					}
				})
			}
		}
	})
	for name := range rows {
		if strings.HasPrefix(name, "_") {
			if _, ok := results[name]; !ok && !t.Failed() {
				t.Errorf("docs/lua.md's table of suite files has a row for %s, which is not in gopher-lua's module", name)
			}
		}
	}
	if *luasuiteUpdate {
		var out [][]string
		for _, r := range table.rows {
			if res, ok := results[r[0]]; ok {
				r = []string{r[0], res.sockrun, res.lua51, r[3]}
			} else if strings.HasPrefix(r[0], "_") {
				continue // a file gopher-lua no longer ships
			}
			out = append(out, r)
		}
		for name, res := range results {
			if _, ok := rows[name]; !ok {
				out = append(out, []string{name, res.sockrun, res.lua51, ""})
			}
		}
		sortSuiteRows(out)
		table.rewrite(t, out)
	}
}

// sortSuiteRows orders rows as the table shows them: gopher-lua's Lua 5.1
// suite, its own suite, then the rest, each by file name.
func sortSuiteRows(rows [][]string) {
	rank := func(name string) int {
		for i, s := range suiteDirs {
			if strings.HasPrefix(name, s+"/") {
				return i
			}
		}
		return len(suiteDirs)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if ri, rj := rank(rows[i][0]), rank(rows[j][0]); ri != rj {
			return ri < rj
		}
		return rows[i][0] < rows[j][0]
	})
}

// runSuiteFile runs prog with args in dir, bounded by bound, with
// LUA_PATH as the suite asks and no LUA_INIT, and returns its result:
// "passes", or its first error line without the program's name, or what
// ended it.
func runSuiteFile(t *testing.T, bound time.Duration, dir, prog string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	cmd.Env = append(luaFreeEnv(), "LUA_PATH="+suiteLuaPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 2 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Sprintf("does not end in %d s", int(bound.Seconds()))
	}
	if err == nil {
		return passes
	}
	return failureLine(err, stderr.String())
}

// errorLine is the line where sockrun and lua5.1 report the error that
// ended a script.
var errorLine = regexp.MustCompile(`(?m)^(?:sockrun|\S*lua5\.1): (.*)$`)

// tmpName is a name os.tmpname gives: sockrun's (digits) and lua5.1's
// (lua_ and six characters).
var tmpName = regexp.MustCompile(`/tmp/(?:lua_[A-Za-z0-9]{6}|[0-9]+)\b`)

// failureLine is the first line of the error that ended a run, without
// the program's name; a stop for memory without the amount, and a
// temporary file's name, which differ from run to run.
func failureLine(err error, stderr string) string {
	m := errorLine.FindStringSubmatch(stderr)
	if m == nil {
		first, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
		return strings.TrimSpace(err.Error() + " " + first)
	}
	msg := tmpName.ReplaceAllString(strings.TrimRight(m[1], " \t"), "/tmp/TMPNAME")
	if strings.HasPrefix(msg, "stopped: the script uses") && strings.Contains(msg, "max_memory") {
		return "stopped at --max-memory " + suiteMaxMemory
	}
	return msg
}

// luaFreeEnv is the environment without the variables lua5.1 and sockrun
// read to set up Lua (LUA_PATH, LUA_CPATH, LUA_INIT and their 5.1 forms),
// nor sockrun's configuration.
func luaFreeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LUA_") || strings.HasPrefix(kv, "SOCKRUN_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// copySuite copies a suite's directory (read-only in the module cache;
// attrib.lua writes into libs/) into a directory of the test's own: the
// files are the same bytes.
func copySuite(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// goModuleDir is the directory of module mod in the module cache, as the
// go command resolves it for this module (go mod download puts it
// there; go test already did).
func goModuleDir(t *testing.T, mod string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mod)
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list -m %s: %v: %s", mod, err, ee.Stderr)
		}
		t.Fatalf("go list -m %s: %v (run go mod download %s)", mod, err, mod)
	}
	return dir
}

// lua51 is the path of lua5.1, the reference; "" where it is not
// installed (a developer's machine: the comparisons with it are
// skipped), a failure under CI, where .ci/run installs it.
func lua51(t *testing.T) string {
	t.Helper()
	return testenv.OptionalTool(t, "lua5.1", "not compared with it")
}

// mimetestRow is the row of LuaSocket's test/mimetest.lua in the table
// of suite files.
const mimetestRow = "luasocket/test/mimetest.lua"

// TestLuaSocketMimeTest runs LuaSocket's test/mimetest.lua, unmodified,
// from LUASOCKET_TEST_DIR (.ci/run extracts it and the testsupport.lua it
// loads from Debian's source package of lua-socket) under lua5.1 with
// Debian's lua-socket (mime.core in C) and under sockrun (mime.core in
// Go, Debian's mime.lua and ltn12.lua over it): the outputs must be the
// same but for the time it took. The file writes its scratch files into
// its working directory: each run has a directory of its own.
func TestLuaSocketMimeTest(t *testing.T) {
	dir := testenv.Getenv(t, "LUASOCKET_TEST_DIR", "the directory of LuaSocket's mimetest.lua and testsupport.lua, which .ci/run extracts")
	testenv.File(t, filepath.Join(dir, "mimetest.lua"), "LuaSocket's test/mimetest.lua")
	testenv.File(t, filepath.Join(dir, "testsupport.lua"), "LuaSocket's test/testsupport.lua")
	testenv.File(t, debianLua+"/mime.lua", "lua-socket")
	lua := testenv.Tool(t, "lua5.1")
	table := readDocTable(t, "luasuite")
	var row []string
	for _, r := range table.rows {
		if r[0] == mimetestRow {
			row = r
		}
	}
	// lua5.1 finds Debian's modules on its default path; sockrun, whose
	// default path is the script's directory, is given the same
	// directories by LUA_PATH, as a user would.
	run := func(env []string, prog string, args ...string) (string, string) {
		work := t.TempDir()
		for _, f := range []string{"mimetest.lua", "testsupport.lua"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(work, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, prog, append(args, "mimetest.lua")...)
		cmd.Dir = work
		cmd.Env = append(luaFreeEnv(), env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if ctx.Err() != nil {
			t.Fatalf("%s mimetest.lua did not end in 60 s; output:\n%s", prog, out)
		}
		text := doneIn.ReplaceAllString(string(out), "done in N s")
		if err != nil {
			return text, failureLine(err, stderr.String())
		}
		return text, passes
	}
	want, ref := run(nil, lua)
	if ref != passes {
		t.Fatalf("lua5.1 mimetest.lua fails: %s\n%s", ref, want)
	}
	got, res := run([]string{"LUA_PATH=" + luaPath() + ";;"}, sockrunBin)
	if res == passes && got != want {
		res = firstDifference(want, got)
	}
	t.Logf("sockrun: %s\noutput:\n%s", res, got)
	if *luasuiteUpdate {
		var rows [][]string
		found := false
		for _, r := range table.rows {
			if r[0] == mimetestRow {
				r, found = []string{r[0], res, passes, r[3]}, true
			}
			rows = append(rows, r)
		}
		if !found {
			rows = append(rows, []string{mimetestRow, res, passes, ""})
		}
		sortSuiteRows(rows)
		table.rewrite(t, rows)
	}
	switch {
	case row == nil:
		t.Errorf("%s has no row in docs/lua.md's table of suite files (sockrun: %s)", mimetestRow, res)
	case row[1] != res && res == passes:
		t.Errorf("mimetest.lua now prints what lua5.1 prints: docs/lua.md lists it as failing (%s); update its row (-luasuite.update)", row[1])
	case row[1] != res:
		t.Errorf("mimetest.lua: docs/lua.md says %q; this run %q\nlua5.1 printed:\n%s\nsockrun printed:\n%s", row[1], res, want, got)
	case res != passes && row[3] == "":
		t.Errorf("mimetest.lua fails (%s) and its row in docs/lua.md gives no reason", res)
	}
}

// doneIn is mimetest.lua's last line, the time it took.
var doneIn = regexp.MustCompile(`done in [0-9.]+s`)

// firstDifference describes the first line where got differs from want.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d is %q, lua5.1's %q", i+1, gl, wl)
		}
	}
	return passes
}

// docTable is a table of docs/lua.md that a test reads: the Markdown
// table after the line "<!-- table: NAME -->".
type docTable struct {
	path       string
	lines      []string // the file's lines
	start, end int      // the table's lines, header included: lines[start:end]
	rows       [][]string
	columns    int
}

// docTableLock serializes rewrites of docs/lua.md by tests of this
// package.
var docTableLock sync.Mutex

// readDocTable reads the table called name from docs/lua.md: its rows
// without the header, each cell without its code span's backticks and
// with "\|" read as "|".
func readDocTable(t testing.TB, name string) *docTable {
	t.Helper()
	docTableLock.Lock()
	defer docTableLock.Unlock()
	d := &docTable{path: filepath.Join(repoRoot, "docs", "lua.md")}
	b, err := os.ReadFile(d.path)
	if err != nil {
		t.Fatal(err)
	}
	d.lines = strings.Split(string(b), "\n")
	marker := "<!-- table: " + name + " -->"
	d.start = -1
	for i, l := range d.lines {
		if strings.TrimSpace(l) == marker {
			d.start = i + 1
		}
	}
	if d.start < 0 {
		t.Fatalf("docs/lua.md has no line %q before a table", marker)
	}
	for d.start < len(d.lines) && strings.TrimSpace(d.lines[d.start]) == "" {
		d.start++
	}
	d.end = d.start
	for d.end < len(d.lines) && strings.HasPrefix(strings.TrimSpace(d.lines[d.end]), "|") {
		d.end++
	}
	if d.end-d.start < 2 {
		t.Fatalf("docs/lua.md: no table after %q", marker)
	}
	d.columns = len(splitRow(d.lines[d.start]))
	for i, l := range d.lines[d.start+2 : d.end] {
		cells := splitRow(l)
		if len(cells) != d.columns {
			t.Fatalf("docs/lua.md:%d: %d cells in a table of %d columns: %s", d.start+3+i, len(cells), d.columns, l)
		}
		d.rows = append(d.rows, cells)
	}
	return d
}

// anyOutcome reports whether got is one of the outcomes a cell allows:
// the cell's text, or one of the code spans of a cell written
// "`A` or `B`", for a file whose result Go's collector decides (gc.lua).
func anyOutcome(cell, got string) bool {
	if cell == got {
		return true
	}
	if !strings.HasPrefix(cell, "`") || !strings.HasSuffix(cell, "`") {
		return false
	}
	for _, alt := range strings.Split(cell[1:len(cell)-1], "` or `") {
		if alt == got {
			return true
		}
	}
	return false
}

// splitRow is the cells of a table row.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, cellText(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(cells, cellText(cur.String()))
}

// cellText is a cell's text: a cell that is one code span is its code.
func cellText(s string) string {
	s = strings.TrimSpace(s)
	for _, tick := range []string{"``", "`"} {
		if len(s) > 2*len(tick) && strings.HasPrefix(s, tick) && strings.HasSuffix(s, tick) &&
			!strings.Contains(s[len(tick):len(s)-len(tick)], tick) {
			return strings.TrimSpace(s[len(tick) : len(s)-len(tick)])
		}
	}
	return s
}

// rewrite replaces the table's rows with rows in docs/lua.md: the first
// three cells as code spans, the rest as they are.
func (d *docTable) rewrite(t *testing.T, rows [][]string) {
	t.Helper()
	docTableLock.Lock()
	defer docTableLock.Unlock()
	// Read again: another test may have rewritten another table.
	b, err := os.ReadFile(d.path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) != len(d.lines) || strings.Join(lines[d.start:d.end], "\n") != strings.Join(d.lines[d.start:d.end], "\n") {
		t.Fatal("docs/lua.md changed while the test ran: run the update again")
	}
	var table []string
	table = append(table, d.lines[d.start], d.lines[d.start+1])
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			c = strings.ReplaceAll(c, "|", `\|`)
			if i < 3 && c != "" {
				c = codeSpan(c)
			}
			cells[i] = c
		}
		table = append(table, "| "+strings.Join(cells, " | ")+" |")
	}
	out := append(append(append([]string{}, lines[:d.start]...), table...), lines[d.end:]...)
	if err := os.WriteFile(d.path, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	d.lines, d.end, d.rows = out, d.start+len(table), rows
	t.Logf("rewrote %d rows of docs/lua.md's table: review the diff, and give each failure a reason", len(rows))
}

// codeSpan is s as a Markdown code span.
func codeSpan(s string) string {
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}

// TestDocTableCells reads cells as rewrite writes them: code spans with
// and without backticks inside, escaped pipes, empty cells.
func TestDocTableCells(t *testing.T) {
	cells := []string{"a|b", "it's `quoted'", "", "plain text"}
	var row []string
	for i, c := range cells {
		c = strings.ReplaceAll(c, "|", `\|`)
		if i < 3 && c != "" {
			c = codeSpan(c)
		}
		row = append(row, c)
	}
	line := "| " + strings.Join(row, " | ") + " |"
	if got := splitRow(line); !slices.Equal(got, cells) {
		t.Fatalf("%s read as %q, want %q", line, got, cells)
	}
}
