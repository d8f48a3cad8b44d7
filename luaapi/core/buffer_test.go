package core

import "testing"

// TestNewBuf checks that newBuf's buffers have the length and capacity
// asked for (putBuf pools a buffer only at its class's exact capacity),
// can be written to the end, and do not overlap.
func TestNewBuf(t *testing.T) {
	for _, n := range []int{64, 4096, 64 << 10, 5 << 20} {
		a, b := newBuf(n), newBuf(n)
		if len(a) != n || cap(a) != n {
			t.Fatalf("newBuf(%d): len %d cap %d", n, len(a), cap(a))
		}
		for i := range a {
			a[i] = 1
		}
		for i := range b {
			b[i] = 2
		}
		for i := range a {
			if a[i] != 1 {
				t.Fatalf("newBuf(%d): byte %d changed by another buffer", n, i)
			}
		}
	}
	b := getBuf(readAhead)
	if cap(*b) != readAhead {
		t.Fatalf("getBuf(%d): cap %d", readAhead, cap(*b))
	}
	putBuf(b)
}
