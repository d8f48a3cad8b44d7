package lua51

import (
	"errors"
	"fmt"
	"strings"

	"github.com/yuin/gopher-lua/parse"
)

// SyntaxError is a chunk that does not parse, described as lua5.1
// describes it.
type SyntaxError struct {
	Chunk string // the chunk's name as shown ("x.lua", `[string "..."]`)
	Line  int
	// Msg is the message without its position: "'=' expected near 'y'".
	Msg string
}

// Error is "chunk:line: message", as lua5.1 writes a syntax error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Chunk, e.Line, e.Msg)
}

// Incomplete reports whether the chunk ended before its statement did (the
// message ends "near '<eof>'"), so that a prompt asks for more, as lua5.1's
// does.
func (e *SyntaxError) Incomplete() bool {
	return strings.HasSuffix(e.Msg, "'<eof>'")
}

// parseError describes why gopher-lua's parser rejected src, which is Lua
// 5.1 (checkSyntax found nothing wrong): the chunk uses what gopher-lua
// takes for Lua 5.2's, "goto" or "::" as names. gopher-lua's complaint is
// given in lua5.1's form.
func parseError(src, name string, err error) error {
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return err
	}
	msg := strings.TrimSpace(pe.Message)
	if msg == "syntax error" || msg == "parse error" {
		msg = "unexpected symbol"
	}
	line := pe.Pos.Line
	switch {
	case line < 1:
		// The parser ran out of input: the error is at the last line.
		msg += " near '<eof>'"
		line = strings.Count(src, "\n") + 1
	case pe.Token == "goto" || pe.Token == "::":
		msg += " near '" + pe.Token + "' (sockrun's parser reserves 'goto' and '::', as Lua 5.2 does)"
	case pe.Token != "":
		msg += " near '" + pe.Token + "'"
	}
	return &SyntaxError{Chunk: name, Line: line, Msg: msg}
}

// checkSyntax parses src by Lua 5.1's grammar and returns its first syntax
// error as lua5.1 reports it, or nil.
func checkSyntax(src, name string) (se *SyntaxError) {
	// lua5.1 is one call deep (its lua_pcall) when it parses a chunk.
	p := &checker{lx: lexer{src: src, line: 1, lookahead: tkEOS}, name: name, level: 1}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			se = e
		}
	}()
	p.lx.p = p
	p.lx.current = p.lx.read()
	p.fs = &funcState{vararg: true}
	p.next()
	p.chunk()
	p.check(tkEOS)
	return nil
}

// Tokens past the single bytes, in Lua 5.1's order.
const (
	tkAnd = 257 + iota
	tkBreak
	tkDo
	tkElse
	tkElseif
	tkEnd
	tkFalse
	tkFor
	tkFunction
	tkIf
	tkIn
	tkLocal
	tkNil
	tkNot
	tkOr
	tkRepeat
	tkReturn
	tkThen
	tkTrue
	tkUntil
	tkWhile
	tkConcat
	tkDots
	tkEq
	tkGe
	tkLe
	tkNe
	tkNumber
	tkName
	tkString
	tkEOS
)

// tokenNames are luaX_tokens: the text of each token past the bytes.
var tokenNames = [...]string{
	"and", "break", "do", "else", "elseif",
	"end", "false", "for", "function", "if",
	"in", "local", "nil", "not", "or", "repeat",
	"return", "then", "true", "until", "while",
	"..", "...", "==", ">=", "<=", "~=",
	"<number>", "<name>", "<string>", "<eof>",
}

// reserved are the reserved words' tokens.
var reserved = func() map[string]int {
	m := map[string]int{}
	for t := tkAnd; t <= tkWhile; t++ {
		m[tokenNames[t-tkAnd]] = t
	}
	return m
}()

// eoz is the end of the source.
const eoz = -1

// lexer is Lua 5.1's llex.c, reporting its errors as lua5.1 does.
type lexer struct {
	p         *checker
	src       string
	pos       int
	current   int
	line      int
	lastline  int
	buf       []byte
	tok       int
	lookahead int
}

// read is the next byte of the source, or eoz.
func (lx *lexer) read() int {
	if lx.pos >= len(lx.src) {
		return eoz
	}
	c := lx.src[lx.pos]
	lx.pos++
	return int(c)
}

func (lx *lexer) nextc()              { lx.current = lx.read() }
func (lx *lexer) save(c int)          { lx.buf = append(lx.buf, byte(c)) }
func (lx *lexer) saveAndNext()        { lx.save(lx.current); lx.nextc() }
func (lx *lexer) currIsNewline() bool { return lx.current == '\n' || lx.current == '\r' }

