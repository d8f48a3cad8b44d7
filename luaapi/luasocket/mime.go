package luasocket

import (
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
)

// mime.core: the native half of LuaSocket's mime module, as LuaSocket's C
// module mime.c: Base64, Quoted-Printable, line wrapping, end-of-line
// normalization and SMTP dot-stuffing, each as one step of an LTN12
// filter. mime.lua (Debian's lua-socket, or any LuaSocket's) requires it
// and builds its filters on top; sockrun does not ship mime.lua.

func init() {
	api.Register(&api.Module{
		Name:    "mime.core",
		Kind:    api.RequireOnly,
		Summary: "the native half of LuaSocket's mime module: Base64, Quoted-Printable, line wrapping",
		Doc:     "docs/luasocket.md",
		Defs:    "mime.lua",
		Funcs: []api.Func{
			api.Fn("b64", "mime.core.b64(C [, D])", "Base64 of C..D as far as whole groups go, and what is left", mimeB64).
				Params(api.T("string|nil"), api.T("string|nil")).Returns(api.T("string|nil"), api.T("string|nil").Named("rest")),
			api.Fn("unb64", "mime.core.unb64(C [, D])", "the bytes of Base64 C..D as far as whole groups go, and what is left", mimeUnb64).
				Params(api.T("string|nil"), api.T("string|nil")).Returns(api.T("string|nil"), api.T("string|nil").Named("rest")),
			api.Fn("qp", "mime.core.qp(C [, D [, marker]])", "Quoted-Printable of C..D, and what is left", mimeQp).
				Params(api.T("string|nil"), api.T("string|nil"), api.Str).Returns(api.T("string|nil"), api.T("string|nil").Named("rest")),
			api.Fn("unqp", "mime.core.unqp(C [, D])", "the bytes of Quoted-Printable C..D, and what is left", mimeUnqp).
				Params(api.T("string|nil"), api.T("string|nil")).Returns(api.T("string|nil"), api.T("string|nil").Named("rest")),
			api.Fn("wrp", "mime.core.wrp(n, C [, length])", "C broken into lines of at most length, and what is left of the line", mimeWrp).
				Params(api.Int, api.T("string|nil"), api.Int).Returns(api.T("string|nil"), api.Int.Named("n")),
			api.Fn("qpwrp", "mime.core.qpwrp(n, C [, length])", "Quoted-Printable C broken with soft line breaks, and what is left of the line", mimeQpwrp).
				Params(api.Int, api.T("string|nil"), api.Int).Returns(api.T("string|nil"), api.Int.Named("n")),
			api.Fn("eol", "mime.core.eol(c, C [, marker])", "C with every end of line made marker, and the context for the next chunk", mimeEol).
				Params(api.Int, api.T("string|nil"), api.Str).Returns(api.T("string|nil"), api.Int.Named("c")),
			api.Fn("dot", "mime.core.dot(n, C)", "C dot-stuffed for SMTP, and the state for the next chunk", mimeDot).
				Params(api.Int, api.T("string|nil")).Returns(api.T("string|nil"), api.Int.Named("n")),
		},
		Setup: func(_ any, L *lua.LState, mod *lua.LTable) {
			mod.RawSetString("_VERSION", lua.LString("MIME 1.0.3"))
		},
	})
}

const (
	crlf   = "\r\n"
	eqcrlf = "=\r\n"
)

// optStr is the string (or number, as text) at n, and false for nil.
func optStr(L *lua.LState, n int) (string, bool) {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return v.String(), true
	case *lua.LNilType:
		return "", false
	}
	L.ArgError(n, "string expected, got "+L.Get(n).Type().String())
	return "", false
}

// pushNilIfEmpty pushes s, or nil when it is empty: the last step of a
// filter returns nil for no output, as mime.c does.
func pushNilIfEmpty(L *lua.LState, s string) {
	if s == "" {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(s))
	}
}

const b64base = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

