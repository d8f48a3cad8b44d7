package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sharedSample: bench/lua/shared_incr.lua times one shared.incr call in
// this many (two clock reads cost about as much as an in-process incr).
const sharedSample = 16

// redisBenchmarkKey is the key redis-benchmark -t incr increments
// (without -r, the placeholder is not replaced).
const redisBenchmarkKey = "counter:__rand_int__"

// runShared measures shared.incr from o.sharedThreads threads, with the
// in-process store and with the store in a redis-server the benchmark
// starts, against redis-benchmark -t incr on the same redis-server with
// as many connections. sockrun and redis-benchmark run on the server's
// CPU, redis-server on the generator's; the redis-server runs through
// the whole comparison, so it is a borrowed server in the
// redis-benchmark row.
func (b *benchmark) runShared() *comparison {
	n := b.o.sharedThreads
	c := &comparison{key: "shared", title: fmt.Sprintf("`shared.incr`: %d threads, in-process store and Redis", n),
		about: fmt.Sprintf("`bench/lua/shared_incr.lua`: %d threads of one worker each call `shared.incr(key)` in a loop for the round; the rate is the calls done in the window, p50 and p99 the durations of every %dth call (timed with `socket.time()`), and after each round the store must hold exactly as many increments as the threads did (checked by the script, and in Redis by the benchmark too), or the round fails. "+
			"sockrun runs with the in-process store, and with `--shared-url redis://127.0.0.1:PORT/0` on a redis-server (no persistence) started for the run (an incr is a Lua script run by Redis; go-redis's default of 10 connections per CPU, so 10 here); the reference is `redis-benchmark -t incr -c %d -n %d` (plain INCR) on the same redis-server, its rate the requests over its wall time. "+
			"Client CPU is sockrun's (or redis-benchmark's) per incr, over the whole round; redis-server's is not in it.",
			n, sharedSample, n, b.o.respRequests),
		rateName: "incr/s", rateScale: 1, cpuName: "µs/incr", cpuScale: 1, latency: true,
		cpuHead: "client CPU", anchor: "redis-benchmark"}
	client, redisCPU := b.cpus(split)
	script := filepath.Join(b.root, "bench", "lua", "shared_incr.lua")
	vars := []string{"threads=" + strconv.Itoa(n), "sample=" + strconv.Itoa(sharedSample)}

	redisNote := ""
	var redis *server
	if rs := b.redisServer(redisCPU, nil); rs.missing != "" {
		redisNote = rs.missing
	} else if s, err := rs.start(); err != nil {
		redisNote = "redis-server did not start: " + firstLine(err.Error())
		logf("shared: %v", err)
	} else {
		redis = s
		defer s.stop()
	}
	_, rbMissing := lookTool("redis-benchmark", "redis-tools")

	cs := []contender{b.sockrunServer("sockrun in-process", "shared-memory", script, client, 1, nil, b.sharedMeasure(nil), vars...)}
	if redis == nil {
		cs = append(cs, contender{name: "sockrun Redis", missing: redisNote}, contender{name: "redis-benchmark", missing: redisNote})
	} else {
		url := "redis://" + redis.addr + "/0"
		cs = append(cs, b.sockrunServer("sockrun Redis", "shared-redis", script, client, 1, []string{"--shared-url", url}, b.sharedMeasure(redis), vars...))
		cs = append(cs, contender{name: "redis-benchmark", missing: rbMissing,
			start:   func() (*server, error) { return redis.borrow("redis-benchmark"), nil },
			measure: b.redisIncrMeasure(client, n, b.o.respRequests)})
	}
	b.compare(c, split, cs)
	if b.pinned {
		c.pinning = fmt.Sprintf("the clients (sockrun, redis-benchmark) pinned to CPU %d, redis-server to CPU %d", b.serverCPU, b.genCPU)
	}
	c.ratios = []target{{num: "sockrun Redis", den: "sockrun in-process"}}
	return c
}

// sharedResult is what shared_incr.lua answers for a round.
type sharedResult struct {
	Done    int64     `json:"done"`    // every incr, warm-up included
	Ops     int64     `json:"ops"`     // the incr done in the window
	Seconds float64   `json:"seconds"` // the window
	Stored  float64   `json:"stored"`  // the key's number after the round
	Sampled int64     `json:"sampled"` // calls timed in the window
	Hist    []float64 `json:"hist"`    // bucket, count, bucket, count ...
	Error   string    `json:"error"`
}

