package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfileFlags: --cpuprofile and --memprofile write pprof files (gzip
// compressed protocol buffers) when the run ends, relative to the working
// directory; a file that cannot be created is a usage error before the
// script runs.
func TestProfileFlags(t *testing.T) {
	dir := t.TempDir()
	p := startIn(t, dir, nil, sockrunBin, "--cpuprofile", "cpu.pprof", "--memprofile", filepath.Join(dir, "mem.pprof"),
		"-e", `local t = {} for i = 1, 200000 do t[i] = tostring(i) end print(#t)`)
	p.closeStdin()
	if code := p.wait(30e9); code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, p.Stderr())
	}
	for _, name := range []string{"cpu.pprof", "mem.pprof"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %d bytes, not a gzip-compressed profile", name, len(b))
		}
	}

	_, stderr, code := runSockrun(t, "", "--cpuprofile", filepath.Join(dir, "no", "such", "dir", "cpu.pprof"), "-e", `print("ran")`)
	if code != 2 || !strings.Contains(stderr, "--cpuprofile") {
		t.Errorf("unwritable profile: exit %d, stderr %q; want 2 and a message naming --cpuprofile", code, stderr)
	}
	_, stderr, code = runSockrun(t, "", "--memprofile", filepath.Join(dir, "no", "mem.pprof"), "-e", `print("ran")`)
	if code != 2 || !strings.Contains(stderr, "--memprofile") {
		t.Errorf("unwritable profile: exit %d, stderr %q; want 2 and a message naming --memprofile", code, stderr)
	}
}
