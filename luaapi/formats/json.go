package formats

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
)

// The json module encodes Lua values as JSON text and decodes JSON text
// into Lua values, losslessly both ways for what JSON can say:
//
//   - null is json.null, a unique value, wherever it appears (an object's
//     member, an array's element, the whole document), so that nothing JSON
//     holds is lost to Lua's nil;
//   - a decoded array is a table with the json.array metatable, so that an
//     empty array encodes back as [] and not {};
//   - a table whose keys are all positive integers encodes as an array as
//     long as its largest key, holes becoming null.
//
// (layeh.com/gopher-json drops null array elements, hence this module.)

func init() {
	api.Register(&api.Module{
		Name: "json",
		Defs: "formats.lua",
		Values: []api.Value{
			{Name: "null", Type: "userdata", Summary: "JSON's `null`, where `nil` cannot stand (in an array, as a value to keep)"},
		},
		Shapes: []api.Shape{
			{Name: "json.encodeoptions", Summary: "options of `json.encode`", Fields: []api.Value{
				{Name: "indent?", Type: "integer|string", Summary: "pretty-print with this many spaces (1-16) or this string per level"},
			}},
		},
		Summary: "JSON text to Lua values and back",
		Doc:     "docs/formats.md",
		Funcs: []api.Func{
			api.Fn("encode", "json.encode(value [, options])", "the JSON text of value; options.indent pretty-prints", jsonEncode).
				Params(api.Any, api.T("json.encodeoptions")).Returns(api.Str),
			api.Fn("decode", "json.decode(text)", "the Lua value of a JSON document", jsonDecode).
				Params(api.Str).Returns(api.Any),
			api.Fn("array", "json.array([t])", "marks t (or a new table) to encode as a JSON array, even when empty", jsonArray).
				Generic("T: table").Params(api.T("T")).Returns(api.T("T")),
		},
		Setup: func(_ any, L *lua.LState, mod *lua.LTable) {
			mod.RawSetString("null", jsonNullValue(L))
		},
	})
}

// jsonNull is the Go value of json.null's userdata.
type jsonNull struct{}

const (
	jsonNullKey    = "sockrun.json.null"  // json.null in the Lua registry
	jsonArrayMeta  = "sockrun.json.array" // the array metatable's name
	jsonMaxDepth   = 1000                 // how deep arrays and objects nest
	jsonMaxSparse  = 16                   // an array may be this long whatever its holes
	jsonArrayRatio = 2                    // beyond that, at most this many slots per value
)

// jsonNullValue returns the VM's json.null, making it the first time: a
// userdata that prints as "null".
func jsonNullValue(L *lua.LState) lua.LValue {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if v := reg.RawGetString(jsonNullKey); v != lua.LNil {
		return v
	}
	ud := L.NewUserData()
	ud.Value = jsonNull{}
	mt := L.NewTable()
	mt.RawSetString("__name", lua.LString("json.null"))
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("null"))
		return 1
	}))
	mt.RawSetString("__metatable", lua.LString("json.null"))
	ud.Metatable = mt
	reg.RawSetString(jsonNullKey, ud)
	return ud
}

func isJSONNull(v lua.LValue) bool {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return false
	}
	_, ok = ud.Value.(jsonNull)
	return ok
}

// jsonArrayMT is the metatable that marks a table as a JSON array.
func jsonArrayMT(L *lua.LState) *lua.LTable {
	return L.NewTypeMetatable(jsonArrayMeta)
}

// jsonArray is json.array([t]): marks t (a new table if none) as a JSON
// array and returns it. Raises if t has another metatable.
func jsonArray(L *lua.LState) int {
	var t *lua.LTable
	switch v := L.Get(1).(type) {
	case *lua.LNilType:
		t = L.NewTable()
	case *lua.LTable:
		t = v
	default:
		api.ArgError(L, 1, "array", "table expected, got "+api.TypeName(v))
	}
	mt := jsonArrayMT(L)
	if cur, ok := t.Metatable.(*lua.LTable); ok && cur != mt {
		api.ArgError(L, 1, "array", "the table already has a metatable")
	}
	t.Metatable = mt
	L.Push(t)
	return 1
}

