package api

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestStreamSendKeepsOrderAndBound: what Send queues for a reader that
// does not read comes out in order once it reads; past maxBacklog queued,
// Send drops and says so; Flush waits for the queue.
func TestStreamSendKeepsOrderAndBound(t *testing.T) {
	pr, pw := io.Pipe() // a writer a write waits on until its reader reads
	defer pr.Close()
	st := newStream(pw)
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	chunk[len(chunk)-1] = '\n'
	if !st.Send([]byte("first\n")) {
		t.Fatal("Send refused the first write")
	}
	sent := 0
	for st.Send(chunk) {
		if sent++; sent > 2*maxBacklog/len(chunk) {
			t.Fatalf("Send took %d chunks of %d bytes, more than its bound of %d", sent, len(chunk), maxBacklog)
		}
	}
	if st.Flush(10 * time.Millisecond) {
		t.Fatal("Flush reported all written while the reader reads nothing")
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(pr)
		got <- b
	}()
	if !st.Flush(20 * time.Second) {
		t.Fatal("the queue was not written once the reader read")
	}
	pw.Close()
	want := "first\n" + strings.Repeat(string(chunk), sent)
	if b := <-got; string(b) != want {
		t.Fatalf("read %d bytes, want %d: the first write and %d chunks, in order", len(b), len(want), sent)
	}
}

// TestStreamOf: one Stream per writer; a regular file is one a write
// never waits for.
func TestStreamOf(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stream")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, b := StreamOf(f), StreamOf(f)
	if a != b {
		t.Fatal("two Streams for the same file")
	}
	if !a.never {
		t.Fatal("a regular file is not one a write never waits for")
	}
	if n, err := a.try([]byte("hello\n")); n != 6 || err != nil {
		t.Fatalf("try on a regular file: %d, %v", n, err)
	}
	streams.Delete(f)
}
