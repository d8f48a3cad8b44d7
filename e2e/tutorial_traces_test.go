package e2e

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sockrun/sockrun/docs/tutorial/tutorialgen"
	"github.com/sockrun/sockrun/internal/testenv"
)

// TestTutorialTracesAreARun runs the tutorial's steps as the tutorial
// tells a reader to (the scripts' defaults, a server stopped with
// Ctrl-C), traced, and compares what they write with the traces and
// diagrams docs/tutorial/ holds: they may differ in times, descriptors,
// waits and the interleaving of threads, nothing else. When the scripts
// or the trace change, `go run ./docs/tutorial/gen` makes them again.
func TestTutorialTracesAreARun(t *testing.T) {
	if runtime.GOOS != "linux" {
		testenv.Missing(t, "the tutorial's generator finds ports in Linux's /proc")
	}
	dir := t.TempDir()
	fresh, err := tutorialgen.Generate(sockrunBin, repoRoot, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) == 0 {
		t.Fatal("the generator wrote nothing")
	}
	for name, text := range fresh {
		committed, err := os.ReadFile(filepath.Join(repoRoot, "docs", "tutorial", name))
		if err != nil {
			t.Errorf("%v: run go run ./docs/tutorial/gen", err)
			continue
		}
		if diffs := tutorialgen.Differences(name, string(committed), text); len(diffs) > 0 {
			t.Errorf("docs/tutorial/%s is not what a run writes now (go run ./docs/tutorial/gen makes it again):\n%s",
				name, strings.Join(diffs, "\n"))
			if strings.HasSuffix(name, ".txt") {
				t.Logf("a run now writes %s:\n%s", name, text)
			}
		}
	}
}
