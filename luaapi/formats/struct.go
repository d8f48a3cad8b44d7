package formats

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
)

// The struct module is Python's struct: binary records described by a
// format string ("<HHI", "!4sBx"). The same format and values give the
// same bytes as Python's, with native ("@") sizes and alignment of the
// machine sockrun runs on.
//
// Lua numbers are float64, exact for integers up to 2^53. Integers a
// format unpacks beyond ±2^53 (only the 8-byte codes q Q n N, and l L
// where native long has 8 bytes, reach that far) come back as decimal
// strings, never rounded; pack takes a decimal string for any integer code,
// so such values round-trip exactly.

func init() {
	api.Register(&api.Module{
		Name:    "struct",
		Defs:    "formats.lua",
		Summary: "Python's struct: pack and unpack binary records",
		Doc:     "docs/formats.md",
		Funcs: []api.Func{
			api.Fn("pack", "struct.pack(format, v1, v2, ...)", "the values packed as the format says, as a string", structPack).
				Params(api.Str, api.Any, api.Any).Returns(api.Str),
			api.Fn("unpack", "struct.unpack(format, data)", "the values of data, which must be exactly calcsize(format) bytes", structUnpack).
				Params(api.Str, api.Str).Returns(api.Any.Named("...")),
			api.Fn("unpack_from", "struct.unpack_from(format, data [, offset])", "the values of the record at byte offset (from 0) of data", structUnpackFrom).
				Params(api.Str, api.Str, api.Int).Returns(api.Any.Named("...")),
			api.Fn("iter_unpack", "struct.iter_unpack(format, data)", "an iterator over the records data holds back to back", structIterUnpack).
				Params(api.Str, api.Str).Returns(api.T("fun(): ...")),
			api.Fn("calcsize", "struct.calcsize(format)", "the size in bytes of the format's record", structCalcsize).
				Params(api.Str).Returns(api.Int),
		},
	})
}

// structMaxValues is the most values one unpack returns: each is a slot of
// the Lua stack. Longer runs of records are what iter_unpack is for.
const structMaxValues = 1 << 16

// structMaxSize bounds a record's size, so that a format cannot ask pack for
// more memory than a Lua string may hold.
const structMaxSize = math.MaxInt32

// exactLimit is 2^53: every integer of at most this magnitude is exact in a
// Lua number.
const exactLimit = 1 << 53

// structCode is one format character with its size and alignment in a byte
// order mode.
type structCode struct {
	size, align int
}

// Native sizes: C's on the machine sockrun runs on, as Python's "@" uses.
var (
	nativePtr  = int(unsafe.Sizeof(uintptr(0)))
	nativeLong = func() int {
		if runtime.GOOS == "windows" {
			return 4 // LLP64: long stays 32 bits
		}
		return nativePtr
	}()
)

var structNative = map[byte]structCode{
	'x': {1, 1}, 'c': {1, 1}, 'b': {1, 1}, 'B': {1, 1}, '?': {1, 1},
	'h': {2, 2}, 'H': {2, 2}, 'i': {4, 4}, 'I': {4, 4},
	'l': {nativeLong, nativeLong}, 'L': {nativeLong, nativeLong},
	'q': {8, 8}, 'Q': {8, 8}, 'n': {nativePtr, nativePtr}, 'N': {nativePtr, nativePtr},
	'e': {2, 2}, 'f': {4, 4}, 'd': {8, 8}, 's': {1, 1}, 'p': {1, 1},
}

var structStandard = map[byte]structCode{
	'x': {1, 0}, 'c': {1, 0}, 'b': {1, 0}, 'B': {1, 0}, '?': {1, 0},
	'h': {2, 0}, 'H': {2, 0}, 'i': {4, 0}, 'I': {4, 0}, 'l': {4, 0}, 'L': {4, 0},
	'q': {8, 0}, 'Q': {8, 0}, 'e': {2, 0}, 'f': {4, 0}, 'd': {8, 0}, 's': {1, 0}, 'p': {1, 0},
}

// structItem is one format character with its repeat count, placed in the
// record.
type structItem struct {
	code   byte
	count  int // repeat count; for s and p the string's length in bytes
	size   int // bytes of one item (of the whole string for s and p)
	offset int // where the first item starts in the record
}

