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

// TestTutorialExcerpts: the Lua the tutorial shows is the scripts' own:
// every line of code in a ```lua block (its comment left out) is a line
// of the script the text links last before the block, in the same order.
// A line "..." stands for lines left out.
func TestTutorialExcerpts(t *testing.T) {
	b, err := os.ReadFile("tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	link := regexp.MustCompile(`\(\.\./scripts/([\w.]+\.lua)\)`)
	blocks := regexp.MustCompile("(?s)```lua\n(.*?)```").FindAllStringSubmatchIndex(md, -1)
	if len(blocks) == 0 {
		t.Fatal("tutorial.md shows no Lua")
	}
	for _, blk := range blocks {
		links := link.FindAllStringSubmatch(md[:blk[0]], -1)
		if len(links) == 0 {
			t.Errorf("no script linked before the block at byte %d", blk[0])
			continue
		}
		name := links[len(links)-1][1]
		src, err := os.ReadFile(filepath.Join("..", "scripts", name))
		if err != nil {
			t.Error(err)
			continue
		}
		script := strings.Split(string(src), "\n")
		at := 0
		for _, l := range strings.Split(md[blk[2]:blk[3]], "\n") {
			code := codeOf(l)
			if code == "" || code == "..." {
				continue
			}
			found := false
			for i := at; i < len(script); i++ {
				if codeOf(script[i]) == code {
					at, found = i+1, true
					break
				}
			}
			if !found {
				t.Errorf("tutorial.md shows %q, which is not a line of scripts/%s (after the lines shown before it)", strings.TrimSpace(l), name)
			}
		}
	}
}

// codeOf is a line of Lua without its comment and the spaces around.
func codeOf(line string) string {
	code, _, _ := strings.Cut(line, "--")
	return strings.Join(strings.Fields(code), " ")
}
