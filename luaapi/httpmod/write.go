package httpmod

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// Writing messages: a head built in one buffer with the body when it is
// small, so that a response leaves in one send; a string body's
// Content-Length, a function body's chunks. Header names and values are
// checked, so that no script can split a response in two by a CR LF in a
// value.

// bufPool holds the buffers messages are built in. A buffer is taken for
// one call and given back after its last send (a send releases the
// interpreter lock, so another thread may build its own meanwhile).
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// inlineMax is the largest string body copied into the head's buffer;
// a larger one is sent from the string itself, after the head.
const inlineMax = 64 << 10

// given is what the headers a script passed say of the ones the module
// writes itself.
type given struct {
	date, server, host, connection bool
	close                          bool // Connection: close
}

// headerArg is one header line to write.
type headerArg struct {
	name  string
	value lua.LValue
	order int // the array index, for lines given as a list
}

// appendHeaders appends the header lines of argument n of fn (nil, a
// table, or a headers object) to buf, each checked, and notes in g what
// they give. A table's list part ("Name: value" strings or {name, value}
// pairs) comes first, in order; then its name = value entries sorted by
// name, a list value making one line per item.
func appendHeaders(L *lua.LState, n int, fn string, buf []byte, g *given) []byte {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return buf
	case *lua.LUserData:
		h, ok := v.Value.(*Headers)
		if !ok {
			break
		}
		for i := range h.fields {
			buf = appendHeader(L, n, fn, buf, g, h.name(i), h.value(i))
		}
		return buf
	case *lua.LTable:
		var listBuf, hashBuf [8]headerArg
		list, hash := listBuf[:0], hashBuf[:0]
		for k, val := v.Next(lua.LNil); k != lua.LNil; k, val = v.Next(k) {
			switch key := k.(type) {
			case lua.LString:
				hash = append(hash, headerArg{name: string(key), value: val})
			case lua.LNumber:
				list = append(list, headerArg{value: val, order: int(key)})
			default:
				api.ArgError(L, n, fn, "header names must be strings, got "+api.TypeName(k))
			}
		}
		// Few lines: an insertion sort makes no garbage.
		for i := 1; i < len(list); i++ {
			for j := i; j > 0 && list[j].order < list[j-1].order; j-- {
				list[j], list[j-1] = list[j-1], list[j]
			}
		}
		for i := 1; i < len(hash); i++ {
			for j := i; j > 0 && hash[j].name < hash[j-1].name; j-- {
				hash[j], hash[j-1] = hash[j-1], hash[j]
			}
		}
		for _, a := range list {
			name, value := listHeader(L, n, fn, a.value)
			buf = appendHeader(L, n, fn, buf, g, name, value)
		}
		for _, a := range hash {
			if t, ok := a.value.(*lua.LTable); ok {
				for i := 1; i <= t.Len(); i++ {
					buf = appendHeader(L, n, fn, buf, g, a.name, headerValue(L, n, fn, a.name, t.RawGetInt(i)))
				}
				continue
			}
			buf = appendHeader(L, n, fn, buf, g, a.name, headerValue(L, n, fn, a.name, a.value))
		}
		return buf
	}
	api.ArgError(L, n, fn, "table of headers expected, got "+api.TypeName(L.Get(n)))
	return buf
}

// listHeader reads a header given in a table's list part: "Name: value"
// or {name, value}.
func listHeader(L *lua.LState, n int, fn string, v lua.LValue) (string, string) {
	switch h := v.(type) {
	case lua.LString:
		name, value, ok := strings.Cut(string(h), ":")
		if !ok {
			api.ArgError(L, n, fn, "header line "+strconv.Quote(string(h))+" has no colon")
		}
		return name, strings.TrimLeft(value, " \t")
	case *lua.LTable:
		name, ok := h.RawGetInt(1).(lua.LString)
		if !ok {
			api.ArgError(L, n, fn, "a header pair's name must be a string, got "+api.TypeName(h.RawGetInt(1)))
		}
		return string(name), headerValue(L, n, fn, string(name), h.RawGetInt(2))
	}
	api.ArgError(L, n, fn, "a header in the list must be a \"Name: value\" string or a {name, value} pair, got "+api.TypeName(v))
	return "", ""
}

