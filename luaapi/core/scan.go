package core

import "time"

// Scanner reads a stream socket's receive buffer for a parser outside the
// core (the http module's): the parser looks at the bytes buffered, asks
// for more while a message is not complete, and takes or drops what it
// has parsed. It reads through the same buffer as recv and the framing
// reads, so a parser's calls and the socket's own reads can be mixed
// without a byte lost: what a parser leaves is what the next recv returns.
//
// One Scanner is one call: all its reads share one deadline, the
// socket's for a call (its timeout from the first wait, or its absolute
// deadline) unless SetDeadline gives another. Like every read, More
// releases the interpreter lock while it waits. A Scanner is a value made
// for one call and dropped after it; it holds no buffer of its own.
type Scanner struct {
	s   *Socket
	c   Caller
	cd  callDL
	set bool
}

// Scanner returns a Scanner for one call of c's thread on s.
func (s *Socket) Scanner(c Caller) Scanner { return Scanner{s: s, c: c} }

// SetDeadline makes t (zero: none) the deadline of the Scanner's waits
// from now on, or the socket's absolute deadline if that is nearer; the
// socket's timeout no longer applies, and a non-blocking socket waits.
func (sc *Scanner) SetDeadline(t time.Time) {
	if d := sc.s.deadline; !d.IsZero() && (t.IsZero() || d.Before(t)) {
		t = d
	}
	sc.cd, sc.set = callDL{at: t, wait: true}, true
}

// ResetDeadline makes the Scanner's waits from now on those of a call of
// the socket starting at its next wait: its timeout from then, or its
// absolute deadline.
func (sc *Scanner) ResetDeadline() { sc.set = false }

// Buffered is the bytes received and not yet taken. The slice is the
// buffer's own: valid until the next call on the socket (More, Take,
// Discard, any read), and not to be written to.
func (sc *Scanner) Buffered() []byte { return sc.s.rbuf.bytes() }

// More reads once from the transport into the buffer, waiting as the
// call's deadline allows, for at least want bytes' room (a read asks for
// more when want is small). It returns the count read, appended after
// the bytes Buffered returned before: 0 at the end of the stream. A
// count below 0 says another thread's read of the socket changed the
// buffer (its bytes may have been taken): look at Buffered again from its
// start. The error is the read's, as recv returns it: ErrTimeout when
// the deadline passed, with what was read still buffered.
func (sc *Scanner) More(want int) (int, error) {
	if !sc.set {
		sc.cd, sc.set = sc.s.callDeadline(), true
	}
	n, err := sc.s.fill(sc.c, max(want, 1), 0, sc.cd, false)
	if err == errKicked {
		return -1, nil
	}
	return n, err
}

// Fill reads until n bytes are buffered or the stream ends, within the
// call's deadline. It returns nil with fewer than n buffered at the end
// of the stream.
func (sc *Scanner) Fill(n int) error {
	if sc.s.rbuf.len() >= n {
		return nil
	}
	if !sc.set {
		sc.cd, sc.set = sc.s.callDeadline(), true
	}
	return sc.s.fillTo(sc.c, n, sc.cd)
}

// Take returns the first n buffered bytes as a string (their one copy,
// or the buffer itself for a large take of everything) and drops them.
// n must not be more than Buffered's length.
func (sc *Scanner) Take(n int) string { return sc.s.take(min(n, sc.s.rbuf.len())) }

// Discard drops the first n buffered bytes (at most what is buffered).
func (sc *Scanner) Discard(n int) {
	if n = min(n, sc.s.rbuf.len()); n > 0 {
		sc.s.rbuf.drop(n)
	}
}

// fillTo reads until n bytes are buffered or the stream ends, within cd,
// with the interpreter lock held between reads (each wait releases it).
func (s *Socket) fillTo(c Caller, n int, cd callDL) error {
	for s.rbuf.len() < n {
		got, err := s.fill(c, n-s.rbuf.len(), 0, cd, false)
		if err == errKicked {
			continue
		}
		if err != nil {
			return err
		}
		if got == 0 {
			return nil
		}
	}
	return nil
}
