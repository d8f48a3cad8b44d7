package lpattern

// The classes of "%a" and its kin are C's <ctype.h> in the C locale, as
// Lua's: ASCII only, a byte above 127 is in none of them (and so in every
// complement, "%A" to "%Z").

const (
	isAlpha uint16 = 1 << iota
	isCntrl
	isDigit
	isLower
	isPunct
	isSpace
	isUpper
	isAlnum
	isXdigit
	isNul
)

// ctype has each byte's classes.
var ctype = func() (t [256]uint16) {
	for c := range 128 {
		var bits uint16
		switch {
		case 'a' <= c && c <= 'z':
			bits |= isAlpha | isLower | isAlnum
		case 'A' <= c && c <= 'Z':
			bits |= isAlpha | isUpper | isAlnum
		case '0' <= c && c <= '9':
			bits |= isDigit | isAlnum | isXdigit
		case c == ' ' || '\t' <= c && c <= '\r':
			bits |= isSpace
		case '!' <= c && c <= '~':
			bits |= isPunct
		}
		if c < ' ' || c == 0x7f {
			bits |= isCntrl
		}
		if 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' {
			bits |= isXdigit
		}
		if c == 0 {
			bits |= isNul
		}
		t[c] = bits
	}
	return t
}()

// classBits maps the letter of a class, either case, to its bit in ctype;
// 0 for a byte that names no class.
var classBits = func() (t [256]uint16) {
	for _, c := range []struct {
		letter byte
		bit    uint16
	}{
		{'a', isAlpha}, {'c', isCntrl}, {'d', isDigit}, {'l', isLower}, {'p', isPunct},
		{'s', isSpace}, {'u', isUpper}, {'w', isAlnum}, {'x', isXdigit}, {'z', isNul},
	} {
		t[c.letter] = c.bit
		t[c.letter-'a'+'A'] = c.bit
	}
	return t
}()

// inClass reports whether byte c is in the class "%cl": a lower-case
// letter names a class, the upper-case its complement; any other byte
// stands for itself ("%." is a dot). ("%g", printable but space, came in
// Lua 5.2: here it is a 'g'.)
func inClass(c, cl byte) bool {
	bit := classBits[cl]
	if bit == 0 {
		return c == cl
	}
	return (ctype[c]&bit != 0) == (cl >= 'a')
}
