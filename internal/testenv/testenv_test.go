package testenv

import (
	"strings"
	"testing"
)

// recorder is a TB that records how a test would have ended.
type recorder struct{ logged, skipped, failed string }

func (r *recorder) Helper()           {}
func (r *recorder) Log(args ...any)   { r.logged = args[0].(string) }
func (r *recorder) Skip(args ...any)  { r.skipped = args[0].(string) }
func (r *recorder) Fatal(args ...any) { r.failed = args[0].(string) }

// TestMissing: a missing tool skips the test, or fails it under CI=true;
// a tool that is there ends nothing.
func TestMissing(t *testing.T) {
	for _, c := range []struct {
		ci         string
		skip, fail bool
	}{
		{"", true, false},
		{"false", true, false},
		{"true", false, true},
		{"1", false, true},
	} {
		t.Setenv("CI", c.ci)
		r := &recorder{}
		Tool(r, "sockrun-no-such-tool")
		skipped, failed := r.skipped, r.failed
		if (skipped != "") != c.skip || (failed != "") != c.fail {
			t.Errorf("CI=%q: skipped %q, failed %q", c.ci, skipped, failed)
		}
		if msg := skipped + failed; !strings.Contains(msg, "sockrun-no-such-tool is not installed") {
			t.Errorf("CI=%q: the reason %q does not name the tool", c.ci, msg)
		}
	}
	t.Setenv("CI", "true")
	r := &recorder{}
	if path := Tool(r, "sh"); path == "" || r.skipped != "" || r.failed != "" {
		t.Errorf("sh: path %q, skipped %q, failed %q", path, r.skipped, r.failed)
	}
	if path := OptionalTool(r, "sockrun-no-such-tool", "not compared"); path != "" || !strings.Contains(r.failed, "sockrun-no-such-tool is not installed") {
		t.Errorf("OptionalTool under CI: path %q, failed %q", path, r.failed)
	}
	t.Setenv("CI", "")
	r = &recorder{}
	if path := OptionalTool(r, "sockrun-no-such-tool", "not compared"); path != "" || r.failed != "" || r.skipped != "" || !strings.Contains(r.logged, "not compared") {
		t.Errorf("OptionalTool: path %q, failed %q, skipped %q, logged %q", path, r.failed, r.skipped, r.logged)
	}
	t.Setenv("CI", "true")
	File(r, "/no/such/file", "a test file")
	if !strings.Contains(r.failed, "/no/such/file is missing (a test file)") {
		t.Errorf("File under CI: failed %q", r.failed)
	}
	r = &recorder{}
	t.Setenv("SOCKRUN_TESTENV_UNSET", "")
	Getenv(r, "SOCKRUN_TESTENV_UNSET", "a directory")
	if !strings.Contains(r.failed, "SOCKRUN_TESTENV_UNSET is not set (a directory)") {
		t.Errorf("Getenv under CI: failed %q", r.failed)
	}
}
