package httpmod

import (
	"bytes"
	"strconv"
	"strings"
)

// The parsing of a message's head (RFC 9112): Go on the socket's receive
// buffer, Lua-free, so that it can be tested and fuzzed alone. A head is
// scanned a line at a time as its bytes arrive, each line checked as soon
// as it is whole, so that a hostile client is refused at the first bad
// line and never makes the server hold more than the limits allow.

// Limits bound what one request (or response) may make the reader hold or
// wait for.
type Limits struct {
	MaxLine    int   // bytes of the start line or of one header line, its end of line included
	MaxHead    int   // bytes of all the header lines together, ends of line excluded
	MaxHeaders int   // header lines
	MaxBody    int64 // bytes of a body read whole (and of any request body)
}

// DefaultLimits are http_server.lua's.
var DefaultLimits = Limits{MaxLine: 8192, MaxHead: 32768, MaxHeaders: 100, MaxBody: 1 << 20}

// Refusal is what is wrong with a request: the status a server answers it
// with, and why.
type Refusal struct {
	Status int
	Why    string
}

func refuse(status int, why string) *Refusal { return &Refusal{status, why} }

// span is a part of the head: [from, to) byte offsets.
type span struct{ from, to int }

// field is a header line's name and value, as offsets into the head.
type field struct{ name, value span }

// headScanner scans a head as its bytes arrive. Offsets are from the start
// of the buffered bytes; nothing is taken from the buffer until the head
// is whole, so they stay valid while more bytes are appended.
type headScanner struct {
	lim      Limits
	response bool // a status line first, rather than a request line

	pos   int // where the next line starts
	start bool
	size  int // header bytes so far, ends of line excluded

	// The start line's parts.
	method, target, reason span
	major, minor           byte
	status                 int
	fields                 []field
}

// skipEmpty is how many bytes of empty lines (CRLF or LF) b starts with:
// a server ignores those before a request line (RFC 9112, 2.2).
func skipEmpty(b []byte) int {
	n := 0
	for {
		switch {
		case len(b) > n && b[n] == '\n':
			n++
		case len(b) > n+1 && b[n] == '\r' && b[n+1] == '\n':
			n += 2
		default:
			return n
		}
	}
}

// scan looks at b, the buffered bytes (the same bytes as at the last call
// and perhaps more), and returns the length of the head once it is whole
// (its empty line included), 0 while it is not, or the refusal of the
// first bad line.
func (h *headScanner) scan(b []byte) (int, *Refusal) {
	for {
		rest := b[h.pos:]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 || nl+1 > h.lim.MaxLine {
			if nl >= 0 || len(rest) >= h.lim.MaxLine {
				return 0, h.tooLong()
			}
			return 0, nil
		}
		line := rest[:nl]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		from := h.pos
		h.pos += nl + 1
		if !h.start {
			h.start = true
			if r := h.startLine(line, from); r != nil {
				return 0, r
			}
			continue
		}
		if len(line) == 0 {
			return h.pos, nil
		}
		h.size += len(line)
		if len(h.fields) == h.lim.MaxHeaders || h.size > h.lim.MaxHead {
			return 0, refuse(h.refusal(431), "more than "+strconv.Itoa(h.lim.MaxHeaders)+" header lines or "+strconv.Itoa(h.lim.MaxHead)+" bytes")
		}
		f, ok := headerLine(line, from)
		if !ok {
			return 0, refuse(h.refusal(400), "malformed header line")
		}
		if h.fields == nil {
			h.fields = make([]field, 0, 8) // one allocation for most heads
		}
		h.fields = append(h.fields, f)
	}
}

func (h *headScanner) tooLong() *Refusal {
	status := 431
	if !h.start {
		status = 414
	}
	return refuse(h.refusal(status), "line longer than "+strconv.Itoa(h.lim.MaxLine)+" bytes")
}

