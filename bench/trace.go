package main

// traceFlags trace every call, formatted and written as a user would see
// it, to a sink that costs no disk.
var traceFlags = []string{"--trace", "--trace-file", "/dev/null"}

// runTrace measures the echo server untraced and with traceFlags, rounds
// interleaved, pinned as the echo rounds are. Untraced, no observer is
// attached to the call path.
func (b *benchmark) runTrace() *comparison {
	c := &comparison{key: "trace", title: "Trace observer: `--trace` against without",
		about:    "The echo server, untraced (no observer on the call path) and with `--trace --trace-file /dev/null` (every call's line formatted and written).",
		rateName: "req/s", rateScale: 1, cpuName: "µs/round trip", cpuScale: 1, latency: true,
		anchor: "untraced"}
	srv, gen := b.cpus(split)
	m := b.genMeasure(gen, genConfig{Mode: "echo", Conns: b.o.traceConns, Size: b.o.size})
	b.compare(c, split, []contender{
		b.sockrunServer("untraced", "trace-off", b.echoScript, srv, 1, nil, m),
		b.sockrunServer("--trace", "trace-on", b.echoScript, srv, 1, traceFlags, m),
	})
	return c
}
