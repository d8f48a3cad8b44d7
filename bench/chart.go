package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// bar is one ratio of the chart.
type bar struct {
	label string
	value float64
	bound float64 // the target's bound; 0: none
	cpu   bool    // a CPU ratio: lower is better
}

// bars are the ratios of the report's tables: every row's rate ratio to
// its comparison's anchor, and the CPU ratios that have a target.
func (b *benchmark) bars() []bar {
	var out []bar
	for _, c := range b.comps {
		for _, s := range c.series {
			v, ok := c.rowRatio(s, false)
			if !ok {
				continue
			}
			num, den := c.anchor, s.name
			if !c.subjectAnchor {
				num, den = s.name, c.anchor
			}
			br := bar{label: fmt.Sprintf("%s: %s ÷ %s", c.key, num, den), value: v}
			for _, t := range c.targets {
				if t.num == num && t.den == den && !t.cpu {
					br.bound = t.bound
				}
			}
			out = append(out, br)
		}
		for _, t := range c.targets {
			if v, ok := c.ratio(t.num, t.den, true); ok && t.cpu {
				out = append(out, bar{label: fmt.Sprintf("%s: %s ÷ %s, CPU", c.key, t.num, t.den), value: v, bound: t.bound, cpu: true})
			}
		}
	}
	return out
}

// chart draws the bars as an SVG: one row each, on a logarithmic axis from
// 0.05× to 20× with 1× marked; a bar is green where its target is met, red
// where not, grey without a target; a target's bound is a black tick.
func (b *benchmark) chart() string {
	bars := b.bars()
	const (
		left, barW, rowH, top = 330.0, 520.0, 22.0, 54.0
		lo, hi                = 0.05, 20.0
	)
	x := func(v float64) float64 {
		v = math.Min(math.Max(v, lo), hi)
		return left + barW*math.Log(v/lo)/math.Log(hi/lo)
	}
	height := top + rowH*float64(len(bars)) + 40
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", left+barW+80, height)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="10" y="20" font-size="15" font-weight="bold">sockrun against its references: medians of per-round ratios</text>` + "\n")
	p(`<text x="10" y="38" fill="#555">rate ratios (higher is better) and CPU ratios (lower is better); green: target met, red: not met, grey: no target; black tick: the target</text>` + "\n")
	for _, t := range []float64{0.1, 0.25, 0.5, 1, 2, 4, 10} {
		stroke, wd := "#ddd", 1.0
		if t == 1 {
			stroke, wd = "#333", 1.5
		}
		p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"/>`+"\n", x(t), top-6, x(t), height-30, stroke, wd)
		p(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#555">%g×</text>`+"\n", x(t), height-14, t)
	}
	for i, br := range bars {
		y := top + rowH*float64(i)
		fill := "#9e9e9e"
		if br.bound > 0 {
			met := br.value >= br.bound
			if br.cpu {
				met = br.value <= br.bound
			}
			fill = "#c62828"
			if met {
				fill = "#2e7d32"
			}
		}
		x0, x1 := x(1), x(br.value)
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		p(`<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-8, y+rowH*0.65, html.EscapeString(br.label))
		p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x0, y+3, math.Max(x1-x0, 1), rowH-6, fill)
		if br.bound > 0 {
			p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black" stroke-width="2"/>`+"\n", x(br.bound), y+1, x(br.bound), y+rowH-1)
		}
		p(`<text x="%.1f" y="%.1f" fill="#222">%.2f×</text>`+"\n", math.Max(x(br.value), x(1))+4, y+rowH*0.65, br.value)
	}
	p("</svg>\n")
	return w.String()
}
