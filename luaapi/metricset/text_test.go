package metricset

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestWriteText: a scrape of a set is the text the Go client wrote for
// the same metrics (families and series sorted, labels escaped, the +Inf
// bucket, a family without series left out), and Prometheus' own parser
// reads back the values counted.
func TestWriteText(t *testing.T) {
	s := New()
	def := func(d Def) *Metric {
		m, err := s.Define(d)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	c := def(Def{Name: "demo_total", Help: "a \\ demo\nhelp", Kind: Counter, Labels: []string{"method", "code"}})
	c.Add([]string{"POST", "404"}, 2.5)
	c.Add([]string{"G\"E\nT\\", "200"}, 1)
	g := def(Def{Name: "demo_gauge", Help: "g", Kind: Gauge})
	g.SetTo(nil, -3)
	h := def(Def{Name: "demo_seconds", Help: "h", Kind: Histogram, Labels: []string{"k"}, Buckets: []float64{0.1, 1, 10, math.Inf(1)}})
	h.Observe([]string{"a"}, 0.5)
	h.Observe([]string{"a"}, 20)
	h2 := def(Def{Name: "demo2_seconds", Help: "h2", Kind: Histogram})
	h2.Observe(nil, 0.003)
	def(Def{Name: "a_gauge", Help: "never set", Kind: Gauge, Labels: []string{"x"}})
	big := def(Def{Name: "big_total", Help: "whole and fractional", Kind: Counter})
	big.Add(nil, 1e6)
	big.Add(nil, 0.25)

	var out bytes.Buffer
	if err := WriteText(&out, s.Families()); err != nil {
		t.Fatal(err)
	}
	// What Prometheus' Go client (client_golang 1.25, promhttp) served
	// for the same definitions and calls.
	want := `# HELP big_total whole and fractional
# TYPE big_total counter
big_total 1.00000025e+06
# HELP demo2_seconds h2
# TYPE demo2_seconds histogram
demo2_seconds_bucket{le="0.005"} 1
demo2_seconds_bucket{le="0.01"} 1
demo2_seconds_bucket{le="0.025"} 1
demo2_seconds_bucket{le="0.05"} 1
demo2_seconds_bucket{le="0.1"} 1
demo2_seconds_bucket{le="0.25"} 1
demo2_seconds_bucket{le="0.5"} 1
demo2_seconds_bucket{le="1"} 1
demo2_seconds_bucket{le="2.5"} 1
demo2_seconds_bucket{le="5"} 1
demo2_seconds_bucket{le="10"} 1
demo2_seconds_bucket{le="+Inf"} 1
demo2_seconds_sum 0.003
demo2_seconds_count 1
# HELP demo_gauge g
# TYPE demo_gauge gauge
demo_gauge -3
# HELP demo_seconds h
# TYPE demo_seconds histogram
demo_seconds_bucket{k="a",le="0.1"} 0
demo_seconds_bucket{k="a",le="1"} 1
demo_seconds_bucket{k="a",le="10"} 1
demo_seconds_bucket{k="a",le="+Inf"} 2
demo_seconds_sum{k="a"} 20.5
demo_seconds_count{k="a"} 2
# HELP demo_total a \\ demo\nhelp
# TYPE demo_total counter
demo_total{code="200",method="G\"E\nT\\"} 1
demo_total{code="404",method="POST"} 2.5
`
	if got := out.String(); got != want {
		t.Errorf("scrape:\n%s\nwant:\n%s", got, want)
	}

	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(out.String()))
	if err != nil {
		t.Fatalf("Prometheus' parser: %v", err)
	}
	if v := fams["demo_total"].GetMetric()[0].GetCounter().GetValue(); v != 1 {
		t.Errorf("demo_total{code=200} = %v, want 1", v)
	}
	if lv := fams["demo_total"].GetMetric()[0].GetLabel()[1].GetValue(); lv != "G\"E\nT\\" {
		t.Errorf("label value read back %q", lv)
	}
	hist := fams["demo_seconds"].GetMetric()[0].GetHistogram()
	if hist.GetSampleCount() != 2 || hist.GetSampleSum() != 20.5 || len(hist.GetBucket()) != 4 {
		t.Errorf("demo_seconds read back: %v", hist)
	}
	if fams["go_info"] != nil || fams["a_gauge"] != nil {
		t.Errorf("families that should not be there: %v", fams)
	}
}

// TestLabelNotUTF8: a label value that is not UTF-8 raises what the Go
// client raised.
func TestLabelNotUTF8(t *testing.T) {
	m, err := New().Define(Def{Name: "x_total", Kind: Counter, Labels: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err, _ := recover().(error); err == nil || err.Error() != `label value "\xff" is not valid UTF-8` {
			t.Errorf("recovered %v", err)
		}
	}()
	m.Add([]string{"\xff"}, 1)
}
