package metrics

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/sockrun/sockrun/luaapi/metricset"
)

// This file is the go_ and process_ families, as Prometheus' Go client
// collects them (its NewGoCollector and NewProcessCollector with their
// default options): the same names, help, types and values, read from
// Go's runtime and /proc. The client itself is not in the binary: its
// package initialisation cost every run of sockrun milliseconds of
// start-up, used or not.

// gauge and counter are a family of one series without labels.
func gauge(name, help string, v float64) metricset.Family {
	return metricset.Family{Name: name, Help: help, Type: "gauge", Series: []metricset.Series{{Value: v}}}
}

func counter(name, help string, v float64) metricset.Family {
	f := gauge(name, help, v)
	f.Type = "counter"
	return f
}

// The runtime/metrics the go_ families read.
const (
	rmTinyAllocs      = "/gc/heap/tiny/allocs:objects"
	rmAllocsObjects   = "/gc/heap/allocs:objects"
	rmFreesObjects    = "/gc/heap/frees:objects"
	rmAllocsBytes     = "/gc/heap/allocs:bytes"
	rmHeapObjects     = "/gc/heap/objects:objects"
	rmHeapGoal        = "/gc/heap/goal:bytes"
	rmTotal           = "/memory/classes/total:bytes"
	rmHeapObjectBytes = "/memory/classes/heap/objects:bytes"
	rmHeapUnused      = "/memory/classes/heap/unused:bytes"
	rmHeapReleased    = "/memory/classes/heap/released:bytes"
	rmHeapFree        = "/memory/classes/heap/free:bytes"
	rmHeapStacks      = "/memory/classes/heap/stacks:bytes"
	rmOSStacks        = "/memory/classes/os-stacks:bytes"
	rmMSpanInuse      = "/memory/classes/metadata/mspan/inuse:bytes"
	rmMSpanFree       = "/memory/classes/metadata/mspan/free:bytes"
	rmMCacheInuse     = "/memory/classes/metadata/mcache/inuse:bytes"
	rmMCacheFree      = "/memory/classes/metadata/mcache/free:bytes"
	rmProfBuckets     = "/memory/classes/profiling/buckets:bytes"
	rmMetadataOther   = "/memory/classes/metadata/other:bytes"
	rmOther           = "/memory/classes/other:bytes"
	rmGOGC            = "/gc/gogc:percent"
	rmMemLimit        = "/gc/gomemlimit:bytes"
	rmGOMAXPROCS      = "/sched/gomaxprocs:threads"
)

var rmNames = []string{rmTinyAllocs, rmAllocsObjects, rmFreesObjects, rmAllocsBytes, rmHeapObjects,
	rmHeapGoal, rmTotal, rmHeapObjectBytes, rmHeapUnused, rmHeapReleased, rmHeapFree, rmHeapStacks,
	rmOSStacks, rmMSpanInuse, rmMSpanFree, rmMCacheInuse, rmMCacheFree, rmProfBuckets,
	rmMetadataOther, rmOther, rmGOGC, rmMemLimit, rmGOMAXPROCS}

// goFamilies are Go's runtime's families: goroutines, threads, the
// collector's pauses, and memory as runtime.MemStats names it.
func goFamilies() []metricset.Family {
	samples := make([]rtmetrics.Sample, len(rmNames))
	for i, n := range rmNames {
		samples[i].Name = n
	}
	rtmetrics.Read(samples)
	rm := make(map[string]float64, len(samples))
	for _, s := range samples {
		if s.Value.Kind() == rtmetrics.KindUint64 {
			rm[s.Name] = float64(s.Value.Uint64())
		}
	}
	var gc debug.GCStats
	gc.PauseQuantiles = make([]time.Duration, 5)
	debug.ReadGCStats(&gc)
	pauses := metricset.Series{Sum: gc.PauseTotal.Seconds(), Count: uint64(gc.NumGC)}
	for i, q := range gc.PauseQuantiles {
		pauses.Quantiles = append(pauses.Quantiles, [2]float64{float64(i) / 4, q.Seconds()})
	}
	threads, _ := runtime.ThreadCreateProfile(nil)
	heapAlloc := rm[rmHeapObjectBytes]
	heapInuse := heapAlloc + rm[rmHeapUnused]
	heapIdle := rm[rmHeapReleased] + rm[rmHeapFree]
	return []metricset.Family{
		{Name: "go_gc_duration_seconds", Help: "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.", Type: "summary", Series: []metricset.Series{pauses}},
		gauge("go_gc_gogc_percent", "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent.", rm[rmGOGC]),
		gauge("go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes.", rm[rmMemLimit]),
		gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine())),
		{Name: "go_info", Help: "Information about the Go environment.", Type: "gauge", Series: []metricset.Series{{Labels: []metricset.Label{{Name: "version", Value: runtime.Version()}}, Value: 1}}},
		gauge("go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.", heapAlloc),
		counter("go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes.", rm[rmAllocsBytes]),
		gauge("go_memstats_buck_hash_sys_bytes", "Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes.", rm[rmProfBuckets]),
		counter("go_memstats_frees_total", "Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects.", rm[rmFreesObjects]+rm[rmTinyAllocs]),
		gauge("go_memstats_gc_sys_bytes", "Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes.", rm[rmMetadataOther]),
		gauge("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.", heapAlloc),
		gauge("go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.", heapIdle),
		gauge("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes", heapInuse),
		gauge("go_memstats_heap_objects", "Number of currently allocated objects. Equals to /gc/heap/objects:objects.", rm[rmHeapObjects]),
		gauge("go_memstats_heap_released_bytes", "Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes.", rm[rmHeapReleased]),
		gauge("go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.", heapInuse+heapIdle),
		gauge("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", float64(gc.LastGC.UnixNano())/1e9),
		counter("go_memstats_mallocs_total", "Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects.", rm[rmAllocsObjects]+rm[rmTinyAllocs]),
		gauge("go_memstats_mcache_inuse_bytes", "Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes.", rm[rmMCacheInuse]),
		gauge("go_memstats_mcache_sys_bytes", "Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes.", rm[rmMCacheInuse]+rm[rmMCacheFree]),
		gauge("go_memstats_mspan_inuse_bytes", "Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes.", rm[rmMSpanInuse]),
		gauge("go_memstats_mspan_sys_bytes", "Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes.", rm[rmMSpanInuse]+rm[rmMSpanFree]),
		gauge("go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes.", rm[rmHeapGoal]),
		gauge("go_memstats_other_sys_bytes", "Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes.", rm[rmOther]),
		gauge("go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes.", rm[rmHeapStacks]),
		gauge("go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes.", rm[rmHeapStacks]+rm[rmOSStacks]),
		gauge("go_memstats_sys_bytes", "Number of bytes obtained from system. Equals to /memory/classes/total:byte.", rm[rmTotal]),
		gauge("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads.", rm[rmGOMAXPROCS]),
		gauge("go_threads", "Number of OS threads created.", float64(threads)),
	}
}