// refusal is the status of a refusal: 0 for a response, which a client
// answers with nothing.
func (h *headScanner) refusal(s int) int {
	if h.response {
		return 0
	}
	return s
}

// tchar is a token's byte (RFC 9110, 5.6.2): letters, digits and
// !#$%&'*+-.^_`|~.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// tokenLen is the length of the token b starts with.
func tokenLen(b []byte) int {
	n := 0
	for n < len(b) && tchar[b[n]] {
		n++
	}
	return n
}

// isToken reports whether s is a non-empty token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

// ctl reports whether c is a control character other than a tab.
func ctl(c byte) bool { return c < ' ' && c != '\t' || c == 0x7f }

// startLine checks the request line (or the status line of a response),
// which starts at offset at.
func (h *headScanner) startLine(line []byte, at int) *Refusal {
	if h.response {
		return h.statusLine(line, at)
	}
	// method SP target SP HTTP/d.d, single spaces.
	m := tokenLen(line)
	if m == 0 || m == len(line) || line[m] != ' ' {
		return refuse(400, "malformed request line")
	}
	rest := line[m+1:]
	t := 0
	for t < len(rest) && rest[t] != ' ' && !ctl(rest[t]) {
		t++
	}
	if t == 0 || t == len(rest) || rest[t] != ' ' {
		return refuse(400, "malformed request line")
	}
	major, minor, ok := version(rest[t+1:])
	if !ok {
		return refuse(400, "malformed request line")
	}
	if major != '1' {
		return refuse(505, "HTTP/"+string(major)+"."+string(minor))
	}
	target := rest[:t]
	if target[0] != '/' && !(string(target) == "*" && string(line[:m]) == "OPTIONS") {
		return refuse(400, "request target is not a path")
	}
	h.method = span{at, at + m}
	h.target = span{at + m + 1, at + m + 1 + t}
	h.major, h.minor = major, minor
	return nil
}

// version reads "HTTP/d.d", the whole of b.
func version(b []byte) (major, minor byte, ok bool) {
	if len(b) != 8 || string(b[:5]) != "HTTP/" || b[6] != '.' || !digit(b[5]) || !digit(b[7]) {
		return 0, 0, false
	}
	return b[5], b[7], true
}

func digit(c byte) bool { return '0' <= c && c <= '9' }

// statusLine checks "HTTP/d.d SP 3DIGIT [SP reason]".
func (h *headScanner) statusLine(line []byte, at int) *Refusal {
	bad := refuse(0, "malformed status line: "+strconv.Quote(string(line[:min(len(line), 80)])))
	if len(line) < 12 || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return bad
	}
	major, minor, ok := version(line[:8])
	if !ok || major != '1' || !digit(line[9]) || !digit(line[10]) || !digit(line[11]) || line[9] == '0' {
		return bad
	}
	for _, c := range line[min(len(line), 13):] {
		if ctl(c) {
			return bad
		}
	}
	h.major, h.minor = major, minor
	h.status = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	h.reason = span{at + min(len(line), 13), at + len(line)}
	return nil
}

// headerLine reads "name: value": a token, a colon right after it, the
// value without the spaces and tabs around it, no control character in
// it. A line that starts with a space or tab (obs-fold, a continuation of
// the previous one), a space before the colon: malformed, and ways to
// make two servers read one request differently, so refused.
func headerLine(line []byte, at int) (field, bool) {
	n := tokenLen(line)
	if n == 0 || n == len(line) || line[n] != ':' {
		return field{}, false
	}
	v, e := n+1, len(line)
	for v < e && (line[v] == ' ' || line[v] == '\t') {
		v++
	}
	for e > v && (line[e-1] == ' ' || line[e-1] == '\t') {
		e--
	}
	for _, c := range line[v:e] {
		if ctl(c) {
			return field{}, false
		}
	}
	return field{span{at, at + n}, span{at + v, at + e}}, true
}

// framing is how a message's body is delimited.
type framing int

