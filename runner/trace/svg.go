package trace

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The trace's sequence diagram drawn as a standalone SVG, so that it
// opens in any browser: the same participants and steps as the Mermaid
// diagram (mermaid.go), laid out on a fixed grid in a monospace
// font: a column per participant with its box at the top and bottom and
// a dashed lifeline between, a row per step with its time on the left.
// Text keeps its runs of spaces (xml:space="preserve", and white-space:
// pre for browsers that follow CSS), since a preview's spaces are bytes
// of the data; an arrow's label sits on a white background, so that the
// lifelines it crosses do not run through it.

// Layout, in pixels. charW is the advance of a 12px monospace character.
const (
	svgMargin   = 16.0
	svgTimeW    = 64.0 // the time column
	svgTitleH   = 32.0
	svgBoxH     = 28.0
	svgRowH     = 30.0
	svgCharW    = 7.3
	svgMinColW  = 170.0
	svgMaxColW  = 400.0
	svgMaxLabel = 60 // characters of a label before it is cut
)

// svg is the diagram as an SVG document titled after the script.
func (d *diagram) svg(title string) string {
	parts, steps := d.layout()
	if len(parts) == 0 {
		parts = []string{"(no endpoints)"}
		steps = append(steps, step{kind: itemNote, label: "no connections, sends or closes were traced"})
	}
	// Columns are as wide as the longest label between neighbours needs.
	longest := 0
	for _, p := range parts {
		longest = max(longest, utf8.RuneCountInString(p))
	}
	for _, s := range steps {
		n := min(utf8.RuneCountInString(s.label), svgMaxLabel)
		span := max(1, abs(s.to-s.from))
		if s.kind == itemNote {
			span = 1
		}
		longest = max(longest, n/span)
	}
	colW := min(max(float64(longest)*svgCharW+30, svgMinColW), svgMaxColW)
	x := func(i int) float64 { return svgMargin + svgTimeW + colW*(float64(i)+0.5) }
	title = "sockrun trace: " + title
	// The title is 15px bold: about 9.1px a character.
	width := max(svgMargin*2+svgTimeW+colW*float64(len(parts)), svgMargin*2+float64(utf8.RuneCountInString(title))*9.1)
	top := svgMargin + svgTitleH                      // participant boxes
	first := top + svgBoxH + svgRowH                  // first step's line
	bottom := first + svgRowH*float64(len(steps)) - 6 // bottom boxes
	height := bottom + svgBoxH + svgMargin
	maxChars := int((colW - 12) / svgCharW)

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	p(`<svg xmlns="http://www.w3.org/2000/svg" xml:space="preserve" style="white-space: pre" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">`+"\n",
		width, height, width, height)
	p(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker></defs>` + "\n")
	p(`<rect width="100%%" height="100%%" fill="#fff"/>` + "\n")
	p(`<text x="%.1f" y="%.1f" font-size="15" font-weight="bold" fill="#111">%s</text>`+"\n", svgMargin, svgMargin+16, xmlText(title))
	for i, name := range parts {
		p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4 4"/>`+"\n", x(i), top+svgBoxH, x(i), bottom)
		for _, y := range []float64{top, bottom} {
			label := cut(name, maxChars)
			w := float64(utf8.RuneCountInString(label))*svgCharW + 16
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="4" fill="#e8eefc" stroke="#4a6fd0"/>`+"\n", x(i)-w/2, y, w, svgBoxH)
			p(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#111">%s</text>`+"\n", x(i), y+18, xmlText(label))
		}
	}
	for n, s := range steps {
		y := first + svgRowH*float64(n)
		p(`<text x="%.1f" y="%.1f" fill="#888" font-size="11">%.4f</text>`+"\n", svgMargin, y+4, s.t)
		switch s.kind {
		case itemNote:
			label := cut(s.label, maxChars*(1+s.to-s.from))
			w := float64(utf8.RuneCountInString(label))*svgCharW + 14
			cx := (x(s.from) + x(s.to)) / 2
			w = max(w, x(s.to)-x(s.from)+40)
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="20" fill="#fff8c4" stroke="#b8a640"/>`+"\n", cx-w/2, y-14, w)
			p(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#333">%s</text>`+"\n", cx, y, xmlText(label))
		case itemMsg, itemFail:
			x1, x2 := x(s.from), x(s.to)
			dir := 1.0
			if x2 < x1 {
				dir = -1
			}
			label := cut(s.label, max(maxChars*abs(s.to-s.from), maxChars))
			if s.kind == itemMsg {
				p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222" stroke-width="1.3" marker-end="url(#arrow)"/>`+"\n", x1, y+6, x2-dir, y+6)
			} else {
				end := x2 - dir*14
				p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#b00" stroke-width="1.3"/>`+"\n", x1, y+6, end, y+6)
				p(`<path d="M%.1f,%.1f l8,8 m0,-8 l-8,8" stroke="#b00" stroke-width="2"/>`+"\n", end-4, y+2)
			}
			fill := "#111"
			if s.kind == itemFail {
				fill = "#b00"
			}
			w := float64(utf8.RuneCountInString(label))*svgCharW + 6
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="15" fill="#fff"/>`+"\n", (x1+x2)/2-w/2, y-12, w)
			p(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`+"\n", (x1+x2)/2, y, fill, xmlText(label))
		}
	}
	p("</svg>\n")
	return b.String()
}

// cut shortens s to n characters, ending with "…" if it was longer.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n || n < 2 {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// xmlText escapes s for an XML text node or attribute.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		default:
			if r < 0x20 && r != '\t' || r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF {
				fmt.Fprintf(&b, "\\x%02x", r) // not allowed in XML 1.0
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
