package base

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// Base is the base-library replacements' state in one VM, which the
// globals, io, os, string.rep and sockrun modules share: the run's
// standard streams as the io functions see them, and the configuration
// they read.
type Base struct {
	vm *api.VM

	args, interpreter []string          // arg: the script and its arguments, the interpreter's
	vars              map[string]string // vars
	maxRecv           int               // limits.max_recv, for io.read's counts
	maxMemory         int64             // limits.max_memory, for string.rep
	version           string            // sockrun.version
	worker, workers   int               // sockrun.worker, sockrun.workers

	stdin *lineReader
	// stdout and stderr are the run's standard output and error as the
	// scripts write to them: print, io.write, io.stdout:write and
	// io.stderr:write, with the lock released while a write waits.
	stdout, stderr *api.Stream

	// input and output are the default files (io.input, io.output);
	// openFiles the files open now, closed when the run ends.
	input, output lua.LValue
	filesMu       sync.Mutex
	openFiles     map[*fileState]struct{}
}

// globals is the module whose instance the package's modules share.
var globals = &api.Module{
	Name:    "_G",
	Kind:    api.ExtendGlobal,
	Summary: "the globals sockrun adds: vars, arg and a print that goes through the host",
	Doc:     "docs/api.md",
	Funcs: []api.Func{
		api.Method("print", "print(...)", "writes its arguments, tab-separated, and a newline to standard output in one write", (*Base).basePrint).
			Params(api.Any),
	},
	Setup: api.SetupOf((*Base).setupGlobals),
	New:   newBase,
	Defs:  "sockrun.lua",
	Values: []api.Value{
		{Name: "vars", Type: "table<string, string>", Summary: "the script's parameters, strings: `--var port=9000` gives `vars.port == \"9000\"`"},
		{Name: "arg", Type: "table<integer, string>", Summary: "the script's path (`arg[0]`) and the arguments after it (`arg[1]`, ..., also the script's `...`); the program and the options before the script at the negative indices"},
		{Name: "gcinfo", Type: "fun(): integer", Summary: "the KiB of memory in use, a whole number (Lua 5.1's; `collectgarbage(\"count\")` has the fraction too)"},
	},
}

func newBase(vm *api.VM) any {
	cfg := vm.Config()
	m := &Base{
		vm: vm, args: cfg.Args, interpreter: cfg.Interpreter, vars: cfg.Vars,
		maxRecv: vm.MaxRecv(), maxMemory: cfg.MaxMemory,
		version: cfg.Version, worker: cfg.Worker, workers: cfg.Workers,
		stdout: api.StreamOf(vm.Host().Stdout()), stderr: api.StreamOf(vm.Host().Stderr()),
		openFiles: map[*fileState]struct{}{},
	}
	vm.OnClose(m.closeFiles)
	return m
}

// shared is the New of the package's other modules: the globals' instance.
func shared(vm *api.VM) any { return vm.Instance(globals) }

