// Command bench measures sockrun against a goroutine-per-connection Go echo
// server: echo throughput, latency and CPU per round trip at 50 and 1,000
// connections, the echo latency of 10 connections while one more floods
// the server, server memory per idle connection at 10,000 connections,
// a CPU-heavy handler under --workers 2 against --workers 1, and the echo
// server with --trace (to /dev/null) against without.
//
//	go run ./bench                 the full run (about 4 minutes), writes docs/benchmarks.md
//	go run ./bench -quick          a short run, printed only
//
// It builds sockrun, starts the servers and its own load generator as
// processes (the server pinned to CPU 0, the generator to CPU 1 with
// taskset), interleaves the rounds of the two servers and reports medians of
// the per-round ratios. See docs/benchmarks.md for the method.
//
// The same binary is also the Go echo server and the load generator: it
// re-executes itself with SOCKRUN_BENCH_ROLE set to goecho or gen.
package main

import (
	"flag"
	"fmt"
	"os"
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
	size       int // request size in bytes
	idle       int // idle connections held for the memory test
	// workersConns, iterations: connections and Lua loop iterations per
	// request of the --workers rounds.
	workersConns int
	iterations   int
	// traceConns: connections of the rounds of the echo server with
	// --trace against without (0 skips them).
	traceConns int
	out        string // markdown report file; "" prints only
	script     string // the echo server script; "" finds it
	sockrun    string // a built sockrun binary; "" builds one
	pin        bool   // pin server and generator to a CPU each
	quick      bool
	profile    string // write a CPU profile of sockrun's 50-connection echo rounds here
	retries    int    // times a round is measured again while other processes are busy
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := &options{}
	fs.BoolVar(&o.quick, "quick", false, "a short run (1 round of 1s, 1,000 idle connections); nothing is written unless -out is given")
	fs.IntVar(&o.rounds, "rounds", 7, "interleaved rounds per measurement")
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "measured time of each echo round")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up before each round")
	conns := fs.String("conns", "50,1000", "concurrent connections of the echo rounds, comma-separated (\"\" skips them)")
	fs.IntVar(&o.floodConns, "flood-conns", 10, "connections measured while one more floods the server (0 skips them)")
	fs.IntVar(&o.size, "size", 64, "request and response size in bytes")
	fs.IntVar(&o.idle, "idle", 10000, "idle connections held for the memory test (0 skips it)")
	fs.IntVar(&o.workersConns, "workers-conns", 32, "connections of the --workers rounds (0 skips them)")
	fs.IntVar(&o.traceConns, "trace-conns", 50, "connections of the echo rounds with --trace --trace-file /dev/null against without (0 skips them)")
	fs.IntVar(&o.iterations, "iterations", 10000, "Lua loop iterations per request of the CPU-heavy handler")
	out := fs.String("out", "", "write the markdown report to `FILE` (default docs/benchmarks.md for a full run)")
	fs.StringVar(&o.script, "script", "", "echo server `SCRIPT` (default scripts/threaded_echo_server.lua)")
	fs.StringVar(&o.sockrun, "sockrun", "", "use this sockrun `BINARY` instead of building one")
	fs.BoolVar(&o.pin, "pin", true, "pin the servers to CPU 0 and the generator to CPU 1 (taskset)")
	fs.IntVar(&o.retries, "retries", 2, "measure a round again, up to this many times, if other processes took over 0.1 CPU meanwhile")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of sockrun during the first echo measurement to `FILE`")
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
	if o.rounds < 1 || o.size < 1 {
		fmt.Fprintln(os.Stderr, "bench: -rounds and -size must be positive")
		return nil, fmt.Errorf("bad flags")
	}
	return o, nil
}
