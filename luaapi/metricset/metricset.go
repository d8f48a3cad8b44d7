package metricset

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Kind is the kind of a metric.
type Kind int

// The kinds of metrics a script defines.
const (
	Counter Kind = iota
	Gauge
	Histogram
)

func (k Kind) String() string {
	return [...]string{"counter", "gauge", "histogram"}[k]
}

// Def defines a metric: its name, help, kind, label names and, for a
// histogram, its buckets' upper bounds (none: DefaultBuckets).
type Def struct {
	Name, Help string
	Kind       Kind
	Labels     []string
	Buckets    []float64
}

// DefaultBuckets are a histogram's buckets when its definition gives
// none: Prometheus' Go client's (DefBuckets), for durations in seconds.
var DefaultBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Reserved are the prefixes of the names the metrics of sockrun itself,
// of Go's runtime and of the process have: a script's metric cannot take
// one.
var Reserved = []string{"sockrun_", "go_", "process_", "promhttp_"}

// metricName and labelName are compiled at their first use: at package
// level they would cost every run their compilation at start-up.
var (
	metricName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`) })
	labelName  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`) })
)

// Check returns an error saying what is wrong with d, nil if nothing is.
func (d *Def) Check() error {
	if !metricName().MatchString(d.Name) {
		return fmt.Errorf("metric name %q: want letters, digits, _ and :, not starting with a digit (requests_total)", d.Name)
	}
	for _, p := range Reserved {
		if strings.HasPrefix(d.Name, p) {
			return fmt.Errorf("metric name %q: names starting with %s are sockrun's own", d.Name, p)
		}
	}
	for i, l := range d.Labels {
		switch {
		case !labelName().MatchString(l):
			return fmt.Errorf("label name %q: want letters, digits and _, not starting with a digit (code)", l)
		case strings.HasPrefix(l, "__"):
			return fmt.Errorf("label name %q: names starting with __ are Prometheus' own", l)
		case d.Kind == Histogram && l == "le":
			return fmt.Errorf("label name \"le\": a histogram's buckets are labelled le")
		case slices.Contains(d.Labels[:i], l):
			return fmt.Errorf("label name %q given twice", l)
		}
	}
	for i, b := range d.Buckets {
		if math.IsNaN(b) {
			return fmt.Errorf("bucket %d is NaN", i+1)
		}
		if i > 0 && b <= d.Buckets[i-1] {
			return fmt.Errorf("buckets must increase: %g after %g", b, d.Buckets[i-1])
		}
	}
	return nil
}

// same reports whether d and o define the same metric.
func (d *Def) same(o *Def) bool {
	return d.Name == o.Name && d.Help == o.Help && d.Kind == o.Kind &&
		slices.Equal(d.Labels, o.Labels) && slices.Equal(d.Buckets, o.Buckets)
}

// describe is d as an error message names it: "counter with labels
// code, method".
func (d *Def) describe() string {
	s := d.Kind.String()
	if len(d.Labels) == 0 {
		return s + " with no labels"
	}
	return s + " with labels " + strings.Join(d.Labels, ", ")
}

// Set is the script metrics of a process.
type Set struct {
	mu     sync.Mutex
	byName map[string]*Metric
}

// New returns an empty set.
func New() *Set {
	return &Set{byName: map[string]*Metric{}}
}

// Families are the set's metrics as a scrape shows them now.
func (s *Set) Families() []Family {
	s.mu.Lock()
	ms := make([]*Metric, 0, len(s.byName))
	for _, m := range s.byName {
		ms = append(ms, m)
	}
	s.mu.Unlock()
	fams := make([]Family, 0, len(ms))
	for _, m := range ms {
		fams = append(fams, m.family())
	}
	return fams
}

// Define returns the metric d defines: a new one, or the one already
// defined alike (another worker of the process ran the same line). A
// name already defined otherwise is an error saying how.
func (s *Set) Define(d Def) (*Metric, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	d.Labels = slices.Clone(d.Labels)
	d.Buckets = slices.Clone(d.Buckets)
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.byName[d.Name]; m != nil {
		if !m.def.same(&d) {
			return nil, fmt.Errorf("%q is already defined as a %s; this one would be a %s", d.Name, m.def.describe(), d.describe())
		}
		return m, nil
	}
	m := &Metric{def: d, series: map[string]*series{}}
	if d.Kind == Histogram {
		m.bounds = d.Buckets
		if len(m.bounds) == 0 {
			m.bounds = DefaultBuckets
		}
		// +Inf is every histogram's last bucket: a bound of +Inf given
		// is that one.
		if n := len(m.bounds); math.IsInf(m.bounds[n-1], 1) {
			m.bounds = m.bounds[:n-1]
		}
	}
	s.byName[d.Name] = m
	return m, nil
}

// Metric is one metric of a set, with its series, one per combination of
// its labels' values. Its methods are safe from any goroutine.
type Metric struct {
	def    Def
	bounds []float64 // a histogram's buckets' upper bounds, +Inf left out

	mu     sync.RWMutex
	series map[string]*series // by the labels' values, joined by 0xff
}

