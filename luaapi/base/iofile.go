package base

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// The io library's files: io.open, io.popen, io.tmpfile and the standard
// streams are sockrun's own file objects, which behave as Lua 5.1's (C's
// stdio underneath) but wait as a socket waits: a read or a write that
// needs the system (a buffer to fill or to empty, a pipe, a FIFO, a long
// file) runs with the interpreter lock released, as CPython reads and
// writes files, and Ctrl-C ends a wait on a pipe, a FIFO or a terminal.
// What the buffers hold already is read or written holding the lock, at
// no cost. The standard streams keep their own paths: io.stdout and
// io.stderr write through the run's Streams, io.stdin reads through the
// run's standard input reader.

// fileKind is what a file object stands for.
type fileKind int

const (
	kindFile   fileKind = iota // io.open, io.tmpfile
	kindPipe                   // io.popen
	kindStdin                  // io.stdin
	kindStdout                 // io.stdout
	kindStderr                 // io.stderr
)

// fileMeta is the name of the file objects' metatable in the registry.
const fileMeta = "sockrun.file"

// readBufSize is the size of a file's read buffer; writeBufSize that of
// its write buffer, as C's stdio (BUFSIZ on a disk's block): what a
// script writes reaches the file when that much is waiting, or at a flush,
// a close, a seek, a read, or the end of the run.
const (
	readBufSize  = 64 << 10
	writeBufSize = 4096
)

// vbufMode is a file's buffering (setvbuf).
type vbufMode int

const (
	vbufFull vbufMode = iota
	vbufLine
	vbufNo
)

// luaFile is the value of a file object's userdata. Once no script can
// reach it, a cleanup closes its state (Lua 5.1's __gc): what it buffered
// is written.
type luaFile struct {
	st *fileState
}

// fileState is an open (or closed) file. Its buffers are touched only by
// the goroutine that holds sem, with or without the interpreter lock: a
// thread waiting in a read leaves the lock to others, and a second thread
// using the same file waits for sem, the lock released. closed is read
// and written with the interpreter lock held.
type fileState struct {
	kind   fileKind
	f      *os.File
	cmd    *exec.Cmd // io.popen's command
	closed bool
	// canRead and canWrite are the open mode's.
	canRead, canWrite bool
	// pollable says f waits in Go's poller (a pipe, a FIFO, a terminal):
	// a deadline ends its waits, which is how Ctrl-C ends them.
	pollable bool

	sem  chan struct{} // one holder of the buffers at a time
	rb   *bufio.Reader // read buffer, nil until the first read
	wb   []byte        // written, not yet flushed
	mode vbufMode
	size int // the write buffer's size
}

func newFileState(kind fileKind, f *os.File, canRead, canWrite bool) *fileState {
	st := &fileState{kind: kind, f: f, canRead: canRead, canWrite: canWrite, sem: make(chan struct{}, 1), size: writeBufSize}
	if f != nil {
		st.pollable = f.SetDeadline(time.Time{}) == nil
	}
	return st
}

// tryAcquire takes the buffers if no one holds them.
func (st *fileState) tryAcquire() bool {
	select {
	case st.sem <- struct{}{}:
		return true
	default:
		return false
	}
}

