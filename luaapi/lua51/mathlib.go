package lua51

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

func init() {
	correct("math", func(L *lua.LState, _ Options) {
		mod, ok := L.GetGlobal("math").(*lua.LTable)
		if !ok {
			return
		}
		for name, fn := range map[string]func(float64) float64{
			"abs":   math.Abs,
			"acos":  func(x float64) float64 { return nan1(math.Acos(x), x, false) },
			"asin":  func(x float64) float64 { return nan1(math.Asin(x), x, false) },
			"atan":  func(x float64) float64 { return nan1(math.Atan(x), x, true) },
			"ceil":  math.Ceil,
			"cos":   func(x float64) float64 { return nan1(math.Cos(x), x, true) },
			"cosh":  func(x float64) float64 { return nan1(math.Cosh(x), x, true) },
			"deg":   func(x float64) float64 { return x / (math.Pi / 180) },
			"exp":   func(x float64) float64 { return nan1(math.Exp(x), x, true) },
			"floor": math.Floor,
			"log":   func(x float64) float64 { return nan1(math.Log(x), x, true) },
			"log10": func(x float64) float64 { return nan1(math.Log10(x), x, false) },
			"rad":   func(x float64) float64 { return x * (math.Pi / 180) },
			"sin":   func(x float64) float64 { return nan1(math.Sin(x), x, true) },
			"sinh":  func(x float64) float64 { return nan1(math.Sinh(x), x, true) },
			"sqrt":  func(x float64) float64 { return nan1(math.Sqrt(x), x, true) },
			"tan":   func(x float64) float64 { return nan1(math.Tan(x), x, true) },
			"tanh":  func(x float64) float64 { return nan1(math.Tanh(x), x, true) },
		} {
			mod.RawSetString(name, L.NewFunction(math1(fn)))
		}
		fmod := L.NewFunction(mathFmod)
		for name, fn := range map[string]lua.LValue{
			"atan2": L.NewFunction(mathAtan2),
			"fmod":  fmod,
			"mod":   fmod, // Lua 5.1's old name of fmod
			"pow":   L.NewFunction(mathPow),
			"frexp": L.NewFunction(mathFrexp),
			"ldexp": L.NewFunction(mathLdexp),
			"modf":  L.NewFunction(mathModf),
			"max":   L.NewFunction(mathMax),
			"min":   L.NewFunction(mathMin),
			"huge":  lua.LNumber(math.Inf(1)),
			"pi":    lua.LNumber(math.Pi),
		} {
			mod.RawSetString(name, fn)
		}
		r := newCRand(1)
		mod.RawSetString("random", L.NewFunction(r.random))
		mod.RawSetString("randomseed", L.NewFunction(r.seed))
	})
}

// negNaN is the NaN x86's floating-point unit makes of an invalid
// operation (0/0, sqrt(-1)): its sign bit is set, and glibc prints it as
// "-nan". Go's math functions return math.NaN(), whose sign bit is clear.
var negNaN = math.Float64frombits(0xfff8000000000000)

// nan1 is glibc's NaN for f(x) where Go's result r is NaN: x itself if it
// is NaN (its sign kept), else the x86 default NaN ("-nan"), or a positive
// NaN for the functions glibc makes one with (acos, asin, log10).
func nan1(r, x float64, neg bool) float64 {
	switch {
	case r == r:
		return r
	case x != x:
		return x
	case neg:
		return negNaN
	}
	return math.NaN()
}

// nan2 is nan1 for a function of two arguments.
func nan2(r, x, y float64) float64 {
	switch {
	case r == r:
		return r
	case x != x:
		return x
	case y != y:
		return y
	}
	return negNaN
}

// math1 is a math function of one number.
func math1(fn func(float64) float64) lua.LGFunction {
	return func(L *lua.LState) int {
		L.Push(lua.LNumber(fn(checkNumber(L, 1))))
		return 1
	}
}

// mathAtan2 is math.atan2(y, x).
func mathAtan2(L *lua.LState) int {
	y, x := checkNumber(L, 1), checkNumber(L, 2)
	L.Push(lua.LNumber(nan2(math.Atan2(y, x), y, x)))
	return 1
}

// mathFmod is math.fmod(x, y) (also math.mod): C's fmod, the remainder of
// x/y with the sign of x.
func mathFmod(L *lua.LState) int {
	x, y := checkNumber(L, 1), checkNumber(L, 2)
	r := math.Mod(x, y)
	if r != r {
		// glibc's fmod makes the x86 default NaN even of a NaN argument.
		r = negNaN
	}
	L.Push(lua.LNumber(r))
	return 1
}

