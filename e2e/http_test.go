package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// httpScripts are the HTTP servers the tests below hold to the same
// behaviour: the one that parses HTTP in Lua, and the one on the http
// module.
var httpScripts = []string{"http_server.lua", "http_module_server.lua"}

// forHTTPScripts runs test on each of httpScripts, as a subtest named
// after it.
func forHTTPScripts(t *testing.T, test func(t *testing.T, script string)) {
	for _, name := range httpScripts {
		t.Run(strings.TrimSuffix(name, ".lua"), func(t *testing.T) { test(t, name) })
	}
}

// startHTTP runs scripts/name, an HTTP server, on a port the kernel
// picks, with extra vars (and flags) and returns it and its address.
func startHTTP(t *testing.T, name string, args ...string) (*proc, string) {
	t.Helper()
	args = append([]string{"--var", "port=0"}, args...)
	p := start(t, append(args, script(name))...)
	return p, p.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
}

// runTool runs a real client to the end, bounded by timeout, and returns
// its stdout and stderr; a failure to run or a non-zero exit fails the test.
func runTool(t *testing.T, timeout time.Duration, stdin string, name string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Tool(t, name), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// readResponse reads one response from r, as Go's HTTP client would, with
// its whole body.
func readResponse(t *testing.T, r *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(r, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading a response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading a response's body: %v", err)
	}
	return resp, string(body)
}

// expectClosed checks that the server closes c (end of stream or reset)
// without sending anything more than want.
func expectClosed(t *testing.T, r io.Reader, want string) {
	t.Helper()
	rest, err := io.ReadAll(r)
	if err != nil && !isReset(err) {
		t.Fatalf("waiting for the server to close: %v (after %q)", err, rest)
	}
	if string(rest) != want {
		t.Fatalf("before closing the server sent %q, want %q", rest, want)
	}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// stillServing checks that a normal client is answered, and that nothing
// the test did made the script print an error with a traceback.
func stillServing(t *testing.T, p *proc, url string) {
	t.Helper()
	out, _ := runTool(t, 20*time.Second, "", "curl", "-s", "-S", "--max-time", "10", url)
	if out != "Hello from sockrun!\n" {
		t.Fatalf("a normal client got %q", out)
	}
	if s := p.Stderr(); s != "" {
		t.Fatalf("the server printed to stderr:\n%s", s)
	}
}

// TestHTTPCurlKeepAlive: curl fetches three URLs over one connection, the
// static route, the JSON route and a HEAD, each with a right Content-Length
// (curl reuses a connection only after reading a response whole).
func TestHTTPCurlKeepAlive(t *testing.T) { forHTTPScripts(t, testHTTPCurlKeepAlive) }

func testHTTPCurlKeepAlive(t *testing.T, name string) {
	testenv.Tool(t, "curl")
	p, addr := startHTTP(t, name)
	base := "http://" + addr
	out, errOut := runTool(t, 30*time.Second, "", "curl", "-s", "-S", "-v", "--max-time", "20",
		base+"/", base+"/json?q=a%20b", base+"/missing")
	if n := strings.Count(errOut, "Connected to"); n != 1 {
		t.Errorf("curl connected %d times, want once:\n%s", n, errOut)
	}
	if n := len(regexp.MustCompile(`(?i)re-?using existing connection`).FindAllString(errOut, -1)); n != 2 {
		t.Errorf("curl reused the connection %d times, want 2:\n%s", n, errOut)
	}
	for _, want := range []string{"< HTTP/1.1 200 OK", "< Content-Type: application/json", "< HTTP/1.1 404 Not Found"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("no %q in curl's trace:\n%s", want, errOut)
		}
	}
	const hello = "Hello from sockrun!\n"
	if !strings.HasPrefix(out, hello) {
		t.Fatalf("output %q, want the static body first", out)
	}
	json, notFound, _ := strings.Cut(out[len(hello):], "\n")
	for _, want := range []string{`"method":"GET"`, `"path":"/json"`, `"query":"q=a%20b"`, `"request":2`, `"user-agent":"curl/`, `"worker":1`} {
		if !strings.Contains(json, want) {
			t.Errorf("JSON %s lacks %s", json, want)
		}
	}
	if notFound != "404 Not Found: /missing\n" {
		t.Errorf("404 body %q", notFound)
	}

	// HEAD: the GET's Content-Length, no body.
	out, errOut = runTool(t, 30*time.Second, "", "curl", "-s", "-S", "-I", "--max-time", "20", base+"/")
	if !strings.Contains(out, "Content-Length: 20\r\n") || !strings.HasSuffix(out, "\r\n\r\n") {
		t.Errorf("HEAD answered %q (%s)", out, errOut)
	}
	stillServing(t, p, base+"/")
}

// TestHTTPCurlPost: bodies reach /echo whole, sent with a Content-Length,
// chunked, and after "Expect: 100-continue".
func TestHTTPCurlPost(t *testing.T) { forHTTPScripts(t, testHTTPCurlPost) }

func testHTTPCurlPost(t *testing.T, name string) {
	testenv.Tool(t, "curl")
	p, addr := startHTTP(t, name)
	url := "http://" + addr + "/echo"
	body := string(payload(7, 300000)) // binary, with every byte value, "\r\n" included
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		extra []string
		trace string // in curl's -v output
	}{
		{"content-length", nil, "> Content-Length: 300000"},
		{"chunked", []string{"-H", "Transfer-Encoding: chunked"}, "> Transfer-Encoding: chunked"},
		{"100-continue", []string{"-H", "Expect: 100-continue"}, "< HTTP/1.1 100 Continue"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"-s", "-S", "-v", "--max-time", "20", "--data-binary", "@" + file}, c.extra...)
			out, errOut := runTool(t, 30*time.Second, "", "curl", append(args, url)...)
			if !strings.Contains(errOut, c.trace) {
				t.Errorf("no %q in curl's trace:\n%s", c.trace, errOut)
			}
			if !strings.HasPrefix(out, "POST /echo HTTP/1.1\r\nHost: "+addr+"\r\n") {
				t.Errorf("echo starts %q", out[:min(len(out), 200)])
			}
			if !strings.HasSuffix(out, "\r\n\r\n"+body) {
				t.Errorf("echo of %d bytes does not end with the %d bytes sent", len(out), len(body))
			}
		})
	}
	stillServing(t, p, "http://"+addr+"/")
}

