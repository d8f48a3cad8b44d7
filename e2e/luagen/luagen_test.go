package luagen

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// TestDeterministic: the same seed gives the same program, another seed
// another one.
func TestDeterministic(t *testing.T) {
	a, b, c := Program(7, 50), Program(7, 50), Program(8, 50)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("seed 7 gave two different programs")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("seeds 7 and 8 gave the same program")
	}
}

// TestEveryCategory: each category makes snippets of more than one shape,
// and Snippet reaches every category.
func TestEveryCategory(t *testing.T) {
	g := NewSeeded(1)
	seen := map[string]bool{}
	for _, c := range Categories() {
		shapes := map[string]bool{}
		for range 200 {
			s := g.Of(c)
			if s.Category != c {
				t.Fatalf("Of(%q) made a snippet of %q", c, s.Category)
			}
			shapes[s.Shape] = true
		}
		if len(shapes) < 2 {
			t.Errorf("%s: only the shapes %v", c, shapes)
		}
	}
	for range 2000 {
		seen[g.Snippet().Category] = true
	}
	if len(seen) != len(Categories()) {
		t.Errorf("Snippet reached %d categories of %d", len(seen), len(Categories()))
	}
}

// TestFromBytes: the bytes choose the first draws; the same bytes and
// seed, the same snippets.
func TestFromBytes(t *testing.T) {
	one := New(FromBytes(1, []byte{0, 1, 2, 3})).Snippet()
	two := New(FromBytes(1, []byte{0, 1, 2, 3})).Snippet()
	if one != two {
		t.Fatal("the same bytes gave two snippets")
	}
	cats := map[string]bool{}
	for b := range 256 {
		cats[New(FromBytes(1, []byte{byte(b)})).Snippet().Category] = true
	}
	if len(cats) != len(Categories()) {
		t.Fatalf("the first byte chose %d categories of %d", len(cats), len(Categories()))
	}
}

// TestSplit cuts an output into snippets, and says where an output that
// ends early ended.
func TestSplit(t *testing.T) {
	out := "@@ snippet 0\na\nb\n@@ snippet 1\n@@ snippet 2\nc\n@@ end\n"
	parts, ran, complete := Split([]byte(out), 0, 3)
	if !reflect.DeepEqual(parts, []string{"a\nb\n", "", "c\n"}) || ran != 3 || !complete {
		t.Fatalf("got %q %d %v", parts, ran, complete)
	}
	parts, ran, complete = Split([]byte("@@ snippet 4\nx\n@@ snippet 5\npartial"), 4, 7)
	if !reflect.DeepEqual(parts, []string{"x\n", "partial", ""}) || ran != 2 || complete {
		t.Fatalf("got %q %d %v", parts, ran, complete)
	}
	// A header out of order is a snippet's output, not a header.
	parts, ran, _ = Split([]byte("@@ snippet 0\n@@ snippet 2\n"), 0, 3)
	if parts[0] != "@@ snippet 2\n" || ran != 1 {
		t.Fatalf("got %q %d", parts, ran)
	}
}

// TestScriptKeepsLines: a Script of a part of the snippets has each
// line where the Script of all of them has it.
func TestScriptKeepsLines(t *testing.T) {
	snips := Program(3, 20)
	all := strings.Split(Script(snips, 0, 20), "\n")
	part := strings.Split(Script(snips, 7, 12), "\n")
	end := strings.Index(Script(snips, 0, 20), "print(\"@@ snippet 12\")")
	endLine := strings.Count(Script(snips, 0, 20)[:end], "\n")
	if len(part) != endLine+2 {
		t.Fatalf("the part has %d lines, want %d", len(part), endLine+2)
	}
	for i := range endLine {
		if part[i] != "" && part[i] != all[i] {
			t.Fatalf("line %d: %q, in the whole script %q", i+1, part[i], all[i])
		}
	}
}

// TestLua51RunsEveryProgram: lua5.1 runs generated programs to their end,
// and no error escapes a snippet (every error a snippet means to raise
// it catches itself, and no loop runs away): a program lua5.1 does not
// define is the generator's mistake.
func TestLua51RunsEveryProgram(t *testing.T) {
	lua := testenv.Tool(t, "lua5.1")
	dir := t.TempDir()
	for seed := uint64(1); seed <= 40; seed++ {
		snips := Program(seed, 100)
		path := filepath.Join(dir, "p.lua")
		if err := os.WriteFile(path, []byte(Script(snips, 0, len(snips))), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, lua, "p.lua")
		cmd.Dir = dir
		out, err := cmd.Output()
		cancel()
		parts, ran, complete := Split(out, 0, len(snips))
		if err != nil || !complete {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("seed %d: lua5.1 ended in snippet %d (%v): %s\n%s", seed, ran-1, err, stderr, snips[max(ran-1, 0)].Body)
		}
		for i, p := range parts {
			if strings.Contains(p, "@@ error") || strings.Contains(p, "runaway loop") {
				t.Errorf("seed %d snippet %d (%s): lua5.1 printed\n%s\nfor\n%s", seed, i, snips[i].Name(), p, snips[i].Body)
			}
		}
	}
}
