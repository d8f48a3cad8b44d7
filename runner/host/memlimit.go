package host

import (
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sockrun/sockrun/luaapi"
	"golang.org/x/sys/unix"
)

// What limits.max_memory is when sockrun chooses it. "auto" is half of the
// memory the process may have: the machine's, or its cgroup's limit if
// that is lower (a container). And under an address-space limit (ulimit
// -v) any limit is lowered to what that leaves room for: the Go runtime
// dies with "fatal error: out of memory" and a stack dump when it cannot
// map more, and the soft limit and the watchdog keep it from trying.

// AutoMemoryLimit is limits.max_memory's "auto": half of the machine's
// memory, or of the cgroup's limit when that is lower. note says which.
func AutoMemoryLimit() (limit int64, note string) {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		limit = int64(si.Totalram) * int64(si.Unit) / 2
		note = "auto: half of the machine's memory"
	}
	if cg, file := cgroupMemoryLimit("/"); cg > 0 && (limit == 0 || cg/2 < limit) {
		limit = cg / 2
		note = "auto: half of the cgroup's " + file
	}
	return limit, note
}

// WithinAddressSpace lowers a memory limit (0: none) to what the
// process's address-space limit (RLIMIT_AS, ulimit -v), if it has one,
// leaves room for: half of what is not yet mapped, since the heap's
// address space outgrows the heap (it is reserved in 64 MiB arenas, and
// freed memory is returned but stays mapped). note says why, if it did.
func WithinAddressSpace(limit int64, note string) (int64, string) {
	room, ok := addressSpaceRoom()
	if !ok {
		return limit, note
	}
	if half := room / 2; limit == 0 || half < limit {
		return max(half, 0), fmt.Sprintf("lowered to half of what the address-space limit (ulimit -v, %s) leaves", luaapi.FormatBytes(addressSpaceLimit()))
	}
	return limit, note
}

// addressSpaceRoom is how much address space the process may still map
// under RLIMIT_AS; ok is false if it has no such limit.
func addressSpaceRoom() (room int64, ok bool) {
	limit := addressSpaceLimit()
	if limit == 0 {
		return 0, false
	}
	return limit - mappedSize(), true
}

// cgroupMemoryLimit is the lowest memory limit of the process's cgroup and
// its ancestors (cgroup v2's memory.max, v1's memory.limit_in_bytes), 0 if
// none is set, with the name of the file it was read from. root is the
// file system's root: "/" but in tests.
//
// It runs at every start (max_memory is "auto" by default), so it reads
// with plain system calls into one buffer: os.ReadFile would register each
// /proc file with Go's poller and allocate for every line it splits.
func cgroupMemoryLimit(root string) (limit int64, file string) {
	buf := make([]byte, 0, 4096)
	buf, ok := readSmallFile(filepath.Join(root, "proc/self/cgroup"), buf)
	if !ok {
		return 0, ""
	}
	groups := string(buf)
	buf, ok = readSmallFile(filepath.Join(root, "proc/self/mountinfo"), buf[:0])
	if !ok {
		return 0, ""
	}
	mounts := string(buf)
	for line := range strings.Lines(groups) {
		// "0::/path" (v2), "4:memory:/path" (v1)
		id, rest, ok1 := strings.Cut(strings.TrimSpace(line), ":")
		controllers, cgPath, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 {
			continue
		}
		var name string
		switch {
		case id == "0" && controllers == "":
			name = "memory.max"
		case hasField(controllers, ",", "memory"):
			name = "memory.limit_in_bytes"
		default:
			continue
		}
		dir, mountpoint, ok := cgroupDir(mounts, name == "memory.max", cgPath)
		if !ok {
			continue
		}
		if l := lowestLimit(filepath.Join(root, mountpoint), filepath.Join(root, dir), name); l > 0 && (limit == 0 || l < limit) {
			limit, file = l, name
		}
	}
	return limit, file
}

// readSmallFile appends the whole of file, a /proc or cgroup file whose
// size stat does not tell, to buf; ok is false if it cannot be read.
func readSmallFile(file string, buf []byte) (_ []byte, ok bool) {
	fd, err := unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return buf, false
	}
	defer unix.Close(fd)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf, false
		}
		if n == 0 {
			return buf, true
		}
		buf = buf[:len(buf)+n]
	}
}

// cgroupDir finds, in mountinfo's text, the mount of the cgroup hierarchy
// (v2, or v1's with the memory controller) and returns the directory of
// the cgroup at path in it, and the mount point.
func cgroupDir(mountinfo string, v2 bool, cgPath string) (dir, mountpoint string, ok bool) {
	for line := range strings.Lines(mountinfo) {
		// id parent major:minor root mountpoint options... - fstype source superoptions
		pre, post, found := strings.Cut(strings.TrimSpace(line), " - ")
		if !found {
			continue
		}
		fstype, post := nextField(post)
		_, post = nextField(post) // source
		superOptions, _ := nextField(post)
		switch {
		case v2 && fstype == "cgroup2":
		case !v2 && fstype == "cgroup" && hasField(superOptions, ",", "memory"):
		default:
			continue
		}
		var mroot, mp string
		_, pre = nextField(pre) // id
		_, pre = nextField(pre) // parent
		_, pre = nextField(pre) // major:minor
		mroot, pre = nextField(pre)
		mp, _ = nextField(pre)
		if mp == "" {
			continue
		}
		rel, within := strings.CutPrefix(cgPath, mroot)
		if !within || (rel != "" && !strings.HasPrefix(rel, "/") && mroot != "/") {
			// The cgroup is outside what is mounted (a namespace):
			// the mount's own directory is the process's.
			rel = ""
		}
		return path.Join(mp, rel), mp, true
	}
	return "", "", false
}

// nextField is the first space-separated field of s and what follows it.
func nextField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " ")
	field, rest, _ = strings.Cut(s, " ")
	return field, rest
}

// lowestLimit is the lowest limit in file name of dir and of its
// ancestors up to mountpoint, 0 if none is set.
func lowestLimit(mountpoint, dir, name string) int64 {
	var lowest int64
	for {
		if l := readLimit(filepath.Join(dir, name)); l > 0 && (lowest == 0 || l < lowest) {
			lowest = l
		}
		if dir == mountpoint || !strings.HasPrefix(dir, mountpoint) {
			return lowest
		}
		dir = filepath.Dir(dir)
	}
}

// readLimit reads a cgroup memory limit file: a number of bytes, or "max"
// (v2) or a number near 2^63 (v1) for none, which is 0.
func readLimit(file string) int64 {
	var b [64]byte
	text, ok := readSmallFile(file, b[:0])
	if !ok {
		return 0
	}
	line, _, _ := strings.Cut(string(text), "\n")
	n, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0
	}
	return n
}

// hasField reports whether list, split by sep, holds field.
func hasField(list, sep, field string) bool {
	for f := range strings.SplitSeq(list, sep) {
		if f == field {
			return true
		}
	}
	return false
}
