// Command sockrun runs Lua scripts that speak real sockets.
package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/sockrun/sockrun/runner"
	"golang.org/x/sys/unix"
)

func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, runner.HandledSignals()...)
	// A write to a closed standard output (sockrun s.lua | head -1) fails
	// with EPIPE, which print turns into a clean stop, instead of killing
	// the process with SIGPIPE before it closes its sockets.
	signal.Ignore(syscall.SIGPIPE)
	dir, _ := os.Getwd()
	// Socket activation's sockets and sd_notify's socket are sockrun's,
	// not its children's.
	systemd := runner.TakeSystemd(os.Environ(), os.Getpid())
	for _, k := range runner.SystemdVars {
		os.Unsetenv(k)
	}
	os.Exit(runner.Main(&runner.Env{
		Systemd:  systemd,
		Args:     os.Args[1:],
		Program:  os.Args[0],
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Environ:  os.Environ(),
		Dir:      dir,
		Terminal: isTerminal(os.Stdin) && isTerminal(os.Stdout),
		Signals:  signals,
	}))
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
