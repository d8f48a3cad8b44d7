package httpmod

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// Module is the http module's state in one VM: the connections whose
// last message's body is not read to its end (the next read on the
// connection reads past it first, so that a body is never read as the
// next request), the methods of the requests a client sent and has not
// read the responses of (a response to HEAD has no body), and the Date
// header of the current second. Touched under the interpreter lock.
type Module struct {
	vm      *api.VM
	conns   map[*core.Socket]*connState
	pruneAt int

	dateSec int64
	date    string

	emptyBody lua.LValue // the body of every request without one

	// The metatables of the objects made for every message, looked up
	// once rather than by name in the registry each time: at the first
	// message (messageTypes), so that a run that reads none makes none.
	requestMT, responseMT, bodyMT lua.LValue
}

// connState is what the module remembers of a connection between calls.
type connState struct {
	body *Body    // a message's body not yet read to its end, or nil
	sent []string // the methods of requests sent, oldest first, without their responses
}

const (
	headersMeta = "http.headers"
	bodyMeta    = "http.body"
)

// The kinds of the parameters the module's functions share.
var (
	conn        = api.Obj("socket.socket").Says("a connected stream socket of either face, or an SSL socket")
	headersKind = api.T("table|http.headers")
	bodyKind    = api.Data.As("string|fun(): string?")
	limitsKind  = api.T("http.limits|" + limitsMeta)
)

func init() {
	api.Register(&api.Module{
		Name:    "http",
		New:     func(vm *api.VM) any { return &Module{vm: vm, conns: map[*core.Socket]*connState{}, pruneAt: 64} },
		Summary: "HTTP/1.1 over a connected socket, parsed in Go: requests and responses, for servers and clients",
		Doc:     "docs/http.md",
		Funcs: []api.Func{
			api.Method("read_request", "http.read_request(conn [, limits])", "the next request on conn: a request object (method, target, path, query, version, headers, body, keep_alive); nil at the end of the stream; nil and an error value with the status to answer for a request to refuse", (*Module).readRequest).
				Receives(api.Result(1)).Params(conn, limitsKind).
				Returns(api.Obj(requestMeta).As(requestMeta+"|nil").Named("req"), api.T("socket.error?").Named("err")),
			api.Method("write_response", "http.write_response(conn, status [, headers [, body [, req]]])", "sends a response (Content-Length from a string body, chunked from a function); returns whether the connection stays open", (*Module).writeResponse).
				Sends(api.Arg("body")).Params(conn, api.Int, headersKind, bodyKind, api.Obj(requestMeta)).
				Returns(api.Bool.Named("keep")),
			api.Method("send_error", "http.send_error(conn, status [, message])", "sends a short text response for an error status (or an error value of read_request) that closes the connection", (*Module).sendError).
				Sends(api.Arg("message")).Params(conn, api.T("integer|socket.error"), api.Data),
			api.Method("request", "http.request(conn, method, target [, headers [, body]])", "sends a request (Host from the peer's address unless given)", (*Module).request).
				Sends(api.Arg("body")).Params(conn, api.Str, api.Str, headersKind, bodyKind),
			api.Method("read_response", "http.read_response(conn [, limits])", "the next response on conn: a response object (status, reason, version, headers, body, keep_alive)", (*Module).readResponse).
				Receives(api.Result(1)).Params(conn, limitsKind).Returns(api.Obj(responseMeta).Named("resp")),
			api.Fn("limits", "http.limits(limits)", "checks a table of limits once and returns them as a fixed object, which read_request and read_response take in place of the table without reading it again", newLimits).
				Params(api.T("http.limits")).Returns(api.Obj(limitsMeta)),
		},
		Types: []*api.Type{requestType, responseType, headersType, bodyType, limitsType},
		Values: []api.Value{
			{Name: "responses", Type: "table<integer, string>", Summary: "the reason phrase of each status: `http.responses[404] == \"Not Found\"`"},
		},
		Shapes: []api.Shape{
			{Name: "http.limits", Summary: "the limits of `read_request` and `read_response`", Fields: []api.Value{
				{Name: "max_line?", Type: "integer", Summary: "bytes of the start line or of one header line, CRLF included (8192)"},
				{Name: "max_head?", Type: "integer", Summary: "bytes of all the header lines (32768)"},
				{Name: "max_headers?", Type: "integer", Summary: "header lines (100)"},
				{Name: "max_body?", Type: "integer", Summary: "bytes of a request's body; of a body read whole (1048576)"},
				{Name: "timeout?", Type: "number", Summary: "seconds for the whole message from its first byte (default: the socket's timeout)"},
				{Name: "idle?", Type: "number", Summary: "seconds to wait for a request's first byte (read_request)"},
				{Name: "method?", Type: "string", Summary: "the request's method, if not sent with `http.request` (read_response)"},
			}},
		},
		Setup: api.SetupOf((*Module).setup),
	})
}

