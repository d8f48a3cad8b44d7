package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
	"github.com/sockrun/sockrun/internal/testenv"
)

// The multi-host test: sockrun run as issue 19 says operators run it, on
// several hosts behind a load balancer, sharing one Redis. The hosts are
// network namespaces of this machine:
//
//	test's namespace     P-lb: the switch and HAProxy        P-redis 10.77.0.1
//	 Go clients ──────►  HAProxy ── br0 10.77.0.254 ──veth──  P-a     10.77.0.2
//	 127.0.0.1:PORT      (its listener in the               ──veth──  P-b     10.77.0.3
//	                      test's namespace)
//
// HAProxy runs in P-lb, the namespace that holds the bridge the three
// hosts hang on, so its connections to the hosts and its health checks
// start there; only its listener is made in the test's namespace, on
// loopback (HAProxy's "namespace" bind option, with the test's namespace
// named P-test by ip netns attach). (Run in the test's namespace with
// "namespace P-lb" on its server lines instead, HAProxy 2.6.12 makes its
// health checks in its own namespace, where 10.77.0.0/24 would follow
// the machine's default route.) No namespace of the run has a default
// route and none is linked to the machine's network: nothing leaves them.
// Every name is unique to the run (P is "sr" and random hex), so that
// runs at the same time do not meet; the addresses and Redis's port are
// the same in every run, which is safe because each run's namespaces are
// its own.

// multiHostSubnet is the hosts' network, inside the run's namespaces only.
const (
	mhRedisIP  = "10.77.0.1"
	mhHostAIP  = "10.77.0.2"
	mhHostBIP  = "10.77.0.3"
	mhSwitchIP = "10.77.0.254"
	// mhRedisPort is Redis's port on its own host: a namespace of the run's
	// own, where nothing else listens (redis-server cannot be told port 0).
	mhRedisPort = 6379
)

// mhWait bounds each wait of the test (a process ready, a line, a
// state), and the test's own deadline bounds it (bound).
const mhWait = 30 * time.Second

// mhCleanupTime is what the end of the test's deadline keeps for the
// cleanups: a test that runs into go test's -timeout panics without
// running them, and would leave its namespaces behind.
const mhCleanupTime = 20 * time.Second

// bound is d, or less as the test's deadline nears: every wait ends, with
// a failure, while there is time left to clean up.
func bound(t *testing.T, d time.Duration) time.Duration {
	if deadline, ok := t.Deadline(); ok {
		d = min(d, time.Until(deadline)-mhCleanupTime)
	}
	return max(d, time.Second)
}

// multiHost is the run's little network and what runs on it.
type multiHost struct {
	t      *testing.T
	prefix string // the namespaces' names start with it
	dir    string // short: Redis's and HAProxy's Unix sockets live here
	redis  *proc
	a, b   *proc // the chat servers on host A and host B
	// metrics are the chat servers' --metrics endpoints by host ("a",
	// "b"), reached from inside the host's namespace.
	metrics map[string]string
	lbPort  int // HAProxy's port on 127.0.0.1
}

// ns is the name of one of the run's namespaces: "lb", "redis", "a", "b".
func (m *multiHost) ns(name string) string { return m.prefix + "-" + name }

