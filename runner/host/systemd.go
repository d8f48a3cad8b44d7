package host

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/sockrun/sockrun/luaapi"
	"golang.org/x/sys/unix"
)

// Systemd is what a service manager (systemd, systemd-socket-activate)
// handed the process: the listening sockets of socket activation and the
// socket it listens for state on (sd_notify).
type Systemd struct {
	// Listen are the inherited listening sockets, from descriptor 3 on,
	// each named by LISTEN_FDNAMES ("unknown" if not named).
	Listen []luaapi.ListenFD
	// NotifySocket is NOTIFY_SOCKET: a unix datagram socket's path, or
	// an abstract one's name after "@"; "" for none.
	NotifySocket string
	// Warning is why the variables were not taken, if they were malformed
	// ("" if they were not).
	Warning string
}

// SystemdVars are the variables TakeSystemd reads: the caller unsets them
// in the process, so that a program the script starts (os.execute) does
// not take the sockets or speak for the service, as sd_listen_fds and
// sd_notify do when asked to unset the environment.
var SystemdVars = []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET"}

// TakeSystemd reads socket activation's and sd_notify's variables from
// environ for the process pid, as sd_listen_fds_with_names does: the
// sockets are the process's only when LISTEN_PID is pid; LISTEN_FDS of
// them start at descriptor 3. Each is made close-on-exec.
func TakeSystemd(environ []string, pid int) Systemd {
	var sd Systemd
	vars := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	sd.NotifySocket = vars["NOTIFY_SOCKET"]
	pidText, ok := vars["LISTEN_PID"]
	if !ok {
		return sd
	}
	if p, err := strconv.Atoi(pidText); err != nil || p != pid {
		if err != nil {
			sd.Warning = fmt.Sprintf("LISTEN_PID=%q is not a process number: inherited sockets ignored", pidText)
		}
		return sd // another process's sockets
	}
	n, err := strconv.Atoi(vars["LISTEN_FDS"])
	if err != nil || n < 0 || n > 1<<16 {
		sd.Warning = fmt.Sprintf("LISTEN_FDS=%q is not a count: inherited sockets ignored", vars["LISTEN_FDS"])
		return sd
	}
	names := strings.Split(vars["LISTEN_FDNAMES"], ":")
	if _, named := vars["LISTEN_FDNAMES"]; !named || len(names) != n {
		names = nil
	}
	for i := range n {
		fd := 3 + i
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			sd.Warning = fmt.Sprintf("LISTEN_FDS=%d but descriptor %d is not open: inherited sockets from %d on ignored", n, fd, fd)
			break
		}
		unix.CloseOnExec(fd)
		name := "unknown"
		if names != nil && names[i] != "" {
			name = names[i]
		}
		sd.Listen = append(sd.Listen, luaapi.ListenFD{FD: fd, Name: name})
	}
	return sd
}

// ListenFDsFor returns the VM's own descriptors of the inherited sockets:
// duplicates, close-on-exec, which the VM owns and closes.
func ListenFDsFor(listen []luaapi.ListenFD) ([]luaapi.ListenFD, error) {
	out := make([]luaapi.ListenFD, 0, len(listen))
	for _, l := range listen {
		fd, err := unix.FcntlInt(uintptr(l.FD), unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			for _, o := range out {
				unix.Close(o.FD)
			}
			return nil, fmt.Errorf("inherited socket %d (%s): %w", l.FD, l.Name, os.NewSyscallError("dup", err))
		}
		out = append(out, luaapi.ListenFD{FD: fd, Name: l.Name})
	}
	return out, nil
}

// CloseListenFDs closes the inherited descriptors themselves, once every
// VM holds its own: the VMs' are then the only ones, so that a script
// that closes its listening socket stops taking connections.
func CloseListenFDs(listen []luaapi.ListenFD) {
	for _, l := range listen {
		unix.Close(l.FD)
	}
}

// Notifier sends the run's state to the service manager listening on
// NOTIFY_SOCKET (sd_notify): READY=1 once, when the script says so or
// starts to serve, STOPPING=1 once, when the run begins to stop. It is
// luaapi's Notifier, common to every worker; its methods may be called
// from any goroutine.
type Notifier struct {
	addr string
	// onError is told of a send that failed (once per kind of state).
	onError func(state string, err error)

	mu              sync.Mutex
	ready, stopping bool
	failed          map[string]bool
}

// NewNotifier returns the Notifier of the socket at addr (NOTIFY_SOCKET),
// nil if addr is "". onError, if set, hears of each kind of state whose
// send failed, once.
func NewNotifier(addr string, onError func(state string, err error)) *Notifier {
	if addr == "" {
		return nil
	}
	return &Notifier{addr: addr, onError: onError, failed: map[string]bool{}}
}

// Notify sends state as it is: one or more KEY=value lines. A READY=1 or
// STOPPING=1 among them counts as sent.
func (n *Notifier) Notify(state string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	for line := range strings.SplitSeq(state, "\n") {
		switch line {
		case "READY=1":
			n.ready = true
		case "STOPPING=1":
			n.stopping = true
		}
	}
	return n.send(state)
}

// Ready sends READY=1 unless it was sent already. A nil Notifier (no
// manager listens) does nothing.
func (n *Notifier) Ready() {
	if n != nil {
		n.once(&n.ready, "READY=1")
	}
}

// Stopping sends STOPPING=1 unless it was sent already. A nil Notifier
// does nothing.
func (n *Notifier) Stopping() {
	if n != nil {
		n.once(&n.stopping, "STOPPING=1")
	}
}

func (n *Notifier) once(sent *bool, state string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if *sent {
		return
	}
	*sent = true
	if err := n.send(state); err != nil && n.onError != nil && !n.failed[state] {
		n.failed[state] = true
		n.onError(state, err)
	}
}

// send sends state in one datagram to the socket, without waiting: a
// manager that does not read must not stop the run.
func (n *Notifier) send(state string) error {
	if !strings.HasPrefix(n.addr, "/") && !strings.HasPrefix(n.addr, "@") {
		return fmt.Errorf("NOTIFY_SOCKET=%q: not a unix socket's path or @name", n.addr)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	// x/sys makes a name that starts with "@" an abstract address.
	if err := unix.Sendto(fd, []byte(state), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, &unix.SockaddrUnix{Name: n.addr}); err != nil {
		return &os.PathError{Op: "sendto", Path: n.addr, Err: err}
	}
	return nil
}
