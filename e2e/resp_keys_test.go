package e2e

import (
	"bufio"
	"net"

	"github.com/sockrun/sockrun/internal/testenv"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// keysGlobs are KEYS patterns with the edge cases of Redis' glob: ranges
// either way round, negation, escapes, empty and unclosed classes, stars
// next to each other and at both ends.
var keysGlobs = []string{
	"*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo",
	"h[a-]llo", `h\[llo`, `a\*b`, "a*b", "*a*b", "**", "*o", "h*", "?",
	"[]", "[^]", "f*.*", "*.*", "[0-9]*", "*[0-9]", "user:*:name",
	"*a*a*a*a*a*a*a*b", "*a*a*a*a*a*a*a*", "h*l*o*", "", "x*", "[h]*",
	`\h*`, "h[l-l]*", "*[^a-z]*", "[", "[^", "h[a", `h[\]`, `h[\`, "*[a-]",
	"[a-c-e]*", "h[^a-d]llo", `a\`, "[-]", "[--z]*", "*[]]*", "h[]]llo",
}

// keysData are the keys both servers hold.
var keysData = []string{
	"hello", "hallo", "hxllo", "hllo", "heeeello", "h[llo", `h\llo`,
	"a*b", "ab", "axxb", "foo.bar", "foo", "9lives", "lives9",
	"user:1:name", "user:22:name", "user::name", "h", "a", "-",
	strings.Repeat("a", 3000), strings.Repeat("ab", 1500),
}

// keysOf sends KEYS glob over c and returns the keys, sorted.
func keysOf(t *testing.T, c net.Conn, r *bufio.Reader, glob string) string {
	t.Helper()
	if _, err := c.Write([]byte(respCommand("KEYS", glob))); err != nil {
		t.Fatal(err)
	}
	got, err := readReply(r)
	if err != nil {
		t.Fatalf("KEYS %q: %v", glob, err)
	}
	got = strings.TrimSuffix(strings.TrimPrefix(got, "["), "]")
	var keys []string
	if got != "" {
		keys = strings.Split(got, ", ")
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

// TestRESPKeysAsRedis: KEYS answers as Debian's redis-server does for the
// same keys, glob by glob, and a glob that would make a backtracking
// matcher run for minutes on a 3,000-character key is answered at once:
// another client's PING gets its PONG right after.
func TestRESPKeysAsRedis(t *testing.T) {
	testenv.File(t, "/usr/bin/redis-server", "redis-server")
	dir := t.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	redis := startIn(t, dir, nil, "/usr/bin/redis-server", "--port", "0", "--unixsocket", sock,
		"--save", "", "--appendonly", "no")
	redis.waitLine(`ready to accept connections`, 20*time.Second)
	rc, err := net.DialTimeout("unix", sock, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rc.SetDeadline(time.Now().Add(60 * time.Second))
	rr := bufio.NewReader(rc)

	srv := start(t, "--var", "port=0", script("resp_server.lua"))
	port := srv.waitLine(`listening on \S+:(\d+)`, 10*time.Second)[1]
	ours := dialRESP(t, port)

	for _, k := range keysData {
		set := respCommand("SET", k, "v")
		ours.send(set)
		ours.expect("+OK")
		rc.Write([]byte(set))
		if got, err := readReply(rr); err != nil || got != "+OK" {
			t.Fatalf("redis SET: %s %v", got, err)
		}
	}
	for _, glob := range keysGlobs {
		want := keysOf(t, rc, rr, glob)
		got := keysOf(t, ours.c, ours.r, glob)
		if got != want {
			t.Errorf("KEYS %q:\n got %.200s\nwant %.200s", glob, got, want)
		}
	}

	// The worst glob for a backtracking matcher, and a second client
	// answered after it.
	ours.send(respCommand("KEYS", "*a*a*a*a*a*a*a*a*a*a*a*a*c"))
	other := dialRESP(t, port)
	other.send(respCommand("PING"))
	other.expect("+PONG")
	ours.expect("[]")
}
