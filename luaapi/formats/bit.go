package formats

import (
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
)

// The bit module is LuaJIT's bit (Lua BitOp): bit operations on 32-bit
// integers, so that code written for LuaJIT runs unchanged. Every argument
// is reduced to a 32-bit integer (modulo 2^32) and every result is a signed
// 32-bit number: bit.band(0xffffffff, 0xffffffff) is -1.

func init() {
	api.Register(&api.Module{
		Name:    "bit",
		Defs:    "formats.lua",
		Summary: "LuaJIT's bit: 32-bit bit operations",
		Doc:     "docs/formats.md",
		Funcs: []api.Func{
			api.Fn("tobit", "bit.tobit(x)", "x reduced to a signed 32-bit number", bitTobit).
				Params(api.Num).Returns(api.Int),
			api.Fn("tohex", "bit.tohex(x [, n])", "the low n hex digits of x (8 by default; negative n for upper case)", bitTohex).
				Params(api.Num, api.Int).Returns(api.Str),
			api.Fn("bnot", "bit.bnot(x)", "the bitwise not of x", bitBnot).
				Params(api.Num).Returns(api.Int),
			api.Fn("band", "bit.band(x1 [, x2, ...])", "the bitwise and of all arguments", bitBand).
				Params(api.Num, api.Num).Returns(api.Int),
			api.Fn("bor", "bit.bor(x1 [, x2, ...])", "the bitwise or of all arguments", bitBor).
				Params(api.Num, api.Num).Returns(api.Int),
			api.Fn("bxor", "bit.bxor(x1 [, x2, ...])", "the bitwise xor of all arguments", bitBxor).
				Params(api.Num, api.Num).Returns(api.Int),
			api.Fn("lshift", "bit.lshift(x, n)", "x shifted left by n bits (n's low 5 bits)", bitLshift).
				Params(api.Num, api.Int).Returns(api.Int),
			api.Fn("rshift", "bit.rshift(x, n)", "x shifted right by n bits, filling with zeros", bitRshift).
				Params(api.Num, api.Int).Returns(api.Int),
			api.Fn("arshift", "bit.arshift(x, n)", "x shifted right by n bits, copying the sign bit", bitArshift).
				Params(api.Num, api.Int).Returns(api.Int),
			api.Fn("rol", "bit.rol(x, n)", "x rotated left by n bits", bitRol).
				Params(api.Num, api.Int).Returns(api.Int),
			api.Fn("ror", "bit.ror(x, n)", "x rotated right by n bits", bitRor).
				Params(api.Num, api.Int).Returns(api.Int),
			api.Fn("bswap", "bit.bswap(x)", "x with its four bytes in reverse order", bitBswap).
				Params(api.Num).Returns(api.Int),
		},
	})
}

// toBit reduces a number to 32 bits as LuaJIT does: a fraction rounds to
// the nearest integer (ties to even), then the integer is taken modulo
// 2^32. (LuaJIT leaves numbers beyond ±2^51 undefined; sockrun reduces
// them exactly.) NaN and the infinities give 0.
func toBit(x float64) uint32 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return uint32(int64(math.Mod(math.RoundToEven(x), 1<<32)))
}

// checkBit reads argument n of bit function fn as 32 bits: a number, or a
// string Lua converts to one.
func checkBit(L *lua.LState, n int, fn string) uint32 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return toBit(float64(v))
	case lua.LString:
		s := strings.TrimSpace(string(v))
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return toBit(float64(i))
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return toBit(f)
		}
	}
	got := api.TypeName(L.Get(n))
	if n > L.GetTop() {
		got = "no value"
	}
	api.ArgError(L, n, fn, "number expected, got "+got)
	return 0
}

func pushBit(L *lua.LState, x uint32) int {
	L.Push(lua.LNumber(int32(x)))
	return 1
}

// bitTobit is bit.tobit(x): x reduced to a signed 32-bit number.
func bitTobit(L *lua.LState) int { return pushBit(L, checkBit(L, 1, "tobit")) }

// bitTohex is bit.tohex(x [, n]): the low |n| hex digits of x (n at most
// 8, default 8), lower case, or upper case for a negative n.
func bitTohex(L *lua.LState) int {
	x := checkBit(L, 1, "tohex")
	n := int64(8)
	if L.GetTop() >= 2 {
		n = int64(int32(checkBit(L, 2, "tohex")))
	}
	digits := "0123456789abcdef"
	if n < 0 {
		n, digits = -n, "0123456789ABCDEF"
	}
	n = min(n, 8)
	buf := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		buf[i] = digits[x&15]
		x >>= 4
	}
	L.Push(lua.LString(buf))
	return 1
}

// bitBnot is bit.bnot(x): the bitwise not of x.
func bitBnot(L *lua.LState) int { return pushBit(L, ^checkBit(L, 1, "bnot")) }

// bitFold applies op to all arguments of fn, of which there is at least one.
func bitFold(L *lua.LState, fn string, op func(a, b uint32) uint32) int {
	x := checkBit(L, 1, fn)
	for i := 2; i <= L.GetTop(); i++ {
		x = op(x, checkBit(L, i, fn))
	}
	return pushBit(L, x)
}

// bitBand is bit.band(x1 [, x2, ...]): the bitwise and of its arguments.
func bitBand(L *lua.LState) int {
	return bitFold(L, "band", func(a, b uint32) uint32 { return a & b })
}

// bitBor is bit.bor(x1 [, x2, ...]): the bitwise or of its arguments.
func bitBor(L *lua.LState) int {
	return bitFold(L, "bor", func(a, b uint32) uint32 { return a | b })
}

// bitBxor is bit.bxor(x1 [, x2, ...]): the bitwise xor of its arguments.
func bitBxor(L *lua.LState) int {
	return bitFold(L, "bxor", func(a, b uint32) uint32 { return a ^ b })
}

// bitShift reads x and a shift count (its low 5 bits) and pushes op's result.
func bitShift(L *lua.LState, fn string, op func(x uint32, n uint) uint32) int {
	x := checkBit(L, 1, fn)
	n := uint(checkBit(L, 2, fn) & 31)
	return pushBit(L, op(x, n))
}

// bitLshift is bit.lshift(x, n): x shifted left by n bits.
func bitLshift(L *lua.LState) int {
	return bitShift(L, "lshift", func(x uint32, n uint) uint32 { return x << n })
}

// bitRshift is bit.rshift(x, n): x shifted right by n bits, zeros shifted in.
func bitRshift(L *lua.LState) int {
	return bitShift(L, "rshift", func(x uint32, n uint) uint32 { return x >> n })
}

// bitArshift is bit.arshift(x, n): x shifted right by n bits, the sign bit
// copied in.
func bitArshift(L *lua.LState) int {
	return bitShift(L, "arshift", func(x uint32, n uint) uint32 { return uint32(int32(x) >> n) })
}

// bitRol is bit.rol(x, n): x rotated left by n bits.
func bitRol(L *lua.LState) int {
	return bitShift(L, "rol", func(x uint32, n uint) uint32 { return bits.RotateLeft32(x, int(n)) })
}

// bitRor is bit.ror(x, n): x rotated right by n bits.
func bitRor(L *lua.LState) int {
	return bitShift(L, "ror", func(x uint32, n uint) uint32 { return bits.RotateLeft32(x, -int(n)) })
}

// bitBswap is bit.bswap(x): x with its bytes reversed.
func bitBswap(L *lua.LState) int {
	return pushBit(L, bits.ReverseBytes32(checkBit(L, 1, "bswap")))
}
