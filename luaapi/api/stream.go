package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
	"syscall"
	"time"

	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// A Stream is a writer the scripts write to through the VM (standard
// output, standard error), written as a socket is: a write tries first
// holding the interpreter lock, and if it would wait (a full pipe, a
// terminal after Ctrl-S, a pager that stopped reading) the rest is queued
// and the lock released while it waits, as CPython writes to a file. So a
// stalled reader stalls the thread that writes, not the whole server.
// Each write is whole (two threads' lines never interleave inside a line)
// and the writes come out in the order they were made: one goroutine at a
// time writes the queue, in turn. A wait for a write ends with the run
// (Ctrl-C), though the write itself stays queued: a blocked pipe cannot
// be unblocked.
//
// How a write tries without waiting depends on what w is:
//   - a regular file, or a device that is not a terminal (/dev/null),
//     never makes a write wait: it is written at once;
//   - a pipe or a terminal is opened again, with a file description of its
//     own in non-blocking mode (on Linux, /proc/self/fd/N): a write there
//     returns at once with what the reader had room for, and the rest
//     waits in Go's poller, not in the kernel. The descriptor sockrun was
//     given keeps its mode: the shell's terminal is not touched;
//   - any other descriptor (a socket) is asked with poll whether a write
//     of at most PIPE_BUF bytes would be made at once;
//   - any other writer is always written by the queue's goroutine.
type Stream struct {
	w io.Writer
	// rc is w's descriptor when w is a file; never says a write to it
	// never waits.
	rc    syscall.RawConn
	never bool

	// nb is w opened again in non-blocking mode, nbrc its descriptor;
	// nil if w is no pipe or terminal, or could not be.
	nbOnce sync.Once
	nb     *os.File
	nbrc   syscall.RawConn
	// nbTry is st.writeNonBlocking, bound once; nbBuf, nbN and nbErr its
	// argument and results. Only the stream's one writer uses them.
	nbTry func(fd uintptr) bool
	nbBuf []byte
	nbN   int
	nbErr error

	mu      sync.Mutex // guards what follows
	queue   []*streamWrite
	head    int
	pending int           // bytes queued
	writing bool          // a write is being made, or a goroutine writes the queue
	idle    chan struct{} // closed when writing ends
}

// streamWrite is one write queued: done, if not nil, gets its error once
// written.
type streamWrite struct {
	b    []byte
	done chan error
}

// streams are the Streams of the writers seen so far, one per writer, so
// that every VM of the process (--workers) writing to standard output
// queues in the same line.
var streams sync.Map // io.Writer → *Stream

// StreamOf returns the Stream that writes to w: the same for the same w.
func StreamOf(w io.Writer) *Stream {
	if t := reflect.TypeOf(w); t == nil || !t.Comparable() {
		return newStream(w) // cannot be a map key: a stream of its own
	}
	if st, ok := streams.Load(w); ok {
		return st.(*Stream)
	}
	v, _ := streams.LoadOrStore(w, newStream(w))
	st := v.(*Stream)
	// Before the script runs: the descriptor it opens is not one the
	// script's sockets come before.
	st.nbOnce.Do(st.openNonBlocking)
	return st
}

func newStream(w io.Writer) *Stream {
	st := &Stream{w: w}
	f, ok := w.(*os.File)
	if !ok {
		return st
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return st
	}
	st.rc = rc
	rc.Control(func(fd uintptr) {
		var sb unix.Stat_t
		if unix.Fstat(int(fd), &sb) != nil {
			return
		}
		switch sb.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			st.never = true
		case unix.S_IFCHR:
			_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
			st.never = err != nil // a device that is not a terminal
		}
	})
	return st
}

