package e2e

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
	"github.com/sockrun/sockrun/luaapi/testcerts"
)

// spoilingConn is a client's connection under its TLS layer that, once
// armed, spoils the next record the TLS layer writes (crypto/tls writes
// a record per Write): "flip" flips its last byte, "cut" sends all but its
// last three bytes and ends the stream.
type spoilingConn struct {
	net.Conn
	mu  sync.Mutex
	how string
}

func (c *spoilingConn) arm(how string) {
	c.mu.Lock()
	c.how = how
	c.mu.Unlock()
}

func (c *spoilingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	how := c.how
	c.how = ""
	c.mu.Unlock()
	switch how {
	case "flip":
		q := append([]byte(nil), p...)
		q[len(q)-1] ^= 1
		return c.Conn.Write(q)
	case "cut":
		c.Conn.Write(p[:len(p)-3])
		c.Conn.(*net.TCPConn).CloseWrite()
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// spoiledClient connects to addr over TLS (trusting the test's CA), then
// sends msg in a record spoiled as how says, and returns the connection.
func spoiledClient(t *testing.T, addr string, certs map[string]string, how, msg string) *tls.Conn {
	t.Helper()
	pool, err := loadPool(certs["ca"])
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	sc := &spoilingConn{Conn: raw}
	c := tls.Client(sc, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	t.Cleanup(func() { c.Close() })
	if err := c.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	sc.arm(how)
	c.Write([]byte(msg))
	return c
}

// TestHTTPSCorruptRecord: a client whose request arrives in a corrupt
// record (a byte flipped after the handshake) is a client error for
// http_server.lua in HTTPS mode: one line in its log naming the ssl error,
// no "bug in this script" traceback, and the next client is served.
func TestHTTPSCorruptRecord(t *testing.T) {
	certs, err := testcerts.Make(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, "--var", "port=0", "--var", "cert="+certs["server_cert"], "--var", "key="+certs["server_key"], script("http_server.lua"))
	addr := "127.0.0.1:" + p.waitLine(`^listening on 127\.0\.0\.1:(\d+) \(HTTPS\)$`, 10*time.Second)[1]

	c := spoiledClient(t, addr, certs, "flip", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	p.waitLine(`^127\.0\.0\.1:\d+: \[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC\] decryption failed or bad record mac$`, 10*time.Second)
	buf := make([]byte, 100)
	if n, err := c.Read(buf); err == nil || !strings.Contains(err.Error(), "bad record MAC") {
		t.Errorf("the client read %q, %v; want the server's bad record MAC alert", buf[:n], err)
	}

	pool, err := loadPool(certs["ca"])
	if err != nil {
		t.Fatal(err)
	}
	good, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	good.SetDeadline(time.Now().Add(20 * time.Second))
	good.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
	n, _ := good.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200 OK") {
		t.Errorf("the next client got %q", buf[:n])
	}
	if s := p.Stderr(); s != "" {
		t.Errorf("stderr: %s", s)
	}
}

// TestTLSEchoCorruptRecord: tls_echo_server.lua drops a client whose
// record arrives corrupt (the client hears the bad record MAC alert) and
// serves the next client.
func TestTLSEchoCorruptRecord(t *testing.T) {
	addr, certs := startTLSEcho(t)
	c := spoiledClient(t, addr, certs, "flip", "hello")
	buf := make([]byte, 100)
	if n, err := c.Read(buf); err == nil || !strings.Contains(err.Error(), "bad record MAC") {
		t.Errorf("the client read %q, %v; want the server's bad record MAC alert", buf[:n], err)
	}
	pool, err := loadPool(certs["ca"])
	if err != nil {
		t.Fatal(err)
	}
	good, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	good.SetDeadline(time.Now().Add(20 * time.Second))
	good.Write([]byte("still here"))
	if n, err := io.ReadFull(good, buf[:10]); err != nil || string(buf[:n]) != "still here" {
		t.Fatalf("echo %q, %v", buf[:n], err)
	}
}

// spoilServerLua and spoilServerPy are one TLS server in both languages:
// it accepts one client, receives once and prints what the receive got or
// raised, in a form both print alike (Python's message loses its
// "(_ssl.c:NNN)", which names a line of CPython's source).
const spoilServerLua = `
local ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx:load_cert_chain(arg[1], arg[2])
local l = socket.socket()
l:bind({"127.0.0.1", 0})
l:listen(1)
print("port " .. l:getsockname().port)
local s = ctx:wrap_socket(l:accept(), {server_side = true})
local ok, got = pcall(s.recv, s, 100)
if ok then
  print("data [" .. got .. "]")
else
  print(got.class .. " " .. got.errno .. " " .. tostring(got.library) .. " " .. tostring(got.reason) .. " " .. got.message)
end
`

const spoilServerPy = `
import re, socket, ssl, sys
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
print("port", l.getsockname()[1], flush=True)
s = ctx.wrap_socket(l.accept()[0], server_side=True)
try:
    print("data [" + s.recv(100).decode() + "]")
except ssl.SSLError as e:
    print(type(e).__module__ + "." + type(e).__name__, e.errno, e.library, e.reason, re.sub(r" \(_ssl\.c:\d+\)$", "", str(e)))
`

// TestTLSSpoiledRecordAsPython runs the same TLS server under python3 and
// sockrun against a client that spoils its first record after the
// handshake, and checks they print the same: the error's class, errno,
// library, reason and message for a flipped byte, the end of the stream
// for a record cut short.
func TestTLSSpoiledRecordAsPython(t *testing.T) {
	python := testenv.Tool(t, "python3")
	certs, err := testcerts.Make(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run := func(how string, prog string, args ...string) string {
		p := startIn(t, "", nil, prog, append(args, certs["server_cert"], certs["server_key"])...)
		port := p.waitLine(`^port (\d+)$`, 10*time.Second)[1]
		spoiledClient(t, "127.0.0.1:"+port, certs, how, "hello")
		if code := p.wait(20 * time.Second); code != 0 {
			t.Fatalf("%s: exit %d: %s", prog, code, p.Stderr())
		}
		return strings.Join(p.Stdout()[1:], "\n")
	}
	for how, want := range map[string]string{
		"flip": "ssl.SSLError 1 SSL DECRYPTION_FAILED_OR_BAD_RECORD_MAC [SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed or bad record mac",
		"cut":  "data []",
	} {
		py := run(how, python, "-c", spoilServerPy)
		lua := run(how, sockrunBin, writeScript(t, spoilServerLua))
		if lua != py {
			t.Errorf("%s: sockrun printed\n%s\nPython printed\n%s", how, lua, py)
		}
		if py != want {
			t.Errorf("%s: Python printed %q, not what this test expects of it (%q)", how, py, want)
		}
	}
}
