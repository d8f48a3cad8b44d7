package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
	"github.com/sockrun/sockrun/luaapi/testcerts"
)

// TestHTTPSGet fetches from each HTTP server with https_get.lua, over HTTP
// and over HTTPS (the server with the test's certificate), and checks what
// the client says when it cannot verify the server.
func TestHTTPSGet(t *testing.T) { forHTTPScripts(t, testHTTPSGet) }

func testHTTPSGet(t *testing.T, name string) {
	certs, err := testcerts.Make(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plain := start(t, "--var", "port=0", script(name))
	plainPort := plain.waitLine(`^listening on 127\.0\.0\.1:(\d+)$`, 10*time.Second)[1]
	secure := start(t, "--var", "port=0", "--var", "cert="+certs["server_cert"], "--var", "key="+certs["server_key"], script(name))
	tlsPort := secure.waitLine(`^listening on 127\.0\.0\.1:(\d+) \(HTTPS\)$`, 10*time.Second)[1]
	old := start(t, "--var", "port=0", "--var", "cert="+certs["expired_cert"], "--var", "key="+certs["expired_key"], script(name))
	expired := old.waitLine(`^listening on 127\.0\.0\.1:(\d+) \(HTTPS\)$`, 10*time.Second)[1]

	get := func(args ...string) (string, string, int) {
		t.Helper()
		return runSockrun(t, "", append(args, script("https_get.lua"))...)
	}
	out, stderr, code := get("--var", "url=http://127.0.0.1:"+plainPort+"/")
	if code != 0 || out != "Hello from sockrun!" || !strings.HasPrefix(stderr, "HTTP/1.1 200 OK") {
		t.Errorf("http: exit %d, stdout %q, stderr:\n%s", code, out, stderr)
	}
	out, stderr, code = get("--var", "url=https://localhost:"+tlsPort+"/json", "--var", "cafile="+certs["ca"])
	if code != 0 || !strings.Contains(out, `"path":"/json"`) || !strings.Contains(stderr, "certificate for localhost") {
		t.Errorf("https: exit %d, stdout %q, stderr:\n%s", code, out, stderr)
	}
	_, stderr, code = get("--var", "url=https://localhost:"+tlsPort+"/")
	if code != 1 || !strings.Contains(stderr, "https_get: cannot verify localhost: ssl.SSLCertVerificationError") ||
		!strings.Contains(stderr, "unable to get local issuer certificate") {
		t.Errorf("an unknown CA: exit %d, stderr:\n%s", code, stderr)
	}
	_, stderr, code = get("--var", "url=https://localhost:"+expired+"/", "--var", "cafile="+certs["ca"])
	if code != 1 || !strings.Contains(stderr, "certificate has expired") {
		t.Errorf("an expired certificate: exit %d, stderr:\n%s", code, stderr)
	}
	_, stderr, code = get("--var", "url=http://127.0.0.1:"+plainPort+"/missing")
	if code != 1 || !strings.HasPrefix(stderr, "HTTP/1.1 404 Not Found") {
		t.Errorf("a 404: exit %d, stderr:\n%s", code, stderr)
	}
	_, stderr, code = get("--var", "url=ftp://x/")
	if code != 2 || !strings.Contains(stderr, "only http:// and https://") {
		t.Errorf("ftp: exit %d, stderr:\n%s", code, stderr)
	}
	// curl agrees with the HTTPS server.
	curl := testenv.Tool(t, "curl")
	p := startIn(t, "", nil, curl, "-s", "--cacert", certs["ca"], "https://localhost:"+tlsPort+"/")
	if code := p.wait(20 * time.Second); code != 0 || strings.Join(p.Stdout(), "\n") != "Hello from sockrun!" {
		t.Errorf("curl over HTTPS: exit %d, %q %s", code, p.Stdout(), p.Stderr())
	}
}
