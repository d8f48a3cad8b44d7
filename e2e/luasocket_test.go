package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// The proofs of the LuaSocket face (issue #11): LuaSocket's own Lua
// modules and libraries built on them, as Debian packages them, run on
// sockrun unmodified against the project's servers and real ones, and
// LuaSocket's own client/server test pair passes.

// debianLua is where Debian's lua-socket and lua-redis install their Lua
// modules.
const debianLua = "/usr/share/lua/5.1"

func luaPath() string { return debianLua + "/?.lua;" + debianLua + "/?/init.lua" }

func client(name string) string {
	return filepath.Join(repoRoot, "e2e", "testdata", "luasocket", name)
}

// TestLuaSocketHTTP fetches from http_server.lua with LuaSocket's
// socket.http: a GET, a POST with a body, and a redirect.
func TestLuaSocketHTTP(t *testing.T) {
	testenv.File(t, debianLua+"/socket/http.lua", "lua-socket")
	srv := start(t, "--var", "port=0", script("http_server.lua"))
	url := "http://" + srv.waitLine(`listening on (\S+)`, 10*time.Second)[1]
	redirect := httptest.NewServer(http.RedirectHandler(url+"/", http.StatusFound))
	defer redirect.Close()
	c := start(t, "--var", "lua_path="+luaPath(), "--var", "url="+url, "--var", "redirect="+redirect.URL+"/old", client("http_client.lua"))
	c.waitLine(`^GET\t200\t\d+\ttext/plain`, 20*time.Second)
	c.waitLine(`^POST\t200\thello from luasocket$`, 20*time.Second)
	c.waitLine(`^REDIRECT\t200\t\d+$`, 20*time.Second)
	if code := c.wait(20 * time.Second); code != 0 {
		t.Fatalf("client exit %d: %s", code, c.Stderr())
	}
}

// TestLuaSocketSMTP sends a message with LuaSocket's socket.smtp to
// smtp_sink.lua, which prints it with the dot-stuffing undone.
func TestLuaSocketSMTP(t *testing.T) {
	testenv.File(t, debianLua+"/socket/smtp.lua", "lua-socket")
	sink := start(t, "--var", "port=0", script("smtp_sink.lua"))
	port := sink.waitLine(`listening on \S+:(\d+)`, 10*time.Second)[1]
	c := start(t, "--var", "lua_path="+luaPath(), "--var", "port="+port, client("smtp_client.lua"))
	c.waitLine(`^SENT\t1\tnil$`, 20*time.Second)
	c.waitLine(`^B64\taGk=$`, 5*time.Second)
	sink.waitLine(`^message from <alice@example.org> to <bob@example.org>:$`, 10*time.Second)
	sink.waitLine(`(?i)^  subject: hello from luasocket$`, 10*time.Second)
	sink.waitLine(`^  \.a line that starts with a dot$`, 10*time.Second)
	sink.waitLine(`^end of message$`, 10*time.Second)
	if code := c.wait(20 * time.Second); code != 0 {
		t.Fatalf("client exit %d: %s", code, c.Stderr())
	}
}

// TestLuaSocketRedis runs redis-lua (SET, GET, INCR, a pipeline) against
// Debian's redis-server and against resp_server.lua.
func TestLuaSocketRedis(t *testing.T) {
	testenv.File(t, debianLua+"/redis.lua", "lua-redis")
	run := func(t *testing.T, port string) {
		c := start(t, "--var", "lua_path="+luaPath(), "--var", "port="+port, client("redis_client.lua"))
		c.waitLine(`^PING\ttrue$`, 20*time.Second)
		c.waitLine(`^GET\tvalue$`, 20*time.Second)
		c.waitLine(`^INCR\t1\t2$`, 20*time.Second)
		c.waitLine(`^PIPELINE\t3\t42$`, 20*time.Second)
		if code := c.wait(20 * time.Second); code != 0 {
			t.Fatalf("client exit %d: %s", code, c.Stderr())
		}
	}
	t.Run("resp_server.lua", func(t *testing.T) {
		srv := start(t, "--var", "port=0", script("resp_server.lua"))
		run(t, srv.waitLine(`listening on \S+:(\d+)`, 10*time.Second)[1])
	})
	t.Run("redis-server", func(t *testing.T) {
		testenv.File(t, "/usr/bin/redis-server", "redis-server")
		port := strconv.Itoa(heldPort(t)) // redis-server binds with SO_REUSEADDR; --port 0 would not listen at all
		srv := startIn(t, t.TempDir(), nil, "/usr/bin/redis-server", "--port", port, "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no")
		srv.waitLine(`Ready to accept connections`, 20*time.Second)
		run(t, port)
	})
}

