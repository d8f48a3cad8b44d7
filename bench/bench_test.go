package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// These tests check that the benchmark's code works: the load generator
// checks and counts round trips, the server and generator processes start
// and report, the CPU and memory readings move, the report has its rows.
// None of them says anything about speed; the timing runs are `go run
// ./bench`.

// TestMain lets the test binary play the Go echo server and the load
// generator when a test re-executes it, as the benchmark does.
func TestMain(m *testing.M) {
	if code, ok := runRole(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// countingEcho is an in-process echo server that counts the bytes it
// echoes; corrupt makes it flip the last byte of each read.
type countingEcho struct {
	l      net.Listener
	echoed atomic.Int64
	wg     sync.WaitGroup
}

func startCountingEcho(t *testing.T, corrupt bool) *countingEcho {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &countingEcho{l: l}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if corrupt {
							buf[n-1] ^= 0xff
						}
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
						s.echoed.Add(int64(n))
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(s.stop)
	return s
}

// stop closes the listener and waits until every connection has ended.
func (s *countingEcho) stop() {
	s.l.Close()
	s.wg.Wait()
}

// TestGenEchoCounts runs the load generator in-process against a counting
// echo server: the round trips it reports are ones the server echoed
// (every byte echoed belongs to a whole round trip, and there are at least
// as many as were counted in the window), and the latencies are ordered.
func TestGenEchoCounts(t *testing.T) {
	const size = 64
	srv := startCountingEcho(t, false)
	res, err := genEcho(genConfig{Mode: "echo", Addr: srv.l.Addr().String(), Conns: 4, Size: size,
		Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond, ServerPID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	srv.stop() // genEcho closed its connections: the handlers end
	echoed := srv.echoed.Load()
	if res.Requests < 1 {
		t.Fatalf("no round trip counted: %+v", res)
	}
	if echoed%size != 0 {
		t.Errorf("the server echoed %d bytes, not whole %d-byte requests", echoed, size)
	}
	if echoed/size < res.Requests {
		t.Errorf("counted %d round trips, the server echoed only %d", res.Requests, echoed/size)
	}
	if res.Seconds < 0.2 {
		t.Errorf("window of %.3fs, shorter than the 0.2s asked", res.Seconds)
	}
	if res.P50 <= 0 || res.P99 < res.P50 {
		t.Errorf("latencies p50 %v µs, p99 %v µs: want 0 < p50 <= p99", res.P50, res.P99)
	}
	if res.ServerCPU < 0 || res.ServerUsr < 0 || res.ServerUsr > res.ServerCPU || res.GenCPU < 0 || res.AllCPU < 0 {
		t.Errorf("CPU readings out of range: %+v", res)
	}
}

// TestGenEchoChecksBytes: a server that echoes a wrong byte fails the run.
func TestGenEchoChecksBytes(t *testing.T) {
	srv := startCountingEcho(t, true)
	_, err := genEcho(genConfig{Mode: "echo", Addr: srv.l.Addr().String(), Conns: 2, Size: 64,
		Warmup: 20 * time.Millisecond, Duration: 20 * time.Millisecond, ServerPID: os.Getpid()})
	if err == nil || !strings.Contains(err.Error(), "echoed bytes differ") {
		t.Fatalf("got %v, want the echoed bytes to differ", err)
	}
}

// TestProcesses runs the Go half of the benchmark as it runs: the Go echo
// server and the load generator as processes (this test binary playing
// both), one measured echo round, and the idle-connections round with its
// memory readings.
func TestProcesses(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b := &benchmark{o: &options{rounds: 1, size: 64, warmup: 20 * time.Millisecond,
		duration: 200 * time.Millisecond, idle: 50, quick: true}, self: self, serverCPU: -1, genCPU: -1}

	s, err := b.startGo()
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	if _, _, err := net.SplitHostPort(s.addr); err != nil || !s.alive() {
		t.Fatalf("server at %q, alive %v", s.addr, s.alive())
	}
	r, err := b.measure(-1, genConfig{Mode: "echo", Addr: s.addr, Conns: 4, Size: b.o.size,
		Warmup: b.o.warmup, Duration: b.o.duration, ServerPID: s.pid()}, "Go")
	if err != nil {
		t.Fatal(err)
	}
	if r.rate <= 0 || r.p50 <= 0 || r.p99 < r.p50 || r.cpuRT < 0 || r.genRT < 0 {
		t.Errorf("round out of range: %+v", r)
	}

	idle, err := b.runIdle("Go")
	if err != nil {
		t.Fatal(err)
	}
	if idle.name != "Go" || idle.conns != 50 || idle.before <= 0 || idle.after <= 0 {
		t.Errorf("idle round: %+v", idle)
	}
}

// TestProcessReadings: the CPU time of this process and of the machine go
// up while this process works, its RSS is read, and a process that does
// not exist is an error.
func TestProcessReadings(t *testing.T) {
	u0, s0, err := cpuTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	all0, err := busyTime()
	if err != nil {
		t.Fatal(err)
	}
	// Work until both counters move (they count in 10 ms ticks).
	deadline := time.Now().Add(10 * time.Second)
	x := uint64(1)
	for {
		for range 1 << 16 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		u, s, err1 := cpuTime(os.Getpid())
		all, err2 := busyTime()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if u+s > u0+s0 && all > all0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time did not move in 10s of work: process %v -> %v, machine %v -> %v (%d)", u0+s0, u+s, all0, all, x)
		}
	}
	if n, err := rss(os.Getpid()); err != nil || n < 1<<20 {
		t.Errorf("rss = %d, %v; want at least 1 MiB", n, err)
	}
	if _, _, err := cpuTime(-1); err == nil {
		t.Error("cpuTime of no process: no error")
	}
	if _, err := rss(-1); err == nil {
		t.Error("rss of no process: no error")
	}
}

// TestRoundOf: a round's figures are the generator's counts per second and
// per round trip.
func TestRoundOf(t *testing.T) {
	r := roundOf(&genResult{Requests: 1000, Seconds: 2, P50: 30, P99: 90,
		ServerCPU: 0.01, ServerUsr: 0.004, GenCPU: 0.02, AllCPU: 0.5})
	want := echoRound{rate: 500, p50: 30, p99: 90, cpuRT: 10, usrRT: 4, genRT: 20, others: 0.235}
	near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	if !near(r.rate, want.rate) || r.p50 != want.p50 || r.p99 != want.p99 || !near(r.cpuRT, want.cpuRT) ||
		!near(r.usrRT, want.usrRT) || !near(r.genRT, want.genRT) || !near(r.others, want.others) {
		t.Errorf("roundOf = %+v, want %+v", r, want)
	}
}

// TestReport writes the report of made-up results: every table has its
// rows, medians and ratios are computed per round, and an existing file
// keeps what lies outside the markers.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	round := func(rate, cpu float64) echoRound {
		return echoRound{rate: rate, p50: 1e6 / rate, p99: 2e6 / rate, cpuRT: cpu, usrRT: cpu / 2, genRT: 5}
	}
	b := &benchmark{
		o:          &options{rounds: 2, size: 64, duration: time.Second, warmup: time.Second, retries: 2},
		root:       dir,
		echoScript: filepath.Join(dir, "scripts", "echo.lua"),
		serverCPU:  -1, genCPU: -1,
		started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		echo: []*echoResult{
			{conns: 50, goR: []echoRound{round(100, 10), round(200, 10)}, luaR: []echoRound{round(80, 11), round(180, 12)}},
			{conns: 1000, goR: []echoRound{round(300, 10), round(300, 10)}, luaR: []echoRound{round(150, 20), round(150, 20)}},
		},
		idle: []idleResult{{name: "Go", conns: 100, before: 1 << 20, after: 2 << 20},
			{name: "sockrun", conns: 100, before: 4 << 20, after: 6 << 20}},
		workers: &workersResult{conns: 8, iterations: 100,
			w1: []echoRound{round(100, 50), round(100, 50)}, w2: []echoRound{round(200, 50), round(160, 50)}},
	}
	md := b.markdown()
	for _, want := range []string{
		beginMarker,
		"Echo script: `scripts/echo.lua`",
		// medians over rounds, and the median of the per-round ratios
		// (0.8 and 0.9), not the ratio of the medians (130/150)
		"| 50 | Go | 150 | ", "| 50 | sockrun | 130 | ", "| 50 | **sockrun/Go** | **0.85×** | ",
		"| 1000 | Go | 300 | ", "| 1000 | sockrun | 150 | ", "| 1000 | **sockrun/Go** | **0.50×** | ",
		"req/s ≥ 0.8× Go's: 0.85×, met; server CPU per round trip ≤ 1.2× Go's: 1.15×, met",
		"| 50 | 1 | 100, 10.00 | 80, 11.00 | 0.80 | 1.10 |", "| 50 | 2 | 200, 10.00 | 180, 12.00 | 0.90 | 1.20 |",
		"| 1000 | 2 | 300, 10.00 | 150, 20.00 | 0.50 | 2.00 |",
		"| Go | 100 | 1.0 MiB | 2.0 MiB | 10.24 KiB |", "| sockrun | 100 | 4.0 MiB | 6.0 MiB | 20.48 KiB |",
		"≤ 16 KiB per idle connection: 20.48 KiB, **not met**",
		"| 1 | 100 | ", "| 2 | 180 | ", "**1.80×**. Target ≥ 1.7×: met",
		endMarker,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if n := strings.Count(md, "\n| 1000 |"); n != 3+2 {
		t.Errorf("%d rows for 1000 connections, want 3 in the summary and 2 per round", n)
	}
	if t.Failed() {
		t.Logf("report:\n%s", md)
	}

	// An existing report keeps what lies outside the markers.
	out := filepath.Join(dir, "benchmarks.md")
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
	// A new file gets a heading.
	fresh := filepath.Join(dir, "new.md")
	if err := writeReport(fresh, md); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(fresh)
	if want := "# sockrun benchmarks\n\n" + md; string(got) != want {
		t.Errorf("new report:\n%s\nwant:\n%s", got, want)
	}
}

// TestParseFlags: -quick shortens the run and writes nothing unless asked;
// a full run writes docs/benchmarks.md.
func TestParseFlags(t *testing.T) {
	q, err := parseFlags([]string{"-quick", "-conns", "4, 16"})
	if err != nil {
		t.Fatal(err)
	}
	if q.rounds != 1 || q.duration != time.Second || q.idle != 1000 || q.retries != 0 || q.out != "" ||
		len(q.conns) != 2 || q.conns[0] != 4 || q.conns[1] != 16 {
		t.Errorf("-quick: %+v", q)
	}
	f, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.rounds != 7 || f.out != "docs/benchmarks.md" || len(f.conns) != 2 || f.conns[1] != 1000 {
		t.Errorf("defaults: %+v", f)
	}
	for _, bad := range [][]string{{"-conns", "4,x"}, {"-rounds", "0"}, {"-nosuch"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%q): no error", bad)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestFillRequestDiffers(t *testing.T) {
	a, b, c := make([]byte, 64), make([]byte, 64), make([]byte, 64)
	fillRequest(a, 1, 7)
	fillRequest(b, 1, 8)
	fillRequest(c, 2, 7)
	if string(a) == string(b) || string(a) == string(c) {
		t.Error("requests of different sequence numbers or connections are equal")
	}
}
