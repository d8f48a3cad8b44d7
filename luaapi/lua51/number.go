package lua51

import (
	"math"
	"strconv"
)

// FormatNumber is a number as Lua 5.1 writes it as text (tostring, print,
// "..", table.concat, io.write): C's "%.14g", with "inf", "-inf", "nan"
// and "-nan" as glibc writes them. gopher-lua writes numbers with Go's fmt
// instead: 1e15 as 1000000000000000, 0.1+0.2 as 0.30000000000000004, and
// infinity as +Inf.
func FormatNumber(f float64) string {
	var buf [32]byte // the longest is -1.2345678901234e-308: 21 bytes
	return string(AppendNumber(buf[:0], f))
}

// AppendNumber appends FormatNumber(f) to b.
func AppendNumber(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(b, "-nan"...)
		}
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	if i := int64(f); float64(i) == f && i > -1e14 && i < 1e14 && (i != 0 || !math.Signbit(f)) {
		// The common case, an integer of fewer than 15 digits, is its
		// digits in either formatting.
		return strconv.AppendInt(b, i, 10)
	}
	// Go's %g with a precision is C's: the shortest of %e and %f for 14
	// significant digits, trailing zeros dropped, an exponent of at least
	// two digits.
	return strconv.AppendFloat(b, f, 'g', 14, 64)
}