// jsonEncoder writes one value's JSON text.
type jsonEncoder struct {
	L        *lua.LState
	buf      []byte
	indent   string
	arrayMT  *lua.LTable
	visiting map[*lua.LTable]bool
	path     []lua.LValue // keys from the top to the value being encoded
}

// fail raises a json.encode error that says where in the value it is.
func (e *jsonEncoder) fail(format string, args ...any) {
	var where strings.Builder
	where.WriteString("$")
	for _, k := range e.path {
		if s, ok := k.(lua.LString); ok && isIdent(string(s)) {
			where.WriteString("." + string(s))
		} else if ok {
			where.WriteString("[" + strconv.Quote(string(s)) + "]")
		} else {
			where.WriteString("[" + k.String() + "]")
		}
	}
	e.L.RaiseError("json.encode: %s (at %s)", fmt.Sprintf(format, args...), where.String())
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c != '_' && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func (e *jsonEncoder) newline() {
	if e.indent == "" {
		return
	}
	e.buf = append(e.buf, '\n')
	for range len(e.path) {
		e.buf = append(e.buf, e.indent...)
	}
}

func (e *jsonEncoder) value(v lua.LValue) {
	switch v := v.(type) {
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case lua.LBool:
		e.buf = strconv.AppendBool(e.buf, bool(v))
	case lua.LNumber:
		e.number(float64(v))
	case lua.LString:
		e.str(string(v))
	case *lua.LTable:
		e.table(v)
	default:
		if isJSONNull(v) {
			e.buf = append(e.buf, "null"...)
			return
		}
		e.fail("cannot encode a %s", api.TypeName(v))
	}
}

func (e *jsonEncoder) number(x float64) {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		e.fail("cannot encode %v: JSON has no NaN or infinity", x)
	case x == math.Trunc(x) && math.Abs(x) < 1e21:
		e.buf = strconv.AppendFloat(e.buf, x, 'f', -1, 64) // integers without exponent or point
	default:
		e.buf = strconv.AppendFloat(e.buf, x, 'g', -1, 64)
	}
}

func (e *jsonEncoder) str(s string) {
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		e.fail("string is not valid UTF-8 (byte %d of it); JSON text is UTF-8", i+1)
	}
	e.buf = append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		e.buf = append(e.buf, s[start:i]...)
		switch c {
		case '"', '\\':
			e.buf = append(e.buf, '\\', c)
		case '\n':
			e.buf = append(e.buf, '\\', 'n')
		case '\r':
			e.buf = append(e.buf, '\\', 'r')
		case '\t':
			e.buf = append(e.buf, '\\', 't')
		case '\b':
			e.buf = append(e.buf, '\\', 'b')
		case '\f':
			e.buf = append(e.buf, '\\', 'f')
		default:
			e.buf = append(e.buf, fmt.Sprintf(`\u%04x`, c)...)
		}
		start = i + 1
	}
	e.buf = append(e.buf, s[start:]...)
	e.buf = append(e.buf, '"')
}

// arrayKey reports whether k is a positive integer key, and which.
func arrayKey(k lua.LValue) (int, bool) {
	n, ok := k.(lua.LNumber)
	if !ok || float64(n) != math.Trunc(float64(n)) || n < 1 || n > exactLimit {
		return 0, false
	}
	return int(n), true
}

