package lpattern

import (
	"fmt"
	"testing"

	"github.com/yuin/gopher-lua/pm"
)

// FuzzMatch compares Matcher with gopher-lua's matcher (pm.Find, what the
// string library used before): where both match a pattern without an
// error, they find the same match with the same captures. Patterns that
// use what the two do differently (knownDifference) are skipped.
// (Where the two raise errors they differ by design: gopher-lua parses
// the whole pattern first, with messages of its own; Matcher raises Lua
// 5.1's, when matching reaches the malformed part.)
func FuzzMatch(f *testing.F) {
	for _, seed := range []struct{ pat, src string }{
		{"^([%w!#$%%&'*+%-.^_`|~]+):[ \t]*(.-)[ \t]*$", "Host:  example.com "},
		{"^([^?]*)%??(.*)$", "/path?q=1"},
		{"[^,]+", "gzip, chunked"},
		{"^%*(-?%d+)$", "*3"},
		{"(['\"])(.-)%1", `say "hi"`},
		{"()a+()", "baaab"},
		{"%b()", "f(a(b)c)"},
		{"[a-c%d]-x", "ab1x"},
		{"a?b*c+d-$", "bbccd"},
		{"[]^-]", "^"},
	} {
		f.Add(seed.pat, seed.src, uint8(0))
	}
	f.Fuzz(func(t *testing.T, pat, src string, init uint8) {
		if len(pat) > 40 || len(src) > 64 {
			return // longer inputs only take longer to backtrack over
		}
		if knownDifference(pat) != "" {
			return
		}
		start := int(init) % (len(src) + 1)
		var m Matcher
		rest, anchored := Anchored(pat)
		m.Reset(src, rest)
		s, e, err := m.Find(start, anchored)
		if err != nil {
			return
		}
		got := "nil"
		if s >= 0 {
			got = fmt.Sprintf("%d:%d", s, e)
			for i := range m.Captures() {
				cs, ce, pos, err := m.Capture(i)
				switch {
				case err != nil:
					return // an unfinished capture: Lua raises an error
				case pos:
					got += fmt.Sprintf(" @%d", cs)
				default:
					got += fmt.Sprintf(" [%d:%d]", cs, ce)
				}
			}
		}
		want, ok := gopherFind(pat, src, start)
		if !ok {
			return
		}
		if got != want {
			t.Errorf("pattern %q in %q from %d: %s, gopher-lua %s", pat, src, start, got, want)
		}
	})
}

// gopherFind is gopher-lua's first match of pat in src from offset init,
// described as find describes Matcher's; ok is false if it raised an
// error or panicked.
func gopherFind(pat, src string, init int) (desc string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	mds, err := pm.Find(pat, []byte(src), init, 1)
	if err != nil {
		return "", false
	}
	if len(mds) == 0 {
		return "nil", true
	}
	md := mds[0]
	desc = fmt.Sprintf("%d:%d", md.Capture(0), md.Capture(1))
	for i := 2; i < md.CaptureLength(); i += 2 {
		if md.IsPosCapture(i) {
			desc += fmt.Sprintf(" @%d", md.Capture(i)-1)
		} else {
			desc += fmt.Sprintf(" [%d:%d]", md.Capture(i), md.Capture(i+1))
		}
	}
	return desc, true
}

// knownDifference says why gopher-lua matches pat differently from Lua
// 5.1, whose behaviour Matcher has, or "" if it does not:
//
//   - "%f[set]", the frontier, which gopher-lua reads as the letter f
//     and a set;
//   - a back-reference to a position capture ("()a%1"), which matches
//     nothing in Lua 5.1 and the empty string in gopher-lua;
//   - in a set, a range next to a class or to another range: gopher-lua
//     makes a range that matches nothing of "[%a-z]", "[a-%d]" and the
//     second of "[a-c-e]", and of "[a--z]" the range a-z, where Lua 5.1
//     reads a class then '-' and 'z'; a range a to '%' then 'd'; a range
//     a-c then '-' and 'e'; a range a to '-' then 'z'.
func knownDifference(pat string) string {
	var position []bool // per capture, in the order they open
	for i := 0; i < len(pat); i++ {
		switch pat[i] {
		case '%':
			if i+1 == len(pat) {
				return ""
			}
			c := pat[i+1]
			if c == 'f' {
				return "frontier"
			}
			if n := int(c) - '1'; '1' <= c && c <= '9' && n < len(position) && position[n] {
				return "back-reference to a position capture"
			}
			i++
		case '(':
			position = append(position, i+1 < len(pat) && pat[i+1] == ')')
		case '[':
			end, odd := setWithOddRange(pat, i)
			if odd {
				return "a range next to a class or range in a set"
			}
			i = end
		}
	}
	return ""
}

// setWithOddRange finds the end of the set that starts at pat[i] (its
// ']', or the end of pat), and reports whether it has a range one of
// whose ends is a class, '-' or another range.
func setWithOddRange(pat string, i int) (end int, odd bool) {
	p := i + 1
	if p < len(pat) && pat[p] == '^' {
		p++
	}
	body := p
	for {
		if p >= len(pat) {
			return len(pat), false
		}
		c := pat[p]
		p++
		if c == '%' && p < len(pat) {
			p++
		}
		if p < len(pat) && pat[p] == ']' {
			break
		}
	}
	end = p
	prev := "" // the element before: "char", "class" or "range"
	for q := body; q < end; q++ {
		switch {
		case pat[q] == '%':
			q++
			prev = "class"
		case pat[q] == '-' && q > body && q+1 < end:
			if prev != "char" || pat[q+1] == '%' || pat[q+1] == '-' {
				return end, true
			}
			q++
			prev = "range"
		default:
			prev = "char"
		}
	}
	return end, false
}
