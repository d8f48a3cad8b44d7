package metricsmod

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/lua51"
	"github.com/sockrun/sockrun/luaapi/metricset"
	lua "github.com/yuin/gopher-lua"
)

// Metrics is the metrics module's state in one VM: the run's set of
// metrics, and where this VM defined each of its names.
type Metrics struct {
	set *metricset.Set
	// defined is where each name was defined in this VM (file:line):
	// touched with the interpreter lock held.
	defined map[string]string
}

// newMetrics is the metrics module's instance: Config.Metrics, or a set of
// the VM's own.
func newMetrics(vm *api.VM) any {
	set := vm.Config().Metrics
	if set == nil {
		set = metricset.New()
	}
	return &Metrics{set: set, defined: map[string]string{}}
}

// metric is a metric object as a script holds it.
type metric struct {
	m *metricset.Metric
}

// ObjectType implements api.Object: "counter", "gauge" or "histogram".
func (o *metric) ObjectType() string { return o.m.Def().Kind.String() }

const (
	counterMeta   = "metrics.counter"
	gaugeMeta     = "metrics.gauge"
	histogramMeta = "metrics.histogram"

	counterSeriesMeta   = "metrics.counter_series"
	gaugeSeriesMeta     = "metrics.gauge_series"
	histogramSeriesMeta = "metrics.histogram_series"
)

// labelsKind is the labels argument of the methods: a table of each label's
// value.
var labelsKind = api.T("table<string, string|number>").Named("labels")

var counterType = &api.Type{
	Name:    "counter",
	Meta:    counterMeta,
	Summary: "a metric that only goes up: requests served, bytes, errors",
	Methods: func() []api.Func {
		return []api.Func{
			api.Fn("inc", "c:inc([labels])", "adds 1 to the series of labels", counterInc).
				Params(labelsKind),
			api.Fn("add", "c:add(n [, labels])", "adds n (0 or more) to the series of labels", counterAdd).
				Params(api.Num, labelsKind),
			api.Fn("value", "c:value([labels])", "the series' value: 0 if never touched", metricValue).
				Params(labelsKind).Returns(api.Num),
			api.Fn("labels", "c:labels([labels])", "the series of labels, bound: a counter series, whose inc, add and value take no labels; a scrape shows it from now on", metricLabels).
				Params(labelsKind).Returns(api.Obj(counterSeriesMeta)),
		}
	},
	Metamethods: map[string]lua.LGFunction{"__tostring": metricTostring},
}

var gaugeType = &api.Type{
	Name:    "gauge",
	Meta:    gaugeMeta,
	Summary: "a metric that goes up and down: connections open, queue length",
	Methods: func() []api.Func {
		return []api.Func{
			api.Fn("set", "g:set(v [, labels])", "sets the series of labels to v", gaugeSet).
				Params(api.Num, labelsKind),
			api.Fn("inc", "g:inc([labels])", "adds 1 to the series of labels", gaugeInc).
				Params(labelsKind),
			api.Fn("dec", "g:dec([labels])", "takes 1 from the series of labels", gaugeDec).
				Params(labelsKind),
			api.Fn("add", "g:add(n [, labels])", "adds n (negative takes away) to the series of labels", gaugeAdd).
				Params(api.Num, labelsKind),
			api.Fn("value", "g:value([labels])", "the series' value: 0 if never touched", metricValue).
				Params(labelsKind).Returns(api.Num),
			api.Fn("labels", "g:labels([labels])", "the series of labels, bound: a gauge series, whose set, inc, dec, add and value take no labels; a scrape shows it from now on", metricLabels).
				Params(labelsKind).Returns(api.Obj(gaugeSeriesMeta)),
		}
	},
	Metamethods: map[string]lua.LGFunction{"__tostring": metricTostring},
}

