package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// ErrInterrupted is the cause the host gives the run's context when the run
// is interrupted by Ctrl-C or SIGTERM.
var ErrInterrupted = errors.New("interrupted")

// ErrExited is the cause the host gives the run's context when the script
// called os.exit.
var ErrExited = errors.New("exited")

// OSError is the Go side of the error value a failed socket call raises: the
// fields of Python's OSError plus the operation and address it concerned.
type OSError struct {
	Class   string // Python's exception class: "ConnectionRefusedError", "TimeoutError", ...
	Errno   int    // the errno (negative for name-resolution errors, as Python's gaierror)
	Name    string // the errno's name: "ECONNREFUSED"
	Message string // strerror: "Connection refused"
	Op      string // the socket call: "connect"
	Addr    string // the address it concerned, if any: "127.0.0.1:9"
	// Explanation is one line on the likely cause, when it is a common
	// mistake (explain.go).
	Explanation string
	// Partial is what a framing read got before the stream ended
	// (err.partial), if it is such an error.
	Partial *string
	// Library and Reason are an ssl error's library ("SSL") and OpenSSL's
	// name of what went wrong ("DECRYPTION_FAILED_OR_BAD_RECORD_MAC"), as
	// Python's ssl.SSLError has them; "" for other errors.
	Library, Reason string
	// Err is the Go error it came from, if any: errors.As and errors.Is
	// see through an OSError to it (a syscall.Errno, core.ErrTimeout, a
	// *net.DNSError, the run's context error).
	Err error
}

// Unwrap is the Go error the OSError came from.
func (e *OSError) Unwrap() error { return e.Err }

// Error formats the error as Python prints it, plus the call and address:
// "ConnectionRefusedError: [Errno 111] Connection refused (connect 127.0.0.1:9)".
// An ssl error prints its message alone, as Python's does:
// "ssl.SSLError: [SSL: ...] ... (recv 127.0.0.1:443)".
func (e *OSError) Error() string {
	var b strings.Builder
	b.WriteString(e.Class)
	b.WriteString(": ")
	if e.Errno != 0 && e.Class != "KeyboardInterrupt" && e.Message != "timed out" && !strings.HasPrefix(e.Class, "ssl.") {
		fmt.Fprintf(&b, "[Errno %d] ", e.Errno)
	}
	b.WriteString(e.Message)
	if e.Op != "" {
		b.WriteString(" (")
		b.WriteString(e.Op)
		if e.Addr != "" {
			b.WriteString(" ")
			b.WriteString(e.Addr)
		}
		b.WriteString(")")
	}
	return b.String()
}

// errnoClass is Python's OSError subclass for an errno.
func errnoClass(errno syscall.Errno) string {
	switch errno {
	case unix.ECONNREFUSED:
		return "ConnectionRefusedError"
	case unix.ECONNRESET:
		return "ConnectionResetError"
	case unix.ECONNABORTED:
		return "ConnectionAbortedError"
	case unix.EPIPE, unix.ESHUTDOWN:
		return "BrokenPipeError"
	case unix.EAGAIN, unix.EALREADY, unix.EINPROGRESS:
		return "BlockingIOError"
	case unix.ETIMEDOUT:
		return "TimeoutError"
	case unix.EINTR:
		return "InterruptedError"
	case unix.ENOENT:
		return "FileNotFoundError"
	case unix.EEXIST:
		return "FileExistsError"
	case unix.EACCES, unix.EPERM:
		return "PermissionError"
	}
	return "OSError"
}