const (
	noBody   framing = iota
	byLength         // Content-Length
	byChunks         // Transfer-Encoding: chunked
	untilEnd         // a response read until the connection closes
)

// head is a parsed head: the head's bytes as one string, and its parts as
// substrings of it (no copy of their own).
type head struct {
	raw    string
	fields []field
	// Request: method and target. Response: status and reason.
	method, target, reason string
	status                 int
	minor                  byte // HTTP/1.minor

	framing framing
	length  int64 // for byLength
	expect  bool  // Expect: 100-continue
	close   bool  // Connection: close (or HTTP/1.0 without keep-alive)
}

func (hd *head) str(s span) string { return hd.raw[s.from:s.to] }

// newHead makes the head of raw, which h scanned.
func (h *headScanner) newHead(raw string) *head {
	hd := &head{}
	h.fill(hd, raw)
	return hd
}

// fill makes hd the head of raw, which h scanned.
func (h *headScanner) fill(hd *head, raw string) {
	*hd = head{raw: raw, fields: h.fields, minor: h.minor, status: h.status}
	if h.response {
		hd.reason = hd.str(h.reason)
	} else {
		hd.method, hd.target = hd.str(h.method), hd.str(h.target)
	}
}

// asciiEqualFold reports whether a and b are equal, ignoring ASCII case.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x != y {
			if 'A' <= x && x <= 'Z' {
				x += 'a' - 'A'
			}
			if 'A' <= y && y <= 'Z' {
				y += 'a' - 'A'
			}
			if x != y {
				return false
			}
		}
	}
	return true
}

// hasToken reports whether a comma-separated list (Connection) names
// token, in any case.
func hasToken(list, token string) bool {
	for list != "" {
		var item string
		item, list, _ = strings.Cut(list, ",")
		if asciiEqualFold(strings.Trim(item, " \t"), token) {
			return true
		}
	}
	return false
}

// frame reads the head's framing and connection headers and checks them
// as a server checks a request: Host for HTTP/1.1, exactly one
// Content-Length of digits, no Transfer-Encoding beside it, chunked the
// only transfer coding, 100-continue the only expectation. maxBody bounds
// the Content-Length.
func (hd *head) frameRequest(maxBody int64) *Refusal {
	var host, cl, te, expect, conn int
	var clv, tev, expv string
	for _, f := range hd.fields {
		name := hd.str(f.name)
		switch len(name) {
		case 4:
			if asciiEqualFold(name, "host") {
				host++
			}
		case 6:
			if asciiEqualFold(name, "expect") {
				expect++
				expv = hd.str(f.value)
			}
		case 10:
			if asciiEqualFold(name, "connection") {
				conn++
				hd.connection(hd.str(f.value))
			}
		case 14:
			if asciiEqualFold(name, "content-length") {
				cl++
				clv = hd.str(f.value)
			}
		case 17:
			if asciiEqualFold(name, "transfer-encoding") {
				te++
				tev = hd.str(f.value)
			}
		}
	}
	if hd.minor == '0' && !hd.keepAliveAsked() {
		hd.close = true
	}
	if hd.minor != '0' && host == 0 {
		return refuse(400, "no Host header") // HTTP/1.1 requires one
	}
	if host > 1 {
		return refuse(400, "more than one Host header")
	}
	switch {
	case te > 0 && cl > 0:
		// Which of the two frames the body? Servers that disagree about
		// it are how requests get smuggled past proxies.
		return refuse(400, "both Transfer-Encoding and Content-Length")
	case te > 1:
		return refuse(400, "more than one Transfer-Encoding header")
	case te == 1:
		if !asciiEqualFold(tev, "chunked") {
			return refuse(501, "Transfer-Encoding "+tev)
		}
		hd.framing = byChunks
	case cl > 1:
		return refuse(400, "bad Content-Length")
	case cl == 1:
		n, r := contentLength(clv, maxBody)
		if r != nil {
			return r
		}
		if n > 0 {
			hd.framing, hd.length = byLength, n
		}
	}
	if hd.framing != noBody && expect > 0 {
		if expect > 1 || !asciiEqualFold(expv, "100-continue") {
			return refuse(417, "unknown expectation")
		}
		hd.expect = hd.minor != '0'
	}
	return nil
}