var histogramType = &api.Type{
	Name:    "histogram",
	Meta:    histogramMeta,
	Summary: "a metric that counts observations in buckets: latencies, sizes",
	Methods: func() []api.Func {
		return []api.Func{
			api.Fn("observe", "h:observe(v [, labels])", "counts v in its bucket of the series of labels", histogramObserve).
				Params(api.Num, labelsKind),
			api.Fn("value", "h:value([labels])", "the series' sum of observations and their count", metricValue).
				Params(labelsKind).Returns(api.Num.Named("sum"), api.Int.Named("count")),
			api.Fn("labels", "h:labels([labels])", "the series of labels, bound: a histogram series, whose observe and value take no labels; a scrape shows it from now on", metricLabels).
				Params(labelsKind).Returns(api.Obj(histogramSeriesMeta)),
		}
	},
	Metamethods: map[string]lua.LGFunction{"__tostring": metricTostring},
}

// The types of the series m:labels returns: a metric's methods, bound to
// the labels' values.
var counterSeriesType = &api.Type{
	Name:    "counter_series",
	Meta:    counterSeriesMeta,
	Summary: "one series of a counter, bound to its labels' values by c:labels: updated without looking them up",
	Methods: func() []api.Func {
		return []api.Func{
			api.Fn("inc", "cs:inc()", "adds 1 to the series", counterSeriesInc),
			api.Fn("add", "cs:add(n)", "adds n (0 or more) to the series", counterSeriesAdd).
				Params(api.Num),
			api.Fn("value", "cs:value()", "the series' value", seriesValue(metricset.Counter, "cs")).
				Returns(api.Num),
		}
	},
	Metamethods: map[string]lua.LGFunction{"__tostring": seriesTostring},
}

var gaugeSeriesType = &api.Type{
	Name:    "gauge_series",
	Meta:    gaugeSeriesMeta,
	Summary: "one series of a gauge, bound to its labels' values by g:labels: updated without looking them up",
	Methods: func() []api.Func {
		return []api.Func{
			api.Fn("set", "gs:set(v)", "sets the series to v", gaugeSeriesSet).
				Params(api.Num),
			api.Fn("inc", "gs:inc()", "adds 1 to the series", gaugeSeriesInc),
			api.Fn("dec", "gs:dec()", "takes 1 from the series", gaugeSeriesDec),
			api.Fn("add", "gs:add(n)", "adds n (negative takes away) to the series", gaugeSeriesAdd).
				Params(api.Num),
			api.Fn("value", "gs:value()", "the series' value", seriesValue(metricset.Gauge, "gs")).
				Returns(api.Num),
		}
	},
	Metamethods: map[string]lua.LGFunction{"__tostring": seriesTostring},
}

var histogramSeriesType = &api.Type{
	Name:    "histogram_series",
	Meta:    histogramSeriesMeta,
	Summary: "one series of a histogram, bound to its labels' values by h:labels: updated without looking them up",
	Methods: func() []api.Func {
		return []api.Func{
			api.Fn("observe", "hs:observe(v)", "counts v in its bucket of the series", histogramSeriesObserve).
				Params(api.Num),
			api.Fn("value", "hs:value()", "the series' sum of observations and their count", seriesValue(metricset.Histogram, "hs")).
				Returns(api.Num.Named("sum"), api.Int.Named("count")),
		}
	},
	Metamethods: map[string]lua.LGFunction{"__tostring": seriesTostring},
}

func init() {
	api.Register(&api.Module{
		Name:    "metrics",
		Summary: "counters, gauges and histograms with labels, served to Prometheus by --metrics",
		Doc:     "docs/metrics.md",
		New:     newMetrics,
		Funcs: []api.Func{
			api.Method("counter", "metrics.counter(name, help [, labels])", "defines a counter with the label names given", (*Metrics).defineCounter).
				Params(api.Str, api.Str, api.T("string[]")).Returns(api.Obj(counterMeta)),
			api.Method("gauge", "metrics.gauge(name, help [, labels])", "defines a gauge with the label names given", (*Metrics).defineGauge).
				Params(api.Str, api.Str, api.T("string[]")).Returns(api.Obj(gaugeMeta)),
			api.Method("histogram", "metrics.histogram(name, help [, labels [, buckets]])", "defines a histogram with the label names and bucket bounds given", (*Metrics).defineHistogram).
				Params(api.Str, api.Str, api.T("string[]"), api.T("number[]")).Returns(api.Obj(histogramMeta)),
		},
		Types: []*api.Type{counterType, gaugeType, histogramType, counterSeriesType, gaugeSeriesType, histogramSeriesType},
	})
}

