package lpattern

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// find runs a string.match-like search of pat in src from offset init,
// the pattern's '^' anchoring it, and describes the outcome: "nil", the
// match's bounds and its captures ("1:3 [bc] @2" for text "bc" and a
// position capture at offset 2), or the error.
func find(src, pat string, init int) string {
	var m Matcher
	pat, anchored := Anchored(pat)
	m.Reset(src, pat)
	start, end, err := m.Find(init, anchored)
	if err != nil {
		return "error: " + err.Error()
	}
	if start < 0 {
		return "nil"
	}
	out := fmt.Sprintf("%d:%d", start, end)
	for i := range m.Captures() {
		s, e, pos, err := m.Capture(i)
		switch {
		case err != nil:
			out += " error: " + err.Error()
		case pos:
			out += fmt.Sprintf(" @%d", s)
		default:
			out += " [" + src[s:e] + "]"
		}
	}
	return out
}

func TestFind(t *testing.T) {
	cases := []struct {
		src, pat string
		init     int
		want     string
	}{
		// Plain characters, '.', anchors.
		{"hello world", "o w", 0, "4:7"},
		{"hello", "", 0, "0:0"},
		{"hello", "", 5, "5:5"},
		{"hello", "l", 3, "3:4"},
		{"hello", "l", 4, "nil"},
		{"hello", "^h", 0, "0:1"},
		{"hello", "^e", 0, "nil"},
		{"hello", "^e", 1, "1:2"},
		{"hello", "o$", 0, "4:5"},
		{"hello", "l$", 0, "nil"},
		{"a$b", "$b", 0, "1:3"}, // '$' not at the end is a character
		{"a^b", "a^b", 0, "0:3"},
		{"^a", "^^a", 0, "0:2"},
		{"", "^$", 0, "0:0"},
		{"abc", "a.c", 0, "0:3"},
		{"ab\x00c", "b.c", 0, "1:4"},
		// Classes, either case, and escapes.
		{"x = 42;", "%d+", 0, "4:6"},
		{"abc123", "%a+", 0, "0:3"},
		{"abc123", "%A+", 0, "3:6"},
		{"Hello", "%u%l+", 0, "0:5"},
		{" \t\n\v\f\rx", "%s+", 0, "0:6"},
		{"a,b", "%p", 0, "1:2"},
		{"a\x01\x7fb", "%c+", 0, "1:3"},
		{"fF9g", "%x+", 0, "0:3"},
		{"a_1", "%w+", 0, "0:1"},
		{"a\x00b", "%z", 0, "1:2"},
		{"abc", "%Z+", 0, "0:3"},
		{"a.b", "%.", 0, "1:2"},
		{"a%b", "%%", 0, "1:2"},
		{"gap", "%g", 0, "0:1"}, // Lua 5.2's %g is a 'g' in 5.1
		{"caf\xe9", "%a+", 0, "0:3"},
		{"caf\xe9", "%A", 0, "3:4"},
		// Sets.
		{"hello", "[aeiou]+", 0, "1:2"},
		{"hello", "[^aeiou]+", 0, "0:1"},
		{"x-y", "[a-]", 0, "1:2"},
		{"x-y", "[-a]", 0, "1:2"},
		{"b]", "[]]", 0, "1:2"},
		{"]", "[^]]", 0, "nil"},
		{"a]", "[^]]", 0, "0:1"},
		{"a1_", "[%a_]+", 0, "0:1"},
		{"a1_", "[%w_]+", 0, "0:3"},
		{"A-Z", "[A%-Z]+", 0, "0:3"},
		{"5", "[1-9]", 0, "0:1"},
		{"0", "[1-9]", 0, "nil"},
		{"^", "[%^]", 0, "0:1"},
		{"]", "[%]]", 0, "0:1"},
		{"abc", "[b-]", 0, "1:2"},
		{"a", "[a-%]", 0, "error: malformed pattern (missing ']')"},
		// Repetitions.
		{"aaab", "a*", 0, "0:3"},
		{"baaa", "a*", 0, "0:0"},
		{"aaab", "a+b", 0, "0:4"},
		{"aaab", "a-b", 0, "0:4"},
		{"<a><b>", "<.->", 0, "0:3"},
		{"<a><b>", "<.*>", 0, "0:6"},
		{"color", "colou?r", 0, "0:5"},
		{"colour", "colou?r", 0, "0:6"},
		{"ab", "a?a?ab", 0, "0:2"},
		{"  x  ", "^%s*(.-)%s*$", 0, "0:5 [x]"},
		{"+-", "[+-]+", 0, "0:2"},
		{"a*", "a%*", 0, "0:2"},
		// Captures.
		{"key = value", "(%w+)%s*=%s*(%w+)", 0, "0:11 [key] [value]"},
		{"hello", "()ll()", 0, "2:4 @2 @4"},
		{"hello", "(h(e)(l))", 0, "0:3 [hel] [e] [l]"},
		{"hello", "()", 0, "0:0 @0"},
		{"hello", "(", 0, "0:0 error: unfinished capture"},
		{"hello", "(x", 0, "nil"},
		{"hello", "h)", 0, "error: invalid pattern capture"},
		{"hello", "x)", 0, "nil"},
		{"hello", "()", 5, "5:5 @5"},
		// Back-references.
		{"say 'hi' now", "(['\"])(.-)%1", 0, "4:8 ['] [hi]"},
		{"abab", "(ab)%1", 0, "0:4 [ab]"},
		{"aa", "()a%1", 0, "nil"}, // a position capture's text matches nothing
		{"aa", "(a%1)", 0, "error: invalid capture index"},
		{"aa", "a%0", 0, "error: invalid capture index"},
		{"aa", "(a)%2", 0, "error: invalid capture index"},
		{"bb", "a%2", 0, "nil"}, // never reached
		// Balance and frontier.
		{"f(a(b)c) d", "%b()", 0, "1:8"},
		{"f(a(b c", "%b()", 0, "nil"},
		{"[[x]]", "%b[]", 0, "0:5"},
		{"\"a\" \"b\"", "%b\"\"", 0, "0:3"},
		{"x", "%b(", 0, "error: unbalanced pattern"},
		{"x", "%b", 0, "error: unbalanced pattern"},
		{"THE (quick) fox", "%f[%a]%a+", 0, "0:3"},
		{"THE (quick) fox", "%f[%a]%a+", 1, "5:10"},
		{"hello", "%f[%z]", 0, "5:5"},
		{"hello", "%f[%a]", 0, "0:0"},
		{"x", "%fa", 0, "error: missing '[' after '%f' in pattern"},
		{"x", "%f", 0, "error: missing '[' after '%f' in pattern"},
		{"x", "%f[a", 0, "error: malformed pattern (missing ']')"},
		// Malformed patterns: errors when matching reaches them.
		{"a", "%", 0, "error: malformed pattern (ends with '%')"},
		{"a", "a%", 0, "error: malformed pattern (ends with '%')"},
		{"b", "a%", 0, "nil"},
		{"xyz", "[a", 0, "error: malformed pattern (missing ']')"},
		{"", "%", 0, "error: malformed pattern (ends with '%')"},
		{"x1y22", "[%d]+", 2, "3:5"},
		{"x1y22", "%d%d", 0, "3:5"},
		{"a", "[a", 0, "error: malformed pattern (missing ']')"},
		{"a", "[", 0, "error: malformed pattern (missing ']')"},
		{"a", "[]", 0, "error: malformed pattern (missing ']')"},
		{"a", "[^]", 0, "error: malformed pattern (missing ']')"},
		{"a", "[%", 0, "error: malformed pattern (missing ']')"},
		{"a", "[a%]", 0, "error: malformed pattern (missing ']')"},
		{"a", strings.Repeat("()", MaxCaptures), 0, "0:0" + strings.Repeat(" @0", MaxCaptures)},
		{"a", strings.Repeat("()", MaxCaptures+1), 0, "error: too many captures"},
		{strings.Repeat("a", MaxDepth), strings.Repeat("a?", MaxDepth), 0, "error: pattern too complex"},
		{strings.Repeat("a", MaxDepth-1), strings.Repeat("a?", MaxDepth-1), 0, fmt.Sprintf("0:%d", MaxDepth-1)},
	}
	for _, c := range cases {
		if got := find(c.src, c.pat, c.init); got != c.want {
			t.Errorf("find(%q, %q, %d) = %s, want %s", c.src, c.pat, c.init, got, c.want)
		}
	}
}