func (e *jsonEncoder) table(t *lua.LTable) {
	if e.visiting[t] {
		e.fail("cycle: a table contains itself")
	}
	if len(e.path) >= jsonMaxDepth {
		e.fail("nested more than %d deep", jsonMaxDepth)
	}
	e.visiting[t] = true
	defer delete(e.visiting, t)

	marked := t.Metatable == lua.LValue(e.arrayMT)
	count, maxKey := 0, 0
	var strKeys []string
	var badKey lua.LValue = lua.LNil
	t.ForEach(func(k, _ lua.LValue) {
		count++
		if s, ok := k.(lua.LString); ok {
			strKeys = append(strKeys, string(s))
		} else if i, ok := arrayKey(k); ok {
			maxKey = max(maxKey, i)
		} else if badKey == lua.LNil {
			badKey = k
		}
	})
	keyText := func(k lua.LValue) string {
		if s, ok := k.(lua.LString); ok {
			return strconv.Quote(string(s))
		}
		if _, ok := k.(lua.LNumber); ok {
			return k.String()
		}
		return "of type " + api.TypeName(k)
	}
	switch {
	case badKey != lua.LNil:
		e.fail("table key %s is neither a string nor a positive integer", keyText(badKey))
	case marked && len(strKeys) > 0:
		e.fail("json.array table has the string key %s", strconv.Quote(slices.Min(strKeys)))
	case len(strKeys) > 0 && len(strKeys) < count:
		e.fail("table mixes string keys and integer keys (%d and %s): an object's keys must be strings", maxKey, strconv.Quote(slices.Min(strKeys)))
	case len(strKeys) > 0 || count == 0 && !marked:
		e.object(t, strKeys)
	default:
		if maxKey > jsonMaxSparse && maxKey > jsonArrayRatio*count {
			e.fail("sparse array: key %d with only %d values; fill the holes with json.null or use string keys", maxKey, count)
		}
		e.array(t, maxKey)
	}
}

func (e *jsonEncoder) array(t *lua.LTable, n int) {
	if n == 0 {
		e.buf = append(e.buf, "[]"...)
		return
	}
	e.buf = append(e.buf, '[')
	for i := 1; i <= n; i++ {
		if i > 1 {
			e.buf = append(e.buf, ',')
		}
		e.path = append(e.path, lua.LNumber(i))
		e.newline()
		e.value(t.RawGetInt(i))
		e.path = e.path[:len(e.path)-1]
	}
	e.newline()
	e.buf = append(e.buf, ']')
}

func (e *jsonEncoder) object(t *lua.LTable, keys []string) {
	if len(keys) == 0 {
		e.buf = append(e.buf, "{}"...)
		return
	}
	slices.Sort(keys)
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.path = append(e.path, lua.LString(k))
		e.newline()
		e.str(k)
		e.buf = append(e.buf, ':')
		if e.indent != "" {
			e.buf = append(e.buf, ' ')
		}
		e.value(t.RawGetString(k))
		e.path = e.path[:len(e.path)-1]
	}
	e.newline()
	e.buf = append(e.buf, '}')
}

// jsonEncode is json.encode(value [, options]): the JSON text of value.
// Object keys come out sorted, so the same table always gives the same
// text. options.indent (a number of spaces or a string) pretty-prints.
// Raises for a cycle, a key that is neither a string nor a positive
// integer, NaN or infinity, a string that is not UTF-8, and values JSON
// cannot hold (functions, userdata, threads).
func jsonEncode(L *lua.LState) int {
	e := &jsonEncoder{L: L, arrayMT: jsonArrayMT(L), visiting: map[*lua.LTable]bool{}}
	switch opts := L.Get(2).(type) {
	case *lua.LNilType:
	case *lua.LTable:
		opts.ForEach(func(k, v lua.LValue) {
			if k != lua.LString("indent") {
				api.ArgError(L, 2, "encode", "unknown option "+L.ToStringMeta(k).String())
			}
			switch v := v.(type) {
			case lua.LNumber:
				if v < 0 || v > 16 || float64(v) != math.Trunc(float64(v)) {
					api.ArgError(L, 2, "encode", "indent must be 0 to 16 spaces, got "+v.String())
				}
				e.indent = strings.Repeat(" ", int(v))
			case lua.LString:
				if strings.Trim(string(v), " \t") != "" {
					api.ArgError(L, 2, "encode", "an indent string may hold only spaces and tabs")
				}
				e.indent = string(v)
			default:
				api.ArgError(L, 2, "encode", "indent must be a number or a string, got "+api.TypeName(v))
			}
		})
	default:
		api.ArgError(L, 2, "encode", "options table expected, got "+api.TypeName(opts))
	}
	if L.GetTop() == 0 {
		api.ArgError(L, 1, "encode", "value expected")
	}
	e.value(L.Get(1))
	L.Push(lua.LString(e.buf))
	return 1
}