// openNonBlocking opens st's pipe or terminal again, in non-blocking mode
// (see Stream), if it can.
func (st *Stream) openNonBlocking() {
	if st.rc == nil || st.never {
		return
	}
	st.rc.Control(func(fd uintptr) {
		var sb unix.Stat_t
		if unix.Fstat(int(fd), &sb) != nil {
			return
		}
		if t := sb.Mode & unix.S_IFMT; t != unix.S_IFIFO && t != unix.S_IFCHR {
			return // a socket: /proc cannot open it
		}
		before, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			return
		}
		nfd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != nil {
			return
		}
		// Where opening it again shares the file description (dup, as
		// /dev/fd does on other systems), the given descriptor changed
		// mode too: undo it and keep to poll.
		if after, err := unix.FcntlInt(fd, unix.F_GETFL, 0); err != nil || after != before {
			unix.FcntlInt(fd, unix.F_SETFL, before)
			unix.Close(nfd)
			return
		}
		nb := os.NewFile(uintptr(nfd), "stream")
		nbrc, err := nb.SyscallConn()
		if err != nil {
			nb.Close()
			return
		}
		st.nb, st.nbrc, st.nbTry = nb, nbrc, st.writeNonBlocking
	})
}

// writeNonBlocking writes what the descriptor takes of st.nbBuf now,
// adding the count to st.nbN: RawConn.Write's callback, which never lets
// it wait.
func (st *Stream) writeNonBlocking(fd uintptr) bool {
	for st.nbN < len(st.nbBuf) {
		k, err := unix.Write(int(fd), st.nbBuf[st.nbN:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if err != unix.EAGAIN {
				st.nbErr = os.NewSyscallError("write", err)
			}
			break
		}
		st.nbN += k
	}
	return true
}

// pipeBuf is the most bytes a write to a pipe with room makes at once
// (PIPE_BUF): a longer one may wait for the reader halfway.
const pipeBuf = 4096

// try writes what of b can be written at once and returns the count. A
// stream it cannot try on (see Stream) writes nothing: the queue does.
// Called with the interpreter lock held, by the one writer.
func (st *Stream) try(b []byte) (int, error) {
	switch {
	case st.never:
		return st.w.Write(b)
	case st.nb != nil:
		st.nbBuf, st.nbN, st.nbErr = b, 0, nil
		err := st.nbrc.Write(st.nbTry)
		n := st.nbN
		if err == nil {
			err = st.nbErr
		}
		st.nbBuf, st.nbErr = nil, nil
		return n, err
	case st.rc != nil && len(b) <= pipeBuf && st.pollWritable():
		return st.w.Write(b)
	}
	return 0, nil
}

// pollWritable asks poll whether st's descriptor takes a write of at most
// pipeBuf bytes at once (or is broken: the write fails at once).
func (st *Stream) pollWritable() bool {
	ready := false
	st.rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		for {
			k, err := unix.Poll(fds, 0)
			if err == unix.EINTR {
				continue
			}
			ready = err == nil && k == 1 && fds[0].Revents&(unix.POLLOUT|unix.POLLERR|unix.POLLHUP) != 0
			return
		}
	})
	return ready
}

// claim makes the caller the stream's one writer, if nothing is being
// written: it reports whether it did. st.mu is held.
func (st *Stream) claim() bool {
	if st.writing {
		return false
	}
	st.writing = true
	return true
}

// stopWriting ends the stream's writing: Flush's wait, if any, is over.
// st.mu is held.
func (st *Stream) stopWriting() {
	st.writing = false
	if st.idle != nil {
		close(st.idle)
		st.idle = nil
	}
}

// handOn ends a write made by the caller, the stream's writer: the queue's
// goroutine goes on with what was queued meanwhile (another worker's
// writes), if anything. st.mu is held.
func (st *Stream) handOn() {
	if st.head < len(st.queue) {
		go st.drain()
		return
	}
	st.stopWriting()
}

// push queues sw, first if front (what is left of the write being made),
// else last. st.mu is held.
func (st *Stream) push(sw *streamWrite, front bool) {
	st.pending += len(sw.b)
	if !front {
		st.queue = append(st.queue, sw)
		return
	}
	st.queue = append(st.queue, nil)
	copy(st.queue[st.head+1:], st.queue[st.head:])
	st.queue[st.head] = sw
}