// acquire takes the buffers, waiting for their holder; false if ctx ends
// first.
func (st *fileState) acquire(ctx context.Context) bool {
	select {
	case st.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (st *fileState) release() { <-st.sem }

// watch makes the end of ctx end a wait of st's descriptor (a pollable
// one); the function it returns stops watching and undoes what the end
// did, so that the file is usable again.
func (st *fileState) watch(ctx context.Context) func() {
	if !st.pollable {
		return func() {}
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		st.f.SetDeadline(time.Unix(1, 0))
	})
	return func() {
		if !stop() {
			<-fired
			st.f.SetDeadline(time.Time{})
		}
	}
}

// reader is st's read buffer, made at the first read. Its holder calls it.
func (st *fileState) reader() *bufio.Reader {
	if st.rb == nil {
		st.rb = bufio.NewReaderSize(st.f, readBufSize)
	}
	return st.rb
}

// flush writes what st's write buffer holds. Its holder calls it, without
// the interpreter lock.
func (st *fileState) flush() error {
	if len(st.wb) == 0 {
		return nil
	}
	_, err := st.f.Write(st.wb)
	st.wb = st.wb[:0]
	return err
}

// dropReadAhead gives back to the file what the read buffer read ahead of
// the script, before a write or a seek: the file's position is the
// script's again.
func (st *fileState) dropReadAhead() error {
	if st.rb == nil || st.rb.Buffered() == 0 {
		return nil
	}
	n := st.rb.Buffered()
	st.rb.Reset(st.f)
	_, err := st.f.Seek(int64(-n), io.SeekCurrent)
	return err
}

// closeFile flushes and closes st's descriptor, and for io.popen waits
// for the command. Its holder calls it, without the interpreter lock.
func (st *fileState) closeFile() error {
	err := st.flush()
	if cerr := st.f.Close(); err == nil {
		err = cerr
	}
	if st.cmd != nil {
		// As pclose: the command's exit status is not an error.
		var exit *exec.ExitError
		if werr := st.cmd.Wait(); werr != nil && !errors.As(werr, &exit) && err == nil {
			err = werr
		}
	}
	return err
}

// collect closes a file no script can reach any more: the cleanup of its
// luaFile, and the end of the run. A file in use (a thread waiting in it
// as the run ends) is left to the process's end.
func (st *fileState) collect() {
	if !st.tryAcquire() {
		return
	}
	defer st.release()
	if st.closed || st.f == nil {
		return
	}
	st.closed = true
	if st.pollable {
		// A pipe or FIFO whose reader stalled must not hold the run's
		// end (Ctrl-C) for ever: what it cannot take soon is dropped.
		st.f.SetWriteDeadline(time.Now().Add(collectWait))
	}
	st.closeFile()
}

// collectWait is how long closing a dropped file, or one left open at the
// run's end, waits for a pipe's reader to take what was buffered.
const collectWait = 2 * time.Second

// newFile makes the file object of st.
func (m *Base) newFile(L *lua.LState, st *fileState) *lua.LUserData {
	lf := &luaFile{st: st}
	ud := L.NewUserData()
	ud.Value = lf
	L.SetMetatable(ud, api.Metatable(L, fileMeta))
	if st.kind == kindFile || st.kind == kindPipe {
		m.filesMu.Lock()
		m.openFiles[st] = struct{}{}
		m.filesMu.Unlock()
		// The cleanup may wait (a flush to a stalled FIFO): never on the
		// goroutine that runs every cleanup.
		runtime.AddCleanup(lf, func(st *fileState) {
			go func() {
				st.collect()
				m.forget(st)
			}()
		}, st)
	}
	return ud
}

// forget drops st from the open files.
func (m *Base) forget(st *fileState) {
	m.filesMu.Lock()
	delete(m.openFiles, st)
	m.filesMu.Unlock()
}

// closeFiles closes every file the script left open, writing what they
// buffered: the end of the run.
func (m *Base) closeFiles() {
	m.filesMu.Lock()
	open := make([]*fileState, 0, len(m.openFiles))
	for st := range m.openFiles {
		open = append(open, st)
	}
	clear(m.openFiles)
	m.filesMu.Unlock()
	for _, st := range open {
		st.collect()
	}
}

// toFile is the file at stack index n, nil if the value is none.
func toFile(L *lua.LState, n int) *fileState {
	ud, ok := L.Get(n).(*lua.LUserData)
	if !ok {
		return nil
	}
	lf, ok := ud.Value.(*luaFile)
	if !ok {
		return nil
	}
	return lf.st
}

// typeName is Lua 5.1's name of the type of the argument at n, "no
// value" past the last.
func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// checkFile is the file at stack index n (argument number n in messages),
// raising as luaL_checkudata does if it is none.
func checkFile(L *lua.LState, n int, fn string) *fileState {
	st := toFile(L, n)
	if st == nil {
		api.ArgError(L, n, fn, "FILE* expected, got "+typeName(L, n))
	}
	return st
}

// openFile is the file at stack index 1 (self), open: a closed one
// raises "attempt to use a closed file".
func openFile(L *lua.LState, fn string) *fileState {
	st := checkFile(L, 1, fn)
	if st.closed {
		api.Misuse(L, "attempt to use a closed file")
	}
	return st
}

// pushResult pushes what Lua 5.1's pushresult does: true, or nil, the
// message (the file name first if there is one) and the errno.
func pushResult(L *lua.LState, err error, name string) int {
	if err == nil {
		L.Push(lua.LTrue)
		return 1
	}
	msg, errno := errText(err)
	if name != "" {
		msg = name + ": " + msg
	}
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	L.Push(lua.LNumber(errno))
	return 3
}

// errText is the C library's message and number of err's errno.
func errText(err error) (string, int) {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return api.Strerror(errno), int(errno)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return api.Strerror(syscall.EINTR), int(syscall.EINTR)
	}
	return err.Error(), 0
}

// blocking runs op, the work on st's buffers and descriptor, holding st's
// buffers: at once holding the interpreter lock if fast says the buffers
// can serve it (fast runs holding them), else with the lock released
// while it waits, a Ctrl-C ending the wait. It reports false if the run
// was interrupted before op was done: the caller raises.
func (m *Base) blocking(L *lua.LState, st *fileState, fast func() bool, op func(locked bool)) bool {
	if st.tryAcquire() {
		if fast != nil && fast() {
			op(true)
			st.release()
			return true
		}
		st.release()
	}
	done := false
	m.vm.Release(L, func(ctx context.Context) {
		if !st.acquire(ctx) {
			return
		}
		defer st.release()
		stop := st.watch(ctx)
		defer stop()
		op(false)
		done = true
	})
	return done
}

// raiseInterrupt raises the interrupt of fn: a blocking operation ended
// because the run did (or a signal is due in the main thread).
func (m *Base) raiseInterrupt(L *lua.LState, fn string) {
	m.vm.RaiseIfInterrupted(L, fn)
	api.Misuse(L, "interrupted")
}

// --- opening ---

