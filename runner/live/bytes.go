package live

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// How a click on an arrow shows its bytes: as text, escaped as the
// trace's previews escape (printable text and UTF-8 as it is, \r \n \t
// \" \\ as in Lua, other bytes as \xNN) but whole, each \n followed by a
// line break; and as a hex dump, 16 bytes a line.

// textView is data as text.
func textView(data string) string {
	var b strings.Builder
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRuneInString(data[i:])
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString("\\n\n")
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && size <= 1, !unicode.IsPrint(r) && r != ' ':
			fmt.Fprintf(&b, `\x%02x`, data[i])
			size = 1
		default:
			b.WriteString(data[i : i+size])
		}
		i += size
	}
	return b.String()
}

// hexView is data as a hex dump: the offset, 16 bytes in hex, and the
// printable ASCII of them (others as ".").
func hexView(data string) string {
	var b strings.Builder
	for off := 0; off < len(data); off += 16 {
		line := data[off:min(off+16, len(data))]
		fmt.Fprintf(&b, "%04x  ", off)
		for i := range 16 {
			switch {
			case i < len(line):
				fmt.Fprintf(&b, "%02x ", line[i])
			default:
				b.WriteString("   ")
			}
			if i == 7 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(" |")
		for i := range len(line) {
			c := line[i]
			if c < 0x20 || c >= 0x7f {
				c = '.'
			}
			b.WriteByte(c)
		}
		b.WriteString("|\n")
	}
	return b.String()
}