// setup adds http.responses.
func (m *Module) setup(L *lua.LState, mod *lua.LTable) {
	t := L.CreateTable(0, len(reasons))
	for code, r := range reasons {
		t.RawSetInt(code, lua.LString(r))
	}
	mod.RawSetString("responses", t)
}

// messageTypes looks up the metatables of the message objects and makes
// the shared empty body, the first time a message is read.
func (m *Module) messageTypes(L *lua.LState) {
	if m.requestMT != nil {
		return
	}
	m.requestMT, m.responseMT, m.bodyMT = api.Metatable(L, requestMeta), api.Metatable(L, responseMeta), api.Metatable(L, bodyMeta)
	m.emptyBody = m.newObject(L, &Body{done: true}, m.bodyMT)
}

// newObject wraps v in a userdata with the metatable mt (one of the
// Module's).
func (m *Module) newObject(L *lua.LState, v any, mt lua.LValue) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = v
	L.SetMetatable(ud, mt)
	return ud
}

// checkConn is the stream socket argument 1 of fn stands for: any face's
// socket object (core.Holder), open.
func (m *Module) checkConn(L *lua.LState, fn string) *core.Socket {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if h, ok := ud.Value.(core.Holder); ok {
			s := h.CoreSocket()
			if s == nil || s.IsClosed() {
				m.vm.Raise(L, unix.EBADF, fn, "") // a LuaSocket object without a descriptor, or closed
			}
			if s.Type() != unix.SOCK_STREAM {
				api.ArgError(L, 1, fn, "a stream socket expected, got a datagram socket")
			}
			return s
		}
	}
	api.ArgError(L, 1, fn, "socket expected, got "+api.TypeName(L.Get(1)))
	return nil
}

// peer is s's peer address as error values show it.
func peer(s *core.Socket) string {
	if sa := s.Peer(); sa != nil {
		return core.SockaddrString(sa)
	}
	if sa, err := s.PeerAddr(); err == nil {
		return core.SockaddrString(sa)
	}
	return ""
}

// state is conn's state, made if make is set (nil otherwise when there
// is none). Making one now and then drops the states of closed sockets.
func (m *Module) state(s *core.Socket, make bool) *connState {
	st := m.conns[s]
	if st != nil || !make {
		return st
	}
	if len(m.conns) >= m.pruneAt {
		for k := range m.conns {
			if k.IsClosed() {
				delete(m.conns, k)
			}
		}
		m.pruneAt = 2*len(m.conns) + 64
	}
	st = &connState{}
	m.conns[s] = st
	return st
}

// forget drops conn's state once it holds nothing.
func (m *Module) forget(s *core.Socket, st *connState) {
	if st.body == nil && len(st.sent) == 0 {
		delete(m.conns, s)
	}
}

// opts are a call's limits and timeouts (negative: not given).
type opts struct {
	Limits
	timeout, idle time.Duration
	method        string // read_response: the request's method
}

var limitNames = []string{"max_line", "max_head", "max_headers", "max_body", "timeout", "idle"}

