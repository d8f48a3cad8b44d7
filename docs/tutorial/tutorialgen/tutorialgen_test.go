package tutorialgen

import (
	"strings"
	"testing"
)

// TestDifferences: two runs' traces that differ in times, descriptors,
// waits, lock waits, buffered bytes and the interleaving of threads are
// the same; one whose calls differ is not.
func TestDifferences(t *testing.T) {
	committed := `0.0002 main socket.socket(socket.AF_INET, socket.SOCK_STREAM) -> fd=9  CREATED
0.0004 main fd=9 accept() -> fd=11 127.0.0.1:50001  LISTENING
0.0383 t2 thread started (serving 127.0.0.1:50001)
0.0384 main fd=9 accept() waiting...  LISTENING
0.0384 t2 fd=11 recv(16) -> 16 bytes "This is the mess" (+26 more received, waiting for the next read)  CONNECTED
0.0390 t2 thread ended
`
	run := `0.0012 main socket.socket(socket.AF_INET, socket.SOCK_STREAM) -> fd=8  CREATED
0.0013 main fd=8 accept() waiting...  LISTENING
0.0014 main fd=8 accept() -> fd=10 127.0.0.1:50001  LISTENING
0.0383 t2 thread started (serving 127.0.0.1:50001)
0.0384 main waited 0.21 ms for the lock
0.0384 t2 fd=10 recv(16) waiting...  CONNECTED
0.0390 t2 fd=10 recv(16) -> 16 bytes "This is the mess"  CONNECTED
0.0391 t2 thread ended
`
	if d := Differences("x.txt", committed, run); len(d) != 0 {
		t.Errorf("differences of runs that are the same:\n%s", strings.Join(d, "\n"))
	}
	changed := strings.Replace(run, "recv(16)", "recv(4096)", 2)
	if d := Differences("x.txt", committed, changed); len(d) != 1 || !strings.Contains(d[0], "recv(4096)") {
		t.Errorf("differences of a changed call: %q", d)
	}
	svgA := `<text x="1">0.0004</text><text x="2">localhost:10000</text><text x="3">connect</text>`
	svgB := `<text x="3">connect</text><text x="1">0.0231</text><text x="2">127.0.0.1:10000</text>`
	d := Differences("x.svg", svgA, svgB)
	if len(d) != 2 || d[0] != "only in a run now: 127.0.0.1:10000" || d[1] != "only in the committed file: localhost:10000" {
		t.Errorf("differences of two diagrams: %q", d)
	}
}
