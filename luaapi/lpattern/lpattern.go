// Package lpattern matches Lua 5.1 patterns, the language of string.find,
// string.match, string.gmatch and string.gsub.
//
// A Matcher interprets the pattern text as it goes, as Lua's own string
// library does: nothing is parsed or compiled ahead, the subject is read in
// place as a Go string, and captures are kept as offsets in a fixed array,
// so a match allocates nothing. Like Lua's, it is a backtracking matcher:
// a pattern with nested repetitions can take exponential time, and a
// malformed part of a pattern is reported only when matching reaches it.
//
// Where a pattern holds a NUL byte the matcher reads it as an ordinary
// character, as Lua 5.2 and later do; Lua 5.1 ends the pattern there.
//
// A search may be bounded (Matcher.Limit): it counts its steps, and past
// a number of them ends with ErrLong or asks its caller whether to go on,
// so that a host can run a long search without its interpreter lock, and
// stop it when the run is interrupted. Counting costs one decrement per
// step.
package lpattern

import (
	"math"
	"strconv"
	"strings"
)

// MaxCaptures is how many captures a pattern may open: Lua's
// LUA_MAXCAPTURES.
const MaxCaptures = 32

// MaxDepth bounds how deeply the matcher recurses: once per capture and
// per repeated or optional item still waiting to backtrack, so never more
// than the pattern is long. A pattern that needs more fails with "pattern
// too complex" (as in Lua 5.2 and later, whose bound is 200) rather than
// grow the goroutine's stack without limit: 1,000 levels are at most
// about 300 KiB of stack, and five times what Lua 5.2 allows.
const MaxDepth = 1000

// Specials are the bytes that make a pattern more than plain text to
// string.find: a pattern with none of them is searched for as a substring.
const Specials = "^$*+?.([%-"

// Error is a malformed pattern, or a misused capture, with Lua 5.1's
// message: "malformed pattern (missing ']')".
type Error string

func (e Error) Error() string { return string(e) }

const (
	errEndsWithEscape  Error = "malformed pattern (ends with '%')"
	errMissingBracket  Error = "malformed pattern (missing ']')"
	errInvalidIndex    Error = "invalid capture index"
	errInvalidCapture  Error = "invalid pattern capture"
	errUnfinished      Error = "unfinished capture"
	errFrontier        Error = "missing '[' after '%f' in pattern"
	errUnbalanced      Error = "unbalanced pattern"
	errTooManyCaptures Error = "too many captures"
	errTooComplex      Error = "pattern too complex"
)

// ErrLong ends a search that used up the steps Limit allowed it, with no
// check to ask. Nothing is wrong with the pattern: the search may be run
// again, without a limit.
const ErrLong Error = "pattern search too long"

// stopped is what a check's error unwinds the search with.
type stopped struct{ err error }

// A capture's length while it is open, and the length of a position
// capture "()".
const (
	capOpen     = -1
	capPosition = -2
)

type capture struct {
	start int // offset in the subject
	n     int // length, or capOpen or capPosition
}

// Matcher matches one pattern against one subject. Its zero value is ready
// for Reset; it is meant to live on the caller's stack, one per call, so
// that a match allocates nothing. After a match, Captures and Capture
// report its captures until the next match or Reset.
type Matcher struct {
	src, pat   string
	level      int // captures opened so far
	start, end int // the last match's bounds
	// steps are the steps left until the limit is next reached; every is
	// the limit's number of steps (0: none) and check what it asks then.
	steps, every int
	check        func() error
	caps         [MaxCaptures]capture
}

// Anchored splits the anchor off a pattern: a '^' at its start ties a
// match to the first position string.find, string.match and string.gsub
// try. (string.gmatch has no anchor: there '^' is an ordinary character.)
func Anchored(pat string) (rest string, anchored bool) {
	return strings.CutPrefix(pat, "^")
}

// HasSpecials reports whether pat has any of the Specials.
func HasSpecials(pat string) bool {
	return strings.ContainsAny(pat, Specials)
}

// Limit bounds the work of m's searches from now on, counted in steps:
// one a try of the pattern at a position or of a repeated or optional
// item, one per byte a loop of the matcher passes over, one per sixteen
// bytes a search for a first byte skips. A step takes from a few to a
// hundred nanoseconds or so: the longer the pattern, the longer its
// tries. Once n steps (n > 0) have been taken since Limit or the last
// check, a search calls check: a non-nil error ends the search with that
// error, nil lets it go on for n more steps. With a nil check the search
// ends with ErrLong instead. The steps count across searches until Limit
// is called again; Reset keeps them.
func (m *Matcher) Limit(n int, check func() error) {
	m.steps, m.every, m.check = n, n, check
}

