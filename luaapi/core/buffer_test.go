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

// TestSizeClass: a buffer's pool is the smallest size class (64 << c bytes)
// that holds it, for every size up to the largest pool and past it.
func TestSizeClass(t *testing.T) {
	for n := -1; n <= 64<<(len(bufPools)+1); n++ {
		want := 0
		for size := 64; size < n; size <<= 1 {
			want++
		}
		if got := sizeClass(n); got != want {
			t.Fatalf("sizeClass(%d) = %d, want %d", n, got, want)
		}
	}
}
