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
	rate     float64 // round trips (bulk: bytes) per second
	p50, p99 float64 // µs
	cpuRT    float64 // server CPU µs per round trip (bulk: per byte)
	usrRT    float64 // the part of it in user space
	genRT    float64 // generator CPU µs per round trip
	others   float64 // CPUs other processes used meanwhile
	// srvShare, genShare: the CPU the server and the generator used, as a
	// share of one CPU.
	srvShare, genShare float64
	dropped            bool  // neither process got its CPU: not counted
	total              int64 // round trips of the whole round, warm-up included
	lost               int64 // udp: datagrams lost
	// faults: the server's minor page faults per round trip (bulk: per
	// byte) in the window.
	faults float64
}

// idleResult is a server's memory with the idle connections held.
type idleResult struct {
	name          string
	conns         int
	before, after int64 // RSS, bytes
	note          string
}

func (r idleResult) perConn() float64 { return float64(r.after-r.before) / float64(r.conns) }

// benchmark is one run's setting and what it measured.
type benchmark struct {
	o          *options
	root       string
	tmp        string
	self       string // this binary: the Go echo server and the generator
	sockrun    string
	echoScript string // as given to sockrun, relative to root when inside it
	cpuScript  string
	pinned     bool
	serverCPU  int // -1: not pinned
	genCPU     int

	repeated int // rounds measured again because neither process got its CPU
	// sharedRounds numbers the shared.incr rounds: each increments a
	// key of its own.
	sharedRounds int

	startup *startupResult
	comps   []*comparison
	idle    []idleResult
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
	if b.tmp, err = os.MkdirTemp("", "sockrun-bench"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
	}
	b.sockrun = o.sockrun
	if b.sockrun == "" {
		logf("building sockrun")
		if b.sockrun, err = buildSockrun(b.root, b.tmp); err != nil {
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
	b.runAll()
	b.elapsed = time.Since(b.started)

	md := b.markdown()
	fmt.Print(md)
	if o.out != "" {
		out := o.out
		if !filepath.IsAbs(out) {
			out = filepath.Join(b.root, out)
		}
		chart := strings.TrimSuffix(out, filepath.Ext(out)) + ".svg"
		if err := os.WriteFile(chart, []byte(b.chart()), 0o644); err != nil {
			return err
		}
		if err := writeReport(out, md); err != nil {
			return err
		}
		logf("wrote %s and %s", out, chart)
	}
	return nil
}

// runAll runs every workload -only selects.
func (b *benchmark) runAll() {
	o := b.o
	if o.wants("startup") {
		b.startup = b.runStartup()
	}
	if o.wants("echo") {
		for _, n := range o.conns {
			b.comps = append(b.comps, b.runEcho(n))
		}
	}
	if o.wants("bulk") {
		b.comps = append(b.comps, b.runBulk())
	}
	if o.wants("udp") {
		b.comps = append(b.comps, b.runUDP())
	}
	if o.wants("flood") && o.floodConns > 0 {
		b.comps = append(b.comps, b.runFlood())
	}
	if o.wants("longline") && o.floodConns > 0 && o.longLine > 0 {
		b.comps = append(b.comps, b.runLongLine())
	}
	if o.wants("idle") && o.idle > 0 {
		names := []string{"Go", "sockrun"}
		if o.baseline != "" {
			names = append(names, baselineName("sockrun"))
		}
		for _, name := range names {
			r, err := b.runIdle(name)
			if err != nil {
				r = idleResult{name: name, conns: o.idle, note: "failed: " + firstLine(err.Error())}
				logf("idle: %s: %v", name, err)
			}
			b.idle = append(b.idle, r)
		}
	}
	if o.wants("http") {
		b.comps = append(b.comps, b.runHTTP())
	}
	if o.wants("resp") {
		b.comps = append(b.comps, b.runRESP())
	}
	if o.wants("workers") && o.workersConns > 0 {
		b.comps = append(b.comps, b.runWorkers())
	}
	if o.wants("trace") && o.traceConns > 0 {
		b.comps = append(b.comps, b.runTrace())
	}
	if o.wants("metrics") && o.metricsConns > 0 {
		b.comps = append(b.comps, b.runMetrics())
	}
	if o.wants("shared") && o.sharedThreads > 0 {
		b.comps = append(b.comps, b.runShared())
	}
}

// runEcho compares the echo servers at n connections: with one, server and
// generator share a CPU (one of them waits for the other at every turn);
// with more, each has its own.
func (b *benchmark) runEcho(n int) *comparison {
	c := &comparison{key: fmt.Sprintf("echo-%d", n), title: fmt.Sprintf("TCP echo, %d connection%s", n, plural(n)),
		about:    fmt.Sprintf("%d-byte requests, each connection a closed loop; sockrun runs `%s`.", b.o.size, b.rel(b.echoScript)),
		rateName: "req/s", rateScale: 1, cpuName: "µs/round trip", cpuScale: 1, latency: true,
		anchor: "sockrun", subjectAnchor: true}
	p := split
	if n == 1 {
		p = shared
	}
	srv, gen := b.cpus(p)
	m := b.genMeasure(gen, genConfig{Mode: "echo", Conns: n, Size: b.o.size})
	b.compare(c, p, []contender{
		b.goServer("Go", srv, m),
		b.sockrunServer("sockrun", c.key, b.echoScript, srv, 1, nil, m),
		b.asyncioServer("tcp", srv, m),
		b.copasServer("luajit", "tcp", srv, m),
		b.copasServer("lua5.1", "tcp", srv, m),
	})
	bound := 0.8
	if n == 50 {
		bound = 0.85
		c.targets = append(c.targets, target{num: "sockrun", den: "Go", cpu: true, bound: 1.2})
	}
	c.targets = append([]target{{num: "sockrun", den: "Go", bound: bound}}, c.targets...)
	c.targets = append(c.targets, target{num: "sockrun", den: "Copas on luajit", bound: 1})
	return c
}

// runBulk compares the echo script as shipped with the Go server with
// 32 KiB buffers on 4 connections streaming 64 KiB chunks.
func (b *benchmark) runBulk() *comparison {
	c := &comparison{key: "bulk", title: "TCP bulk, 4 connections",
		about:    fmt.Sprintf("Each connection writes %d KiB chunks and reads the echo, both at full speed; every byte checked. sockrun runs `%s` as shipped (recv(65536)); Go reads into 32 KiB buffers (a plain loop, not io.Copy, which splices on Linux).", b.o.bulkSize>>10, b.rel(b.echoScript)),
		rateName: "MB/s", rateScale: 1e-6, cpuName: "ms/MB", cpuScale: 1e3,
		faultName: "page faults/MB", faultScale: 1e6,
		anchor: "sockrun", subjectAnchor: true}
	srv, gen := b.cpus(split)
	m := b.genMeasure(gen, genConfig{Mode: "bulk", Conns: 4, Size: b.o.bulkSize})
	b.compare(c, split, []contender{
		b.goServer("Go", srv, m, "-buf", "32768"),
		b.sockrunServer("sockrun", c.key, b.echoScript, srv, 1, nil, m),
	})
	c.targets = []target{{num: "sockrun", den: "Go", bound: 0.8}}
	return c
}

// runUDP compares the UDP echo servers with 50 clients.
func (b *benchmark) runUDP() *comparison {
	c := &comparison{key: "udp", title: fmt.Sprintf("UDP echo, %d clients", b.o.udpClients),
		about:    fmt.Sprintf("%d-byte datagrams, each client a socket in a closed loop (a datagram not echoed in 500 ms counts as lost); sockrun runs `scripts/udp_echo_server.lua`.", b.o.size),
		rateName: "datagrams/s", rateScale: 1, cpuName: "µs/datagram", cpuScale: 1, latency: true,
		anchor: "sockrun", subjectAnchor: true}
	srv, gen := b.cpus(split)
	m := b.genMeasure(gen, genConfig{Mode: "udp", Conns: b.o.udpClients, Size: b.o.size})
	b.compare(c, split, []contender{
		b.goServer("Go", srv, m, "-udp"),
		b.sockrunServer("sockrun", c.key, filepath.Join(b.root, "scripts", "udp_echo_server.lua"), srv, 1, nil, m),
		b.asyncioServer("udp", srv, m),
		b.copasServer("luajit", "udp", srv, m),
		b.copasServer("lua5.1", "udp", srv, m),
	})
	c.targets = []target{{num: "sockrun", den: "Go", bound: 0.9}, {num: "sockrun", den: "Copas on luajit", bound: 1}}
	return c
}

// runFlood measures the echo latency of a few connections while one more
// floods the server: the fairness row of the socket core's issue.
func (b *benchmark) runFlood() *comparison {
	n := b.o.floodConns
	c := &comparison{key: "flood", title: "Fairness: echo latency while one client floods",
		about:    fmt.Sprintf("%d connections make closed-loop round trips as above while one more writes 256 KiB chunks and reads the echo at full speed, so that the thread serving it never waits; only the %d are measured. Without the switch interval's hand-off, that thread kept sockrun's interpreter lock and the others' echoes took seconds.", n, n),
		rateName: "req/s", rateScale: 1, cpuName: "µs/round trip", cpuScale: 1, latency: true,
		anchor: "sockrun", subjectAnchor: true}
	srv, gen := b.cpus(split)
	m := b.genMeasure(gen, genConfig{Mode: "echo", Conns: n, Size: b.o.size, Flood: true})
	b.compare(c, split, []contender{
		b.goServer("Go", srv, m),
		b.sockrunServer("sockrun", c.key, b.echoScript, srv, 1, nil, m),
	})
	return c
}

// runLongLine measures the line-echo latency of a few connections while
// one more sends long lines: the freeze of hostile clients' round two,
// where a server gathering a 40 MB line held the interpreter lock.
func (b *benchmark) runLongLine() *comparison {
	n := b.o.floodConns
	mb := float64(b.o.longLine) / 1e6
	c := &comparison{key: "longline", title: fmt.Sprintf("Fairness: line echo latency while one client sends %.0f MB lines", mb),
		about: fmt.Sprintf("%d connections make closed-loop round trips of %d-byte lines while one more sends %.0f MB lines (in 1 MiB writes) and reads each echo back; only the %d are measured (the p99 is the figure to read). sockrun runs `%s` (`recvline` with a 64 MiB bound, a thread per connection); Go reads lines with `bufio.Reader.ReadBytes`.",
			n, b.o.size, mb, n, b.rel(filepath.Join(b.root, "bench", "lua", "line_echo.lua"))),
		rateName: "req/s", rateScale: 1, cpuName: "µs/round trip", cpuScale: 1, latency: true, anyShare: true,
		anchor: "sockrun", subjectAnchor: true}
	srv, gen := b.cpus(split)
	m := b.genMeasure(gen, genConfig{Mode: "echo", Conns: n, Size: b.o.size, Lines: true, LongLine: b.o.longLine})
	b.compare(c, split, []contender{
		b.goServer("Go", srv, m, "-lines"),
		b.sockrunServer("sockrun", c.key, filepath.Join(b.root, "bench", "lua", "line_echo.lua"), srv, 1, nil, m),
	})
	return c
}

// runHTTP compares http_server.lua (HTTP parsed in Lua) and
// http_module_server.lua (parsed by the http module, in Go) with nginx,
// and with nginx running a Lua handler, under wrk.
func (b *benchmark) runHTTP() *comparison {
	c := &comparison{key: "http", title: "HTTP: `http_server.lua`, `http_module_server.lua` and nginx under wrk",
		about: fmt.Sprintf("`wrk -t1 -c%d` on GET / (a %d-byte text body, the same from all) with keep-alive. sockrun runs `scripts/http_server.lua` (HTTP parsed in Lua) and `scripts/http_module_server.lua` (the same server on the `http` module, parsed in Go); nginx has one worker process (master_process off) and no access log, and answers with `return 200`, or (nginx + Lua) from a `content_by_lua_block` handler of Debian's libnginx-mod-http-lua, the OpenResty way.",
			b.o.httpConns, len(httpBody)),
		rateName: "req/s", rateScale: 1, cpuName: "µs/request", cpuScale: 1, latency: true,
		anchor: "nginx"}
	srv, gen := b.cpus(split)
	_, missing := lookTool("wrk", "wrk")
	m := b.wrkMeasure(gen, b.o.httpConns)
	cs := []contender{
		b.nginxServer(srv, false, m),
		b.nginxServer(srv, true, m),
		b.sockrunServer("sockrun http_server.lua", c.key, filepath.Join(b.root, "scripts", "http_server.lua"), srv, 1, nil, m),
		b.sockrunServer("sockrun http module", "http-module", filepath.Join(b.root, "scripts", "http_module_server.lua"), srv, 1, nil, m),
	}
	for i := range cs {
		if missing != "" && cs[i].missing == "" {
			cs[i].missing = missing
		}
	}
	b.compare(c, split, cs)
	c.targets = []target{
		{num: "sockrun http module", den: "nginx", bound: 0.6},
		{num: "sockrun http module", den: "nginx + Lua", bound: 0.6},
		{num: "sockrun http_server.lua", den: "nginx", bound: 0.5},
	}
	return c
}

// runRESP compares resp_server.lua with redis-server under
// redis-benchmark -t set,get; --workers 2 runs unpinned (it needs both
// CPUs), against the same redis-server rounds.
func (b *benchmark) runRESP() *comparison {
	c := &comparison{key: "resp", title: "RESP: `resp_server.lua` and redis-server under redis-benchmark",
		about:    fmt.Sprintf("`redis-benchmark -t set,get -c %d -n %d`: the requests of both tests over the time of both; redis-server without persistence. redis-server and `--workers 1` pinned as the table says; `--workers 2` and its redis-benchmark not pinned, since two workers need both CPUs.", b.o.respConns, b.o.respRequests),
		rateName: "req/s", rateScale: 1, cpuName: "µs/request", cpuScale: 1, latency: true,
		anchor: "redis-server"}
	srv, gen := b.cpus(split)
	_, missing := lookTool("redis-benchmark", "redis-tools")
	script := filepath.Join(b.root, "scripts", "resp_server.lua")
	m := b.redisMeasure(gen, b.o.respConns, b.o.respRequests)
	cs := []contender{
		b.redisServer(srv, m),
		b.sockrunServer("sockrun --workers 1", "resp-w1", script, srv, 1, nil, m),
		b.sockrunServer("sockrun --workers 2", "resp-w2", script, -1, 2, nil, b.redisMeasure(-1, b.o.respConns, b.o.respRequests)),
	}
	for i := range cs {
		if missing != "" && cs[i].missing == "" {
			cs[i].missing = missing
		}
	}
	b.compare(c, split, cs)
	c.targets = []target{{num: "sockrun --workers 1", den: "redis-server", bound: 0.5}, {num: "sockrun --workers 2", den: "redis-server", bound: 1}}
	return c
}

// runWorkers compares the CPU-heavy handler under --workers 2 and 1,
// nothing pinned: two workers need both CPUs.
func (b *benchmark) runWorkers() *comparison {
	c := &comparison{key: "workers", title: "CPU-heavy handler: `--workers 2` against `--workers 1`",
		about:    fmt.Sprintf("`bench/lua/cpu_server.lua`: %d Lua loop iterations per request, then the echo; %d connections; the generator with GOMAXPROCS=1.", b.o.iterations, b.o.workersConns),
		rateName: "req/s", rateScale: 1, cpuName: "µs/request", cpuScale: 1, latency: true,
		anchor: "--workers 1"}
	iters := "iterations=" + strconv.Itoa(b.o.iterations)
	m := b.genMeasure(-1, genConfig{Mode: "echo", Conns: b.o.workersConns, Size: b.o.size})
	b.compare(c, free, []contender{
		b.sockrunServer("--workers 1", "workers-1", b.cpuScript, -1, 1, nil, m, iters),
		b.sockrunServer("--workers 2", "workers-2", b.cpuScript, -1, 2, nil, m, iters),
	})
	c.targets = []target{{num: "--workers 2", den: "--workers 1", bound: 1.7}}
	return c
}

// startGo starts the Go echo server.
func (b *benchmark) startGo() (*server, error) {
	return startServer("Go", b.serverCPU, []string{roleEnv + "=goecho"}, 1, b.self, "-addr", "127.0.0.1:0")
}

// startSockrunFlags starts the sockrun binary bin with flags on script on
// cpu (-1: anywhere), passing host and a free port, and waits for every
// worker to say it listens.
func (b *benchmark) startSockrunFlags(bin string, flags []string, script string, cpu, workers int, env []string, vars ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	argv := []string{bin, "--workers", strconv.Itoa(workers), "--var", "host=127.0.0.1", "--var", "port=" + strconv.Itoa(port)}
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

func roundOf(r *genResult) echoRound {
	return echoRound{
		others:   (r.AllCPU - r.ServerCPU - r.GenCPU) / r.Seconds,
		rate:     float64(r.Requests) / r.Seconds,
		p50:      r.P50,
		p99:      r.P99,
		cpuRT:    r.ServerCPU / float64(r.Requests) * 1e6,
		usrRT:    r.ServerUsr / float64(r.Requests) * 1e6,
		genRT:    r.GenCPU / float64(r.Requests) * 1e6,
		srvShare: r.ServerCPU / r.Seconds,
		genShare: r.GenCPU / r.Seconds,
		total:    r.Total,
		lost:     r.Lost,
		faults:   float64(r.ServerFaults) / float64(r.Requests),
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// runIdle measures a fresh server's RSS before and after the generator
// opens o.idle connections and leaves every one waiting in recv.
func (b *benchmark) runIdle(name string) (idleResult, error) {
	var s *server
	var err error
	switch name {
	case "Go":
		s, err = b.startGo()
	case "sockrun":
		s, err = b.startSockrunFlags(b.sockrun, b.sockrunArgs("idle"), b.echoScript, b.serverCPU, 1, nil)
	default:
		s, err = b.startSockrunFlags(b.o.baseline, nil, b.echoScript, b.serverCPU, 1, nil)
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