// TestHTTPStatuses: what a client did wrong gets its status, from curl
// and from a raw connection, and the server goes on serving.
func TestHTTPStatuses(t *testing.T) { forHTTPScripts(t, testHTTPStatuses) }

func testHTTPStatuses(t *testing.T, name string) {
	testenv.Tool(t, "curl")
	p, addr := startHTTP(t, name, "--var", "max_body=1000")
	base := "http://" + addr
	status := func(args ...string) string {
		t.Helper()
		out, _ := runTool(t, 30*time.Second, "", "curl", append([]string{"-s", "-S", "--max-time", "20", "-o", "/dev/null", "-w", "%{http_code}"}, args...)...)
		return out
	}
	if got := status(base + "/nope"); got != "404" {
		t.Errorf("GET /nope: %s, want 404", got)
	}
	if got := status("-X", "DELETE", base+"/json"); got != "405" {
		t.Errorf("DELETE /json: %s, want 405", got)
	}
	if got := status("--data-binary", strings.Repeat("x", 1000), base+"/echo"); got != "200" {
		t.Errorf("POST of max_body bytes: %s, want 200", got)
	}
	if got := status("--data-binary", strings.Repeat("x", 1001), base+"/echo"); got != "413" {
		t.Errorf("POST of max_body+1 bytes: %s, want 413", got)
	}
	if got := status("-H", "Transfer-Encoding: chunked", "--data-binary", strings.Repeat("x", 5000), base+"/echo"); got != "413" {
		t.Errorf("chunked POST over max_body: %s, want 413", got)
	}
	p.waitLine(`: 413 Content Too Large \(body over 1000 bytes\)$`, 10*time.Second)

	// Raw requests, each answered with its status and then closed.
	for _, c := range []struct {
		name, request string
		status        int
	}{
		{"malformed request line", "GARBAGE\r\n\r\n", 400},
		{"lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
		{"folded header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 400},
		{"control character", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400},
		{"two lengths", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
		{"empty length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", 400},
		{"length of commas", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ,\r\n\r\n", 400},
		{"length and chunked", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"bad chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
		{"huge length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 413},
		{"long target", "GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
		{"long header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: " + strings.Repeat("a", 9000) + "\r\n\r\n", 431},
		{"many headers", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: 1\r\n", 101) + "\r\n", 431},
		{"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 505},
		{"gzip body", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := dial(t, addr, time.Now().Add(20*time.Second))
			if _, err := io.WriteString(conn, c.request); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(conn)
			resp, body := readResponse(t, r, "GET")
			if resp.StatusCode != c.status || !resp.Close {
				t.Errorf("status %d, Connection: close %v; want %d and close (body %q)", resp.StatusCode, resp.Close, c.status, body)
			}
			expectClosed(t, r, "")
		})
	}
	stillServing(t, p, base+"/")
}

// TestHTTPPipelining: three requests in one write get three responses, in
// order, each framed by its Content-Length; the connection stays open
// until a request says "Connection: close".
func TestHTTPPipelining(t *testing.T) { forHTTPScripts(t, testHTTPPipelining) }

func testHTTPPipelining(t *testing.T, name string) {
	_, addr := startHTTP(t, name)
	c := dial(t, addr, time.Now().Add(20*time.Second))
	requests := "GET / HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello\r\nGET " +
		"GET /json HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := io.WriteString(c, requests); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	_, body := readResponse(t, r, "GET")
	if body != "Hello from sockrun!\n" {
		t.Errorf("response 1: %q", body)
	}
	_, body = readResponse(t, r, "POST")
	if want := "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello\r\nGET "; body != want {
		t.Errorf("response 2: %q, want %q", body, want)
	}
	_, body = readResponse(t, r, "GET")
	if !strings.Contains(body, `"request":3`) {
		t.Errorf("response 3: %q, want the third request of the connection", body)
	}

	// Kept alive: a fourth request on the same connection, which ends it.
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, body := readResponse(t, r, "GET")
	if body != "Hello from sockrun!\n" || !resp.Close {
		t.Errorf("response 4: %q, close %v", body, resp.Close)
	}
	expectClosed(t, r, "")
}

// TestHTTPKeepAlive: HTTP/1.1 keeps the connection by default; HTTP/1.0
// only when asked, and then says so.
func TestHTTPKeepAlive(t *testing.T) { forHTTPScripts(t, testHTTPKeepAlive) }

func testHTTPKeepAlive(t *testing.T, name string) {
	_, addr := startHTTP(t, name)
	t.Run("HTTP/1.1", func(t *testing.T) {
		c := dial(t, addr, time.Now().Add(20*time.Second))
		r := bufio.NewReader(c)
		for i := range 3 {
			io.WriteString(c, "GET /json HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, body := readResponse(t, r, "GET")
			if resp.Close || !strings.Contains(body, fmt.Sprintf(`"request":%d`, i+1)) {
				t.Fatalf("request %d: close %v, body %q", i+1, resp.Close, body)
			}
		}
	})
	t.Run("HTTP/1.0", func(t *testing.T) {
		c := dial(t, addr, time.Now().Add(20*time.Second))
		r := bufio.NewReader(c)
		io.WriteString(c, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		resp, _ := readResponse(t, r, "GET")
		if resp.Header.Get("Connection") != "keep-alive" {
			t.Errorf("Connection: %q, want keep-alive", resp.Header.Get("Connection"))
		}
		io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
		resp, body := readResponse(t, r, "GET")
		if body != "Hello from sockrun!\n" || !resp.Close {
			t.Errorf("without keep-alive: %q, close %v", body, resp.Close)
		}
		expectClosed(t, r, "")
	})
}

// TestHTTPRequestTimeout: a client that sends half a request line and
// stalls gets 408 and is closed after the script's timeout (1 s here), one
// that sends nothing is closed, and a normal client is served meanwhile.
func TestHTTPRequestTimeout(t *testing.T) { forHTTPScripts(t, testHTTPRequestTimeout) }

func testHTTPRequestTimeout(t *testing.T, name string) {
	testenv.Tool(t, "curl")
	p, addr := startHTTP(t, name, "--var", "timeout=1", "--var", "idle=1")
	stalled := dial(t, addr, time.Now().Add(20*time.Second))
	io.WriteString(stalled, "GET / HT")
	silent := dial(t, addr, time.Now().Add(20*time.Second))
	// A slowloris: a header line every half second, each within the
	// timeout, the request as a whole not.
	slow := dial(t, addr, time.Now().Add(20*time.Second))
	io.WriteString(slow, "GET / HTTP/1.1\r\n")
	slowDone := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(slow, "X-%d: 1\r\n", i); err != nil {
				slowDone <- err
				return
			}
			time.Sleep(500 * time.Millisecond) // the client's pace, not a wait for the server
		}
	}()

	stillServing(t, p, "http://"+addr+"/")

	r := bufio.NewReader(stalled)
	resp, _ := readResponse(t, r, "GET")
	if resp.StatusCode != 408 {
		t.Errorf("a stalled request got %d, want 408", resp.StatusCode)
	}
	expectClosed(t, r, "")
	expectClosed(t, silent, "")
	resp, _ = readResponse(t, bufio.NewReader(slow), "GET")
	if resp.StatusCode != 408 {
		t.Errorf("a slowloris got %d, want 408", resp.StatusCode)
	}
	select {
	case <-slowDone:
	case <-time.After(10 * time.Second):
		t.Error("the slowloris connection is still open")
	}
	// Without the timeouts none of them would end: each read above would
	// reach its connection's 20 s deadline and fail the test.
	p.waitLine(`: 408 Request Timeout \(request not complete within 1 s\)$`, 10*time.Second)
}

// TestHTTPHostileClients: clients that reset, half-close, send garbage or
// flood requests without reading end only their own connections.
func TestHTTPHostileClients(t *testing.T) { forHTTPScripts(t, testHTTPHostileClients) }

func testHTTPHostileClients(t *testing.T, name string) {
	testenv.Tool(t, "curl")
	p, addr := startHTTP(t, name, "--var", "timeout=2")
	deadline := time.Now().Add(30 * time.Second)

	func() { // reset mid-request
		c := dial(t, addr, deadline).(*net.TCPConn)
		io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nsome")
		c.SetLinger(0) // close sends a reset
		c.Close()
		p.waitLine(`Connection reset by peer`, 10*time.Second)
	}()
	func() { // reset mid-response
		c := dial(t, addr, deadline).(*net.TCPConn)
		c.SetReadBuffer(4096)
		big := strings.Repeat("x", 900000)
		fmt.Fprintf(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(big), big)
		c.SetLinger(0)
		c.Close()
	}()
	func() { // half-close after a request
		c := dial(t, addr, deadline).(*net.TCPConn)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		c.CloseWrite()
		r := bufio.NewReader(c)
		if _, body := readResponse(t, r, "GET"); body != "Hello from sockrun!\n" {
			t.Errorf("body %q", body)
		}
		expectClosed(t, r, "")
	}()
	// A request cut short is no request: no answer, not even a 400 for an
	// unfinished line.
	for _, part := range []string{"GET / HT", "GET / HTTP/1.1\r\nHost:", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nabc"} {
		t.Run("half-close mid-request "+strconv.Quote(part), func(t *testing.T) {
			c := dial(t, addr, deadline).(*net.TCPConn)
			io.WriteString(c, part)
			c.CloseWrite()
			expectClosed(t, c, "")
		})
	}
	func() { // garbage
		c := dial(t, addr, deadline)
		go c.Write(payload(3, 1<<20))
		r := bufio.NewReader(c)
		resp, _ := readResponse(t, r, "GET")
		if resp.StatusCode/100 != 4 {
			t.Errorf("garbage got %d", resp.StatusCode)
		}
		io.Copy(io.Discard, r)
	}()
	func() { // flood without reading
		c := dial(t, addr, deadline).(*net.TCPConn)
		c.SetReadBuffer(4096)
		req := []byte(strings.Repeat("GET /json HTTP/1.1\r\nHost: x\r\n\r\n", 1000))
		// The server answers until its send buffer and our receive buffer
		// are full, then its sendall times out (2 s) and it closes. (On a
		// slow machine the read of a request stuck behind a full window
		// may time out first: a 408, also a close.)
		for {
			if _, err := c.Write(req); err != nil {
				break
			}
		}
		p.waitLine(`timed out|408 Request Timeout`, 20*time.Second)
	}()
	stillServing(t, p, "http://"+addr+"/")
}

// TestHTTPWrk: wrk's short run over keep-alive connections ends with
// every request answered and no socket errors. (No speed is asserted.)
func TestHTTPWrk(t *testing.T) { forHTTPScripts(t, testHTTPWrk) }

func testHTTPWrk(t *testing.T, name string) {
	testenv.Tool(t, "wrk")
	for _, workers := range []string{"1", "2"} {
		t.Run("workers="+workers, func(t *testing.T) {
			p, addr := startHTTP(t, name, "--workers", workers)
			if workers == "2" {
				p.waitLine(`^listening on `, 10*time.Second) // the second worker
			}
			out, _ := runTool(t, 60*time.Second, "", "wrk", "-t1", "-c10", "-d1s", "http://"+addr+"/json")
			m := regexp.MustCompile(`(\d+) requests in `).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no request count in wrk's output:\n%s", out)
			}
			if n, _ := strconv.Atoi(m[1]); n == 0 {
				t.Errorf("wrk made no requests:\n%s", out)
			}
			for _, bad := range []string{"Socket errors", "Non-2xx"} {
				if strings.Contains(out, bad) {
					t.Errorf("wrk reports %s:\n%s", bad, out)
				}
			}
			stillServing(t, p, "http://"+addr+"/")
		})
	}
}

// TestProtocolServersOutOfDescriptors: with a descriptor limit the clients
// exceed, accept fails with EMFILE; each server waits and keeps
// accepting, and serves again once connections close.
func TestProtocolServersOutOfDescriptors(t *testing.T) {
	for _, c := range []struct{ script, request, reply string }{
		{"http_server.lua", "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK\r\n"},
		{"http_module_server.lua", "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK\r\n"},
		{"resp_server.lua", "PING\r\n", "+PONG\r\n"},
	} {
		t.Run(c.script, func(t *testing.T) {
			// The limit, soft and hard (Go raises the soft one to the hard one).
			p := startIn(t, "", nil, "/bin/sh", "-c", fmt.Sprintf("ulimit -n 40 && exec %s --var port=0 %s", sockrunBin, script(c.script)))
			addr := p.waitLine(`^listening on (\S+)$`, 10*time.Second)[1]
			deadline := time.Now().Add(30 * time.Second)
			var held []net.Conn
			for range 60 {
				held = append(held, dial(t, addr, deadline))
			}
			p.waitLine(`^accept: .*Too many open files.*; waiting for connections to close$`, 10*time.Second)
			for _, h := range held {
				h.Close()
			}
			conn := dial(t, addr, deadline)
			io.WriteString(conn, c.request)
			got := make([]byte, len(c.reply))
			if _, err := io.ReadFull(conn, got); err != nil || string(got) != c.reply {
				t.Fatalf("after the descriptors came back: %q, %v", got, err)
			}
			if s := p.Stderr(); s != "" {
				t.Errorf("stderr:\n%s", s)
			}
		})
	}
}
