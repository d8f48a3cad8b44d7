package host

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/sockrun/sockrun/luaapi"
	"golang.org/x/sys/unix"
)

// The memory limit (limits.max_memory) is held three ways:
//
//   - it is the Go runtime's soft limit, a little below it
//     (debug.SetMemoryLimit, see WatchLimits): the collector works harder
//     as the heap nears it, so garbage never takes the process past it;
//   - the built-ins that make large strings ask before they allocate
//     (memoryBudget.reserve): a string that would take the heap past the
//     limit is refused with Lua's "not enough memory", an error the
//     script may catch, before a byte of it is allocated;
//   - the watchdog ends the run when the process's resident memory stays
//     past the limit anyway (many small allocations kept alive).
//
// And under an address-space limit (ulimit -v) a string is refused when
// the process could not map it: Go dies with "fatal error: out of memory"
// and a stack dump when it cannot map more.

// addressSpaceLimit is RLIMIT_AS in bytes, 0 if there is none.
func addressSpaceLimit() int64 {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_AS, &rl) != nil || rl.Cur == unix.RLIM_INFINITY || rl.Cur > math.MaxInt64 {
		return 0
	}
	return int64(rl.Cur)
}

// mappedSize is the process's address space in use (VmSize), 0 if
// unknown.
func mappedSize() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[0], 10, 64)
	return pages * int64(os.Getpagesize())
}

// memoryBudget is what the built-ins that make large strings ask before
// they allocate (lua51.Host's Reserve).
type memoryBudget struct {
	limit int64  // limits.max_memory in bytes, 0: none
	note  string // why the limit is what it is, "" if set as it is
	// asLimit is RLIMIT_AS, 0 if none.
	asLimit int64
}

func newMemoryBudget(limit int64, note string) *memoryBudget {
	return &memoryBudget{limit: limit, note: note, asLimit: addressSpaceLimit()}
}

// addressSpaceMargin is the address space kept free beyond a string's own
// size under RLIMIT_AS: the heap grows by 64 MiB arenas.
const addressSpaceMargin = 64 << 20

// reserve returns nil if a string of n bytes may be made now, else the
// error that says why not. When the heap's objects and n would pass the
// limit, it asks collect to collect the garbage and looks again at what is
// live.
func (b *memoryBudget) reserve(n int64, collect func()) error {
	if b.asLimit > 0 {
		if mapped := mappedSize(); mapped+n+addressSpaceMargin > b.asLimit {
			return fmt.Errorf("not enough memory for a string of %s (the address-space limit, ulimit -v, is %s, %s of it in use)",
				luaapi.FormatBytes(n), luaapi.FormatBytes(b.asLimit), luaapi.FormatBytes(mapped))
		}
	}
	if b.limit <= 0 {
		return nil
	}
	used := heapInUse()
	if used+n <= b.limit {
		return nil
	}
	collect()
	if used = heapInUse(); used+n <= b.limit {
		return nil
	}
	why := ""
	if b.note != "" {
		why = " (" + b.note + ")"
	}
	return fmt.Errorf("not enough memory for a string of %s: limits.max_memory is %s%s, %s in use",
		luaapi.FormatBytes(n), luaapi.FormatBytes(b.limit), why, luaapi.FormatBytes(used))
}

// heapInUse is the bytes the heap's objects take, live or not yet swept,
// less the GC floor (which is never touched).
func heapInUse() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	used := int64(s[0].Value.Uint64())
	if gcFloor.Load() != nil {
		used -= gcFloorSize
	}
	return max(used, 0)
}

// collectGarbage runs a whole collection: what reserve's caller runs
// with the interpreter lock released.
func collectGarbage() { runtime.GC() }