// tick counts n steps and reaches the limit if they were the last.
func (m *Matcher) tick(n int) {
	if m.steps -= n; m.steps < 0 {
		m.limitReached()
	}
}

// limitReached is the limit reached: with no limit set (a zero Matcher)
// the steps left are set out of reach.
func (m *Matcher) limitReached() {
	if m.every <= 0 {
		m.steps = math.MaxInt
		return
	}
	m.steps = m.every
	if m.check == nil {
		panic(ErrLong)
	}
	if err := m.check(); err != nil {
		panic(stopped{err})
	}
}

// Reset prepares m to match pat (without its anchor, see Anchored) in src.
func (m *Matcher) Reset(src, pat string) {
	m.src, m.pat = src, pat
	m.level = 0
	m.start, m.end = -1, -1
}

// Find returns the first match starting at or after offset init,
// 0 <= init <= len(src): its bounds, or -1, -1. An anchored find only
// tries init. err is set for a malformed pattern or a misused capture
// that matching reached, and for a search the limit ended (ErrLong, or
// the error of Limit's check).
func (m *Matcher) Find(init int, anchored bool) (start, end int, err error) {
	defer catch(&err)
	first := 0
	if !anchored {
		first = m.firstItem()
	}
	for s := init; s <= len(m.src); s++ {
		if first > 0 {
			// Only where the first item matches can a match start.
			if first == 1 && m.pat[0] != '.' {
				i := strings.IndexByte(m.src[s:], m.pat[0])
				if i < 0 {
					m.tick((len(m.src) - s) >> 4)
					break
				}
				m.tick(i >> 4)
				s += i
			} else {
				from := s
				for s < len(m.src) && !m.single(m.src[s], 0, first) {
					s++
				}
				m.tick(s - from)
				if s == len(m.src) {
					break
				}
			}
		}
		m.tick(1)
		if e := m.matchAt(s); e >= 0 {
			return s, e, nil
		}
		if anchored {
			break
		}
	}
	return -1, -1, nil
}

// firstItem returns where the pattern's first item ends if it is a
// single-byte class every match starts with: a character, '.', "%a" or a
// set, not made optional by '*', '-' or '?'. Else it returns 0. Where that
// class does not match, matching would fail at once, with no error.
func (m *Matcher) firstItem() int {
	pat := m.pat
	if len(pat) == 0 {
		return 0
	}
	switch pat[0] {
	case '(', ')':
		return 0
	case '$':
		if len(pat) == 1 {
			return 0
		}
	case '%':
		if len(pat) > 1 && (pat[1] == 'b' || pat[1] == 'f' || isDecimal(pat[1])) {
			return 0
		}
	}
	ep := m.classEnd(0) // a malformed first item raises as the first try would
	if ep < len(pat) && strings.IndexByte("*?-", pat[ep]) >= 0 {
		return 0
	}
	return ep
}

// catch turns an Error raised by the matcher into *err; any other panic
// goes on.
func catch(err *error) {
	if r := recover(); r != nil {
		switch e := r.(type) {
		case Error:
			*err = e
		case stopped:
			*err = e.err
		default:
			panic(r)
		}
	}
}

func (m *Matcher) matchAt(s int) int {
	m.level = 0
	e := m.match(s, 0, 1)
	if e >= 0 {
		m.start, m.end = s, e
	}
	return e
}

// Captures is the number of captures the last match made; 0 if its
// pattern has none, where Lua's functions return the whole match.
func (m *Matcher) Captures() int { return m.level }

// Capture returns capture i (from 0) of the last match: the bounds of the
// text it captured, or, for a position capture "()", the offset in start
// and pos set. With no captures in the pattern, capture 0 is the whole
// match. A capture the pattern does not have is "invalid capture index",
// one that was never closed "unfinished capture".
func (m *Matcher) Capture(i int) (start, end int, pos bool, err error) {
	if i >= m.level {
		if i == 0 {
			return m.start, m.end, false, nil
		}
		return 0, 0, false, errInvalidIndex
	}
	c := m.caps[i]
	switch c.n {
	case capOpen:
		return 0, 0, false, errUnfinished
	case capPosition:
		return c.start, c.start, true, nil
	}
	return c.start, c.start + c.n, false, nil
}

