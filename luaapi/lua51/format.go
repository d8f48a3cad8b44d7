package lua51

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// string.format as Lua 5.1's: each directive is C's sprintf of one value
// (Lua 5.1 calls sprintf per directive, with its flags "-+ #0", a width
// and a precision of at most two digits), written here with strconv into
// one buffer. gopher-lua's uses Go's fmt, which differs in %x of negative
// numbers, %g, %q, inf and nan, has no %u, and appends "%!(EXTRA ...)".

// formatBufs are string.format's buffers, reused across calls.
var formatBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// strFormat is string.format(fmt, ...): fmt with each directive replaced
// by the next argument formatted as C's sprintf does; "%%" is a percent
// sign. Extra arguments are ignored; a missing one is an error.
func strFormat(L *lua.LState) int {
	fs := checkString(L, 1)
	top := L.GetTop()
	arg := 1
	bp := formatBufs.Get().(*[]byte)
	b := (*bp)[:0]
	for i := 0; i < len(fs); {
		j := strings.IndexByte(fs[i:], '%')
		if j < 0 {
			b = append(b, fs[i:]...)
			break
		}
		b = append(b, fs[i:i+j]...)
		i += j + 1
		if i < len(fs) && fs[i] == '%' {
			b = append(b, '%')
			i++
			continue
		}
		arg++
		if arg > top {
			formatBufs.Put(bp)
			argError(L, arg, "no value")
		}
		var sp spec
		i = sp.scan(L, fs, i)
		b = sp.format(L, b, arg)
	}
	L.Push(lua.LString(b))
	if cap(b) <= 64<<10 {
		*bp = b
		formatBufs.Put(bp)
	}
	return 1
}

// spec is one directive of a format: its flags, width and precision.
type spec struct {
	minus, plus, space, sharp, zero bool
	width                           int
	prec                            int // -1 when not given
	verb                            byte
}

// scan reads the directive of fs that starts at i (after the "%") as Lua
// 5.1's scanformat does, and returns where the text after it starts.
func (sp *spec) scan(L *lua.LState, fs string, i int) int {
	start := i
	for ; i < len(fs); i++ {
		switch fs[i] {
		case '-':
			sp.minus = true
		case '+':
			sp.plus = true
		case ' ':
			sp.space = true
		case '#':
			sp.sharp = true
		case '0':
			sp.zero = true
		default:
			goto width
		}
	}
width:
	if i-start >= len("-+ #0")+1 {
		raise(L, "invalid format (repeated flags)")
	}
	digits := func() int {
		n := 0
		for k := 0; k < 2 && i < len(fs) && isDigit(fs[i]); k++ {
			n = n*10 + int(fs[i]-'0')
			i++
		}
		return n
	}
	sp.width = digits()
	sp.prec = -1
	if i < len(fs) && fs[i] == '.' {
		i++
		sp.prec = digits()
	}
	if i < len(fs) && isDigit(fs[i]) {
		raise(L, "invalid format (width or precision too long)")
	}
	if i < len(fs) {
		sp.verb = fs[i]
		i++
	}
	return i
}

// format appends argument arg formatted by the directive.
func (sp *spec) format(L *lua.LState, b []byte, arg int) []byte {
	switch sp.verb {
	case 'c':
		c := byte(int32(cLong(checkNumber(L, arg))))
		start := len(b)
		sp.zero = false // glibc pads %c with spaces even with the 0 flag
		b = sp.pad(b, []byte{c}, "")
		// Lua 5.1 keeps sprintf's output up to its first NUL byte.
		return cutNUL(b, start)
	case 'd', 'i':
		n := cLong(checkNumber(L, arg))
		sign := ""
		u := uint64(n)
		if n < 0 {
			sign, u = "-", -u
		} else if sp.plus {
			sign = "+"
		} else if sp.space {
			sign = " "
		}
		return sp.integer(b, u, 10, sign, "")
	case 'o', 'u', 'x', 'X':
		u := cULong(checkNumber(L, arg))
		prefix := ""
		base := 10
		switch sp.verb {
		case 'o':
			base = 8
		case 'x', 'X':
			base = 16
			if sp.sharp && u != 0 {
				prefix = "0" + string(sp.verb)
			}
		}
		return sp.integer(b, u, base, "", prefix)
	case 'e', 'E', 'f', 'g', 'G':
		return sp.float(b, checkNumber(L, arg))
	case 'q':
		return appendQuoted(b, checkString(L, arg))
	case 's':
		s := checkString(L, arg)
		if sp.prec < 0 && len(s) >= 100 {
			// Lua 5.1 adds a long string whole, NUL bytes and all.
			return append(b, s...)
		}
		s = cString(s)
		if sp.prec >= 0 && len(s) > sp.prec {
			s = s[:sp.prec]
		}
		sp.zero = false // glibc pads %s with spaces even with the 0 flag
		return sp.padString(b, s)
	}
	verb := ""
	if sp.verb != 0 {
		verb = string(sp.verb)
	}
	raise(L, "invalid option '%"+verb+"' to 'format'")
	return b
}

// cULong is C's (unsigned long) cast of a double as gcc compiles it on
// x86-64: values under 2^63 (negative ones and NaN included) through a
// signed conversion, larger ones offset by 2^63; so NaN and values out of
// range give 2^63 or 0.
func cULong(f float64) uint64 {
	if !(f >= 0x1p63) { // NaN too: the comparison is false
		return uint64(cLong(f))
	}
	return uint64(cLong(f-0x1p63)) ^ 1<<63
}

