package host

import (
	"os"
	"path/filepath"
	"testing"
)

// writeFiles makes the files of a fake root: path → content.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestCgroupMemoryLimit: the limit is read from the process's own cgroup
// in the hierarchy mounted for it, the lowest of it and its ancestors;
// "max" and v1's huge number are no limit.
func TestCgroupMemoryLimit(t *testing.T) {
	const v2mounts = "29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
	const v1mounts = "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n" +
		"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
		"36 31 0:33 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	for _, c := range []struct {
		name  string
		files map[string]string
		want  int64
		file  string
	}{
		{"v2, the group's own", map[string]string{
			"proc/self/cgroup":                              "0::/user.slice/app.scope\n",
			"proc/self/mountinfo":                           v2mounts,
			"sys/fs/cgroup/user.slice/app.scope/memory.max": "536870912\n",
			"sys/fs/cgroup/user.slice/memory.max":           "max\n",
		}, 512 << 20, "memory.max"},
		{"v2, a parent's lower", map[string]string{
			"proc/self/cgroup":                              "0::/user.slice/app.scope\n",
			"proc/self/mountinfo":                           v2mounts,
			"sys/fs/cgroup/user.slice/app.scope/memory.max": "max\n",
			"sys/fs/cgroup/user.slice/memory.max":           "268435456\n",
		}, 256 << 20, "memory.max"},
		{"v2, none", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"proc/self/mountinfo":      v2mounts,
			"sys/fs/cgroup/memory.max": "max\n",
		}, 0, ""},
		{"v2, a namespace: the mount is the group", map[string]string{
			"proc/self/cgroup":         "0::/../elsewhere\n",
			"proc/self/mountinfo":      "29 23 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			"sys/fs/cgroup/memory.max": "1073741824\n",
		}, 1 << 30, "memory.max"},
		{"v1", map[string]string{
			"proc/self/cgroup":    "5:cpu:/\n4:memory:/process_api/x\n",
			"proc/self/mountinfo": v1mounts,
			"sys/fs/cgroup/memory/process_api/x/memory.limit_in_bytes": "2147483648\n",
			"sys/fs/cgroup/memory/process_api/memory.limit_in_bytes":   "9223372036854771712\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":               "9223372036854771712\n",
		}, 2 << 30, "memory.limit_in_bytes"},
		{"v1, none", map[string]string{
			"proc/self/cgroup":    "4:memory:/process_api/x\n",
			"proc/self/mountinfo": v1mounts,
			"sys/fs/cgroup/memory/process_api/x/memory.limit_in_bytes": "9223372036854771712\n",
		}, 0, ""},
		{"no cgroup file", map[string]string{}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, file := cgroupMemoryLimit(writeFiles(t, c.files))
			if got != c.want || file != c.file {
				t.Errorf("got %d from %q, want %d from %q", got, file, c.want, c.file)
			}
		})
	}
}
