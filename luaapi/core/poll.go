package core

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The poll loop under both faces' select (Python's select.select,
// LuaSocket's socket.select): a look at the descriptors holding the
// interpreter lock, then, if nothing is ready, a wait in poll(2) with the
// lock released, which the run's end (or a signal due in the main thread)
// cuts short.

// The poll events each select list waits for (read, write, except), and
// the returned events that make an element ready: those select(2) uses,
// so that a socket with an error or a hung-up peer is readable (a read
// then tells what happened).
var (
	PollWant  = [3]int16{unix.POLLIN, unix.POLLOUT, unix.POLLPRI}
	PollReady = [3]int16{
		unix.POLLIN | unix.POLLHUP | unix.POLLERR | unix.POLLNVAL,
		unix.POLLOUT | unix.POLLERR | unix.POLLNVAL,
		unix.POLLPRI | unix.POLLNVAL,
	}
)

// Poll looks whether the descriptors of fds are ready, holding the
// interpreter lock, as a socket call tries its system call first; if none
// is and timeout is not 0, it releases the lock of c's thread and waits
// until one is, timeout passes (negative: never), c's wait context is done
// or closed reports true, and takes the lock back. The returned events are
// in fds. While it waits it touches only fds and what closed reads, which
// must be safe without the lock (the sockets' closed flags). The caller
// looks at the context afterwards: an interrupted wait returns no error.
func Poll(h Host, c Caller, fds []unix.PollFd, timeout time.Duration, closed func() bool) error {
	n, err := pollNow(fds)
	if err != nil || n > 0 || timeout == 0 {
		return err
	}
	Release(h, c, func(ctx context.Context) {
		err = pollWait(ctx, fds, timeout, closed)
	})
	return err
}

// Release runs f with the interpreter lock of c's thread released, and
// takes it back: the one hand-off of a blocking call that is not one of a
// socket's (a name lookup, a sleep, a wait for another thread). f gets the
// context c's waits watch, and must end when it is done; it must not touch
// Lua.
func Release(h Host, c Caller, f func(ctx context.Context)) {
	ctx := h.WaitContext(c)
	h.Unlock(c)
	defer h.Lock(c)
	f(ctx)
}

// pollNow polls fds without waiting.
func pollNow(fds []unix.PollFd) (int, error) {
	for {
		n, err := unix.Poll(fds, 0)
		if err != unix.EINTR {
			return n, wrapPollErr(err)
		}
	}
}

// pollCloseCheck is how often a waiting poll looks whether one of its
// sockets was closed by another thread: closing a descriptor does not wake
// poll(2), and its number may be reused at once by a new socket.
const pollCloseCheck = 100 * time.Millisecond

// pollWait polls fds until one is ready, timeout passes (negative: never),
// ctx is done or closed reports true, leaving the returned events in fds.
// An eventfd in the poll set, written when ctx ends, makes Ctrl-C end the
// wait at once; closed is checked every pollCloseCheck. poll blocks an OS
// thread, not the netpoller.
func pollWait(ctx context.Context, fds []unix.PollFd, timeout time.Duration, closed func() bool) error {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return os.NewSyscallError("eventfd", err)
	}
	defer unix.Close(efd)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(efd, one[:])
	})
	defer func() {
		if !stop() {
			<-fired // do not close efd while it is being written
		}
	}()
	set := make([]unix.PollFd, len(fds)+1)
	copy(set, fds)
	set[len(fds)] = unix.PollFd{Fd: int32(efd), Events: unix.POLLIN}
	defer copy(fds, set) // the returned events
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for ctx.Err() == nil && !closed() {
		slice := pollCloseCheck
		if timeout > 0 {
			slice = min(slice, time.Until(deadline))
		}
		n, err := unix.Poll(set, pollMillis(slice))
		if err == nil && n > 0 {
			// Ready, or the eventfd (interrupted: the caller looks at ctx).
			return nil
		}
		if err != nil && err != unix.EINTR {
			return wrapPollErr(err)
		}
		// Nothing yet, or a signal (Go's preemption, say): poll again for
		// the rest of the time.
		if timeout > 0 && !time.Now().Before(deadline) {
			return nil
		}
	}
	return nil
}

// pollMillis is d in poll's milliseconds, rounded up so that a short
// timeout waits rather than spins, and capped to poll's range.
func pollMillis(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(ms)
}

func wrapPollErr(err error) error {
	if err == nil {
		return nil
	}
	return os.NewSyscallError("poll", err)
}