var b64unbase = func() (t [256]byte) {
	for i := range t {
		t[i] = 255
	}
	for i := 0; i < 64; i++ {
		t[b64base[i]] = byte(i)
	}
	t['='] = 0
	return t
}()

// b64encode adds c to the atom; a whole atom of 3 bytes is encoded.
func b64encode(c byte, atom []byte, b *strings.Builder) []byte {
	atom = append(atom, c)
	if len(atom) == 3 {
		v := uint(atom[0])<<16 | uint(atom[1])<<8 | uint(atom[2])
		b.WriteByte(b64base[v>>18])
		b.WriteByte(b64base[v>>12&63])
		b.WriteByte(b64base[v>>6&63])
		b.WriteByte(b64base[v&63])
		atom = atom[:0]
	}
	return atom
}

func b64pad(atom []byte, b *strings.Builder) {
	switch len(atom) {
	case 1:
		v := uint(atom[0]) << 4
		b.WriteByte(b64base[v>>6])
		b.WriteByte(b64base[v&63])
		b.WriteString("==")
	case 2:
		v := (uint(atom[0])<<8 | uint(atom[1])) << 2
		b.WriteByte(b64base[v>>12])
		b.WriteByte(b64base[v>>6&63])
		b.WriteByte(b64base[v&63])
		b.WriteByte('=')
	}
}

// mimeB64 is mime.core.b64(C [, D]): the Base64 of C..D as far as whole
// 3-byte groups go, and the 0-2 bytes left for the next call. With D nil,
// C is the end of the data: it is padded, and nothing is left (nil, nil
// for no output).
func mimeB64(L *lua.LState) int {
	c, ok := optStr(L, 1)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 2
	}
	var b strings.Builder
	atom := make([]byte, 0, 3)
	for i := 0; i < len(c); i++ {
		atom = b64encode(c[i], atom, &b)
	}
	d, ok := optStr(L, 2)
	if !ok {
		b64pad(atom, &b)
		pushNilIfEmpty(L, b.String())
		L.Push(lua.LNil)
		return 2
	}
	for i := 0; i < len(d); i++ {
		atom = b64encode(d[i], atom, &b)
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LString(atom))
	return 2
}

func b64decode(c byte, atom []byte, b *strings.Builder) []byte {
	if b64unbase[c] > 64 {
		return atom // not Base64: skipped (line breaks, spaces)
	}
	atom = append(atom, c)
	if len(atom) == 4 {
		v := uint(b64unbase[atom[0]])<<18 | uint(b64unbase[atom[1]])<<12 | uint(b64unbase[atom[2]])<<6 | uint(b64unbase[atom[3]])
		out := []byte{byte(v >> 16), byte(v >> 8), byte(v)}
		valid := 3
		if atom[2] == '=' {
			valid = 1
		} else if atom[3] == '=' {
			valid = 2
		}
		b.Write(out[:valid])
		atom = atom[:0]
	}
	return atom
}

// mimeUnb64 is mime.core.unb64(C [, D]): the bytes of the Base64 text
// C..D as far as whole 4-character groups go (other characters ignored),
// and what is left.
func mimeUnb64(L *lua.LState) int {
	c, ok := optStr(L, 1)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 2
	}
	var b strings.Builder
	atom := make([]byte, 0, 4)
	for i := 0; i < len(c); i++ {
		atom = b64decode(c[i], atom, &b)
	}
	d, ok := optStr(L, 2)
	if !ok {
		pushNilIfEmpty(L, b.String())
		L.Push(lua.LNil)
		return 2
	}
	for i := 0; i < len(d); i++ {
		atom = b64decode(d[i], atom, &b)
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LString(atom))
	return 2
}

// The classes of bytes for Quoted-Printable, as mime.c's qpclass.
const (
	qpPlain = iota
	qpQuoted
	qpCR
	qpIfLast
)

