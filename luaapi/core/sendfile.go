package core

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// SendFile sends count bytes of f from offset (count < 0: to the end of
// the file) and returns the count sent. Over the descriptor it uses
// sendfile(2), so the bytes go from the file to the socket without passing
// through the process; over a transport such as TLS it reads and sends in
// chunks. The socket's timeout bounds the whole call.
func (s *Socket) SendFile(c Caller, f *os.File, offset, count int64) (int64, error) {
	if count < 0 {
		st, err := f.Stat()
		if err != nil {
			return 0, err
		}
		count = max(st.Size()-offset, 0)
	}
	if count == 0 {
		return 0, nil
	}
	cd := s.callDeadline()
	if s.conn != nil || !s.stream() {
		return s.sendFileCopy(c, f, offset, count, cd)
	}
	op := s.op(c, dirWrite)
	op.call, op.file, op.off, op.left = sendfileCall, int(f.Fd()), offset, count
	err := s.io(op, dirWrite, cd)
	sent := count - op.left
	op.file = -1
	s.sent(int(sent))
	if err == unix.EINVAL || err == unix.ENOSYS {
		// A file sendfile(2) cannot read from: copy it instead.
		n, err := s.sendFileCopy(c, f, offset+sent, count-sent, cd)
		return sent + n, err
	}
	return sent, err
}

func sendfileCall(op *ioOp, fd int) error {
	for op.left > 0 {
		n, err := unix.Sendfile(fd, op.file, &op.off, int(min(op.left, 1<<30)))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrUnexpectedEOF // the file is shorter than said
		}
		op.left -= int64(n)
	}
	return nil
}

// sendFileCopy sends count bytes of f from offset by reading and sending
// chunks.
func (s *Socket) sendFileCopy(c Caller, f *os.File, offset, count int64, cd callDL) (int64, error) {
	b := getBuf(256 << 10)
	defer putBuf(b)
	var sent int64
	for sent < count {
		n, err := f.ReadAt((*b)[:min(int64(len(*b)), count-sent)], offset+sent)
		if n > 0 {
			var w int
			var werr error
			if s.conn != nil {
				w, werr = s.connWrite(c, (*b)[:n], cd)
			} else {
				op := s.op(c, dirWrite)
				op.call, op.buf = sendallCall, (*b)[:n]
				werr = s.io(op, dirWrite, cd)
				w = n - len(op.buf)
				op.buf = nil
			}
			sent += int64(w)
			s.sent(w)
			if werr != nil {
				return sent, werr
			}
		}
		if err == io.EOF {
			return sent, nil
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}