// Expand appends to b the replacement text repl of string.gsub for the
// last match: "%0" is the whole match, "%1" to "%9" its captures (a
// position capture as its number, counted from 1), and '%' before any
// other byte that byte ("%%" is "%"). As in Lua 5.1, a '%' that ends repl
// stands for a NUL byte.
func (m *Matcher) Expand(b *strings.Builder, repl string) error {
	for i := 0; i < len(repl); i++ {
		j := strings.IndexByte(repl[i:], '%')
		if j < 0 {
			b.WriteString(repl[i:])
			return nil
		}
		b.WriteString(repl[i : i+j])
		i += j + 1
		var c byte // past the end: Lua 5.1 reads the string's terminating NUL
		if i < len(repl) {
			c = repl[i]
		}
		switch {
		case c == '0':
			b.WriteString(m.src[m.start:m.end])
		case isDecimal(c):
			start, end, pos, err := m.Capture(int(c - '1'))
			if err != nil {
				return err
			}
			if pos {
				var num [20]byte
				b.Write(strconv.AppendInt(num[:0], int64(start+1), 10))
			} else {
				b.WriteString(m.src[start:end])
			}
		default:
			b.WriteByte(c)
		}
	}
	return nil
}

// match matches the pattern from offset p against the subject from offset
// s, and returns where the match ends, or -1. Items that match one way
// are matched in the loop; where there is a choice to backtrack over (a
// repetition, an option, a capture to undo), the rest of the pattern is
// matched by a recursive call, at depth d+1.
func (m *Matcher) match(s, p, d int) int {
	if d > MaxDepth {
		panic(errTooComplex)
	}
	src, pat := m.src, m.pat
	for p < len(pat) {
		switch pat[p] {
		case '(':
			if p+1 < len(pat) && pat[p+1] == ')' {
				return m.openCapture(s, p+2, d, capPosition)
			}
			return m.openCapture(s, p+1, d, capOpen)
		case ')':
			return m.closeCapture(s, p+1, d)
		case '$':
			if p+1 == len(pat) {
				if s == len(src) {
					return s
				}
				return -1
			}
		case '%':
			if p+1 == len(pat) {
				break // classEnd reports it
			}
			switch c := pat[p+1]; {
			case c == 'b':
				if s = m.balance(s, p+2); s < 0 {
					return -1
				}
				p += 4
				continue
			case c == 'f':
				p += 2
				if p == len(pat) || pat[p] != '[' {
					panic(errFrontier)
				}
				ep := m.classEnd(p)
				var prev, cur byte // NUL before the subject's start and past its end
				if s > 0 {
					prev = src[s-1]
				}
				if s < len(src) {
					cur = src[s]
				}
				if m.inSet(prev, p, ep-1) || !m.inSet(cur, p, ep-1) {
					return -1
				}
				p = ep
				continue
			case isDecimal(c):
				if s = m.backReference(s, c); s < 0 {
					return -1
				}
				p += 2
				continue
			}
		}
		// A single-byte class, perhaps repeated or optional.
		ep := m.classEnd(p)
		ok := s < len(src) && m.single(src[s], p, ep)
		if ep < len(pat) {
			switch pat[ep] {
			case '?':
				if ok {
					m.tick(1)
					if e := m.match(s+1, ep+1, d+1); e >= 0 {
						return e
					}
				}
				p = ep + 1
				continue
			case '*':
				return m.maxExpand(s, p, ep, d)
			case '+':
				if !ok {
					return -1
				}
				return m.maxExpand(s+1, p, ep, d)
			case '-':
				return m.minExpand(s, p, ep, d)
			}
		}
		if !ok {
			return -1
		}
		s++
		p = ep
	}
	return s
}

// maxExpand matches the class at p (ending at ep) as many times as it
// can from s, then gives back one at a time until the rest matches.
func (m *Matcher) maxExpand(s, p, ep, d int) int {
	n := 0
	if m.pat[p] == '.' {
		n = len(m.src) - s
	} else {
		for s+n < len(m.src) && m.single(m.src[s+n], p, ep) {
			n++
		}
	}
	// The bytes passed over, and as many tries at most: counted ahead.
	m.tick(n + 1)
	for ; n >= 0; n-- {
		if e := m.match(s+n, ep+1, d+1); e >= 0 {
			return e
		}
	}
	return -1
}