func init() {
	api.Register(globals)
	api.Register(&api.Module{
		Name:    "io",
		New:     shared,
		Defs:    "sockrun.lua",
		Kind:    api.ExtendGlobal,
		Summary: "Lua 5.1's io library on sockrun's own files, the lock released while a read or a write waits",
		Doc:     "docs/api.md",
		Funcs: []api.Func{
			api.Method("write", "io.write(...)", "writes strings and numbers to the default output; returns true", (*Base).ioWriteFn).
				Params(api.T("string|number")).Returns(api.T("boolean?")),
			api.Method("read", "io.read(formats...)", "reads lines (\"*l\"), numbers (\"*n\"), counts of bytes or the rest (\"*a\") from the default input, the lock released while it waits", (*Base).ioReadFn).
				Params(api.T("string|integer")).Returns(api.T("string|number|nil").Named("...")),
			api.Method("lines", "io.lines([filename])", "an iterator over the lines of a file, closed at its end, or of the default input", (*Base).ioLinesFn).
				Params(api.Str).Returns(api.T("fun(): string?")),
			api.Method("open", "io.open(filename [, mode])", "opens a file as C's fopen (\"r\", \"w\", \"a\", with \"+\" and \"b\"): the file, or nil, a message and an errno", (*Base).ioOpen).
				Params(api.Str, api.Str).Returns(api.T("sockrun.file?"), api.T("string?"), api.T("integer?")),
			api.Method("popen", "io.popen(prog [, mode])", "runs prog with /bin/sh and returns a file reading its output (\"r\") or writing its input (\"w\")", (*Base).ioPopen).
				Params(api.Str, api.Str).Returns(api.T("sockrun.file?"), api.T("string?"), api.T("integer?")),
			api.Method("tmpfile", "io.tmpfile()", "a new temporary file, read and written, removed when closed", (*Base).ioTmpfile).
				Returns(api.T("sockrun.file?")),
			api.Method("close", "io.close([file])", "closes file, or the default output", (*Base).ioClose).
				Params(api.T("sockrun.file")).Returns(api.T("boolean?"), api.T("string?")),
			api.Method("flush", "io.flush()", "writes what the default output buffered", (*Base).ioFlush).
				Returns(api.T("boolean?")),
			api.Method("input", "io.input([file])", "sets the default input to file (a name is opened for reading); returns the default input", (*Base).ioInput).
				Params(api.T("string|sockrun.file")).Returns(api.T("sockrun.file")),
			api.Method("output", "io.output([file])", "sets the default output to file (a name is opened for writing); returns the default output", (*Base).ioOutput).
				Params(api.T("string|sockrun.file")).Returns(api.T("sockrun.file")),
			api.Fn("type", "io.type(obj)", "\"file\" for an open file, \"closed file\" for a closed one, nil for anything else", ioType).
				Params(api.Any).Returns(api.T("string?")),
		},
		Types: []*api.Type{fileType},
		Setup: api.SetupOf((*Base).setupIO),
	})
	api.Register(&api.Module{
		Name:    "os",
		New:     shared,
		Defs:    "sockrun.lua",
		Kind:    api.ExtendGlobal,
		Summary: "os.exit that closes every socket, os.execute that lets the other threads run, and os.date as C's strftime",
		Doc:     "docs/api.md",
		Funcs: []api.Func{
			api.Method("exit", "os.exit([code])", "ends the run with code, closing every socket", (*Base).osExit).
				Params(api.T("integer|boolean")),
			api.Method("execute", "os.execute([command])", "runs command with /bin/sh, the other threads going on meanwhile; its wait status as C's system()", (*Base).osExecute).
				Params(api.Str).Returns(api.Int),
			api.Fn("date", "os.date([format [, time]])", "the date formatted as C's strftime, or a table for \"*t\"", osDate).
				Params(api.Str, api.Int).Returns(api.T("string|osdate")),
		},
	})
}

// setupGlobals sets the globals arg and vars.
func (m *Base) setupGlobals(L *lua.LState, _ *lua.LTable) {
	args := L.CreateTable(len(m.args), 1+len(m.interpreter))
	for i, a := range m.args {
		args.RawSetInt(i, lua.LString(a))
	}
	for i, a := range m.interpreter {
		args.RawSetInt(i-len(m.interpreter), lua.LString(a))
	}
	L.SetGlobal("arg", args)

	vars := L.CreateTable(0, len(m.vars))
	for k, v := range m.vars {
		vars.RawSetString(k, lua.LString(v))
	}
	L.SetGlobal("vars", vars)

	m.stdin = &lineReader{r: bufio.NewReader(m.vm.Host().Stdin())}
}

// printBufs are print's and io.write's buffers, reused across calls.
var printBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// basePrint is print(...): writes its arguments, tostring'ed as Lua 5.1
// does (numbers as %.14g) and separated by tabs, and a newline to
// standard output in one write.
func (m *Base) basePrint(L *lua.LState) int {
	bp := printBufs.Get().(*[]byte)
	b := lua51.AppendPrint(L, (*bp)[:0], 1, L.GetTop())
	b = append(b, '\n')
	*bp = b
	m.write(L, m.stdout, bp, "print")
	return 0
}

// writeArgs writes the arguments from index first on (strings or
// numbers) to st in one write, so that it interleaves with print: io.write
// and the write method of io.stdout and io.stderr, named fn.
func (m *Base) writeArgs(L *lua.LState, st *api.Stream, first int, fn string) error {
	bp := printBufs.Get().(*[]byte)
	b, bad := appendWriteArgs(L, (*bp)[:0], first)
	*bp = b
	if bad != 0 {
		printBufs.Put(bp)
		api.ArgError(L, bad-first+1, fn, "string expected, got "+api.TypeName(L.Get(bad)))
	}
	return m.write(L, st, bp, fn)
}

// appendWriteArgs appends to b what write writes of the arguments from
// index first on: strings as they are, numbers as Lua 5.1 prints them. It
// stops at the first argument that is neither and returns its index as
// bad (0 when every one was written).
func appendWriteArgs(L *lua.LState, b []byte, first int) (_ []byte, bad int) {
	for i := first; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			b = append(b, v...)
		case lua.LNumber:
			b = lua51.AppendNumber(b, float64(v))
		default:
			return b, i
		}
	}
	return b, 0
}

// ExitBrokenPipe is the exit code of a run stopped because its standard
// output was closed: 128 + SIGPIPE, what a shell reports for a process
// SIGPIPE killed, so that a pipeline with pipefail reads it the same.
const ExitBrokenPipe = 128 + 13