// cutNUL cuts b at the first NUL byte from start on.
func cutNUL(b []byte, start int) []byte {
	for i := start; i < len(b); i++ {
		if b[i] == 0 {
			return b[:i]
		}
	}
	return b
}

// integer appends u in base as C's %d, %o, %u, %x or %X: sign or prefix,
// at least prec digits (none for 0 with precision 0), "#" for octal
// making the first digit 0, padded to the width.
func (sp *spec) integer(b []byte, u uint64, base int, sign, prefix string) []byte {
	var tmp [64]byte
	digits := strconv.AppendUint(tmp[:0], u, base)
	if sp.verb == 'X' {
		for i, c := range digits {
			if c >= 'a' {
				digits[i] = c - 'a' + 'A'
			}
		}
	}
	if sp.prec == 0 && u == 0 {
		digits = digits[:0]
	}
	zeros := 0
	if sp.prec > len(digits) {
		zeros = sp.prec - len(digits)
	}
	if sp.verb == 'o' && sp.sharp && zeros == 0 && (len(digits) == 0 || digits[0] != '0') {
		zeros = 1
	}
	n := len(sign) + len(prefix) + zeros + len(digits)
	pad := max(sp.width-n, 0)
	if sp.zero && !sp.minus && sp.prec < 0 {
		zeros += pad
		pad = 0
	}
	if !sp.minus {
		b = appendRepeat(b, ' ', pad)
	}
	b = append(b, sign...)
	b = append(b, prefix...)
	b = appendRepeat(b, '0', zeros)
	b = append(b, digits...)
	if sp.minus {
		b = appendRepeat(b, ' ', pad)
	}
	return b
}

// float appends f as C's %e, %E, %f, %g or %G.
func (sp *spec) float(b []byte, f float64) []byte {
	sign := ""
	if math.Signbit(f) {
		sign = "-"
		f = -f
	} else if sp.plus {
		sign = "+"
	} else if sp.space {
		sign = " "
	}
	upper := sp.verb == 'E' || sp.verb == 'G'
	if math.IsInf(f, 0) || math.IsNaN(f) {
		text := "inf"
		if math.IsNaN(f) {
			text = "nan"
		}
		if upper {
			text = strings.ToUpper(text)
		}
		sp.zero = false // glibc pads inf and nan with spaces
		return sp.pad(b, []byte(text), sign)
	}
	prec := sp.prec
	if prec < 0 {
		prec = 6
	}
	var tmp [512]byte
	var digits []byte
	switch sp.verb {
	case 'f':
		digits = strconv.AppendFloat(tmp[:0], f, 'f', prec, 64)
		if sp.sharp && prec == 0 {
			digits = append(digits, '.')
		}
	case 'e', 'E':
		digits = strconv.AppendFloat(tmp[:0], f, 'e', prec, 64)
		if sp.sharp && prec == 0 {
			digits = pointBeforeExponent(digits)
		}
	default: // g, G
		if prec == 0 {
			prec = 1
		}
		if !sp.sharp {
			digits = strconv.AppendFloat(tmp[:0], f, 'g', prec, 64)
			break
		}
		// "#": C's choice of %e or %f, trailing zeros kept, and always a
		// decimal point.
		e := strconv.AppendFloat(tmp[:0], f, 'e', prec-1, 64)
		x, _ := strconv.Atoi(string(e[bytes.IndexByte(e, 'e')+1:]))
		if prec > x && x >= -4 {
			digits = strconv.AppendFloat(tmp[:0], f, 'f', prec-1-x, 64)
			if bytes.IndexByte(digits, '.') < 0 {
				digits = append(digits, '.')
			}
		} else {
			digits = e
			if bytes.IndexByte(digits, '.') < 0 {
				digits = pointBeforeExponent(digits)
			}
		}
	}
	if upper {
		for i, c := range digits {
			if c == 'e' {
				digits[i] = 'E'
			}
		}
	}
	return sp.pad(b, digits, sign)
}

// pointBeforeExponent puts a decimal point before the "e" of d.
func pointBeforeExponent(d []byte) []byte {
	i := bytes.IndexByte(d, 'e')
	d = append(d, 0)
	copy(d[i+1:], d[i:])
	d[i] = '.'
	return d
}

// pad appends sign and body padded to the width: on the right with "-",
// else with zeros after the sign with "0", else with spaces on the left.
func (sp *spec) pad(b, body []byte, sign string) []byte {
	pad := max(sp.width-len(sign)-len(body), 0)
	switch {
	case sp.minus:
		b = append(b, sign...)
		b = append(b, body...)
		return appendRepeat(b, ' ', pad)
	case sp.zero:
		b = append(b, sign...)
		b = appendRepeat(b, '0', pad)
		return append(b, body...)
	}
	b = appendRepeat(b, ' ', pad)
	b = append(b, sign...)
	return append(b, body...)
}

// padString is pad for a string.
func (sp *spec) padString(b []byte, s string) []byte {
	pad := max(sp.width-len(s), 0)
	if !sp.minus {
		b = appendRepeat(b, ' ', pad)
	}
	b = append(b, s...)
	if sp.minus {
		b = appendRepeat(b, ' ', pad)
	}
	return b
}

func appendRepeat(b []byte, c byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, c)
	}
	return b
}

// appendQuoted appends s as Lua 5.1's %q writes it: in double quotes, with
// a backslash before '"', '\\' and a newline, "\r" for a carriage return
// and "\000" for a NUL byte; every other byte as it is.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '\n':
			b = append(b, '\\', c)
		case '\r':
			b = append(b, `\r`...)
		case 0:
			b = append(b, `\000`...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
