package host

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
)

// SetupProcess does a run's process-wide set-up, once before its VMs start,
// and returns what undoes it when the run ends.
func SetupProcess(env *Env, p Profiles) (done func(), err error) {
	stopProfiles, err := startProfiles(p, env.Dir)
	if err != nil {
		return nil, err
	}
	if tunedGC(env) {
		return stopProfiles, nil
	}
	setGCFloor()
	stopReducer := startMemoryReducer(env.Stderr)
	return func() {
		stopReducer()
		stopProfiles()
	}, nil
}

// tunedGC reports whether the environment sets GOGC or GOMEMLIMIT: the
// runtime's own tuning is then left to do its job alone, without the GC
// floor or the memory reducer.
func tunedGC(env *Env) bool {
	for _, kv := range env.Environ {
		if strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GOMEMLIMIT=") {
			return true
		}
	}
	return false
}

// gcFloor is heap the garbage collector counts as live but that is never
// touched, so it costs address space, not memory (see setGCFloor).
var gcFloor atomic.Pointer[[]byte]

// gcFloorSize is the garbage the heap may hold before a collection even
// when almost nothing is live.
const gcFloorSize = 32 << 20

// setGCFloor raises the heap size at which the garbage collector runs by
// a fixed amount. Lua arithmetic allocates (gopher-lua boxes numbers), and
// a script's live heap is often tiny, so with the runtime's 4 MiB minimum
// a CPU-heavy handler ran a collection every few milliseconds: about a
// quarter of its CPU went to the collector, and with several workers the
// collector's share of the CPUs was taken from the workers. A floor adds a
// fixed amount of garbage allowed, where a higher GOGC would multiply it
// for large live heaps too.
//
// The floor is allocated after the first collection, not at start: so
// large an allocation starts a collection at once, which cost a short
// script a fifth of its start-up (5 ms of 28), and a script that never
// allocates the runtime's first 4 MiB never needs the floor. The first
// collection is told by a finalizer, not runtime.AddCleanup: the first
// cleanup of a process starts the runtime's cleanup goroutine, at every
// start, where finalizers run on the goroutine package os's standard
// files have already started.
func setGCFloor() {
	gcFloorOnce.Do(func() {
		// Large enough not to share a block with other small objects,
		// which would delay its finalizer.
		sentinel := new([32]byte)
		runtime.SetFinalizer(sentinel, func(*[32]byte) {
			floor := make([]byte, gcFloorSize)
			gcFloor.Store(&floor)
		})
	})
}

var gcFloorOnce sync.Once

// Profiles are the pprof files a run writes, as --cpuprofile and
// --memprofile ask ("" for none).
type Profiles struct {
	CPU string // a CPU profile of the whole run
	Mem string // a heap profile written when the run ends
}

// startProfiles starts the profiles p asks for, paths relative to dir,
// and returns what stops them and writes the heap profile. A file that
// cannot be created is an error before anything runs.
func startProfiles(p Profiles, dir string) (stop func(), err error) {
	open := func(path string) (*os.File, error) {
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		return os.Create(path)
	}
	var cpu, mem *os.File
	if p.CPU != "" {
		if cpu, err = open(p.CPU); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	if p.Mem != "" {
		// A sample every 4 KiB allocated on average, not every 512 KiB:
		// a server's allocations are mostly objects of tens of bytes, and
		// at the default rate a few samples stood for each of them,
		// too few to count allocations per request.
		runtime.MemProfileRate = 4 << 10
		if mem, err = open(p.Mem); err != nil {
			if cpu != nil {
				pprof.StopCPUProfile()
				cpu.Close()
			}
			return nil, fmt.Errorf("--memprofile: %w", err)
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if mem != nil {
			// A heap profile holds what happened up to the last
			// collection: without one here, a server whose heap stays
			// under the GC floor would show almost none of its
			// allocations. So collect first, as go test -memprofile does.
			runtime.GC()
			pprof.Lookup("heap").WriteTo(mem, 0)
			mem.Close()
		}
	}, nil
}