// headerValue is a header's value as text: a string, or a number.
func headerValue(L *lua.LState, n int, fn, name string, v lua.LValue) string {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return x.String()
	}
	api.ArgError(L, n, fn, "the value of header "+name+" must be a string or number, got "+api.TypeName(v))
	return ""
}

// appendHeader checks and appends one header line.
func appendHeader(L *lua.LState, n int, fn string, buf []byte, g *given, name, value string) []byte {
	if !isToken(name) {
		api.ArgError(L, n, fn, "header name "+strconv.Quote(name)+" is not a token")
	}
	for i := 0; i < len(value); i++ {
		if ctl(value[i]) {
			api.ArgError(L, n, fn, "the value of header "+name+" has a control character (CR, LF ...)")
		}
	}
	switch len(name) {
	case 4:
		switch {
		case asciiEqualFold(name, "date"):
			g.date = true
		case asciiEqualFold(name, "host"):
			g.host = true
		}
	case 6:
		g.server = g.server || asciiEqualFold(name, "server")
	case 10:
		if asciiEqualFold(name, "connection") {
			g.connection = true
			g.close = g.close || hasToken(value, "close")
		}
	case 14, 17:
		if asciiEqualFold(name, "content-length") || asciiEqualFold(name, "transfer-encoding") {
			api.ArgError(L, n, fn, name+" is the module's to write, from the body")
		}
	}
	buf = append(buf, name...)
	buf = append(buf, ": "...)
	buf = append(buf, value...)
	return append(buf, "\r\n"...)
}

// httpDate is the Date header's value now, made once a second.
func (m *Module) httpDate() string {
	now := time.Now()
	if sec := now.Unix(); sec != m.dateSec || m.date == "" {
		m.dateSec, m.date = sec, now.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
	}
	return m.date
}

// checkBodyArg checks the body argument n: nil, a string (a number as
// its text), or a function. It returns the string and the function.
func checkBodyArg(L *lua.LState, n int, fn string) (string, *lua.LFunction) {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return "", nil
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		return v.String(), nil
	case *lua.LFunction:
		return "", v
	}
	api.ArgError(L, n, fn, "body must be a string, a function or nil, got "+api.TypeName(L.Get(n)))
	return "", nil
}

// send sends buf on s for fn, raising what goes wrong.
func (m *Module) send(L *lua.LState, s *core.Socket, buf []byte, fn string) {
	if _, err := s.SendAll(L, buf, 0); err != nil {
		m.vm.Raise(L, err, fn, peer(s))
	}
}

// sendChunks sends the chunks the function body returns (nil ends them),
// after head, each as it comes: as chunks of the chunked coding, or raw
// for an HTTP/1.0 peer (close-delimited).
func (m *Module) sendChunks(L *lua.LState, s *core.Socket, bp *[]byte, body *lua.LFunction, chunked bool, argN int, fn string) {
	buf := *bp
	for {
		L.Push(body)
		L.Call(0, 1)
		v := L.Get(-1)
		L.Pop(1)
		var chunk string
		switch c := v.(type) {
		case *lua.LNilType:
		case lua.LString:
			chunk = string(c)
		default:
			api.ArgError(L, argN, fn, "the body function returned a "+api.TypeName(v)+": strings expected, nil at the end")
		}
		if v == lua.LNil {
			if chunked {
				buf = append(buf, "0\r\n\r\n"...)
			}
			if len(buf) > 0 {
				m.send(L, s, buf, fn)
			}
			*bp = buf
			return
		}
		if chunk == "" {
			continue // an empty chunk would end the body
		}
		if chunked {
			buf = strconv.AppendInt(buf, int64(len(chunk)), 16)
			buf = append(buf, "\r\n"...)
		}
		if len(chunk) > inlineMax {
			m.send(L, s, buf, fn)
			m.send(L, s, core.StringBytes(chunk), fn)
			buf = buf[:0]
		} else {
			buf = append(buf, chunk...)
		}
		if chunked {
			buf = append(buf, "\r\n"...)
		}
		m.send(L, s, buf, fn) // a chunk leaves as it comes (the head with the first)
		buf = buf[:0]
	}
}