// write writes *bp, one of printBufs, to st with the interpreter lock
// released while the write waits (a reader that stalls stalls this thread
// alone), gives the buffer back once written and returns the write's
// error. Ctrl-C ends the wait (the bytes stay queued, written once the
// reader takes them). If the reader of standard output has gone (sockrun
// s.lua | head -1), the run stops cleanly, as os.exit(141) would: every
// socket closed, nothing more printed.
func (m *Base) write(L *lua.LState, st *api.Stream, bp *[]byte, fn string) error {
	written, err := m.vm.Write(L, st, *bp)
	if !written {
		m.vm.RaiseIfInterrupted(L, fn)
		return nil // still queued: the buffer is not given back
	}
	if cap(*bp) <= 64<<10 {
		printBufs.Put(bp)
	}
	if st == m.stdout && errors.Is(err, syscall.EPIPE) {
		m.vm.CloseAll()
		m.vm.Host().Exit(L, ExitBrokenPipe)
	}
	return err
}

// osExit is os.exit([code]): ends the run with code (true is 0, false 1;
// a string that is a number counts as that number, as in Lua 5.1),
// closing every socket.
func (m *Base) osExit(L *lua.LState) int {
	code := 0
	switch v := L.Get(1).(type) {
	case lua.LBool:
		if !v {
			code = 1
		}
	case lua.LNumber:
		code = int(v)
	case lua.LString:
		n, ok := lua51.ParseNumber(string(v))
		if !ok {
			api.ArgError(L, 1, "exit", "number or boolean expected, got string")
		}
		code = int(n)
	case *lua.LNilType:
	default:
		api.ArgError(L, 1, "exit", "number or boolean expected, got "+api.TypeName(v))
	}
	m.vm.CloseAll()
	m.vm.Host().Exit(L, code)
	return 0
}

// osExecute is os.execute([command]): command run by /bin/sh with the
// process's standard streams, and its wait status as C's system() gives it
// (lua51.SystemStatus); with no command, 1 (a shell is there). The
// interpreter lock is released while the command runs, as for any wait:
// the other threads go on. If the run is interrupted meanwhile (Ctrl-C,
// its end), the command is killed and the interruption raised.
func (m *Base) osExecute(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		L.Push(lua.LNumber(1))
		return 1
	}
	cmd := exec.Command("/bin/sh", "-c", checkString(L, 1, "execute"))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	var err error
	finished := false
	m.vm.Release(L, func(ctx context.Context) {
		if err = cmd.Start(); err != nil {
			finished = true
			return
		}
		stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
		err = cmd.Wait()
		finished = stop()
	})
	if !finished {
		m.raiseInterrupt(L, "execute")
	}
	L.Push(lua.LNumber(lua51.SystemStatus(err)))
	return 1
}

// lineReader reads standard input for io.read and io.lines. A read runs on
// its own goroutine so that Ctrl-C can end the wait even though a terminal
// read cannot be interrupted; mu keeps reads in order.
type lineReader struct {
	mu sync.Mutex
	r  *bufio.Reader
}

// ioRead is io.read(formats...) on standard input: "l" (a line without its
// newline, the default), "L" (with it), "n" (a number), "a" (the rest), or
// a byte count. nil at end of input. The interpreter lock is released
// while it waits.
func (m *Base) ioRead(L *lua.LState, first int) int {
	top := L.GetTop()
	var formats []lua.LValue
	for i := first; i <= top; i++ {
		formats = append(formats, L.Get(i))
	}
	if len(formats) == 0 {
		formats = []lua.LValue{lua.LString("l")}
	}
	for i, f := range formats {
		switch v := f.(type) {
		case lua.LNumber:
			if math.IsNaN(float64(v)) {
				api.ArgError(L, i+1, "read", "number has no integer representation")
			}
		case lua.LString:
			fs := strings.TrimPrefix(string(v), "*")
			if fs == "" || !strings.Contains("lLna", fs[:1]) {
				api.ArgError(L, i+1, "read", "invalid format")
			}
		default:
			api.ArgError(L, i+1, "read", "invalid format")
		}
	}
	type result struct {
		vals []lua.LValue
	}
	ctx := m.vm.CallContext(L)
	maxRecv := m.maxRecv
	done := make(chan result, 1)
	m.vm.Unlock(L)
	go func() {
		m.stdin.mu.Lock()
		defer m.stdin.mu.Unlock()
		defer func() {
			// Never a Go stack trace: a read that panics reads nothing.
			if r := recover(); r != nil {
				m.vm.Host().Stderr().Write(m.vm.Log(api.Message{Kind: "internal", Text: fmt.Sprintf("internal error reading stdin: %v", r)}))
				done <- result{[]lua.LValue{lua.LNil}}
			}
		}()
		var vals []lua.LValue
		for _, f := range formats {
			v := readFormat(m.stdin.r, f, maxRecv)
			vals = append(vals, v)
			if v == lua.LNil {
				break
			}
		}
		done <- result{vals}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
	}
	m.vm.Lock(L)
	if res.vals == nil {
		m.vm.Raise(L, ctx.Err(), "read", "stdin")
	}
	for _, v := range res.vals {
		L.Push(v)
	}
	return len(res.vals)
}

