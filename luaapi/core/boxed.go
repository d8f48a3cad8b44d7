package core

import "unsafe"

// Boxed copies. A face hands a received string to Lua as an interface
// value, and Go boxes a string in an interface by allocating its 16-byte
// header on the heap: with the copy of the bytes, two allocations for
// every recv. So the copies a read makes of small receives (a take from
// the receive buffer, a datagram) are laid out with room for that header
// before the bytes, in one allocation, and the header written there; the
// socket records it, and the face (Socket.Boxed, then api.BoxedString)
// points the interface at it instead of boxing the string again.
//
// The allocation is a []byte, which the collector does not scan: the
// header's pointer into it needs no scanning, since it points into the
// same allocation, which the interface keeps alive (as does any copy of
// the string taken out of it, by its pointer into the bytes).

// boxHeader is the room for the header: a string's size.
const boxHeader = int(unsafe.Sizeof(""))

// boxedCopy returns a copy of p as a string, with its header written in the
// boxHeader bytes before it, and that header's address (nil for an empty
// p: the empty string needs no allocation).
func boxedCopy(p []byte) (string, unsafe.Pointer) {
	if len(p) == 0 {
		return "", nil
	}
	var b []byte
	if len(p) <= 512 {
		b = make([]byte, boxHeader+len(p))
	} else {
		b = newBuf(boxHeader + len(p)) // not zeroed: the copy writes every byte
	}
	copy(b[boxHeader:], p)
	s := unsafe.String(&b[boxHeader], len(p))
	hdr := unsafe.Pointer(&b[0])
	// The header is written as two words, not as a string: a typed store
	// of a pointer runs the write barrier, which while the collector marks
	// takes the slot's old contents for a pointer, and newBuf's memory is
	// not zeroed. No barrier is needed: the pointer is into the block
	// itself, which is new (allocated black while the collector marks),
	// and never scanned.
	h := (*[2]uintptr)(hdr)
	h[0], h[1] = uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(len(s))
	return s, hdr
}

// Boxed returns the header boxedCopy wrote for data, a string the socket's
// last read returned, or nil if data is not such a copy; the record is
// forgotten, so that the socket does not keep the string alive. The face
// calls it right after the read, with the interpreter lock held.
func (s *Socket) Boxed(data string) unsafe.Pointer {
	hdr := s.box
	s.box = nil
	if hdr == nil || len(data) == 0 {
		return nil
	}
	// The record keeps its allocation alive, so a string at the same
	// address with the same length is that copy.
	if h := (*string)(hdr); unsafe.StringData(*h) != unsafe.StringData(data) || len(*h) != len(data) {
		return nil
	}
	return hdr
}
