package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// echoRound is one server's measurement in one round.
type echoRound struct {
	rate     float64 // round trips per second
	p50, p99 float64 // µs
	cpuRT    float64 // server CPU µs per round trip
	usrRT    float64 // the part of it in user space
	genRT    float64 // generator CPU µs per round trip
	others   float64 // CPUs other processes used meanwhile
}

// echoResult is one connection count's rounds, Go's and sockrun's.
type echoResult struct {
	conns int
	goR   []echoRound
	luaR  []echoRound
}

// idleResult is a server's memory with the idle connections held.
type idleResult struct {
	name          string
	conns         int
	before, after int64 // RSS, bytes
}

func (r idleResult) perConn() float64 { return float64(r.after-r.before) / float64(r.conns) }

// workersResult is the CPU-heavy handler's rounds under 1 and 2 workers.
type workersResult struct {
	conns, iterations int
	w1, w2            []echoRound
}

// benchmark is one run's setting and what it measured.
type benchmark struct {
	o          *options
	root       string
	self       string // this binary: the Go echo server and the generator
	sockrun    string
	echoScript string // as given to sockrun, relative to root when inside it
	cpuScript  string
	pinned     bool
	serverCPU  int // -1: not pinned
	genCPU     int

	repeated int // rounds measured again because other processes were busy

	echo    []*echoResult
	flood   *echoResult // the measured connections' rounds while one more floods
	idle    []idleResult
	workers *workersResult
	trace   *traceResult
	started time.Time
	elapsed time.Duration
}

// logf reports progress on standard error.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func run(o *options) error {
	b := &benchmark{o: o, serverCPU: -1, genCPU: -1, started: time.Now()}
	var err error
	if b.root, err = moduleRoot(); err != nil {
		return err
	}
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sockrun-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b.sockrun = o.sockrun
	if b.sockrun == "" {
		logf("building sockrun")
		if b.sockrun, err = buildSockrun(b.root, tmp); err != nil {
			return err
		}
	}
	b.echoScript = o.script
	if b.echoScript == "" {
		b.echoScript = filepath.Join(b.root, "scripts", "threaded_echo_server.lua")
	}
	b.cpuScript = filepath.Join(b.root, "bench", "lua", "cpu_server.lua")
	if o.pin {
		if hasTaskset() {
			b.pinned, b.serverCPU, b.genCPU = true, 0, 1
		} else {
			logf("taskset or a second CPU missing: not pinning")
		}
	}
	raiseNoFile(0)

	for _, n := range o.conns {
		r, err := b.runEcho(n, false)
		if err != nil {
			return err
		}
		b.echo = append(b.echo, r)
	}
	if o.floodConns > 0 {
		if b.flood, err = b.runEcho(o.floodConns, true); err != nil {
			return err
		}
	}
	if o.idle > 0 {
		for _, name := range []string{"Go", "sockrun"} {
			r, err := b.runIdle(name)
			if err != nil {
				return err
			}
			b.idle = append(b.idle, r)
		}
	}
	if o.workersConns > 0 {
		if b.workers, err = b.runWorkers(); err != nil {
			return err
		}
	}
	if o.traceConns > 0 {
		if b.trace, err = b.runTrace(); err != nil {
			return err
		}
	}
	b.elapsed = time.Since(b.started)

	md := b.markdown()
	fmt.Print(md)
	if o.out != "" {
		out := o.out
		if !filepath.IsAbs(out) {
			out = filepath.Join(b.root, out)
		}
		if err := writeReport(out, md); err != nil {
			return err
		}
		logf("wrote %s", out)
	}
	return nil
}

// startGo starts the Go echo server.
func (b *benchmark) startGo() (*server, error) {
	return startServer("Go", b.serverCPU, []string{roleEnv + "=goecho"}, 1, b.self, "-addr", "127.0.0.1:0")
}

// startSockrun starts sockrun on script on cpu (-1: anywhere), passing
// host and a free port, and waits for every worker to say it listens.
func (b *benchmark) startSockrun(script string, cpu, workers int, env []string, vars ...string) (*server, error) {
	return b.startSockrunFlags(nil, script, cpu, workers, env, vars...)
}

