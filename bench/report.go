package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// The report replaces only what lies between these markers in an existing
// file, so the hand-written parts of docs/benchmarks.md (method, the log of
// optimizations) stay.
const (
	beginMarker = "<!-- bench:results:begin (written by go run ./bench) -->"
	endMarker   = "<!-- bench:results:end -->"
)

// targetIdleKiB is the bound on server RSS per idle connection.
const targetIdleKiB = 12.0

func rate(r echoRound) float64   { return r.rate }
func p50(r echoRound) float64    { return r.p50 }
func p99(r echoRound) float64    { return r.p99 }
func cpuRT(r echoRound) float64  { return r.cpuRT }
func usrRT(r echoRound) float64  { return r.usrRT }
func faults(r echoRound) float64 { return r.faults }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// markdown is the results section.
func (b *benchmark) markdown() string {
	var w bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p("%s\n\n", beginMarker)
	p("Run %s, %s, by `%s`. Took %s.\n\n", b.started.UTC().Format("2006-01-02 15:04 UTC"), gitDescribe(b.root), b.commandLine(), b.elapsed.Round(1e9))
	p("- Machine: %s, %d CPUs, Linux %s, %s; load average when the run ended: %s.\n", cpuModel(), runtime.NumCPU(), kernel(), runtime.Version(), loadAvg())
	p("- Each measurement: %d rounds of %s (after %s warm-up) per server, servers interleaved in every round. A round counts where the busier of the server and the load generator got %.0f%% of its CPU (of the one CPU they share, with one connection); one short of it was measured again, up to %d times: %d times in this run; one still short is dropped (marked †); a ratio with † rests on dropped rounds alone, since no round of that pair counted.\n",
		b.o.rounds, b.o.duration, b.o.warmup, minShare*100, b.o.retries, b.repeated)
	p("- Figures are medians of the counted rounds; ratios are medians of per-round ratios. The chart `benchmarks.svg` beside this file draws the ratios.\n\n")

	if b.startup != nil {
		b.startupMarkdown(&w)
	}
	for _, c := range b.comps {
		b.compMarkdown(&w, c)
		if c.key == "flood" && len(b.idle) > 0 {
			b.idleMarkdown(&w)
		}
	}
	if len(b.idle) > 0 && b.find("flood") == nil {
		b.idleMarkdown(&w)
	}
	b.targetsMarkdown(&w)
	p("%s\n", endMarker)
	return w.String()
}

func (b *benchmark) find(key string) *comparison {
	for _, c := range b.comps {
		if c.key == key {
			return c
		}
	}
	return nil
}

// compMarkdown is one comparison's table and targets.
func (b *benchmark) compMarkdown(w *bytes.Buffer, c *comparison) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("### %s\n\n%s %s.\n\n", c.title, c.about, upperFirst(c.pinning))
	ratioHead := "÷ " + c.anchor
	if c.subjectAnchor {
		ratioHead = c.anchor + " ÷ this"
	}
	lat := ""
	if c.latency {
		lat = " p50 µs | p99 µs |"
	}
	flt := ""
	if c.faultName != "" {
		flt = " " + c.faultName + " |"
	}
	cpuHead := c.cpuHead
	if cpuHead == "" {
		cpuHead = "server CPU"
	}
	p("| server | %s |%s %s %s | of it user space |%s %s: %s | %s: CPU |\n", c.rateName, lat, cpuHead, c.cpuName, flt, ratioHead, c.rateName, ratioHead)
	p("| --- | ---: |%s ---: | ---: | ---: | ---: |\n", strings.Repeat(" ---: |", boolInt(c.latency)*2+boolInt(flt != "")))
	for _, s := range c.series {
		if len(s.rounds) == 0 {
			p("| %s | %s |%s | | | |\n", s.name, s.note, strings.Repeat(" |", boolInt(c.latency)*2+boolInt(flt != "")))
			continue
		}
		rs := counted(s.rounds)
		name := s.name
		if d := len(s.rounds) - countValid(s.rounds); d > 0 {
			name += fmt.Sprintf(" (%d of %d rounds dropped†)", d, len(s.rounds))
		}
		if s.note != "" {
			name += " (" + s.note + ")"
		}
		l := ""
		if c.latency {
			l = fmt.Sprintf(" %.1f | %.1f |", median(field(rs, p50)), median(field(rs, p99)))
		}
		f := ""
		if flt != "" {
			f = " " + num(median(field(rs, faults))*c.faultScale) + " |"
		}
		rr, cr := "", ""
		if v, ok := c.rowRatio(s, false); ok {
			rr = fmt.Sprintf("**%.2f×**", v)
			if c.onlyDropped(c.anchor, s.name) {
				rr += "†"
			}
		}
		if v, ok := c.rowRatio(s, true); ok {
			cr = fmt.Sprintf("%.2f×", v)
		}
		p("| %s | %s |%s %s | %s |%s %s | %s |\n", name, num(median(field(rs, rate))*c.rateScale), l,
			num(median(field(rs, cpuRT))*c.cpuScale), num(median(field(rs, usrRT))*c.cpuScale), f, rr, cr)
	}
	p("\n")
	for _, t := range c.ratios {
		if v, ok := c.ratio(t.num, t.den, false); ok {
			p("- %s ÷ %s: %.3g× %s%s.\n", t.num, t.den, v, c.rateName, droppedNote(c, t))
		} else {
			p("- %s ÷ %s: not measured.\n", t.num, t.den)
		}
	}
	if len(c.ratios) > 0 && len(c.targets) == 0 {
		p("\n")
	}
	for _, t := range c.targets {
		v, ok := c.ratio(t.num, t.den, t.cpu)
		if !ok {
			p("- Target %s: not measured (a server is missing).\n", t)
			continue
		}
		met := v >= t.bound
		if t.cpu {
			met = v <= t.bound
		}
		p("- Target %s: %.2f×, %s%s.\n", t, v, verdict(met), droppedNote(c, t))
	}
	if len(c.targets) > 0 {
		p("\n")
	}
}

