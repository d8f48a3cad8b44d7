package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sockrun/sockrun/internal/testenv"
)

// notifySocket is a unix datagram socket the test binds where sockrun's
// sd_notify sends (NOTIFY_SOCKET): what systemd reads. name is an
// abstract socket's "@name" or a path.
type notifySocket struct {
	t    *testing.T
	name string
	fd   int
}

// newNotifySocket binds an abstract notify socket of a name of its own.
func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	name := fmt.Sprintf("@sockrun-e2e-%d-%s-%d", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: name}); err != nil {
		t.Fatal(err)
	}
	return &notifySocket{t: t, name: name, fd: fd}
}

// next waits up to timeout for the next state sent.
func (n *notifySocket) next(timeout time.Duration) string {
	n.t.Helper()
	tv := unix.NsecToTimeval(int64(timeout))
	unix.SetsockoptTimeval(n.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	b := make([]byte, 4096)
	k, _, err := unix.Recvfrom(n.fd, b, 0)
	if err != nil {
		n.t.Fatalf("no state on NOTIFY_SOCKET within %v: %v", timeout, err)
	}
	return string(b[:k])
}

// waitFor waits for state among the next ones sent, and returns those
// sent before it.
func (n *notifySocket) waitFor(state string, timeout time.Duration) []string {
	n.t.Helper()
	var before []string
	for {
		s := n.next(timeout)
		if s == state {
			return before
		}
		before = append(before, s)
	}
}

// TestSystemdSocketActivate runs threaded_echo_server.lua the way systemd
// runs a socket-activated service, with Debian's systemd-socket-activate:
// it listens on a unix socket in a temporary directory, starts sockrun at
// the first connection with the socket as descriptor 3 (LISTEN_FDS), and
// sockrun tells NOTIFY_SOCKET READY=1 once the script accepts and
// STOPPING=1 at SIGTERM, after which the script drains and ends with 0.
func TestSystemdSocketActivate(t *testing.T) {
	activate := testenv.Tool(t, "systemd-socket-activate") // Debian's systemd
	dir, err := os.MkdirTemp("", "srsa")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "echo.sock")
	ns := newNotifySocket(t)
	p := startIn(t, "", nil, activate, "-l", path, "--fdname=echo", "-E", "NOTIFY_SOCKET="+ns.name,
		sockrunBin, "--log-format", "json", "--var", "drain=20", script("threaded_echo_server.lua"))
	// The manager listens before it starts anything: wait for its socket.
	deadline := time.Now().Add(30 * time.Second)
	var conn net.Conn
	for {
		if conn, err = net.Dial("unix", path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("systemd-socket-activate never listened on %s: %v\nstderr:\n%s", path, err, p.Stderr())
		}
		time.Sleep(20 * time.Millisecond) // polling for the socket file: nothing to wait on
	}
	defer conn.Close()
	// The connection started sockrun; it serves it once the script accepts.
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte("over the inherited socket\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "over the inherited socket\n" {
		t.Fatalf("echo: %q, %v", line, err)
	}
	if before := ns.waitFor("READY=1", 30*time.Second); len(before) > 0 {
		t.Errorf("states before READY=1: %q", before)
	}
	p.waitLine(`^listening on `+regexpQuote(path)+`$`, 30*time.Second)
	// A second client, with the first still connected.
	c2, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c2.SetDeadline(time.Now().Add(30 * time.Second))
	c2.Write([]byte("second\n"))
	if line, err := bufio.NewReader(c2).ReadString('\n'); err != nil || line != "second\n" {
		t.Fatalf("second client: %q, %v", line, err)
	}
	c2.Close()

	// SIGTERM: the script stops accepting and drains; the client it has
	// is still served until it leaves.
	p.signal(syscall.SIGTERM)
	if s := ns.next(30 * time.Second); s != "STOPPING=1" {
		t.Errorf("after SIGTERM the manager heard %q, want STOPPING=1", s)
	}
	p.waitLine(`^draining \d connections$`, 30*time.Second)
	if _, err := conn.Write([]byte("while draining\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	if line, err := r.ReadString('\n'); err != nil || line != "while draining\n" {
		t.Fatalf("an open connection while draining: %q, %v", line, err)
	}
	conn.Close()
	p.waitLine(`^drained$`, 30*time.Second)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Errorf("exit code %d, want 0 (the script drained and ended)", code)
	}
	// Its own messages were JSON lines; systemd-socket-activate's are not.
	kinds := jsonKinds(t, p.Stderr())
	if kinds["start"] != 1 || kinds["stop"] != 1 {
		t.Errorf("JSON messages by kind %v: want one start and one stop", kinds)
	}
	if !strings.Contains(p.Stderr(), `"cause":"signal","exit_code":0`) {
		t.Errorf("the stop message does not say the signal and the code:\n%s", p.Stderr())
	}
}