// jsonDecoder reads one JSON document.
type jsonDecoder struct {
	L       *lua.LState
	s       string
	pos     int
	depth   int
	null    lua.LValue
	arrayMT *lua.LTable
}

// fail raises a json.decode error at byte offset pos (reported counting
// from 1, as string.sub does).
func (d *jsonDecoder) fail(pos int, format string, args ...any) {
	d.L.RaiseError("json.decode: %s at byte %d", fmt.Sprintf(format, args...), pos+1)
}

// unexpected fails at the current byte: a character that cannot be there,
// or the end of the text.
func (d *jsonDecoder) unexpected() {
	if d.pos >= len(d.s) {
		d.fail(d.pos, "unexpected end of input")
	}
	c := d.s[d.pos]
	if c >= 0x20 && c < 0x7f {
		d.fail(d.pos, "unexpected character '%c'", c)
	}
	d.fail(d.pos, "unexpected byte 0x%02x", c)
}

func (d *jsonDecoder) space() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value() lua.LValue {
	d.space()
	if d.pos >= len(d.s) {
		d.unexpected()
	}
	switch c := d.s[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return lua.LString(d.str())
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	case strings.HasPrefix(d.s[d.pos:], "true"):
		d.pos += 4
		return lua.LTrue
	case strings.HasPrefix(d.s[d.pos:], "false"):
		d.pos += 5
		return lua.LFalse
	case strings.HasPrefix(d.s[d.pos:], "null"):
		d.pos += 4
		return d.null
	}
	d.unexpected()
	return nil
}

func (d *jsonDecoder) enter() {
	d.depth++
	if d.depth > jsonMaxDepth {
		d.fail(d.pos, "nested more than %d deep", jsonMaxDepth)
	}
}

func (d *jsonDecoder) array() lua.LValue {
	d.enter()
	d.pos++ // [
	t := d.L.NewTable()
	t.Metatable = d.arrayMT
	d.space()
	if d.pos < len(d.s) && d.s[d.pos] == ']' {
		d.pos++
		d.depth--
		return t
	}
	for {
		t.Append(d.value())
		d.space()
		if d.pos < len(d.s) && d.s[d.pos] == ',' {
			d.pos++
			continue
		}
		if d.pos < len(d.s) && d.s[d.pos] == ']' {
			d.pos++
			d.depth--
			return t
		}
		d.unexpected()
	}
}

func (d *jsonDecoder) object() lua.LValue {
	d.enter()
	d.pos++ // {
	t := d.L.NewTable()
	d.space()
	if d.pos < len(d.s) && d.s[d.pos] == '}' {
		d.pos++
		d.depth--
		return t
	}
	for {
		d.space()
		if d.pos >= len(d.s) || d.s[d.pos] != '"' {
			d.unexpected()
		}
		key := d.str()
		d.space()
		if d.pos >= len(d.s) || d.s[d.pos] != ':' {
			d.unexpected()
		}
		d.pos++
		t.RawSetString(key, d.value())
		d.space()
		if d.pos < len(d.s) && d.s[d.pos] == ',' {
			d.pos++
			continue
		}
		if d.pos < len(d.s) && d.s[d.pos] == '}' {
			d.pos++
			d.depth--
			return t
		}
		d.unexpected()
	}
}

