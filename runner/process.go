package runner

import (
	"os"
	"runtime/pprof"
	"strings"
)

// setupProcess does a run's process-wide set-up, once before its VMs start,
// and returns what undoes it when the run ends.
func setupProcess(env *Env) (done func()) {
	setGCFloor(env)
	return startProfile(env)
}

// gcFloor is heap the garbage collector counts as live but that is never
// touched, so it costs address space, not memory (see setGCFloor).
var gcFloor []byte

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
// for large live heaps too. A GOGC or GOMEMLIMIT in the environment is
// left to do its job alone.
func setGCFloor(env *Env) {
	for _, kv := range env.Environ {
		if strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GOMEMLIMIT=") {
			return
		}
	}
	if gcFloor == nil {
		gcFloor = make([]byte, gcFloorSize)
	}
}

// profileEnv names a file to write a CPU profile of the run to, for the
// benchmark (go run ./bench -cpuprofile).
const profileEnv = "SOCKRUN_CPUPROFILE"

// startProfile starts the CPU profile profileEnv asks for, if any, and
// returns what stops it.
func startProfile(env *Env) (stop func()) {
	for _, kv := range env.Environ {
		if path, ok := strings.CutPrefix(kv, profileEnv+"="); ok && path != "" {
			f, err := os.Create(path)
			if err != nil {
				return func() {}
			}
			if pprof.StartCPUProfile(f) != nil {
				f.Close()
				return func() {}
			}
			return func() {
				pprof.StopCPUProfile()
				f.Close()
			}
		}
	}
	return func() {}
}
