package api

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOSErrorUnwraps checks that the error value's Go side keeps the error
// it came from, for errors.Is and errors.As.
func TestOSErrorUnwraps(t *testing.T) {
	e := ToOSError(context.Background(), fmt.Errorf("dial: %w", unix.ECONNREFUSED), "connect", "127.0.0.1:9")
	if e.Name != "ECONNREFUSED" {
		t.Fatalf("name %q", e.Name)
	}
	var errno syscall.Errno
	if !errors.As(e, &errno) || errno != unix.ECONNREFUSED {
		t.Errorf("errors.As found %v", errno)
	}
	if !errors.Is(e, unix.ECONNREFUSED) {
		t.Error("errors.Is does not see ECONNREFUSED")
	}
}
