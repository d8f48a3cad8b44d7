package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// startRESP runs scripts/resp_server.lua on a port the kernel picks, with extra vars
// (and flags) and returns it and its port.
func startRESP(t *testing.T, args ...string) (*proc, string) {
	t.Helper()
	p := start(t, append(append([]string{"--var", "port=0"}, args...), script("resp_server.lua"))...)
	return p, p.waitLine(`^listening on 127\.0\.0\.1:(\d+)$`, 10*time.Second)[1]
}

// cli runs redis-cli with args against port and returns its output, as it
// prints replies when told to type them (--no-raw): OK, "v", (nil),
// (integer) 1, (error) ERR ..., 1) "a" ...
func cli(t *testing.T, port string, args ...string) string {
	t.Helper()
	out, _ := runTool(t, 20*time.Second, "", "redis-cli", append([]string{"--no-raw", "-p", port}, args...)...)
	return strings.TrimSuffix(out, "\n")
}

// respCommand encodes a command as a client sends it: an array of bulk
// strings.
func respCommand(words ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(words))
	for _, w := range words {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(w), w)
	}
	return b.String()
}

// readReply reads one RESP reply and writes it compactly: +OK, -ERR ...,
// :1, "v", nil, [a, b].
func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") || len(line) < 3 {
		return "", fmt.Errorf("bad reply line %q", line)
	}
	line = line[:len(line)-2]
	switch line[0] {
	case '+', '-', ':':
		return line, nil
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", fmt.Errorf("bad bulk length %q", line)
		}
		if n < 0 {
			return "nil", nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		return strconv.Quote(string(b[:n])), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", fmt.Errorf("bad array length %q", line)
		}
		items := make([]string, n)
		for i := range items {
			if items[i], err = readReply(r); err != nil {
				return "", err
			}
		}
		return "[" + strings.Join(items, ", ") + "]", nil
	}
	return "", fmt.Errorf("unknown reply type %q", line)
}

// respConn is a raw client connection.
type respConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRESP(t *testing.T, port string) *respConn {
	c := dial(t, "127.0.0.1:"+port, time.Now().Add(30*time.Second))
	return &respConn{t: t, c: c, r: bufio.NewReader(c)}
}

func (c *respConn) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatal(err)
	}
}

// expect reads one reply and checks it.
func (c *respConn) expect(want string) {
	c.t.Helper()
	got, err := readReply(c.r)
	if err != nil || got != want {
		c.t.Fatalf("reply %s (%v), want %s", got, err, want)
	}
}

