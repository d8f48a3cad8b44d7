package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestMulticastPair runs two multicast_receiver.lua on one group and
// multicast_sender.lua with three lines: each receiver prints each line.
// Everything stays on this host (the loopback interface, TTL 0).
func TestMulticastPair(t *testing.T) {
	group := "239.255.77.1"
	// The first receiver binds a port the kernel picks, the second binds
	// the same one (SO_REUSEADDR).
	port := "0"
	var receivers []*proc
	for range 2 {
		r := start(t, "--var", "group="+group, "--var", "port="+port, script("multicast_receiver.lua"))
		port = r.waitLine("^joined "+strings.ReplaceAll(group, ".", `\.`)+` on 127\.0\.0\.1, port ([1-9]\d*)$`, 10*time.Second)[1]
		receivers = append(receivers, r)
	}
	out, stderr, code := runSockrun(t, "one\ntwo\nthree\n", "--var", "group="+group, "--var", "port="+port, script("multicast_sender.lua"))
	if code != 0 {
		t.Fatalf("sender exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "sent 3 datagrams to "+group+":"+port) {
		t.Errorf("sender printed %q", out)
	}
	for _, r := range receivers {
		// Each line comes with the sender's address, on the loopback
		// interface the datagrams went out on.
		for _, want := range []string{"one", "two", "three"} {
			r.waitLine(`^127\.0\.0\.1:\d+: `+want+`$`, 10*time.Second)
		}
	}
}