// Strerror is the C library's message for errno, as Python shows it.
func Strerror(errno syscall.Errno) string {
	msg := errno.Error()
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// ErrnoName is the name of errno as Python's errno.errorcode has it, which
// for two numbers is not the name x/sys picks.
func ErrnoName(errno syscall.Errno) string {
	switch errno {
	case unix.EDEADLK:
		return "EDEADLOCK"
	case unix.EUCLEAN:
		return "EUCLEAN"
	}
	return unix.ErrnoName(errno)
}

// errnoAliases are the other names of errnos, which are constants of the
// socket module too: socket.EWOULDBLOCK == socket.EAGAIN.
var errnoAliases = map[string]syscall.Errno{
	"EWOULDBLOCK": unix.EWOULDBLOCK,
	"EOPNOTSUPP":  unix.EOPNOTSUPP,
	"EDEADLK":     unix.EDEADLK,
}

// ErrnoConsts are every errno as a module constant: by its name
// (ErrnoName), and by its other names (socket.EWOULDBLOCK).
func ErrnoConsts() []Const {
	var consts []Const
	for e := syscall.Errno(1); e < 134; e++ {
		if name := ErrnoName(e); name != "" {
			consts = append(consts, Const{name, lua.LNumber(e)})
		}
	}
	for name, e := range errnoAliases {
		consts = append(consts, Const{name, lua.LNumber(e)})
	}
	return consts
}

// ErrnoError builds the OSError of a plain errno.
func ErrnoError(errno syscall.Errno, op, addr string) *OSError {
	return &OSError{
		Class:   errnoClass(errno),
		Errno:   int(errno),
		Name:    ErrnoName(errno),
		Message: Strerror(errno),
		Op:      op,
		Addr:    addr,
	}
}

// GaiError is the socket.gaierror of code from call op on addr (an
// unknown code is EAI_NONAME).
func GaiError(code core.GaiError, op, addr string) *OSError {
	if !code.Known() {
		code = core.EAINoName
	}
	return &OSError{Class: "socket.gaierror", Errno: int(code), Name: code.Name(), Message: code.Error(), Op: op, Addr: addr}
}

// TimeoutError is the error of a call that ran past its socket timeout.
func TimeoutError(op, addr string) *OSError {
	return &OSError{Class: "TimeoutError", Errno: int(unix.ETIMEDOUT), Name: "ETIMEDOUT", Message: "timed out", Op: op, Addr: addr}
}

// InterruptError is the error of a call cut short by Ctrl-C or SIGTERM.
func InterruptError(op, addr string) *OSError {
	return &OSError{Class: "KeyboardInterrupt", Errno: int(unix.EINTR), Name: "EINTR", Message: "interrupted", Op: op, Addr: addr}
}

// ToOSError turns a Go error from a socket call into the OSError scripts
// see, keeping the errno wherever the error chain has one.
func ToOSError(ctx context.Context, err error, op, addr string) *OSError {
	e := classify(ctx, err, op, addr)
	if e.Err == nil && e != err {
		e.Err = err
	}
	return e
}

// classify is toOSError's reading of err.
func classify(ctx context.Context, err error, op, addr string) *OSError {
	var oe *OSError
	if errors.As(err, &oe) {
		if oe.Op == "" {
			e := *oe
			e.Op, e.Addr = op, addr
			return &e
		}
		return oe
	}
	var inc *core.IncompleteError
	if errors.As(err, &inc) {
		return &OSError{Class: "EOFError", Name: "EOF", Message: inc.Error(), Op: op, Addr: addr, Partial: &inc.Partial}
	}
	var long *core.TooLongError
	if errors.As(err, &long) {
		e := ErrnoError(unix.EMSGSIZE, op, addr)
		e.Message = long.Error()
		return e
	}
	var gai core.GaiError
	if errors.As(err, &gai) {
		return GaiError(gai, op, addr)
	}
	if ctx != nil && ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			return &OSError{Class: "TimeoutError", Errno: int(unix.ETIMEDOUT), Name: "ETIMEDOUT", Message: "run deadline reached", Op: op, Addr: addr}
		}
		return InterruptError(op, addr)
	}
	if errors.Is(err, core.ErrTimeout) || errors.Is(err, os.ErrDeadlineExceeded) {
		return TimeoutError(op, addr)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsTemporary || dnsErr.IsTimeout:
			return GaiError(core.EAIAgain, op, addr)
		case dnsErr.IsNotFound:
			return GaiError(core.EAINoName, op, addr)
		}
		return GaiError(core.EAIFail, op, addr)
	}
	var addrErr *net.AddrError
	if errors.As(err, &addrErr) {
		return GaiError(core.EAINoName, op, addr)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return ErrnoError(errno, op, addr)
	}
	if errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed) {
		return ErrnoError(unix.EBADF, op, addr)
	}
	return &OSError{Class: "OSError", Message: err.Error(), Op: op, Addr: addr}
}

// errorMeta is the metatable of error values: printable, concatenable.
const errorMetaName = "socket.error"

func openErrorMeta(L *lua.LState) {
	mt := L.NewTypeMetatable(errorMetaName)
	L.SetField(mt, "__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(errorString(L.CheckTable(1))))
		return 1
	}))
	L.SetField(mt, "__concat", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(concatPart(L.Get(1)) + concatPart(L.Get(2))))
		return 1
	}))
}

func concatPart(v lua.LValue) string {
	if t, ok := v.(*lua.LTable); ok {
		return errorString(t)
	}
	return lua.LVAsString(v)
}

// errorString formats an error table as OSError.Error does.
func errorString(t *lua.LTable) string {
	e := OSError{
		Class:   lua.LVAsString(t.RawGetString("class")),
		Errno:   int(lua.LVAsNumber(t.RawGetString("errno"))),
		Name:    lua.LVAsString(t.RawGetString("name")),
		Message: lua.LVAsString(t.RawGetString("message")),
		Op:      lua.LVAsString(t.RawGetString("op")),
		Addr:    lua.LVAsString(t.RawGetString("addr")),
	}
	return e.Error()
}