func (ms *Metrics) defineCounter(L *lua.LState) int {
	return ms.define(L, "counter", metricset.Counter, counterMeta)
}

func (ms *Metrics) defineGauge(L *lua.LState) int {
	return ms.define(L, "gauge", metricset.Gauge, gaugeMeta)
}

func (ms *Metrics) defineHistogram(L *lua.LState) int {
	return ms.define(L, "histogram", metricset.Histogram, histogramMeta)
}

// define is metrics.counter, gauge and histogram (fn, of kind, an object
// of metatable meta): name, help, the optional list of label names, and a
// histogram's optional list of bucket bounds. It returns the metric
// object. A name defined already in this VM raises, saying where; one
// another worker defined alike is shared, one defined otherwise raises.
func (ms *Metrics) define(L *lua.LState, fn string, kind metricset.Kind, meta string) int {
	d := metricset.Def{Kind: kind}
	d.Name = api.CheckString(L, 1, fn)
	d.Help = api.CheckString(L, 2, fn)
	d.Labels = checkList(L, 3, fn, "label names", func(v lua.LValue) (string, bool) {
		s, ok := v.(lua.LString)
		return string(s), ok
	}, "string")
	if kind == metricset.Histogram {
		d.Buckets = checkList(L, 4, fn, "bucket bounds", func(v lua.LValue) (float64, bool) {
			n, ok := v.(lua.LNumber)
			return float64(n), ok
		}, "number")
	} else if L.GetTop() > 3 {
		api.ArgError(L, 4, fn, "a "+kind.String()+" takes no buckets: only a histogram does")
	}
	if err := d.Check(); err != nil {
		n := 1
		switch {
		case strings.HasPrefix(err.Error(), "label"):
			n = 3
		case strings.HasPrefix(err.Error(), "bucket"):
			n = 4
		}
		api.ArgError(L, n, fn, err.Error())
	}
	if where, ok := ms.defined[d.Name]; ok {
		if where != "" {
			where = " at " + where
		}
		api.Misuse(L, "metric %q is already defined%s: define it once and keep the object (%s)", d.Name, where, fn)
	}
	m, err := ms.set.Define(d)
	if err != nil {
		api.Misuse(L, "metric %s (%s)", err, fn)
	}
	ms.defined[d.Name] = api.ScriptWhere(L)
	L.Push(api.NewObject(L, &metric{m: m}, meta))
	return 1
}

// checkList reads the optional list argument n of fn (what it lists), each
// item as conv reads it (want names its type for the message).
func checkList[T any](L *lua.LState, n int, fn, what string, conv func(lua.LValue) (T, bool), want string) []T {
	v := L.Get(n)
	if v == lua.LNil {
		return nil
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		api.ArgError(L, n, fn, "list of "+what+" expected, got "+api.TypeName(v))
	}
	size := t.Len()
	out := make([]T, 0, size)
	for i := 1; i <= size; i++ {
		item, ok := conv(t.RawGetInt(i))
		if !ok {
			api.ArgError(L, n, fn, fmt.Sprintf("item %d of the %s: %s expected, got %s", i, what, want, api.TypeName(t.RawGetInt(i))))
		}
		out = append(out, item)
	}
	return out
}

// checkMetric is the metric a method fn was called on, of type ty.
func checkMetric(L *lua.LState, fn, ty, short string) *metric {
	o := api.CheckSelf[*metric](L, fn, ty, short)
	if k := o.m.Def().Kind.String(); k != ty {
		api.Misuse(L, "bad self to '%s' (%s expected, got %s; call it as %s:%s(...))", fn, ty, k, short, fn)
	}
	return o
}

