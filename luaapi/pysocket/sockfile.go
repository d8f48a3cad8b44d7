package pysocket

import (
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// The framing reads of the Python face, and sock:makefile. They read
// through the core's receive buffer, which recv shares, so mixing them
// with recv never loses or reorders a byte.

// defaultMaxLine is how long a line recvline, recvuntil and a file's
// readline take by default before they raise.
const defaultMaxLine = 64 << 10

// optMax reads an optional positive byte limit at stack index n.
func optMax(L *lua.LState, n int, fn string) int {
	max := api.OptInt(L, n, fn, 1, defaultMaxLine)
	if max < 1 {
		api.ArgError(L, n-1, fn, "max must be positive")
	}
	return max
}

// socketRecvExactly is sock:recv_exactly(n): exactly n bytes; raises an
// EOFError, with what came in err.partial, if the stream ends first.
func (py *Module) socketRecvExactly(L *lua.LState) int {
	s := CheckSocket(L, "recv_exactly")
	n := api.CheckInt(L, 2, "recv_exactly", 1)
	if n < 0 {
		api.ArgError(L, 1, "recv_exactly", "negative count")
	}
	data, err := s.RecvExactly(L, n)
	if err != nil {
		py.vm.Raise(L, err, "recv_exactly", s.PeerString())
	}
	L.Push(s.dataValue(data))
	return 1
}

// socketRecvline is sock:recvline([max]): the next line without its end
// of line ("\n" or "\r\n"), or nil at the end of the stream.
func (py *Module) socketRecvline(L *lua.LState) int {
	s := CheckSocket(L, "recvline")
	max := optMax(L, 2, "recvline")
	return py.pushLine(L, s, max, "recvline")
}

// pushLine reads the next line of s for fn (recvline, or a lines
// iterator) and pushes it, or nil at the end of the stream.
func (py *Module) pushLine(L *lua.LState, s *Socket, max int, fn string) int {
	line, ok, err := s.RecvLine(L, max)
	if err != nil {
		py.vm.Raise(L, err, fn, s.PeerString())
	}
	if !ok {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(line))
	}
	return 1
}

// linesIterator is the iterator of sock:lines and f:lines: the lines of
// s, until the stream ends; closed reports a closed socket or file.
func (py *Module) linesIterator(L *lua.LState, s *Socket, max int, closed func() bool) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		if closed() {
			py.vm.Raise(L, unix.EBADF, "lines", "")
		}
		return py.pushLine(L, s, max, "lines")
	})
}

// socketRecvuntil is sock:recvuntil(delim [, max]): the bytes up to and
// including delim.
func (py *Module) socketRecvuntil(L *lua.LState) int {
	s := CheckSocket(L, "recvuntil")
	delim := api.CheckBytes(L, 2, "recvuntil", 1)
	if delim == "" {
		api.ArgError(L, 1, "recvuntil", "empty delimiter")
	}
	max := optMax(L, 3, "recvuntil")
	data, err := s.RecvUntil(L, delim, max)
	if err != nil {
		py.vm.Raise(L, err, "recvuntil", s.PeerString())
	}
	L.Push(s.dataValue(data))
	return 1
}

// socketLines is sock:lines([max]): an iterator over the lines received,
// for a generic for: each without its end of line, until the stream ends.
func (py *Module) socketLines(L *lua.LState) int {
	s := CheckSocket(L, "lines")
	max := optMax(L, 2, "lines")
	L.Push(py.linesIterator(L, s, max, s.IsClosed))
	return 1
}

// SocketFile is what sock:makefile returns: Python's buffered reader and
// writer over a socket. Reads share the socket's receive buffer; writes
// are kept until flush, close or fileBufSize bytes.
type SocketFile struct {
	s                *Socket
	mode             string
	readable, writes bool
	wbuf             []byte
	closed           bool
}

const (
	socketFileMetaName = "socket.file"
	fileBufSize        = 8192
)

// socketFileType is the object sock:makefile returns.
var socketFileType = &api.Type{
	Name:    "socketfile",
	Meta:    socketFileMetaName,
	Summary: "a file over a socket: `sock:makefile(mode)`",
	Methods: func() []api.Func {
		return []api.Func{
			api.Method("read", "f:read([n])", "n bytes, fewer only at the end of the stream; with no n, all until the end", (*Module).fileRead).
				Receives(api.Result(1)).Params(api.Size).Returns(api.Data),
			api.Method("readline", "f:readline([max])", "the next line with its \"\\n\", \"\" at the end of the stream", (*Module).fileReadline).
				Receives(api.Result(1)).Params(api.Size).Returns(api.Data),
			api.Method("lines", "f:lines([max])", "an iterator over the lines, without their end of line", (*Module).fileLines).
				Receives(api.FromIterator).Params(api.Size).Returns(api.T("fun(): string?")),
			api.Method("write", "f:write(data)", "buffers data to send; returns its length", (*Module).fileWrite).
				Sends(api.Arg("data")).Params(api.Data).Returns(api.Int),
			api.Method("flush", "f:flush()", "sends what write buffered", (*Module).fileFlush).
				Sends(api.FromBuffer),
			api.Method("close", "f:close()", "flushes and closes the file (not the socket)", (*Module).fileClose).
				Sends(api.FromBuffer),
		}
	},
	Metamethods: map[string]lua.LGFunction{
		"__tostring": func(L *lua.LState) int {
			f := api.CheckSelf[*SocketFile](L, "__tostring", "socket file", "f")
			state := ""
			if f.closed {
				state = " [closed]"
			}
			L.Push(lua.LString("<socket file mode=" + f.mode + state + " " + f.s.String() + ">"))
			return 1
		},
	},
}

