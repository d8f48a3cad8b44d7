package e2e

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestLspDefs: `sockrun lsp-defs DIR` writes the definitions for
// lua-language-server, the same files as docs/lua (whose constants are
// Linux's).
func TestLspDefs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "defs")
	stdout, stderr, code := runSockrun(t, "", "lsp-defs", dir)
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote ") {
		t.Errorf("stdout: %q", stdout)
	}
	want, _ := filepath.Glob(filepath.Join(repoRoot, "docs", "lua", "*.lua"))
	got, _ := filepath.Glob(filepath.Join(dir, "*.lua"))
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("wrote %d files, docs/lua has %d", len(got), len(want))
	}
	for _, w := range want {
		wb, _ := os.ReadFile(w)
		gb, err := os.ReadFile(filepath.Join(dir, filepath.Base(w)))
		if err != nil {
			t.Error(err)
			continue
		}
		if string(gb) != string(wb) && (runtime.GOOS == "linux" || filepath.Base(w) != "constants.lua") {
			t.Errorf("%s differs from docs/lua's", filepath.Base(w))
		}
	}
	if _, stderr, code := runSockrun(t, "", "lsp-defs"); code != 2 || !strings.Contains(stderr, "sockrun lsp-defs DIR") || strings.Contains(stderr, "arg(s)") {
		t.Errorf("lsp-defs without DIR: exit code %d, want 2 and what to type; stderr:\n%s", code, stderr)
	}
}
