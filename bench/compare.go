package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A comparison is one workload measured on several servers in the same
// run, rounds interleaved: sockrun and its references.
type comparison struct {
	key   string // short name: log lines, profile files, the chart
	title string
	about string // what the workload is, for the report
	// rateName and cpuName name the measures; rateScale and cpuScale turn
	// a round's rate (per second) and CPU (µs per unit) into them.
	rateName, cpuName   string
	rateScale, cpuScale float64
	latency             bool // p50 and p99 mean something
	// cpuHead names the CPU column's process ("" for "server CPU").
	cpuHead string
	// faultName, when set, adds a column of the server's minor page
	// faults per unit, scaled by faultScale as the rate is.
	faultName  string
	faultScale float64
	// anyShare: every round counts, whatever CPU the processes got (a
	// row whose figure is the latency under a hostile client, where
	// neither process need be the bottleneck).
	anyShare bool
	pinning  string // how the processes were placed
	// anchor is the series every other row is compared with: the ratio
	// column is anchor ÷ row when subjectAnchor (sockrun against each
	// reference), else row ÷ anchor (each against one reference).
	anchor        string
	subjectAnchor bool
	series        []*series
	targets       []target
	// ratios are rate ratios of two rows reported under the table,
	// without a bound (their bound is not read).
	ratios []target
}

// series is one server's rounds in a comparison, or why it has none.
type series struct {
	name   string
	note   string // skipped or failed: why
	rounds []echoRound
}

// target is a goal of the issue on a ratio of two series' medians of
// per-round ratios: of their rates (at least min) or CPU (at most max).
type target struct {
	num, den string
	cpu      bool
	bound    float64
}

func (t target) String() string {
	bound := strconv.FormatFloat(t.bound, 'f', -1, 64)
	if t.cpu {
		return fmt.Sprintf("%s ÷ %s CPU ≤ %s×", t.num, t.den, bound)
	}
	return fmt.Sprintf("%s ÷ %s ≥ %s×", t.num, t.den, bound)
}

// contender is a server of a comparison: how to start it and measure one
// round of it, or why it is missing.
type contender struct {
	name    string
	missing string
	start   func() (*server, error)
	measure func(s *server) (echoRound, error)
	// baseline is the same server on the -baseline binary, measured in
	// the row after this one; nil for none.
	baseline *contender
}

// baselineName is the name of a sockrun row's twin on the -baseline
// binary.
func baselineName(name string) string { return name + " (baseline)" }

// placement of a comparison's processes.
type placement int

const (
	split  placement = iota // server on CPU 0, load generator on CPU 1
	shared                  // both on CPU 0
	free                    // not pinned
)

// cpus are the server's and the generator's CPUs under p (-1: any).
func (b *benchmark) cpus(p placement) (server, gen int) {
	if !b.pinned || p == free {
		return -1, -1
	}
	if p == shared {
		return b.serverCPU, b.serverCPU
	}
	return b.serverCPU, b.genCPU
}

func (b *benchmark) pinningText(p placement) string {
	switch {
	case !b.pinned || p == free:
		return "nothing pinned"
	case p == shared:
		return fmt.Sprintf("server and load generator both pinned to CPU %d", b.serverCPU)
	}
	return fmt.Sprintf("server pinned to CPU %d, load generator to CPU %d", b.serverCPU, b.genCPU)
}

// minShare is the CPU a round's busier process must have had (as a share
// of one CPU; of the server's and the generator's together where they
// share one) for the round to count: in a closed loop one of them is the
// bottleneck and runs all the time, unless other processes took its CPU.
const minShare = 0.85

// valid reports whether r counts under placement p.
func valid(r echoRound, p placement) bool {
	if p == split {
		return max(r.srvShare, r.genShare) >= minShare
	}
	return r.srvShare+r.genShare >= minShare
}

// compare measures every contender, rounds interleaved, into c. A
// contender that is missing, does not start or fails a round gets a note
// instead of figures; the run goes on.
func (b *benchmark) compare(c *comparison, p placement, cs []contender) {
	c.pinning = b.pinningText(p)
	var all []contender
	for _, ct := range cs {
		all = append(all, ct)
		if ct.baseline != nil {
			all = append(all, *ct.baseline)
		}
	}
	cs = all
	servers := make([]*server, len(cs))
	for i, ct := range cs {
		se := &series{name: ct.name, note: ct.missing}
		c.series = append(c.series, se)
		if se.note != "" {
			logf("%s: %s: %s", c.key, ct.name, se.note)
			continue
		}
		s, err := ct.start()
		if err != nil {
			se.note = "did not start: " + firstLine(err.Error())
			logf("%s: %s: %v", c.key, ct.name, err)
			continue
		}
		servers[i] = s
		defer s.stop()
		s.pause() // until its turn
	}
	for round := 1; round <= b.o.rounds; round++ {
		for i, ct := range cs {
			se := c.series[i]
			if servers[i] == nil || se.note != "" {
				continue
			}
			servers[i].resume()
			r, err := b.measureValid(ct, servers[i], p, c)
			servers[i].pause()
			if err != nil {
				se.note = "failed: " + firstLine(err.Error())
				logf("%s: %s: %v (server: %s)", c.key, ct.name, err, servers[i].errText())
				continue
			}
			se.rounds = append(se.rounds, r)
			flag := ""
			if r.dropped {
				flag = "  DROPPED"
			}
			logf("%-10s round %d %-22s %10.0f %s  p50 %7.1f µs  p99 %8.1f µs  server CPU %7.2f %s  shares %.2f/%.2f  others %.2f%s",
				c.key, round, ct.name, r.rate*c.rateScale, c.rateName, r.p50, r.p99, r.cpuRT*c.cpuScale, c.cpuName,
				r.srvShare, r.genShare, r.others, flag)
		}
	}
	b.writeProfileCount(c)
}

