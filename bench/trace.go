package main

import (
	"bytes"
	"fmt"
)

// traceResult is the echo server's rounds without and with --trace.
type traceResult struct {
	conns   int
	off, on []echoRound
}

// traceFlags trace every call, formatted and written as a user would see
// it, to a sink that costs no disk.
var traceFlags = []string{"--trace", "--trace-file", "/dev/null"}

// runTrace measures the echo server untraced and with traceFlags, rounds
// interleaved, pinned as the echo rounds are. Untraced, no observer is
// attached to the call path: its figures are the echo rows' sockrun
// figures, measured again beside the traced server.
func (b *benchmark) runTrace() (*traceResult, error) {
	res := &traceResult{conns: b.o.traceConns}
	off, err := b.startSockrun(b.echoScript, b.serverCPU, 1, nil)
	if err != nil {
		return nil, err
	}
	defer off.stop()
	on, err := b.startSockrunFlags(traceFlags, b.echoScript, b.serverCPU, 1, nil)
	if err != nil {
		return nil, err
	}
	defer on.stop()
	for round := 1; round <= b.o.rounds; round++ {
		for i, s := range []*server{off, on} {
			what := []string{"untraced", "--trace"}[i]
			r, err := b.measure(b.genCPU, genConfig{Mode: "echo", Addr: s.addr, Conns: res.conns, Size: b.o.size,
				Warmup: b.o.warmup, Duration: b.o.duration, ServerPID: s.pid()}, what)
			if err != nil {
				return nil, fmt.Errorf("%s: %w (server: %s)", what, err, s.errText())
			}
			if i == 0 {
				res.off = append(res.off, r)
			} else {
				res.on = append(res.on, r)
			}
			logf("trace round %d %-8s %8.0f req/s  p50 %6.1f µs  p99 %7.1f µs  server CPU %5.2f µs/rt  others %.2f CPU",
				round, what, r.rate, r.p50, r.p99, r.cpuRT, r.others)
		}
	}
	return res, nil
}

// traceMarkdown is the section of the --trace rounds.
func (b *benchmark) traceMarkdown(w *bytes.Buffer, r *traceResult) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("### Echo with --trace against without\n\n")
	p("The echo server at %d connections, untraced (no observer on the call path) and with `--trace --trace-file /dev/null` (every call's line formatted and written), rounds interleaved and pinned as above. Medians over the rounds; the ratio row is the median of the per-round ratios traced/untraced.\n\n", r.conns)
	p("| server | req/s | p50 µs | p99 µs | server CPU µs/round trip |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, s := range []struct {
		name string
		rs   []echoRound
	}{{"untraced", r.off}, {"--trace", r.on}} {
		p("| %s | %.0f | %.1f | %.1f | %.2f |\n", s.name, median(field(s.rs, rate)), median(field(s.rs, p50)), median(field(s.rs, p99)), median(field(s.rs, cpuRT)))
	}
	p("| **traced/untraced** | %.2f× | %.2f× | %.2f× | %.2f× |\n\n",
		median(ratios(r.on, r.off, rate)), median(ratios(r.on, r.off, p50)), median(ratios(r.on, r.off, p99)), median(ratios(r.on, r.off, cpuRT)))
}