// labelValues reads the labels argument n of method fn (counted after
// self) of o: a table with a value for each of its label names, strings
// or numbers, and no other key; nil or absent for a metric without
// labels.
func labelValues(L *lua.LState, o *metric, n int, fn string) []string {
	d := o.m.Def()
	v := L.Get(n + 1)
	if v == lua.LNil {
		if len(d.Labels) > 0 {
			api.ArgError(L, n, fn, fmt.Sprintf("labels expected: %s has labels %s, give a table such as {%s=...}", d.Name, strings.Join(d.Labels, ", "), d.Labels[0]))
		}
		return nil
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		api.ArgError(L, n, fn, "table of labels expected, got "+api.TypeName(v))
	}
	values := make([]string, len(d.Labels))
	found := 0
	t.ForEach(func(k, val lua.LValue) {
		name, _ := k.(lua.LString)
		i := slices.Index(d.Labels, string(name))
		if i < 0 || k.Type() != lua.LTString {
			api.ArgError(L, n, fn, unknownLabel(d, k))
		}
		switch val := val.(type) {
		case lua.LString:
			if !utf8.ValidString(string(val)) {
				api.ArgError(L, n, fn, fmt.Sprintf("label %s: value %q is not valid UTF-8; Prometheus' text format is UTF-8", name, string(val)))
			}
			values[i] = string(val)
		case lua.LNumber:
			values[i] = lua51.FormatNumber(float64(val))
		default:
			api.ArgError(L, n, fn, fmt.Sprintf("label %s: string or number expected, got %s", name, api.TypeName(val)))
		}
		found++
	})
	if found < len(d.Labels) {
		for _, l := range d.Labels {
			if t.RawGetString(l) == lua.LNil {
				api.ArgError(L, n, fn, fmt.Sprintf("label %s missing: %s has labels %s", l, d.Name, strings.Join(d.Labels, ", ")))
			}
		}
	}
	return values
}

// unknownLabel says that key is not a label of d, suggesting a close one.
func unknownLabel(d metricset.Def, key lua.LValue) string {
	name, ok := key.(lua.LString)
	if !ok {
		return fmt.Sprintf("labels are named: got a key %s", api.ValueDesc(key))
	}
	if len(d.Labels) == 0 {
		return fmt.Sprintf("%s has no labels, got label %s", d.Name, name)
	}
	msg := fmt.Sprintf("%s has no label %s (its labels: %s)", d.Name, name, strings.Join(d.Labels, ", "))
	best, bestD := "", 3
	for _, l := range d.Labels {
		if e := api.EditDistance(strings.ToLower(string(name)), strings.ToLower(l)); e < bestD {
			best, bestD = l, e
		}
	}
	if best != "" && bestD <= max(1, len(best)/3) {
		msg += "; did you mean " + best + "?"
	}
	return msg
}

// checkAmount reads the number argument n of method fn (after self).
func checkAmount(L *lua.LState, n int, fn string) float64 {
	return float64(api.CheckNumber(L, n+1, fn, 1))
}

// counterInc is c:inc([labels]): adds 1 to the series of the labels'
// values.
func counterInc(L *lua.LState) int {
	o := checkMetric(L, "inc", "counter", "c")
	o.m.Add(labelValues(L, o, 1, "inc"), 1)
	return 0
}

// counterAdd is c:add(n [, labels]): adds n, 0 or more, to the series of
// the labels' values.
func counterAdd(L *lua.LState) int {
	o := checkMetric(L, "add", "counter", "c")
	n := checkAmount(L, 1, "add")
	if n < 0 || math.IsNaN(n) {
		api.ArgError(L, 1, "add", fmt.Sprintf("a counter only goes up: got %s; use a gauge for a value that goes down", lua51.FormatNumber(n)))
	}
	o.m.Add(labelValues(L, o, 2, "add"), n)
	return 0
}

// gaugeSet is g:set(v [, labels]): sets the series of the labels' values
// to v.
func gaugeSet(L *lua.LState) int {
	o := checkMetric(L, "set", "gauge", "g")
	v := checkAmount(L, 1, "set")
	o.m.SetTo(labelValues(L, o, 2, "set"), v)
	return 0
}