// ErrorValue is the Lua error value of e: a table with errno, name,
// message, op, addr, class and where (the script's file:line).
func ErrorValue(L *lua.LState, e *OSError) *lua.LTable {
	t := L.CreateTable(0, 8)
	t.RawSetString("class", lua.LString(e.Class))
	t.RawSetString("errno", lua.LNumber(e.Errno))
	t.RawSetString("name", lua.LString(e.Name))
	t.RawSetString("message", lua.LString(e.Message))
	t.RawSetString("op", lua.LString(e.Op))
	if e.Addr != "" {
		t.RawSetString("addr", lua.LString(e.Addr))
	}
	if e.Partial != nil {
		t.RawSetString("partial", lua.LString(*e.Partial))
	}
	if e.Library != "" {
		t.RawSetString("library", lua.LString(e.Library))
	}
	if e.Reason != "" {
		t.RawSetString("reason", lua.LString(e.Reason))
	}
	if e.Explanation != "" {
		t.RawSetString("explanation", lua.LString(e.Explanation))
	}
	if where := ScriptWhere(L); where != "" {
		t.RawSetString("where", lua.LString(where))
	}
	L.SetMetatable(t, L.GetTypeMetatable(errorMetaName))
	return t
}

// ScriptWhere is the script's file:line that made the current call: the
// innermost Lua function on the stack, skipping Go functions such as pcall,
// as L.RaiseError does. It is "" if there is none. (The bound is there
// because gopher-lua's GetStack can answer the bottom frame for any level
// past a tail call.)
func ScriptWhere(L *lua.LState) string {
	// A function pcall called runs on a coroutine of pcall's: past its
	// frames, the line is the caller's (lua51's pcall frames read "[G]").
	for s := L; s != nil; s = s.Parent {
		for level := 0; level < 200; level++ {
			w := s.Where(level)
			if w == "" {
				break
			}
			if !strings.HasPrefix(w, "[G]") {
				return strings.TrimSuffix(w, ":")
			}
		}
	}
	return ""
}

// Raise raises err, from the socket call op on addr, as a Lua error value:
// the one way an error of a socket call reaches the script. It does not
// return.
//
// The socket the call concerned, for the explanation, is its first
// argument: the self of a method, the socket of send_fds.
func (vm *VM) Raise(L *lua.LState, err error, op, addr string) {
	ctx := vm.CallContext(L)
	if ctx.Err() != nil && vm.host.Context().Err() == nil && vm.intr != nil && vm.IsMain(L) {
		// A signal due in the main thread ended the wait: its handlers
		// run and a KeyboardInterrupt is raised here, once.
		vm.intr.Take(L, op)
		ctx = vm.CallContext(L)
	}
	e := ToOSError(ctx, err, op, addr)
	if e.Explanation == "" && e.Class != "KeyboardInterrupt" {
		if x := explain(e, explainable(L.Get(1))); x != "" {
			c := *e
			c.Explanation = x
			e = &c
		}
	}
	RaiseOS(L, e)
}

// Throw raises v, an error value or a message that already says where:
// every error sockrun's functions raise reaches the script through it
// (VM.Raise and RaiseOS for failed calls, Misuse for wrong use).
func Throw(L *lua.LState, v lua.LValue) {
	L.Error(v, 0)
}

// RaiseOS raises e as the script's error value.
func RaiseOS(L *lua.LState, e *OSError) {
	Throw(L, ErrorValue(L, e))
}

// Misuse raises a message about a wrong use of a function, at the
// script's line: "echo.lua:12: bad argument #1 to 'bind' (...)".
func Misuse(L *lua.LState, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if where := ScriptWhere(L); where != "" {
		msg = where + ": " + msg
	}
	Throw(L, lua.LString(msg))
}

// IsErrorValue reports whether v is a socket error value, and returns its
// message as Python prints it.
func IsErrorValue(v lua.LValue) (string, bool) {
	t, ok := v.(*lua.LTable)
	if !ok || t.RawGetString("class") == lua.LNil || t.RawGetString("message") == lua.LNil {
		return "", false
	}
	msg := errorString(t)
	if where := lua.LVAsString(t.RawGetString("where")); where != "" {
		msg = where + ": " + msg
	}
	return msg, true
}

// ErrorObject is the Lua value a failed PCall raised.
func ErrorObject(err error) lua.LValue {
	if apiErr, ok := err.(*lua.ApiError); ok && apiErr.Object != nil {
		return apiErr.Object
	}
	return lua.LString(err.Error())
}

// RaiseTimeout raises the timeout error of op, as a socket call does.
func RaiseTimeout(L *lua.LState, op string) {
	RaiseOS(L, TimeoutError(op, ""))
}
