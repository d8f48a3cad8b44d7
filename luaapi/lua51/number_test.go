package lua51

import (
	"math"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	negZero := math.Copysign(0, -1)
	nan := math.NaN()
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {negZero, "-0"}, {1, "1"}, {-7, "-7"}, {10, "10"},
		{1e14 - 1, "99999999999999"}, {1e14, "1e+14"}, {1e15, "1e+15"}, {-1e15, "-1e+15"},
		{123456789012345, "1.2345678901234e+14"}, {9007199254740992, "9.007199254741e+15"},
		{0.1, "0.1"}, {0.1 + 0.2, "0.3"}, {1.0 / 3, "0.33333333333333"}, {-2.5, "-2.5"},
		{1e-4, "0.0001"}, {1e-5, "1e-05"}, {1.5e300, "1.5e+300"}, {5e-324, "4.9406564584125e-324"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {nan, "nan"}, {-nan, "-nan"},
		{3.14159265358979, "3.1415926535898"}, {100, "100"}, {1e100, "1e+100"},
	} {
		if got := FormatNumber(c.in); got != c.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
