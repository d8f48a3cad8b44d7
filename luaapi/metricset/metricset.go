package metricset

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
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
// histogram, its buckets' upper bounds (nil: the client's defaults).
type Def struct {
	Name, Help string
	Kind       Kind
	Labels     []string
	Buckets    []float64
}

// Reserved are the prefixes of the names the metrics of sockrun itself,
// of Go's runtime and of the process have: a script's metric cannot take
// one.
var Reserved = []string{"sockrun_", "go_", "process_", "promhttp_"}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// Check returns an error saying what is wrong with d, nil if nothing is.
func (d *Def) Check() error {
	if !metricName.MatchString(d.Name) {
		return fmt.Errorf("metric name %q: want letters, digits, _ and :, not starting with a digit (requests_total)", d.Name)
	}
	for _, p := range Reserved {
		if strings.HasPrefix(d.Name, p) {
			return fmt.Errorf("metric name %q: names starting with %s are sockrun's own", d.Name, p)
		}
	}
	for i, l := range d.Labels {
		switch {
		case !labelName.MatchString(l):
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
	reg *prometheus.Registry

	mu     sync.Mutex
	byName map[string]*Metric
}

// New returns an empty set.
func New() *Set {
	return &Set{reg: prometheus.NewRegistry(), byName: map[string]*Metric{}}
}

// Gatherer is what a scrape reads.
func (s *Set) Gatherer() prometheus.Gatherer { return s.reg }

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
	m := &Metric{def: d}
	var c prometheus.Collector
	switch d.Kind {
	case Counter:
		m.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Name: d.Name, Help: d.Help}, d.Labels)
		c = m.counter
	case Gauge:
		m.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: d.Name, Help: d.Help}, d.Labels)
		c = m.gauge
	case Histogram:
		m.hist = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: d.Name, Help: d.Help, Buckets: d.Buckets}, d.Labels)
		c = m.hist
	}
	if err := s.reg.Register(c); err != nil {
		return nil, err
	}
	s.byName[d.Name] = m
	return m, nil
}

// Metric is one metric of a set, with its series, one per combination of
// its labels' values. Its methods are safe from any goroutine.
type Metric struct {
	def     Def
	counter *prometheus.CounterVec
	gauge   *prometheus.GaugeVec
	hist    *prometheus.HistogramVec
}

// Def is the metric's definition.
func (m *Metric) Def() Def { return m.def }

// Add adds v to the series of values (a counter's v must not be
// negative; a counter or a gauge).
func (m *Metric) Add(values []string, v float64) {
	switch m.def.Kind {
	case Counter:
		m.counter.WithLabelValues(values...).Add(v)
	case Gauge:
		m.gauge.WithLabelValues(values...).Add(v)
	}
}

// SetTo sets the gauge's series of values to v.
func (m *Metric) SetTo(values []string, v float64) {
	m.gauge.WithLabelValues(values...).Set(v)
}

// Observe adds v to the histogram's series of values.
func (m *Metric) Observe(values []string, v float64) {
	m.hist.WithLabelValues(values...).Observe(v)
}

// Value is the value of the series of values: a counter's or a gauge's
// value; a histogram's sum and count of observations. A series never
// touched is 0.
func (m *Metric) Value(values []string) (value float64, count uint64) {
	var pm prometheus.Metric
	switch m.def.Kind {
	case Counter:
		pm = m.counter.WithLabelValues(values...)
	case Gauge:
		pm = m.gauge.WithLabelValues(values...)
	case Histogram:
		pm = m.hist.WithLabelValues(values...).(prometheus.Metric)
	}
	var out dto.Metric
	if err := pm.Write(&out); err != nil {
		return 0, 0
	}
	switch {
	case out.Counter != nil:
		return out.Counter.GetValue(), 0
	case out.Gauge != nil:
		return out.Gauge.GetValue(), 0
	case out.Histogram != nil:
		return out.Histogram.GetSampleSum(), out.Histogram.GetSampleCount()
	}
	return 0, 0
}
