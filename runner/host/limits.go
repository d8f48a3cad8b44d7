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
	// limits.max_memory, by default half the machine's memory (or the
	// cgroup's). MaxMemoryNote says why it is what it is when sockrun
	// chose it (AutoMemoryLimit, WithinAddressSpace).
	MaxMemory     int64
	MaxMemoryNote string
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
// is done: it sends the error of the first one reached on hit.
//
// The memory limit is also made the Go runtime's soft limit, a little
// below it (softMemoryLimit), until ctx is done: the collector then works
// before the heap's garbage could take the process past the limit, and
// the watchdog acts only on memory the script keeps alive.
func WatchLimits(ctx context.Context, env *Env, lim Limits, hit chan<- error) {
	// What ends with ctx, undone by one callback: each context.AfterFunc
	// starts a goroutine when the run ends.
	var undo []func()
	if lim.MaxMemory > 0 {
		soft := softMemoryLimit(lim.MaxMemory, !tunedGC(env))
		if prev := debug.SetMemoryLimit(-1); prev > soft {
			debug.SetMemoryLimit(soft)
			undo = append(undo, func() { debug.SetMemoryLimit(prev) })
		}
		// The descriptor is opened now, before the script's; the
		// watchdog's goroutine starts at its first reading, a poll from
		// now, so that a short run starts no goroutine for it.
		rss := openStatm()
		watch := time.AfterFunc(memoryPoll, func() {
			watchMemory(ctx, env.Stderr, rss, lim.MaxMemory, lim.MaxMemoryNote, hit)
		})
		undo = append(undo, func() {
			if watch.Stop() {
				rss.close()
			}
		})
	}
	if lim.MaxRuntime > 0 {
		t := time.AfterFunc(lim.MaxRuntime, func() {
			send(hit, &limitError{fmt.Sprintf("stopped: the run reached limits.max_runtime (%v)", lim.MaxRuntime)})
		})
		undo = append(undo, func() { t.Stop() })
	}
	if len(undo) > 0 {
		context.AfterFunc(ctx, func() {
			for _, f := range undo {
				f()
			}
		})
	}
}

// softMemoryLimit is the Go runtime's soft memory limit for a run whose
// resident memory may reach limit: below it by what the runtime does not
// count (the program's code, the C library's memory) and some room, an
// eighth of the limit up to 32 MiB; above it by the GC floor when there
// is one, which the runtime counts but which never takes resident memory.
func softMemoryLimit(limit int64, floor bool) int64 {
	soft := limit - min(limit/8, 32<<20)
	if floor {
		soft += gcFloorSize
	}
	return soft
}

// memoryPoll is how often the watchdog reads the process's resident
// memory: a loop doubling a string grows by gigabytes in a few hundred
// milliseconds.
const memoryPoll = 25 * time.Millisecond

// watchMemory ends the run when the process's resident memory passes
// limit at two readings in a row, or a quarter past it at one, with an
// error that names the limit and note, why it is what it is. With the
// runtime's soft limit below it, the collector has returned what garbage
// it could by then: what is resident is the script's.
//
// It reads /proc/self/statm, not runtime/metrics or runtime.ReadMemStats,
// and never forces a collection: those may stop the world, which waits
// for every goroutine, one copying a string of a gigabyte included, and
// the run's end would wait for it.
func watchMemory(ctx context.Context, stderr io.Writer, rss *statm, limit int64, note string, hit chan<- error) {
	defer recoverTo(stderr, "the memory watchdog")
	defer rss.close()
	tick := time.NewTicker(memoryPoll)
	defer tick.Stop()
	over := 0 // readings in a row past the limit
	// The first reading is at once: WatchLimits starts the watchdog a poll
	// after it was set.
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		used := rss.resident()
		if used <= limit {
			over = 0
			continue
		}
		if over++; over >= 2 || used > limit+limit/4 {
			if note != "" {
				note = ", " + note
			}
			send(hit, &limitError{fmt.Sprintf("stopped: the script uses %s of memory, more than limits.max_memory (%s%s)",
				luaapi.FormatBytes(used), luaapi.FormatBytes(limit), note)})
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

func send(hit chan<- error, err error) {
	select {
	case hit <- err:
	default:
	}
}