// gaugeInc is g:inc([labels]): adds 1.
func gaugeInc(L *lua.LState) int {
	o := checkMetric(L, "inc", "gauge", "g")
	o.m.Add(labelValues(L, o, 1, "inc"), 1)
	return 0
}

// gaugeDec is g:dec([labels]): takes 1 away.
func gaugeDec(L *lua.LState) int {
	o := checkMetric(L, "dec", "gauge", "g")
	o.m.Add(labelValues(L, o, 1, "dec"), -1)
	return 0
}

// gaugeAdd is g:add(n [, labels]): adds n, which may be negative.
func gaugeAdd(L *lua.LState) int {
	o := checkMetric(L, "add", "gauge", "g")
	n := checkAmount(L, 1, "add")
	o.m.Add(labelValues(L, o, 2, "add"), n)
	return 0
}

// histogramObserve is h:observe(v [, labels]): counts v in the first
// bucket whose bound is v or more, and adds it to the sum, of the series
// of the labels' values.
func histogramObserve(L *lua.LState) int {
	o := checkMetric(L, "observe", "histogram", "h")
	v := checkAmount(L, 1, "observe")
	if math.IsNaN(v) {
		api.ArgError(L, 1, "observe", "a number expected, got nan")
	}
	o.m.Observe(labelValues(L, o, 2, "observe"), v)
	return 0
}

// metricValue is c:value([labels]), g:value and h:value: the value of the
// series of the labels' values, as a scrape would read it now; a
// histogram's sum and count.
func metricValue(L *lua.LState) int {
	o := api.CheckSelf[*metric](L, "value", "metric", "m")
	v, count := o.m.Value(labelValues(L, o, 1, "value"))
	L.Push(lua.LNumber(v))
	if o.m.Def().Kind == metricset.Histogram {
		L.Push(lua.LNumber(count))
		return 2
	}
	return 1
}

// metricTostring is tostring(m): <counter requests_total{code,method}>.
func metricTostring(L *lua.LState) int {
	o := api.CheckSelf[*metric](L, "__tostring", "metric", "m")
	d := o.m.Def()
	s := "<" + d.Kind.String() + " " + d.Name
	if len(d.Labels) > 0 {
		s += "{" + strings.Join(d.Labels, ",") + "}"
	}
	L.Push(lua.LString(s + ">"))
	return 1
}

// series is a bound series as a script holds it: what m:labels returns.
type series struct {
	h metricset.Handle
}

// ObjectType implements api.Object: "counter series", "gauge series" or
// "histogram series".
func (o *series) ObjectType() string { return seriesNames[o.h.Metric().Kind()] }

// seriesMetas are the series' metatables, and seriesNames what messages
// call them, by kind: made once, not at every call.
var (
	seriesMetas = [...]string{metricset.Counter: counterSeriesMeta, metricset.Gauge: gaugeSeriesMeta, metricset.Histogram: histogramSeriesMeta}
	seriesNames = [...]string{metricset.Counter: "counter series", metricset.Gauge: "gauge series", metricset.Histogram: "histogram series"}
)

// metricLabels is c:labels(labels), g:labels and h:labels: the series of
// the labels' values, bound. The series is made now if it is new, so a
// scrape shows it from now on, at 0, as Prometheus' clients do.
func metricLabels(L *lua.LState) int {
	o := api.CheckSelf[*metric](L, "labels", "metric", "m")
	h := o.m.Handle(labelValues(L, o, 1, "labels"))
	L.Push(api.NewObject(L, &series{h: h}, seriesMetas[o.m.Kind()]))
	return 1
}

