package luaapi_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/runner"
	"github.com/sockrun/sockrun/runner/host"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// luaTestConfigs set up the VM of a Lua test file that needs more than
// the default configuration, by the file's name.
var luaTestConfigs = map[string]func(t *testing.T, cfg *luaapi.Config){
	"systemd_test.lua": systemdTestConfig,
}

// systemdTestConfig hands the VM what a service manager would: two
// listening sockets (TCP on 127.0.0.1, a unix stream socket), named "web"
// and "admin", and a notify socket's path, where the Lua test binds a
// datagram socket to read what sockrun sends. vars say where they are:
// tcp_port, unix_path, notify_path.
func systemdTestConfig(t *testing.T, cfg *luaapi.Config) {
	dir, err := os.MkdirTemp("", "srsd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	tcp := listenFD(t, unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	sa, err := unix.Getsockname(tcp)
	if err != nil {
		t.Fatal(err)
	}
	unixPath := filepath.Join(dir, "admin.sock")
	ux := listenFD(t, unix.AF_UNIX, &unix.SockaddrUnix{Name: unixPath})
	cfg.ListenFDs = []luaapi.ListenFD{{FD: tcp, Name: "web"}, {FD: ux, Name: "admin"}}
	notifyPath := filepath.Join(dir, "notify.sock")
	cfg.Notifier = host.NewNotifier(notifyPath, nil)
	cfg.Vars["tcp_port"] = strconv.Itoa(sa.(*unix.SockaddrInet4).Port)
	cfg.Vars["unix_path"] = unixPath
	cfg.Vars["notify_path"] = notifyPath
}

// listenFD is a listening stream socket of family bound to sa, as a
// descriptor (a service manager's).
func listenFD(t *testing.T, family int, sa unix.Sockaddr) int {
	t.Helper()
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		t.Fatal(err)
	}
	return fd
}

// TestListenFDsUntakenClosed: the inherited sockets a script never takes
// are closed when its run ends, so that the kernel stops queueing
// connections nobody will accept.
func TestListenFDsUntakenClosed(t *testing.T) {
	cfg := luaapi.Config{Vars: map[string]string{}, Args: []string{"-"}, Version: runner.Version}
	systemdTestConfig(t, &cfg)
	addr := net.JoinHostPort("127.0.0.1", cfg.Vars["tcp_port"])
	ctx, cancel := context.WithTimeout(context.Background(), luaTestTimeout)
	defer cancel()
	env := &runner.Env{Stdin: &testStdin{r: strings.NewReader("")}, Stdout: &lockedWriter{}, Stderr: &lockedWriter{}, Dir: "."}
	vm := runner.Embed(ctx, env, cfg, "-")
	if err := vm.Run(func(L *lua.LState) {}); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("the inherited socket does not take connections while the run lasts: %v", err)
	}
	c.Close()
	vm.Close()
	cancel()
	deadline := time.Now().Add(luaTestTimeout)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil && !errors.Is(err, syscall.ECONNRESET) { // reset: the backlog's, as it closes
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("dial after the run: %v, want ECONNREFUSED", err)
			}
			return
		}
		if c != nil {
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("the inherited socket the script never took still takes connections after its run")
		}
		runtime.Gosched()
	}
}