// ip runs iproute2's ip with args; a failure fails the test.
func (m *multiHost) ip(args ...string) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound(m.t, mhWait))
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		m.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newMultiHost makes the run's namespaces and their network. Without
// iproute2 the test ends as testenv says (skipped, or failed under CI);
// where this process may not make namespaces or network devices (no
// CAP_SYS_ADMIN and CAP_NET_ADMIN, no bridge or veth in the kernel), it
// is skipped: a limit of the machine, not a missing tool. Everything is
// removed when the test ends, failed or not.
func newMultiHost(t *testing.T) *multiHost {
	t.Helper()
	testenv.Tool(t, "ip")
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "mh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	m := &multiHost{t: t, prefix: "sr" + hex.EncodeToString(r[:]), dir: dir}

	// A namespace of our own at all?
	if out, err := exec.Command("ip", "netns", "add", m.ns("lb")).CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace here (ip netns add: %v: %s): a limit of the machine (it needs CAP_SYS_ADMIN), not a missing tool", err, strings.TrimSpace(string(out)))
	}
	// Cleanups run last first: the namespaces go after the processes in
	// them (registered later) have been killed. Deleting "test" only
	// removes the name given to the test's own namespace.
	hosts := []string{"redis", "a", "b"}
	t.Cleanup(func() {
		for _, n := range append([]string{"lb", "test"}, hosts...) {
			exec.Command("ip", "netns", "del", m.ns(n)).Run()
		}
	})
	m.ip("netns", "attach", m.ns("test"), strconv.Itoa(os.Getpid()))
	if out, err := exec.Command("ip", "-n", m.ns("lb"), "link", "add", "br0", "type", "bridge").CombinedOutput(); err != nil {
		t.Skipf("cannot make a bridge in a namespace (%v: %s): a limit of the machine, not a missing tool", err, strings.TrimSpace(string(out)))
	}
	m.ip("-n", m.ns("lb"), "addr", "add", mhSwitchIP+"/24", "dev", "br0")
	m.ip("-n", m.ns("lb"), "link", "set", "br0", "up")
	m.ip("-n", m.ns("lb"), "link", "set", "lo", "up")
	for i, h := range hosts {
		m.ip("netns", "add", m.ns(h))
		// The veth pair is made inside the switch's namespace, its far end
		// moved straight into the host's: no device ever appears in the
		// machine's own namespace.
		port := "v" + h
		m.ip("-n", m.ns("lb"), "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", m.ns(h))
		m.ip("-n", m.ns("lb"), "link", "set", port, "master", "br0", "up")
		m.ip("-n", m.ns(h), "addr", "add", []string{mhRedisIP, mhHostAIP, mhHostBIP}[i]+"/24", "dev", "eth0")
		m.ip("-n", m.ns(h), "link", "set", "eth0", "up")
		m.ip("-n", m.ns(h), "link", "set", "lo", "up")
	}
	// Nothing leaves: no namespace has a route beyond 10.77.0.0/24.
	for _, n := range append([]string{"lb"}, hosts...) {
		out, err := exec.Command("ip", "-n", m.ns(n), "route", "show", "default").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Fatalf("namespace %s has a default route (%v): %s", m.ns(n), err, out)
		}
	}
	return m
}

// in starts prog with args on host h ("redis", "a", "b"), as startIn does.
func (m *multiHost) in(h string, env []string, prog string, args ...string) *proc {
	m.t.Helper()
	return startIn(m.t, "", env, "ip", append([]string{"netns", "exec", m.ns(h), prog}, args...)...)
}

// startRedis starts redis-server on the Redis host, on its TCP port and
// on a Unix socket in m.dir (the test reads the counters there: the
// filesystem is common to every namespace), and waits until it is ready.
// It starts empty: no persistence.
func (m *multiHost) startRedis() {
	m.t.Helper()
	srv := testenv.Tool(m.t, "redis-server")
	m.redis = m.in("redis", nil, srv, "--bind", mhRedisIP, "--port", strconv.Itoa(mhRedisPort),
		"--protected-mode", "no", "--unixsocket", m.redisSock(), "--save", "", "--appendonly", "no", "--dir", m.dir)
	m.redis.waitLine(`Ready to accept connections`, bound(m.t, mhWait))
}

// stopRedis kills redis-server and waits until it has exited.
func (m *multiHost) stopRedis() {
	m.t.Helper()
	m.redis.cmd.Process.Kill()
	m.redis.wait(bound(m.t, mhWait))
	os.Remove(m.redisSock())
}

func (m *multiHost) redisSock() string { return filepath.Join(m.dir, "redis.sock") }