// checkSeries is the series of kind a method fn (of n arguments after
// self) was called on, short its name in the docs ("cs"). An argument
// after those is an error: a series' labels are bound, and a labels
// table given as to the metric's method would be ignored.
func checkSeries(L *lua.LState, fn string, kind metricset.Kind, short string, n int) metricset.Handle {
	o := api.CheckSelf[*series](L, fn, seriesNames[kind], short)
	if k := o.h.Metric().Kind(); k != kind {
		api.Misuse(L, "bad self to '%s' (%s expected, got %s; call it as %s:%s(...))", fn, seriesNames[kind], seriesNames[k], short, fn)
	}
	if L.GetTop() > n+1 && L.Get(n+2) != lua.LNil {
		api.ArgError(L, n+1, fn, "a series takes no labels: its labels were given to labels(), got "+api.TypeName(L.Get(n+2)))
	}
	return o.h
}

// counterSeriesInc is cs:inc(): adds 1.
func counterSeriesInc(L *lua.LState) int {
	checkSeries(L, "inc", metricset.Counter, "cs", 0).Add(1)
	return 0
}

// counterSeriesAdd is cs:add(n): adds n, 0 or more.
func counterSeriesAdd(L *lua.LState) int {
	h := checkSeries(L, "add", metricset.Counter, "cs", 1)
	n := checkAmount(L, 1, "add")
	if n < 0 || math.IsNaN(n) {
		api.ArgError(L, 1, "add", fmt.Sprintf("a counter only goes up: got %s; use a gauge for a value that goes down", lua51.FormatNumber(n)))
	}
	h.Add(n)
	return 0
}

// gaugeSeriesSet is gs:set(v): sets the series to v.
func gaugeSeriesSet(L *lua.LState) int {
	h := checkSeries(L, "set", metricset.Gauge, "gs", 1)
	h.SetTo(checkAmount(L, 1, "set"))
	return 0
}

// gaugeSeriesInc is gs:inc(): adds 1.
func gaugeSeriesInc(L *lua.LState) int {
	checkSeries(L, "inc", metricset.Gauge, "gs", 0).Add(1)
	return 0
}

// gaugeSeriesDec is gs:dec(): takes 1 away.
func gaugeSeriesDec(L *lua.LState) int {
	checkSeries(L, "dec", metricset.Gauge, "gs", 0).Add(-1)
	return 0
}

// gaugeSeriesAdd is gs:add(n): adds n, which may be negative.
func gaugeSeriesAdd(L *lua.LState) int {
	h := checkSeries(L, "add", metricset.Gauge, "gs", 1)
	h.Add(checkAmount(L, 1, "add"))
	return 0
}

// histogramSeriesObserve is hs:observe(v): counts v in the first bucket
// whose bound is v or more, and adds it to the sum.
func histogramSeriesObserve(L *lua.LState) int {
	h := checkSeries(L, "observe", metricset.Histogram, "hs", 1)
	v := checkAmount(L, 1, "observe")
	if math.IsNaN(v) {
		api.ArgError(L, 1, "observe", "a number expected, got nan")
	}
	h.Observe(v)
	return 0
}

// seriesValue is cs:value(), gs:value() and hs:value() (of kind, short
// its name in the docs): the series' value as a scrape would read it now;
// a histogram's sum and count.
func seriesValue(kind metricset.Kind, short string) lua.LGFunction {
	return func(L *lua.LState) int {
		v, count := checkSeries(L, "value", kind, short, 0).Value()
		L.Push(lua.LNumber(v))
		if kind == metricset.Histogram {
			L.Push(lua.LNumber(count))
			return 2
		}
		return 1
	}
}

// seriesTostring is tostring(s): <counter requests_total{code="200",method="GET"}>,
// the labels in the order the metric names them.
func seriesTostring(L *lua.LState) int {
	o := api.CheckSelf[*series](L, "__tostring", "series", "s")
	d := o.h.Metric().Def()
	var b strings.Builder
	b.WriteString("<" + d.Kind.String() + " " + d.Name)
	for i, v := range o.h.Values() {
		if i == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(d.Labels[i] + "=" + strconv.Quote(v))
	}
	if len(d.Labels) > 0 {
		b.WriteByte('}')
	}
	b.WriteByte('>')
	L.Push(lua.LString(b.String()))
	return 1
}