// structFormat is a parsed format string.
type structFormat struct {
	order   binary.ByteOrder
	items   []structItem
	size    int // the record's size in bytes
	nvalues int // how many values pack takes and unpack returns
}

// structFormatError is a bad format: the message is Python's.
type structFormatError string

func (e structFormatError) Error() string { return string(e) }

// isStructSpace is C's isspace, which Python skips between format codes.
func isStructSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// parseStructFormat parses a format string as Python's struct does.
func parseStructFormat(format string) (*structFormat, error) {
	f := &structFormat{order: binary.NativeEndian}
	table := structNative
	s := format
	if len(s) > 0 {
		switch s[0] {
		case '@':
			s = s[1:]
		case '=':
			table, s = structStandard, s[1:]
		case '<':
			table, f.order, s = structStandard, binary.LittleEndian, s[1:]
		case '>', '!':
			table, f.order, s = structStandard, binary.BigEndian, s[1:]
		}
	}
	size := 0
	for i := 0; i < len(s); {
		c := s[i]
		i++
		if isStructSpace(c) {
			continue
		}
		count := 1
		if c >= '0' && c <= '9' {
			count = int(c - '0')
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				count = count*10 + int(s[i]-'0')
				if count > structMaxSize {
					return nil, structFormatError("total struct size too long")
				}
				i++
			}
			if i == len(s) {
				return nil, structFormatError("repeat count given without format specifier")
			}
			c = s[i]
			i++
		}
		code, ok := table[c]
		if !ok {
			return nil, structFormatError("bad char in struct format")
		}
		if code.align > 0 && size > 0 {
			size += (code.align - size%code.align) % code.align
		}
		item := structItem{code: c, count: count, size: code.size, offset: size}
		switch c {
		case 's', 'p':
			item.size = count
			f.nvalues++
		case 'x':
		default:
			f.nvalues += count
		}
		if int64(size)+int64(count)*int64(code.size) > structMaxSize {
			return nil, structFormatError("total struct size too long")
		}
		size += count * code.size
		if c == 's' || c == 'p' || c != 'x' && count > 0 {
			f.items = append(f.items, item)
		}
	}
	f.size = size
	return f, nil
}

// checkStructFormat reads the format argument of struct function fn.
func checkStructFormat(L *lua.LState, fn string) *structFormat {
	f, err := parseStructFormat(api.CheckString(L, 1, fn))
	if err != nil {
		api.ArgError(L, 1, fn, err.Error())
	}
	return f
}

// structIntRange is the message for an integer that does not fit a code of
// size bytes. Python's wording varies with the code and the byte order
// ("short format requires ...", "argument out of range", "int too large to
// convert"); sockrun always gives the range.
func structIntRange(code byte, size int, signed bool) string {
	if signed {
		lim := int64(-1) << (8*size - 1)
		return fmt.Sprintf("'%c' format requires %d <= number <= %d", code, lim, -(lim + 1))
	}
	return fmt.Sprintf("'%c' format requires 0 <= number <= %d", code, uint64(math.MaxUint64)>>(64-8*size))
}

func isSignedCode(c byte) bool {
	return c == 'b' || c == 'h' || c == 'i' || c == 'l' || c == 'q' || c == 'n'
}

