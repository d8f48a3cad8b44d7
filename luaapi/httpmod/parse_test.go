package httpmod

import (
	"strings"
	"testing"
)

// scanIn feeds b to a head scanner in pieces of step bytes, as a
// connection might deliver them, and returns what it finally says: the
// head's length, or the refusal, and the head if whole.
func scanIn(b []byte, lim *Limits, response bool, step int) (int, *Refusal, *head) {
	h := headScanner{lim: *lim, response: response}
	for k := min(step, len(b)); ; k = min(k+step, len(b)) {
		n, r := h.scan(b[:k])
		if r != nil {
			return 0, r, nil
		}
		if n > 0 {
			return n, nil, h.newHead(string(b[:n]))
		}
		if k == len(b) {
			return 0, nil, nil
		}
	}
}

func TestHeadScanner(t *testing.T) {
	lim := DefaultLimits
	for _, c := range []struct {
		in     string
		status int // 0: a whole head
		why    string
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\nnext", 0, ""},
		{"GET / HTTP/1.1\nHost: x\n\n", 0, ""}, // bare LF ends lines too
		{"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 0, ""},
		{"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "request target is not a path"},
		{"GET / HTTP/1.1 \r\n", 400, "malformed request line"},
		{"GET / HTTP/1.10\r\n", 400, "malformed request line"},
		{"G\x00T / HTTP/1.1\r\n", 400, "malformed request line"},
		{"GET / HTTP/3.0\r\n", 505, "HTTP/3.0"},
		{"GET / HTTP/1.1\r\n: x\r\n", 400, "malformed header line"},
		{"GET / HTTP/1.1\r\n\tx\r\n", 400, "malformed header line"},
		{"GET / HTTP/1.1\r\nX:\x7f\r\n", 400, "malformed header line"},
		{"GET / HTTP/1.1\r\nX:\tok\t\r\n\r\n", 0, ""},
		{"GET /" + strings.Repeat("a", 9000), 414, "line longer than 8192 bytes"},
		{"GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 9000), 431, "line longer than 8192 bytes"},
	} {
		for _, step := range []int{1, 7, len(c.in)} {
			n, r, hd := scanIn([]byte(c.in), &lim, false, step)
			switch {
			case c.status == 0 && (r != nil || n == 0):
				t.Errorf("%q (in steps of %d): %v, %d; want a head", c.in, step, r, n)
			case c.status != 0 && (r == nil || r.Status != c.status || r.Why != c.why):
				t.Errorf("%q (in steps of %d): %v; want %d %s", c.in, step, r, c.status, c.why)
			case hd != nil && hd.method != strings.Fields(c.in)[0]:
				t.Errorf("%q: method %q", c.in, hd.method)
			}
		}
	}
}

func TestFrameRequest(t *testing.T) {
	for _, c := range []struct {
		head    string
		framing framing
		length  int64
		close   bool
		status  int
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", noBody, 0, false, 0},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 007\r\n\r\n", byLength, 7, false, 0},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", noBody, 0, false, 0},
		{"POST / HTTP/1.1\r\nHost: x\r\ntransfer-encoding: CHUNKED\r\n\r\n", byChunks, 0, false, 0},
		{"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Close\r\n\r\n", noBody, 0, true, 0},
		{"GET / HTTP/1.0\r\n\r\n", noBody, 0, true, 0},
		{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", noBody, 0, false, 0},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", 0, 0, false, 413},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n", byLength, 1048576, false, 0},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 \r\nContent-Length: 1\r\n\r\n", 0, 0, false, 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x1\r\n\r\n", 0, 0, false, 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, false, 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", 0, 0, false, 501},
		{"GET / HTTP/1.1\r\nHost: x\r\nExpect: nonsense\r\n\r\n", noBody, 0, false, 0}, // no body: no expectation to meet
	} {
		lim := DefaultLimits
		n, r, hd := scanIn([]byte(c.head), &lim, false, len(c.head))
		if r != nil || n == 0 {
			t.Fatalf("%q: %v", c.head, r)
		}
		r = hd.frameRequest(lim.MaxBody)
		switch {
		case c.status != 0 && (r == nil || r.Status != c.status):
			t.Errorf("%q: %v, want %d", c.head, r, c.status)
		case c.status == 0 && r != nil:
			t.Errorf("%q: refused %v", c.head, r)
		case c.status == 0 && (hd.framing != c.framing || hd.length != c.length || hd.close != c.close):
			t.Errorf("%q: framing %d length %d close %v", c.head, hd.framing, hd.length, hd.close)
		}
	}
}

func TestChunkSize(t *testing.T) {
	for _, c := range []struct {
		line string
		size int64
		ok   bool
	}{
		{"0", 0, true}, {"a", 10, true}, {"FFFFFFFF", 0xffffffff, true}, {"10 ; ext=\"x\"", 16, true},
		{"1;", 1, true}, {"", 0, false}, {"123456789", 0, false}, {"-1", 0, false}, {"0x1", 0, false},
		{"1 2", 0, false}, {"g", 0, false},
	} {
		if size, ok := chunkSize([]byte(c.line)); size != c.size || ok != c.ok {
			t.Errorf("chunkSize(%q) = %d, %v; want %d, %v", c.line, size, ok, c.size, c.ok)
		}
	}
}

// FuzzHeadScanner: however the bytes of a head arrive, a byte at a time
// or all at once, the scanner says the same (a head of the same length
// and parts, the same refusal, or not yet), never panics, and never
// takes a head longer than the limits allow.
func FuzzHeadScanner(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false)
	f.Add([]byte("POST /e HTTP/1.0\r\nContent-Length: 3\r\nX:  y \r\n\r\nabc"), false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), true)
	f.Add([]byte("HTTP/1.1 404\r\n\r\n"), true)
	f.Add([]byte("\r\n\r\n"), false)
	f.Fuzz(func(t *testing.T, in []byte, response bool) {
		lim := Limits{MaxLine: 64, MaxHead: 128, MaxHeaders: 4, MaxBody: 100}
		if !response {
			in = in[skipEmpty(in):]
		}
		n1, r1, h1 := scanIn(in, &lim, response, 1)
		n2, r2, h2 := scanIn(in, &lim, response, len(in)+1)
		if n1 != n2 || (r1 == nil) != (r2 == nil) || r1 != nil && *r1 != *r2 {
			t.Fatalf("a byte at a time: %d %v; at once: %d %v", n1, r1, n2, r2)
		}
		if h1 == nil {
			return
		}
		if n1 > lim.MaxLine+lim.MaxHead+2*(lim.MaxHeaders+1) {
			t.Fatalf("a head of %d bytes passed the limits", n1)
		}
		if h1.method != h2.method || h1.target != h2.target || h1.status != h2.status || len(h1.fields) != len(h2.fields) {
			t.Fatalf("the parts differ")
		}
		for _, fl := range h1.fields {
			if !isToken(h1.str(fl.name)) {
				t.Fatalf("header name %q", h1.str(fl.name))
			}
			v := h1.str(fl.value)
			if strings.ContainsAny(v, "\r\n\x00") || strings.Trim(v, " \t") != v {
				t.Fatalf("header value %q", v)
			}
		}
		if response {
			if h1.status < 100 || h1.status > 999 {
				t.Fatalf("status %d", h1.status)
			}
			h1.frameResponse(false)
			return
		}
		if r := h1.frameRequest(lim.MaxBody); r == nil {
			if h1.framing == byLength && (h1.length <= 0 || h1.length > lim.MaxBody) {
				t.Fatalf("length %d", h1.length)
			}
			if h1.target == "" || h1.method == "" {
				t.Fatalf("target %q", h1.target)
			}
		}
	})
}