// mathPow is math.pow(x, y).
func mathPow(L *lua.LState) int {
	x, y := checkNumber(L, 1), checkNumber(L, 2)
	L.Push(lua.LNumber(nan2(math.Pow(x, y), x, y)))
	return 1
}

// mathFrexp is math.frexp(x): m and e with x = m * 2^e, 0.5 <= |m| < 1.
func mathFrexp(L *lua.LState) int {
	x := checkNumber(L, 1)
	m, e := math.Frexp(x)
	if x != x {
		m = negNaN
	}
	L.Push(lua.LNumber(m))
	L.Push(lua.LNumber(e))
	return 2
}

// mathLdexp is math.ldexp(m, e): m * 2^e, e an int.
func mathLdexp(L *lua.LState) int {
	m := checkNumber(L, 1)
	e := checkInt(L, 2)
	r := math.Ldexp(m, e)
	if m != m {
		r = negNaN
	}
	L.Push(lua.LNumber(r))
	return 1
}

// mathModf is math.modf(x): the integral part of x and its fraction, each
// with the sign of x; infinity's fraction is 0.
func mathModf(L *lua.LState) int {
	x := checkNumber(L, 1)
	ip, fp := math.Modf(x)
	switch {
	case math.IsInf(x, 0):
		fp = math.Copysign(0, x)
	case x != x:
		ip, fp = negNaN, negNaN
	}
	L.Push(lua.LNumber(ip))
	L.Push(lua.LNumber(fp))
	return 2
}

// mathMax is math.max(x, ...): the largest by <, the first of equal ones.
func mathMax(L *lua.LState) int {
	m := checkNumber(L, 1)
	for i := 2; i <= L.GetTop(); i++ {
		if d := checkNumber(L, i); d > m {
			m = d
		}
	}
	L.Push(lua.LNumber(m))
	return 1
}

// mathMin is math.min(x, ...): the smallest by <, the first of equal ones.
func mathMin(L *lua.LState) int {
	m := checkNumber(L, 1)
	for i := 2; i <= L.GetTop(); i++ {
		if d := checkNumber(L, i); d < m {
			m = d
		}
	}
	L.Push(lua.LNumber(m))
	return 1
}

// cRand is glibc's rand(): the additive feedback generator of random(3)
// (TYPE_3: 31 words, separation 3), so that math.random gives the numbers
// lua5.1 gives for the same seed, 1 before any math.randomseed.
type cRand struct {
	state      [31]int32
	fptr, rptr int
}

func newCRand(seed uint32) *cRand {
	r := &cRand{}
	r.srand(seed)
	return r
}

// srand is glibc's srandom_r.
func (r *cRand) srand(seed uint32) {
	if seed == 0 {
		seed = 1
	}
	word := int32(seed)
	r.state[0] = word
	for i := 1; i < len(r.state); i++ {
		hi, lo := int64(word)/127773, int64(word)%127773
		word = int32(16807*lo - 2836*hi)
		if word < 0 {
			word += math.MaxInt32
		}
		r.state[i] = word
	}
	r.fptr, r.rptr = 3, 0
	for range 10 * len(r.state) {
		r.next()
	}
}

// next is glibc's random_r: a number from 0 to 2^31-1.
func (r *cRand) next() int32 {
	val := uint32(r.state[r.fptr]) + uint32(r.state[r.rptr])
	r.state[r.fptr] = int32(val)
	r.fptr++
	r.rptr++
	if r.fptr >= len(r.state) {
		r.fptr = 0
	} else if r.rptr >= len(r.state) {
		r.rptr = 0
	}
	return int32(val >> 1)
}

// random is math.random([m [, n]]): a number in [0, 1), or an integer in
// [1, m] or [m, n], from C's rand() as Lua 5.1 draws it.
func (r *cRand) random(L *lua.LState) int {
	const randMax = math.MaxInt32
	f := float64(r.next()%randMax) / randMax
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(f))
	case 1:
		u := checkInt(L, 1)
		if u < 1 {
			argError(L, 1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u)) + 1))
	case 2:
		l, u := checkInt(L, 1), checkInt(L, 2)
		if l > u {
			argError(L, 2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(int32(u-l+1))) + float64(l)))
	default:
		raise(L, "wrong number of arguments")
	}
	return 1
}

// seed is math.randomseed(x): srand(x), x an int.
func (r *cRand) seed(L *lua.LState) int {
	r.srand(uint32(checkInt(L, 1)))
	return 0
}
