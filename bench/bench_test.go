package main

import (
	"golang.org/x/sys/unix"
	"net"
	"os"
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
	r, err := b.genMeasure(-1, genConfig{Mode: "echo", Conns: 4, Size: b.o.size})(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.rate <= 0 || r.p50 <= 0 || r.p99 < r.p50 || r.cpuRT < 0 || r.genRT < 0 || r.total < int64(r.rate*0.2*0.9) {
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
	// Touching fresh pages of a new mapping faults each in.
	_, _, f0, err := procTimes(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	mem, err := unix.Mmap(-1, 0, 64*os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(mem); i += os.Getpagesize() {
		mem[i] = 1
	}
	unix.Munmap(mem)
	if _, _, f1, err := procTimes(os.Getpid()); err != nil || f1-f0 < 64 {
		t.Errorf("minor faults %d -> %d, %v; want at least 64 more", f0, f1, err)
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
		ServerCPU: 0.01, ServerUsr: 0.004, GenCPU: 0.02, AllCPU: 0.5, Total: 1500})
	want := echoRound{rate: 500, p50: 30, p99: 90, cpuRT: 10, usrRT: 4, genRT: 20, others: 0.235, srvShare: 0.005, genShare: 0.01, total: 1500}
	near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	if !near(r.rate, want.rate) || r.p50 != want.p50 || r.p99 != want.p99 || !near(r.cpuRT, want.cpuRT) ||
		!near(r.usrRT, want.usrRT) || !near(r.genRT, want.genRT) || !near(r.others, want.others) ||
		!near(r.srvShare, want.srvShare) || !near(r.genShare, want.genShare) || r.total != want.total {
		t.Errorf("roundOf = %+v, want %+v", r, want)
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
		len(q.conns) != 2 || q.conns[0] != 4 || q.conns[1] != 16 || q.only != nil || !q.wants("resp") {
		t.Errorf("-quick: %+v", q)
	}
	f, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.rounds != 5 || f.out != "docs/benchmarks.md" || len(f.conns) != 3 || f.conns[0] != 1 || f.conns[2] != 1000 || f.bulkSize != 64<<10 {
		t.Errorf("defaults: %+v", f)
	}
	if f.sharedThreads != 50 || !f.wants("shared") {
		t.Errorf("shared rows: %d threads, wanted %v", f.sharedThreads, f.wants("shared"))
	}
	if s, err := parseFlags([]string{"-quick", "-only", "shared", "-shared-threads", "8"}); err != nil || !s.wants("shared") || s.wants("resp") || s.sharedThreads != 8 {
		t.Errorf("-only shared -shared-threads 8: %+v, %v", s, err)
	}
	o, err := parseFlags([]string{"-only", "echo,udp"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.wants("echo") || !o.wants("udp") || o.wants("idle") {
		t.Errorf("-only echo,udp: %v", o.only)
	}
	for _, bad := range [][]string{{"-conns", "4,x"}, {"-rounds", "0"}, {"-nosuch"}, {"-only", "echo,nosuch"}, {"-size", "8"}} {
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
