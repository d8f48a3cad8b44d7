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
	return strings.HasSuffix(e.Msg, "near '<eof>'")
}

// syntaxError describes why src, which gopher-lua's parser rejected with
// err, does not parse.
func syntaxError(src, name string, err error) error {
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return err
	}
	msg := strings.TrimSpace(pe.Message)
	line := pe.Pos.Line
	if line < 1 {
		// The parser ran out of input: the error is at the last line.
		msg += " near '<eof>'"
		line = strings.Count(src, "\n") + 1
	} else if pe.Token != "" {
		msg = fmt.Sprintf("%s near '%s'", msg, pe.Token)
	}
	return &SyntaxError{Chunk: name, Line: line, Msg: msg}
}
