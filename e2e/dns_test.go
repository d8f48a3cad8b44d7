package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// startDNS runs scripts/dns_server.lua with the zone text (the script's
// example zone if "") and returns its port.
func startDNS(t *testing.T, zone string) string {
	t.Helper()
	args := []string{"--var", "port=0"}
	if zone != "" {
		path := filepath.Join(t.TempDir(), "test.zone")
		if err := os.WriteFile(path, []byte(zone), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--var", "zone="+path)
	}
	p := start(t, append(args, script("dns_server.lua"))...)
	return p.waitLine(`^serving DNS on 127\.0\.0\.1:(\d+)$`, 10*time.Second)[1]
}

// dig runs dig against the server and returns its output.
func dig(t *testing.T, port string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testenv.Tool(t, "dig"), append([]string{"@127.0.0.1", "-p", port, "+time=5", "+tries=1"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dig %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestDNSWithDig(t *testing.T) {
	port := startDNS(t, `
; a comment
www.test.example.   A     127.0.0.2
www.test.example.   A     127.0.0.3
www.test.example.   AAAA  ::1
test.example.       TXT   "v=spf1 -all"
long.test.example.  TXT   "`+strings.Repeat("x", 300)+`"
alias.test.example. CNAME www.test.example.   # points at www
dotted\.alias.test.example. CNAME www.test.example.  ; one label with a dot
odd\032name.test.example. A 127.0.0.9
`)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"www.test.example", "A", "+short"}, "127.0.0.2\n127.0.0.3\n"},
		{[]string{"WWW.Test.Example", "AAAA", "+short"}, "::1\n"},
		{[]string{"test.example", "TXT", "+short"}, "\"v=spf1 -all\"\n"},
		{[]string{"alias.test.example", "A", "+short"}, "www.test.example.\n127.0.0.2\n127.0.0.3\n"},
		{[]string{"alias.test.example", "CNAME", "+short"}, "www.test.example.\n"},
		{[]string{`dotted\.alias.test.example`, "A", "+short"}, "www.test.example.\n127.0.0.2\n127.0.0.3\n"},
		{[]string{`odd\032name.test.example`, "A", "+short"}, "127.0.0.9\n"},
		{[]string{"long.test.example", "TXT", "+short"}, "\"" + strings.Repeat("x", 255) + "\" \"" + strings.Repeat("x", 45) + "\"\n"},
	}
	for _, c := range cases {
		if got := dig(t, port, c.args...); got != c.want {
			t.Errorf("dig %v:\n%s\nwant:\n%s", c.args, got, c.want)
		}
	}
	full := dig(t, port, "nothing.test.example", "A")
	if !strings.Contains(full, "status: NXDOMAIN") || !strings.Contains(full, "flags: qr aa rd") {
		t.Errorf("a name not in the zone:\n%s", full)
	}
	// A dot inside a label is not a dot between labels: "www\.test" is
	// one label, and no name of the zone.
	dotted := dig(t, port, `www\.test.example`, "A")
	if !strings.Contains(dotted, "status: NXDOMAIN") || strings.Contains(dotted, "WARNING: Message has") {
		t.Errorf("a label with a dot:\n%s", dotted)
	}
	nodata := dig(t, port, "test.example", "AAAA")
	if !strings.Contains(nodata, "status: NOERROR") || !strings.Contains(nodata, "ANSWER: 0") {
		t.Errorf("a name without records of the type:\n%s", nodata)
	}
	// The answer's names point into the question and into each other:
	// 12 (header) + 24 (question) + 18 (CNAME: a pointer, 10, "www" and a
	// pointer) + 2 * 16 (A: a pointer, 10, 4) = 86 bytes.
	plain := dig(t, port, "alias.test.example", "A", "+noedns")
	if !strings.Contains(plain, "ANSWER: 3") || !strings.Contains(plain, "MSG SIZE  rcvd: 86") {
		t.Errorf("compressed answer:\n%s", plain)
	}
}

// TestDNSSurvivesGarbage sends malformed datagrams: each is answered
// FORMERR when it has an id, or dropped, and dig is answered after them.
func TestDNSSurvivesGarbage(t *testing.T) {
	port := startDNS(t, "")
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	header := func(id, flags, qd uint16) []byte {
		return []byte{byte(id >> 8), byte(id), byte(flags >> 8), byte(flags), byte(qd >> 8), byte(qd), 0, 0, 0, 0, 0, 0}
	}
	expectRcode := func(what string, msg []byte, rcode byte) {
		t.Helper()
		c.Write(msg)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 600)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("%s: no answer: %v", what, err)
		}
		if n < 12 || buf[0] != msg[0] || buf[1] != msg[1] || buf[2]&0x80 == 0 || buf[3]&0x0f != rcode {
			t.Fatalf("%s: answer % x, want rcode %d", what, buf[:n], rcode)
		}
	}
	c.Write([]byte("hi"))         // no header: dropped
	c.Write(header(1, 0x8000, 1)) // a response, not a query: dropped
	expectRcode("truncated question", header(2, 0x0100, 1), 1)
	expectRcode("label past the end", append(header(3, 0x0100, 1), 40, 'a', 'b'), 1)
	expectRcode("pointer loop", append(header(4, 0x0100, 1), 0xC0, 12, 0, 1, 0, 1), 1)
	expectRcode("two questions", header(5, 0x0100, 2), 1)
	expectRcode("an opcode it does not do", header(6, 0x2800, 1), 4)
	expectRcode("bad label length", append(header(7, 0x0100, 1), 0x50, 0, 0, 1, 0, 1), 1)
	if got := dig(t, port, "www.example.test", "+short"); got != "127.0.0.1\n" {
		t.Fatalf("after the garbage: %q", got)
	}
}