// userHZ is the unit of /proc's times: USER_HZ ticks a second.
const userHZ = 100

// processFamilies are the process's families, read from /proc/self: CPU
// time, memory, descriptors, start time and network bytes. A file that
// cannot be read leaves its families out, as the Go client's collector
// does.
func processFamilies() []metricset.Family {
	var fams []metricset.Family
	if stat, err := os.ReadFile("/proc/self/stat"); err == nil {
		// The fields after the command's name, in parentheses (which
		// may hold anything): state is field 3, utime 14, stime 15,
		// starttime 22, vsize 23, rss 24.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
			f := strings.Fields(string(stat[i+1:]))
			field := func(n int) float64 {
				if n-3 >= len(f) {
					return 0
				}
				v, _ := strconv.ParseUint(f[n-3], 10, 64)
				return float64(v)
			}
			fams = append(fams,
				counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", (field(14)+field(15))/userHZ),
				gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", field(23)),
				gauge("process_resident_memory_bytes", "Resident memory size in bytes.", field(24)*float64(os.Getpagesize())))
			if boot, ok := bootTime(); ok {
				fams = append(fams, gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", boot+field(22)/userHZ))
			}
		}
	}
	if n, ok := openFDs(); ok {
		fams = append(fams, gauge("process_open_fds", "Number of open file descriptors.", float64(n)))
	}
	if limits, err := os.ReadFile("/proc/self/limits"); err == nil {
		fams = append(fams,
			gauge("process_max_fds", "Maximum number of open file descriptors.", softLimit(limits, "Max open files")),
			gauge("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", softLimit(limits, "Max address space")))
	}
	if netstat, err := os.ReadFile("/proc/self/net/netstat"); err == nil {
		in, out := ipOctets(netstat)
		fams = append(fams,
			counter("process_network_receive_bytes_total", "Number of bytes received by the process over the network.", in),
			counter("process_network_transmit_bytes_total", "Number of bytes sent by the process over the network.", out))
	}
	return fams
}

// bootTime is /proc/stat's btime: when the system booted, in seconds
// since the epoch.
func bootTime() (float64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return float64(n), err == nil
		}
	}
	return 0, false
}

// openFDs is how many descriptors the process has open: the size Linux
// (6.2 and later) gives /proc/self/fd, or the entries it lists.
func openFDs() (int, bool) {
	if st, err := os.Stat("/proc/self/fd"); err == nil && st.Size() > 0 {
		return int(st.Size()), true
	}
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	return len(names), err == nil
}

// softLimit is the soft limit of the resource /proc/self/limits names
// name: "unlimited" is the largest uint64, as the Go client reads it.
func softLimit(limits []byte, name string) float64 {
	for line := range strings.Lines(string(limits)) {
		rest, ok := strings.CutPrefix(line, name)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		if f[0] == "unlimited" {
			return float64(^uint64(0))
		}
		v, _ := strconv.ParseUint(f[0], 10, 64)
		return float64(v)
	}
	return 0
}

// ipOctets are IpExt's InOctets and OutOctets in /proc/self/net/netstat:
// a line of names, then a line of their values.
func ipOctets(netstat []byte) (in, out float64) {
	lines := strings.Split(string(netstat), "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "IpExt:") || !strings.HasPrefix(lines[i+1], "IpExt:") {
			continue
		}
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		for j := 1; j < len(names) && j < len(values); j++ {
			v, _ := strconv.ParseFloat(values[j], 64)
			switch names[j] {
			case "InOctets":
				in = v
			case "OutOctets":
				out = v
			}
		}
		break
	}
	return in, out
}
