package httpmod

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// Body is a message's body, read on demand from the connection: body:read()
// reads all of it (bounded by limits.max_body), body:read(n) a piece. A
// body not read to its end when the next message is read on the
// connection is read past first (Module.drain).
type Body struct {
	m       *Module
	s       *core.Socket
	server  bool // a request's body: a refusal is returned, not raised
	framing framing
	// left is what is left of the body (byLength) or of the current
	// chunk (byChunks).
	left   int64
	chunk  chunkState
	lim    Limits
	total  int64 // bytes of the body so far
	expect bool  // a 100 Continue is owed before the first read
	// timeout is limits.timeout (negative: not given, and each read has
	// the socket's own timeout); deadline the message's, when given.
	timeout  time.Duration
	deadline time.Time
	refused  *Refusal // why the body cannot be read on
	done     bool
}

// ObjectType implements api.Object.
func (b *Body) ObjectType() string { return "http.body" }

type chunkState int

const (
	chunkSizeLine chunkState = iota // a chunk-size line comes next
	chunkData                       // left bytes of the chunk's data
	chunkEnd                        // the CRLF after a chunk's data
)

var bodyType = &api.Type{
	Name:    "body",
	Meta:    bodyMeta,
	Summary: "a message's body, read from the connection on demand",
	Methods: func() []api.Func {
		return []api.Func{
			api.Fn("read", "body:read([n])", "all of the body (n absent), or the next piece of at most n bytes; \"\" at its end", bodyRead).
				Receives(api.Result(1)).Params(api.Size).Returns(api.Data.As("string?"), api.T("socket.error?").Named("err")),
		}
	},
}

// errEOF is the end of the stream in the middle of a body.
var errEOF = errors.New("end of stream")

// finish marks the body read to its end.
func (b *Body) finish() {
	b.done = true
	if st := b.m.state(b.s, false); st != nil && st.body == b {
		st.body = nil
		b.m.forget(b.s, st)
	}
}

// refuse marks the body unreadable for r.
func (b *Body) refuse(r *Refusal) *Refusal {
	b.refused = r
	return r
}

// piece reads the next bytes of the body, at most max of them, at least
// one unless the body is over (n == 0). With keep it returns them as a
// string; without, it drops them.
func (b *Body) piece(sc *core.Scanner, max int, keep bool) (string, int, *Refusal, error) {
	for !b.done {
		switch b.framing {
		case byChunks:
			if b.chunk != chunkData {
				if r, err := b.chunkFrame(sc); r != nil || err != nil {
					return "", 0, r, err
				}
				continue
			}
		case byLength:
			if b.left == 0 {
				b.finish()
				return "", 0, nil, nil
			}
		}
		buf := sc.Buffered()
		if len(buf) == 0 {
			want := 0
			if b.framing != untilEnd {
				want = int(min(b.left, 1<<20))
			}
			n, err := sc.More(want)
			switch {
			case err != nil:
				return "", 0, nil, err
			case n == 0 && b.framing == untilEnd:
				b.finish()
				return "", 0, nil, nil
			case n == 0:
				return "", 0, nil, errEOF
			}
			continue
		}
		k := min(len(buf), max)
		if b.framing != untilEnd {
			k = int(min(int64(k), b.left))
			b.left -= int64(k)
			if b.left == 0 {
				if b.framing == byLength {
					b.finish()
				} else {
					b.chunk = chunkEnd
				}
			}
		}
		b.total += int64(k)
		if !keep {
			sc.Discard(k)
			return "", k, nil, nil
		}
		return sc.Take(k), k, nil, nil
	}
	return "", 0, nil, nil
}

// line reads the next line of the chunked framing, without its end of
// line; the caller drops n bytes once it has read it. A line longer than
// limits.max_line is refused with tooLong.
func (b *Body) line(sc *core.Scanner, tooLong int) (line []byte, n int, r *Refusal, err error) {
	from := 0
	for {
		buf := sc.Buffered()
		if i := bytes.IndexByte(buf[from:], '\n'); i >= 0 {
			end := from + i + 1
			if end > b.lim.MaxLine {
				return nil, 0, b.refuse(refuse(b.status(tooLong), "line longer than "+strconv.Itoa(b.lim.MaxLine)+" bytes")), nil
			}
			line = buf[:end-1]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			return line, end, nil, nil
		}
		if len(buf) >= b.lim.MaxLine {
			return nil, 0, b.refuse(refuse(b.status(tooLong), "line longer than "+strconv.Itoa(b.lim.MaxLine)+" bytes")), nil
		}
		from = len(buf)
		got, err := sc.More(0)
		switch {
		case err != nil:
			return nil, 0, nil, err
		case got == 0:
			return nil, 0, nil, errEOF
		case got < 0:
			from = 0
		}
	}
}

// status is a refusal's status for the body's side: a client answers a
// broken response with nothing (0).
func (b *Body) status(s int) int {
	if b.server {
		return s
	}
	return 0
}

