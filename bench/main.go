// Command bench measures sockrun against reference servers measured in the
// same run: TCP echo at 1, 50 and 1,000 connections against Go, Python
// asyncio and LuaSocket + Copas on LuaJIT and Lua 5.1; TCP bulk and UDP
// echo against Go (and Copas, asyncio); the echo latency while one client
// floods and while one sends 40 MB lines; memory per idle connection at
// 10,000; start-up against lua5.1
// and python3; http_server.lua and http_module_server.lua against nginx
// (and nginx with a Lua handler) under wrk; resp_server.lua
// against redis-server under redis-benchmark; a CPU-heavy handler under
// --workers 2 against --workers 1; --trace against without; --metrics
// against without; shared.incr from 50 threads with the in-process store
// and in Redis, against redis-benchmark -t incr.
//
//	go run ./bench                 the full run (about 20 minutes), writes docs/benchmarks.md and .svg
//	go run ./bench -quick          a short run, printed only
//	go run ./bench -only echo,udp  some workloads
//
// It builds sockrun, starts the servers and its own load generator as
// processes (the server pinned to CPU 0, the generator to CPU 1 with
// taskset), interleaves the rounds of the servers and reports medians of
// the per-round ratios. See docs/benchmarks.md for the method. The
// references come from Debian's packages (bench/setup); a missing one is
// skipped with a note.
//
// The same binary is also the Go echo server and the load generator: it
// re-executes itself with SOCKRUN_BENCH_ROLE set to goecho or gen.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// roleEnv names the role a re-executed bench binary plays.
const roleEnv = "SOCKRUN_BENCH_ROLE"