// structInt reads v as an integer for a code of size bytes and returns its
// two's complement bits, or the error message. v is a Lua number with an
// integral value, or a string holding a decimal integer (the exact form of
// values beyond 2^53).
func structInt(v lua.LValue, code byte, size int) (uint64, string) {
	signed := isSignedCode(code)
	var bits uint64
	switch v := v.(type) {
	case lua.LNumber:
		x := float64(v)
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			return 0, "required argument is not an integer"
		}
		switch {
		case signed && x >= -(1<<63) && x < 1<<63:
			bits = uint64(int64(x))
		case !signed && x >= 0 && x < 1<<64:
			bits = uint64(x)
		default:
			return 0, structIntRange(code, size, signed)
		}
	case lua.LString:
		s := strings.TrimSpace(string(v))
		var err error
		if signed {
			var n int64
			n, err = strconv.ParseInt(s, 10, 64)
			bits = uint64(n)
		} else if strings.HasPrefix(s, "-") {
			// Negative: out of range unless it is zero.
			n, perr := strconv.ParseInt(s, 10, 64)
			switch {
			case perr == nil && n == 0:
			case perr == nil || perr.(*strconv.NumError).Err == strconv.ErrRange:
				return 0, structIntRange(code, size, signed)
			default:
				return 0, "required argument is not an integer"
			}
		} else {
			bits, err = strconv.ParseUint(s, 10, 64)
		}
		if err != nil {
			if err.(*strconv.NumError).Err == strconv.ErrRange {
				return 0, structIntRange(code, size, signed)
			}
			return 0, "required argument is not an integer"
		}
	default:
		return 0, "required argument is not an integer"
	}
	if size < 8 {
		if signed {
			lim := int64(1) << (8*size - 1)
			if n := int64(bits); n < -lim || n >= lim {
				return 0, structIntRange(code, size, signed)
			}
		} else if bits >= 1<<(8*size) {
			return 0, structIntRange(code, size, signed)
		}
	}
	return bits, ""
}

// putUint writes the low size bytes of bits at b in order.
func putUint(order binary.ByteOrder, b []byte, size int, bits uint64) {
	switch size {
	case 1:
		b[0] = byte(bits)
	case 2:
		order.PutUint16(b, uint16(bits))
	case 4:
		order.PutUint32(b, uint32(bits))
	default:
		order.PutUint64(b, bits)
	}
}

// getUint reads size bytes at b in order.
func getUint(order binary.ByteOrder, b []byte, size int) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(order.Uint16(b))
	case 4:
		return uint64(order.Uint32(b))
	}
	return order.Uint64(b)
}

// float16bits converts x to IEEE 754 half precision, rounding to nearest
// even as Python does; ok is false if x is finite but too large.
func float16bits(x float64) (bits uint16, ok bool) {
	sign := uint16(0)
	if math.Signbit(x) {
		sign = 0x8000
	}
	switch {
	case math.IsNaN(x):
		return sign | 0x7e00, true
	case math.IsInf(x, 0):
		return sign | 0x7c00, true
	case x == 0:
		return sign, true
	}
	x = math.Abs(x)
	frac, exp := math.Frexp(x) // x = frac * 2^exp, frac in [0.5, 1)
	frac, exp = frac*2, exp-1  // frac in [1, 2)
	var e int
	switch {
	case exp >= 16:
		return 0, false
	case exp < -25: // below half the smallest subnormal: zero
		frac, e = 0, 0
	case exp < -14: // subnormal
		frac, e = math.Ldexp(frac, 14+exp), 0
	default:
		frac, e = frac-1, exp+15
	}
	frac *= 1024
	m := uint16(frac)
	if r := frac - float64(m); r > 0.5 || r == 0.5 && m%2 == 1 {
		m++
		if m == 1024 {
			m, e = 0, e+1
			if e == 31 {
				return 0, false
			}
		}
	}
	return sign | uint16(e)<<10 | m, true
}

// float16value is the number a half-precision value holds.
func float16value(bits uint16) float64 {
	sign := 1.0
	if bits&0x8000 != 0 {
		sign = -1
	}
	e := int(bits>>10) & 0x1f
	m := float64(bits & 0x3ff)
	switch e {
	case 0:
		return sign * math.Ldexp(m, -24)
	case 0x1f:
		if m == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1+m/1024, e-15)
}