// startSockrunFlags is startSockrun with more of sockrun's flags.
func (b *benchmark) startSockrunFlags(flags []string, script string, cpu, workers int, env []string, vars ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	argv := []string{b.sockrun, "--workers", strconv.Itoa(workers), "--var", "host=127.0.0.1", "--var", "port=" + strconv.Itoa(port)}
	argv = append(argv, flags...)
	for _, v := range vars {
		argv = append(argv, "--var", v)
	}
	argv = append(argv, script)
	return startServer("sockrun", cpu, env, workers, argv...)
}

// generate runs the load generator (pinned to cpu unless cpu < 0) on cfg.
func (b *benchmark) generate(cpu int, cfg genConfig) (*genResult, error) {
	arg, _ := json.Marshal(cfg)
	argv := []string{b.self, string(arg)}
	if cpu >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	// One P: unpinned (the --workers rounds) a generator with two would
	// spend a fifth of a CPU waking its second P for each round trip,
	// CPU the workers need.
	cmd.Env = append(os.Environ(), roleEnv+"=gen", "GOMAXPROCS=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("load generator: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var res genResult
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		return nil, fmt.Errorf("load generator said %q: %v", out, err)
	}
	return &res, nil
}

// maxOthers is the CPU other processes may take during a round (in CPUs,
// from /proc/stat) before the round is measured again: on a shared
// machine a burst of someone else's work skews one server's round.
const maxOthers = 0.1

// measure runs the generator on cfg, again (up to o.retries times) while
// other processes took more than maxOthers CPUs in the window.
func (b *benchmark) measure(cpu int, cfg genConfig, what string) (echoRound, error) {
	for try := 0; ; try++ {
		g, err := b.generate(cpu, cfg)
		if err != nil {
			return echoRound{}, err
		}
		r := roundOf(g)
		if r.others <= maxOthers || try >= b.o.retries {
			return r, nil
		}
		b.repeated++
		logf("%s: other processes took %.2f CPU: measuring again", what, r.others)
	}
}

func roundOf(r *genResult) echoRound {
	return echoRound{
		others: (r.AllCPU - r.ServerCPU - r.GenCPU) / r.Seconds,
		rate:   float64(r.Requests) / r.Seconds,
		p50:    r.P50,
		p99:    r.P99,
		cpuRT:  r.ServerCPU / float64(r.Requests) * 1e6,
		usrRT:  r.ServerUsr / float64(r.Requests) * 1e6,
		genRT:  r.GenCPU / float64(r.Requests) * 1e6,
	}
}

// runEcho measures both servers at n connections, rounds interleaved:
// Go, sockrun, Go, sockrun ... With flood, one more connection floods the
// server meanwhile (not measured).
func (b *benchmark) runEcho(n int, flood bool) (*echoResult, error) {
	goSrv, err := b.startGo()
	if err != nil {
		return nil, err
	}
	defer goSrv.stop()
	var env []string
	if b.o.profile != "" && !flood && n == b.o.conns[0] {
		prof, _ := filepath.Abs(b.o.profile)
		env = append(env, "SOCKRUN_CPUPROFILE="+prof)
	}
	luaSrv, err := b.startSockrun(b.echoScript, b.serverCPU, 1, env)
	if err != nil {
		return nil, err
	}
	defer luaSrv.stop()
	res := &echoResult{conns: n}
	for round := 1; round <= b.o.rounds; round++ {
		for _, s := range []*server{goSrv, luaSrv} {
			r, err := b.measure(b.genCPU, genConfig{Mode: "echo", Addr: s.addr, Conns: n, Size: b.o.size,
				Warmup: b.o.warmup, Duration: b.o.duration, ServerPID: s.pid(), Flood: flood}, s.name)
			if err != nil {
				return nil, fmt.Errorf("%s, %d connections: %w (server: %s)", s.name, n, err, s.errText())
			}
			if s == goSrv {
				res.goR = append(res.goR, r)
			} else {
				res.luaR = append(res.luaR, r)
			}
			what := "conns"
			if flood {
				what = "+flood"
			}
			logf("%5d %-6s round %d %-8s %8.0f req/s  p50 %6.1f µs  p99 %7.1f µs  server CPU %5.2f µs/rt (user %4.2f)  generator CPU %5.2f µs/rt  others %.2f CPU",
				n, what, round, s.name, r.rate, r.p50, r.p99, r.cpuRT, r.usrRT, r.genRT, r.others)
		}
	}
	return res, nil
}

