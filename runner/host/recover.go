package host

import (
	"fmt"
	"io"
)

// recoverTo, deferred first in every goroutine the host starts, turns a Go
// panic that would end the process with a stack trace into one line on
// stderr naming where it happened. (A panic inside a Lua call is already
// a Lua error: PCall recovers it.) runtime.Goexit, os.exit's way out, is
// not a panic and passes.
func recoverTo(stderr io.Writer, what string) {
	if r := recover(); r != nil && stderr != nil {
		fmt.Fprintf(stderr, "sockrun: internal error in %s: %v\n", what, r)
	}
}