// jsonKinds counts the JSON lines of stderr by kind (lines that are not
// JSON, another program's, are skipped); a line that starts with "{" and
// does not parse fails the test.
func jsonKinds(t *testing.T, stderr string) map[string]int {
	t.Helper()
	kinds := map[string]int{}
	for line := range strings.SplitSeq(stderr, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("not JSON: %q: %v", line, err)
			continue
		}
		kinds[fmt.Sprint(m["kind"])]++
	}
	return kinds
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// startActivated starts sockrun on script as a service manager would with
// socket activation: ln as descriptor 3, LISTEN_PID the process's own
// (a shell sets it, then execs sockrun in its place), NOTIFY_SOCKET ns.
func startActivated(t *testing.T, ln *os.File, ns *notifySocket, args ...string) *proc {
	t.Helper()
	cmd := exec.Command("sh", append([]string{"-c", `LISTEN_PID=$$ exec "$0" "$@"`, sockrunBin}, args...)...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1", "LISTEN_FDNAMES=echo", "NOTIFY_SOCKET="+ns.name)
	cmd.ExtraFiles = []*os.File{ln}
	return startCmd(t, cmd)
}

// managerListener is the listening socket a service manager holds: TCP
// on 127.0.0.1, a port the kernel picks. It is made blocking and wrapped
// by os.NewFile so that handing it to a child (exec's ExtraFiles, which
// calls Fd) never switches its mode: the mode belongs to the one file
// description every server shares, and Fd on a non-blocking file makes
// it blocking under the feet of the server already running.
func managerListener(t *testing.T) (*os.File, string) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), "listener"), fmt.Sprintf("127.0.0.1:%d", sa.(*unix.SockaddrInet4).Port)
}

// TestRestartDropsNothing is deploy.md's restart recipe: the listening
// socket belongs to the manager (here, the test), which hands it to the
// old sockrun and then to a new one; once the new one says READY=1 the
// old gets SIGTERM, closes its descriptor of the socket and drains its
// open connections. Clients connect all along, short connections and
// long ones that span the switch: none is refused or reset, and every
// request gets its answer.
func TestRestartDropsNothing(t *testing.T) {
	lf, addr := managerListener(t)
	defer lf.Close()
	nsOld, nsNew := newNotifySocket(t), newNotifySocket(t)
	old := startActivated(t, lf, nsOld, "--var", "drain=30", script("threaded_echo_server.lua"))
	nsOld.waitFor("READY=1", 30*time.Second)

	var served, failed atomic.Int64
	var errMu sync.Mutex
	var errs []string
	fail := func(format string, args ...any) {
		failed.Add(1)
		errMu.Lock()
		if len(errs) < 10 {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
		errMu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// request sends one line on c and checks the echo.
	request := func(c net.Conn, r *bufio.Reader, msg string) bool {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Write([]byte(msg)); err != nil {
			fail("write %q: %v", msg, err)
			return false
		}
		line, err := r.ReadString('\n')
		if err != nil || line != msg {
			fail("request %q: answer %q, %v", msg, line, err)
			return false
		}
		served.Add(1)
		return true
	}
	// Short connections: connect, one request, close; over and over.
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.Dial("tcp", addr)
				if err != nil {
					fail("dial: %v", err)
					return
				}
				request(c, bufio.NewReader(c), fmt.Sprintf("short %d %d\n", i, n))
				c.Close()
			}
		}()
	}
	// Long connections: open before the switch, requests until stop.
	for i := range 4 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			r := bufio.NewReader(c)
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if !request(c, r, fmt.Sprintf("long %d %d\n", i, n)) {
					return
				}
			}
		}()
	}
	waitServed := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for target := served.Load() + n; served.Load() < target; {
			if failed.Load() > 0 || time.Now().After(deadline) {
				return
			}
			time.Sleep(5 * time.Millisecond) // a count to reach: nothing to wait on
		}
	}
	waitServed(200)

	// The new server on the same socket; when it is ready, stop the old.
	nw := startActivated(t, lf, nsNew, "--var", "drain=30", script("threaded_echo_server.lua"))
	nsNew.waitFor("READY=1", 30*time.Second)
	old.signal(syscall.SIGTERM)
	if s := nsOld.next(30 * time.Second); s != "STOPPING=1" {
		t.Errorf("the old server told the manager %q, want STOPPING=1", s)
	}
	old.waitLine(`^draining \d+ connections$`, 30*time.Second)
	waitServed(200)
	// The long connections were the old server's: they end, then it does.
	close(stop)
	wg.Wait()
	if code := old.wait(30 * time.Second); code != 0 {
		t.Errorf("old server: exit code %d, want 0", code)
	}
	// New clients after the old one is gone.
	for i := range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fail("dial after the switch: %v", err)
			break
		}
		request(c, bufio.NewReader(c), fmt.Sprintf("after %d\n", i))
		c.Close()
	}
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d requests failed across the restart (%d served); first: %q", n, served.Load(), errs)
	}
	t.Logf("%d requests served across the restart, none failed", served.Load())
	nw.signal(syscall.SIGTERM)
	if code := nw.wait(30 * time.Second); code != 0 {
		t.Errorf("new server: exit code %d, want 0", code)
	}
}