// droppedNote marks a target measured on dropped rounds alone.
func droppedNote(c *comparison, t target) string {
	if c.onlyDropped(t.num, t.den) {
		return " († every round dropped: not reliable)"
	}
	return ""
}

func countValid(rs []echoRound) int {
	n := 0
	for _, r := range rs {
		if !r.dropped {
			n++
		}
	}
	return n
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// num formats a figure to about three significant digits, without an
// exponent: no decimals from 100 up.
func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (b *benchmark) startupMarkdown(w *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	r := b.startup
	p("### Start-up\n\nThe wall time from starting the program to its exit, running nothing; %d runs of each, interleaved, nothing pinned.\n\n", r.runs)
	p("| program | median ms | fastest ms | sockrun ÷ this |\n| --- | ---: | ---: | ---: |\n")
	base := median(r.progs[0].ms)
	for _, pr := range r.progs {
		if len(pr.ms) == 0 {
			p("| `%s` | %s | | |\n", pr.name, pr.note)
			continue
		}
		ratio := ""
		if pr.name != r.progs[0].name {
			ratio = fmt.Sprintf("%.2f×", base/median(pr.ms))
		}
		p("| `%s` | %.2f | %.2f | %s |\n", pr.name, median(pr.ms), minOf(pr.ms), ratio)
	}
	if v, ref, ok := r.target(); ok {
		p("\n- Target sockrun start-up below `%s`'s (%.2f ms): %.2f ms, %s.\n", startupTargetRef, ref, v, verdict(v < ref))
	}
	p("\n")
}

func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}

func (b *benchmark) idleMarkdown(w *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("### Idle connections\n\n")
	p("Server RSS (VmRSS) before and after the generator opened the connections, made one checked round trip on each and left them idle, every server thread (goroutine) waiting in recv (Read); server pinned as the echo rounds.\n\n")
	p("| server | connections | RSS before | RSS after | per connection |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, r := range b.idle {
		if r.note != "" {
			p("| %s | %d | %s | | |\n", r.name, r.conns, r.note)
			continue
		}
		p("| %s | %d | %.1f MiB | %.1f MiB | %.2f KiB |\n", r.name, r.conns, mib(r.before), mib(r.after), r.perConn()/1024)
	}
	p("\n")
	for _, r := range b.idle {
		if kib := r.perConn() / 1024; r.name == "sockrun" && r.note == "" {
			p("- Target ≤ %.0f KiB per idle connection: %.2f KiB, %s.\n\n", targetIdleKiB, kib, verdict(kib <= targetIdleKiB))
		}
	}
}

// targetsMarkdown lists every target of the run in one table.
func (b *benchmark) targetsMarkdown(w *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("### Targets\n\n| workload | target | measured | |\n| --- | --- | ---: | --- |\n")
	if v, ref, ok := b.startup.target(); ok {
		p("| start-up | < `%s` (%.2f ms) | %.2f ms | %s |\n", startupTargetRef, ref, v, verdict(v < ref))
	}
	for _, c := range b.comps {
		for _, t := range c.targets {
			v, ok := c.ratio(t.num, t.den, t.cpu)
			if !ok {
				p("| %s | %s | not measured | |\n", c.key, t)
				continue
			}
			met := v >= t.bound
			if t.cpu {
				met = v <= t.bound
			}
			p("| %s | %s | %.2f× | %s%s |\n", c.key, t, v, verdict(met), droppedNote(c, t))
		}
	}
	for _, r := range b.idle {
		if r.name == "sockrun" && r.note == "" {
			kib := r.perConn() / 1024
			p("| idle | ≤ %.0f KiB per connection | %.2f KiB | %s |\n", targetIdleKiB, kib, verdict(kib <= targetIdleKiB))
		}
	}
	p("\n")
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// rel is path relative to the module root, if inside it.
func (b *benchmark) rel(path string) string {
	if r, ok := strings.CutPrefix(path, b.root+string(os.PathSeparator)); ok {
		return r
	}
	return path
}

func (b *benchmark) commandLine() string {
	args := os.Args[1:]
	if os.Getenv(roleEnv) == "" && strings.HasSuffix(os.Args[0], ".test") {
		args = nil // run by go test
	}
	return strings.TrimSpace("go run ./bench " + strings.Join(args, " "))
}

// writeReport puts md into path: between the markers if the file has them,
// else as a new file with a heading.
func writeReport(path, md string) error {
	old, err := os.ReadFile(path)
	if err == nil {
		s := string(old)
		i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
		if i >= 0 && j > i {
			return os.WriteFile(path, []byte(s[:i]+md+s[j+len(endMarker)+1:]), 0o644)
		}
	}
	return os.WriteFile(path, []byte("# sockrun benchmarks\n\n"+md), 0o644)
}

func gitDescribe(root string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "commit unknown"
	}
	return "commit " + strings.TrimSpace(string(out))
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func kernel() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
