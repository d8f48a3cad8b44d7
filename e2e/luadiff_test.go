package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sockrun/sockrun/e2e/luagen"
	"github.com/sockrun/sockrun/internal/testenv"
)

// The differential test (issue #16): programs from luagen, run under
// lua5.1 and under the sockrun binary, must print the same, snippet by
// snippet. A difference whose category docs/lua.md's table of known
// differences lists is counted and tolerated; any other fails the test
// with the snippet, both outputs and the seed that makes it again. The
// table is for the transition while the Lua layer is corrected: a listed
// category that no longer differs fails the test too, so that the table
// is pruned as the corrections land.

var (
	luadiffPrograms = flag.Int("luadiff.programs", luadiffDefaultPrograms, "how many generated programs TestLuaDiff runs")
	luadiffSeed     = flag.Uint64("luadiff.seed", luadiffDefaultSeed, "the seed of TestLuaDiff's first program (program i has seed+i)")
	luadiffShow     = flag.String("luadiff.show", "", "categories (comma-separated, or all) whose first differences TestLuaDiff prints, known or not")
	luadiffShowMax  = flag.Int("luadiff.showmax", 3, "how many differences of each category -luadiff.show prints")
)

const (
	luadiffDefaultPrograms = 3000
	luadiffDefaultSeed     = 1
	// luadiffSnippets is the number of snippets in one program.
	luadiffSnippets = 10
	// luadiffBatch is the number of programs one process runs.
	luadiffBatch = 100
	// luadiffProcTime bounds one process; a batch runs in well under a
	// second here.
	luadiffProcTime = 60 * time.Second
	// luadiffStall is how long sockrun may print nothing before the
	// snippet it is in counts as one that does not end: a snippet runs
	// in milliseconds, and some that gopher-lua compiles wrongly loop
	// forever where no guard sees it. It ends the process at once
	// rather than at luadiffProcTime, as such snippets are many today.
	luadiffStall = 500 * time.Millisecond
	// luadiffMaxOutput bounds what one process may print.
	luadiffMaxOutput = 64 << 20
)

// The categories of differences that are not a snippet's own.
const (
	// catGoPanic: sockrun printed a Go panic's text where lua5.1 did
	// not (inside pcall, gopher-lua turns a Go panic into an error
	// value).
	catGoPanic = "go-panic"
	// catCrash: sockrun ended in the middle of the snippet.
	catCrash = "crash"
	// catHang: the snippet did not end: sockrun printed nothing for
	// luadiffStall (and, where docs/lua.md does not list hangs, the
	// snippet alone did not end within luadiffProcTime either).
	catHang = "hang"
)

// goPanicText is what a Go panic or runtime failure prints.
var goPanicText = regexp.MustCompile(`runtime error: |goroutine \d+ \[|panic: |fatal error: `)

// snippetRun is one snippet of a batch: its program's seed and its
// place in the program.
type snippetRun struct {
	seed  uint64
	index int
	snip  luagen.Snippet
}

// mismatch is a snippet whose output under sockrun is not lua5.1's.
type mismatch struct {
	snippetRun
	category  string // the snippet's, or catGoPanic, catCrash, catHang
	want, got string
	stderr    string // sockrun's, for a crash or a hang
}

// report is the mismatch written for a person: what, how to make it
// again, the snippet and both outputs.
func (m mismatch) report(repro string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, snippet %d of the program (%s), category %s\n", m.seed, m.index, m.snip.Name(), m.category)
	if repro != "" {
		fmt.Fprintf(&b, "again: %s\n", repro)
	}
	fmt.Fprintf(&b, "snippet:\n%s", m.snip.Body)
	fmt.Fprintf(&b, "lua5.1 printed (bytes other than printable ASCII, tab and newline as \\ddd):\n%s", ensureNL(visible(m.want)))
	fmt.Fprintf(&b, "sockrun printed:\n%s", ensureNL(visible(m.got)))
	if m.stderr != "" {
		fmt.Fprintf(&b, "sockrun's stderr:\n%s", ensureNL(m.stderr))
	}
	return b.String()
}

// visible is s with every byte but printable ASCII, tab and newline
// written as a decimal escape, as Lua writes them.
func visible(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 32 && c < 127) || c == '\t' || c == '\n' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\%03d", c)
		}
	}
	return b.String()
}