func main() {
	if code, ok := runRole(); ok {
		os.Exit(code)
	}
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	if err := run(opts); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// runRole plays the role the environment asks for, if any, and returns its
// exit code.
func runRole() (int, bool) {
	switch os.Getenv(roleEnv) {
	case "goecho":
		return goEchoMain(os.Args[1:]), true
	case "gen":
		return genMain(os.Args[1:]), true
	}
	return 0, false
}

// options are what a benchmark run measures and how long.
type options struct {
	rounds   int           // interleaved rounds per measurement
	duration time.Duration // measured time of one echo round
	warmup   time.Duration // unmeasured time before it
	conns    []int         // concurrent connections of the echo rounds
	// floodConns: connections whose echo latency is measured while one
	// more connection floods the server (0 skips it).
	floodConns int
	// longLine: the bytes of each line the long-line row's hostile
	// client sends (0 skips the row).
	longLine int
	size     int // request size in bytes
	idle     int // idle connections held for the memory test
	// workersConns, iterations: connections and Lua loop iterations per
	// request of the --workers rounds.
	workersConns int
	iterations   int
	// traceConns: connections of the rounds of the echo server with
	// --trace against without (0 skips them).
	traceConns int
	// metricsConns: connections of the echo rounds with --metrics
	// against without.
	metricsConns int
	// sharedThreads: the threads calling shared.incr, and redis-benchmark's
	// connections, of the shared rows (0 skips them).
	sharedThreads int
	out           string // markdown report file; "" prints only
	script        string // the echo server script; "" finds it
	sockrun       string // a built sockrun binary; "" builds one
	// baseline is a second sockrun binary measured beside sockrun in
	// every table, as its "(baseline)" twin: an A/B of two builds in one
	// run ("" for none).
	baseline string
	pin      bool // pin server and generator to a CPU each
	quick    bool
	// profileDir gets a CPU and a heap profile of every sockrun server,
	// and the round trips it served (-profile).
	profileDir string
	retries    int // times a round is measured again while neither process got its CPU
	bulkSize   int // bytes of a bulk chunk
	udpClients int
	httpConns  int
	respConns  int
	// respRequests: requests of each redis-benchmark test in a round.
	respRequests int
	startupRuns  int
	only         map[string]bool // workloads to run; nil: all
}

// workloads -only may name.
var workloads = []string{"startup", "echo", "bulk", "udp", "flood", "longline", "idle", "http", "resp", "workers", "trace", "metrics", "shared"}

func (o *options) wants(w string) bool { return o.only == nil || o.only[w] }

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := &options{}
	fs.BoolVar(&o.quick, "quick", false, "a short run (1 round of 1s, 1,000 idle connections); nothing is written unless -out is given")
	fs.IntVar(&o.rounds, "rounds", 5, "interleaved rounds per measurement")
	fs.DurationVar(&o.duration, "duration", 2*time.Second, "measured time of each round")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured warm-up before each round")
	conns := fs.String("conns", "1,50,1000", "concurrent connections of the echo rounds, comma-separated (\"\" skips them)")
	only := fs.String("only", "", "run only these workloads, comma-separated: "+strings.Join(workloads, ","))
	fs.IntVar(&o.bulkSize, "bulk-size", 64<<10, "bytes of each chunk of the bulk rounds")
	fs.IntVar(&o.udpClients, "udp-clients", 50, "clients of the UDP rounds")
	fs.IntVar(&o.httpConns, "http-conns", 50, "wrk's connections")
	fs.IntVar(&o.respConns, "resp-conns", 50, "redis-benchmark's connections")
	fs.IntVar(&o.respRequests, "resp-requests", 100000, "requests of each redis-benchmark test per round (resp and shared)")
	fs.IntVar(&o.startupRuns, "startup-runs", 30, "start-ups timed per program")
	fs.IntVar(&o.longLine, "long-line", 40_000_000, "bytes of each line the long-line row's hostile client sends (0 skips the row)")
	fs.IntVar(&o.floodConns, "flood-conns", 10, "connections measured while one more floods the server (0 skips them)")
	fs.IntVar(&o.size, "size", 64, "request and response size in bytes")
	fs.IntVar(&o.idle, "idle", 10000, "idle connections held for the memory test (0 skips it)")
	fs.IntVar(&o.workersConns, "workers-conns", 32, "connections of the --workers rounds (0 skips them)")
	fs.IntVar(&o.traceConns, "trace-conns", 50, "connections of the echo rounds with --trace --trace-file /dev/null against without (0 skips them)")
	fs.IntVar(&o.metricsConns, "metrics-conns", 50, "connections of the echo rounds with --metrics (scraped every second) against without (0 skips them)")
	fs.IntVar(&o.sharedThreads, "shared-threads", 50, "threads calling shared.incr (in-process and in a redis-server), and redis-benchmark -t incr's connections (0 skips them)")
	fs.IntVar(&o.iterations, "iterations", 10000, "Lua loop iterations per request of the CPU-heavy handler")
	out := fs.String("out", "", "write the markdown report to `FILE` (default docs/benchmarks.md for a full run)")
	fs.StringVar(&o.script, "script", "", "echo server `SCRIPT` (default scripts/threaded_echo_server.lua)")
	fs.StringVar(&o.sockrun, "sockrun", "", "use this sockrun `BINARY` instead of building one")
	fs.StringVar(&o.baseline, "baseline", "", "also measure this sockrun `BINARY` in every table, start-up and idle included, as a \"(baseline)\" row beside each sockrun row, rounds interleaved: an A/B of two builds in one run")
	fs.BoolVar(&o.pin, "pin", true, "pin the servers to CPU 0 and the generator to CPU 1 (taskset)")
	fs.IntVar(&o.retries, "retries", 2, "measure a round again, up to this many times, if neither the server nor the generator got 85% of its CPU")
	fs.StringVar(&o.profileDir, "profile", "", "write a CPU and a heap profile of every sockrun server into `DIR` (KEY.cpu.pprof, KEY.mem.pprof; KEY.count: the round trips, or bytes, it served)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		if !set["rounds"] {
			o.rounds = 1
		}
		if !set["duration"] {
			o.duration = time.Second
		}
		if !set["warmup"] {
			o.warmup = 300 * time.Millisecond
		}
		if !set["idle"] {
			o.idle = 1000
		}
		if !set["retries"] {
			o.retries = 0
		}
		if !set["resp-requests"] {
			o.respRequests = 20000
		}
		if !set["startup-runs"] {
			o.startupRuns = 5
		}
	}
	o.out = *out
	if !set["out"] && !o.quick {
		o.out = "docs/benchmarks.md"
	}
	o.conns = nil
	for _, f := range strings.FieldsFunc(*conns, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -conns: bad count %q\n", f)
			return nil, err
		}
		o.conns = append(o.conns, n)
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, w := range strings.Split(*only, ",") {
			w = strings.TrimSpace(w)
			if !slices.Contains(workloads, w) {
				fmt.Fprintf(os.Stderr, "bench: -only: no workload %q (%s)\n", w, strings.Join(workloads, ","))
				return nil, fmt.Errorf("bad flags")
			}
			o.only[w] = true
		}
	}
	if o.rounds < 1 || o.size < 16 || o.bulkSize < 1 {
		fmt.Fprintln(os.Stderr, "bench: -rounds and -bulk-size must be positive, -size at least 16")
		return nil, fmt.Errorf("bad flags")
	}
	return o, nil
}