// runIdle measures a fresh server's RSS before and after the generator
// opens o.idle connections and leaves every one waiting in recv.
func (b *benchmark) runIdle(name string) (idleResult, error) {
	var s *server
	var err error
	if name == "Go" {
		s, err = b.startGo()
	} else {
		s, err = b.startSockrun(b.echoScript, b.serverCPU, 1, nil)
	}
	if err != nil {
		return idleResult{}, err
	}
	defer s.stop()
	res := idleResult{name: name, conns: b.o.idle}
	settle := time.Second
	if b.o.quick {
		settle = 200 * time.Millisecond
	}
	time.Sleep(settle / 2)
	if res.before, err = rss(s.pid()); err != nil {
		return res, err
	}

	cfg, _ := json.Marshal(genConfig{Mode: "idle", Addr: s.addr, Conns: b.o.idle, Size: b.o.size})
	argv := []string{b.self, string(cfg)}
	if b.genCPU >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(b.genCPU)}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), roleEnv+"=gen")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return res, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "ready") {
		stdin.Close()
		cmd.Wait()
		return res, fmt.Errorf("idle connections to %s: %s (server: %s)", name, strings.TrimSpace(stderr.String()), s.errText())
	}
	// Let the server settle: the last threads go back to waiting.
	time.Sleep(settle)
	if res.after, err = rss(s.pid()); err != nil {
		return res, err
	}
	if !s.alive() {
		return res, fmt.Errorf("%s died holding idle connections: %s", name, s.errText())
	}
	logf("%d idle connections: %-8s RSS %6.1f MiB -> %6.1f MiB: %5.2f KiB per connection",
		res.conns, name, float64(res.before)/(1<<20), float64(res.after)/(1<<20), res.perConn()/1024)
	return res, nil
}

// runWorkers measures the CPU-heavy handler under --workers 1 and 2,
// rounds interleaved. Nothing is pinned: the workers need both CPUs.
func (b *benchmark) runWorkers() (*workersResult, error) {
	res := &workersResult{conns: b.o.workersConns, iterations: b.o.iterations}
	iters := "iterations=" + strconv.Itoa(b.o.iterations)
	w1, err := b.startSockrun(b.cpuScript, -1, 1, nil, iters)
	if err != nil {
		return nil, err
	}
	defer w1.stop()
	w2, err := b.startSockrun(b.cpuScript, -1, 2, nil, iters)
	if err != nil {
		return nil, err
	}
	defer w2.stop()
	for round := 1; round <= b.o.rounds; round++ {
		for i, s := range []*server{w1, w2} {
			r, err := b.measure(-1, genConfig{Mode: "echo", Addr: s.addr, Conns: b.o.workersConns, Size: b.o.size,
				Warmup: b.o.warmup, Duration: b.o.duration, ServerPID: s.pid()}, fmt.Sprintf("--workers %d", i+1))
			if err != nil {
				return nil, fmt.Errorf("--workers %d: %w (server: %s)", i+1, err, s.errText())
			}
			if i == 0 {
				res.w1 = append(res.w1, r)
			} else {
				res.w2 = append(res.w2, r)
			}
			logf("cpu-heavy round %d --workers %d %8.0f req/s  p50 %7.1f µs  server CPU %6.1f µs/rt  others %.2f CPU", round, i+1, r.rate, r.p50, r.cpuRT, r.others)
		}
	}
	return res, nil
}

// median of xs (xs is not changed).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// field picks one measure of each round.
func field(rs []echoRound, f func(echoRound) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// ratios are a[i]/b[i] per round, by f.
func ratios(a, b []echoRound, f func(echoRound) float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = f(a[i]) / f(b[i])
	}
	return out
}
