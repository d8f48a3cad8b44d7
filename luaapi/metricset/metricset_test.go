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