// finishMessage ends the head in buf (after its framing header) and sends
// it with a string body, or the chunks of a function body.
func (m *Module) finishMessage(L *lua.LState, s *core.Socket, bp *[]byte, body string, bodyFn *lua.LFunction, chunked, withBody bool, argN int, fn string) {
	buf := append(*bp, "\r\n"...)
	switch {
	case !withBody:
		m.send(L, s, buf, fn)
	case bodyFn != nil:
		*bp = buf
		m.sendChunks(L, s, bp, bodyFn, chunked, argN, fn)
		return
	case len(body) > inlineMax:
		m.send(L, s, buf, fn)
		m.send(L, s, core.StringBytes(body), fn)
	default:
		buf = append(buf, body...)
		m.send(L, s, buf, fn)
	}
	*bp = buf
}

func appendLength(buf []byte, n int) []byte {
	buf = append(buf, "Content-Length: "...)
	buf = strconv.AppendInt(buf, int64(n), 10)
	return append(buf, "\r\n"...)
}

// writeResponse is http.write_response(conn, status [, headers [, body
// [, req]]]): sends the response and returns whether the connection stays
// open for another request.
func (m *Module) writeResponse(L *lua.LState) int {
	const fn = "write_response"
	s := m.checkConn(L, fn)
	status := api.CheckInt(L, 2, fn, 0)
	if status < 100 || status > 599 {
		api.ArgError(L, 2, fn, "status must be from 100 to 599, got "+strconv.Itoa(status))
	}
	body, bodyFn := checkBodyArg(L, 4, fn)
	noBody := status < 200 || status == 204 || status == 304
	if noBody && (body != "" || bodyFn != nil) {
		api.ArgError(L, 4, fn, "a "+strconv.Itoa(status)+" response has no body")
	}

	// What the request says: its version, HEAD, keep-alive.
	minor, head, keep := byte('1'), false, true
	var rb *Body
	if v := L.Get(5); v != lua.LNil {
		ud, _ := v.(*lua.LUserData)
		var req *Message
		if ud != nil {
			req, _ = ud.Value.(*Message)
		}
		if req == nil || req.response {
			api.ArgError(L, 5, fn, "request (from read_request) expected, got "+api.TypeName(v))
		}
		head, minor, keep = req.hd.method == "HEAD", req.hd.minor, req.keepAlive
		if b, ok := req.body.(*lua.LUserData); ok {
			rb, _ = b.Value.(*Body)
		}
	}

	bp := bufPool.Get().(*[]byte)
	buf := *bp
	if line, ok := statusLines[status]; ok {
		buf = append(buf, line...)
	} else {
		buf = append(buf, "HTTP/1.1 "...)
		buf = append(buf, itoa3(status)...)
		buf = append(buf, " \r\n"...)
	}
	var g given
	buf = appendHeaders(L, 3, fn, buf, &g)
	if !g.date {
		buf = append(buf, "Date: "...)
		buf = append(buf, m.httpDate()...)
		buf = append(buf, "\r\n"...)
	}
	if !g.server {
		buf = append(buf, "Server: sockrun\r\n"...)
	}

	if status < 200 {
		// An interim response: the final one follows.
		*bp = buf
		m.finishMessage(L, s, bp, "", nil, false, false, 4, fn)
		putBuf(bp)
		L.Push(lua.LTrue)
		return 1
	}
	chunked := false
	if g.close {
		keep = false
	}
	if rb != nil && !rb.done && (rb.expect || rb.refused != nil) {
		// Its client waits for a 100 Continue, or the body cannot be
		// read on: where the next request starts is not known.
		keep = false
	}
	switch {
	case noBody:
	case bodyFn != nil && minor == '0':
		keep = false // the body ends where the connection does
	case bodyFn != nil:
		chunked = true
		buf = append(buf, "Transfer-Encoding: chunked\r\n"...)
	default:
		buf = appendLength(buf, len(body))
	}
	if !g.connection {
		if !keep {
			buf = append(buf, "Connection: close\r\n"...)
		} else if minor == '0' {
			buf = append(buf, "Connection: keep-alive\r\n"...)
		}
	}
	*bp = buf
	m.finishMessage(L, s, bp, body, bodyFn, chunked, !head && !noBody, 4, fn)
	putBuf(bp)
	L.Push(lua.LBool(keep))
	return 1
}

func putBuf(bp *[]byte) {
	if cap(*bp) <= 1<<20 {
		*bp = (*bp)[:0]
		bufPool.Put(bp)
	}
}

