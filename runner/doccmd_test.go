package runner

import (
	"bytes"
	"strings"
	"testing"
)

// TestDocEveryEntryHasSection: `sockrun doc` finds, for every registered
// function, method and field, the part of its doc file that describes it.
func TestDocEveryEntryHasSection(t *testing.T) {
	for _, e := range newDocIndex().entries {
		if e.kind == "constant" {
			continue
		}
		var b bytes.Buffer
		printEntry(&b, e)
		if !strings.Contains(b.String(), "From "+e.doc) {
			t.Errorf("sockrun doc %s finds no section of %s", e.name, e.doc)
		}
	}
}

// TestDocSectionSkipsCode: a line starting with # inside a code block
// does not end a section.
func TestDocSectionSkipsCode(t *testing.T) {
	text := "## a.f(\n\ntext\n\n```sh\n# a comment\n```\n\nmore\n\n## b.g(\n"
	got := docSection(text, "a.f(")
	if !strings.Contains(got, "more") || strings.Contains(got, "b.g") {
		t.Errorf("section:\n%s", got)
	}
}