// openFlags are the open(2) flags of a C fopen mode, as glibc reads it:
// the first letter, then '+' and 'x' among the next six; false if the
// mode is none (EINVAL).
func openFlags(mode string) (flags int, canRead, canWrite, ok bool) {
	if i := strings.IndexByte(mode, 0); i >= 0 {
		mode = mode[:i]
	}
	if mode == "" {
		return 0, false, false, false
	}
	switch mode[0] {
	case 'r':
		flags, canRead = os.O_RDONLY, true
	case 'w':
		flags, canWrite = os.O_WRONLY|os.O_CREATE|os.O_TRUNC, true
	case 'a':
		flags, canWrite = os.O_WRONLY|os.O_CREATE|os.O_APPEND, true
	default:
		return 0, false, false, false
	}
	for _, c := range []byte(mode[1:min(len(mode), 7)]) {
		switch c {
		case '+':
			flags = flags&^(os.O_RDONLY|os.O_WRONLY) | os.O_RDWR
			canRead, canWrite = true, true
		case 'x':
			flags |= os.O_EXCL
		}
	}
	return flags, canRead, canWrite, true
}

// open opens name as fopen(name, mode) does, with the interpreter lock
// released (opening a FIFO waits for its other end): the file object, or
// the error. interrupted says the run ended first.
func (m *Base) open(L *lua.LState, name, mode string) (st *fileState, err error, interrupted bool) {
	flags, canRead, canWrite, ok := openFlags(mode)
	if !ok {
		return nil, syscall.EINVAL, false
	}
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	var res result
	got := false
	m.vm.Release(L, func(ctx context.Context) {
		go func() {
			f, err := os.OpenFile(name, flags|syscall.O_CLOEXEC, 0o666)
			done <- result{f, err}
		}()
		select {
		case res = <-done:
			got = true
		case <-ctx.Done():
			go func() {
				if r := <-done; r.f != nil {
					r.f.Close()
				}
			}()
		}
	})
	if !got {
		return nil, nil, true
	}
	if res.err != nil {
		return nil, res.err, false
	}
	return newFileState(kindFile, res.f, canRead, canWrite), nil, false
}

// ioOpen is io.open(filename [, mode]): the file, or nil, the message and
// the errno.
func (m *Base) ioOpen(L *lua.LState) int {
	name := checkString(L, 1, "open")
	mode := "r"
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		mode = checkString(L, 2, "open")
	}
	st, err, intr := m.open(L, name, mode)
	if intr {
		m.raiseInterrupt(L, "open")
	}
	if err != nil {
		return pushResult(L, err, name)
	}
	L.Push(m.newFile(L, st))
	return 1
}

// checkString is the string (or number, as text) at n, raising as
// luaL_checkstring.
func checkString(L *lua.LState, n int, fn string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return lua51.FormatNumber(float64(v))
	}
	api.ArgError(L, n, fn, "string expected, got "+typeName(L, n))
	return ""
}

// ioTmpfile is io.tmpfile(): a new file, read and written, removed when
// closed (at once, in fact: it has no name).
func (m *Base) ioTmpfile(L *lua.LState) int {
	f, err := os.CreateTemp("", "lua_")
	if err != nil {
		return pushResult(L, err, "")
	}
	os.Remove(f.Name())
	L.Push(m.newFile(L, newFileState(kindFile, f, true, true)))
	return 1
}

// ioPopen is io.popen(prog [, mode]): the command run by /bin/sh, its
// standard output the file read ("r", the default) or its standard input
// the file written ("w").
func (m *Base) ioPopen(L *lua.LState) int {
	prog := checkString(L, 1, "popen")
	mode := "r"
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		mode = checkString(L, 2, "popen")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return pushResult(L, err, prog)
	}
	cmd := exec.Command("/bin/sh", "-c", prog)
	if f, ok := m.vm.Host().Stderr().(*os.File); ok {
		cmd.Stderr = f
	}
	var st *fileState
	if strings.HasPrefix(mode, "w") {
		cmd.Stdin = r
		if f, ok := m.vm.Host().Stdout().(*os.File); ok {
			cmd.Stdout = f
		}
		st = newFileState(kindPipe, w, false, true)
	} else {
		cmd.Stdout = w
		if f, ok := m.vm.Host().Stdin().(*os.File); ok {
			cmd.Stdin = f
		}
		st = newFileState(kindPipe, r, true, false)
	}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return pushResult(L, err, prog)
	}
	if st.f == r {
		w.Close()
	} else {
		r.Close()
	}
	st.cmd = cmd
	L.Push(m.newFile(L, st))
	return 1
}

// --- the default files ---

// ioInput is io.input([file]): sets the default input to file (a name is
// opened for reading) and returns the default input.
func (m *Base) ioInput(L *lua.LState) int { return m.ioFile(L, &m.input, "r", "input") }

// ioOutput is io.output([file]): as io.input, for the default output.
func (m *Base) ioOutput(L *lua.LState) int { return m.ioFile(L, &m.output, "w", "output") }