// measureValid measures a round, again (up to o.retries times) while
// neither process got its CPU; a round still short of it is kept, marked
// dropped.
func (b *benchmark) measureValid(ct contender, s *server, p placement, c *comparison) (echoRound, error) {
	what := c.key
	for try := 0; ; try++ {
		r, err := ct.measure(s)
		if err != nil {
			return r, err
		}
		if c.anyShare || valid(r, p) {
			return r, nil
		}
		if try >= b.o.retries {
			r.dropped = true
			return r, nil
		}
		b.repeated++
		logf("%s: %s: server %.2f, generator %.2f of a CPU, others %.2f: measuring again", what, ct.name, r.srvShare, r.genShare, r.others)
	}
}

// counted are the rounds that count: the valid ones, or all if none is.
func counted(rs []echoRound) []echoRound {
	var out []echoRound
	for _, r := range rs {
		if !r.dropped {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return rs
	}
	return out
}

// pairRatios are num's figure over den's, per round where both count;
// where no round does, per round all the same, and onlyDropped says so.
func pairRatios(num, den *series, f func(echoRound) float64) (out []float64, onlyDropped bool) {
	for _, all := range []bool{false, true} {
		for i := range min(len(num.rounds), len(den.rounds)) {
			a, d := num.rounds[i], den.rounds[i]
			if (!all && (a.dropped || d.dropped)) || f(d) == 0 {
				continue
			}
			out = append(out, f(a)/f(d))
		}
		if len(out) > 0 {
			return out, all
		}
	}
	return nil, false
}

func (c *comparison) find(name string) *series {
	for _, s := range c.series {
		if s.name == name {
			return s
		}
	}
	return nil
}

// ratio is the median of the per-round ratios of num's and den's rates
// (or CPU); ok is false where either has no rounds.
func (c *comparison) ratio(num, den string, cpu bool) (float64, bool) {
	a, d := c.find(num), c.find(den)
	if a == nil || d == nil || len(a.rounds) == 0 || len(d.rounds) == 0 {
		return 0, false
	}
	f := rate
	if cpu {
		f = cpuRT
	}
	rs, _ := pairRatios(a, d, f)
	if len(rs) == 0 {
		return 0, false
	}
	return median(rs), true
}

// onlyDropped reports whether the ratio of num and den rests on dropped
// rounds alone.
func (c *comparison) onlyDropped(num, den string) bool {
	a, d := c.find(num), c.find(den)
	if a == nil || d == nil {
		return false
	}
	_, only := pairRatios(a, d, rate)
	return only
}

// rowRatio is the ratio column of row s: anchor ÷ s or s ÷ anchor.
func (c *comparison) rowRatio(s *series, cpu bool) (float64, bool) {
	if s.name == c.anchor {
		return 0, false
	}
	if c.subjectAnchor {
		return c.ratio(c.anchor, s.name, cpu)
	}
	return c.ratio(s.name, c.anchor, cpu)
}

// sockrunArgs are the extra flags of a sockrun server of comparison key:
// the profiles -profile asks for.
func (b *benchmark) sockrunArgs(key string) []string {
	if b.o.profileDir == "" {
		return nil
	}
	dir, _ := filepath.Abs(b.o.profileDir)
	return []string{"--cpuprofile", filepath.Join(dir, key+".cpu.pprof"), "--memprofile", filepath.Join(dir, key+".mem.pprof")}
}

// writeProfileCount writes, beside the profiles, how many round trips (or
// bytes) sockrun served in the whole comparison, warm-ups included: what
// its allocations divide by.
func (b *benchmark) writeProfileCount(c *comparison) {
	if b.o.profileDir == "" {
		return
	}
	var total int64
	for _, s := range c.series {
		if strings.HasPrefix(s.name, "sockrun") && !strings.HasSuffix(s.name, baselineName("")) {
			for _, r := range s.rounds {
				total += r.total
			}
		}
	}
	os.WriteFile(filepath.Join(b.o.profileDir, c.key+".count"), []byte(strconv.FormatInt(total, 10)+"\n"), 0o644)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}