// TestLuaSocketTestPair runs LuaSocket's own test/testsrvr.lua and
// test/testclnt.lua, unmodified, from the directory LUASOCKET_TEST_DIR
// (.ci/run extracts them from Debian's source package), with the debug
// behaviour they need. They use 127.0.0.1:8383 ("localhost") and expect
// connects to 10.0.0.1:81 to fail, so they run only in a network namespace
// of their own (only loopback), never on the machine's network. testclnt.lua reports a
// failure as "ERROR: ..." (and exits 0) or an assertion.
func TestLuaSocketTestPair(t *testing.T) {
	dir := testenv.Getenv(t, "LUASOCKET_TEST_DIR", "the directory of LuaSocket's testsrvr.lua and testclnt.lua, which .ci/run extracts")
	testenv.File(t, filepath.Join(dir, "testclnt.lua"), "LuaSocket's test/testclnt.lua")
	work := t.TempDir()
	sh := `set -e
ip link set lo up 2>/dev/null || true
"$SOCKRUN" "$DIR/testsrvr.lua" > srv.out 2> srv.err &
until grep -q "waiting for client" srv.out; do
  kill -0 $! 2>/dev/null || { cat srv.err; exit 3; }
  sleep 0.05
done
"$SOCKRUN" "$DIR/testclnt.lua"
wait
`
	// Only in a namespace of its own: the pair's connect-timeout check
	// connects to 10.0.0.1, which must never leave this machine.
	if err := exec.Command("unshare", "-n", "true").Run(); err != nil {
		testenv.Missing(t, "no network namespace (unshare -n: %v): LuaSocket's test pair connects to 10.0.0.1, and runs only where that cannot leave the machine", err)
	}
	cmd := exec.Command("unshare", "-n", "sh", "-c", sh)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "SOCKRUN="+sockrunBin, "DIR="+dir, "SOCKRUN_LUASOCKET_DEBUG=1")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the test pair did not finish in 5 minutes:\n%s", out)
	}
	text := string(out)
	if err != nil || strings.Contains(text, "ERROR:") || !strings.Contains(text, "testing: done in") {
		t.Fatalf("LuaSocket's test pair failed (%v):\n%s", err, text)
	}
	t.Logf("%d checks passed, %d warnings", strings.Count(text, "ok\n")+strings.Count(text, "match\n")+
		strings.Count(text, "proper timeout\n"), strings.Count(text, "WARNING"))
}

// luasocketNames prints the names of LuaSocket's objects in each state
// (tostring without the address, and the class field).
const luasocketNames = `
local socket = require "socket"
local unix = require "socket.unix"
local function name(o) return (tostring(o):gsub(": 0x%x+$", "")) end
print(name(socket.tcp()), name(socket.udp()), name(unix.stream()), name(unix.dgram()), name(unix()))
local path = arg[1]
local s = unix.stream(); assert(s:bind(path)); assert(s:listen(1)); print(name(s), s.class)
local c = unix.stream(); assert(c:connect(path)); print(name(c), c.class)
local a = s:accept(); print(name(a), a.class)
os.remove(path)
`

// TestLuaSocketObjectNames: sockrun's LuaSocket objects are named as
// Debian's lua-socket on lua5.1 names them (unix stream objects are
// unixstream{...}, as LuaSocket 3 has them).
func TestLuaSocketObjectNames(t *testing.T) {
	lua := testenv.Tool(t, "lua5.1")
	testenv.File(t, debianLua+"/socket/http.lua", "lua-socket")
	src := writeScript(t, luasocketNames)
	dir := t.TempDir()
	ref := startIn(t, "", nil, lua, src, filepath.Join(dir, "ref.sock"))
	if code := ref.wait(20 * time.Second); code != 0 {
		t.Fatalf("lua5.1 exit %d: %s", code, ref.Stderr())
	}
	want := strings.Join(ref.Stdout(), "\n")
	got, stderr, code := runSockrun(t, "", src, filepath.Join(dir, "s.sock"))
	if code != 0 {
		t.Fatalf("sockrun exit %d: %s", code, stderr)
	}
	if got != want {
		t.Errorf("sockrun printed\n%s\nlua5.1 with LuaSocket printed\n%s", got, want)
	}
	if !strings.Contains(want, "unixstream{client}") {
		t.Errorf("lua5.1 printed %q, not what this test expects of it", want)
	}
}

// TestLuaSocketSendResume: the send resume loop Copas uses delivers every
// byte once, and a send to a closed peer reports a partial index that is
// never negative; sockrun prints what lua5.1 with Debian's LuaSocket
// prints for the same script. (Before, sockrun's partial index on
// "timeout" was one too low: 8,000,001 bytes arrived for 8,000,000 sent.)
func TestLuaSocketSendResume(t *testing.T) {
	lua := testenv.Tool(t, "lua5.1")
	testenv.File(t, debianLua+"/socket/http.lua", "lua-socket")
	src := filepath.Join(repoRoot, "e2e", "testdata", "luasocket", "send_resume.lua")
	ref := startIn(t, "", nil, lua, src)
	if code := ref.wait(60 * time.Second); code != 0 {
		t.Fatalf("lua5.1 exit %d: %s", code, ref.Stderr())
	}
	want := strings.Join(ref.Stdout(), "\n")
	got, stderr, code := runSockrun(t, "", src)
	if code != 0 {
		t.Fatalf("sockrun exit %d: %s", code, stderr)
	}
	if got != want {
		t.Errorf("sockrun printed\n%s\nlua5.1 with LuaSocket printed\n%s", got, want)
	}
	if !strings.Contains(want, "bytes\t8000000\tsame\ttrue\ttimeouts seen\ttrue") {
		t.Errorf("lua5.1 printed %q, not what this test expects of it", want)
	}
}
