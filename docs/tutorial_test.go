package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTutorialFiles: every trace docs/tutorial.md shows is the file
// `go run ./docs/tutorial/gen` wrote beside it, and every diagram it shows
// exists, so the page and its files cannot drift apart.
func TestTutorialFiles(t *testing.T) {
	b, err := os.ReadFile("tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	blocks := regexp.MustCompile("(?s)<!-- trace: ([\\w.-]+) -->\n```console\n(.*?)```").FindAllStringSubmatch(md, -1)
	if len(blocks) == 0 {
		t.Fatal("tutorial.md shows no trace")
	}
	for _, m := range blocks {
		file, err := os.ReadFile(filepath.Join("tutorial", m[1]))
		if err != nil {
			t.Error(err)
			continue
		}
		if strings.TrimRight(string(file), "\n") != strings.TrimRight(m[2], "\n") {
			t.Errorf("tutorial.md's block for %s differs from the file: run go run ./docs/tutorial/gen", m[1])
		}
	}
	images := regexp.MustCompile(`!\[[^]]*\]\(([^)]+\.svg)\)`).FindAllStringSubmatch(md, -1)
	if len(images) == 0 {
		t.Fatal("tutorial.md shows no diagram")
	}
	for _, m := range images {
		svg, err := os.ReadFile(m[1])
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.Contains(string(svg), "sockrun trace: scripts/") {
			t.Errorf("%s is not a diagram sockrun drew of a script in scripts/", m[1])
		}
	}
}