func (m *Base) ioFile(L *lua.LState, cur *lua.LValue, mode, fn string) int {
	if v := L.Get(1); v != lua.LNil {
		if _, ok := v.(lua.LString); ok || v.Type() == lua.LTNumber {
			name := checkString(L, 1, fn)
			st, err, intr := m.open(L, name, mode)
			if intr {
				m.raiseInterrupt(L, fn)
			}
			if err != nil {
				msg, _ := errText(err)
				api.ArgError(L, 1, fn, name+": "+msg)
			}
			*cur = m.newFile(L, st)
		} else {
			openFile(L, fn)
			*cur = v
		}
	}
	L.Push(*cur)
	return 1
}

// withSelf puts v below the call's arguments, as the method's self.
func withSelf(L *lua.LState, v lua.LValue) {
	L.Insert(v, 1)
}

// ioReadFn is io.read(formats...): file:read on the default input.
func (m *Base) ioReadFn(L *lua.LState) int {
	if m.defaultOf(L, m.input, "input").kind == kindStdin {
		return m.ioRead(L, 1)
	}
	withSelf(L, m.input)
	return m.fileRead(L, 1, "read")
}

// ioWriteFn is io.write(...): file:write on the default output.
func (m *Base) ioWriteFn(L *lua.LState) int {
	m.defaultOf(L, m.output, "output")
	withSelf(L, m.output)
	return m.fileWriteArgs(L, "write")
}

// defaultOf is the default input or output (cur), open: a closed one
// raises "standard input file is closed", as Lua 5.1's getiofile.
func (m *Base) defaultOf(L *lua.LState, cur lua.LValue, what string) *fileState {
	ud, _ := cur.(*lua.LUserData)
	var st *fileState
	if ud != nil {
		if lf, ok := ud.Value.(*luaFile); ok {
			st = lf.st
		}
	}
	if st == nil || st.closed {
		api.Misuse(L, "standard %s file is closed", what)
	}
	return st
}

// ioLinesFn is io.lines([filename]): an iterator over the lines of the
// file, closed once read to its end, or of the default input.
func (m *Base) ioLinesFn(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		L.SetTop(0)
		L.Push(m.input)
		openFile(L, "lines")
		L.Push(m.linesIter(L, m.input, false))
		return 1
	}
	name := checkString(L, 1, "lines")
	st, err, intr := m.open(L, name, "r")
	if intr {
		m.raiseInterrupt(L, "lines")
	}
	if err != nil {
		msg, _ := errText(err)
		api.ArgError(L, 1, "lines", name+": "+msg)
	}
	L.Push(m.linesIter(L, m.newFile(L, st), true))
	return 1
}

// ioClose is io.close([file]): file:close, on the default output without
// one.
func (m *Base) ioClose(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		L.SetTop(0)
		L.Push(m.output)
	}
	return m.fileClose(L)
}

// ioFlush is io.flush(): file:flush on the default output.
func (m *Base) ioFlush(L *lua.LState) int {
	m.defaultOf(L, m.output, "output")
	L.SetTop(0)
	L.Push(m.output)
	return m.fileFlush(L)
}

// ioType is io.type(obj): "file", "closed file", or nil for anything else.
func ioType(L *lua.LState) int {
	if L.GetTop() < 1 {
		api.ArgError(L, 1, "type", "value expected")
	}
	st := toFile(L, 1)
	switch {
	case st == nil:
		L.Push(lua.LNil)
	case st.closed:
		L.Push(lua.LString("closed file"))
	default:
		L.Push(lua.LString("file"))
	}
	return 1
}

// --- methods ---

// fileTostring is tostring(file): "file (0x...)", "file (closed)".
func fileTostring(L *lua.LState) int {
	st := checkFile(L, 1, "tostring")
	if st.closed {
		L.Push(lua.LString("file (closed)"))
	} else {
		L.Push(lua.LString(fmt.Sprintf("file (%p)", L.Get(1).(*lua.LUserData).Value)))
	}
	return 1
}

// fileClose is file:close(): true, or nil, the message and the errno; a
// standard file is not closed.
func (m *Base) fileClose(L *lua.LState) int {
	st := openFile(L, "close")
	if st.kind == kindStdin || st.kind == kindStdout || st.kind == kindStderr {
		L.Push(lua.LNil)
		L.Push(lua.LString("cannot close standard file"))
		return 2
	}
	st.closed = true
	var err error
	if !m.blocking(L, st, nil, func(bool) { err = st.closeFile() }) {
		m.raiseInterrupt(L, "close")
	}
	m.forget(st)
	return pushResult(L, err, "")
}

// fileFlush is file:flush(): writes what the file buffered.
func (m *Base) fileFlush(L *lua.LState) int {
	st := openFile(L, "flush")
	switch st.kind {
	case kindStdout, kindStderr:
		stream := m.stdout
		if st.kind == kindStderr {
			stream = m.stderr
		}
		m.vm.Await(L, stream.Idle(), -1)
		m.vm.RaiseIfInterrupted(L, "flush")
		L.Push(lua.LTrue)
		return 1
	case kindStdin:
		L.Push(lua.LTrue)
		return 1
	}
	var err error
	if !m.blocking(L, st, func() bool { return len(st.wb) == 0 }, func(bool) { err = st.flush() }) {
		m.raiseInterrupt(L, "flush")
	}
	return pushResult(L, err, "")
}