// structPackValues packs the values at stack indexes first.. of L into a
// record; fn names the function in errors.
func structPackValues(L *lua.LState, f *structFormat, first int, fn string) []byte {
	buf := make([]byte, f.size)
	n := first
	bad := func(msg string) { api.ArgError(L, n, fn, msg) }
	for _, it := range f.items {
		switch it.code {
		case 'x':
			continue
		case 's', 'p':
			s, ok := L.Get(n).(lua.LString)
			if !ok {
				bad(fmt.Sprintf("argument for '%c' must be a string, got %s", it.code, api.TypeName(L.Get(n))))
			}
			dst := buf[it.offset : it.offset+it.size]
			if it.code == 's' {
				copy(dst, s)
			} else if it.size > 0 {
				k := min(len(s), it.size-1)
				copy(dst[1:], s[:k])
				dst[0] = byte(min(k, 255))
			}
			n++
			continue
		}
		for j := range it.count {
			b := buf[it.offset+j*it.size:]
			v := L.Get(n)
			switch it.code {
			case 'c':
				s, ok := v.(lua.LString)
				if !ok || len(s) != 1 {
					bad("char format requires a string of length 1")
				}
				b[0] = s[0]
			case '?':
				if api.Truthy(v) {
					b[0] = 1
				}
			case 'e', 'f', 'd':
				x, ok := v.(lua.LNumber)
				if !ok {
					bad("required argument is not a float, got " + api.TypeName(v))
				}
				switch it.code {
				case 'e':
					h, ok := float16bits(float64(x))
					if !ok {
						bad("float too large to pack with e format")
					}
					putUint(f.order, b, 2, uint64(h))
				case 'f':
					y := float32(x)
					if math.IsInf(float64(y), 0) && !math.IsInf(float64(x), 0) {
						bad("float too large to pack with f format")
					}
					putUint(f.order, b, 4, uint64(math.Float32bits(y)))
				default:
					putUint(f.order, b, 8, math.Float64bits(float64(x)))
				}
			default:
				bits, msg := structInt(v, it.code, it.size)
				if msg != "" {
					if _, isNum := v.(lua.LNumber); !isNum && msg == "required argument is not an integer" {
						msg += ", got " + api.TypeName(v)
					}
					bad(msg)
				}
				putUint(f.order, b, it.size, bits)
			}
			n++
		}
	}
	return buf
}

// structPushValues pushes the values of the record rec (f.size bytes) and
// returns how many.
func structPushValues(L *lua.LState, f *structFormat, rec []byte) int {
	// Make room for every value at once: the stack grows by a small step
	// at a time, so 65,536 pushes would copy it a thousand times.
	top := L.GetTop()
	L.SetTop(top + f.nvalues)
	L.SetTop(top)
	for _, it := range f.items {
		switch it.code {
		case 'x':
			continue
		case 's':
			L.Push(lua.LString(rec[it.offset : it.offset+it.size]))
			continue
		case 'p':
			s := ""
			if it.size > 0 {
				k := min(int(rec[it.offset]), it.size-1)
				s = string(rec[it.offset+1 : it.offset+1+k])
			}
			L.Push(lua.LString(s))
			continue
		}
		for j := range it.count {
			b := rec[it.offset+j*it.size:]
			switch it.code {
			case 'c':
				L.Push(lua.LString(b[:1]))
			case '?':
				L.Push(lua.LBool(b[0] != 0))
			case 'e':
				L.Push(lua.LNumber(float16value(uint16(getUint(f.order, b, 2)))))
			case 'f':
				L.Push(lua.LNumber(math.Float32frombits(uint32(getUint(f.order, b, 4)))))
			case 'd':
				L.Push(lua.LNumber(math.Float64frombits(getUint(f.order, b, 8))))
			default:
				L.Push(structIntValue(getUint(f.order, b, it.size), it.size, isSignedCode(it.code)))
			}
		}
	}
	return f.nvalues
}

// structIntValue is the Lua value of an integer field: a number when it is
// exact as one (|v| <= 2^53), else its decimal string.
func structIntValue(bits uint64, size int, signed bool) lua.LValue {
	if signed {
		shift := 64 - 8*size
		v := int64(bits<<shift) >> shift
		if v >= -exactLimit && v <= exactLimit {
			return lua.LNumber(v)
		}
		return lua.LString(strconv.FormatInt(v, 10))
	}
	if bits <= exactLimit {
		return lua.LNumber(bits)
	}
	return lua.LString(strconv.FormatUint(bits, 10))
}

// checkStructValueCount raises if a format returns more values than one
// call may.
func checkStructValueCount(L *lua.LState, f *structFormat, fn string) {
	if f.nvalues > structMaxValues {
		api.ArgError(L, 1, fn, fmt.Sprintf("too many values to unpack (%d, at most %d; use iter_unpack)", f.nvalues, structMaxValues))
	}
}