// sharedMeasure measures a round of shared_incr.lua in s: a fresh key,
// the CPU of sockrun (and of redis, if the store is there) around the
// whole round, and the count checked.
func (b *benchmark) sharedMeasure(redis *server) func(s *server) (echoRound, error) {
	return func(s *server) (echoRound, error) {
		b.sharedRounds++
		key := fmt.Sprintf("sockrun-bench:incr:%d", b.sharedRounds)
		redisPID := 0
		if redis != nil {
			redisPID = redis.pid()
		}
		before, err := snapshot(s.pid(), redisPID)
		if err != nil {
			return echoRound{}, err
		}
		res, err := sharedRound(s.addr, key, b.o.warmup, b.o.duration)
		if err != nil {
			return echoRound{}, err
		}
		after, err := snapshot(s.pid(), redisPID)
		if err != nil {
			return echoRound{}, err
		}
		if res.Stored != float64(res.Done) {
			return echoRound{}, fmt.Errorf("count check: the store holds %.0f under %s after %d increments", res.Stored, key, res.Done)
		}
		if redis != nil {
			got, err := redisGet(redis.addr, key)
			if err != nil {
				return echoRound{}, fmt.Errorf("count check: %w", err)
			}
			if got != res.Done {
				return echoRound{}, fmt.Errorf("count check: redis-server holds %d under %s after %d increments", got, key, res.Done)
			}
		}
		p, err := histPercentiles(res.Hist, 0.5, 0.99)
		if err != nil {
			return echoRound{}, err
		}
		return after.round(before, float64(res.Ops)/res.Seconds, p[0], p[1], res.Done), nil
	}
}

// sharedRound asks shared_incr.lua at addr for one round on key and
// returns its answer, checked for sense.
func sharedRound(addr, key string, warmup, duration time.Duration) (*sharedResult, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(warmup + duration + time.Minute))
	if _, err := fmt.Fprintf(conn, "%s %g %g\n", key, warmup.Seconds(), duration.Seconds()); err != nil {
		return nil, err
	}
	line, err := bufio.NewReaderSize(conn, 1<<20).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("shared_incr.lua answered %q: %w", firstLine(line), err)
	}
	return parseSharedResult(line)
}

func parseSharedResult(line string) (*sharedResult, error) {
	var res sharedResult
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return nil, fmt.Errorf("shared_incr.lua answered %q: %v", firstLine(line), err)
	}
	switch {
	case res.Error != "":
		return nil, fmt.Errorf("shared_incr.lua: %s", res.Error)
	case res.Ops < 1 || res.Done < res.Ops || res.Seconds <= 0 || res.Sampled < 1 || len(res.Hist)%2 != 0:
		return nil, fmt.Errorf("shared_incr.lua answered %q", firstLine(line))
	}
	return &res, nil
}

// bucketMicros is the duration, in µs, a histogram bucket of
// shared_incr.lua stands for: the middle of the bucket.
func bucketMicros(b int) float64 {
	if b < 1000 {
		return (float64(b) + 0.5) / 10
	}
	return 100 * math.Exp((float64(b-1000)+0.5)/100)
}

// histPercentiles are the qs quantiles (0 < q < 1) of the flat histogram
// hist (bucket, count, ...), in µs.
func histPercentiles(hist []float64, qs ...float64) ([]float64, error) {
	type bin struct{ b, n int }
	var bins []bin
	total := 0
	for i := 0; i+1 < len(hist); i += 2 {
		bins = append(bins, bin{int(hist[i]), int(hist[i+1])})
		total += int(hist[i+1])
	}
	if total == 0 {
		return nil, errors.New("no call timed")
	}
	slices.SortFunc(bins, func(x, y bin) int { return x.b - y.b })
	out := make([]float64, len(qs))
	for j, q := range qs {
		rank := int(math.Ceil(q * float64(total)))
		seen := 0
		for _, bn := range bins {
			seen += bn.n
			if seen >= rank {
				out[j] = bucketMicros(bn.b)
				break
			}
		}
	}
	return out, nil
}

