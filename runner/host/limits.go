package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	"golang.org/x/sys/unix"
)

// Limits are what a user may bound a run by (the limits: section).
type Limits struct {
	// MaxMemory is the most resident memory the process may use, in bytes (0: none);
	// limits.max_memory, by default half the machine's memory.
	MaxMemory int64
	// MaxRuntime ends the run after this long (0: never).
	MaxRuntime time.Duration
	// MaxThreads is the most script threads a VM may run at once (0: no
	// limit).
	MaxThreads int
	// MaxConnections is the most connections accept may have open at
	// once in one VM (0: no limit); past it accept waits.
	MaxConnections int
	// MaxRecv is the most bytes one recv, recvfrom or io.read returns
	// (limits.max_recv, 4 MiB by default): a larger request is clamped,
	// never allocated.
	MaxRecv int
}

// limitError is the cause of a run a limit ended.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

// IsLimit reports whether err is a limit's: the cause of a run that
// WatchLimits ended.
func IsLimit(err error) bool {
	var le *limitError
	return errors.As(err, &le)
}

// WatchLimits enforces limits.max_memory and limits.max_runtime until ctx
// is done: it sends the error of the first one reached on hit. The memory
// limit is not made the Go runtime's soft limit (debug.SetMemoryLimit):
// with a live heap past a soft limit the collector runs without pause,
// and a script growing a string stalled for tens of seconds before the
// watchdog could end it.
func WatchLimits(ctx context.Context, env *Env, lim Limits, hit chan<- error) {
	if lim.MaxMemory > 0 {
		rss := openStatm()
		go watchMemory(ctx, env.Stderr, rss, lim.MaxMemory, hit)
	}
	if lim.MaxRuntime > 0 {
		t := time.AfterFunc(lim.MaxRuntime, func() {
			send(hit, &limitError{fmt.Sprintf("stopped: the run reached limits.max_runtime (%v)", lim.MaxRuntime)})
		})
		context.AfterFunc(ctx, func() { t.Stop() })
	}
}

// memoryPoll is how often the watchdog reads the heap's size: a loop
// doubling a string grows by gigabytes in a few hundred milliseconds.
const memoryPoll = 25 * time.Millisecond

// watchMemory ends the run when the process's resident memory stays past
// limit: at a reading over it, it asks for a collection that returns
// freed memory to the system (what was over may have been garbage), and
// gives up once that has finished with the process still over, or at once
// at twice the limit. It reads /proc/self/statm, not runtime/metrics or
// runtime.ReadMemStats, and never waits for the collection itself: those
// may stop the world, which waits for every goroutine, and one copying a
// string of a gigabyte cannot stop until it is done: the run's end would
// wait for it.
func watchMemory(ctx context.Context, stderr io.Writer, rss *statm, limit int64, hit chan<- error) {
	defer recoverTo(stderr, "the memory watchdog")
	tick := time.NewTicker(memoryPoll)
	defer tick.Stop()
	defer rss.close()
	var freed chan struct{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		used := rss.resident()
		switch {
		case used <= limit:
			freed = nil
		case freed == nil && used <= 2*limit:
			freed = make(chan struct{})
			go func(done chan struct{}) {
				debug.FreeOSMemory()
				close(done)
			}(freed)
		case used > 2*limit || isDone(freed):
			send(hit, &limitError{fmt.Sprintf("stopped: the script uses %s of memory, more than limits.max_memory (%s)",
				luaapi.FormatBytes(used), luaapi.FormatBytes(limit))})
			return
		}
	}
}

// statm reads the process's resident memory from /proc/self/statm, kept
// open: the watchdog reads it 40 times a second for the whole run, and a
// read with pread is one system call where opening the file each time
// was six.
type statm struct {
	fd  int // -1 if it could not be opened
	buf [128]byte
}

func openStatm() *statm {
	fd, err := unix.Open("/proc/self/statm", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &statm{fd: -1}
	}
	return &statm{fd: fd}
}

// resident is the process's resident memory in bytes, 0 if unknown.
func (s *statm) resident() int64 {
	if s.fd < 0 {
		return 0
	}
	n, err := unix.Pread(s.fd, s.buf[:], 0)
	if n <= 0 || err != nil {
		return 0
	}
	f := strings.Fields(string(s.buf[:n]))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func (s *statm) close() {
	if s.fd >= 0 {
		unix.Close(s.fd)
	}
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func send(hit chan<- error, err error) {
	select {
	case hit <- err:
	default:
	}
}
