package repr

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// Printer prints Lua values readably, as Lua source: strings quoted,
// numbers as Lua 5.1 writes them, tables as constructors ({"127.0.0.1",
// 53422}, {1, 2, x = "y"}) with their keys sorted, bounded in depth and
// size, a table met again inside itself as <cycle>. The prompt shows
// values with one, the trace a call's arguments and results with
// another; they differ only in their bounds and in what they print their
// own way.
type Printer struct {
	// Depth is how deep tables nest before they print as {...}: 1 prints
	// a table's values but not those of the tables in it.
	Depth int
	// Items is how many values and fields print in all; the rest is "...".
	Items int
	// String prints a string; Quote if nil.
	String func(s string) string
	// Special, if not nil, is asked first for every value: when it reports
	// true, its text is the value's (an error value as its message, an
	// address as host:port, a socket as fd=3).
	Special func(v lua.LValue) (string, bool)
}

// Value is v as p prints it.
func (p *Printer) Value(v lua.LValue) string {
	r := reprState{p: p, items: p.Items, open: map[*lua.LTable]bool{}}
	r.value(v, 0)
	return r.b.String()
}

type reprState struct {
	p     *Printer
	b     strings.Builder
	items int
	open  map[*lua.LTable]bool // tables being printed, for cycles
}

func (r *reprState) value(v lua.LValue, depth int) {
	if r.p.Special != nil {
		if s, ok := r.p.Special(v); ok {
			r.b.WriteString(s)
			return
		}
	}
	switch v := v.(type) {
	case lua.LString:
		if r.p.String != nil {
			r.b.WriteString(r.p.String(string(v)))
		} else {
			r.b.WriteString(Quote(string(v)))
		}
	case lua.LNumber:
		r.b.WriteString(lua51.FormatNumber(float64(v)))
	case *lua.LTable:
		r.table(v, depth)
	default:
		r.b.WriteString(v.String())
	}
}

func (r *reprState) table(t *lua.LTable, depth int) {
	if r.open[t] {
		r.b.WriteString("<cycle>")
		return
	}
	if depth >= r.p.Depth {
		r.b.WriteString("{...}")
		return
	}
	r.open[t] = true
	defer delete(r.open, t)
	n := t.Len()
	var keys []lua.LValue
	t.ForEach(func(k, _ lua.LValue) {
		if i, ok := k.(lua.LNumber); ok && float64(i) == float64(int(i)) && int(i) >= 1 && int(i) <= n {
			return // in the array part, printed in order
		}
		keys = append(keys, k)
	})
	slices.SortFunc(keys, compareKeys)
	r.b.WriteByte('{')
	first := true
	sep := func() bool {
		if !first {
			r.b.WriteString(", ")
		}
		first = false
		if r.items <= 0 {
			r.b.WriteString("...")
			return false
		}
		r.items--
		return true
	}
	for i := 1; i <= n; i++ {
		if !sep() {
			r.b.WriteByte('}')
			return
		}
		r.value(t.RawGetInt(i), depth+1)
	}
	for _, k := range keys {
		if !sep() {
			break
		}
		if s, ok := k.(lua.LString); ok && isIdentifier(string(s)) {
			r.b.WriteString(string(s))
		} else {
			r.b.WriteByte('[')
			r.value(k, depth+1)
			r.b.WriteByte(']')
		}
		r.b.WriteString(" = ")
		r.value(t.RawGet(k), depth+1)
	}
	r.b.WriteByte('}')
}

// compareKeys orders a table's keys: numbers, then strings, then the rest
// by type and printed value.
func compareKeys(a, b lua.LValue) int {
	rank := func(v lua.LValue) int {
		switch v.(type) {
		case lua.LNumber:
			return 0
		case lua.LString:
			return 1
		}
		return 2
	}
	if c := cmp.Compare(rank(a), rank(b)); c != 0 {
		return c
	}
	switch a := a.(type) {
	case lua.LNumber:
		return cmp.Compare(float64(a), float64(b.(lua.LNumber)))
	case lua.LString:
		return strings.Compare(string(a), string(b.(lua.LString)))
	}
	return strings.Compare(a.Type().String()+a.String(), b.Type().String()+b.String())
}

var luaKeywords = map[string]bool{
	"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "if": true, "in": true, "local": true,
	"nil": true, "not": true, "or": true, "repeat": true, "return": true, "then": true,
	"true": true, "until": true, "while": true,
}

// isIdentifier reports whether s can be written as a field name (t.s).
func isIdentifier(s string) bool {
	if s == "" || luaKeywords[s] {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Quote quotes s as a Lua 5.1 string literal: printable UTF-8 as it is,
// other bytes as \ddd.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
				break
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if c >= 0x80 && r != utf8.RuneError && isPrintable(r) {
				b.WriteString(s[i : i+size])
				i += size
				continue
			}
			fmt.Fprintf(&b, `\%03d`, c)
		}
		i++
	}
	b.WriteByte('"')
	return b.String()
}

func isPrintable(r rune) bool {
	return r >= 0xa0 && r != 0xfeff && !(r >= 0x2028 && r <= 0x202f)
}
