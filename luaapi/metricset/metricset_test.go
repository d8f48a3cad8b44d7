package metricset

import (
	"strings"
	"testing"
)

// TestDefineShared: a definition made twice alike (two workers running
// the same line) gives the same metric; one made otherwise is an error
// naming both; a gather reads what was counted.
func TestDefineShared(t *testing.T) {
	s := New()
	d := Def{Name: "requests_total", Help: "h", Kind: Counter, Labels: []string{"code"}}
	a, err := s.Define(d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Define(d)
	if err != nil || a != b {
		t.Fatalf("the same definition again: %v, %v; want the same metric", b, err)
	}
	a.Add([]string{"200"}, 2)
	b.Add([]string{"200"}, 1)
	if v, _ := a.Value([]string{"200"}); v != 3 {
		t.Errorf("value %v, want 3", v)
	}
	_, err = s.Define(Def{Name: "requests_total", Help: "h", Kind: Gauge})
	if err == nil || !strings.Contains(err.Error(), `"requests_total" is already defined as a counter with labels code; this one would be a gauge with no labels`) {
		t.Errorf("another definition: %v", err)
	}
	fams := s.Families()
	if len(fams) != 1 || fams[0].Name != "requests_total" || len(fams[0].Series) != 1 || fams[0].Series[0].Value != 3 {
		t.Errorf("families: %+v", fams)
	}
}

// TestDefCheck: names and labels as Prometheus takes them, and none of
// sockrun's own prefixes.
func TestDefCheck(t *testing.T) {
	for _, c := range []struct {
		d    Def
		want string
	}{
		{Def{Name: "ok:name_1"}, ""},
		{Def{Name: ""}, "metric name"},
		{Def{Name: "go_thing"}, "sockrun's own"},
		{Def{Name: "x", Labels: []string{"a", "a"}}, "given twice"},
		{Def{Name: "x", Kind: Histogram, Labels: []string{"le"}}, "labelled le"},
		{Def{Name: "x", Kind: Histogram, Buckets: []float64{1, 1}}, "must increase"},
	} {
		err := c.d.Check()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Check(%+v) = %v, want %q", c.d, err, c.want)
		}
	}
}

// TestHandle: a handle is its series, bound: a gather shows the series
// from the moment it is bound, at 0; two handles of the same values (two
// workers) update one series, with the metric's own methods; updates
// from many goroutines all count.
func TestHandle(t *testing.T) {
	s := New()
	c, _ := s.Define(Def{Name: "req_total", Help: "h", Kind: Counter, Labels: []string{"method", "status"}})
	a := c.Handle([]string{"GET", "200"})
	fams := s.Families()
	if len(fams) != 1 || len(fams[0].Series) != 1 || fams[0].Series[0].Value != 0 ||
		fams[0].Series[0].Labels[1] != (Label{"status", "200"}) {
		t.Fatalf("a series bound and not updated: %+v, want it at 0", fams)
	}
	b := c.Handle([]string{"GET", "200"})
	done := make(chan bool)
	for range 4 {
		go func() {
			for range 1000 {
				a.Add(1)
				b.Add(0.5)
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	c.Add([]string{"GET", "200"}, 1)
	if v, _ := b.Value(); v != 6001 {
		t.Errorf("value %v, want 6001", v)
	}
	if got := a.Values(); len(got) != 2 || got[0] != "GET" || got[1] != "200" || a.Metric() != c {
		t.Errorf("values %q, metric %p; want GET 200 of %p", got, a.Metric(), c)
	}

	h, _ := s.Define(Def{Name: "seconds", Help: "h", Kind: Histogram, Buckets: []float64{0.1, 1}})
	hh := h.Handle(nil)
	hh.Observe(0.05)
	hh.Observe(5)
	if sum, n := h.Value(nil); sum != 5.05 || n != 2 {
		t.Errorf("histogram: sum %v, count %d; want 5.05, 2", sum, n)
	}
	g, _ := s.Define(Def{Name: "open", Help: "h", Kind: Gauge})
	gh := g.Handle(nil)
	gh.SetTo(3)
	gh.Add(-1)
	if v, _ := gh.Value(); v != 2 {
		t.Errorf("gauge %v, want 2", v)
	}
}