// checkOpts reads the limits at stack index n of fn: a table, a limits
// object (http.limits, checked when it was made), or nil (the defaults).
// method says whether a table may name the request's method.
func checkOpts(L *lua.LState, n int, fn string, method bool) opts {
	o := opts{Limits: DefaultLimits, timeout: -1, idle: -1}
	var t *lua.LTable
	switch v := L.Get(n).(type) {
	case *lua.LTable:
		t = v
	case *lua.LUserData:
		if lim, ok := v.Value.(*limitsObject); ok {
			return lim.opts
		}
		api.ArgError(L, n, fn, "table of limits expected, got "+api.TypeName(v))
	default:
		if v == lua.LNil {
			return o
		}
		api.ArgError(L, n, fn, "table of limits expected, got "+api.TypeName(v))
	}
	// A loop over Next rather than ForEach: no closure to allocate on
	// every request.
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		setOpt(L, n, fn, method, &o, k, v)
	}
	return o
}

// setOpt reads the limit k = v of the limits table at stack index n.
func setOpt(L *lua.LState, n int, fn string, method bool, o *opts, k, v lua.LValue) {
	name, _ := k.(lua.LString)
	positive := func() int64 {
		f, ok := v.(lua.LNumber)
		if !ok || f < 1 || f != f || float64(f) > 1<<53 {
			api.ArgError(L, n, fn, "limit "+string(name)+" must be a positive integer, got "+lua.LVAsString(L.ToStringMeta(v)))
		}
		return int64(f)
	}
	seconds := func() time.Duration {
		f, ok := v.(lua.LNumber)
		if !ok || f < 0 || f != f {
			api.ArgError(L, n, fn, string(name)+" must be a number of seconds, got "+lua.LVAsString(L.ToStringMeta(v)))
		}
		return api.Seconds(float64(f))
	}
	switch string(name) {
	case "max_line":
		o.MaxLine = int(min(positive(), 1<<30))
	case "max_head":
		o.MaxHead = int(min(positive(), 1<<30))
	case "max_headers":
		o.MaxHeaders = int(min(positive(), 1<<20))
	case "max_body":
		o.MaxBody = positive()
	case "timeout":
		o.timeout = seconds()
	case "idle":
		o.idle = seconds()
	case "method":
		if fn == "limits" {
			api.ArgError(L, n, fn, "unknown limit 'method': a limits object holds limits only; give read_response a table to name the method")
		}
		if !method {
			api.ArgError(L, n, fn, "unknown limit 'method'")
		}
		s, ok := v.(lua.LString)
		if !ok {
			api.ArgError(L, n, fn, "method must be a string")
		}
		o.method = string(s)
	default:
		msg := "unknown limit " + lua.LVAsString(L.ToStringMeta(k))
		if best := nearestName(string(name), limitNames); best != "" {
			msg += "; did you mean " + best + "?"
		}
		api.ArgError(L, n, fn, msg)
	}
}

// httpError is the error value of a refusal r from op: class
// http.HTTPError, name "HTTP_" and the status, and the status and its
// reason as fields (none for a broken response, whose status is 0).
func httpError(L *lua.LState, r *Refusal, op, addr string) *lua.LTable {
	name := "HTTP_BAD_RESPONSE"
	if r.Status != 0 {
		name = "HTTP_" + strconv.Itoa(r.Status)
	}
	t := api.ErrorValue(L, &api.OSError{Class: "http.HTTPError", Name: name, Message: r.Why, Op: op, Addr: addr})
	if r.Status != 0 {
		t.RawSetString("status", lua.LNumber(r.Status))
		t.RawSetString("reason", lua.LString(reasons[r.Status]))
	}
	return t
}

// eofError is the error of a stream that ended in the middle of a
// message, as recv_exactly's EOFError.
func eofError(op, addr, what string) *api.OSError {
	return &api.OSError{Class: "EOFError", Name: "EOF", Message: "connection closed in the middle of " + what, Op: op, Addr: addr}
}