// connection notes what a Connection header's value says.
func (hd *head) connection(v string) {
	if hasToken(v, "close") {
		hd.close = true
	}
}

// keepAliveAsked reports whether a Connection header asks for keep-alive.
func (hd *head) keepAliveAsked() bool {
	for _, f := range hd.fields {
		if asciiEqualFold(hd.str(f.name), "connection") && hasToken(hd.str(f.value), "keep-alive") {
			return true
		}
	}
	return false
}

// contentLength reads a Content-Length value: digits only, at most max.
func contentLength(v string, max int64) (int64, *Refusal) {
	if v == "" {
		return 0, refuse(400, "bad Content-Length")
	}
	for i := 0; i < len(v); i++ {
		if !digit(v[i]) {
			return 0, refuse(400, "bad Content-Length")
		}
	}
	t := strings.TrimLeft(v, "0")
	n, err := strconv.ParseInt(t, 10, 64)
	if t == "" {
		n, err = 0, nil
	}
	if err != nil || n > max {
		return 0, refuse(413, "body over "+strconv.FormatInt(max, 10)+" bytes")
	}
	return n, nil
}

// frameResponse reads a response's framing (RFC 9112, 6.3): none for a
// HEAD request's response, 1xx, 204 and 304; chunked; Content-Length;
// else until the connection closes. Both, or a bad length, are a broken
// response.
func (hd *head) frameResponse(headRequest bool) *Refusal {
	var cl, te int
	var clv, tev string
	for _, f := range hd.fields {
		name := hd.str(f.name)
		switch {
		case asciiEqualFold(name, "content-length"):
			cl++
			clv = hd.str(f.value)
		case asciiEqualFold(name, "transfer-encoding"):
			te++
			tev = hd.str(f.value)
		case asciiEqualFold(name, "connection"):
			hd.connection(hd.str(f.value))
		}
	}
	if hd.minor == '0' && !hd.keepAliveAsked() {
		hd.close = true
	}
	if headRequest || hd.status < 200 || hd.status == 204 || hd.status == 304 {
		return nil
	}
	switch {
	case te > 0 && cl > 0:
		return refuse(0, "both Transfer-Encoding and Content-Length")
	case te > 0:
		if te > 1 || !asciiEqualFold(tev, "chunked") {
			return refuse(0, "Transfer-Encoding "+tev)
		}
		hd.framing = byChunks
	case cl > 1:
		return refuse(0, "more than one Content-Length")
	case cl == 1:
		n, r := contentLength(clv, 1<<62)
		if r != nil {
			return refuse(0, "bad Content-Length "+strconv.Quote(clv))
		}
		hd.framing, hd.length = byLength, n
	default:
		hd.framing, hd.close = untilEnd, true
	}
	return nil
}

// chunkSize reads a chunk-size line (without its end of line): hex digits
// (at most 8: a chunk under 4 GiB), then optional spaces or tabs and a
// chunk extension after ";", which is ignored. ok is false if it is not
// one.
func chunkSize(line []byte) (int64, bool) {
	n := 0
	var size int64
	for n < len(line) && n <= 8 {
		c := line[n]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			goto rest
		}
		size = size<<4 | int64(d)
		n++
	}
rest:
	if n == 0 || n > 8 {
		return 0, false
	}
	r := line[n:]
	for len(r) > 0 && (r[0] == ' ' || r[0] == '\t') {
		r = r[1:]
	}
	if len(r) > 0 && r[0] != ';' {
		return 0, false
	}
	return size, true
}
