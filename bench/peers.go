package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The references are other people's servers and interpreters, from
// Debian's packages (bench/setup installs them). One that is missing is
// skipped with a note in its table.

// lookTool is the path of program, or "" with why it is missing.
func lookTool(program, pkg string) (string, string) {
	path, err := exec.LookPath(program)
	if err != nil {
		return "", fmt.Sprintf("skipped: no %s (Debian's %s; bench/setup installs it)", program, pkg)
	}
	return path, ""
}

// python is Debian's python3 where it is, as a user runs it; else the
// one on PATH.
func python() (string, string) {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3", ""
	}
	return lookTool("python3", "python3")
}

// hasLuaModules reports whether interp finds LuaSocket and Copas.
func hasLuaModules(interp string) bool {
	return exec.Command(interp, "-e", `require("socket") require("copas")`).Run() == nil
}

// genMeasure measures a round of s with the benchmark's load generator on
// cfg (Addr and ServerPID filled in), on CPU cpu (-1: any).
func (b *benchmark) genMeasure(cpu int, cfg genConfig) func(s *server) (echoRound, error) {
	return func(s *server) (echoRound, error) {
		c := cfg
		c.Addr, c.ServerPID = s.addr, s.pid()
		if c.Warmup == 0 {
			c.Warmup = b.o.warmup
		}
		if c.Duration == 0 {
			c.Duration = b.o.duration
		}
		g, err := b.generate(cpu, c)
		if err != nil {
			return echoRound{}, err
		}
		return roundOf(g), nil
	}
}

// goServer is the Go reference server (goecho.go) with args.
func (b *benchmark) goServer(name string, cpu int, measure func(*server) (echoRound, error), args ...string) contender {
	return contender{name: name, measure: measure, start: func() (*server, error) {
		return startServer(name, cpu, []string{roleEnv + "=goecho"}, 1, append([]string{b.self, "-addr", "127.0.0.1:0"}, args...)...)
	}}
}

// sockrunServer is sockrun running script with flags.
// With -baseline, its twin on the baseline binary (without profiles) is
// measured in the next row.
func (b *benchmark) sockrunServer(name, key, script string, cpu, workers int, flags []string, measure func(*server) (echoRound, error), vars ...string) contender {
	c := contender{name: name, measure: measure, start: func() (*server, error) {
		return b.startSockrunFlags(b.sockrun, append(b.sockrunArgs(key), flags...), script, cpu, workers, nil, vars...)
	}}
	if b.o.baseline != "" {
		c.baseline = &contender{name: baselineName(name), measure: measure, start: func() (*server, error) {
			return b.startSockrunFlags(b.o.baseline, flags, script, cpu, workers, nil, vars...)
		}}
	}
	return c
}

// asyncioServer is bench/py/asyncio_echo.py (proto tcp or udp).
func (b *benchmark) asyncioServer(proto string, cpu int, measure func(*server) (echoRound, error)) contender {
	py, missing := python()
	return contender{name: "Python asyncio", missing: missing, measure: measure, start: func() (*server, error) {
		return startServer("asyncio", cpu, nil, 1, py, filepath.Join(b.root, "bench", "py", "asyncio_echo.py"), proto, "127.0.0.1", "0")
	}}
}

// copasServer is bench/lua/copas_echo.lua under interp (luajit, lua5.1).
func (b *benchmark) copasServer(interp, proto string, cpu int, measure func(*server) (echoRound, error)) contender {
	name := "Copas on " + interp
	path, missing := lookTool(interp, interp)
	if missing == "" && !hasLuaModules(path) {
		missing = "skipped: " + interp + " finds no LuaSocket or Copas (Debian's lua-socket, lua-copas; bench/setup installs them)"
	}
	return contender{name: name, missing: missing, measure: measure, start: func() (*server, error) {
		return startServer(name, cpu, nil, 1, path, filepath.Join(b.root, "bench", "lua", "copas_echo.lua"), proto, "127.0.0.1", "0")
	}}
}

// startPortServer runs argv (pinned to cpu unless cpu < 0), a server that
// prints nothing useful, and waits until port accepts connections.
func startPortServer(name string, cpu, port int, argv ...string) (*server, error) {
	s, err := startServer(name, cpu, nil, 0, argv...)
	if err != nil {
		return nil, err
	}
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		if !s.alive() || time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s does not listen on %s: %s", name, s.addr, s.errText())
		}
		time.Sleep(20 * time.Millisecond) // polling the port, not waiting a fixed time
	}
}

// httpBody is what http_server.lua answers GET / with; nginx answers the
// same bytes.
const httpBody = "Hello from sockrun!\n"

