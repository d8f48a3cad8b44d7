package metricset

import (
	"bufio"
	"cmp"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ContentType is the Content-Type of a scrape in the text format, as
// Prometheus' Go client (promhttp) sends it.
const ContentType = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"

// Family is a metric family as a scrape shows it: its name, help, type
// ("counter", "gauge", "histogram", "summary") and series.
type Family struct {
	Name, Help, Type string
	Series           []Series
}

// Series is one series of a family: its labels, names and values in
// pairs, and its value (a counter's or a gauge's), or its buckets' or
// quantiles' and its sum and count (a histogram's or a summary's).
type Series struct {
	Labels []Label
	Value  float64
	// Bounds are a histogram's buckets' upper bounds (+Inf left out) and
	// Cumulative the observations at most each; Quantiles a summary's,
	// with their values.
	Bounds, Cumulative []float64
	Quantiles          [][2]float64
	Sum                float64
	Count              uint64
}

// Label is a label's name and value.
type Label struct{ Name, Value string }

// WriteText writes fams in Prometheus' text format 0.0.4, as the Go
// client writes them: families sorted by name, those without series left
// out; each series' labels sorted by name, and the series sorted by their
// labels' values.
func WriteText(w io.Writer, fams []Family) error {
	bw := bufio.NewWriter(w)
	fams = slices.Clone(fams)
	slices.SortStableFunc(fams, func(a, b Family) int { return strings.Compare(a.Name, b.Name) })
	var buf []byte
	for _, f := range fams {
		if len(f.Series) == 0 {
			continue
		}
		series := slices.Clone(f.Series)
		for i := range series {
			series[i].Labels = slices.Clone(series[i].Labels)
			slices.SortStableFunc(series[i].Labels, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
		}
		slices.SortStableFunc(series, func(a, b Series) int {
			for i := range min(len(a.Labels), len(b.Labels)) {
				if c := strings.Compare(a.Labels[i].Value, b.Labels[i].Value); c != 0 {
					return c
				}
			}
			return cmp.Compare(len(a.Labels), len(b.Labels))
		})
		buf = append(buf[:0], "# HELP "...)
		buf = append(buf, f.Name...)
		buf = append(buf, ' ')
		buf = appendEscaped(buf, f.Help, false)
		buf = append(buf, "\n# TYPE "...)
		buf = append(buf, f.Name...)
		buf = append(buf, ' ')
		buf = append(buf, f.Type...)
		buf = append(buf, '\n')
		for _, s := range series {
			switch f.Type {
			case "histogram":
				for i, b := range s.Bounds {
					buf = appendSample(buf, f.Name, "_bucket", s.Labels, "le", b, s.Cumulative[i])
				}
				buf = appendSample(buf, f.Name, "_bucket", s.Labels, "le", math.Inf(1), float64(s.Count))
				buf = appendSample(buf, f.Name, "_sum", s.Labels, "", 0, s.Sum)
				buf = appendSample(buf, f.Name, "_count", s.Labels, "", 0, float64(s.Count))
			case "summary":
				for _, q := range s.Quantiles {
					buf = appendSample(buf, f.Name, "", s.Labels, "quantile", q[0], q[1])
				}
				buf = appendSample(buf, f.Name, "_sum", s.Labels, "", 0, s.Sum)
				buf = appendSample(buf, f.Name, "_count", s.Labels, "", 0, float64(s.Count))
			default:
				buf = appendSample(buf, f.Name, "", s.Labels, "", 0, s.Value)
			}
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendSample appends a sample's line: name and suffix, the labels and
// the extra one (le, quantile; none if extra is ""), and the value.
func appendSample(buf []byte, name, suffix string, labels []Label, extra string, extraValue, v float64) []byte {
	buf = append(buf, name...)
	buf = append(buf, suffix...)
	sep := byte('{')
	for _, l := range labels {
		buf = append(buf, sep)
		buf = append(buf, l.Name...)
		buf = append(buf, '=', '"')
		buf = appendEscaped(buf, l.Value, true)
		buf = append(buf, '"')
		sep = ','
	}
	if extra != "" {
		buf = append(buf, sep)
		buf = append(buf, extra...)
		buf = append(buf, '=', '"')
		buf = appendFloat(buf, extraValue)
		buf = append(buf, '"')
		sep = ','
	}
	if sep == ',' {
		buf = append(buf, '}')
	}
	buf = append(buf, ' ')
	buf = appendFloat(buf, v)
	return append(buf, '\n')
}

// appendEscaped appends s with backslash and newline escaped, and the
// double quote if quoted (a label value's).
func appendEscaped(buf []byte, s string, quoted bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			buf = append(buf, `\\`...)
		case c == '\n':
			buf = append(buf, `\n`...)
		case c == '"' && quoted:
			buf = append(buf, `\"`...)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// appendFloat appends f as the text format writes a value: +Inf, -Inf,
// NaN, or Go's shortest form ('g').
func appendFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "+Inf"...)
	case math.IsInf(f, -1):
		return append(buf, "-Inf"...)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, 64)
}