func secondsText(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'g', -1, 64)
}

// Interned values of the commonest parts of a request, so that a request
// line of them makes no Lua string.
var (
	// The methods, commonest first: a method is looked for in order,
	// which costs less than a map lookup for the first few.
	methodValues = [...]lua.LValue{lua.LString("GET"), lua.LString("POST"), lua.LString("HEAD"), lua.LString("PUT"),
		lua.LString("DELETE"), lua.LString("OPTIONS"), lua.LString("PATCH"), lua.LString("CONNECT"), lua.LString("TRACE")}
	version10   = lua.LValue(lua.LString("HTTP/1.0"))
	version11   = lua.LValue(lua.LString("HTTP/1.1"))
	emptyString = lua.LValue(lua.LString(""))
	rootTarget  = lua.LValue(lua.LString("/"))
)

func methodValue(m string) lua.LValue {
	for _, v := range methodValues {
		if string(v.(lua.LString)) == m {
			return v
		}
	}
	return lua.LString(m)
}

func versionValue(minor byte) lua.LValue {
	switch minor {
	case '0':
		return version10
	case '1':
		return version11
	}
	return lua.LString("HTTP/1." + string(minor))
}

func stringValue(s string) lua.LValue {
	switch s {
	case "":
		return emptyString
	case "/":
		return rootTarget
	}
	return lua.LString(s)
}

// readRequest is http.read_request(conn [, limits]): the next request of
// conn, nil at a clean end (the stream ended, or no request began within
// limits.idle), or nil and an HTTPError carrying the status to answer.
func (m *Module) readRequest(L *lua.LState) int {
	const fn = "read_request"
	s := m.checkConn(L, fn)
	o := checkOpts(L, 2, fn, false)
	sc := s.Scanner(L)

	// The rest of the last request's body comes first.
	if st := m.state(s, false); st != nil && st.body != nil {
		b := st.body
		if b.expect || b.refused != nil {
			// Its client waits for a 100 Continue before it sends the
			// body, or the body was refused: where the next request
			// would start is not known. The connection is over.
			st.body = nil
			m.forget(s, st)
			return 0
		}
		if o.timeout >= 0 {
			sc.SetDeadline(time.Now().Add(o.timeout))
		}
		if r := m.drain(L, b, &sc, fn); r != nil {
			L.Push(lua.LNil)
			L.Push(httpError(L, r, fn, peer(s)))
			return 2
		}
	}

	if o.idle >= 0 {
		sc.SetDeadline(time.Now().Add(o.idle))
	}
	msg := &Message{}
	hs := headScanner{lim: o.Limits, fields: msg.fieldBuf[:0]}
	started := false
	var deadline time.Time // the request's, when limits.timeout gives one
	for {
		b := sc.Buffered()
		if !started {
			if k := skipEmpty(b); k > 0 {
				sc.Discard(k)
				b = sc.Buffered()
			}
			if len(b) > 0 && (len(b) > 1 || b[0] != '\r') {
				// The request's clock starts with its first byte.
				started = true
				if o.timeout >= 0 {
					deadline = time.Now().Add(o.timeout)
					sc.SetDeadline(deadline)
				} else if o.idle >= 0 {
					sc.ResetDeadline()
				}
			}
		}
		if started {
			n, r := hs.scan(b)
			if r != nil {
				L.Push(lua.LNil)
				L.Push(httpError(L, r, fn, peer(s)))
				return 2
			}
			if n > 0 {
				return m.pushRequest(L, s, msg, &hs, sc.Take(n), &o, deadline)
			}
		}
		got, err := sc.More(0)
		switch {
		case err != nil && errors.Is(err, core.ErrTimeout):
			if !started {
				return 0 // idle: no request came
			}
			within := o.timeout
			if within < 0 {
				within = s.Timeout()
			}
			L.Push(lua.LNil)
			L.Push(httpError(L, refuse(408, "request not complete within "+secondsText(within)+" s"), fn, peer(s)))
			return 2
		case err != nil:
			m.vm.Raise(L, err, fn, peer(s))
		case got == 0:
			if !started {
				sc.Discard(len(sc.Buffered())) // a lone CR
				return 0
			}
			n := len(sc.Buffered())
			sc.Discard(n)
			api.RaiseOS(L, eofError(fn, peer(s), "a request's head (after "+strconv.Itoa(n)+" bytes)"))
		case got < 0:
			hs = headScanner{lim: o.Limits, fields: msg.fieldBuf[:0]} // another thread read: scan again
		}
	}
}

