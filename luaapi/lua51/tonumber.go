package lua51

import (
	"math"
	"math/bits"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

func init() {
	correct("tonumber", func(L *lua.LState, _ Options) {
		L.SetGlobal("tonumber", L.NewFunction(baseToNumber))
	})
}

// baseToNumber is tonumber(e [, base]): e as a number, or nil. In base 10
// (the default) a number stays itself and a string is read as Lua 5.1
// reads a numeral (ParseNumber); in another base from 2 to 36, e is read
// as text of an unsigned integer in that base, as C's strtoul reads it.
func baseToNumber(L *lua.LState) int {
	base := optInt(L, 2, 10)
	if base == 10 {
		checkAny(L, 1)
		if f, ok := toNumber(L.Get(1)); ok {
			L.Push(lua.LNumber(f))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}
	s := checkString(L, 1)
	if base < 2 || base > 36 {
		argError(L, 2, "base out of range")
	}
	if n, ok := parseUnsigned(s, base); ok {
		L.Push(lua.LNumber(float64(n)))
		return 1
	}
	L.Push(lua.LNil)
	return 1
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// cString is s as C sees it: up to its first NUL byte.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// ParseNumber reads s as Lua 5.1 converts a string to a number (tonumber,
// arithmetic on strings): what C's strtod reads, with white space around
// it and nothing else. So "1e2" is 100, " 10 " is 10, "0x1A" is 26, "0x1p4"
// is 16, "inf", "-nan" and "infinity" are numbers, and "1_0", "0x", "1e"
// and "" are not. As in C, the string ends at its first NUL byte.
func ParseNumber(s string) (float64, bool) {
	// The common case, a decimal integer of fewer than 16 digits (a
	// length, a port, a count read off the wire), is its exact value.
	if len(s) > 0 && len(s) < 16 {
		n := int64(0)
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				n = -1
				break
			}
			n = n*10 + int64(c-'0')
		}
		if n >= 0 {
			return float64(n), true
		}
	}
	s = cString(s)
	f, n := strtod(s)
	if n == 0 {
		return 0, false
	}
	for ; n < len(s); n++ {
		if !isSpace(s[n]) {
			return 0, false
		}
	}
	return f, true
}

// strtod is C's strtod in the C locale: the number at the start of s
// (after white space) and how many bytes it took, 0 if there is none.
func strtod(s string) (float64, int) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	start := i
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := s[i:]
	switch {
	case hasFoldPrefix(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case hasFoldPrefix(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case hasFoldPrefix(rest, "nan"):
		n := i + 3
		// "nan(chars)": the parenthesis only if it closes.
		if n < len(s) && s[n] == '(' {
			j := n + 1
			for j < len(s) && (isAlnum(s[j]) || s[j] == '_') {
				j++
			}
			if j < len(s) && s[j] == ')' {
				n = j + 1
			}
		}
		return math.Copysign(math.NaN(), sign(1)), n
	case len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X'):
		if f, n := hexFloat(rest[2:]); n > 0 {
			return sign(f), i + 2 + n
		}
		// "0x" with no hex digit after it is the number 0.
		return sign(0), i + 1
	}
	j, digits := mantissa(s, i, isDigit)
	if digits == 0 {
		return 0, 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	// Go's ParseFloat rounds correctly, as glibc's strtod; out of range
	// it gives ±Inf or 0 with an error, as strtod gives HUGE_VAL or 0.
	f, _ := strconv.ParseFloat(s[start:j], 64)
	return f, j
}

// mantissa reads the digits of a number's mantissa in s from i, with
// digit telling a digit of its base: digits, a point, digits. It returns
// where the mantissa ends and how many digits it has.
func mantissa(s string, i int, digit func(byte) bool) (end, digits int) {
	j := i
	for j < len(s) && digit(s[j]) {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && digit(s[j]) {
			j++
			digits++
		}
	}
	return j, digits
}

// hexFloat reads the hexadecimal digits, point and binary exponent after
// "0x": its value and the bytes it took, 0 if there is no hex digit.
func hexFloat(s string) (float64, int) {
	j, digits := mantissa(s, 0, isHex)
	if digits == 0 {
		return 0, 0
	}
	mant := s[:j]
	exp := "p0"
	if j < len(s) && (s[j] == 'p' || s[j] == 'P') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			exp = s[j:k]
			j = k
		}
	}
	f, _ := strconv.ParseFloat("0x"+mant+exp, 64)
	return f, j
}

// parseUnsigned reads s as tonumber(s, base) does with C's strtoul: white
// space, a sign, for base 16 an optional 0x, then at least one digit of
// the base (letters for 10 and up), then only white space. A minus sign
// negates the value as an unsigned long (-1 is 2^64-1); past 2^64-1 the
// value is 2^64-1.
func parseUnsigned(s string, base int) (uint64, bool) {
	s = cString(s)
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 16 && i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && digitValue(s[i+2]) < 16 {
		i += 2
	}
	var n uint64
	overflow := false
	digits := 0
	for ; i < len(s); i++ {
		d := digitValue(s[i])
		if d >= base {
			break
		}
		digits++
		hi, lo := mulAdd(n, uint64(base), uint64(d))
		if hi != 0 {
			overflow = true
		}
		n = lo
	}
	if digits == 0 {
		return 0, false
	}
	for ; i < len(s); i++ {
		if !isSpace(s[i]) {
			return 0, false
		}
	}
	switch {
	case overflow:
		return math.MaxUint64, true
	case neg:
		return -n, true
	}
	return n, true
}

// mulAdd is n*base + d as a 128-bit value's high and low words.
func mulAdd(n, base, d uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(n, base)
	lo, carry := bits.Add64(lo, d, 0)
	return hi + carry, lo
}

// digitValue is c's value as a digit of a base up to 36, 99 if it is none.
func digitValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return digitValue(c) < 16 }
func isAlnum(c byte) bool { return digitValue(c) < 36 }

// hasFoldPrefix reports whether s starts with prefix, ignoring ASCII case.
func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
