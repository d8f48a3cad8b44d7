package core

import (
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// TestBoxedCopy checks the layout boxedCopy makes (the header before the
// bytes holds the string itself), that it survives collections with only
// the header kept, and that Socket.Boxed gives the header only for the
// string it was made for, once.
func TestBoxedCopy(t *testing.T) {
	var hdrs []unsafe.Pointer
	var want []string
	for _, n := range []int{1, 15, 16, 64, 512, 513, 4000} {
		src := []byte(strings.Repeat(string(rune('a'+n%26)), n))
		s, hdr := boxedCopy(src)
		if s != string(src) || *(*string)(hdr) != s || unsafe.StringData(*(*string)(hdr)) != unsafe.StringData(s) {
			t.Fatalf("boxedCopy of %d bytes: header does not hold the copy", n)
		}
		src[0] = '!' // the copy is a copy
		hdrs, want = append(hdrs, hdr), append(want, strings.Repeat(string(rune('a'+n%26)), n))
	}
	if s, hdr := boxedCopy(nil); s != "" || hdr != nil {
		t.Fatal("boxedCopy of nothing made an allocation")
	}
	for range 3 {
		_ = make([]byte, 1<<20)
		runtime.GC()
	}
	for i, hdr := range hdrs {
		if *(*string)(hdr) != want[i] {
			t.Fatalf("copy %d changed after collections", i)
		}
	}

	var s Socket
	data, hdr := boxedCopy([]byte("hello"))
	s.box = hdr
	if s.Boxed(data[:4]) != nil {
		t.Error("Boxed gave the header for a shorter string")
	}
	s.box = hdr
	if s.Boxed(strings.Clone(data)) != nil {
		t.Error("Boxed gave the header for equal bytes elsewhere")
	}
	s.box = hdr
	if s.Boxed(data) != hdr {
		t.Error("Boxed did not give the header of its string")
	}
	if s.box != nil || s.Boxed(data) != nil {
		t.Error("Boxed kept its record")
	}
}

// TestBoxedCopyWhileCollecting makes boxed copies, large enough to come
// from newBuf's memory, which is not zeroed, while the collector runs, in
// memory that held addresses the heap no longer has (as the headers of
// copies collected before do): writing a header must not hand the
// collector the old contents of its slot as a pointer, which it would
// find bad ("found bad pointer in Go heap") and throw.
func TestBoxedCopyWhileCollecting(t *testing.T) {
	const size = 700 // boxedCopy's block is boxHeader+size bytes: one size class
	big := make([]byte, 16<<20)
	gone := uintptr(unsafe.Pointer(&big[0])) + 4096
	big = nil
	runtime.GC()
	runtime.GC() // big's span is free now

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			runtime.GC()
		}
	}()
	src := []byte(strings.Repeat("x", size))
	var keep []string
	for round := range 100 {
		// Blocks of that size class, without pointers as far as the
		// collector knows, holding the address it no longer has.
		stale := make([][]uintptr, 400)
		for i := range stale {
			stale[i] = make([]uintptr, (boxHeader+size)/8)
			for j := range stale[i] {
				stale[i][j] = gone
			}
		}
		stale = nil
		runtime.GC()
		for i := range 400 {
			s, _ := boxedCopy(src)
			if i == round {
				keep = append(keep, s)
			}
		}
	}
	close(stop)
	<-done
	for _, s := range keep {
		if s != string(src) {
			t.Fatal("a kept copy changed")
		}
	}
}
