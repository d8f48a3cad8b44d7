package trace

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sockrun/sockrun/internal/testenv"
)

// The SVG diagram as a renderer draws it (rsvg-convert, from
// librsvg2-bin): a label keeps its runs of spaces, and a lifeline does
// not run through a label.

// render draws d's SVG with rsvg-convert and returns the image and the
// document.
func render(t *testing.T, d *diagram) (image.Image, string) {
	t.Helper()
	rsvg := testenv.Tool(t, "rsvg-convert")
	dir := t.TempDir()
	doc := d.svg("render.lua")
	in, out := filepath.Join(dir, "d.svg"), filepath.Join(dir, "d.png")
	if err := os.WriteFile(in, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(rsvg, "-o", out, in).CombinedOutput(); err != nil {
		t.Fatalf("rsvg-convert: %v: %s", err, msg)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img, doc
}

// textAt is where the SVG places the text element whose content is
// label: its x and y (the baseline).
func textAt(t *testing.T, doc, label string) (x, y int) {
	t.Helper()
	m := regexp.MustCompile(`<text x="([\d.]+)" y="([\d.]+)"[^>]*>` + regexp.QuoteMeta(xmlText(label)) + `</text>`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("no text %q in:\n%s", label, doc)
	}
	fx, _ := strconv.ParseFloat(m[1], 64)
	fy, _ := strconv.ParseFloat(m[2], 64)
	return int(fx), int(fy)
}

// luma is a pixel's brightness, 0 (black) to 255 (white); 255 outside
// the image.
func luma(img image.Image, x, y int) int {
	if !(image.Point{x, y}).In(img.Bounds()) {
		return 255
	}
	r, g, b, _ := img.At(x, y).RGBA()
	return int((299*r + 587*g + 114*b) / 1000 >> 8)
}

// TestSVGKeepsSpaces: "a", twenty spaces and "b" are drawn twenty
// characters apart, not collapsed into one space as XML's default
// white-space handling does.
func TestSVGKeepsSpaces(t *testing.T) {
	label := "a" + strings.Repeat(" ", 20) + "b"
	d := newDiagram()
	d.add(item{kind: itemNote, from: "127.0.0.1:9999", label: label})
	img, doc := render(t, d)
	cx, y := textAt(t, doc, label)
	left, right := -1, -1
	for x := cx - 150; x <= cx+150; x++ {
		for yy := y - 10; yy <= y; yy++ {
			if luma(img, x, yy) < 100 {
				if left < 0 {
					left = x
				}
				right = x
			}
		}
	}
	// Twenty spaces of 12px monospace are about 145px.
	if left < 0 || right-left < 130 {
		t.Errorf("the label spans %d px (from %d to %d), want the width of 22 characters: its spaces were collapsed", right-left, left, right)
	}
}

// TestSVGLabelsHaveBackground: an arrow from the first participant to
// the third has its label centred on the second's lifeline; the label's
// background hides the lifeline there.
func TestSVGLabelsHaveBackground(t *testing.T) {
	label := "left" + strings.Repeat(" ", 8) + "right"
	d := newDiagram()
	d.add(item{kind: itemMsg, from: "127.0.0.1:1", to: "127.0.0.1:2", label: "start"})
	d.add(item{kind: itemMsg, from: "127.0.0.1:2", to: "127.0.0.1:3", label: "middle"})
	d.add(item{kind: itemMsg, from: "127.0.0.1:1", to: "127.0.0.1:3", label: label})
	img, doc := render(t, d)
	x, y := textAt(t, doc, label)
	var dark []string
	for yy := y - 10; yy <= y+2; yy++ {
		if l := luma(img, x, yy); l < 240 {
			dark = append(dark, strconv.Itoa(yy)+":"+strconv.Itoa(l))
		}
	}
	if len(dark) > 0 {
		t.Errorf("the lifeline runs through the label at x=%d (y:brightness %v)", x, dark)
	}
}
