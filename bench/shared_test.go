package main

import (
	"bufio"
	"math"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// fakeIncrScript answers every connection of a shared_incr.lua round with
// answer, after reading the request line; the lines it read go to got.
func fakeIncrScript(t *testing.T, answer string) (addr string, got chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got = make(chan string, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			got <- line
			c.Write([]byte(answer + "\n"))
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String(), got
}

// thisProcess is a server struct for this test process, so that the
// CPU readings have a process to read.
func thisProcess(t *testing.T, addr string) *server {
	t.Helper()
	p, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return &server{name: "test", cmd: &exec.Cmd{Process: p}, addr: addr, done: make(chan struct{})}
}

// TestSharedMeasure runs the shared rounds' measure against a stand-in
// for shared_incr.lua: the request names a fresh key and the round's
// times, the answer becomes a round (rate over the window, percentiles
// of the histogram, CPU per incr over every incr), and an answer whose
// store does not hold every increment, or that reports an error, fails
// the round.
func TestSharedMeasure(t *testing.T) {
	b := &benchmark{o: &options{warmup: 20 * time.Millisecond, duration: 200 * time.Millisecond}}
	addr, got := fakeIncrScript(t, `{"done":3000,"ops":2000,"seconds":0.2,"stored":3000,"sampled":100,"hist":[5,50,1200,49,1500,1]}`)
	r, err := b.sharedMeasure(nil)(thisProcess(t, addr))
	if err != nil {
		t.Fatal(err)
	}
	if line := <-got; line != "sockrun-bench:incr:1 0.02 0.2\n" {
		t.Errorf("request %q", line)
	}
	if r.rate != 10000 || r.p50 != 0.55 || math.Abs(r.p99-100*math.Exp(2.005)) > 1e-9 || r.total != 3000 || r.cpuRT < 0 || r.genRT != 0 {
		t.Errorf("round %+v", r)
	}
	if _, err := b.sharedMeasure(nil)(thisProcess(t, addr)); err != nil {
		t.Fatal(err)
	}
	if line := <-got; !strings.HasPrefix(line, "sockrun-bench:incr:2 ") {
		t.Errorf("second round's request %q: want a key of its own", line)
	}

	for answer, want := range map[string]string{
		`{"done":3000,"ops":2000,"seconds":0.2,"stored":2999,"sampled":100,"hist":[5,100]}`: "count check: the store holds 2999 under sockrun-bench:incr:",
		`{"error":"shared_incr.lua:60: shared.StoreError: timed out (incr redis://x)"}`:     "shared_incr.lua: shared_incr.lua:60: shared.StoreError: timed out",
		`{"done":3000,"ops":0,"seconds":0.2,"stored":3000,"sampled":0,"hist":[]}`:           "shared_incr.lua answered",
		`not json`: "shared_incr.lua answered",
	} {
		addr, _ := fakeIncrScript(t, answer)
		if _, err := b.sharedMeasure(nil)(thisProcess(t, addr)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("answer %s: error %v, want %q", answer, err, want)
		}
	}
}

// TestHistPercentiles: the quantiles of shared_incr.lua's histogram are
// the middles of the buckets they fall in, tenths of a microsecond below
// 100 µs and 1% steps above.
func TestHistPercentiles(t *testing.T) {
	p, err := histPercentiles([]float64{1500, 1, 5, 50, 1200, 49}, 0.5, 0.99, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.55, 100 * math.Exp(2.005), 100 * math.Exp(5.005)}
	for i := range want {
		if math.Abs(p[i]-want[i]) > 1e-9 {
			t.Errorf("quantiles %v, want %v", p, want)
		}
	}
	if v := bucketMicros(999); v != 99.95 {
		t.Errorf("bucket 999 = %v µs", v)
	}
	if _, err := histPercentiles(nil, 0.5); err == nil {
		t.Error("empty histogram: no error")
	}
}

// TestReadRESPInt reads GET's replies as the count checks get them.
func TestReadRESPInt(t *testing.T) {
	for reply, want := range map[string]int64{"$-1\r\n": 0, "$5\r\n12345\r\n": 12345} {
		if n, err := readRESPInt(bufio.NewReader(strings.NewReader(reply)), "k"); err != nil || n != want {
			t.Errorf("%q: %v, %v; want %d", reply, n, err, want)
		}
	}
	for _, reply := range []string{"-WRONGTYPE Operation against a key\r\n", "$3\r\ns:x\r\n", ""} {
		if _, err := readRESPInt(bufio.NewReader(strings.NewReader(reply)), "k"); err == nil {
			t.Errorf("%q: no error", reply)
		}
	}
}

// TestSharedReport: the shared table names its CPU column for the
// clients and reports the Redis row against the in-process one.
func TestSharedReport(t *testing.T) {
	b := &benchmark{o: &options{rounds: 1}, root: t.TempDir()}
	c := &comparison{key: "shared", title: "shared", about: "About.", rateName: "incr/s", rateScale: 1, cpuName: "µs/incr", cpuScale: 1,
		latency: true, cpuHead: "client CPU", anchor: "redis-benchmark", pinning: "nothing pinned",
		ratios: []target{{num: "sockrun Redis", den: "sockrun in-process"}, {num: "sockrun Redis", den: "gone"}}}
	c.series = []*series{
		{name: "sockrun in-process", rounds: []echoRound{{rate: 1.25e6, p50: 0.5, p99: 1, cpuRT: 0.6, usrRT: 0.5, srvShare: 1}}},
		{name: "sockrun Redis", rounds: []echoRound{{rate: 8250, p50: 1500, p99: 4000, cpuRT: 40, usrRT: 20, srvShare: 1}}},
		{name: "redis-benchmark", rounds: []echoRound{{rate: 50000, p50: 500, p99: 900, cpuRT: 20, usrRT: 5, srvShare: 1}}},
	}
	b.comps = []*comparison{c}
	md := b.markdown()
	for _, want := range []string{
		"| server | incr/s | p50 µs | p99 µs | client CPU µs/incr | of it user space | ÷ redis-benchmark: incr/s | ÷ redis-benchmark: CPU |",
		"| sockrun in-process | 1250000 | 0.5 | 1.0 | 0.600 | 0.500 | **25.00×** | 0.03× |",
		"| sockrun Redis | 8250 | 1500.0 | 4000.0 | 40.0 | 20.0 | **0.17×** | 2.00× |",
		"| redis-benchmark | 50000 | 500.0 | 900.0 | 20.0 | 5.00 |  |  |",
		"- sockrun Redis ÷ sockrun in-process: 0.0066× incr/s.",
		"- sockrun Redis ÷ gone: not measured.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s", md)
	}
}

// TestShared runs the shared rows as go run ./bench runs them, on tiny
// rounds: sockrun built from this tree runs bench/lua/shared_incr.lua
// with the in-process store and with a redis-server the benchmark starts,
// and redis-benchmark increments on that redis-server; every row gets a
// counted round (the counts checked), none a note.
func TestShared(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sockrun")
	}
	testenv.Tool(t, "redis-server")
	testenv.Tool(t, "redis-benchmark")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin, err := buildSockrun(root, tmp)
	if err != nil {
		t.Fatal(err)
	}
	b := &benchmark{o: &options{rounds: 1, warmup: 20 * time.Millisecond, duration: 200 * time.Millisecond,
		sharedThreads: 4, respRequests: 2000}, root: root, tmp: tmp, self: self, sockrun: bin, serverCPU: -1, genCPU: -1}
	c := b.runShared()
	if len(c.series) != 3 {
		t.Fatalf("%d rows, want 3", len(c.series))
	}
	for _, s := range c.series {
		if s.note != "" || len(s.rounds) != 1 {
			t.Errorf("%s: note %q, %d rounds", s.name, s.note, len(s.rounds))
			continue
		}
		if r := s.rounds[0]; r.rate <= 0 || r.p50 <= 0 || r.p99 < r.p50 || r.total < 1 || r.cpuRT < 0 {
			t.Errorf("%s: round %+v", s.name, r)
		}
	}
	if v, ok := c.ratio("sockrun Redis", "sockrun in-process", false); !ok || v <= 0 {
		t.Errorf("Redis ÷ in-process: %v, %v", v, ok)
	}
}
