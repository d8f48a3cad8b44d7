package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVarCase: var names are one set whichever source sets them, in any
// case: --var PORT and SOCKRUN_VARS_PORT both set vars.port, and the flag
// wins.
func TestVarCase(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "sockrun.yaml"), []byte("vars:\n  Host: filehost\n  Only: file\n"), 0o644)
	src := writeScript(t, `print(vars.port, vars.host, vars.only, vars.PORT)`)
	p := startIn(t, dir, []string{"SOCKRUN_VARS_PORT=2", "SOCKRUN_VARS_HOST=envhost"}, sockrunBin, "--var", "PORT=3", src)
	p.closeStdin()
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, p.Stderr())
	}
	if got := strings.Join(p.Stdout(), "\n"); got != "3\tenvhost\tfile\tnil" {
		t.Errorf("got %q, want the flag's port, the env's host, the file's only", got)
	}
}

// TestUnknownConfigKey: a key sockrun does not read is warned about, with
// the file's name, and the run goes on; the keys it reads are not.
func TestUnknownConfigKey(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "sockrun.yaml"), []byte(
		"workers: 1\nwokers: 2\ntimeout:\n  default: 1\n  dfault: 2\nvars:\n  x: y\npath: lib/?.lua\ntrace: true\nlimits:\n  memory: 1\n"), 0o644)
	p := startIn(t, dir, nil, sockrunBin, "-e", `print(vars.x)`)
	p.closeStdin()
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, p.Stderr())
	}
	if got := strings.Join(p.Stdout(), "\n"); got != "y" {
		t.Errorf("stdout %q", got)
	}
	want := "sockrun: warning: unknown key \"timeout.dfault\" in sockrun.yaml\n" +
		"sockrun: warning: unknown key \"wokers\" in sockrun.yaml\n"
	if got := p.Stderr(); got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}
