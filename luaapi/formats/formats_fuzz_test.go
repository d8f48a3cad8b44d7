package formats

import (
	"math"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// sameValues compares two lists of Lua values, NaN equal to NaN.
func sameValues(a, b []lua.LValue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, xok := a[i].(lua.LNumber)
		y, yok := b[i].(lua.LNumber)
		if xok && yok && math.IsNaN(float64(x)) && math.IsNaN(float64(y)) {
			continue
		}
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzStructUnpack unpacks arbitrary bytes with arbitrary formats: no Go
// panic may escape (callLua fails the test on one), and whatever unpack
// returns packs back into bytes that unpack to the same values.
func FuzzStructUnpack(f *testing.F) {
	f.Add("<HHI", []byte("\x01\x00\x02\x00\x03\x00\x00\x00"))
	f.Add("@bq?e", make([]byte, 16))
	f.Add("!4sBxH", []byte("SRUN\x01\x00\x00\x05"))
	f.Add(">Qqd", []byte("\xff\xff\xff\xff\xff\xff\xff\xff\x80\x00\x00\x00\x00\x00\x00\x00\x7f\xf8\x00\x00\x00\x00\x00\x01"))
	f.Add("5p2c", []byte("\x09abcdxy"))
	L := newFormatsState(f)
	f.Fuzz(func(t *testing.T, format string, data []byte) {
		if len(format) > 64 {
			return // long formats only make the record large
		}
		vals, err := callLua(t, L, "struct", "unpack_from", lua.LString(format), lua.LString(data))
		if err != nil {
			return
		}
		args := append([]lua.LValue{lua.LString(format)}, vals...)
		packed, err := callLua(t, L, "struct", "pack", args...)
		if err != nil {
			t.Fatalf("pack(%q, unpack_from(%q, %x)): %v", format, format, data, err)
		}
		again, err := callLua(t, L, "struct", "unpack", lua.LString(format), packed[0])
		if err != nil {
			t.Fatalf("unpack(%q, pack(...)): %v", format, err)
		}
		if !sameValues(vals, again) {
			t.Fatalf("format %q, data %x: unpacked %v, after a round trip %v", format, data, vals, again)
		}
	})
}

// FuzzJSONDecode decodes arbitrary text: no Go panic may escape, and a
// document that decodes encodes to text that decodes and encodes to the
// same text again.
func FuzzJSONDecode(f *testing.F) {
	f.Add(`{"a":[1,null,3],"b":{"c":"\u00e9"},"d":-0.5e3}`)
	f.Add(`[[],{},null,true,false,"\ud83d\ude00"]`)
	f.Add(`{"a": 1, "b": 2,}`)
	f.Add(`9007199254740993`)
	f.Add("\"\\ud800x\"")
	L := newFormatsState(f)
	f.Fuzz(func(t *testing.T, text string) {
		v, err := callLua(t, L, "json", "decode", lua.LString(text))
		if err != nil {
			return
		}
		first, err := callLua(t, L, "json", "encode", v[0])
		if err != nil {
			t.Fatalf("encode(decode(%q)): %v", text, err)
		}
		v2, err := callLua(t, L, "json", "decode", first[0])
		if err != nil {
			t.Fatalf("decode(%q), the encoding of %q: %v", first[0], text, err)
		}
		second, err := callLua(t, L, "json", "encode", v2[0])
		if err != nil || second[0] != first[0] {
			t.Fatalf("%q encodes to %q, then to %q (%v)", text, first[0], second, err)
		}
	})
}
