package trace

import (
	"encoding/xml"
	"os"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestPreview(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"hello", `"hello"`},
		{"hel\r\n", `"hel\r\n"`},
		{"a\x00b\xff\"\\", `"a\x00b\xff\"\\"`},
		{"你好", `"你好"`},
		{strings.Repeat("a", 40), `"` + strings.Repeat("a", 32) + `..."`},
		// A character cut by the 32-byte limit is shown as its bytes.
		{strings.Repeat("a", 31) + "好好", `"` + strings.Repeat("a", 31) + `\xe5..."`},
	} {
		if got := preview(c.in); got != c.want {
			t.Errorf("preview(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	if got := dataValue(strings.Repeat("z", 100)); !strings.HasSuffix(got, `..." (100 bytes)`) {
		t.Errorf("dataValue of 100 bytes: %s", got)
	}
}

func TestMermaidText(t *testing.T) {
	got := mermaidText(`"a;b#c" <br> {x}`)
	want := `#34;a#59;b#35;c#34; #60;br#62; #123;x#125;`
	if got != want {
		t.Errorf("mermaidText = %s, want %s", got, want)
	}
}

// TestSVGEscapes draws labels with every character XML and the layout
// care about, and checks the document is well-formed.
func TestSVGEscapes(t *testing.T) {
	d := newDiagram()
	d.add(item{kind: itemMsg, from: "[::1]:80", to: "<a&b>", label: `"</svg>&amp;" (9 bytes)`})
	d.add(item{kind: itemNote, from: "[::1]:80", label: strings.Repeat("long ", 40)})
	d.add(item{kind: itemFail, from: "x", to: "[::1]:80", label: "connect: ECONNREFUSED"})
	d.add(item{kind: itemSignal, label: "SIGINT: interrupting the run"})
	doc := d.svg(`a "script" & <more>.lua`)
	dec := xml.NewDecoder(strings.NewReader(doc))
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("%v in:\n%s", err, doc)
			}
			break
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
		}
	}
	for _, w := range []string{`"</svg>&amp;" (9 bytes)`, "<a&b>", `a "script" & <more>.lua`, "SIGINT"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("no %q in the SVG's text", w)
		}
	}
}

// TestThreadEndInterruptedInLua: a thread that the end of an interrupted
// run stops between two instructions raises gopher-lua's "context
// canceled" (a script may catch it and raise it again, with a position);
// the trace says KeyboardInterrupt, as for a thread stopped in a call.
// Before any signal, the message is the error's own.
func TestThreadEndInterruptedInLua(t *testing.T) {
	var out strings.Builder
	tr, err := New(&out, "", Config{On: true, Format: "text"}, "s.lua", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	vt := tr.ForVM(1, nil)
	vt.ThreadEnd(nil, 2, lua.LString("s.lua:3: context canceled"))
	tr.Signal(os.Interrupt, 1)
	vt.ThreadEnd(nil, 3, lua.LString("s.lua:7: context canceled"))
	tr.Close()
	got := out.String()
	for _, w := range []string{"t2 thread ended with error s.lua:3: context canceled\n", "t3 thread ended with error KeyboardInterrupt\n"} {
		if !strings.Contains(got, w) {
			t.Errorf("no %q in:\n%s", w, got)
		}
	}
}