// redisURL is the URL the hosts' sockrun use, --shared-url.
func (m *multiHost) redisURL() string {
	return fmt.Sprintf("redis://%s:%d/0", mhRedisIP, mhRedisPort)
}

// redisGet reads key from Redis, over its Unix socket.
func (m *multiHost) redisGet(key string) string {
	m.t.Helper()
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: m.redisSock()})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), bound(m.t, mhWait))
	defer cancel()
	v, err := c.Get(ctx, key).Result()
	if err != nil {
		m.t.Fatalf("redis GET %s: %v", key, err)
	}
	return v
}

// startChat starts scripts/chat_server.lua on host h with the Redis
// backend, listening on a port of the host's address, and returns the
// process and its port.
func (m *multiHost) startChat(h, ip string) (*proc, string) {
	m.t.Helper()
	p := m.in(h, nil, sockrunBin, "--shared-url", m.redisURL(), "--metrics", ip+":0",
		"--var", "host="+ip, "--var", "port=0", script("chat_server.lua"))
	port := p.waitLine(`^listening on `+regexp.QuoteMeta(ip)+`:(\d+)$`, bound(m.t, mhWait))[1]
	url := waitStderrMatch(m.t, p, `sockrun: metrics on (http://`+regexp.QuoteMeta(ip)+`:[1-9]\d*/metrics)`, bound(m.t, mhWait))[1]
	if m.metrics == nil {
		m.metrics = map[string]string{}
	}
	m.metrics[h] = url
	return p, port
}

// startHAProxy starts HAProxy in the switch's namespace, listening on
// 127.0.0.1 of the test's namespace on a port held for it, spreading TCP connections over the two chat servers
// round-robin, and waits until its health checks see both up. A server
// that refuses a connection is retried, each retry on another server
// (option redispatch 1): a host that has just stopped costs a client
// nothing, even before the checks (every 100 ms) have seen it go.
func (m *multiHost) startHAProxy(portA, portB string) {
	m.t.Helper()
	bin := testenv.Tool(m.t, "haproxy")
	m.lbPort = heldPort(m.t)
	cfg := fmt.Sprintf(`global
    stats socket %s mode 600 level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 5m
    timeout server 5m
    timeout client-fin 10s
    timeout server-fin 10s
    timeout check 1s
    retries 3
    option redispatch 1

frontend chat
    bind 127.0.0.1:%d namespace %s
    default_backend hosts

backend hosts
    balance roundrobin
    default-server check inter 100ms fall 1 rise 2
    server a %s:%s
    server b %s:%s
`, m.haproxySock(), m.lbPort, m.ns("test"), mhHostAIP, portA, mhHostBIP, portB)
	path := filepath.Join(m.dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		m.t.Fatal(err)
	}
	if out, err := exec.Command("ip", "netns", "exec", m.ns("lb"), bin, "-c", "-f", path).CombinedOutput(); err != nil {
		m.t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	m.in("lb", nil, bin, "-db", "-f", path)
	m.waitServers(map[string]string{"a": "UP L4OK", "b": "UP L4OK"})
}

func (m *multiHost) haproxySock() string { return filepath.Join(m.dir, "haproxy.sock") }

// servers is what HAProxy's health checks say of the chat servers now,
// by server name: its status and the last check's ("UP L4OK", "DOWN
// L4CON"); nil while its stats socket does not answer.
func (m *multiHost) servers() map[string]string {
	c, err := net.DialTimeout("unix", m.haproxySock(), time.Second)
	if err != nil {
		return nil
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "show stat\n"); err != nil {
		return nil
	}
	r := csv.NewReader(c)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return nil
	}
	col := map[string]int{}
	for i, f := range rows[0] {
		col[strings.TrimPrefix(f, "# ")] = i
	}
	status, check := col["status"], col["check_status"]
	if status == 0 || check == 0 {
		return nil
	}
	got := map[string]string{}
	for _, row := range rows[1:] {
		if len(row) > check && row[0] == "hosts" && (row[1] == "a" || row[1] == "b") {
			got[row[1]] = row[status] + " " + row[check]
		}
	}
	return got
}