// TestFindUnanchored: without Anchored, as string.gmatch matches, '^' is
// an ordinary character.
func TestFindUnanchored(t *testing.T) {
	var m Matcher
	m.Reset("a^b^c", "^%a")
	if start, end, err := m.Find(0, false); start != 1 || end != 3 || err != nil {
		t.Errorf("Find = %d, %d, %v; want 1, 3", start, end, err)
	}
}

func TestExpand(t *testing.T) {
	cases := []struct {
		src, pat, repl string
		want           string
	}{
		{"hello world", "(o)", "[%1]", "[o]"},
		{"hello world", "o", "[%1]", "[o]"}, // %1 of a pattern without captures: the whole match
		{"hello world", "o", "[%0]", "[o]"},
		{"hello world", "(l)(l)", "%2%1%0", "llll"},
		{"hello", "()ll()", "%1-%2", "3-5"},
		{"x", "x", "100%%", "100%"},
		{"x", "x", "%a%.", "a."},
		{"x", "x", "ends with %", "ends with \x00"},
		{"x", "x", "", ""},
		{"x", "x", "%2", "error: invalid capture index"},
		{"x", "(x)", "%2", "error: invalid capture index"},
		{"x", "(x", "%1", "error: unfinished capture"},
		{"x", "(x", "%0", "x"},
	}
	for _, c := range cases {
		var m Matcher
		m.Reset(c.src, c.pat)
		if _, _, err := m.Find(0, false); err != nil {
			t.Fatalf("%q in %q: %v", c.pat, c.src, err)
		}
		var b strings.Builder
		got := "error: "
		if err := m.Expand(&b, c.repl); err != nil {
			got += err.Error()
		} else {
			got = b.String()
		}
		if got != c.want {
			t.Errorf("%q in %q, expanding %q: %q, want %q", c.pat, c.src, c.repl, got, c.want)
		}
	}
}

