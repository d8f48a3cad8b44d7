package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads url (a /metrics) with a real HTTP client, bounded by
// timeout, and parses it with Prometheus' own text parser.
func scrape(t *testing.T, url string, timeout time.Duration) map[string]*dto.MetricFamily {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape %s: %s, %v:\n%s", url, resp.Status, err, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("scrape: Content-Type %q, want Prometheus' text format", ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("scrape %s: the text parser refuses it: %v\n%s", url, err, body)
	}
	return fams
}

// metricValue is the value of family name's series with labels (pairs
// of name, value), and whether there is one: a counter's, a gauge's or
// an untyped value; a histogram's count.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	fam := fams[name]
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// mustValue is metricValue, failing the test if there is no such series.
func mustValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	v, ok := metricValue(fams, name, labels...)
	if !ok {
		t.Fatalf("no series %s%v in the scrape", name, labels)
	}
	return v
}

// health is /healthz's status code and text.
func health(t *testing.T, metricsURL string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 20 * time.Second}
	resp, err := c.Get(strings.TrimSuffix(metricsURL, "/metrics") + "/healthz")
	if err != nil {
		t.Fatalf("healthz: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// TestMetricsCountTraffic runs scripts/threaded_echo_server.lua in two
// workers with --metrics on a port it picks (printed on stderr), sends
// it a known number of connections and bytes from real clients, and
// scrapes /metrics with a real HTTP client: parsed by Prometheus' text
// parser, the counters must be what the test sent, summed over both
// workers; memory comes from Go's and the process's collectors; and
// /healthz answers 200 while the script runs.
func TestMetricsCountTraffic(t *testing.T) {
	port := heldPort(t) // the workers' listeners share it (SO_REUSEPORT)
	p := start(t, "--metrics", "127.0.0.1:0", "--workers", "2", "--var", fmt.Sprintf("port=%d", port), script("threaded_echo_server.lua"))
	for range 2 {
		p.waitLine(`^listening on 127\.0\.0\.1:\d+$`, 10*time.Second)
	}
	url := waitStderrMatch(t, p, `sockrun: metrics on (http://127\.0\.0\.1:[1-9]\d*/metrics)`, 10*time.Second)[1]
	if code, text := health(t, url); code != 200 || text != "ok" {
		t.Errorf("healthz while running: %d %q, want 200 ok", code, text)
	}

	const conns = 24
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	total := 0
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		size := 1000 + 377*i
		total += size
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- echoOnce(addr, bytes.Repeat([]byte{byte('a' + i%26)}, size))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	// The server closes each connection once its client has: wait until
	// the scrape shows none open.
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(30 * time.Second)
	for {
		fams = scrape(t, url, 20*time.Second)
		open, _ := metricValue(fams, "sockrun_connections_open")
		accepted, _ := metricValue(fams, "sockrun_connections_accepted_total")
		if open == 0 && accepted == conns {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %v connections open, %v accepted; want 0 and %d", open, accepted, conns)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition
	}
	for _, c := range []struct {
		name string
		want float64
	}{
		{"sockrun_workers", 2},
		{"sockrun_received_bytes_total", float64(total)},
		{"sockrun_sent_bytes_total", float64(total)},
		{"sockrun_sockets_open", 2}, // the two listeners
		{"sockrun_sockets_opened_total", conns + 2},
		{"sockrun_threads", 0},
	} {
		if got := mustValue(t, fams, c.name); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	// Each worker's main thread is in its next accept, counted as it
	// started: conns accepted, and up to one more per worker.
	if n := mustValue(t, fams, "sockrun_calls_total", "function", "socket:accept"); n < conns || n > conns+2 {
		t.Errorf("accept calls = %v, want %d to %d", n, conns, conns+2)
	}
	if n := mustValue(t, fams, "sockrun_calls_total", "function", "socket:sendall"); n < conns {
		t.Errorf("sendall calls = %v, want at least %d", n, conns)
	}
	if n := mustValue(t, fams, "sockrun_calls_total", "function", "socket:close"); n != conns {
		t.Errorf("close calls = %v, want %d", n, conns)
	}
	if fams["sockrun_call_errors_total"] != nil {
		t.Errorf("errors counted where none were raised: %v", fams["sockrun_call_errors_total"])
	}
	mustValue(t, fams, "sockrun_lock_wait_seconds_total")
	if rss := mustValue(t, fams, "process_resident_memory_bytes"); rss <= 0 {
		t.Errorf("process_resident_memory_bytes = %v", rss)
	}
	mustValue(t, fams, "go_memstats_heap_alloc_bytes")

	p.signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 130 {
		t.Errorf("exit code after Ctrl-C: %d, want 130", code)
	}
}

// echoOnce connects to addr, sends data, reads it back whole, and closes.
func echoOnce(addr string, data []byte) error {
	c, err := net.DialTimeout("tcp", addr, 20*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		errc <- err
	}()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("echo of %d bytes: %v", len(data), err)
	}
	if err := <-errc; err != nil {
		return err
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("echo of %d bytes came back different", len(data))
	}
	return nil
}

// busyScript makes a listening socket, fails two calls on purpose (a
// refused connection, a misuse), counts in a metric of its own, says so,
// binds three series (m:labels) and updates one, and then spins in pure
// Lua holding the interpreter lock.
const busyScript = `
local s = socket.socket()
s:bind({"127.0.0.1", 0})
s:listen(1)
assert(not pcall(socket.create_connection, {"127.0.0.1", tonumber(vars.closed)}))
assert(not pcall(socket.socket, "bad"))
local spins = metrics.counter("spins_total", "loops started", {"kind"})
spins:inc({kind = "busy"})
local g = metrics.gauge("temperature", "a gauge")
g:set(21.5)
local idle = spins:labels({kind = "idle"}) -- bound, never updated: shown at 0
local waits = metrics.histogram("wait_seconds", "waits", {"queue"}, {0.1, 1}):labels({queue = "in"})
local workers = metrics.gauge("busy_workers", "workers spinning", {"worker"}):labels({worker = sockrun.worker})
workers:inc()
print("spinning")
while true do end
`

// TestMetricsScrapeWhileBusy scrapes a script that spins in a pure Lua
// loop, never calling into sockrun, so its interpreter lock is never
// released: the scrape must answer anyway (it never takes the lock), with
// the script's own metrics (the series it bound and never updated at 0),
// its open socket and the errors of its two failed calls by function and
// errno; /healthz answers 200; Ctrl-C ends
// it.
func TestMetricsScrapeWhileBusy(t *testing.T) {
	closed := heldPort(t) // bound, not listening: a connect is refused
	p := start(t, "--metrics", "127.0.0.1:0", "--var", "closed="+strconv.Itoa(closed), writeScript(t, busyScript))
	p.waitLine(`^spinning$`, 10*time.Second)
	url := waitStderrMatch(t, p, `sockrun: metrics on (http://127\.0\.0\.1:[1-9]\d*/metrics)`, 10*time.Second)[1]
	for range 3 {
		fams := scrape(t, url, 20*time.Second)
		for _, c := range []struct {
			name   string
			labels []string
			want   float64
		}{
			{"spins_total", []string{"kind", "busy"}, 1},
			{"temperature", nil, 21.5},
			// Bound series show from labels() on, at 0 until updated.
			{"spins_total", []string{"kind", "idle"}, 0},
			{"wait_seconds", []string{"queue", "in"}, 0},
			{"busy_workers", []string{"worker", "1"}, 1},
			{"sockrun_sockets_open", nil, 1},
			{"sockrun_call_errors_total", []string{"function", "socket.create_connection", "errno", "ECONNREFUSED"}, 1},
			{"sockrun_call_errors_total", []string{"function", "socket.socket", "errno", "none"}, 1},
			{"sockrun_calls_total", []string{"function", "socket:listen"}, 1},
		} {
			if got := mustValue(t, fams, c.name, c.labels...); got != c.want {
				t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
			}
		}
	}
	if code, text := health(t, url); code != 200 || text != "ok" {
		t.Errorf("healthz while spinning: %d %q, want 200 ok", code, text)
	}
	p.signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 130 {
		t.Errorf("exit code after Ctrl-C: %d, want 130", code)
	}
}

// TestMetricsHTTPModuleServer runs scripts/http_module_server.lua in two
// workers with --metrics and asks it known requests with a real client,
// a connection each, so that the kernel spreads them over both workers:
// its own http_requests_total, which both workers define and share,
// counts them by method and status, its histogram counts each answered
// request once, and a method no server knows is counted as "other".
func TestMetricsHTTPModuleServer(t *testing.T) {
	port := heldPort(t)
	p := start(t, "--metrics", "127.0.0.1:0", "--workers", "2", "--var", fmt.Sprintf("port=%d", port), script("http_module_server.lua"))
	for range 2 {
		p.waitLine(`^listening on 127\.0\.0\.1:\d+$`, 10*time.Second)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	url := waitStderrMatch(t, p, `sockrun: metrics on (http://127\.0\.0\.1:[1-9]\d*/metrics)`, 10*time.Second)[1]
	client := http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	ask := func(method, path string, want int) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
		}
	}
	for range 5 {
		ask("GET", "/", 200)
	}
	ask("GET", "/nope", 404)
	ask("GET", "/json", 200)
	ask("BREW", "/", 405)
	ask("POST", "/echo", 200)
	// The script counts a request once its response is written, so the
	// client can have the last response before it is counted: scrape
	// until every count is there (they only grow), then check them.
	want := []struct {
		labels []string
		want   float64
	}{
		{[]string{"method", "GET", "status", "200"}, 6},
		{[]string{"method", "GET", "status", "404"}, 1},
		{[]string{"method", "other", "status", "405"}, 1},
		{[]string{"method", "POST", "status", "200"}, 1},
	}
	counted := func(fams map[string]*dto.MetricFamily) bool {
		for _, c := range want {
			if v, _ := metricValue(fams, "http_requests_total", c.labels...); v < c.want {
				return false
			}
		}
		v, _ := metricValue(fams, "http_request_duration_seconds", "method", "GET")
		return v >= 7
	}
	deadline := time.Now().Add(20 * time.Second)
	fams := scrape(t, url, 20*time.Second)
	for !counted(fams) && time.Now().Before(deadline) {
		fams = scrape(t, url, 20*time.Second)
	}
	for _, c := range want {
		if got := mustValue(t, fams, "http_requests_total", c.labels...); got != c.want {
			t.Errorf("http_requests_total%v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := mustValue(t, fams, "http_request_duration_seconds", "method", "GET"); got != 7 {
		t.Errorf("GET requests timed: %v, want 7", got)
	}
	p.signal(syscall.SIGINT)
	p.wait(20 * time.Second)
}

// TestHealthzStoppingInDrain: a script that handles SIGTERM drains in its
// handler; /healthz says "503 stopping" from the signal on, so that a load
// balancer or a readiness probe sends it no new clients while it drains.
func TestHealthzStoppingInDrain(t *testing.T) {
	p := start(t, "--metrics", "127.0.0.1:0", writeScript(t, `
local draining = false
signal.signal(signal.SIGTERM, function() draining = true print("draining") end)
print("ready")
while true do socket.sleep(0.01) end`))
	url := waitStderrMatch(t, p, `sockrun: metrics on (http://127\.0\.0\.1:[1-9]\d*/metrics)`, 10*time.Second)[1]
	p.waitLine(`^ready$`, 10*time.Second)
	if code, text := health(t, url); code != 200 || text != "ok" {
		t.Fatalf("before SIGTERM: /healthz %d %q, want 200 ok", code, text)
	}
	p.signal(syscall.SIGTERM)
	p.waitLine(`^draining$`, 10*time.Second)
	if code, text := health(t, url); code != 503 || text != "stopping" {
		t.Errorf("draining: /healthz %d %q, want 503 stopping", code, text)
	}
	p.signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 130 {
		t.Errorf("exit %d, want 130; stderr:\n%s", code, p.Stderr())
	}
}

// TestMetricsConfig: --metrics is read from SOCKRUN_METRICS and from the
// config file's metrics key as from the flag; a bad address is a usage
// error before the script runs; the prompt refuses it; and without
// --metrics the metrics module still counts, and nothing is served.
func TestMetricsConfig(t *testing.T) {
	const printValue = `local c = metrics.counter("x_total", "h") c:inc() print("value " .. c:value())`
	s := writeScript(t, printValue)
	p := startIn(t, "", []string{"SOCKRUN_METRICS=127.0.0.1:0"}, sockrunBin, s)
	p.waitLine(`^value 1$`, 10*time.Second)
	if code := p.wait(30 * time.Second); code != 0 || !strings.Contains(p.Stderr(), "sockrun: metrics on http://127.0.0.1:") {
		t.Errorf("SOCKRUN_METRICS: exit %d, stderr:\n%s", code, p.Stderr())
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sockrun.yaml"), []byte("metrics: 127.0.0.1:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runSockrun(t, "", "--config", filepath.Join(dir, "sockrun.yaml"), s)
	if code != 0 || out != "value 1" || !strings.Contains(stderr, "sockrun: metrics on http://127.0.0.1:") {
		t.Errorf("config file: exit %d, stdout %q, stderr:\n%s", code, out, stderr)
	}

	out, stderr, code = runSockrun(t, "", s)
	if code != 0 || out != "value 1" || strings.Contains(stderr, "metrics on") {
		t.Errorf("without --metrics: exit %d, stdout %q, stderr:\n%s", code, out, stderr)
	}

	_, stderr, code = runSockrun(t, "", "--metrics", "nope", s)
	if code != 2 || !strings.Contains(stderr, `metrics "nope": want host:port`) {
		t.Errorf("--metrics nope: exit %d, stderr:\n%s", code, stderr)
	}
	_, stderr, code = runSockrun(t, "", "--metrics", "127.0.0.1:0", "-i")
	if code != 2 || !strings.Contains(stderr, "--metrics serves a script's run: it does not apply to the prompt") {
		t.Errorf("--metrics at the prompt: exit %d, stderr:\n%s", code, stderr)
	}
}
