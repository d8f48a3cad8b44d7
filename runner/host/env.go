package host

import (
	"io"
	"os"
	"strings"
)

// Env is everything of the process that a run touches: arguments, standard
// streams, environment, working directory and signals. main hands in the
// real ones; tests hand in their own.
type Env struct {
	Args []string // without the program name
	// Program is the program's name as it was run (argv[0]), a script's
	// arg[-1] or below; "sockrun" if empty.
	Program string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string // KEY=value
	Dir     string   // working directory, where sockrun.yaml is looked for
	// Terminal says standard input and output are a terminal: sockrun
	// with no script opens the prompt rather than reading the script
	// from standard input.
	Terminal bool
	// Signals delivers the signals a run handles (runner.HandledSignals);
	// nil for none.
	Signals <-chan os.Signal
	// Systemd is what a service manager handed the process (TakeSystemd):
	// inherited listening sockets, the socket for sd_notify.
	Systemd Systemd
}

// EnvironMap is Environ as a map, KEY to value.
func (env *Env) EnvironMap() map[string]string {
	m := make(map[string]string, len(env.Environ))
	for _, kv := range env.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// Exit codes of a run.
const (
	ExitOK          = 0   // the script ended normally
	ExitError       = 1   // a Lua runtime error
	ExitUsage       = 2   // usage errors, a missing script, a syntax error, a bad config
	ExitInterrupted = 130 // Ctrl-C or SIGTERM
)
