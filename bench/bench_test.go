package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary play the Go echo server and the load
// generator when the benchmark re-executes it.
func TestMain(m *testing.M) {
	if code, ok := runRole(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestQuickRun runs the whole benchmark, tiny, end to end: it builds
// sockrun, starts both servers, generates checked load, holds idle
// connections, runs the workers rounds and writes the report. It asserts
// nothing about speed.
func TestQuickRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "benchmarks.md")
	// An existing report keeps what lies outside the markers.
	if err := os.WriteFile(out, []byte("# kept\n\n"+beginMarker+"\nold\n"+endMarker+"\n\n## Log, kept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := parseFlags([]string{"-quick", "-rounds", "2", "-duration", "200ms", "-warmup", "100ms",
		"-conns", "4,16", "-idle", "100", "-workers-conns", "4", "-iterations", "100", "-out", out})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := run(o); err != nil {
		t.Fatal(err)
	}
	t.Logf("took %s", time.Since(start))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		"# kept", "## Log, kept", "| 4 | Go |", "| 16 | sockrun |", "| 16 | **sockrun/Go** |",
		"| sockrun | 100 |", "| Go | 100 |", "--workers 2 against --workers 1", endMarker,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "\nold\n") {
		t.Errorf("the old results stayed:\n%s", md)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestFillRequestDiffers(t *testing.T) {
	a, b, c := make([]byte, 64), make([]byte, 64), make([]byte, 64)
	fillRequest(a, 1, 7)
	fillRequest(b, 1, 8)
	fillRequest(c, 2, 7)
	if string(a) == string(b) || string(a) == string(c) {
		t.Error("requests of different sequence numbers or connections are equal")
	}
}
