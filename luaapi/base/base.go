package base

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
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
	// stdio is the standard io table's own functions.
	stdio stdio
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
	return &Base{
		vm: vm, args: cfg.Args, interpreter: cfg.Interpreter, vars: cfg.Vars,
		maxRecv: vm.MaxRecv(), maxMemory: cfg.MaxMemory,
		version: cfg.Version, worker: cfg.Worker, workers: cfg.Workers,
		stdout: api.StreamOf(vm.Host().Stdout()), stderr: api.StreamOf(vm.Host().Stderr()),
	}
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
		Summary: "io.write, io.read and io.lines on the run's standard streams, the lock released while reading",
		Doc:     "docs/api.md",
		Funcs: []api.Func{
			api.Method("write", "io.write(...)", "writes strings and numbers to the current output; returns the file", (*Base).ioWriteFn).
				Params(api.T("string|number")).Returns(api.T("file*")),
			api.Method("read", "io.read(formats...)", "reads lines (\"l\", \"L\"), numbers (\"n\"), counts of bytes or the rest (\"a\") from the current input, the lock released while it waits", (*Base).ioReadFn).
				Params(api.T("string|integer")).Returns(api.T("string|number|nil").Named("...")),
			api.Method("lines", "io.lines([filename])", "an iterator over the lines of standard input, or of a file", (*Base).ioLinesFn).
				Params(api.Str).Returns(api.T("fun(): string?")),
		},
	})
	api.Register(&api.Module{
		Name:    "os",
		New:     shared,
		Defs:    "sockrun.lua",
		Kind:    api.ExtendGlobal,
		Summary: "os.exit that closes every socket, and os.date as C's strftime",
		Doc:     "docs/api.md",
		Funcs: []api.Func{
			api.Method("exit", "os.exit([code])", "ends the run with code, closing every socket", (*Base).osExit).
				Params(api.T("integer|boolean")),
			api.Fn("date", "os.date([format [, time]])", "the date formatted as C's strftime, or a table for \"*t\"", osDate).
				Params(api.Str, api.Int).Returns(api.T("string|osdate")),
		},
	})
}

// stdio is what the io functions need of the standard library's io table,
// captured before sockrun replaces its functions.
type stdio struct {
	read, lines, write    lua.LValue // the originals, for files other than the standard streams
	input, output, typ    lua.LValue // io.input, io.output and io.type
	stdin, stdout, stderr lua.LValue // io.stdin, io.stdout and io.stderr
}

// setupGlobals sets the globals arg and vars, and keeps what the io
// functions need of the standard io table before they replace its
// functions.
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
	if iolib, ok := L.GetGlobal("io").(*lua.LTable); ok {
		m.stdio = stdio{
			read: iolib.RawGetString("read"), lines: iolib.RawGetString("lines"), write: iolib.RawGetString("write"),
			input: iolib.RawGetString("input"), output: iolib.RawGetString("output"), typ: iolib.RawGetString("type"),
			stdin: iolib.RawGetString("stdin"), stdout: iolib.RawGetString("stdout"), stderr: iolib.RawGetString("stderr"),
		}
	}
	if mt, ok := L.GetTypeMetatable("FILE*").(*lua.LTable); ok {
		orig := mt.RawGetString("write")
		mt.RawSetString("write", L.NewFunction(func(L *lua.LState) int { return m.fileWrite(L, orig) }))
	}
}

// fileWrite is the write method of files (f:write(...)): io.stdout's and
// io.stderr's write to the run's streams as print does, with the lock
// released while the write waits; another file's is orig, the standard
// library's.
func (m *Base) fileWrite(L *lua.LState, orig lua.LValue) int {
	st := m.streamOf(L.Get(1))
	if st == nil || m.closedFile(L, L.Get(1)) {
		return callOriginal(L, orig)
	}
	if err := m.writeArgs(L, st, 2, "write"); err != nil {
		// As the standard library's write: nil, the message, an errno.
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		L.Push(lua.LNumber(1))
		return 3
	}
	L.Push(lua.LTrue)
	return 1
}

// streamOf is the run's stream that file, a standard library file, stands
// for: nil for a file other than io.stdout and io.stderr.
func (m *Base) streamOf(file lua.LValue) *api.Stream {
	switch {
	case file == lua.LNil:
		return nil
	case file == m.stdio.stdout:
		return m.stdout
	case file == m.stdio.stderr:
		return m.stderr
	}
	return nil
}

// closedFile says whether file was closed (io.type says "closed file"):
// the standard library's write then raises as it should.
func (m *Base) closedFile(L *lua.LState, file lua.LValue) bool {
	if m.stdio.typ == lua.LNil {
		return false
	}
	L.Push(m.stdio.typ)
	L.Push(file)
	L.Call(1, 1)
	closed := L.Get(-1) == lua.LString("closed file")
	L.Pop(1)
	return closed
}

// current is io.input() or io.output() (get): the standard stream unless
// the script changed it.
func current(L *lua.LState, get lua.LValue) lua.LValue {
	if get == lua.LNil {
		return lua.LNil
	}
	L.Push(get)
	L.Call(0, 1)
	cur := L.Get(-1)
	L.Pop(1)
	return cur
}

// callOriginal calls the standard library's own version of an io function
// with the arguments of this call, for files other than standard streams.
func callOriginal(L *lua.LState, orig lua.LValue) int {
	L.Insert(orig, 1)
	L.Call(L.GetTop()-1, lua.MultRet)
	return L.GetTop()
}

// ioWriteFn is io.write(...): to the run's standard output (see ioWrite)
// unless the script set another output file.
func (m *Base) ioWriteFn(L *lua.LState) int {
	out := current(L, m.stdio.output)
	st := m.streamOf(out)
	if st == nil || m.closedFile(L, out) {
		return callOriginal(L, m.stdio.write)
	}
	m.writeArgs(L, st, 1, "write")
	L.Push(out)
	return 1
}

// ioReadFn is io.read(formats...): from the run's standard input (see
// ioRead) unless the script set another input file.
func (m *Base) ioReadFn(L *lua.LState) int {
	if current(L, m.stdio.input) != m.stdio.stdin {
		// The standard library's read allocates a count up front: clamp
		// it to limits.max_recv first, as for standard input, so that
		// io.read(2^40) on a file cannot take the machine's memory.
		for i := 1; i <= L.GetTop(); i++ {
			if n, ok := L.Get(i).(lua.LNumber); ok {
				if math.IsNaN(float64(n)) {
					api.ArgError(L, i, "read", "number has no integer representation")
				}
				if max := m.maxRecv; float64(n) > float64(max) {
					L.Replace(i, lua.LNumber(max))
				}
			}
		}
		return callOriginal(L, m.stdio.read)
	}
	return m.ioRead(L, 1)
}

// ioLinesFn is io.lines([filename]): with no file, an iterator over the
// lines of the run's standard input.
func (m *Base) ioLinesFn(L *lua.LState) int {
	if L.GetTop() > 0 {
		return callOriginal(L, m.stdio.lines)
	}
	L.Push(L.NewFunction(func(L *lua.LState) int {
		L.SetTop(0)
		return m.ioRead(L, 1)
	}))
	return 1
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
	b := (*bp)[:0]
	for i := first; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			b = append(b, v...)
		case lua.LNumber:
			b = lua51.AppendNumber(b, float64(v))
		default:
			*bp = b
			printBufs.Put(bp)
			api.ArgError(L, i-first+1, fn, "string expected, got "+api.TypeName(v))
		}
	}
	*bp = b
	return m.write(L, st, bp, fn)
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
