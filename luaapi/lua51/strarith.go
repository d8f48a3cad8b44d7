package lua51

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// Arithmetic on strings. Lua 5.1 converts a string operand of +, -, *, /,
// % and ^ (and of unary minus) as tonumber does, with C's strtod
// (ParseNumber); gopher-lua's VM converts it with Go's number syntax, so
// "1_0" + 0 is 10, "0b101" * 1 is 5 and "1e400" / 1 is an error where Lua
// 5.1 gives an error, an error and inf.
//
// gopher-lua's arithmetic instructions compute two numbers themselves and
// ask the operands' metatables before they convert anything else, so the
// strings' metatable carries Lua 5.1's conversion as __add ... __unm:
// arithmetic on numbers costs what it did, and arithmetic on strings gives
// Lua 5.1's answer. (getmetatable("") shows these fields; Lua 5.1's has
// only __index.)

// stringArithOps are the binary operators by their metatable event, with the
// name gopher-lua's error message gives them (which Explain rewrites into
// lua5.1's) and Lua 5.1's operation on numbers (luai_numadd ...).
var stringArithOps = []struct {
	event, name string
	op          func(a, b float64) float64
}{
	{"__add", "add", func(a, b float64) float64 { return a + b }},
	{"__sub", "sub", func(a, b float64) float64 { return a - b }},
	{"__mul", "mul", func(a, b float64) float64 { return a * b }},
	{"__div", "div", func(a, b float64) float64 { return a / b }},
	{"__mod", "mod", func(a, b float64) float64 { return a - math.Floor(a/b)*b }},
	{"__pow", "pow", math.Pow},
}

// setStringArith gives mt, the strings' metatable, Lua 5.1's arithmetic.
func setStringArith(L *lua.LState, mt *lua.LTable) {
	for _, a := range stringArithOps {
		mt.RawSetString(a.event, L.NewFunction(stringArith(a.event, a.name, a.op)))
	}
	mt.RawSetString("__unm", L.NewFunction(stringUnm))
}

// arithOperand is v as an operand of arithmetic: a number, or a string
// Lua 5.1 reads as one.
func arithOperand(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return ParseNumber(string(x))
	}
	return 0, false
}

// operandType is the type gopher-lua's error message gives an operand: a
// string that converts is a number there, as in Lua 5.1's choice of the
// operand to blame.
func operandType(v lua.LValue, converts bool) string {
	if converts {
		return "number"
	}
	return v.Type().String()
}

// stringArith is the metamethod for event: the operation on both operands
// when both convert, else the other operand's handler as Lua 5.1 looks for
// it (the first operand's, then the second's; a string has none), else the
// error.
func stringArith(event, name string, op func(a, b float64) float64) lua.LGFunction {
	return func(L *lua.LState) int {
		a, b := L.Get(1), L.Get(2)
		x, okA := arithOperand(a)
		y, okB := arithOperand(b)
		if okA && okB {
			L.Push(lua.LNumber(op(x, y)))
			return 1
		}
		for _, v := range []lua.LValue{a, b} {
			if _, isString := v.(lua.LString); isString {
				continue
			}
			if h := L.GetMetaField(v, event); h != lua.LNil {
				L.Push(h)
				L.Push(a)
				L.Push(b)
				L.Call(2, 1)
				return 1
			}
		}
		// Positioned at the Lua code that did the arithmetic: RaiseError
		// skips this Go function's frame.
		L.RaiseError("cannot perform %s operation between %s and %s", name, operandType(a, okA), operandType(b, okB))
		return 0
	}
}

// stringUnm is the strings' __unm: minus the number the string reads as.
func stringUnm(L *lua.LState) int {
	a := L.Get(1)
	if x, ok := arithOperand(a); ok {
		L.Push(lua.LNumber(-x))
		return 1
	}
	L.RaiseError("cannot perform unm operation on %s", a.Type().String())
	return 0
}