var qpclass = func() (t [256]byte) {
	for i := range t {
		t[i] = qpQuoted
	}
	for i := 33; i <= 60; i++ {
		t[i] = qpPlain
	}
	for i := 62; i <= 126; i++ {
		t[i] = qpPlain
	}
	t['\t'], t[' '], t['\r'] = qpIfLast, qpIfLast, qpCR
	return t
}()

const qpbase = "0123456789ABCDEF"

func qpquote(c byte, b *strings.Builder) {
	b.WriteByte('=')
	b.WriteByte(qpbase[c>>4])
	b.WriteByte(qpbase[c&15])
}

// qpencode adds c to the atom and encodes what can be decided.
func qpencode(c byte, atom []byte, marker string, b *strings.Builder) []byte {
	atom = append(atom, c)
	for len(atom) > 0 {
		switch qpclass[atom[0]] {
		case qpCR:
			if len(atom) < 2 {
				return atom
			}
			if atom[1] == '\n' {
				b.WriteString(marker)
				return atom[:0]
			}
			qpquote(atom[0], b)
		case qpIfLast:
			if len(atom) < 3 {
				return atom
			}
			if atom[1] == '\r' && atom[2] == '\n' {
				qpquote(atom[0], b)
				b.WriteString(marker)
				return atom[:0]
			}
			b.WriteByte(atom[0])
		case qpQuoted:
			qpquote(atom[0], b)
		default:
			b.WriteByte(atom[0])
		}
		atom = append(atom[:0], atom[1:]...)
	}
	return atom
}

func qppad(atom []byte, b *strings.Builder) {
	for _, c := range atom {
		if qpclass[c] == qpPlain {
			b.WriteByte(c)
		} else {
			qpquote(c, b)
		}
	}
	if len(atom) > 0 {
		b.WriteString(eqcrlf)
	}
}

// mimeQp is mime.core.qp(C [, D [, marker]]): the Quoted-Printable
// encoding of C..D, CRLF line breaks written as marker (CRLF), and what
// is left for the next call.
func mimeQp(L *lua.LState) int {
	c, ok := optStr(L, 1)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 2
	}
	marker := crlf
	if m, ok := optStr(L, 3); ok {
		marker = m
	}
	var b strings.Builder
	atom := make([]byte, 0, 3)
	for i := 0; i < len(c); i++ {
		atom = qpencode(c[i], atom, marker, &b)
	}
	d, ok := optStr(L, 2)
	if !ok {
		qppad(atom, &b)
		pushNilIfEmpty(L, b.String())
		L.Push(lua.LNil)
		return 2
	}
	for i := 0; i < len(d); i++ {
		atom = qpencode(d[i], atom, marker, &b)
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LString(atom))
	return 2
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 255
}

func qpdecode(c byte, atom []byte, b *strings.Builder) []byte {
	atom = append(atom, c)
	switch atom[0] {
	case '=':
		if len(atom) < 3 {
			return atom
		}
		if atom[1] == '\r' && atom[2] == '\n' {
			return atom[:0] // a soft line break
		}
		h, l := unhex(atom[1]), unhex(atom[2])
		if h > 15 || l > 15 {
			b.Write(atom)
		} else {
			b.WriteByte(h<<4 + l)
		}
	case '\r':
		if len(atom) < 2 {
			return atom
		}
		if atom[1] == '\n' {
			b.Write(atom[:2])
		}
	default:
		if atom[0] == '\t' || atom[0] > 31 && atom[0] < 127 {
			b.WriteByte(atom[0])
		}
	}
	return atom[:0]
}

// mimeUnqp is mime.core.unqp(C [, D]): the bytes of the Quoted-Printable
// text C..D, soft line breaks dropped, and what is left.
func mimeUnqp(L *lua.LState) int {
	c, ok := optStr(L, 1)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 2
	}
	var b strings.Builder
	atom := make([]byte, 0, 3)
	for i := 0; i < len(c); i++ {
		atom = qpdecode(c[i], atom, &b)
	}
	d, ok := optStr(L, 2)
	if !ok {
		pushNilIfEmpty(L, b.String())
		L.Push(lua.LNil)
		return 2
	}
	for i := 0; i < len(d); i++ {
		atom = qpdecode(d[i], atom, &b)
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LString(atom))
	return 2
}