// waitServers polls HAProxy's stats until its checks say want of each
// server: "UP L4OK" (a check has passed: before the first one HAProxy
// counts a server up), "DOWN".
func (m *multiHost) waitServers(want map[string]string) {
	m.t.Helper()
	wait := bound(m.t, mhWait)
	deadline := time.Now().Add(wait)
	var got map[string]string
	for time.Now().Before(deadline) {
		got = m.servers()
		ok := got != nil
		for k, v := range want {
			ok = ok && strings.HasPrefix(got[k], v)
		}
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.t.Fatalf("HAProxy's checks say %v after %v, want %v", got, wait, want)
}

// scrapeMetrics scrapes the --metrics endpoint of each host in landed
// from inside its namespace (curl run there), parses it with the
// Prometheus text parser and checks it against what the test did: the
// clients that landed on the host are its open connections (HAProxy's
// health checks connect too, and close at once: the scrape is repeated
// until they are not counted), it accepted at least that many, and it
// received at least the bytes of their nick commands.
func (m *multiHost) scrapeMetrics(phase string, landed map[string]int) {
	m.t.Helper()
	curl := testenv.Tool(m.t, "curl")
	for h, want := range landed {
		deadline := time.Now().Add(bound(m.t, mhWait))
		for {
			out, err := exec.Command("ip", "netns", "exec", m.ns(h), curl, "-sS", "--max-time", "10", m.metrics[h]).Output()
			if err != nil {
				m.t.Fatalf("%s: scrape host %s at %s: %v", phase, h, m.metrics[h], err)
			}
			parser := expfmt.NewTextParser(model.LegacyValidation)
			fams, err := parser.TextToMetricFamilies(bytes.NewReader(out))
			if err != nil {
				m.t.Fatalf("%s: host %s's metrics do not parse: %v\n%s", phase, h, err, out)
			}
			open := mustValue(m.t, fams, "sockrun_connections_open")
			accepted := mustValue(m.t, fams, "sockrun_connections_accepted_total")
			in := mustValue(m.t, fams, "sockrun_received_bytes_total")
			if accepted < float64(want) || in < float64(want*len("/nick cN\n")) {
				m.t.Fatalf("%s: host %s accepted %v connections and received %v bytes; %d clients landed there", phase, h, accepted, in, want)
			}
			if open == float64(want) {
				m.t.Logf("%s: host %s: %v open, %v accepted, %v bytes in", phase, h, open, accepted, in)
				break
			}
			if time.Now().After(deadline) {
				m.t.Fatalf("%s: host %s has %v connections open, want the %d clients that landed there", phase, h, open, want)
			}
			time.Sleep(50 * time.Millisecond) // polling a condition: a health check's connection closing
		}
	}
}

// mhClient is a chat client connected through HAProxy. A goroutine
// reads its lines as they come; the test waits for lines in them.
type mhClient struct {
	t    *testing.T
	nick string
	host string // "a" or "b": the host it landed on
	conn net.Conn

	mu    sync.Mutex
	lines []string
	more  chan struct{} // a token when a line arrives or the stream ends
	ended bool
	err   error // why the stream ended: nil at a clean end (FIN)
}

// connect connects a client through HAProxy, names it nick, and finds
// the host it landed on: the chat server that says it renamed the
// client's guest to nick.
func (m *multiHost) connect(nick string) *mhClient {
	m.t.Helper()
	conn := dial(m.t, fmt.Sprintf("127.0.0.1:%d", m.lbPort), time.Now().Add(bound(m.t, 5*time.Minute)))
	c := &mhClient{t: m.t, nick: nick, conn: conn, more: make(chan struct{}, 1)}
	go c.read()
	guest := c.want(`^\* welcome (guest\d+); `)[1]
	c.send("/nick " + nick)
	renamed := "* " + guest + " is now known as " + nick
	c.want("^" + regexp.QuoteMeta(renamed) + "$")
	deadline := time.Now().Add(bound(m.t, mhWait))
	for c.host == "" {
		for h, p := range map[string]*proc{"a": m.a, "b": m.b} {
			for _, line := range p.Stdout() {
				if line == renamed {
					c.host = h
				}
			}
		}
		if c.host == "" {
			if time.Now().After(deadline) {
				m.t.Fatalf("%s: neither chat server printed %q", nick, renamed)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return c
}

func (c *mhClient) read() {
	r := bufio.NewReader(c.conn)
	for {
		line, err := r.ReadString('\n')
		c.mu.Lock()
		if line != "" && err == nil {
			c.lines = append(c.lines, strings.TrimSuffix(line, "\n"))
		}
		if err != nil {
			c.ended = true
			if !errors.Is(err, io.EOF) {
				c.err = err
			} else if line != "" {
				c.err = fmt.Errorf("the stream ended inside a line: %q", line)
			}
		}
		c.mu.Unlock()
		select {
		case c.more <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (c *mhClient) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\n"); err != nil {
		c.t.Fatalf("%s: send: %v", c.nick, err)
	}
}

// want waits for a line matching pattern among those received so far or
// to come, and returns its submatches.
func (c *mhClient) want(pattern string) []string {
	c.t.Helper()
	re := regexp.MustCompile(pattern)
	wait := bound(c.t, mhWait)
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		for _, l := range c.lines {
			if m := re.FindStringSubmatch(l); m != nil {
				c.mu.Unlock()
				return m
			}
		}
		ended, err, lines := c.ended, c.err, append([]string(nil), c.lines...)
		c.mu.Unlock()
		if ended {
			c.t.Fatalf("%s: the stream ended (%v) before a line matching %q; received:\n%s", c.nick, err, pattern, strings.Join(lines, "\n"))
		}
		select {
		case <-c.more:
		case <-deadline:
			c.t.Fatalf("%s: no line matching %q within %v; received:\n%s", c.nick, pattern, wait, strings.Join(lines, "\n"))
		}
	}
}

// has says whether the client has received line.
func (c *mhClient) has(line string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if l == line {
			return true
		}
	}
	return false
}

// end waits for the end of the client's stream and returns the lines
// received and how it ended (nil: a FIN after a whole line).
func (c *mhClient) end() ([]string, error) {
	c.t.Helper()
	wait := bound(c.t, mhWait)
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		ended, err, lines := c.ended, c.err, append([]string(nil), c.lines...)
		c.mu.Unlock()
		if ended {
			return lines, err
		}
		select {
		case <-c.more:
		case <-deadline:
			c.t.Fatalf("%s: the stream did not end within %v; received:\n%s", c.nick, wait, strings.Join(lines, "\n"))
		}
	}
}

// TestMultiHost runs the same scripts on two hosts sharing one Redis, with
// HAProxy in front, and checks what a user of several hosts relies on:
// shared.incr counts exactly across hosts and workers; a chat line said
// on one host reaches the other's clients; a Redis that goes away for 2 s
// gives the scripts errors they catch, and they recover by themselves;
// a host stopped with SIGTERM tells its clients and closes them cleanly,
// new clients land on the other, and no line said meanwhile is lost.
func TestMultiHost(t *testing.T) {
	m := newMultiHost(t)
	testenv.Tool(t, "haproxy")
	m.startRedis()

	// shared.incr: 2 hosts × 2 workers × 50 threads × 500 = 100,000.
	// The phases run in order on the same network, in this goroutine (the
	// clients' waits fail t itself): no subtests.
	t.Log("incr: 2 hosts × 2 workers × 50 threads")
	{
		const workers, threads, rounds = 2, 50, 500
		var ps []*proc
		for _, h := range []string{"a", "b"} {
			ps = append(ps, m.in(h, nil, sockrunBin, "--shared-url", m.redisURL(), "--workers", strconv.Itoa(workers),
				"--var", fmt.Sprint("threads=", threads), "--var", fmt.Sprint("rounds=", rounds), sharedScript("incr.lua")))
		}
		for _, p := range ps {
			if code := p.wait(bound(t, 5*time.Minute)); code != 0 {
				t.Fatalf("exit %d: %s", code, p.Stderr())
			}
			if got := strings.Join(p.Stdout(), " "); !strings.Contains(got, "done 1") || !strings.Contains(got, "done 2") {
				t.Errorf("a host's workers printed %q, want done 1 and done 2", got)
			}
		}
		if got, want := m.redisGet("n"), strconv.Itoa(2*workers*threads*rounds); got != want {
			t.Fatalf("Redis holds n = %s, want %s", got, want)
		}
	}

	var portA, portB string
	m.a, portA = m.startChat("a", mhHostAIP)
	m.b, portB = m.startChat("b", mhHostBIP)
	m.startHAProxy(portA, portB)

	// Clients through HAProxy until two are on each host.
	var onA, onB []*mhClient
	for i := 1; len(onA) < 2 || len(onB) < 2; i++ {
		if i > 12 {
			t.Fatalf("12 clients and still not two on each host: %d on A, %d on B (round-robin?)", len(onA), len(onB))
		}
		c := m.connect(fmt.Sprintf("c%d", i))
		if c.host == "a" {
			onA = append(onA, c)
		} else {
			onB = append(onB, c)
		}
	}
	everyone := append(append([]*mhClient(nil), onA...), onB...)
	m.scrapeMetrics("chat clients connected", map[string]int{"a": len(onA), "b": len(onB)})

	t.Log("a line said on one host reaches the other's clients")
	{
		for _, from := range []*mhClient{onA[0], onB[0]} {
			text := "hello from " + from.nick + " on host " + strings.ToUpper(from.host)
			from.send(text)
			for _, c := range everyone {
				if c != from {
					c.want("^" + regexp.QuoteMeta("["+from.nick+"] "+text) + "$")
				}
			}
		}
	}

	t.Log("Redis stopped for 2 s")
	{
		m.stopRedis()
		stopped := time.Now()
		// A line said during the outage: host A's clients hear it (the room
		// of one host goes on), and the server catches the store's error.
		onA[0].send("said while Redis is down")
		onA[1].want(`^\[` + onA[0].nick + `\] said while Redis is down$`)
		store := regexp.QuoteMeta(fmt.Sprintf("(publish %s)", m.redisURL()))
		m.a.waitLine(`^\* the other servers miss what is said here: shared\.StoreError: .*`+store+`$`, bound(t, mhWait))
		// The outage lasts 2 s: that is the scenario, not a wait for
		// something.
		time.Sleep(time.Until(stopped.Add(2 * time.Second)))
		m.startRedis()
		// Both hosts recover by themselves: a line said on A reaches B
		// again, and one said on B reaches A. Each host's subscription
		// comes back after a pause of its own (and a line published before
		// it has is lost, as the room is told): say numbered lines until
		// one arrives.
		heard := func(from, to *mhClient, what string) {
			t.Helper()
			wait := bound(t, mhWait)
			deadline := time.Now().Add(wait)
			for i := 1; ; i++ {
				line := fmt.Sprintf("%s %d", what, i)
				from.send(line)
				arrived := false
				for poll := time.Now().Add(200 * time.Millisecond); time.Now().Before(poll) && !arrived; time.Sleep(10 * time.Millisecond) {
					arrived = to.has("[" + from.nick + "] " + line)
				}
				if arrived {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("no line from host %s reached host %s within %v of Redis's return", from.host, to.host, wait)
				}
			}
		}
		heard(onA[0], onB[0], "A after the outage")
		m.a.waitLine(`^\* the other servers hear this room again$`, bound(t, mhWait))
		heard(onB[1], onA[1], "B after the outage")
		// The rooms were told that lines from the other host were lost.
		for _, c := range everyone {
			c.want(`^\* some lines from the other servers were lost$`)
		}
		// Once both are back, every line reaches every client of the other
		// host, the first time.
		onA[1].send("A once both are back")
		onB[0].send("B once both are back")
		for _, c := range onB {
			c.want(`^\[` + onA[1].nick + `\] A once both are back$`)
		}
		for _, c := range onA {
			c.want(`^\[` + onB[0].nick + `\] B once both are back$`)
		}
	}

	t.Log("host A's sockrun gets SIGTERM")
	{
		m.a.signal(syscall.SIGTERM)
		// Said by a client of A after the SIGTERM, before it has heard of
		// it: A still reads it and passes it on.
		onA[0].send("A is stopping under me")
		m.a.waitLine(`^\* stopping$`, bound(t, mhWait))
		// A's listener is closed: every new client lands on B, at once
		// (HAProxy redispatches a refused connection) and later (its checks
		// mark A down).
		var fresh []*mhClient
		for i := 0; i < 4; i++ {
			fresh = append(fresh, m.connect(fmt.Sprintf("new%d", i)))
		}
		m.waitServers(map[string]string{"a": "DOWN", "b": "UP L4OK"})
		for i := 4; i < 8; i++ {
			fresh = append(fresh, m.connect(fmt.Sprintf("new%d", i)))
		}
		for _, c := range fresh {
			if c.host != "b" {
				t.Errorf("%s landed on host %s after host A was stopped", c.nick, c.host)
			}
		}
		// A's clients are told, then their stream ends cleanly (a FIN after
		// the notice, no reset); they hang up and come back through HAProxy.
		var back []*mhClient
		for _, c := range onA {
			lines, err := c.end()
			if err != nil {
				t.Errorf("%s: the stream from stopping host A ended with %v, want a clean end", c.nick, err)
			}
			if len(lines) == 0 || lines[len(lines)-1] != "* this server is stopping; connect again to go on chatting" {
				t.Errorf("%s: the last lines from host A were %q, want the notice last", c.nick, lines[max(0, len(lines)-3):])
			}
			c.conn.Close()
			back = append(back, m.connect(c.nick+"again"))
		}
		if code := m.a.wait(bound(t, mhWait)); code != 0 {
			t.Errorf("host A's sockrun exited %d after SIGTERM, want 0; stderr:\n%s", code, m.a.Stderr())
		}
		out := strings.Join(m.a.Stdout(), "\n")
		if strings.Contains(out, "dropped") || !strings.Contains(out, "* stopped") {
			t.Errorf("host A did not stop cleanly:\n%s", out)
		}
		for _, c := range back {
			if c.host != "b" {
				t.Errorf("%s came back on host %s", c.nick, c.host)
			}
		}
		m.scrapeMetrics("host A stopped", map[string]int{"b": len(onB) + len(fresh) + len(back)})
		// Nothing said since the SIGTERM is lost: A's client's line reached
		// B; every line said now reaches every client of B, the old ones
		// and the ones that came from A.
		for _, c := range onB {
			c.want(`^\[` + onA[0].nick + `\] A is stopping under me$`)
		}
		room := append(append(append([]*mhClient(nil), onB...), fresh...), back...)
		for i, from := range room {
			from.send(fmt.Sprintf("line %d after A stopped", i))
		}
		for i, from := range room {
			line := fmt.Sprintf("[%s] line %d after A stopped", from.nick, i)
			for _, c := range room {
				if c != from {
					c.want("^" + regexp.QuoteMeta(line) + "$")
				}
			}
		}
	}
}