// ensureNL is s ending in a newline, unless it is empty.
func ensureNL(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// knownDiffs is docs/lua.md's table of known differences by category.
func knownDiffs(tb testing.TB) map[string][]string {
	tb.Helper()
	valid := append(luagen.Categories(), catGoPanic, catCrash, catHang)
	known := map[string][]string{}
	for _, r := range readDocTable(tb, "luadiff").rows {
		if !slices.Contains(valid, r[0]) {
			tb.Fatalf("docs/lua.md's table of known differences lists %q, which is no category of the differential test (%s)", r[0], strings.Join(valid, ", "))
		}
		if r[1] == "" || r[2] == "" {
			tb.Fatalf("docs/lua.md's known difference %q needs what differs and a work-around", r[0])
		}
		known[r[0]] = r
	}
	return known
}

// diffRunner runs batches of snippets under lua5.1 and sockrun.
type diffRunner struct {
	lua, sockrun string
	// stall and procTime are luadiffStall and luadiffProcTime (a test
	// of the runner shortens them).
	stall, procTime time.Duration
	// confirmHangs runs a snippet that stalled again alone, without the
	// stall bound, before calling it a hang: set where hangs are not a
	// known difference, so that a loaded machine fails no test.
	confirmHangs bool
}

// newDiffRunner is the runner of lua5.1 at lua and the sockrun binary,
// confirming hangs where known does not list them.
func newDiffRunner(lua string, known map[string][]string) diffRunner {
	return diffRunner{lua: lua, sockrun: sockrunBin, stall: luadiffStall, procTime: luadiffProcTime, confirmHangs: known[catHang] == nil}
}

// run runs snips under both programs in dir and returns the snippets
// whose outputs differ. An error is lua5.1 not running the batch to its
// end: the generator's mistake, not sockrun's.
func (d diffRunner) run(dir string, snips []snippetRun) ([]mismatch, error) {
	all := make([]luagen.Snippet, len(snips))
	for i, s := range snips {
		all[i] = s.snip
	}
	n := len(all)
	out, stderr, _ := d.exec(dir, d.lua, all, 0, n, 0)
	want, ran, complete := luagen.Split(out, 0, n)
	if !complete {
		i := max(ran-1, 0)
		return nil, fmt.Errorf("lua5.1 did not run the batch to its end: it stopped in seed %d snippet %d (%s): %s\n%s",
			snips[i].seed, snips[i].index, snips[i].snip.Name(), stderr, snips[i].snip.Body)
	}
	var found []mismatch
	compare := func(i int, got string) {
		if got != want[i] {
			found = append(found, classify(snips[i], want[i], got, ""))
		}
	}
	for start := 0; start < n; {
		out, stderr, hung := d.exec(dir, d.sockrun, all, start, n, d.stall)
		got, ran, complete := luagen.Split(out, start, n)
		if !complete && ran == 0 {
			// Not even the first header: the chunk as a whole failed
			// (a syntax gopher-lua rejects, say). Run the first snippet
			// alone: it is the one, or the rest goes on without it.
			out, stderr, hung = d.exec(dir, d.sockrun, all, start, start+1, d.stall)
			got, _, complete = luagen.Split(out, start, start+1)
			if complete {
				compare(start, got[0])
				start++
				continue
			}
			ran = 1
		}
		if complete {
			for i := range ran {
				compare(start+i, got[i])
			}
			break
		}
		// The process ended, or was ended, in snippet k.
		k := start + ran - 1
		for i := range ran - 1 {
			compare(start+i, got[i])
		}
		last := got[ran-1]
		if hung && d.confirmHangs {
			// Alone, and given all the time a process has, does it end?
			out, stderr1, hung1 := d.exec(dir, d.sockrun, all, k, k+1, 0)
			got1, _, complete1 := luagen.Split(out, k, k+1)
			if complete1 {
				compare(k, got1[0])
				start = k + 1
				continue
			}
			last, stderr, hung = got1[0], stderr1, hung1
		}
		m := classify(snips[k], want[k], last, stderr)
		if hung {
			m.category = catHang
		} else if m.category != catGoPanic {
			m.category = catCrash
		}
		found = append(found, m)
		start = k + 1
	}
	return found, nil
}

// classify is the mismatch of a snippet: its own category, or catGoPanic
// where sockrun's output (or stderr) has a Go panic's text and lua5.1's
// has none.
func classify(s snippetRun, want, got, stderr string) mismatch {
	m := mismatch{snippetRun: s, category: s.snip.Category, want: want, got: got, stderr: stderr}
	if goPanicText.MatchString(got+stderr) && !goPanicText.MatchString(want) {
		m.category = catGoPanic
	}
	return m
}

// exec runs prog on the Script of snips[from:to] in dir, bounded by
// d.procTime and, unless stall is 0, ended when it prints nothing
// for stall; it returns its standard output, its standard error, and
// whether a bound ended it.
func (d diffRunner) exec(dir, prog string, snips []luagen.Snippet, from, to int, stall time.Duration) ([]byte, string, bool) {
	// Each program in a directory of its own, under the same name:
	// error messages carry the chunk's name.
	sub := filepath.Join(dir, filepath.Base(prog))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return nil, err.Error(), false
	}
	if err := os.WriteFile(filepath.Join(sub, "p.lua"), []byte(luagen.Script(snips, from, to)), 0o644); err != nil {
		return nil, err.Error(), false
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.procTime)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, "p.lua")
	cmd.Dir = sub
	cmd.Env = luaFreeEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 2 * time.Second
	stdout := &progressWriter{last: time.Now()}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Start(); err != nil {
		return nil, err.Error(), false
	}
	var stalled atomic.Bool
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				idle, size := stdout.state()
				if (stall > 0 && idle > stall) || size > luadiffMaxOutput {
					stalled.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	cmd.Wait()
	close(done)
	return stdout.bytes(), stderr.String(), stalled.Load() || ctx.Err() != nil
}