// The Lua module of Debian's libnginx-mod-http-lua (OpenResty's
// ngx_http_lua_module) and the NDK module it needs, loaded by path.
const (
	nginxNDKModule = "/usr/lib/nginx/modules/ndk_http_module.so"
	nginxLuaModule = "/usr/lib/nginx/modules/ngx_http_lua_module.so"
)

// nginxServer is nginx with one worker process (master_process off: the
// process started is the one serving), serving httpBody: with `return
// 200`, or with lua set, from a Lua handler (content_by_lua_block, the
// OpenResty way: nginx parses, Lua answers).
func (b *benchmark) nginxServer(cpu int, lua bool, measure func(*server) (echoRound, error)) contender {
	name := "nginx"
	path, missing := lookTool("nginx", "nginx-light")
	if missing == "" {
		if _, err := os.Stat(path); err != nil {
			missing = "skipped: no nginx"
		}
	}
	if lua {
		name = "nginx + Lua"
		if _, err := os.Stat(nginxLuaModule); missing == "" && err != nil {
			missing = "skipped: no " + nginxLuaModule + " (Debian's libnginx-mod-http-lua; bench/setup installs it)"
		}
	}
	return contender{name: name, missing: missing, measure: measure, start: func() (*server, error) {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(b.tmp, "nginx")
		if err != nil {
			return nil, err
		}
		body, _ := json.Marshal(httpBody) // a quoted string nginx (and Lua) read the same way
		modules, content := "", "return 200 "+string(body)+";"
		if lua {
			modules = "load_module " + nginxNDKModule + ";\nload_module " + nginxLuaModule + ";\n"
			// The body's length set, as the other servers send it (without
			// it nginx would send the Lua handler's output chunked).
			content = fmt.Sprintf(`content_by_lua_block {
                local body = %s
                ngx.header["Content-Length"] = #body
                ngx.print(body)
            }`, body)
		}
		conf := fmt.Sprintf(`%[4]sdaemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr error;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:%[2]d;
        location = / {
            default_type "text/plain; charset=utf-8";
            %[3]s
        }
    }
}
`, dir, port, content, modules)
		file := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
			return nil, err
		}
		return startPortServer(name, cpu, port, path, "-p", dir, "-c", file, "-e", "stderr")
	}}
}