// fileSetvbuf is file:setvbuf(mode [, size]): "no", "full" or "line"
// buffering of what is written.
func (m *Base) fileSetvbuf(L *lua.LState) int {
	st := openFile(L, "setvbuf")
	var mode vbufMode
	switch opt := checkString(L, 2, "setvbuf"); opt {
	case "no":
		mode = vbufNo
	case "full":
		mode = vbufFull
	case "line":
		mode = vbufLine
	default:
		api.ArgError(L, 1, "setvbuf", "invalid option '"+opt+"'")
	}
	size := writeBufSize
	if L.GetTop() >= 3 && L.Get(3) != lua.LNil {
		size = max(1, checkInt(L, 3, 2, "setvbuf"))
	}
	if st.kind != kindFile && st.kind != kindPipe {
		L.Push(lua.LTrue)
		return 1
	}
	var err error
	if !m.blocking(L, st, func() bool { return len(st.wb) == 0 }, func(bool) { err = st.flush() }) {
		m.raiseInterrupt(L, "setvbuf")
	}
	st.mode, st.size = mode, size
	return pushResult(L, err, "")
}

// checkInt is the integer at n (argument arg in messages), as
// luaL_checkinteger: a number or a numeral, truncated.
func checkInt(L *lua.LState, n, arg int, fn string) int {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return int(v)
	case lua.LString:
		if f, ok := lua51.ParseNumber(string(v)); ok {
			return int(f)
		}
	}
	api.ArgError(L, arg, fn, "number expected, got "+typeName(L, n))
	return 0
}

// fileSeek is file:seek([whence [, offset]]): moves to offset from the
// start ("set"), the position ("cur", the default) or the end ("end") and
// returns the new position, or nil, the message and the errno.
func (m *Base) fileSeek(L *lua.LState) int {
	st := openFile(L, "seek")
	whence := io.SeekCurrent
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		switch opt := checkString(L, 2, "seek"); opt {
		case "set":
			whence = io.SeekStart
		case "cur":
			whence = io.SeekCurrent
		case "end":
			whence = io.SeekEnd
		default:
			api.ArgError(L, 1, "seek", "invalid option '"+opt+"'")
		}
	}
	offset := 0
	if L.GetTop() >= 3 && L.Get(3) != lua.LNil {
		offset = checkInt(L, 3, 2, "seek")
	}
	if st.kind != kindFile && st.kind != kindPipe {
		return pushResult(L, syscall.ESPIPE, "")
	}
	var pos int64
	var err error
	if !m.blocking(L, st, nil, func(bool) {
		if err = st.flush(); err != nil {
			return
		}
		off := int64(offset)
		if whence == io.SeekCurrent && st.rb != nil {
			off -= int64(st.rb.Buffered())
		}
		pos, err = st.f.Seek(off, whence)
		if err == nil && st.rb != nil {
			st.rb.Reset(st.f)
		}
	}) {
		m.raiseInterrupt(L, "seek")
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return pushResult(L, err, "")
	}
	L.Push(lua.LNumber(pos))
	return 1
}

// fileWrite is file:write(...): writes strings and numbers (as Lua 5.1
// writes them, %.14g) and returns true, or nil, the message and the
// errno.
func (m *Base) fileWrite(L *lua.LState) int { return m.fileWriteArgs(L, "write") }

// fileWriteArgs writes the arguments from index 2 on to the file at 1.
func (m *Base) fileWriteArgs(L *lua.LState, fn string) int {
	st := openFile(L, fn)
	switch st.kind {
	case kindStdout, kindStderr:
		stream := m.stdout
		if st.kind == kindStderr {
			stream = m.stderr
		}
		if err := m.writeArgs(L, stream, 2, fn); err != nil {
			return pushResult(L, err, "")
		}
		L.Push(lua.LTrue)
		return 1
	case kindStdin:
		return pushResult(L, syscall.EBADF, "")
	}
	bp := printBufs.Get().(*[]byte)
	defer printBufs.Put(bp)
	b, bad := appendWriteArgs(L, (*bp)[:0], 2)
	*bp = b
	if bad != 0 {
		// What came before is written, as Lua 5.1 writes argument by
		// argument.
		m.writeFile(L, st, b, fn)
		api.ArgError(L, bad-1, fn, "string expected, got "+typeName(L, bad))
	}
	if !st.canWrite {
		return pushResult(L, syscall.EBADF, "")
	}
	return pushResult(L, m.writeFile(L, st, b, fn), "")
}