// progressWriter keeps what a process prints and when it last printed.
type progressWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	last time.Time
}

// Write implements io.Writer.
func (w *progressWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = time.Now()
	return w.buf.Write(b)
}

// state is how long ago the process last printed, and how much it has.
func (w *progressWriter) state() (time.Duration, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Since(w.last), w.buf.Len()
}

// bytes is everything the process printed.
func (w *progressWriter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// categoryCount is what a run saw of one category.
type categoryCount struct {
	snippets, mismatches int
	shapes               map[string]int // mismatches by shape
}

// TestLuaDiff runs -luadiff.programs generated programs (3,000 of 10
// snippets: 30,000 snippets) under lua5.1 and sockrun, 100 programs to a
// process, and fails on the first difference in a category docs/lua.md
// does not list. With -v it prints the mismatches of every category.
func TestLuaDiff(t *testing.T) {
	lua := testenv.Tool(t, "lua5.1")
	known := knownDiffs(t)
	d := newDiffRunner(lua, known)
	programs, first := *luadiffPrograms, *luadiffSeed
	var batches [][]snippetRun
	for p := 0; p < programs; p += luadiffBatch {
		var batch []snippetRun
		for i := p; i < min(p+luadiffBatch, programs); i++ {
			seed := first + uint64(i)
			for j, s := range luagen.Program(seed, luadiffSnippets) {
				batch = append(batch, snippetRun{seed: seed, index: j, snip: s})
			}
		}
		batches = append(batches, batch)
	}
	var (
		mu     sync.Mutex
		found  []mismatch
		failed error
		next   int
		wg     sync.WaitGroup
	)
	start := time.Now()
	for range 2 {
		dir := t.TempDir()
		wg.Go(func() {
			for {
				mu.Lock()
				if next == len(batches) || failed != nil {
					mu.Unlock()
					return
				}
				b := batches[next]
				next++
				mu.Unlock()
				ms, err := d.run(dir, b)
				mu.Lock()
				found = append(found, ms...)
				if err != nil && failed == nil {
					failed = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].seed != found[j].seed {
			return found[i].seed < found[j].seed
		}
		return found[i].index < found[j].index
	})
	counts := map[string]*categoryCount{}
	count := func(cat string) *categoryCount {
		if counts[cat] == nil {
			counts[cat] = &categoryCount{shapes: map[string]int{}}
		}
		return counts[cat]
	}
	for _, b := range batches {
		for _, s := range b {
			count(s.snip.Category).snippets++
		}
	}
	for _, m := range found {
		c := count(m.category)
		c.mismatches++
		c.shapes[m.snip.Shape]++
	}
	t.Logf("%d programs (seeds %d to %d), %d snippets, %d differ, in %.1f s:\n%s",
		programs, first, first+uint64(programs)-1, programs*luadiffSnippets, len(found), time.Since(start).Seconds(), countTable(counts))
	shown := map[string]int{}
	for _, m := range found {
		if (*luadiffShow == "all" || slices.Contains(strings.Split(*luadiffShow, ","), m.category)) && shown[m.category] < *luadiffShowMax {
			shown[m.category]++
			t.Logf("a difference of %s:\n%s", m.category, m.report(""))
		}
	}
	var unknown []mismatch
	for _, m := range found {
		if known[m.category] == nil {
			unknown = append(unknown, m)
		}
	}
	if len(unknown) > 0 {
		m := unknown[0]
		repro := fmt.Sprintf("go test ./e2e -run 'TestLuaDiff$' -luadiff.seed=%d -luadiff.programs=1 -v", m.seed)
		byCat := map[string]int{}
		for _, u := range unknown {
			byCat[u.category]++
		}
		var cats []string
		for c, n := range byCat {
			cats = append(cats, fmt.Sprintf("%s %d", c, n))
		}
		sort.Strings(cats)
		t.Errorf("%d snippets differ in categories docs/lua.md does not list (%s); the first:\n%s",
			len(unknown), strings.Join(cats, ", "), m.report(repro))
	}
	if programs == luadiffDefaultPrograms && first == luadiffDefaultSeed {
		for cat := range known {
			if c := counts[cat]; c == nil || c.mismatches == 0 {
				t.Errorf("docs/lua.md lists %q as a known difference, and no snippet of it differs now: remove its row", cat)
			}
		}
	}
}

// countTable is the counts by category, one line each, with the shapes
// that differ.
func countTable(counts map[string]*categoryCount) string {
	var cats []string
	for c := range counts {
		cats = append(cats, c)
	}
	order := append(luagen.Categories(), catGoPanic, catCrash, catHang)
	sort.Slice(cats, func(i, j int) bool { return slices.Index(order, cats[i]) < slices.Index(order, cats[j]) })
	var b strings.Builder
	for _, cat := range cats {
		c := counts[cat]
		var shapes []string
		for s, n := range c.shapes {
			shapes = append(shapes, fmt.Sprintf("%s %d", s, n))
		}
		sort.Strings(shapes)
		if c.snippets > 0 {
			fmt.Fprintf(&b, "  %-13s %5d of %5d differ  %s\n", cat, c.mismatches, c.snippets, strings.Join(shapes, ", "))
		} else {
			fmt.Fprintf(&b, "  %-13s %5d differ           %s\n", cat, c.mismatches, strings.Join(shapes, ", "))
		}
	}
	return b.String()
}

// FuzzLuaDiff is TestLuaDiff from the fuzzer's inputs: a seed, and bytes
// that make the generator's first choices (one choice a byte), for a
// program of 8 snippets. A difference in a category docs/lua.md does not
// list fails the input.
func FuzzLuaDiff(f *testing.F) {
	lua := testenv.Tool(f, "lua5.1")
	known := knownDiffs(f)
	f.Add(uint64(1), []byte{})
	f.Add(uint64(2), []byte{0, 0, 0, 0})
	f.Add(uint64(3), []byte{3, 1, 4, 1, 5, 9, 2, 6})
	f.Add(uint64(4), []byte{255, 128, 64, 32, 16, 8})
	d := newDiffRunner(lua, known)
	f.Fuzz(func(t *testing.T, seed uint64, choices []byte) {
		g := luagen.New(luagen.FromBytes(seed, choices))
		snips := make([]snippetRun, 8)
		for i := range snips {
			snips[i] = snippetRun{seed: seed, index: i, snip: g.Snippet()}
		}
		found, err := d.run(t.TempDir(), snips)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range found {
			if known[m.category] == nil {
				t.Fatalf("a difference in a category docs/lua.md does not list (choices %v):\n%s", choices, m.report(""))
			}
		}
	})
}

// TestLuaDiffRunner: the runner tells a difference, a Go panic's text, a
// crash, a chunk that fails as a whole and a hang from each other, goes
// on after them with every line where it was, and finds nothing where
// the outputs agree. Its "sockrun" is lua5.1 with FAKE set, so that
// snippets behave otherwise there only, which refuses (as a syntax error
// would) any chunk with a snippet that says so.
func TestLuaDiffRunner(t *testing.T) {
	lua := testenv.Tool(t, "lua5.1")
	fake := filepath.Join(t.TempDir(), "fake-sockrun")
	script := "#!/bin/sh\ngrep -q 'REFUSE THE CHUNK' \"$1\" && { echo 'p.lua:1: refused' >&2; exit 1; }\nexec " + lua + " -e 'FAKE = true; io.stdout:setvbuf(\"line\")' \"$@\"\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	bodies := []struct{ cat, body string }{
		{"numtext", `print("same")`},
		{"tonumber", `print("same") -- REFUSE THE CHUNK`},
		{"multiassign", `if FAKE then print("other") else print("same") end`},
		{"coroutines", `if FAKE then print("runtime error: invalid memory address") end`},
		{"errors", `if FAKE then os.exit(3) end print("not yet")`},
		{"errors", `print("after the crash")`},
		{"constif", `if FAKE then while true do end end`},
		{"errors", `error("the same position in both")`},
		{"numtext", `print("last")`},
	}
	var snips []snippetRun
	for i, b := range bodies {
		snips = append(snips, snippetRun{seed: 1, index: i, snip: luagen.Snippet{Category: b.cat, Shape: "test", Body: "    " + b.body + "\n"}})
	}
	for _, confirm := range []bool{false, true} {
		d := diffRunner{lua: lua, sockrun: fake, stall: 300 * time.Millisecond, procTime: 2 * time.Second, confirmHangs: confirm}
		found, err := d.run(t.TempDir(), snips)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range found {
			got = append(got, fmt.Sprintf("%d %s", m.index, m.category))
		}
		want := []string{"1 crash", "2 multiassign", "3 go-panic", "4 crash", "6 hang"}
		if !slices.Equal(got, want) {
			for _, m := range found {
				t.Log(m.report(""))
			}
			t.Fatalf("confirmHangs %v: found %q, want %q", confirm, got, want)
		}
	}
}