// drain writes the queued writes in order, until the queue is empty.
func (st *Stream) drain() {
	w := st.w
	if st.nb != nil {
		w = st.nb // waits in the poller
	}
	for {
		st.mu.Lock()
		if st.head == len(st.queue) {
			clear(st.queue)
			st.queue, st.head = st.queue[:0], 0
			st.stopWriting()
			st.mu.Unlock()
			return
		}
		sw := st.queue[st.head]
		st.queue[st.head] = nil
		st.head++
		st.pending -= len(sw.b)
		st.mu.Unlock()
		_, err := w.Write(sw.b)
		if sw.done != nil {
			sw.done <- err
		}
	}
}

// Write writes b to st in one write, after every write to st made before,
// trying first holding the interpreter lock of L's thread and releasing it
// while the rest waits; it returns whether b was written, and the write's
// error. If the run ends first (or a signal is due in the main thread), it
// returns with written false: the rest is still queued, b must not
// change, and the caller raises the interrupt (RaiseIfInterrupted).
func (vm *VM) Write(L *lua.LState, st *Stream, b []byte) (written bool, err error) {
	st.mu.Lock()
	front := false
	if st.claim() {
		// Nothing queued before it: try it now, as a socket call tries
		// its system call before it waits.
		st.mu.Unlock()
		n, err := st.try(b)
		st.mu.Lock()
		if b = b[n:]; err != nil || len(b) == 0 {
			st.handOn()
			st.mu.Unlock()
			return true, err
		}
		front = true // the rest goes first: what was queued meanwhile came after
	}
	sw := &streamWrite{b: b, done: make(chan error, 1)}
	st.push(sw, front)
	st.mu.Unlock()
	if front {
		go st.drain()
	}
	core.Release(vm, L, func(ctx context.Context) {
		select {
		case err = <-sw.done:
			written = true
		case <-ctx.Done():
		}
	})
	return written, err
}

// maxBacklog is the most bytes Send leaves queued: past it the reader has
// stalled, and what is sent is dropped rather than held.
const maxBacklog = 8 << 20

// Send writes b to st after every write to st made before, without
// waiting for it: for a writer that cannot release the interpreter lock
// (the trace, written as the lock changes hands). It tries at once if
// nothing is queued, and queues a copy of the rest. It reports false,
// writing nothing, when maxBacklog bytes wait already.
func (st *Stream) Send(b []byte) bool { return st.queueCopy(b, true) }

// Post queues b (a copy) to be written after every write to st made
// before, without waiting and whatever is queued already: for sockrun's
// own few messages (an error report, "interrupted twice"), which must not
// wait for a reader that stalled and must not be dropped either.
func (st *Stream) Post(b []byte) { st.queueCopy(b, false) }

// queueCopy is Send (bounded) and Post.
func (st *Stream) queueCopy(b []byte, bounded bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	front := false
	if st.claim() {
		st.mu.Unlock()
		n, err := st.try(b)
		st.mu.Lock()
		if b = b[n:]; err != nil || len(b) == 0 {
			st.handOn()
			return true
		}
		front = true
	} else if bounded && st.pending+len(b) > maxBacklog {
		return false
	}
	st.push(&streamWrite{b: bytes.Clone(b)}, front)
	if front {
		go st.drain()
	}
	return true
}

// Idle returns a channel closed once nothing is queued or being written
// (at once if nothing is).
func (st *Stream) Idle() <-chan struct{} {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.writing {
		return closedChan
	}
	if st.idle == nil {
		st.idle = make(chan struct{})
	}
	return st.idle
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Flush waits until everything queued is written, or d passes; it reports
// whether everything was.
func (st *Stream) Flush(d time.Duration) bool {
	idle := st.Idle()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-idle:
		return true
	case <-t.C:
		return false
	}
}