// series is one series of a metric. A counter keeps what it was added in
// whole numbers apart from the rest, as Prometheus' Go client does, so
// that its value is exact however many it counts.
type series struct {
	values []string

	mu      sync.Mutex
	whole   uint64   // a counter's whole-number additions
	value   float64  // a counter's other additions; a gauge's value; a histogram's sum
	buckets []uint64 // a histogram's observations per bucket, the last one +Inf's
	count   uint64   // a histogram's observations
}

// Def is the metric's definition.
func (m *Metric) Def() Def { return m.def }

// Kind is the metric's kind.
func (m *Metric) Kind() Kind { return m.def.Kind }

// get is the series of values, made if it is new. A value that is not
// UTF-8 panics with the error Prometheus' Go client panics with, which
// the script sees raised.
func (m *Metric) get(values []string) *series {
	key := strings.Join(values, "\xff")
	m.mu.RLock()
	s := m.series[key]
	m.mu.RUnlock()
	if s != nil {
		return s
	}
	if len(values) != len(m.def.Labels) {
		panic(fmt.Errorf("inconsistent label cardinality: expected %d label values but got %d in %#v", len(m.def.Labels), len(values), values))
	}
	for _, v := range values {
		if !utf8.ValidString(v) {
			panic(fmt.Errorf("label value %q is not valid UTF-8", v))
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s = m.series[key]; s == nil {
		s = &series{values: slices.Clone(values)}
		if m.def.Kind == Histogram {
			s.buckets = make([]uint64, len(m.bounds)+1)
		}
		m.series[key] = s
	}
	return s
}

// Handle is one series of a metric, bound to its labels' values: its
// updates look nothing up. A set never drops a series, so a handle stays
// good for the set's life; it is safe from any goroutine, and handles of
// the same series (two workers binding the same values) update one
// series.
type Handle struct {
	m *Metric
	s *series
}

// Handle is the handle of the series of values, made if it is new: from
// then on a scrape shows it, at 0 until it is updated, as Prometheus'
// clients show a series once it is bound (WithLabelValues). A value that
// is not UTF-8, or a count of values other than the metric's labels',
// panics as get does.
func (m *Metric) Handle(values []string) Handle {
	return Handle{m, m.get(values)}
}

// Metric is the metric h is a series of.
func (h Handle) Metric() *Metric { return h.m }

// Values are the values of h's labels, in the order of the metric's
// label names. The caller must not change them.
func (h Handle) Values() []string { return h.s.values }

// Add adds v to the series (a counter's v must not be negative; a
// counter or a gauge).
func (h Handle) Add(v float64) {
	s := h.s
	s.mu.Lock()
	if w := uint64(v); h.m.def.Kind == Counter && float64(w) == v {
		s.whole += w
	} else {
		s.value += v
	}
	s.mu.Unlock()
}

// SetTo sets the gauge's series to v.
func (h Handle) SetTo(v float64) {
	s := h.s
	s.mu.Lock()
	s.value = v
	s.mu.Unlock()
}

// Observe adds v to the histogram's series: it counts v in the first
// bucket whose bound is v or more.
func (h Handle) Observe(v float64) {
	s := h.s
	i, _ := slices.BinarySearch(h.m.bounds, v)
	s.mu.Lock()
	s.buckets[i]++
	s.count++
	s.value += v
	s.mu.Unlock()
}

// Value is the series' value: a counter's or a gauge's value; a
// histogram's sum and count of observations.
func (h Handle) Value() (value float64, count uint64) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return float64(s.whole) + s.value, s.count
}

// Add adds v to the series of values (a counter's v must not be
// negative; a counter or a gauge).
func (m *Metric) Add(values []string, v float64) { m.Handle(values).Add(v) }

// SetTo sets the gauge's series of values to v.
func (m *Metric) SetTo(values []string, v float64) { m.Handle(values).SetTo(v) }

// Observe adds v to the histogram's series of values.
func (m *Metric) Observe(values []string, v float64) { m.Handle(values).Observe(v) }

// Value is the value of the series of values, as Handle.Value; a series
// never touched is 0 (and is made: a scrape shows it from then on).
func (m *Metric) Value(values []string) (value float64, count uint64) {
	return m.Handle(values).Value()
}

// family is the metric as a scrape shows it now.
func (m *Metric) family() Family {
	f := Family{Name: m.def.Name, Help: m.def.Help, Type: m.def.Kind.String()}
	m.mu.RLock()
	all := make([]*series, 0, len(m.series))
	for _, s := range m.series {
		all = append(all, s)
	}
	m.mu.RUnlock()
	for _, s := range all {
		out := Series{Labels: make([]Label, len(s.values))}
		for i, v := range s.values {
			out.Labels[i] = Label{m.def.Labels[i], v}
		}
		s.mu.Lock()
		out.Value = float64(s.whole) + s.value
		if m.def.Kind == Histogram {
			out.Bounds = m.bounds
			out.Cumulative = make([]float64, len(m.bounds))
			var n uint64
			for i := range m.bounds {
				n += s.buckets[i]
				out.Cumulative[i] = float64(n)
			}
			out.Sum, out.Count = s.value, s.count
		}
		s.mu.Unlock()
		f.Series = append(f.Series, out)
	}
	return f
}