func (d *jsonDecoder) number() lua.LValue {
	start := d.pos
	digits := func() int {
		n := 0
		for d.pos < len(d.s) && '0' <= d.s[d.pos] && d.s[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.s[d.pos] == '-' {
		d.pos++
	}
	if d.pos < len(d.s) && d.s[d.pos] == '0' {
		d.pos++
		if d.pos < len(d.s) && '0' <= d.s[d.pos] && d.s[d.pos] <= '9' {
			d.fail(d.pos-1, "leading zero in a number")
		}
	} else if digits() == 0 {
		d.unexpected()
	}
	if d.pos < len(d.s) && d.s[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			d.unexpected()
		}
	}
	if d.pos < len(d.s) && (d.s[d.pos] == 'e' || d.s[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.s) && (d.s[d.pos] == '+' || d.s[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			d.unexpected()
		}
	}
	f, err := strconv.ParseFloat(d.s[start:d.pos], 64)
	if err != nil && math.IsInf(f, 0) {
		d.fail(start, "number %s out of range", d.s[start:d.pos])
	}
	return lua.LNumber(f)
}

// str reads a string at d.pos (its opening quote) and returns its text.
func (d *jsonDecoder) str() string {
	d.pos++ // "
	start := d.pos
	var b *strings.Builder
	for {
		if d.pos >= len(d.s) {
			d.fail(d.pos, "unexpected end of input in a string")
		}
		c := d.s[d.pos]
		switch {
		case c == '"':
			s := d.s[start:d.pos]
			d.pos++
			if b == nil {
				return s
			}
			b.WriteString(s)
			return b.String()
		case c == '\\':
			if b == nil {
				b = &strings.Builder{}
			}
			b.WriteString(d.s[start:d.pos])
			d.escape(b)
			start = d.pos
		case c < 0x20:
			d.fail(d.pos, "control character 0x%02x in a string (write it as an escape)", c)
		case c < 0x80:
			d.pos++
		default:
			r, size := utf8.DecodeRuneInString(d.s[d.pos:])
			if r == utf8.RuneError && size == 1 {
				d.fail(d.pos, "invalid UTF-8")
			}
			d.pos += size
		}
	}
}

// escape reads the escape at d.pos (its backslash) into b.
func (d *jsonDecoder) escape(b *strings.Builder) {
	at := d.pos
	d.pos++
	if d.pos >= len(d.s) {
		d.fail(d.pos, "unexpected end of input in a string")
	}
	c := d.s[d.pos]
	d.pos++
	switch c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r := d.hex4(at)
		if 0xd800 <= r && r < 0xdc00 && strings.HasPrefix(d.s[d.pos:], `\u`) {
			save := d.pos
			d.pos += 2
			lo := d.hex4(save)
			if 0xdc00 <= lo && lo < 0xe000 {
				r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
			} else {
				d.pos = save // not a pair: the second escape stands alone
			}
		}
		if 0xd800 <= r && r < 0xe000 {
			r = utf8.RuneError // a lone surrogate has no UTF-8 form
		}
		b.WriteRune(r)
	default:
		d.fail(at, "invalid escape '\\%c'", c)
	}
}

// hex4 reads the four hex digits of a \u escape that starts at at.
func (d *jsonDecoder) hex4(at int) rune {
	if d.pos+4 > len(d.s) {
		d.fail(at, "invalid \\u escape")
	}
	n, err := strconv.ParseUint(d.s[d.pos:d.pos+4], 16, 16)
	if err != nil {
		d.fail(at, "invalid \\u escape")
	}
	d.pos += 4
	return rune(n)
}

// jsonDecode is json.decode(text): the Lua value of the JSON document text.
// Objects become tables with string keys; arrays become tables with the
// json.array metatable; null is json.null. Raises on a syntax error, with
// its byte position (counting from 1).
func jsonDecode(L *lua.LState) int {
	text, ok := L.Get(1).(lua.LString)
	if !ok {
		api.ArgError(L, 1, "decode", "string expected, got "+api.TypeName(L.Get(1)))
	}
	d := &jsonDecoder{L: L, s: string(text), null: jsonNullValue(L), arrayMT: jsonArrayMT(L)}
	v := d.value()
	d.space()
	if d.pos < len(d.s) {
		c := d.s[d.pos]
		if c >= 0x20 && c < 0x7f {
			d.fail(d.pos, "extra data after the document: '%c'", c)
		}
		d.fail(d.pos, "extra data after the document: byte 0x%02x", c)
	}
	L.Push(v)
	return 1
}