// sendError is http.send_error(conn, status [, message]): a short text
// response, "404 Not Found: message", that closes the connection. status
// may be an error value of read_request, whose status and message it
// takes.
func (m *Module) sendError(L *lua.LState) int {
	const fn = "send_error"
	s := m.checkConn(L, fn)
	var status int
	var message string
	switch v := L.Get(2).(type) {
	case *lua.LTable:
		code, ok := v.RawGetString("status").(lua.LNumber)
		if !ok {
			api.ArgError(L, 2, fn, "an error value with a status expected (from read_request or body:read)")
		}
		status, message = int(code), lua.LVAsString(v.RawGetString("message"))
	default:
		status = api.CheckInt(L, 2, fn, 0)
	}
	if status < 400 || status > 599 {
		api.ArgError(L, 2, fn, "an error status (400 to 599) expected, got "+strconv.Itoa(status))
	}
	if L.Get(3) != lua.LNil {
		message = api.CheckBytes(L, 3, fn, 0)
	}
	text := itoa3(status) + " " + reasons[status]
	if message != "" {
		text += ": " + message
	}
	text += "\n"
	bp := bufPool.Get().(*[]byte)
	buf := *bp
	if line, ok := statusLines[status]; ok {
		buf = append(buf, line...)
	} else {
		buf = append(buf, "HTTP/1.1 "+itoa3(status)+" \r\n"...)
	}
	buf = append(buf, "Date: "...)
	buf = append(buf, m.httpDate()...)
	buf = append(buf, "\r\nServer: sockrun\r\nContent-Type: text/plain; charset=utf-8\r\n"...)
	buf = appendLength(buf, len(text))
	buf = append(buf, "Connection: close\r\n"...)
	*bp = buf
	m.finishMessage(L, s, bp, text, nil, false, true, 3, fn)
	putBuf(bp)
	if st := m.state(s, false); st != nil {
		delete(m.conns, s) // the connection is over
	}
	return 0
}

// request is http.request(conn, method, target [, headers [, body]]):
// sends a request. A string body is sent with its Content-Length (0 for
// POST, PUT and PATCH without one), a function's chunks with the chunked
// coding; Host is the peer's address unless the headers give it.
func (m *Module) request(L *lua.LState) int {
	const fn = "request"
	s := m.checkConn(L, fn)
	method := api.CheckBytes(L, 2, fn, 0)
	if !isToken(method) {
		api.ArgError(L, 2, fn, "method "+strconv.Quote(method)+" is not a token")
	}
	target := api.CheckBytes(L, 3, fn, 0)
	if target == "" {
		api.ArgError(L, 3, fn, "empty target")
	}
	for i := 0; i < len(target); i++ {
		if target[i] == ' ' || ctl(target[i]) || target[i] == '\t' {
			api.ArgError(L, 3, fn, "target "+strconv.Quote(target)+" has a space or control character")
		}
	}
	body, bodyFn := checkBodyArg(L, 5, fn)

	bp := bufPool.Get().(*[]byte)
	buf := append(*bp, method...)
	buf = append(buf, ' ')
	buf = append(buf, target...)
	buf = append(buf, " HTTP/1.1\r\n"...)
	var g given
	buf = appendHeaders(L, 4, fn, buf, &g)
	if !g.host {
		buf = append(buf, "Host: "...)
		buf = append(buf, hostOf(s)...)
		buf = append(buf, "\r\n"...)
	}
	switch {
	case bodyFn != nil:
		buf = append(buf, "Transfer-Encoding: chunked\r\n"...)
	case body != "" || method == "POST" || method == "PUT" || method == "PATCH":
		buf = appendLength(buf, len(body))
	}
	*bp = buf
	st := m.state(s, true)
	st.sent = append(st.sent, method)
	m.finishMessage(L, s, bp, body, bodyFn, true, true, 5, fn)
	putBuf(bp)
	return 0
}

// hostOf is the Host header of a request to s's peer: its address and
// port, or "localhost" for a Unix socket.
func hostOf(s *core.Socket) string {
	sa := s.Peer()
	if sa == nil {
		sa, _ = s.PeerAddr()
	}
	switch sa.(type) {
	case *unix.SockaddrInet4, *unix.SockaddrInet6:
		return core.SockaddrString(sa)
	}
	return "localhost"
}
