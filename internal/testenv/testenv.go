package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

// TB is the part of testing.TB the functions here use; *testing.T,
// *testing.B and *testing.F have it.
type TB interface {
	Helper()
	Log(args ...any)
	Skip(args ...any)
	Fatal(args ...any)
}

// CI reports whether the tests run under CI: the variable CI is a true
// boolean ("true", "1" ...), as CI services and .ci/run set it.
func CI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// Missing ends t because something it needs is missing on this machine:
// it skips t with the reason, or fails it under CI, where .ci/run provides
// everything the tests need.
func Missing(t TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatal(reason + "; under CI=true that fails the test")
		return
	}
	t.Skip(reason)
}

// Tool returns the path of the program name, found on PATH; without it, t
// ends as Missing says.
func Tool(t TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed (.ci/run installs it)", name)
	}
	return path
}

// OptionalTool is Tool for a program that only part of a test needs: on
// a developer's machine without it, it logs what goes unchecked (without)
// and returns "", and the test goes on; under CI it fails the test.
func OptionalTool(t TB, name, without string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if CI() {
		t.Fatal(name + " is not installed (.ci/run installs it); under CI=true that fails the test")
		return ""
	}
	t.Log(name + " is not installed: " + without)
	return ""
}

// File makes sure the file path exists (what says what it is and where it
// comes from); without it, t ends as Missing says.
func File(t TB, path, what string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, "%s is missing (%s): %v", path, what, err)
	}
}

// Getenv returns the value of the environment variable name (what says
// what it must hold); unset or empty, t ends as Missing says.
func Getenv(t TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Missing(t, "%s is not set (%s)", name, what)
	}
	return v
}
