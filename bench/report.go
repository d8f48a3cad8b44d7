package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// The report replaces only what lies between these markers in an existing
// file, so the hand-written parts of docs/benchmarks.md (method, the log of
// optimizations) stay.
const (
	beginMarker = "<!-- bench:results:begin (written by go run ./bench) -->"
	endMarker   = "<!-- bench:results:end -->"
)

// Targets of the issue that asked for the benchmark.
const (
	targetRate    = 0.8  // sockrun req/s ≥ 0.8× Go's at 50 connections
	targetCPU     = 1.2  // server CPU per round trip ≤ 1.2× Go's
	targetIdleKiB = 16.0 // server RSS per idle connection
	targetWorkers = 1.7  // --workers 2 against --workers 1
)

func rate(r echoRound) float64  { return r.rate }
func p50(r echoRound) float64   { return r.p50 }
func p99(r echoRound) float64   { return r.p99 }
func cpuRT(r echoRound) float64 { return r.cpuRT }
func usrRT(r echoRound) float64 { return r.usrRT }
func genRT(r echoRound) float64 { return r.genRT }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// markdown is the results section.
func (b *benchmark) markdown() string {
	var w bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p("%s\n\n", beginMarker)
	p("Run %s, %s, by `%s`.\n\n", b.started.UTC().Format("2006-01-02 15:04 UTC"), gitDescribe(b.root), b.commandLine())
	p("- Machine: %s, %d CPUs, Linux %s, %s.\n", cpuModel(), runtime.NumCPU(), kernel(), runtime.Version())
	pin := "not pinned"
	if b.pinned {
		pin = fmt.Sprintf("servers pinned to CPU %d, load generator to CPU %d (taskset)", b.serverCPU, b.genCPU)
	}
	p("- Echo: %d-byte requests, %d rounds of %s (after %s warm-up) per server, interleaved; %s.\n",
		b.o.size, b.o.rounds, b.o.duration, b.o.warmup, pin)
	p("- Echo script: `%s`. Took %s.\n", b.rel(b.echoScript), b.elapsed.Round(1e9))
	p("- Rounds measured again because other processes took over %.1f CPU meanwhile: %d (at most %d times each).\n\n", maxOthers, b.repeated, b.o.retries)

	if len(b.echo) > 0 {
		p("### Echo, request/response\n\n")
		p("Medians over the rounds; the ratio row is the median of the per-round ratios sockrun/Go.\n\n")
		p("| connections | server | req/s | p50 µs | p99 µs | server CPU µs/round trip | of it user space | generator CPU µs/round trip |\n")
		p("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, e := range b.echo {
			for _, s := range []struct {
				name string
				rs   []echoRound
			}{{"Go", e.goR}, {"sockrun", e.luaR}} {
				p("| %d | %s | %.0f | %.1f | %.1f | %.2f | %.2f | %.2f |\n", e.conns, s.name,
					median(field(s.rs, rate)), median(field(s.rs, p50)), median(field(s.rs, p99)),
					median(field(s.rs, cpuRT)), median(field(s.rs, usrRT)), median(field(s.rs, genRT)))
			}
			p("| %d | **sockrun/Go** | **%.2f×** | %.2f× | %.2f× | **%.2f×** | %.2f× | |\n", e.conns,
				median(ratios(e.luaR, e.goR, rate)), median(ratios(e.luaR, e.goR, p50)),
				median(ratios(e.luaR, e.goR, p99)), median(ratios(e.luaR, e.goR, cpuRT)), median(ratios(e.luaR, e.goR, usrRT)))
		}
		p("\n")
		for _, e := range b.echo {
			if e.conns != 50 {
				continue
			}
			rr, cr := median(ratios(e.luaR, e.goR, rate)), median(ratios(e.luaR, e.goR, cpuRT))
			p("Targets at 50 connections: req/s ≥ %.1f× Go's: %.2f×, %s; server CPU per round trip ≤ %.1f× Go's: %.2f×, %s.\n\n",
				targetRate, rr, verdict(rr >= targetRate), targetCPU, cr, verdict(cr <= targetCPU))
		}
		p("Per round (req/s, server CPU µs/round trip):\n\n")
		p("| connections | round | Go | sockrun | req/s ratio | CPU ratio |\n| ---: | ---: | --- | --- | ---: | ---: |\n")
		for _, e := range b.echo {
			for i := range e.goR {
				g, l := e.goR[i], e.luaR[i]
				p("| %d | %d | %.0f, %.2f | %.0f, %.2f | %.2f | %.2f |\n", e.conns, i+1, g.rate, g.cpuRT, l.rate, l.cpuRT, l.rate/g.rate, l.cpuRT/g.cpuRT)
			}
		}
		p("\n")
	}

	if e := b.flood; e != nil {
		p("### Echo latency while one client floods\n\n")
		p("%d connections make closed-loop round trips as above while one more connection writes 256 KiB chunks and reads the echo at full speed, so that the thread serving it never waits (only the %d are measured). Before the switch interval's hand-off, that thread kept sockrun's interpreter lock and the others' echoes took seconds. Medians over the rounds; the ratio row is the median of the per-round ratios.\n\n", e.conns, e.conns)
		p("| server | round trips/s | p50 µs | p99 µs |\n| --- | ---: | ---: | ---: |\n")
		for _, s := range []struct {
			name string
			rs   []echoRound
		}{{"Go", e.goR}, {"sockrun", e.luaR}} {
			p("| %s | %.0f | %.1f | %.1f |\n", s.name, median(field(s.rs, rate)), median(field(s.rs, p50)), median(field(s.rs, p99)))
		}
		p("| **sockrun/Go** | %.2f× | %.2f× | **%.2f×** |\n\n",
			median(ratios(e.luaR, e.goR, rate)), median(ratios(e.luaR, e.goR, p50)), median(ratios(e.luaR, e.goR, p99)))
	}

	if len(b.idle) > 0 {
		p("### Idle connections\n\n")
		p("Server RSS (VmRSS) before and after the generator opened the connections, made one checked round trip on each and left them idle, every server thread waiting in recv.\n\n")
		p("| server | connections | RSS before | RSS after | per connection |\n| --- | ---: | ---: | ---: | ---: |\n")
		for _, r := range b.idle {
			p("| %s | %d | %.1f MiB | %.1f MiB | %.2f KiB |\n", r.name, r.conns, mib(r.before), mib(r.after), r.perConn()/1024)
		}
		p("\n")
		for _, r := range b.idle {
			if kib := r.perConn() / 1024; r.name == "sockrun" {
				p("Target: ≤ %.0f KiB per idle connection: %.2f KiB, %s.\n\n", targetIdleKiB, kib, verdict(kib <= targetIdleKiB))
			}
		}
	}
	return b.finishMarkdown(&w)
}