// TestNoAllocation: a match, its captures and an expansion into a
// builder with room allocate nothing.
func TestNoAllocation(t *testing.T) {
	const line = "Content-Type:  text/plain; charset=utf-8  "
	const header = "^([%w!#$%%&'*+%-.^_`|~]+):[ \t]*(.-)[ \t]*$"
	var b strings.Builder
	b.Grow(256)
	allocs := testing.AllocsPerRun(100, func() {
		var m Matcher
		pat, anchored := Anchored(header)
		m.Reset(line, pat)
		start, _, err := m.Find(0, anchored)
		if start != 0 || err != nil || m.Captures() != 2 {
			t.Fatalf("no match: %v", err)
		}
		if s, e, _, _ := m.Capture(1); line[s:e] != "text/plain; charset=utf-8" {
			t.Fatalf("capture 2 is %q", line[s:e])
		}
		b.Reset()
		b.Grow(256)
		_ = m.Expand(&b, "%1=%2 ()")
	})
	// b.Reset drops the buffer: Grow allocates it again.
	if allocs > 1 {
		t.Errorf("%v allocations per match", allocs)
	}
}

// TestLimit: a limited search that runs past its steps ends with ErrLong
// when it has no check, with the check's error when the check says stop,
// and finds what an unlimited search finds when the check lets it go on.
// Each kind of repetition and scan counts: none runs unchecked for long.
func TestLimit(t *testing.T) {
	stop := errors.New("stop")
	for _, c := range []struct{ src, pat string }{
		{strings.Repeat("a", 30), "a*a*a*a*b"},                                              // greedy repetitions
		{strings.Repeat("a", 30), "a-a-a-a-b"},                                              // lazy ones
		{strings.Repeat("a", 14), strings.Repeat("a?", 14) + strings.Repeat("a", 14) + "b"}, // options
		{strings.Repeat("(", 3000), "%b()"},                                                 // a balance from every position
		{strings.Repeat("a", 3000) + "c", "[ab]c"},                                          // a scan for a first class
		{strings.Repeat("a", 1<<16) + "c", "ac"},                                            // a skip to a first byte
		{strings.Repeat("ab", 200), "(.*)%1%1x"},                                            // back references
	} {
		var m Matcher
		m.Reset(c.src, c.pat)
		wantStart, wantEnd, err := m.Find(0, false)
		if err != nil {
			t.Fatalf("%q: %v", c.pat, err)
		}

		m.Limit(100, nil)
		if _, _, err := m.Find(0, false); err != ErrLong {
			t.Errorf("%q limited to 100 steps: %v, want ErrLong", c.pat, err)
		}

		calls := 0
		m.Limit(100, func() error {
			if calls++; calls == 3 {
				return stop
			}
			return nil
		})
		if _, _, err := m.Find(0, false); err != stop || calls != 3 {
			t.Errorf("%q checked every 100 steps: %v after %d checks, want stop after 3", c.pat, err, calls)
		}

		calls = 0
		m.Limit(100, func() error { calls++; return nil })
		start, end, err := m.Find(0, false)
		if start != wantStart || end != wantEnd || err != nil || calls == 0 {
			t.Errorf("%q checked, going on: %d %d %v after %d checks, want %d %d", c.pat, start, end, err, calls, wantStart, wantEnd)
		}
	}
}