// redisServer is redis-server on a free port, no persistence.
func (b *benchmark) redisServer(cpu int, measure func(*server) (echoRound, error)) contender {
	path, missing := lookTool("redis-server", "redis-server")
	return contender{name: "redis-server", missing: missing, measure: measure, start: func() (*server, error) {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(b.tmp, "redis")
		if err != nil {
			return nil, err
		}
		return startPortServer("redis-server", cpu, port, path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--loglevel", "warning")
	}}
}

// external runs a load generator that is not ours (wrk, redis-benchmark)
// pinned to cpu, and returns its output, its wall time and its CPU time.
func external(cpu int, argv ...string) (string, time.Duration, time.Duration, error) {
	out, wall, ps, err := externalProc(cpu, argv...)
	if err != nil {
		return "", 0, 0, err
	}
	return out, wall, ps.UserTime() + ps.SystemTime(), nil
}

// externalProc is external with the process's state, for its user and
// system CPU time apart.
func externalProc(cpu int, argv ...string) (string, time.Duration, *os.ProcessState, error) {
	if cpu >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t0 := time.Now()
	out, err := cmd.Output()
	wall := time.Since(t0)
	if err != nil {
		return "", 0, nil, fmt.Errorf("%s: %v: %s", filepath.Base(argv[0]), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), wall, cmd.ProcessState, nil
}

// externalRound measures s while run runs a load generator: the server's
// CPU from /proc/PID/stat around it; run returns the requests done, the
// p50 and p99 (µs), the generator's wall and CPU time.
func externalRound(s *server, run func() (n float64, p50, p99 float64, wall, genCPU time.Duration, err error)) (echoRound, error) {
	u0, s0, err := cpuTime(s.pid())
	if err != nil {
		return echoRound{}, err
	}
	all0, err := busyTime()
	if err != nil {
		return echoRound{}, err
	}
	n, p50, p99, wall, genCPU, err := run()
	if err != nil {
		return echoRound{}, err
	}
	u1, s1, err1 := cpuTime(s.pid())
	all1, err2 := busyTime()
	if err := errors.Join(err1, err2); err != nil {
		return echoRound{}, err
	}
	secs := wall.Seconds()
	srv := (u1 + s1 - u0 - s0).Seconds()
	return echoRound{
		rate:     n / secs,
		p50:      p50,
		p99:      p99,
		cpuRT:    srv / n * 1e6,
		usrRT:    (u1 - u0).Seconds() / n * 1e6,
		genRT:    genCPU.Seconds() / n * 1e6,
		srvShare: srv / secs,
		genShare: genCPU.Seconds() / secs,
		others:   ((all1 - all0).Seconds() - srv - genCPU.Seconds()) / secs,
		total:    int64(n),
	}, nil
}

// wrkMeasure runs wrk with conns connections on GET / for the round's
// duration (one thread, pinned to cpu).
func (b *benchmark) wrkMeasure(cpu, conns int) func(s *server) (echoRound, error) {
	return func(s *server) (echoRound, error) {
		return externalRound(s, func() (float64, float64, float64, time.Duration, time.Duration, error) {
			secs := max(1, int(b.o.duration.Round(time.Second)/time.Second))
			out, wall, cpuT, err := external(cpu, "wrk", "-t1", "-c"+strconv.Itoa(conns), "-d"+strconv.Itoa(secs)+"s", "--latency", "http://"+s.addr+"/")
			if err != nil {
				return 0, 0, 0, 0, 0, err
			}
			return parseWrk(out, wall, cpuT)
		})
	}
}

// parseWrk reads wrk's report: the requests done and the 50% and 99%
// latencies.
func parseWrk(out string, wall, cpuT time.Duration) (float64, float64, float64, time.Duration, time.Duration, error) {
	var n, p50, p99 float64
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[1] == "requests" && strings.HasPrefix(strings.Join(f, " "), f[0]+" requests in"):
			n, _ = strconv.ParseFloat(f[0], 64)
		case len(f) == 2 && f[0] == "50%":
			p50 = parseWrkDuration(f[1])
		case len(f) == 2 && f[0] == "99%":
			p99 = parseWrkDuration(f[1])
		}
		if strings.Contains(line, "Non-2xx") || strings.Contains(line, "Socket errors") {
			return 0, 0, 0, 0, 0, fmt.Errorf("wrk: %s", strings.TrimSpace(line))
		}
	}
	if n == 0 {
		return 0, 0, 0, 0, 0, fmt.Errorf("wrk said %q", out)
	}
	return n, p50, p99, wall, cpuT, nil
}

// parseWrkDuration reads "1.23ms", "456.00us", "2.00s" as µs.
func parseWrkDuration(s string) float64 {
	for _, u := range []struct {
		suffix string
		us     float64
	}{{"us", 1}, {"ms", 1e3}, {"m", 60e6}, {"s", 1e6}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f * u.us
		}
	}
	return 0
}

// redisMeasure runs redis-benchmark -t set,get with conns connections
// (pinned to cpu): the requests of both tests over the time of both.
func (b *benchmark) redisMeasure(cpu, conns, requests int) func(s *server) (echoRound, error) {
	return func(s *server) (echoRound, error) {
		return externalRound(s, func() (float64, float64, float64, time.Duration, time.Duration, error) {
			host, port, _ := net.SplitHostPort(s.addr)
			out, wall, cpuT, err := external(cpu, "redis-benchmark", "-h", host, "-p", port, "-t", "set,get",
				"-c", strconv.Itoa(conns), "-n", strconv.Itoa(requests), "--csv")
			if err != nil {
				return 0, 0, 0, 0, 0, err
			}
			p50, p99, err := parseRedisCSV(out, 2)
			if err != nil {
				return 0, 0, 0, 0, 0, err
			}
			return float64(2 * requests), p50, p99, wall, cpuT, nil
		})
	}
}

// parseRedisCSV reads redis-benchmark --csv: a header, then a line per
// test; the p50 and p99 (ms) of the want tests are averaged, in µs.
func parseRedisCSV(out string, want int) (p50, p99 float64, err error) {
	var cols []string
	tests := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(strings.ReplaceAll(strings.TrimSpace(line), `"`, ""), ",")
		if len(f) > 0 && f[0] == "test" {
			cols = f
			continue
		}
		if cols == nil || len(f) != len(cols) {
			continue
		}
		for i, c := range cols {
			v, _ := strconv.ParseFloat(f[i], 64)
			switch c {
			case "p50_latency_ms":
				p50 += v * 1e3
			case "p99_latency_ms":
				p99 += v * 1e3
			}
		}
		tests++
	}
	if tests != want {
		return 0, 0, fmt.Errorf("redis-benchmark said %q", out)
	}
	return p50 / float64(want), p99 / float64(want), nil
}
