package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// codeSpan is an inline code span of Markdown, one to three backticks.
var codeSpan = regexp.MustCompile("(`{1,3})[^`]+?(`{1,3})")

// TestMarkupBalanced checks that every paragraph of the docs and READMEs
// closes what it opens: an even number of backticks, and outside code
// spans an even number of "**". An unclosed one makes the renderer run
// bold or code on to the end of the paragraph (docs/signal.md had
// "`SIGHUP**").
func TestMarkupBalanced(t *testing.T) {
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "README.md"), filepath.Join("..", "scripts", "README.md"))
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paragraphs(string(text)) {
			if strings.Count(p.text, "`")%2 != 0 {
				t.Errorf("%s:%d: a code span is not closed (odd number of backticks):\n%s", f, p.line, p.text)
				continue
			}
			plain := codeSpan.ReplaceAllString(p.text, "")
			if strings.Count(plain, "**")%2 != 0 {
				t.Errorf("%s:%d: bold is not closed (odd number of **):\n%s", f, p.line, p.text)
			}
		}
	}
}

type paragraph struct {
	text string
	line int // where it starts, from 1
}

// paragraphs are the blocks of text of a Markdown page separated by blank
// lines, fenced code blocks left out; each row of a table is one.
func paragraphs(text string) []paragraph {
	var out []paragraph
	var cur []string
	start := 0
	fenced := false
	flush := func() {
		if len(cur) > 0 {
			out = append(out, paragraph{strings.Join(cur, "\n"), start})
		}
		cur = nil
	}
	for i, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(strings.TrimSpace(l), "```"):
			flush()
			fenced = !fenced
		case fenced:
		case strings.TrimSpace(l) == "":
			flush()
		case strings.HasPrefix(l, "|"):
			flush()
			out = append(out, paragraph{l, i + 1})
		default:
			if len(cur) == 0 {
				start = i + 1
			}
			cur = append(cur, l)
		}
	}
	flush()
	return out
}
