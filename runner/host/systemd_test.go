package host

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// notifyListener is a unix datagram socket bound at addr (a path, or
// "@name" for an abstract one): what a service manager reads.
func notifyListener(t *testing.T, addr string) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: addr}); err != nil {
		t.Fatal(err)
	}
	tv := unix.NsecToTimeval(int64(10 * time.Second))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return fd
}

func recvState(t *testing.T, fd int) string {
	t.Helper()
	b := make([]byte, 512)
	n, _, err := unix.Recvfrom(fd, b, 0)
	if err != nil {
		t.Fatalf("reading the notify socket: %v", err)
	}
	return string(b[:n])
}

// TestNotifier: READY=1 and STOPPING=1 once each, whoever says them
// first; the script's own states as they are; a path and an abstract
// socket alike.
func TestNotifier(t *testing.T) {
	for _, addr := range []string{
		filepath.Join(t.TempDir(), "notify"),
		"@sockrun-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36),
	} {
		t.Run(addr[:1], func(t *testing.T) {
			fd := notifyListener(t, addr)
			n := NewNotifier(addr, nil)
			n.Ready()
			if got := recvState(t, fd); got != "READY=1" {
				t.Errorf("Ready sent %q", got)
			}
			n.Ready() // not again
			if err := n.Notify("STATUS=draining"); err != nil {
				t.Fatal(err)
			}
			if got := recvState(t, fd); got != "STATUS=draining" {
				t.Errorf("after a second Ready: %q, want the script's STATUS", got)
			}
			if err := n.Notify("STOPPING=1\nSTATUS=bye"); err != nil {
				t.Fatal(err)
			}
			recvState(t, fd)
			n.Stopping() // the script said it
			n.Notify("STATUS=last")
			if got := recvState(t, fd); got != "STATUS=last" {
				t.Errorf("Stopping after the script's STOPPING=1 sent %q", got)
			}
		})
	}
	var none *Notifier
	none.Ready() // nil: no manager, nothing happens
	none.Stopping()
	if NewNotifier("", nil) != nil {
		t.Error("a notifier without NOTIFY_SOCKET")
	}
}

// TestNotifierGone: a manager that went away is a warning once, never a
// stop of the run.
func TestNotifierGone(t *testing.T) {
	var warned []error
	n := NewNotifier(filepath.Join(t.TempDir(), "gone"), func(state string, err error) { warned = append(warned, err) })
	n.Ready()
	n.Stopping()
	if len(warned) != 2 || !errors.Is(warned[0], syscall.ENOENT) {
		t.Errorf("warnings %v, want ENOENT for READY=1 and STOPPING=1", warned)
	}
	if err := NewNotifier("relative", nil).Notify("READY=1"); err == nil {
		t.Error("NOTIFY_SOCKET=relative: no error")
	}
}

// TestTakeSystemd reads the variables as sd_listen_fds_with_names does.
func TestTakeSystemd(t *testing.T) {
	// TakeSystemd checks that the descriptors are open: 3 and 4 are the
	// Go runtime's own in a test process (its poller), open either way.
	for _, fd := range []int{3, 4} {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			t.Skipf("descriptor %d is not open in this test process", fd)
		}
	}
	pid := os.Getpid()
	p := strconv.Itoa(pid)
	sd := TakeSystemd([]string{"LISTEN_PID=" + p, "LISTEN_FDS=2", "LISTEN_FDNAMES=web:admin", "NOTIFY_SOCKET=@x"}, pid)
	if len(sd.Listen) != 2 || sd.Listen[0].FD != 3 || sd.Listen[1].Name != "admin" || sd.NotifySocket != "@x" || sd.Warning != "" {
		t.Errorf("got %+v", sd)
	}
	sd = TakeSystemd([]string{"LISTEN_PID=" + p, "LISTEN_FDS=2", "LISTEN_FDNAMES=web"}, pid)
	if len(sd.Listen) != 2 || sd.Listen[0].Name != "unknown" {
		t.Errorf("names that do not match the count: %+v", sd)
	}
	if sd := TakeSystemd([]string{"LISTEN_PID=1", "LISTEN_FDS=2"}, pid); len(sd.Listen) != 0 || sd.Warning != "" {
		t.Errorf("another process's sockets taken: %+v", sd)
	}
	if sd := TakeSystemd([]string{"LISTEN_PID=" + p, "LISTEN_FDS=two"}, pid); len(sd.Listen) != 0 || sd.Warning == "" {
		t.Errorf("LISTEN_FDS=two: %+v", sd)
	}
	if sd := TakeSystemd([]string{"LISTEN_FDS=2"}, pid); len(sd.Listen) != 0 {
		t.Errorf("no LISTEN_PID: %+v", sd)
	}
}