// minExpand matches the class at p (ending at ep) as few times as it can
// from s for the rest to match.
func (m *Matcher) minExpand(s, p, ep, d int) int {
	// The tries are counted once they are over: each is a search for the
	// rest of the pattern, which counts its own repetitions.
	from := s
	for {
		if e := m.match(s, ep+1, d+1); e >= 0 {
			m.tick(s - from + 1)
			return e
		}
		if s < len(m.src) && m.single(m.src[s], p, ep) {
			s++
		} else {
			m.tick(s - from + 1)
			return -1
		}
	}
}

func (m *Matcher) openCapture(s, p, d, what int) int {
	if m.level >= MaxCaptures {
		panic(errTooManyCaptures)
	}
	m.caps[m.level] = capture{start: s, n: what}
	m.level++
	e := m.match(s, p, d+1)
	if e < 0 {
		m.level--
	}
	return e
}

func (m *Matcher) closeCapture(s, p, d int) int {
	l := m.level - 1
	for l >= 0 && m.caps[l].n != capOpen {
		l--
	}
	if l < 0 {
		panic(errInvalidCapture)
	}
	m.caps[l].n = s - m.caps[l].start
	e := m.match(s, p, d+1)
	if e < 0 {
		m.caps[l].n = capOpen
	}
	return e
}

// backReference matches "%1" to "%9" (digit c) at s: the text a closed
// capture took. A position capture's text never matches, as in Lua 5.1.
func (m *Matcher) backReference(s int, c byte) int {
	l := int(c) - '1'
	if l < 0 || l >= m.level || m.caps[l].n == capOpen {
		panic(errInvalidIndex)
	}
	cp := m.caps[l]
	m.tick(max(cp.n, 0) >> 4)
	if cp.n == capPosition || len(m.src)-s < cp.n || m.src[s:s+cp.n] != m.src[cp.start:cp.start+cp.n] {
		return -1
	}
	return s + cp.n
}

// balance matches "%bxy", whose x is at p: from an x at s to the y that
// balances it.
func (m *Matcher) balance(s, p int) int {
	if p+1 >= len(m.pat) {
		panic(errUnbalanced)
	}
	if s >= len(m.src) || m.src[s] != m.pat[p] {
		return -1
	}
	open, close := m.pat[p], m.pat[p+1]
	depth := 1
	from := s
	for s++; s < len(m.src); s++ {
		switch m.src[s] {
		case close:
			if depth--; depth == 0 {
				m.tick(s - from)
				return s + 1
			}
		case open:
			depth++
		}
	}
	m.tick(s - from)
	return -1
}

// classEnd returns where the single-byte class at p ends: after "x", "%x"
// or "[...]".
func (m *Matcher) classEnd(p int) int {
	pat := m.pat
	switch pat[p] {
	case '%':
		if p+1 == len(pat) {
			panic(errEndsWithEscape)
		}
		return p + 2
	case '[':
		p++
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		// The first byte of a set is in it even if it is ']': "[]]".
		for {
			if p == len(pat) {
				panic(errMissingBracket)
			}
			c := pat[p]
			p++
			if c == '%' && p < len(pat) {
				p++ // an escaped byte, perhaps ']'
			}
			if p < len(pat) && pat[p] == ']' {
				return p + 1
			}
		}
	}
	return p + 1
}

// single reports whether byte c is in the class at p that ends at ep.
func (m *Matcher) single(c byte, p, ep int) bool {
	switch m.pat[p] {
	case '.':
		return true
	case '%':
		return inClass(c, m.pat[p+1])
	case '[':
		return m.inSet(c, p, ep-1)
	}
	return m.pat[p] == c
}

// inSet reports whether byte c is in the set "[...]" that spans p to the
// closing ']' at end.
func (m *Matcher) inSet(c byte, p, end int) bool {
	pat := m.pat
	in := true
	p++
	if pat[p] == '^' {
		in = false
		p++
	}
	for ; p < end; p++ {
		switch {
		case pat[p] == '%':
			p++
			if inClass(c, pat[p]) {
				return in
			}
		case pat[p+1] == '-' && p+2 < end:
			if pat[p] <= c && c <= pat[p+2] {
				return in
			}
			p += 2
		case pat[p] == c:
			return in
		}
	}
	return !in
}

func isDecimal(c byte) bool { return '0' <= c && c <= '9' }