// chunkFrame reads the framing between two chunks' data: the CRLF after
// the last chunk's data, then the next chunk-size line, or the last
// chunk's trailer (read and dropped), which ends the body.
func (b *Body) chunkFrame(sc *core.Scanner) (*Refusal, error) {
	if b.chunk == chunkEnd {
		line, n, r, err := b.line(sc, 400)
		if r != nil || err != nil {
			return r, err
		}
		if len(line) != 0 {
			return b.refuse(refuse(b.status(400), "chunk longer than its size")), nil
		}
		sc.Discard(n)
		b.chunk = chunkSizeLine
	}
	line, n, r, err := b.line(sc, 400)
	if r != nil || err != nil {
		return r, err
	}
	size, ok := chunkSize(line)
	if !ok {
		return b.refuse(refuse(b.status(400), "bad chunk size")), nil
	}
	sc.Discard(n)
	if size > 0 {
		if b.server && b.total+size > b.lim.MaxBody {
			return b.refuse(refuse(413, "body over "+strconv.FormatInt(b.lim.MaxBody, 10)+" bytes")), nil
		}
		b.left, b.chunk = size, chunkData
		return nil, nil
	}
	// The trailer: header lines up to an empty one, dropped.
	for range b.lim.MaxHeaders + 1 {
		line, n, r, err := b.line(sc, 431)
		if r != nil || err != nil {
			return r, err
		}
		sc.Discard(n)
		if len(line) == 0 {
			b.finish()
			return nil, nil
		}
	}
	return b.refuse(refuse(b.status(431), "too many trailer lines")), nil
}

// all reads the rest of the body, at most limits.max_body bytes of it.
func (b *Body) all(sc *core.Scanner) (string, *Refusal, error) {
	over := func() *Refusal {
		return b.refuse(refuse(b.status(413), "body over "+strconv.FormatInt(b.lim.MaxBody, 10)+" bytes"))
	}
	if b.framing == byLength {
		if b.total+b.left > b.lim.MaxBody {
			return "", over(), nil
		}
		if err := sc.Fill(int(b.left)); err != nil {
			return "", nil, err
		}
		if int64(len(sc.Buffered())) < b.left {
			return "", nil, errEOF
		}
		data, _, r, err := b.piece(sc, int(b.left), true)
		return data, r, err
	}
	var parts strings.Builder
	for {
		data, n, r, err := b.piece(sc, 1<<20, true)
		if r != nil || err != nil {
			return "", r, err
		}
		if n == 0 {
			return parts.String(), nil, nil
		}
		if b.total > b.lim.MaxBody {
			return "", over(), nil
		}
		parts.WriteString(data)
	}
}

// drain reads past the rest of body b before the next message on its
// connection. A refusal is returned; the network's errors are raised.
func (m *Module) drain(L *lua.LState, b *Body, sc *core.Scanner, fn string) *Refusal {
	for !b.done {
		_, _, r, err := b.piece(sc, 1<<20, false)
		if r != nil || err != nil {
			return m.bodyFailed(L, b, r, err, fn)
		}
	}
	return nil
}

// bodyFailed deals with what went wrong reading b: a refusal of a
// request's body is returned, a timeout reading one is a 408; the rest
// is raised.
func (m *Module) bodyFailed(L *lua.LState, b *Body, r *Refusal, err error, fn string) *Refusal {
	if err != nil && b.server && errors.Is(err, core.ErrTimeout) {
		within := b.timeout
		if within < 0 {
			within = b.s.Timeout()
		}
		r = b.refuse(refuse(408, "request not complete within "+secondsText(within)+" s"))
	}
	if r != nil {
		if b.server {
			return r
		}
		api.Throw(L, httpError(L, r, fn, peer(b.s)))
	}
	b.refused = refuse(b.status(400), "the body was cut short")
	if err == errEOF {
		api.RaiseOS(L, eofError(fn, peer(b.s), "a body"))
	}
	m.vm.Raise(L, err, fn, peer(b.s))
	return nil
}

func checkBody(L *lua.LState, fn string) *Body {
	return api.CheckSelf[*Body](L, fn, "http.body", "body")
}

// bodyRead is body:read([n]): all the rest of the body, or at most n
// bytes of it (at least one, unless the body is over), "" at its end. A
// request's body that cannot be read (too large, badly chunked, too
// slow) returns nil and the error value with the status to answer; the
// network's errors, and a response's broken body, raise.
func bodyRead(L *lua.LState) int {
	b := checkBody(L, "read")
	n := -1
	if L.Get(2) != lua.LNil {
		if n = api.CheckInt(L, 2, "read", 1); n < 0 {
			api.ArgError(L, 1, "read", "negative count")
		}
	}
	if b.refused != nil {
		if b.server {
			L.Push(lua.LNil)
			L.Push(httpError(L, b.refused, "read", peer(b.s)))
			return 2
		}
		api.Throw(L, httpError(L, b.refused, "read", peer(b.s)))
	}
	if b.done || n == 0 {
		L.Push(emptyString)
		return 1
	}
	m := b.m
	if b.s.IsClosed() {
		m.vm.Raise(L, unix.EBADF, "read", "")
	}
	sc := b.s.Scanner(L)
	if b.timeout >= 0 {
		sc.SetDeadline(b.deadline)
	}
	if b.expect {
		// The client waits for this before it sends the body.
		b.expect = false
		if _, err := b.s.SendAll(L, []byte("HTTP/1.1 100 Continue\r\n\r\n"), 0); err != nil {
			m.vm.Raise(L, err, "read", peer(b.s))
		}
	}
	var data string
	var r *Refusal
	var err error
	if n < 0 {
		data, r, err = b.all(&sc)
	} else {
		data, _, r, err = b.piece(&sc, n, true)
	}
	if r != nil || err != nil {
		r = m.bodyFailed(L, b, r, err, "read")
		L.Push(lua.LNil)
		L.Push(httpError(L, r, "read", peer(b.s)))
		return 2
	}
	L.Push(lua.LString(data))
	return 1
}