// pushRequest checks the head raw, which hs scanned, as a request and
// pushes msg, the request, or nil and the refusal.
func (m *Module) pushRequest(L *lua.LState, s *core.Socket, msg *Message, hs *headScanner, raw string, o *opts, deadline time.Time) int {
	hd := &msg.hd
	hs.fill(hd, raw)
	if r := hd.frameRequest(o.MaxBody); r != nil {
		L.Push(lua.LNil)
		L.Push(httpError(L, r, "read_request", peer(s)))
		return 2
	}
	m.messageTypes(L)
	msg.keepAlive, msg.body = !hd.close, m.emptyBody
	if hd.framing != noBody {
		b := &Body{m: m, s: s, server: true, framing: hd.framing, left: hd.length, lim: o.Limits, expect: hd.expect, timeout: o.timeout, deadline: deadline}
		m.state(s, true).body = b
		msg.body = m.newObject(L, b, m.bodyMT)
	}
	L.Push(m.newObject(L, msg, m.requestMT))
	return 1
}

// readResponse is http.read_response(conn [, limits]): the next final
// response on conn (interim 1xx responses other than 101 are read and
// dropped). A broken response raises an HTTPError; so do the network's
// errors, as the socket raises them.
func (m *Module) readResponse(L *lua.LState) int {
	const fn = "read_response"
	s := m.checkConn(L, fn)
	o := checkOpts(L, 2, fn, true)
	sc := s.Scanner(L)
	if o.timeout >= 0 {
		sc.SetDeadline(time.Now().Add(o.timeout))
	}
	st := m.state(s, false)
	if st != nil && st.body != nil {
		if r := m.drain(L, st.body, &sc, fn); r != nil {
			api.Throw(L, httpError(L, r, fn, peer(s)))
		}
	}
	method := o.method
	if st != nil && len(st.sent) > 0 {
		if method == "" {
			method = st.sent[0]
		}
		st.sent = st.sent[1:]
		m.forget(s, st)
	}
	for {
		msg := &Message{response: true}
		hd := &msg.hd
		m.readResponseHead(L, s, &sc, msg, o.Limits, fn)
		if hd.status >= 200 || hd.status == 101 {
			if r := hd.frameResponse(method == "HEAD"); r != nil {
				api.Throw(L, httpError(L, r, fn, peer(s)))
			}
			m.messageTypes(L)
			msg.keepAlive, msg.body = !hd.close, m.emptyBody
			if hd.framing != noBody {
				b := &Body{m: m, s: s, framing: hd.framing, left: hd.length, lim: o.Limits, timeout: o.timeout}
				if o.timeout >= 0 {
					b.deadline = time.Now().Add(o.timeout)
				}
				m.state(s, true).body = b
				msg.body = m.newObject(L, b, m.bodyMT)
			}
			L.Push(m.newObject(L, msg, m.responseMT))
			return 1
		}
	}
}