// finishMarkdown adds the workers section and the end marker.
func (b *benchmark) finishMarkdown(w *bytes.Buffer) string {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	if r := b.workers; r != nil {
		p("### CPU-heavy handler, --workers 2 against --workers 1\n\n")
		p("`bench/lua/cpu_server.lua`, %d Lua loop iterations per request, %d connections, nothing pinned.\n\n", r.iterations, r.conns)
		p("| workers | req/s | p50 µs | p99 µs | server CPU µs/request |\n| ---: | ---: | ---: | ---: | ---: |\n")
		for i, rs := range [][]echoRound{r.w1, r.w2} {
			p("| %d | %.0f | %.1f | %.1f | %.1f |\n", i+1, median(field(rs, rate)), median(field(rs, p50)), median(field(rs, p99)), median(field(rs, cpuRT)))
		}
		wr := median(ratios(r.w2, r.w1, rate))
		p("\nRatio (median of per-round ratios): **%.2f×**. Target ≥ %.1f×: %s.\n\n", wr, targetWorkers, verdict(wr >= targetWorkers))
	}
	if r := b.trace; r != nil {
		b.traceMarkdown(w, r)
	}
	p("%s\n", endMarker)
	return w.String()
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// rel is path relative to the module root, if inside it.
func (b *benchmark) rel(path string) string {
	if r, ok := strings.CutPrefix(path, b.root+string(os.PathSeparator)); ok {
		return r
	}
	return path
}

func (b *benchmark) commandLine() string {
	args := os.Args[1:]
	if os.Getenv(roleEnv) == "" && strings.HasSuffix(os.Args[0], ".test") {
		args = nil // run by go test
	}
	return strings.TrimSpace("go run ./bench " + strings.Join(args, " "))
}

// writeReport puts md into path: between the markers if the file has them,
// else as a new file with a heading.
func writeReport(path, md string) error {
	old, err := os.ReadFile(path)
	if err == nil {
		s := string(old)
		i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
		if i >= 0 && j > i {
			return os.WriteFile(path, []byte(s[:i]+md+s[j+len(endMarker)+1:]), 0o644)
		}
	}
	return os.WriteFile(path, []byte("# sockrun benchmarks\n\n"+md), 0o644)
}

func gitDescribe(root string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "commit unknown"
	}
	return "commit " + strings.TrimSpace(string(out))
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func kernel() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}