// checkNext consumes the current byte, saving it, if it is in set.
func (lx *lexer) checkNext(set string) bool {
	if lx.current == eoz || !strings.ContainsRune(set, rune(lx.current)) {
		return false
	}
	lx.saveAndNext()
	return true
}

func (lx *lexer) incLine() {
	old := lx.current
	lx.nextc()
	if lx.currIsNewline() && lx.current != old {
		lx.nextc()
	}
	lx.line++
}

// token2str is luaX_token2str.
func token2str(t int) string {
	if t < 257 {
		if t < 32 || t == 127 {
			return fmt.Sprintf("char(%d)", t)
		}
		return string([]byte{byte(t)})
	}
	return tokenNames[t-tkAnd]
}

// txtToken is the text of token t in a message: a name, string or number
// as written.
func (lx *lexer) txtToken(t int) string {
	switch t {
	case tkName, tkString, tkNumber:
		return string(lx.buf)
	}
	return token2str(t)
}

// errorAt raises msg at the current line, "near" token t (none if 0).
func (lx *lexer) errorAt(msg string, t int) {
	if t != 0 {
		// Lua's message formatting stops at a NUL byte.
		txt, _, _ := strings.Cut(lx.txtToken(t), "\x00")
		msg += " near '" + txt + "'"
	}
	panic(&SyntaxError{Chunk: lx.p.name, Line: lx.line, Msg: msg})
}

func lexDigit(c int) bool { return c >= '0' && c <= '9' }
func lexAlpha(c int) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func lexAlnum(c int) bool { return lexAlpha(c) || lexDigit(c) }
func lexSpace(c int) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// skipSep is skip_sep: the level of a long bracket, or -1 - the '='s read
// if there is none.
func (lx *lexer) skipSep() int {
	count := 0
	s := lx.current
	lx.saveAndNext()
	for lx.current == '=' {
		lx.saveAndNext()
		count++
	}
	if lx.current == s {
		return count
	}
	return -count - 1
}

func (lx *lexer) readLongString(isString bool, sep int) {
	lx.saveAndNext()
	if lx.currIsNewline() {
		lx.incLine()
	}
	for {
		switch lx.current {
		case eoz:
			if isString {
				lx.errorAt("unfinished long string", tkEOS)
			}
			lx.errorAt("unfinished long comment", tkEOS)
		case '[':
			if lx.skipSep() == sep {
				lx.saveAndNext()
				if sep == 0 {
					lx.errorAt("nesting of [[...]] is deprecated", '[')
				}
			}
		case ']':
			if lx.skipSep() == sep {
				lx.saveAndNext()
				return
			}
		case '\n', '\r':
			lx.save('\n')
			lx.incLine()
			if !isString {
				lx.buf = lx.buf[:0]
			}
		default:
			if isString {
				lx.saveAndNext()
			} else {
				lx.nextc()
			}
		}
	}
}