// structPack is struct.pack(format, v1, v2, ...): the values packed as the
// format says, as a string. Raises if the number of values is not the
// format's or a value does not fit its code.
func structPack(L *lua.LState) int {
	f := checkStructFormat(L, "pack")
	if got := L.GetTop() - 1; got != f.nvalues {
		api.ArgError(L, 2+min(got, f.nvalues), "pack", fmt.Sprintf("pack expected %d items for packing (got %d)", f.nvalues, got))
	}
	L.Push(lua.LString(structPackValues(L, f, 2, "pack")))
	return 1
}

// structUnpack is struct.unpack(format, data): the format's values read
// from data, which must be exactly calcsize(format) bytes.
func structUnpack(L *lua.LState) int {
	f := checkStructFormat(L, "unpack")
	data := api.CheckString(L, 2, "unpack")
	if len(data) != f.size {
		api.ArgError(L, 2, "unpack", fmt.Sprintf("unpack requires a buffer of %d bytes, got %d", f.size, len(data)))
	}
	checkStructValueCount(L, f, "unpack")
	return structPushValues(L, f, []byte(data))
}

// structUnpackFrom is struct.unpack_from(format, data [, offset]): the
// values of the record at byte offset of data, counted from 0 as Python
// does (a negative offset counts from the end). data may go on past the
// record.
func structUnpackFrom(L *lua.LState) int {
	f := checkStructFormat(L, "unpack_from")
	data := api.CheckString(L, 2, "unpack_from")
	offset := 0
	if L.Get(3) != lua.LNil {
		x, ok := L.Get(3).(lua.LNumber)
		if !ok {
			api.ArgError(L, 3, "unpack_from", "offset must be an integer, got "+api.TypeName(L.Get(3)))
		}
		if float64(x) != math.Trunc(float64(x)) || math.Abs(float64(x)) > exactLimit {
			api.ArgError(L, 3, "unpack_from", "offset must be an integer, got "+x.String())
		}
		offset = int(x)
	}
	if offset < 0 {
		if offset+f.size > 0 {
			api.ArgError(L, 3, "unpack_from", fmt.Sprintf("not enough data to unpack %d bytes at offset %d", f.size, offset))
		}
		if offset+len(data) < 0 {
			api.ArgError(L, 3, "unpack_from", fmt.Sprintf("offset %d out of range for %d-byte buffer", offset, len(data)))
		}
		offset += len(data)
	}
	if len(data)-offset < f.size {
		api.ArgError(L, 2, "unpack_from", fmt.Sprintf(
			"unpack_from requires a buffer of at least %d bytes for unpacking %d bytes at offset %d (actual buffer size is %d)",
			f.size+offset, f.size, offset, len(data)))
	}
	checkStructValueCount(L, f, "unpack_from")
	return structPushValues(L, f, []byte(data[offset:offset+f.size]))
}

// structIterUnpack is struct.iter_unpack(format, data): an iterator for a
// generic for that returns the values of each record of data in turn;
// data's length must be a multiple of calcsize(format).
func structIterUnpack(L *lua.LState) int {
	f := checkStructFormat(L, "iter_unpack")
	data := api.CheckString(L, 2, "iter_unpack")
	if f.size == 0 {
		api.ArgError(L, 1, "iter_unpack", "cannot iteratively unpack with a struct of length 0")
	}
	if f.nvalues == 0 {
		api.ArgError(L, 1, "iter_unpack", "cannot iteratively unpack a format without values (a for loop would end at once)")
	}
	if len(data)%f.size != 0 {
		api.ArgError(L, 2, "iter_unpack", fmt.Sprintf("iterative unpacking requires a buffer of a multiple of %d bytes, got %d", f.size, len(data)))
	}
	checkStructValueCount(L, f, "iter_unpack")
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if pos >= len(data) {
			return 0
		}
		rec := []byte(data[pos : pos+f.size])
		pos += f.size
		return structPushValues(L, f, rec)
	}))
	return 1
}

// structCalcsize is struct.calcsize(format): the size in bytes of the
// format's record.
func structCalcsize(L *lua.LState) int {
	L.Push(lua.LNumber(checkStructFormat(L, "calcsize").size))
	return 1
}
