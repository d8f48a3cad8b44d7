package core

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
)

// The framing reads: what a protocol reads a message with, a count of
// bytes or up to a delimiter, on the receive buffer that recv shares. Each
// call has one deadline for all the reads it makes; on a timeout what was
// read stays buffered for the next call.

// IncompleteError is the error of a framing read that met the end of the
// stream first. Partial is what came before the end: the read consumed it.
type IncompleteError struct {
	Partial string
	// Want is the count the read wanted, or -1 for a delimiter.
	Want int
}

func (e *IncompleteError) Error() string {
	if e.Want < 0 {
		return fmt.Sprintf("connection closed after %d bytes, before the delimiter", len(e.Partial))
	}
	return fmt.Sprintf("connection closed after %d of %d bytes", len(e.Partial), e.Want)
}

// TooLongError is the error of a read up to a delimiter that found no
// delimiter within Max bytes. It consumed nothing.
type TooLongError struct {
	Max   int
	Delim string
}

func (e *TooLongError) Error() string {
	what := "no " + quoteDelim(e.Delim)
	return fmt.Sprintf("%s within %d bytes", what, e.Max)
}

func quoteDelim(d string) string {
	switch d {
	case "\n":
		return "end of line"
	case "\r\n":
		return "CRLF"
	}
	return fmt.Sprintf("%q", d)
}

// RecvExactly returns exactly n bytes. If the stream ends first it returns
// an *IncompleteError with what came; on a timeout what came stays
// buffered.
func (s *Socket) RecvExactly(c Caller, n int) (string, error) {
	if n <= 0 {
		return "", nil
	}
	cd := s.callDeadline()
	for s.rbuf.len() < n {
		if s.rbuf.len() >= longReadMin {
			res, _, eof, err := s.longRead(c, cd, n, func(b []byte, eof bool) int {
				if len(b) >= n {
					return n
				}
				if eof {
					return len(b)
				}
				return readMore
			})
			if err != nil {
				return "", err
			}
			if eof && len(res) < n {
				return "", &IncompleteError{Partial: res, Want: n}
			}
			return res, nil
		}
		got, err := s.fill(c, n-s.rbuf.len(), 0, cd, false)
		if err == errKicked {
			continue
		}
		if err != nil {
			return "", err
		}
		if got == 0 {
			break
		}
	}
	if s.rbuf.len() < n {
		return "", &IncompleteError{Partial: s.take(s.rbuf.len()), Want: n}
	}
	return s.take(n), nil
}

// RecvUntil returns the bytes up to and including the first delim, at
// most max of them (delim included). With no delim within max bytes it
// returns a *TooLongError and consumes nothing. If the stream ends first
// it returns an *IncompleteError with what came (consumed). The bytes are
// searched once: each read searches only what came since the last, and a
// call after a timeout only what came since the call before.
func (s *Socket) RecvUntil(c Caller, delim string, max int) (string, error) {
	if delim == "" {
		return "", errors.New("empty delimiter")
	}
	d := StringBytes(delim)
	var cd callDL
	deadlineSet := false
	scanned := s.rbuf.scanned(delim) // the buffered bytes already searched
	// find is the end of the first delim in b, searching what was not
	// searched yet: readMore if there is none, readKeep if it ends past
	// max or there is none within max.
	find := func(b []byte) int {
		from := max0(scanned - len(d) + 1)
		if i := bytes.Index(b[from:], d); i >= 0 {
			if end := from + i + len(d); end <= max {
				return end
			}
			return readKeep
		}
		scanned = len(b)
		if len(b) >= max {
			return readKeep
		}
		return readMore
	}
	for {
		switch end := find(s.rbuf.bytes()); end {
		case readKeep:
			s.rbuf.setScanned(delim, scanned)
			return "", &TooLongError{Max: max, Delim: delim}
		case readMore:
		default:
			return s.take(end), nil
		}
		s.rbuf.setScanned(delim, scanned)
		if !deadlineSet {
			cd, deadlineSet = s.callDeadline(), true
		}
		if s.rbuf.len() >= longReadMin {
			return s.recvUntilLong(c, delim, max, cd, &scanned, find)
		}
		got, err := s.fill(c, readAhead, 0, cd, false)
		// While the read waited, another thread may have taken bytes:
		// then the buffer forgot how far it was searched.
		scanned = s.rbuf.scanned(delim)
		if err == errKicked {
			continue
		}
		if err != nil {
			return "", err
		}
		if got == 0 {
			return "", &IncompleteError{Partial: s.take(s.rbuf.len()), Want: -1}
		}
	}
}

// recvUntilLong is RecvUntil going on as a long read, without the lock.
func (s *Socket) recvUntilLong(c Caller, delim string, max int, cd callDL, scanned *int, find func(b []byte) int) (string, error) {
	limit := max
	if limit < math.MaxInt-s.maxRecv() {
		limit += s.maxRecv() // a read may go past max
	}
	res, end, eof, err := s.longRead(c, cd, limit, func(b []byte, eof bool) int {
		if eof {
			return len(b)
		}
		return find(b)
	})
	switch {
	case err != nil:
		s.rbuf.setScanned(delim, *scanned)
		return "", err
	case eof:
		return "", &IncompleteError{Partial: res, Want: -1}
	case end == readKeep:
		s.rbuf.setScanned(delim, *scanned)
		return "", &TooLongError{Max: max, Delim: delim}
	}
	return res, nil
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// RecvLine returns the next line without its "\n" or "\r\n", at most max
// bytes with its end of line. ok is false at the end of the stream with
// nothing left; a last line without an end of line is returned as it is.
// A line longer than max is a *TooLongError and nothing is consumed.
func (s *Socket) RecvLine(c Caller, max int) (line string, ok bool, err error) {
	line, err = s.RecvUntil(c, "\n", max)
	var inc *IncompleteError
	if errors.As(err, &inc) {
		return inc.Partial, inc.Partial != "", nil
	}
	if err != nil {
		return "", false, err
	}
	line = strings.TrimSuffix(line[:len(line)-1], "\r")
	return line, true, nil
}

// RecvAll returns everything up to the end of the stream, within one
// deadline: what a file's read() with no count does. On a timeout what
// came stays buffered.
func (s *Socket) RecvAll(c Caller) (string, error) {
	cd := s.callDeadline()
	for {
		if s.rbuf.len() >= longReadMin {
			res, _, _, err := s.longRead(c, cd, math.MaxInt, func(b []byte, eof bool) int {
				if eof {
					return len(b)
				}
				return readMore
			})
			return res, err
		}
		got, err := s.fill(c, readAhead, 0, cd, false)
		if err == errKicked {
			continue
		}
		if err != nil {
			return "", err
		}
		if got == 0 {
			return s.take(s.rbuf.len()), nil
		}
	}
}