// escapes are the bytes of the escapes of a letter.
var escapes = map[int]byte{'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}

func (lx *lexer) readString(del int) {
	lx.saveAndNext()
	for lx.current != del {
		switch lx.current {
		case eoz:
			lx.errorAt("unfinished string", tkEOS)
		case '\n', '\r':
			lx.errorAt("unfinished string", tkString)
		case '\\':
			lx.nextc()
			switch lx.current {
			case 'a', 'b', 'f', 'n', 'r', 't', 'v':
				lx.save(int(escapes[lx.current]))
				lx.nextc()
			case '\n', '\r':
				lx.save('\n')
				lx.incLine()
			case eoz:
			default:
				if !lexDigit(lx.current) {
					lx.saveAndNext()
					continue
				}
				c := 0
				for i := 0; i < 3 && lexDigit(lx.current); i++ {
					c = 10*c + lx.current - '0'
					lx.nextc()
				}
				if c > 255 {
					lx.errorAt("escape sequence too large", tkString)
				}
				lx.save(c)
			}
		default:
			lx.saveAndNext()
		}
	}
	lx.saveAndNext()
}

// Numbers as strtod and strtoul take them, whole.
var (
	decimalNumber = lazyRegexp(`^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	hexNumber     = lazyRegexp(`^0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][0-9]+)?$`)
)

func (lx *lexer) readNumeral() {
	for lexDigit(lx.current) || lx.current == '.' {
		lx.saveAndNext()
	}
	if lx.checkNext("Ee") {
		lx.checkNext("+-")
	}
	for lexAlnum(lx.current) || lx.current == '_' {
		lx.saveAndNext()
	}
	if s := string(lx.buf); !decimalNumber().MatchString(s) && !hexNumber().MatchString(s) {
		lx.errorAt("malformed number", tkNumber)
	}
}

// llex is the next token.
func (lx *lexer) llex() int {
	lx.buf = lx.buf[:0]
	for {
		switch c := lx.current; c {
		case '\n', '\r':
			lx.incLine()
		case '-':
			lx.nextc()
			if lx.current != '-' {
				return '-'
			}
			lx.nextc()
			if lx.current == '[' {
				sep := lx.skipSep()
				lx.buf = lx.buf[:0]
				if sep >= 0 {
					lx.readLongString(false, sep)
					lx.buf = lx.buf[:0]
					continue
				}
			}
			for !lx.currIsNewline() && lx.current != eoz {
				lx.nextc()
			}
		case '[':
			sep := lx.skipSep()
			if sep >= 0 {
				lx.readLongString(true, sep)
				return tkString
			}
			if sep == -1 {
				return '['
			}
			lx.errorAt("invalid long string delimiter", tkString)
		case '=', '<', '>', '~':
			lx.nextc()
			if lx.current != '=' {
				return c
			}
			lx.nextc()
			return map[int]int{'=': tkEq, '<': tkLe, '>': tkGe, '~': tkNe}[c]
		case '"', '\'':
			lx.readString(c)
			return tkString
		case '.':
			lx.saveAndNext()
			if lx.checkNext(".") {
				if lx.checkNext(".") {
					return tkDots
				}
				return tkConcat
			}
			if !lexDigit(lx.current) {
				return '.'
			}
			lx.readNumeral()
			return tkNumber
		case eoz:
			return tkEOS
		default:
			switch {
			case lexSpace(c):
				lx.nextc()
			case lexDigit(c):
				lx.readNumeral()
				return tkNumber
			case lexAlpha(c) || c == '_':
				for lexAlnum(lx.current) || lx.current == '_' {
					lx.saveAndNext()
				}
				if t, ok := reserved[string(lx.buf)]; ok {
					return t
				}
				return tkName
			default:
				lx.nextc()
				return c
			}
		}
	}
}

// funcState is what the checker knows of the function it is in.
type funcState struct {
	prev   *funcState
	vararg bool
	// loops are the enclosing blocks of this function, true for a loop.
	loops []bool
}

// checker is Lua 5.1's lparser.c without the code generation, taking
// also what gopher-lua takes of Lua 5.2's syntax and means as Lua 5.2 does:
// empty statements (";"), goto and labels. (A chunk that uses goto as a
// name fails in gopher-lua's parser: see parseError.)
type checker struct {
	lx    lexer
	name  string
	fs    *funcState
	level int
}

// maxLevels is LUAI_MAXCCALLS: how deep blocks and expressions nest.
const maxLevels = 200

func (p *checker) next() {
	lx := &p.lx
	lx.lastline = lx.line
	if lx.lookahead != tkEOS {
		lx.tok = lx.lookahead
		lx.lookahead = tkEOS
		return
	}
	lx.tok = lx.llex()
}

func (p *checker) lookahead() int {
	p.lx.lookahead = p.lx.llex()
	return p.lx.lookahead
}

func (p *checker) syntaxError(msg string) { p.lx.errorAt(msg, p.lx.tok) }

func (p *checker) errorExpected(t int) {
	p.syntaxError("'" + token2str(t) + "' expected")
}

func (p *checker) testNext(t int) bool {
	if p.lx.tok == t {
		p.next()
		return true
	}
	return false
}

func (p *checker) check(t int) {
	if p.lx.tok != t {
		p.errorExpected(t)
	}
}

func (p *checker) checkNext(t int) {
	p.check(t)
	p.next()
}

func (p *checker) checkMatch(what, who, where int) {
	if p.testNext(what) {
		return
	}
	if where == p.lx.line {
		p.errorExpected(what)
	}
	p.syntaxError(fmt.Sprintf("'%s' expected (to close '%s' at line %d)", token2str(what), token2str(who), where))
}

func (p *checker) checkName() {
	p.check(tkName)
	p.next()
}

func (p *checker) enterLevel() {
	p.level++
	if p.level > maxLevels {
		p.lx.errorAt("chunk has too many syntax levels", 0)
	}
}

func (p *checker) leaveLevel() { p.level-- }

func (p *checker) enterBlock(loop bool) { p.fs.loops = append(p.fs.loops, loop) }
func (p *checker) leaveBlock()          { p.fs.loops = p.fs.loops[:len(p.fs.loops)-1] }

func blockFollow(t int) bool {
	switch t {
	case tkElse, tkElseif, tkEnd, tkUntil, tkEOS:
		return true
	}
	return false
}

func (p *checker) chunk() {
	p.enterLevel()
	for last := false; !last && !blockFollow(p.lx.tok); {
		last = p.statement()
		p.testNext(';')
	}
	p.leaveLevel()
}

func (p *checker) block() {
	p.enterBlock(false)
	p.chunk()
	p.leaveBlock()
}

// statement parses one statement and reports whether it must be the last
// of its block (return, break).
func (p *checker) statement() bool {
	line := p.lx.line
	switch p.lx.tok {
	case tkIf:
		p.testThenBlock()
		for p.lx.tok == tkElseif {
			p.testThenBlock()
		}
		if p.testNext(tkElse) {
			p.block()
		}
		p.checkMatch(tkEnd, tkIf, line)
	case tkWhile:
		p.next()
		p.expr()
		p.enterBlock(true)
		p.checkNext(tkDo)
		p.block()
		p.checkMatch(tkEnd, tkWhile, line)
		p.leaveBlock()
	case tkDo:
		p.next()
		p.block()
		p.checkMatch(tkEnd, tkDo, line)
	case tkFor:
		p.forStat(line)
	case tkRepeat:
		p.enterBlock(true)
		p.enterBlock(false)
		p.next()
		p.chunk()
		p.checkMatch(tkUntil, tkRepeat, line)
		p.expr()
		p.leaveBlock()
		p.leaveBlock()
	case tkFunction:
		p.next()
		p.checkName()
		for p.lx.tok == '.' {
			p.next()
			p.checkName()
		}
		if p.lx.tok == ':' {
			p.next()
			p.checkName()
		}
		p.body(line)
	case tkLocal:
		p.next()
		if p.testNext(tkFunction) {
			p.checkName()
			p.body(line)
			return false
		}
		for {
			p.checkName()
			if !p.testNext(',') {
				break
			}
		}
		if p.testNext('=') {
			p.exprList()
		}
	case tkReturn:
		p.next()
		if !blockFollow(p.lx.tok) && p.lx.tok != ';' {
			p.exprList()
		}
		return true
	case ';':
		// gopher-lua takes an empty statement, as Lua 5.2 does.
		p.next()
	case ':':
		// gopher-lua's label, ::name::, as Lua 5.2's.
		p.next()
		p.checkNext(':')
		p.checkName()
		p.checkNext(':')
		p.checkNext(':')
	case tkName:
		if string(p.lx.buf) == "goto" && p.lookahead() == tkName {
			// gopher-lua's goto, as Lua 5.2's.
			p.next()
			p.next()
			return false
		}
		p.exprStat()
	case tkBreak:
		p.next()
		inLoop := false
		for _, loop := range p.fs.loops {
			inLoop = inLoop || loop
		}
		if !inLoop {
			p.syntaxError("no loop to break")
		}
		return true
	default:
		p.exprStat()
	}
	return false
}

func (p *checker) testThenBlock() {
	p.next()
	p.expr()
	p.checkNext(tkThen)
	p.block()
}

func (p *checker) forStat(line int) {
	p.enterBlock(true)
	p.next()
	p.checkName()
	switch p.lx.tok {
	case '=':
		p.next()
		p.expr()
		p.checkNext(',')
		p.expr()
		if p.testNext(',') {
			p.expr()
		}
	case ',', tkIn:
		for p.testNext(',') {
			p.checkName()
		}
		p.checkNext(tkIn)
		p.exprList()
	default:
		p.syntaxError("'=' or 'in' expected")
	}
	p.checkNext(tkDo)
	p.block()
	p.checkMatch(tkEnd, tkFor, line)
	p.leaveBlock()
}

func (p *checker) body(line int) {
	p.fs = &funcState{prev: p.fs}
	p.checkNext('(')
	if p.lx.tok != ')' {
		for {
			switch p.lx.tok {
			case tkName:
				p.next()
			case tkDots:
				p.next()
				p.fs.vararg = true
			default:
				p.syntaxError("<name> or '...' expected")
			}
			if p.fs.vararg || !p.testNext(',') {
				break
			}
		}
	}
	p.checkNext(')')
	p.chunk()
	p.checkMatch(tkEnd, tkFunction, line)
	p.fs = p.fs.prev
}

// Kinds of a primary expression, as far as a statement cares.
const (
	expOther = iota
	expVar   // a name or an indexed value: assignable
	expCall
)

func (p *checker) exprStat() {
	kind := p.primaryExp()
	if kind == expCall {
		return
	}
	p.assignment(kind)
}

func (p *checker) assignment(kind int) {
	if kind != expVar {
		p.syntaxError("syntax error")
	}
	if p.testNext(',') {
		p.assignment(p.primaryExp())
		return
	}
	p.checkNext('=')
	p.exprList()
}

func (p *checker) exprList() {
	p.expr()
	for p.testNext(',') {
		p.expr()
	}
}

func (p *checker) expr() { p.subExpr(0) }

// binaryPriority is each binary operator's left and right priority.
var binaryPriority = map[int][2]int{
	'+': {6, 6}, '-': {6, 6}, '*': {7, 7}, '/': {7, 7}, '%': {7, 7},
	'^': {10, 9}, tkConcat: {5, 4},
	tkNe: {3, 3}, tkEq: {3, 3}, '<': {3, 3}, tkLe: {3, 3}, '>': {3, 3}, tkGe: {3, 3},
	tkAnd: {2, 2}, tkOr: {1, 1},
}

// unaryPriority is the priority of not, - and #.
const unaryPriority = 8

func (p *checker) subExpr(limit int) {
	p.enterLevel()
	switch p.lx.tok {
	case tkNot, '-', '#':
		p.next()
		p.subExpr(unaryPriority)
	default:
		p.simpleExp()
	}
	for {
		prio, ok := binaryPriority[p.lx.tok]
		if !ok || prio[0] <= limit {
			break
		}
		p.next()
		p.subExpr(prio[1])
	}
	p.leaveLevel()
}

func (p *checker) simpleExp() {
	switch p.lx.tok {
	case tkNumber, tkString, tkNil, tkTrue, tkFalse:
		p.next()
	case tkDots:
		if !p.fs.vararg {
			p.syntaxError("cannot use '...' outside a vararg function")
		}
		p.next()
	case '{':
		p.constructor()
	case tkFunction:
		line := p.lx.line
		p.next()
		p.body(line)
	default:
		p.primaryExp()
	}
}

func (p *checker) primaryExp() int {
	kind := expVar
	switch p.lx.tok {
	case tkName:
		p.next()
	case '(':
		line := p.lx.line
		p.next()
		p.expr()
		p.checkMatch(')', '(', line)
		kind = expOther
	default:
		p.syntaxError("unexpected symbol")
	}
	for {
		switch p.lx.tok {
		case '.':
			p.next()
			p.checkName()
			kind = expVar
		case '[':
			p.next()
			p.expr()
			p.checkNext(']')
			kind = expVar
		case ':':
			if p.lx.current == ':' {
				// "::", gopher-lua's label, ends the expression.
				return kind
			}
			p.next()
			p.checkName()
			p.funcArgs()
			kind = expCall
		case '(', tkString, '{':
			p.funcArgs()
			kind = expCall
		default:
			return kind
		}
	}
}

func (p *checker) funcArgs() {
	line := p.lx.line
	switch p.lx.tok {
	case '(':
		if line != p.lx.lastline {
			p.syntaxError("ambiguous syntax (function call x new statement)")
		}
		p.next()
		if p.lx.tok != ')' {
			p.exprList()
		}
		p.checkMatch(')', '(', line)
	case '{':
		p.constructor()
	case tkString:
		p.next()
	default:
		p.syntaxError("function arguments expected")
	}
}

func (p *checker) constructor() {
	line := p.lx.line
	p.checkNext('{')
	for p.lx.tok != '}' {
		switch p.lx.tok {
		case tkName:
			if p.lookahead() != '=' {
				p.expr()
			} else {
				p.recField()
			}
		case '[':
			p.recField()
		default:
			p.expr()
		}
		if !p.testNext(',') && !p.testNext(';') {
			break
		}
	}
	p.checkMatch('}', '{', line)
}

func (p *checker) recField() {
	if p.lx.tok == tkName {
		p.checkName()
	} else {
		p.next()
		p.expr()
		p.checkNext(']')
	}
	p.checkNext('=')
	p.expr()
}