// TestDepthIsStackSafe: the deepest recursion MaxDepth allows runs on a
// goroutine's stack, through each kind of recursive step.
func TestDepthIsStackSafe(t *testing.T) {
	subject := strings.Repeat("a", MaxDepth)
	for _, item := range []string{"a?", "a*", "a-", "()"} {
		pat := strings.Repeat(item, MaxDepth-1)
		if item == "()" {
			pat = "(" + strings.Repeat("a?", MaxDepth-3) + ")"
		}
		var m Matcher
		m.Reset(subject, pat)
		if _, _, err := m.Find(0, false); err != nil {
			t.Errorf("%s: %v", item, err)
		}
		m.Reset(subject, pat+item)
		if _, _, err := m.Find(0, false); err != errTooComplex {
			t.Errorf("%s, one more: %v, want %v", item, err, errTooComplex)
		}
	}
}

// BenchmarkFind is the matcher alone, on the HTTP server's header line
// pattern (a capture, a repetition, a lazy repetition and an anchor) and
// a search that skips to a first byte.
func BenchmarkFind(b *testing.B) {
	for _, c := range []struct{ name, src, pat string }{
		{"header", "User-Agent: wrk/4.2.0", "^([%w!#$%%&'*+%-.^_`|~]+):[ \t]*(.-)[ \t]*$"},
		{"first-byte", strings.Repeat("abcdefgh", 16) + "=42", "=(%d+)"},
	} {
		b.Run(c.name, func(b *testing.B) {
			pat, anchored := Anchored(c.pat)
			for b.Loop() {
				var m Matcher
				m.Reset(c.src, pat)
				if start, _, _ := m.Find(0, anchored); start < 0 {
					b.Fatal("no match")
				}
			}
		})
	}
}
