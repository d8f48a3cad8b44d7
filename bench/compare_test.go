package main

import (
	"encoding/xml"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGenBulk runs the bulk generator against an in-process echo server:
// it counts bytes echoed, every one checked, and a server that corrupts a
// byte fails the run.
func TestGenBulk(t *testing.T) {
	srv := startCountingEcho(t, false)
	res, err := genBulk(genConfig{Mode: "bulk", Addr: srv.l.Addr().String(), Conns: 2, Size: 64 << 10,
		Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond, ServerPID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	srv.stop()
	if res.Requests < 1 || res.Total < res.Requests || srv.echoed.Load() < res.Total {
		t.Errorf("bytes: %d in the window, %d in all, the server echoed %d", res.Requests, res.Total, srv.echoed.Load())
	}
	if res.ServerFaults < 0 {
		t.Errorf("server page faults %d in the window", res.ServerFaults)
	}

	bad := startCountingEcho(t, true)
	_, err = genBulk(genConfig{Mode: "bulk", Addr: bad.l.Addr().String(), Conns: 1, Size: 64 << 10,
		Warmup: 20 * time.Millisecond, Duration: 20 * time.Millisecond, ServerPID: os.Getpid()})
	if err == nil || !strings.Contains(err.Error(), "differ") {
		t.Fatalf("got %v, want the echoed bytes to differ", err)
	}
}

// udpEcho is an in-process UDP echo server; corrupt flips a byte of each
// echo, drop echoes nothing, stray sends before each echo a datagram of
// another generator run (another nonce in its connection number).
func udpEcho(t *testing.T, corrupt, drop bool, stray ...bool) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if drop {
				continue
			}
			if corrupt {
				buf[n-1] ^= 0xff
			}
			if len(stray) > 0 && stray[0] {
				other := append([]byte(nil), buf[:n]...)
				other[7] ^= 0x55 // the nonce's top byte
				c.WriteTo(other, from)
			}
			c.WriteTo(buf[:n], from)
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return c.LocalAddr().String()
}

// TestGenUDP: the UDP generator counts checked echoes, skips datagrams of
// an earlier run, a wrong echo fails the run, and a server that answers
// nothing is an error, not a hang.
func TestGenUDP(t *testing.T) {
	cfg := genConfig{Mode: "udp", Conns: 3, Size: 64, Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond, ServerPID: os.Getpid()}
	cfg.Addr = udpEcho(t, false, false)
	res, err := genUDP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 1 || res.Total < res.Requests || res.P50 <= 0 || res.P99 < res.P50 {
		t.Errorf("result %+v", res)
	}
	cfg.Addr = udpEcho(t, false, false, true)
	if res, err := genUDP(cfg); err != nil || res.Requests < 1 {
		t.Errorf("server answering with another run's datagrams too: %v, %+v", err, res)
	}
	cfg.Addr = udpEcho(t, true, false)
	if _, err := genUDP(cfg); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("corrupting server: %v, want the echoed bytes to differ", err)
	}
	cfg.Addr = udpEcho(t, false, true)
	if _, err := genUDP(cfg); err == nil || !strings.Contains(err.Error(), "no datagram") {
		t.Errorf("silent server: %v, want no datagram echoed", err)
	}
}

// TestCompare runs a comparison's machinery with made-up rounds: a round
// where neither process got its CPU is measured again, then kept as
// dropped and left out of the ratios; a missing server, one that does not
// start and one that fails get notes, not a failed run.
func TestCompare(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b := &benchmark{o: &options{rounds: 3, retries: 1}, self: self, serverCPU: -1, genCPU: -1}
	goStart := func() (*server, error) { return b.startGo() }
	rounds := map[string][]echoRound{
		// Go's second round is short of CPU both times it is measured.
		"Go":      {{rate: 100, cpuRT: 10, srvShare: 1}, {rate: 1, cpuRT: 1, srvShare: 0.5}, {rate: 1, cpuRT: 1, srvShare: 0.5}, {rate: 120, cpuRT: 10, srvShare: 1}},
		"sockrun": {{rate: 90, cpuRT: 11, srvShare: 1}, {rate: 95, cpuRT: 11, srvShare: 1}, {rate: 96, cpuRT: 12, genShare: 0.9}},
	}
	measure := func(name string) func(*server) (echoRound, error) {
		return func(*server) (echoRound, error) {
			r := rounds[name][0]
			rounds[name] = rounds[name][1:]
			return r, nil
		}
	}
	c := &comparison{key: "t", anchor: "sockrun", subjectAnchor: true, rateScale: 1, cpuScale: 1,
		faultName: "page faults/MB", faultScale: 1e6,
		targets: []target{{num: "sockrun", den: "Go", bound: 0.8}, {num: "sockrun", den: "Go", cpu: true, bound: 1.1}}}
	// sockrun's twin on a -baseline binary is measured in the row after it.
	baseline := &contender{name: baselineName("sockrun"), start: goStart, measure: func(*server) (echoRound, error) {
		return echoRound{rate: 45, cpuRT: 22, srvShare: 1, faults: 2e-6}, nil
	}}
	b.compare(c, split, []contender{
		{name: "Go", start: goStart, measure: measure("Go")},
		{name: "sockrun", start: goStart, measure: measure("sockrun"), baseline: baseline},
		{name: "missing", missing: "skipped: no such thing"},
		{name: "broken", start: func() (*server, error) { return nil, errors.New("no way\nsecond line") }},
		{name: "failing", start: goStart, measure: func(*server) (echoRound, error) { return echoRound{}, errors.New("boom") }},
	})
	if b.repeated != 1 {
		t.Errorf("%d rounds measured again, want 1", b.repeated)
	}
	g := c.find("Go")
	if len(g.rounds) != 3 || !g.rounds[1].dropped || g.rounds[0].dropped || g.rounds[2].dropped {
		t.Fatalf("Go's rounds: %+v", g.rounds)
	}
	// Per-round ratios of rounds 1 and 3 only: 0.9 and 0.8.
	if v, ok := c.ratio("sockrun", "Go", false); !ok || v < 0.849 || v > 0.851 {
		t.Errorf("rate ratio %v, %v; want 0.85", v, ok)
	}
	if v, ok := c.ratio("sockrun", "Go", true); !ok || v < 1.149 || v > 1.151 {
		t.Errorf("CPU ratio %v, %v; want 1.15", v, ok)
	}
	for name, want := range map[string]string{"missing": "skipped: no such thing", "broken": "did not start: no way", "failing": "failed: boom"} {
		if got := c.find(name).note; got != want {
			t.Errorf("%s: note %q, want %q", name, got, want)
		}
	}

	b.comps = []*comparison{c}
	b.idle = []idleResult{{name: "Go", conns: 100, before: 1 << 20, after: 2 << 20}, {name: "sockrun", conns: 100, before: 4 << 20, after: 5 << 20}}
	b.startup = &startupResult{runs: 2, progs: []startupProg{{name: "sockrun -e ' '", ms: []float64{4, 6}}, {name: "lua5.1 -e ' '", ms: []float64{1, 1}}, {name: "python3 -c ''", ms: []float64{7, 9}}}}
	b.root = t.TempDir()
	md := b.markdown()
	for _, want := range []string{
		beginMarker,
		"| Go (1 of 3 rounds dropped†) | 110 | 10.0 | 0.000 | 0.000 | **0.85×** | 1.15× |", // sockrun ÷ Go, over the rounds both counted
		"| sockrun (baseline) | 45.0 | 22.0 | 0.000 | 2.00 | **2.11×** | 0.50× |",          // sockrun ÷ its baseline: median(90/45, 95/45, 96/45)
		"| missing | skipped: no such thing |", "| broken | did not start: no way |",
		"- Target sockrun ÷ Go ≥ 0.8×: 0.85×, met.", "- Target sockrun ÷ Go CPU ≤ 1.1×: 1.15×, **not met**.",
		"| `sockrun -e ' '` | 5.00 | 4.00 |  |", "| `lua5.1 -e ' '` | 1.00 | 1.00 | 5.00× |", "| `python3 -c ''` | 8.00 | 7.00 | 0.62× |",
		"| sockrun | 100 | 4.0 MiB | 5.0 MiB | 10.24 KiB |", "≤ 12 KiB per idle connection: 10.24 KiB, met",
		"| start-up | < `python3 -c ''` (8.00 ms) | 5.00 ms | met |", "- Target sockrun start-up below `python3 -c ''`'s (8.00 ms): 5.00 ms, met.", "| t | sockrun ÷ Go ≥ 0.8× | 0.85× | met |",
		endMarker,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s", md)
	}

	// The chart is well-formed SVG with a bar per ratio: sockrun ÷ Go,
	// and the CPU ratio with its target.
	svg := b.chart()
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Errorf("chart is not XML: %v", err)
	}
	if n := strings.Count(svg, "<rect "); n != 1+3 {
		t.Errorf("%d rects, want a background and 3 bars:\n%s", n, svg)
	}
	if !strings.Contains(svg, "t: sockrun ÷ Go, CPU") || !strings.Contains(svg, `fill="#c62828"`) {
		t.Errorf("chart lacks the CPU bar, red:\n%s", svg)
	}

	// An existing report keeps what lies outside the markers; a new file
	// gets a heading.
	out := filepath.Join(b.root, "benchmarks.md")
	if err := os.WriteFile(out, []byte("# kept\n\n"+beginMarker+"\nold\n"+endMarker+"\n\n## Log, kept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeReport(out, md); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	if want := "# kept\n\n" + md + "\n## Log, kept\n"; string(got) != want {
		t.Errorf("rewritten report:\n%s\nwant:\n%s", got, want)
	}
	fresh := filepath.Join(b.root, "new.md")
	if err := writeReport(fresh, md); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(fresh); string(got) != "# sockrun benchmarks\n\n"+md {
		t.Errorf("new report:\n%s", got)
	}
}

// TestStartup times a program that exits at once and skips one that is
// not there.
func TestStartup(t *testing.T) {
	tr, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b := &benchmark{o: &options{startupRuns: 2}, sockrun: tr}
	r := b.runStartup()
	// The test binary with -e ' ' is no sockrun: it fails, with a note.
	if len(r.progs) != 3 || r.progs[0].note == "" || len(r.progs[0].ms) != 0 {
		t.Errorf("startup of a failing program: %+v", r.progs[0])
	}
	for _, p := range r.progs[1:] {
		if p.note == "" && (len(p.ms) != 2 || p.ms[0] <= 0) {
			t.Errorf("%s: %+v", p.name, p)
		}
	}
}

// TestParseExternal reads wrk's and redis-benchmark's reports.
func TestParseExternal(t *testing.T) {
	wrk := `Running 2s test @ http://127.0.0.1:8080/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  300.00us   5.00ms   90.00%
  Latency Distribution
     50%  1.10ms
     75%  1.30ms
     90%  1.50ms
     99%  2.50ms
  84000 requests in 2.00s, 10.00MB read
Requests/sec:  42000.00
Transfer/sec:      5.00MB
`
	n, p50, p99, _, _, err := parseWrk(wrk, 2*time.Second, time.Second)
	if err != nil || n != 84000 || p50 != 1100 || p99 != 2500 {
		t.Errorf("parseWrk = %v, %v, %v, %v", n, p50, p99, err)
	}
	if _, _, _, _, _, err := parseWrk(strings.Replace(wrk, "Requests/sec", "  Non-2xx or 3xx responses: 5\nRequests/sec", 1), 0, 0); err == nil {
		t.Error("wrk with errors: no error")
	}
	if v := parseWrkDuration("250.00us"); v != 250 {
		t.Errorf("250.00us = %v µs", v)
	}
	csv := `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","50000.00","0.500","0.100","0.400","0.900","1.200","3.000"
"GET","60000.00","0.400","0.100","0.200","0.800","1.000","2.000"
`
	p50, p99, err = parseRedisCSV(csv, 2)
	if err != nil || p50 < 299.99 || p50 > 300.01 || p99 < 1099.99 || p99 > 1100.01 {
		t.Errorf("parseRedisCSV = %v, %v, %v", p50, p99, err)
	}
	if _, _, err := parseRedisCSV("ERROR", 2); err == nil {
		t.Error("redis-benchmark garbage: no error")
	}
}