// TestRESPRedisCLI: each command, run by redis-cli, answers as Redis
// would.
func TestRESPRedisCLI(t *testing.T) {
	testenv.Tool(t, "redis-cli")
	p, port := startRESP(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"ping", "hello there"}, `"hello there"`},
		{[]string{"ECHO", "a\r\nb"}, `"a\r\nb"`},
		{[]string{"SET", "k", "v"}, "OK"},
		{[]string{"GET", "k"}, `"v"`},
		{[]string{"SET", "k", "other", "NX"}, "(nil)"},
		{[]string{"SET", "fresh", "1", "nx"}, "OK"},
		{[]string{"GET", "k"}, `"v"`},
		{[]string{"GET", "nope"}, "(nil)"},
		{[]string{"SET", "n", "41"}, "OK"},
		{[]string{"INCR", "n"}, "(integer) 42"},
		{[]string{"GET", "n"}, `"42"`},
		{[]string{"INCR", "new"}, "(integer) 1"},
		{[]string{"INCR", "k"}, "(error) ERR value is not an integer or out of range"},
		{[]string{"SET", "z", "042"}, "OK"},
		{[]string{"INCR", "z"}, "(error) ERR value is not an integer or out of range"},
		{[]string{"GET", "z"}, `"042"`},
		{[]string{"EXISTS", "k", "n", "nope", "k"}, "(integer) 3"},
		{[]string{"MSET", "a", "1", "b", "2"}, "OK"},
		{[]string{"MGET", "a", "nope", "b"}, "1) \"1\"\n2) (nil)\n3) \"2\""},
		{[]string{"KEYS", "[ab]"}, "1) \"a\"\n2) \"b\""},
		{[]string{"KEYS", "f*h"}, `1) "fresh"`},
		{[]string{"KEYS", "?"}, "1) \"a\"\n2) \"b\"\n3) \"k\"\n4) \"n\"\n5) \"z\""},
		{[]string{"DEL", "a", "b", "nope"}, "(integer) 2"},
		{[]string{"TTL", "k"}, "(integer) -1"},
		{[]string{"TTL", "nope"}, "(integer) -2"},
		{[]string{"EXPIRE", "nope", "10"}, "(integer) 0"},
		{[]string{"EXPIRE", "k", "100"}, "(integer) 1"},
		{[]string{"GET", "k"}, `"v"`},
		{[]string{"SET", "e", "x", "EX", "50"}, "OK"},
		{[]string{"SET", "e2", "x", "PX", "50000", "NX"}, "OK"},
		{[]string{"SET", "k", "v3"}, "OK"},
		{[]string{"TTL", "k"}, "(integer) -1"}, // a plain SET drops the expiry
		{[]string{"EXPIRE", "n", "0"}, "(integer) 1"},
		{[]string{"GET", "n"}, "(nil)"},
		{[]string{"SET", "k", "v", "EX", "0"}, "(error) ERR invalid expire time in 'set' command"},
		{[]string{"SET", "k", "v", "EX", "soon"}, "(error) ERR value is not an integer or out of range"},
		{[]string{"SET", "k", "v", "EX", "10000000000"}, "(error) ERR invalid expire time in 'set' command"},
		{[]string{"EXPIRE", "k", "10000000000"}, "(error) ERR invalid expire time in 'expire' command"},
		{[]string{"SET", "long", "v", "EX", "3000000000"}, "OK"},
		{[]string{"GET", "long"}, `"v"`},
		{[]string{"SET", "k", "v", "BOGUS"}, "(error) ERR syntax error"},
		{[]string{"MSET", "a", "1", "b"}, "(error) ERR wrong number of arguments for 'mset' command"},
		{[]string{"GET"}, "(error) ERR wrong number of arguments for 'get' command"},
		{[]string{"PING", "a", "b"}, "(error) ERR wrong number of arguments for 'ping' command"},
		{[]string{"FOO", "bar", "baz"}, "(error) ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' "},
	} {
		if got := cli(t, port, c.args...); got != c.want {
			t.Errorf("%s: %q, want %q", strings.Join(c.args, " "), got, c.want)
		}
	}
	// TTLs count down from what was set (a few seconds' leeway for a
	// slow machine).
	for key, set := range map[string]int{"k": -1, "e": 50, "e2": 50} {
		got := cli(t, port, "TTL", key)
		var n int
		fmt.Sscanf(got, "(integer) %d", &n)
		if (set == -1 && n != -1) || (set > 0 && (n > set || n < set-5)) {
			t.Errorf("TTL %s: %s, want about %d", key, got, set)
		}
	}
	// A key set to expire in 200 ms is gone soon after (polled, bounded).
	if got := cli(t, port, "SET", "short", "x", "PX", "200"); got != "OK" {
		t.Fatal(got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for cli(t, port, "EXISTS", "short") != "(integer) 0" {
		if time.Now().After(deadline) {
			t.Fatal("a key set with PX 200 still exists after 10 s")
		}
	}
	if got := cli(t, port, "TTL", "short"); got != "(integer) -2" {
		t.Errorf("TTL of an expired key: %s", got)
	}
	if got := cli(t, port, "FLUSHALL"); got != "OK" {
		t.Fatal(got)
	}
	if got := cli(t, port, "KEYS", "*"); got != "(empty array)" {
		t.Errorf("KEYS * after FLUSHALL: %s", got)
	}
	if s := p.Stderr(); s != "" {
		t.Errorf("stderr:\n%s", s)
	}
}

// TestRESPPipeline: many commands written at once are answered in order,
// from a raw client and from redis-cli --pipe.
func TestRESPPipeline(t *testing.T) {
	p, port := startRESP(t)
	t.Run("raw", func(t *testing.T) {
		c := dialRESP(t, port)
		const n = 2000
		var batch strings.Builder
		for i := range n {
			batch.WriteString(respCommand("SET", fmt.Sprint("key", i), fmt.Sprint("value", i)))
			batch.WriteString(respCommand("INCR", "counter"))
			batch.WriteString(respCommand("GET", fmt.Sprint("key", i)))
		}
		go io.WriteString(c.c, batch.String()) // the replies are read while it is written
		for i := range n {
			c.expect("+OK")
			c.expect(fmt.Sprint(":", i+1))
			c.expect(strconv.Quote(fmt.Sprint("value", i)))
		}
	})
	t.Run("redis-cli --pipe", func(t *testing.T) {
		var in strings.Builder
		for i := range 1000 {
			in.WriteString(respCommand("SET", fmt.Sprint("piped", i), "x"))
		}
		out, _ := runTool(t, 30*time.Second, in.String(), "redis-cli", "-p", port, "--pipe")
		if !strings.Contains(out, "errors: 0, replies: 1000") {
			t.Errorf("redis-cli --pipe:\n%s", out)
		}
		if got := cli(t, port, "GET", "piped999"); got != `"x"` {
			t.Errorf("GET piped999: %s", got)
		}
	})
	if s := p.Stderr(); s != "" {
		t.Errorf("stderr:\n%s", s)
	}
}

// TestRESPInline: commands typed as lines of words (telnet, nc) work,
// mixed with RESP frames on the same connection; an empty line is no
// command.
func TestRESPInline(t *testing.T) {
	_, port := startRESP(t)
	c := dialRESP(t, port)
	c.send("PING\r\n")
	c.expect("+PONG")
	c.send("\r\nset  greeting   hello\r\nGET greeting\nECHO a\r\n" + respCommand("GET", "greeting") + "INCR greeting\r\n")
	c.expect("+OK")
	c.expect(`"hello"`)
	c.expect(`"a"`)
	c.expect(`"hello"`)
	c.expect("-ERR value is not an integer or out of range")
	c.send("QUIT\r\n")
	c.expect("+OK")
	expectClosed(t, c.r, "")
}

// TestRESPErrors: an unknown command is an error reply and the connection
// goes on; a broken frame is a protocol error reply and the connection is
// closed, as Redis does.
func TestRESPErrors(t *testing.T) {
	p, port := startRESP(t)
	c := dialRESP(t, port)
	c.send(respCommand("NOSUCH", "x") + respCommand("PING"))
	c.expect("-ERR unknown command 'NOSUCH', with args beginning with: 'x' ")
	c.expect("+PONG")
	c.send(respCommand("GET\r\nX"))
	c.expect("-ERR unknown command 'GET  X', with args beginning with: ")

	for _, f := range []struct{ name, frame, reply string }{
		{"not a bulk string", "*2\r\n$4\r\nECHO\r\nxyz\r\n", "-ERR Protocol error: expected '$', got 'x'"},
		{"bad array length", "*abc\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"huge array", "*99999999999\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"huge bulk length", "*1\r\n$99999999999\r\n", "-ERR Protocol error: invalid bulk length"},
		{"bulk longer than its length", "*1\r\n$4\r\nPINGPONG\r\n", "-ERR Protocol error: bulk string longer than its length"},
		{"endless line", "*1\r\n$" + strings.Repeat("1", 70000), "-ERR Protocol error: too big inline request"},
	} {
		t.Run(f.name, func(t *testing.T) {
			c := dialRESP(t, port)
			go io.WriteString(c.c, f.frame)
			c.expect(f.reply)
			expectClosed(t, c.r, "")
		})
	}
	p.waitLine(`protocol error: invalid bulk length$`, 10*time.Second)
	if s := p.Stderr(); s != "" {
		t.Errorf("stderr:\n%s", s)
	}
}

// TestRESPHostileClients: resets, half-closes, garbage, stalled frames and
// idle clients end only their own connections.
func TestRESPHostileClients(t *testing.T) {
	p, port := startRESP(t, "--var", "timeout=1", "--var", "idle=2")
	func() { // reset mid-command
		c := dialRESP(t, port)
		c.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc")
		c.c.(*net.TCPConn).SetLinger(0)
		c.c.Close()
		p.waitLine(`Connection reset by peer`, 10*time.Second)
	}()
	func() { // half-close
		c := dialRESP(t, port)
		c.send(respCommand("PING") + "*2\r\n$4\r\nECHO")
		c.c.(*net.TCPConn).CloseWrite()
		c.expect("+PONG")
		expectClosed(t, c.r, "")
	}()
	func() { // half-close mid-inline
		c := dialRESP(t, port)
		c.send("PING") // no line end: a command cut short, not a PING
		c.c.(*net.TCPConn).CloseWrite()
		expectClosed(t, c.r, "")
	}()
	func() { // garbage
		c := dialRESP(t, port)
		go c.c.Write(payload(5, 1<<20))
		io.Copy(io.Discard, c.r) // whatever it answers, it ends
	}()
	func() { // stalled frame
		c := dialRESP(t, port)
		c.send("*2\r\n$4\r\nECHO\r\n$5\r\nab")
		expectClosed(t, c.r, "") // by the 1 s timeout: the frame never completes
	}()
	func() { // idle
		c := dialRESP(t, port)
		expectClosed(t, c.r, "")
	}()
	c := dialRESP(t, port)
	c.send(respCommand("PING"))
	c.expect("+PONG")
	if s := p.Stderr(); s != "" {
		t.Errorf("stderr:\n%s", s)
	}
}

// TestRESPBenchmark: redis-benchmark's SET and GET runs complete, with one
// worker and with two sharing the data. (No speed is asserted.)
func TestRESPBenchmark(t *testing.T) {
	testenv.Tool(t, "redis-benchmark")
	for _, workers := range []string{"1", "2"} {
		t.Run("workers="+workers, func(t *testing.T) {
			p, port := startRESP(t, "--workers", workers)
			if workers == "2" {
				p.waitLine(`^listening on `, 10*time.Second) // the second worker
			}
			out, _ := runTool(t, 120*time.Second, "", "redis-benchmark", "-p", port, "-t", "set,get", "-n", "2000", "-q")
			for _, cmd := range []string{"SET", "GET"} {
				if !regexp.MustCompile(`(?m)^` + cmd + `: [\d.]+ requests per second`).MatchString(lastLines(out)) {
					t.Errorf("no %s result in redis-benchmark's output:\n%s", cmd, out)
				}
			}
			if s := p.Stderr(); s != "" {
				t.Errorf("stderr:\n%s", s)
			}
		})
	}
}

// lastLines keeps what follows the last carriage return of each line:
// redis-benchmark redraws its progress line with "\r".
func lastLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if j := strings.LastIndex(l, "\r"); j >= 0 {
			lines[i] = l[j+1:]
		}
	}
	return strings.Join(lines, "\n")
}

// TestRESPWorkersShareData: with two workers, every connection sees the
// same data whichever worker serves it, and INCR from many connections at
// once loses no increment.
func TestRESPWorkersShareData(t *testing.T) {
	p, port := startRESP(t, "--workers", "2")
	p.waitLine(`^listening on `, 10*time.Second)
	c := dialRESP(t, port)
	c.send(respCommand("SET", "shared-key", "hello", "EX", "100"))
	c.expect("+OK")

	const clients = 40
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			r := bufio.NewReader(c)
			io.WriteString(c, respCommand("GET", "shared-key")+respCommand("TTL", "shared-key")+strings.Repeat(respCommand("INCR", "hits"), 25))
			for i := range 27 {
				got, err := readReply(r)
				if err != nil {
					errs <- err
					return
				}
				switch i {
				case 0:
					if got != `"hello"` {
						errs <- fmt.Errorf("GET: %s", got)
					}
				case 1:
					if n, _ := strconv.Atoi(strings.TrimPrefix(got, ":")); n < 90 || n > 100 {
						errs <- fmt.Errorf("TTL: %s", got)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c.send(respCommand("GET", "hits"))
	c.expect(`"1000"`)
}