// writeFile writes b to st's buffer, and to the file when the buffering
// says so, with the lock released while that waits.
func (m *Base) writeFile(L *lua.LState, st *fileState, b []byte, fn string) error {
	if len(b) == 0 || !st.canWrite {
		return nil
	}
	fits := func() bool {
		return st.mode == vbufFull && len(st.wb)+len(b) <= st.size && (st.rb == nil || st.rb.Buffered() == 0)
	}
	var err error
	if !m.blocking(L, st, fits, func(bool) {
		if err = st.dropReadAhead(); err != nil {
			return
		}
		if fits() {
			st.wb = append(st.wb, b...)
			return
		}
		switch {
		case st.mode == vbufNo || len(b) >= st.size:
			if err = st.flush(); err == nil {
				_, err = st.f.Write(b)
			}
		case st.mode == vbufLine:
			st.wb = append(st.wb, b...)
			if len(st.wb) >= st.size {
				err = st.flush()
			} else if i := lastNewline(st.wb); i >= 0 {
				// Up to the last newline, as C's line buffering.
				_, err = st.f.Write(st.wb[:i+1])
				st.wb = st.wb[:copy(st.wb, st.wb[i+1:])]
			}
		default:
			if err = st.flush(); err == nil {
				st.wb = append(st.wb, b...)
			}
		}
	}) {
		m.raiseInterrupt(L, fn)
	}
	return err
}

func lastNewline(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}

// fileRead is file:read(formats...).
func (m *Base) fileReadMethod(L *lua.LState) int {
	st := openFile(L, "read")
	if st.kind == kindStdin {
		return m.ioRead(L, 2)
	}
	return m.fileRead(L, 1, "read")
}

// fileFormat is one format of read: a count (n >= 0; -1 for "*a"'s
// rest... see kind), a line, a number or the rest.
type fileFormat struct {
	kind  byte // 'l', 'n', 'a', or 'c' (a count)
	count int64
}

// fileRead reads the formats from index 2 on from the file at 1 (shift
// is what argument numbers in messages subtract: 1 for a method's self).
func (m *Base) fileRead(L *lua.LState, shift int, fn string) int {
	st := openFile(L, fn)
	if st.kind == kindStdout || st.kind == kindStderr {
		return pushResult(L, syscall.EBADF, "")
	}
	top := L.GetTop()
	// Every format is checked first: Lua 5.1 checks each as it reads it,
	// and a read stops at the first that finds nothing, so a bad format
	// after it raises nothing there; formats holds those before the
	// first bad one, bad its index.
	formats := make([]fileFormat, 0, max(1, top-1))
	bad := 0
	for i := 2; i <= top && bad == 0; i++ {
		switch v := L.Get(i).(type) {
		case lua.LNumber:
			formats = append(formats, fileFormat{kind: 'c', count: formatCount(float64(v))})
		case lua.LString:
			if len(v) < 1 || v[0] != '*' {
				bad = i
			} else if len(v) < 2 || strings.IndexByte("nla", v[1]) < 0 {
				bad = -i
			} else {
				formats = append(formats, fileFormat{kind: v[1]})
			}
		default:
			bad = i
		}
	}
	if top < 2 {
		formats = append(formats, fileFormat{kind: 'l'})
	}
	if !st.canRead {
		if len(formats) == 0 {
			m.badFormat(L, bad, shift, fn)
		}
		return pushResult(L, syscall.EBADF, "")
	}
	vals := make([]lua.LValue, 0, len(formats))
	var err error
	next := 0
	more := func() bool {
		return next < len(formats) && err == nil && (len(vals) == 0 || vals[len(vals)-1] != lua.LNil)
	}
	fast := func() bool { return st.rb != nil && len(st.wb) == 0 && served(st.rb, formats[next]) }
	for more() {
		// What the read buffer holds is read holding the lock; the rest
		// with the lock released.
		if !m.blocking(L, st, fast, func(locked bool) {
			if err = st.flush(); err != nil {
				return
			}
			for more() && (!locked || fast()) {
				var v lua.LValue
				v, err = readOne(st, formats[next])
				vals = append(vals, v)
				next++
			}
		}) {
			m.raiseInterrupt(L, fn)
		}
	}
	if err != nil {
		return pushResult(L, err, "")
	}
	if next == len(formats) && bad != 0 && (len(vals) == 0 || vals[len(vals)-1] != lua.LNil) {
		m.badFormat(L, bad, shift, fn)
	}
	for _, v := range vals {
		L.Push(v)
	}
	return len(vals)
}

// badFormat raises the error of the bad format at stack index i (-i: a
// string that starts with '*').
func (m *Base) badFormat(L *lua.LState, i, shift int, fn string) {
	if i < 0 {
		api.ArgError(L, -i-shift, fn, "invalid format")
	}
	api.ArgError(L, i-shift, fn, "invalid option")
}

// formatCount is a byte count as Lua 5.1 takes one (a C cast to size_t): a
// negative count, or one past int64, reads to the end.
func formatCount(n float64) int64 {
	switch {
	case n != n || n >= math.MaxInt64:
		return math.MaxInt64
	case n < 0 && n > -1:
		return 0
	case n < 0:
		return math.MaxInt64
	}
	return int64(n)
}