// readResponseHead reads one response head into msg; what goes wrong is
// raised.
func (m *Module) readResponseHead(L *lua.LState, s *core.Socket, sc *core.Scanner, msg *Message, lim Limits, fn string) {
	hs := headScanner{lim: lim, response: true, fields: msg.fieldBuf[:0]}
	for {
		b := sc.Buffered()
		if len(b) > 0 {
			n, r := hs.scan(b)
			if r != nil {
				api.Throw(L, httpError(L, r, fn, peer(s)))
			}
			if n > 0 {
				hs.fill(&msg.hd, sc.Take(n))
				return
			}
		}
		got, err := sc.More(0)
		switch {
		case err != nil:
			m.vm.Raise(L, err, fn, peer(s))
		case got == 0:
			n := len(sc.Buffered())
			sc.Discard(n)
			what := "a response's head (after " + strconv.Itoa(n) + " bytes)"
			if n == 0 {
				what = "an exchange: no response"
			}
			api.RaiseOS(L, eofError(fn, peer(s), what))
		case got < 0:
			hs = headScanner{lim: lim, response: true, fields: msg.fieldBuf[:0]}
		}
	}
}

// Headers is a message's header lines, in the order received, their
// names as received: looked up without regard to case, every line kept
// (a repeated header is several lines).
type Headers struct {
	raw    string
	fields []field
}

// ObjectType implements api.Object.
func (h *Headers) ObjectType() string { return "http.headers" }

func (h *Headers) name(i int) string  { return h.raw[h.fields[i].name.from:h.fields[i].name.to] }
func (h *Headers) value(i int) string { return h.raw[h.fields[i].value.from:h.fields[i].value.to] }

var headersType = &api.Type{
	Name:    "headers",
	Meta:    headersMeta,
	Summary: "a message's header lines, in the order received: looked up in any case, repeated lines kept; #headers counts them, tostring(headers) is the lines",
	Methods: func() []api.Func {
		return []api.Func{
			api.Fn("get", "headers:get(name [, default])", "the value of the first header line named name, in any case; default (or nil) if there is none", headersGet).
				Params(api.Str, api.Str).Returns(api.T("string?")),
			api.Fn("get_all", "headers:get_all(name)", "the values of every header line named name, in order: a list, empty if none", headersGetAll).
				Params(api.Str).Returns(api.T("string[]")),
			api.Fn("items", "headers:items()", "an iterator over the header lines in order: for name, value in h:items() do ... end", headersItems).
				Returns(api.T("fun(): string, string")),
		}
	},
	Metamethods: map[string]lua.LGFunction{
		"__len": func(L *lua.LState) int {
			L.Push(lua.LNumber(len(checkHeaders(L, "__len").fields)))
			return 1
		},
		"__tostring": func(L *lua.LState) int {
			h := checkHeaders(L, "__tostring")
			var b strings.Builder
			for i := range h.fields {
				b.WriteString(h.name(i))
				b.WriteString(": ")
				b.WriteString(h.value(i))
				b.WriteString("\r\n")
			}
			L.Push(lua.LString(b.String()))
			return 1
		},
	},
}

func checkHeaders(L *lua.LState, fn string) *Headers {
	return api.CheckSelf[*Headers](L, fn, "http.headers", "headers")
}

// headersGet is headers:get(name [, default]).
func headersGet(L *lua.LState) int {
	h := checkHeaders(L, "get")
	name := api.CheckBytes(L, 2, "get", 1)
	for i := range h.fields {
		if asciiEqualFold(h.name(i), name) {
			L.Push(lua.LString(h.value(i)))
			return 1
		}
	}
	L.Push(L.Get(3))
	return 1
}

// headersGetAll is headers:get_all(name).
func headersGetAll(L *lua.LState) int {
	h := checkHeaders(L, "get_all")
	name := api.CheckBytes(L, 2, "get_all", 1)
	t := L.NewTable()
	for i := range h.fields {
		if asciiEqualFold(h.name(i), name) {
			t.Append(lua.LString(h.value(i)))
		}
	}
	L.Push(t)
	return 1
}

// headersItems is headers:items(): an iterator of name, value.
func headersItems(L *lua.LState) int {
	h := checkHeaders(L, "items")
	i := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if i >= len(h.fields) {
			return 0
		}
		L.Push(lua.LString(h.name(i)))
		L.Push(lua.LString(h.value(i)))
		i++
		return 2
	}))
	return 1
}
