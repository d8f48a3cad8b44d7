package e2e

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
	"github.com/sockrun/sockrun/luaapi/testcerts"
)

// startTLSEcho runs scripts/tls_echo_server.lua with a certificate made
// for the test, and returns its address and the certificates' paths.
func startTLSEcho(t *testing.T) (string, map[string]string) {
	t.Helper()
	certs, err := testcerts.Make(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, "--var", "port=0", "--var", "cert="+certs["server_cert"],
		"--var", "key="+certs["server_key"], script("tls_echo_server.lua"))
	return p.waitLine(`^listening on (\S+) \(TLS\)$`, 10*time.Second)[1], certs
}

// TestTLSEchoWithOpenSSL talks to tls_echo_server.lua with openssl
// s_client, verifying the server against the test's CA.
func TestTLSEchoWithOpenSSL(t *testing.T) {
	openssl := testenv.Tool(t, "openssl")
	addr, certs := startTLSEcho(t)
	cmd := exec.Command(openssl, "s_client", "-connect", addr, "-CAfile", certs["ca"],
		"-verify_return_error", "-servername", "localhost", "-quiet", "-no_ign_eof")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		got <- line
	}()
	stdin.Write([]byte("hello through openssl\n"))
	select {
	case line := <-got:
		if line != "hello through openssl\n" {
			t.Fatalf("echo: %q; openssl said: %s", line, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no echo; openssl said: %s", stderr.String())
	}
	stdin.Close() // with -no_ign_eof, s_client closes the connection and exits
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("openssl s_client did not exit after the end of its input")
	}
	if !strings.Contains(stderr.String(), "verify return:1") {
		t.Errorf("openssl did not verify the server: %s", stderr.String())
	}
}

// TestTLSEchoSurvivesBadClients sends the server a client that speaks no
// TLS, one that resets mid-handshake and one that stalls, then checks a
// TLS client is still served.
func TestTLSEchoSurvivesBadClients(t *testing.T) {
	addr, certs := startTLSEcho(t)
	// Plain text instead of a ClientHello.
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 100)
		c.Read(buf)
		c.Close()
	}
	// A reset in the middle of the handshake.
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Write([]byte{0x16, 0x03, 0x01, 0x00, 0x50})
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	}
	// One that connects and says nothing, left open while the next is served.
	stall, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stall.Close()

	pool, err := loadPool(certs["ca"])
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("a good client after bad ones: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("still here"))
	buf := make([]byte, 10)
	if _, err := c.Read(buf); err != nil || string(buf) != "still here" {
		t.Fatalf("echo %q, %v", buf, err)
	}
}

// loadPool is a pool of the CA certificates in the PEM file path.
func loadPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", path)
	}
	return pool, nil
}