// served says whether r's buffer holds what f reads, so that it can be
// read holding the interpreter lock.
func served(r *bufio.Reader, f fileFormat) bool {
	n := r.Buffered()
	if n == 0 {
		return false
	}
	b, _ := r.Peek(n)
	switch f.kind {
	case 'c':
		return f.count <= int64(n)
	case 'l':
		return indexByte(b, '\n') >= 0
	case 'n':
		// A number ends at the first space after what it starts with.
		i := 0
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		for ; i < len(b); i++ {
			if isSpace(b[i]) {
				return true
			}
		}
	}
	return false
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// readOne reads one format from st, as Lua 5.1's read: nil where it finds
// nothing ("*a" finds "" at the end). It touches no Lua state.
func readOne(st *fileState, f fileFormat) (lua.LValue, error) {
	r := st.reader()
	switch f.kind {
	case 'c':
		if f.count == 0 {
			if _, err := r.Peek(1); err != nil {
				return lua.LNil, readErr(err)
			}
			return lua.LString(""), nil
		}
		return readBytes(r, f.count)
	case 'l':
		line, err := r.ReadSlice('\n')
		if err == nil {
			return lua.LString(line[:len(line)-1]), nil
		}
		if err != bufio.ErrBufferFull {
			if len(line) == 0 {
				return lua.LNil, readErr(err)
			}
			return lua.LString(line), readErr(err)
		}
		// A long line: gather it.
		b := append([]byte(nil), line...)
		for {
			line, err = r.ReadSlice('\n')
			b = append(b, line...)
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err == nil {
			b = b[:len(b)-1]
		}
		return lua.LString(bytesString(b)), readErr(err)
	case 'n':
		v, err := scanNumber(r)
		return v, readErr(err)
	}
	return readAll(st, r)
}

// readErr is err unless it is the end of the file, which is no error.
func readErr(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// bytesString is b as a string, without a copy: b is not used again.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// readBytes reads up to n bytes: nil if there are none. It allocates for
// what arrives, never n up front: a huge count reads to the end.
func readBytes(r *bufio.Reader, n int64) (lua.LValue, error) {
	b := make([]byte, 0, int(min(n, readBufSize)))
	var err error
	for int64(len(b)) < n {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), int(min(2*int64(cap(b)), n)))
			copy(nb, b)
			b = nb
		}
		var k int
		k, err = r.Read(b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err != nil {
			break
		}
	}
	if len(b) == 0 {
		return lua.LNil, readErr(err)
	}
	return lua.LString(bytesString(b)), readErr(err)
}

// readAll reads to the end: a regular file's rest in one allocation of
// its size, anything else growing geometrically.
func readAll(st *fileState, r *bufio.Reader) (lua.LValue, error) {
	size := r.Buffered()
	if fi, err := st.f.Stat(); err == nil && fi.Mode().IsRegular() {
		if pos, err := st.f.Seek(0, io.SeekCurrent); err == nil && fi.Size() > pos {
			size += int(fi.Size() - pos)
		}
	}
	b := make([]byte, 0, max(size+1, 512))
	var err error
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		var k int
		k, err = r.Read(b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err != nil {
			break
		}
	}
	return lua.LString(bytesString(b)), readErr(err)
}

// scanNumber reads a number as C's fscanf("%lf") does (glibc's): white
// space skipped, then the longest prefix of a numeral (decimal or hex,
// inf, nan), each byte taken being consumed even where the whole is no
// number; nil then.
func scanNumber(r *bufio.Reader) (lua.LValue, error) {
	c, err := r.ReadByte()
	for err == nil && isSpace(c) {
		c, err = r.ReadByte()
	}
	if err != nil {
		return lua.LNil, err
	}
	var buf []byte
	// take keeps c and reads the next byte.
	take := func() {
		buf = append(buf, c)
		c, err = r.ReadByte()
	}
	is := func(set string) bool { return err == nil && strings.IndexByte(set, c) >= 0 }
	done := func(v lua.LValue) (lua.LValue, error) {
		if err == nil {
			r.UnreadByte()
		}
		return v, readErr(err)
	}
	neg := false
	if is("+-") {
		neg = c == '-'
		take()
	}
	sign := 1.0
	if neg {
		sign = -1
	}
	word := func(w string) bool { // a case-insensitive word, taken byte by byte
		for i := 0; i < len(w); i++ {
			if err != nil || (c|0x20) != w[i] {
				return false
			}
			take()
		}
		return true
	}
	switch {
	case is("iI"):
		if !word("inf") {
			return done(lua.LNil)
		}
		if is("iI") {
			word("inity")
		}
		return done(lua.LNumber(sign * math.Inf(1)))
	case is("nN"):
		if !word("nan") {
			return done(lua.LNil)
		}
		return done(lua.LNumber(math.NaN()))
	}
	digits := func(set string) int {
		n := 0
		for is(set) {
			take()
			n++
		}
		return n
	}
	const dec, hexd = "0123456789", "0123456789abcdefABCDEF"
	start := len(buf)
	// numeral takes the digits of set (n already taken), a fraction, and
	// an exponent marked by one of marks (p for hexadecimal, e for
	// decimal), which is exp when there is none.
	numeral := func(set, marks string, n int, exp string) (lua.LValue, error) {
		n += digits(set)
		if is(".") {
			take()
			n += digits(set)
		}
		if n == 0 {
			return done(lua.LNil)
		}
		mant := string(buf[start:])
		if is(marks) {
			e := []byte{marks[0]}
			take()
			if is("+-") {
				e = append(e, c)
				take()
			}
			d := len(buf)
			if digits(dec) > 0 {
				exp = string(append(e, buf[d:]...))
			}
		}
		v, _ := parseFloat(mant + exp)
		return done(lua.LNumber(sign * v))
	}
	if is("0") {
		take()
		if is("xX") {
			take()
			return numeral(hexd, "pP", 0, "p0")
		}
	}
	return numeral(dec, "eE", len(buf)-start, "") // the 0 taken, if any, is a digit
}

// parseFloat converts a numeral scanNumber took, overflowing to infinity
// as strtod does.
func parseFloat(s string) (float64, error) {
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	v, err := strconv.ParseFloat(s, 64)
	if errors.Is(err, strconv.ErrRange) {
		err = nil
	}
	return v, err
}

// linesIter is the iterator of file:lines() and io.lines: each call reads
// a line; at the end nil, and the file closed if close (io.lines(name)).
func (m *Base) linesIter(L *lua.LState, file lua.LValue, close bool) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		ud := file.(*lua.LUserData)
		st := ud.Value.(*luaFile).st
		if st.closed {
			api.Misuse(L, "file is already closed")
		}
		if st.kind == kindStdin {
			L.SetTop(0)
			if m.ioRead(L, 1); L.Get(-1) == lua.LNil {
				return 0
			}
			return 1
		}
		L.SetTop(0)
		L.Push(file)
		L.Push(lua.LString("*l"))
		n := m.fileRead(L, 1, "lines")
		if n == 3 { // nil, message, errno: a read error
			api.Misuse(L, "%s", lua.LVAsString(L.Get(-2)))
		}
		if L.Get(-1) != lua.LNil {
			return 1
		}
		if close {
			L.SetTop(0)
			L.Push(file)
			m.fileClose(L)
		}
		return 0 // nothing at the end, as Lua 5.1
	})
}