// readFormat reads one io.read format from r, a count at most maxRecv
// bytes (limits.max_recv). It touches no Lua state: the values it makes
// are plain strings and numbers.
func readFormat(r *bufio.Reader, f lua.LValue, maxRecv int) lua.LValue {
	if n, ok := f.(lua.LNumber); ok {
		if n < 1 { // 0, and a negative count as 0: nothing read
			if _, err := r.Peek(1); err != nil {
				return lua.LNil
			}
			return lua.LString("")
		}
		return readCount(r, min(count(n), int64(maxRecv)))
	}
	format := strings.TrimPrefix(string(f.(lua.LString)), "*")[0]
	switch format {
	case 'l', 'L':
		line, err := r.ReadString('\n')
		if err != nil && line == "" {
			return lua.LNil
		}
		if format == 'l' {
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		}
		return lua.LString(line)
	case 'n':
		return readNumber(r)
	default: // 'a'
		all, _ := io.ReadAll(r)
		return lua.LString(all)
	}
}

// count is a byte count as an int64: the integer part of n (at least 1,
// not NaN), and math.MaxInt64 for a count too large for one (2^63, 1e300,
// math.huge), which reads to the end of input.
func count(n lua.LNumber) int64 {
	if float64(n) >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

// readCount reads up to n bytes from r, fewer at the end of input; nil if
// there are none. It allocates for what arrives, never for n up front: a
// huge count is a request to read to the end, not a size to reserve.
func readCount(r *bufio.Reader, n int64) lua.LValue {
	var b bytes.Buffer
	if got, _ := b.ReadFrom(io.LimitReader(r, n)); got == 0 {
		return lua.LNil
	}
	return lua.LString(b.String())
}

// readNumber reads a numeral as Lua 5.3's io.read("n") does: it skips
// white space, then takes the longest prefix that can start a numeral
// (sign, digits, a point, an exponent; 0x for hex), leaves the next byte
// unread and converts what it took: nil if that is no number ("12abc"
// reads 12 and leaves "abc").
func readNumber(r *bufio.Reader) lua.LValue {
	var buf []byte
	c, err := r.ReadByte()
	for err == nil && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
		c, err = r.ReadByte()
	}
	if err != nil {
		return lua.LNil
	}
	// accept takes the look-ahead byte c if it is one of set.
	accept := func(set string) bool {
		if err != nil || strings.IndexByte(set, c) < 0 || len(buf) >= 200 {
			return false
		}
		buf = append(buf, c)
		c, err = r.ReadByte()
		return true
	}
	digits := func(hex bool) int {
		n := 0
		set := "0123456789"
		if hex {
			set = "0123456789abcdefABCDEF"
		}
		for accept(set) {
			n++
		}
		return n
	}
	accept("-+")
	hex, count := false, 0
	if accept("0") {
		if accept("xX") {
			hex = true
		} else {
			count = 1
		}
	}
	count += digits(hex)
	if accept(".") {
		count += digits(hex)
	}
	exp := "eE"
	if hex {
		exp = "pP"
	}
	if count > 0 && accept(exp) {
		accept("-+")
		digits(false)
	}
	if err == nil {
		r.UnreadByte()
	}
	return parseNumber(string(buf), hex)
}

// parseNumber converts a numeral read by readNumber, nil if it is none.
func parseNumber(s string, hex bool) lua.LValue {
	if !hex {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return lua.LNumber(v)
		}
		return lua.LNil
	}
	if !strings.ContainsAny(s, ".pP") {
		sign, digits := 1.0, s
		if digits != "" && (digits[0] == '-' || digits[0] == '+') {
			if digits[0] == '-' {
				sign = -1
			}
			digits = digits[1:]
		}
		if v, err := strconv.ParseUint(digits[min(2, len(digits)):], 16, 64); err == nil && len(digits) > 2 {
			return lua.LNumber(sign * float64(v))
		}
		return lua.LNil
	}
	if !strings.ContainsAny(s, "pP") {
		s += "p0"
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return lua.LNumber(v)
	}
	return lua.LNil
}