// incrSnap is the CPU time of a client process, of redis-server and of
// the machine at an instant.
type incrSnap struct {
	at                 time.Time
	usr, sys           time.Duration
	redisUsr, redisSys time.Duration
	all                time.Duration
}

// snapshot reads the CPU times of the client pid and redis-server
// redisPID (0: not read, left 0) and of the machine.
func snapshot(pid, redisPID int) (incrSnap, error) {
	s := incrSnap{at: time.Now()}
	var err error
	if pid != 0 {
		if s.usr, s.sys, err = cpuTime(pid); err != nil {
			return s, err
		}
	}
	if redisPID != 0 {
		if s.redisUsr, s.redisSys, err = cpuTime(redisPID); err != nil {
			return s, err
		}
	}
	s.all, err = busyTime()
	return s, err
}

// round is the round between before and s: rate and latencies as given,
// the client's and redis-server's CPU per incr over done, the shares of
// a CPU they used.
func (s incrSnap) round(before incrSnap, rate, p50, p99 float64, done int64) echoRound {
	secs := s.at.Sub(before.at).Seconds()
	cli := (s.usr + s.sys - before.usr - before.sys).Seconds()
	red := (s.redisUsr + s.redisSys - before.redisUsr - before.redisSys).Seconds()
	n := float64(done)
	return echoRound{
		rate:     rate,
		p50:      p50,
		p99:      p99,
		cpuRT:    cli / n * 1e6,
		usrRT:    (s.usr - before.usr).Seconds() / n * 1e6,
		genRT:    red / n * 1e6,
		srvShare: cli / secs,
		genShare: red / secs,
		others:   ((s.all - before.all).Seconds() - cli - red) / secs,
		total:    done,
	}
}

// redisIncrMeasure runs redis-benchmark -t incr with conns connections
// and requests requests (pinned to cpu) on the redis-server s, and checks
// that its key went up by requests.
func (b *benchmark) redisIncrMeasure(cpu, conns, requests int) func(s *server) (echoRound, error) {
	return func(s *server) (echoRound, error) {
		host, port, _ := net.SplitHostPort(s.addr)
		had, err := redisGet(s.addr, redisBenchmarkKey)
		if err != nil {
			return echoRound{}, err
		}
		before, err := snapshot(0, s.pid())
		if err != nil {
			return echoRound{}, err
		}
		out, wall, ps, err := externalProc(cpu, "redis-benchmark", "-h", host, "-p", port, "-t", "incr",
			"-c", strconv.Itoa(conns), "-n", strconv.Itoa(requests), "--csv")
		if err != nil {
			return echoRound{}, err
		}
		after, err := snapshot(0, s.pid())
		if err != nil {
			return echoRound{}, err
		}
		has, err := redisGet(s.addr, redisBenchmarkKey)
		if err != nil {
			return echoRound{}, err
		}
		if has-had != int64(requests) {
			return echoRound{}, fmt.Errorf("count check: %s went from %d to %d in %d INCRs", redisBenchmarkKey, had, has, requests)
		}
		p50, p99, err := parseRedisCSV(out, 1)
		if err != nil {
			return echoRound{}, err
		}
		// The client is redis-benchmark: its CPU from its process state,
		// redis-server's from the snapshots.
		after.usr, after.sys = ps.UserTime(), ps.SystemTime()
		after.at = before.at.Add(wall)
		return after.round(before, float64(requests)/wall.Seconds(), p50, p99, int64(requests)), nil
	}
}

// redisGet reads the integer under key from the redis-server at addr (0
// if absent), with a RESP GET of its own.
func redisGet(addr, key string) (int64, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", key, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(conn, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key); err != nil {
		return 0, fmt.Errorf("GET %s: %w", key, err)
	}
	return readRESPInt(bufio.NewReader(conn), key)
}

// readRESPInt reads a bulk-string reply holding an integer (a nil reply
// is 0).
func readRESPInt(r *bufio.Reader, key string) (int64, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", key, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "$-1" {
		return 0, nil
	}
	if !strings.HasPrefix(line, "$") {
		return 0, fmt.Errorf("GET %s: redis-server said %q", key, line)
	}
	val, err := r.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", key, err)
	}
	n, err := strconv.ParseInt(strings.TrimRight(val, "\r\n"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("GET %s: not an integer: %q", key, val)
	}
	return n, nil
}