// mimeWrp is mime.core.wrp(n, C [, length]): C broken into lines of at
// most length (76) characters with CRLF (its own line breaks kept, CRs
// dropped), n being what is left of the current line; returns the text
// and what is left of the line. With C nil, a CRLF if a line is open.
func mimeWrp(L *lua.LState) int {
	left := int(L.CheckNumber(1))
	length := int(L.OptNumber(3, 76))
	c, ok := optStr(L, 2)
	if !ok {
		if left < length {
			L.Push(lua.LString(crlf))
		} else {
			L.Push(lua.LNil)
		}
		L.Push(lua.LNumber(length))
		return 2
	}
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		switch c[i] {
		case '\r':
		case '\n':
			b.WriteString(crlf)
			left = length
		default:
			if left <= 0 {
				left = length
				b.WriteString(crlf)
			}
			b.WriteByte(c[i])
			left--
		}
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(left))
	return 2
}

// mimeQpwrp is mime.core.qpwrp(n, C [, length]): as wrp for
// Quoted-Printable text, breaking lines with soft line breaks ("=" CRLF)
// and never inside an =XX.
func mimeQpwrp(L *lua.LState) int {
	left := int(L.CheckNumber(1))
	length := int(L.OptNumber(3, 76))
	c, ok := optStr(L, 2)
	if !ok {
		if left < length {
			L.Push(lua.LString(eqcrlf))
		} else {
			L.Push(lua.LNil)
		}
		L.Push(lua.LNumber(length))
		return 2
	}
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		switch c[i] {
		case '\r':
		case '\n':
			left = length
			b.WriteString(crlf)
		case '=':
			if left <= 3 {
				left = length
				b.WriteString(eqcrlf)
			}
			b.WriteByte(c[i])
			left--
		default:
			if left <= 1 {
				left = length
				b.WriteString(eqcrlf)
			}
			b.WriteByte(c[i])
			left--
		}
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(left))
	return 2
}

// mimeEol is mime.core.eol(c, C [, marker]): C with every end of line
// (CR, LF, CRLF or LFCR) written as marker (CRLF); c is the context the
// last call returned (0 at the start). Returns the text and the context.
func mimeEol(L *lua.LState) int {
	ctx := int(L.CheckNumber(1))
	c, ok := optStr(L, 2)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LNumber(0))
		return 2
	}
	marker := crlf
	if m, ok := optStr(L, 3); ok {
		marker = m
	}
	candidate := func(c int) bool { return c == '\r' || c == '\n' }
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		ch := int(c[i])
		switch {
		case candidate(ch) && candidate(ctx):
			if ch == ctx {
				b.WriteString(marker)
			}
			ctx = 0
		case candidate(ch):
			b.WriteString(marker)
			ctx = ch
		default:
			b.WriteByte(c[i])
			ctx = 0
		}
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(ctx))
	return 2
}

// mimeDot is mime.core.dot(n, C): C with a "." that starts a line doubled
// (SMTP's dot-stuffing); n is the state the last call returned (2 at the
// start of a line). Returns the text and the new state; with C nil, nil
// and 2.
func mimeDot(L *lua.LState) int {
	state := int(L.CheckNumber(1))
	c, ok := optStr(L, 2)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LNumber(2))
		return 2
	}
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		b.WriteByte(c[i])
		switch c[i] {
		case '\r':
			state = 1
		case '\n':
			if state == 1 {
				state = 2
			} else {
				state = 0
			}
		case '.':
			if state == 2 {
				b.WriteByte('.')
			}
			state = 0
		default:
			state = 0
		}
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(state))
	return 2
}