// socketMakefile is sock:makefile([mode]): a buffered file over the
// socket; mode is "r" (default), "w", "rw", with an optional "b".
func socketMakefile(L *lua.LState) int {
	s := CheckSocket(L, "makefile")
	mode := "r"
	if L.Get(2) != lua.LNil {
		mode = api.CheckBytes(L, 2, "makefile", 1)
	}
	m := strings.ReplaceAll(mode, "b", "")
	if m == "" || strings.Trim(m, "rw") != "" || strings.Count(m, "r") > 1 || strings.Count(m, "w") > 1 {
		api.ArgError(L, 1, "makefile", "invalid mode "+mode+" (only r, w and b allowed)")
	}
	f := &SocketFile{s: s, mode: mode, readable: strings.Contains(m, "r"), writes: strings.Contains(m, "w")}
	L.Push(api.NewObject(L, f, socketFileMetaName))
	return 1
}

// checkFile returns the open file method fn was called on, checking it
// may read (or write).
func (py *Module) checkFile(L *lua.LState, fn string, write bool) *SocketFile {
	f := api.CheckSelf[*SocketFile](L, fn, "socket file", "f")
	switch {
	case f.closed:
		api.RaiseOS(L, &api.OSError{Class: "ValueError", Message: "I/O operation on closed file", Op: fn})
	case write && !f.writes:
		api.RaiseOS(L, &api.OSError{Class: "io.UnsupportedOperation", Message: "not writable", Op: fn})
	case !write && !f.readable:
		api.RaiseOS(L, &api.OSError{Class: "io.UnsupportedOperation", Message: "not readable", Op: fn})
	case f.s.IsClosed():
		py.vm.Raise(L, unix.EBADF, fn, "")
	}
	return f
}

// fileRead is f:read([n]).
func (py *Module) fileRead(L *lua.LState) int {
	f := py.checkFile(L, "read", false)
	var data string
	var err error
	if L.Get(2) == lua.LNil {
		data, err = f.s.RecvAll(L)
	} else {
		n := api.CheckInt(L, 2, "read", 1)
		if n < 0 {
			data, err = f.s.RecvAll(L)
		} else {
			data, err = f.s.Recv(L, n, unix.MSG_WAITALL)
		}
	}
	if err != nil {
		py.vm.Raise(L, err, "read", f.s.PeerString())
	}
	L.Push(lua.LString(data))
	return 1
}

// fileReadline is f:readline([max]).
func (py *Module) fileReadline(L *lua.LState) int {
	f := py.checkFile(L, "readline", false)
	max := optMax(L, 2, "readline")
	line, err := f.s.RecvUntil(L, "\n", max)
	if inc, ok := err.(*core.IncompleteError); ok {
		line, err = inc.Partial, nil
	}
	if err != nil {
		py.vm.Raise(L, err, "readline", f.s.PeerString())
	}
	L.Push(lua.LString(line))
	return 1
}

// fileLines is f:lines([max]).
func (py *Module) fileLines(L *lua.LState) int {
	f := py.checkFile(L, "lines", false)
	max := optMax(L, 2, "lines")
	L.Push(py.linesIterator(L, f.s, max, func() bool { return f.closed || f.s.IsClosed() }))
	return 1
}

// fileWrite is f:write(data).
func (py *Module) fileWrite(L *lua.LState) int {
	f := py.checkFile(L, "write", true)
	data := api.CheckBytes(L, 2, "write", 1)
	f.wbuf = append(f.wbuf, data...)
	if len(f.wbuf) >= fileBufSize {
		py.flush(L, f, "write")
	}
	L.Push(lua.LNumber(len(data)))
	return 1
}

// flush sends what f buffered.
func (py *Module) flush(L *lua.LState, f *SocketFile, fn string) {
	if len(f.wbuf) == 0 {
		return
	}
	n, err := f.s.SendAll(L, f.wbuf, 0)
	f.wbuf = f.wbuf[:copy(f.wbuf, f.wbuf[n:])]
	if err != nil {
		py.vm.Raise(L, err, fn, f.s.PeerString())
	}
}

// fileFlush is f:flush().
func (py *Module) fileFlush(L *lua.LState) int {
	f := py.checkFile(L, "flush", true)
	py.flush(L, f, "flush")
	return 0
}

// fileClose is f:close(): flushes, then closes the file; the socket stays
// open, as in Python. Closing twice does nothing.
func (py *Module) fileClose(L *lua.LState) int {
	f := api.CheckSelf[*SocketFile](L, "close", "socket file", "f")
	if f.closed {
		return 0
	}
	if f.writes && !f.s.IsClosed() {
		py.flush(L, f, "close")
	}
	f.closed = true
	return 0
}