// fileLines is file:lines(): an iterator over the file's lines, which
// leaves it open at the end.
func (m *Base) fileLines(L *lua.LState) int {
	openFile(L, "lines")
	L.Push(m.linesIter(L, L.Get(1), false))
	return 1
}

// fileType is the io library's file object.
var fileType = &api.Type{
	Name:    "file",
	Meta:    fileMeta,
	Summary: "a file from io.open, io.popen or io.tmpfile, or a standard stream",
	Methods: func() []api.Func {
		return []api.Func{
			api.Method("read", "file:read(formats...)", "reads lines (\"*l\"), numbers (\"*n\"), counts of bytes or the rest (\"*a\"), the lock released while it waits", (*Base).fileReadMethod).
				Params(api.T("string|integer")).Returns(api.T("string|number|nil").Named("...")),
			api.Method("write", "file:write(...)", "writes strings and numbers; returns true, or nil, a message and an errno", (*Base).fileWrite).
				Params(api.T("string|number")).Returns(api.T("boolean?"), api.T("string?"), api.T("integer?")),
			api.Method("lines", "file:lines()", "an iterator over the file's lines, which leaves it open", (*Base).fileLines).
				Returns(api.T("fun(): string?")),
			api.Method("seek", "file:seek([whence [, offset]])", "moves to offset from the start (\"set\"), the position (\"cur\") or the end (\"end\"); returns the position", (*Base).fileSeek).
				Params(api.Str, api.Int).Returns(api.T("integer?"), api.T("string?"), api.T("integer?")),
			api.Method("setvbuf", "file:setvbuf(mode [, size])", "buffering of what is written: \"no\", \"full\" or \"line\"", (*Base).fileSetvbuf).
				Params(api.Str, api.Int).Returns(api.T("boolean?")),
			api.Method("flush", "file:flush()", "writes what the file buffered", (*Base).fileFlush).
				Returns(api.T("boolean?"), api.T("string?"), api.T("integer?")),
			api.Method("close", "file:close()", "closes the file (a standard stream is not closed); for io.popen, waits for the command", (*Base).fileClose).
				Returns(api.T("boolean?"), api.T("string?"), api.T("integer?")),
		}
	},
	Metamethods: map[string]lua.LGFunction{"__tostring": fileTostring},
	Setup:       setupFileMeta,
}

// setupIO makes the standard streams' file objects (io.stdin, io.stdout,
// io.stderr, the default input and output).
func (m *Base) setupIO(L *lua.LState, mod *lua.LTable) {
	std := func(kind fileKind, canRead, canWrite bool) lua.LValue {
		return m.newFile(L, newFileState(kind, nil, canRead, canWrite))
	}
	stdin, stdout, stderr := std(kindStdin, true, false), std(kindStdout, false, true), std(kindStderr, false, true)
	mod.RawSetString("stdin", stdin)
	mod.RawSetString("stdout", stdout)
	mod.RawSetString("stderr", stderr)
	m.input, m.output = stdin, stdout
}

// setupFileMeta gives the files' metatable Lua 5.1's shape: the methods in
// the metatable itself, its own __index.
func setupFileMeta(L *lua.LState, mt *lua.LTable) {
	if methods, ok := mt.RawGetString("__index").(*lua.LTable); ok {
		methods.ForEach(func(k, v lua.LValue) { mt.RawSet(k, v) })
	}
	mt.RawSetString("__index", mt)
	mt.RawSetString("__name", lua.LNil)
}
