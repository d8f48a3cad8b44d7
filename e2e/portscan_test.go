package e2e

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// listenNear opens TCP listeners on 127.0.0.1 at base+offset for each
// offset, for some free base port, and returns their ports. The base is
// picked at random below the kernel's range of ephemeral ports when there
// is room: ports in that range are often held by connections of other
// tests in TIME_WAIT, which a listener cannot take.
func listenNear(t *testing.T, offsets ...int) []int {
	t.Helper()
	lo, hi := 1024, 65535-100
	var ephemeralLow, ephemeralHigh int
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if n, _ := fmt.Sscan(string(b), &ephemeralLow, &ephemeralHigh); n == 2 && ephemeralLow > 5000 {
			hi = ephemeralLow - 100
		}
	}
	for range 100 {
		base := lo + 20 + rand.IntN(hi-lo-20)
		var ports []int
		var ls []net.Listener
		for _, off := range offsets {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+off))
			if err != nil {
				break
			}
			ls = append(ls, l)
			ports = append(ports, base+off)
		}
		if len(ls) == len(offsets) {
			t.Cleanup(func() {
				for _, l := range ls {
					l.Close()
				}
			})
			return ports
		}
		for _, l := range ls {
			l.Close()
		}
	}
	t.Fatal("no free ports close together")
	return nil
}

// silentListener listens on 127.0.0.1:port (0: a port the kernel picks)
// with a backlog of 0 and fills its queue with a connection nobody
// accepts: the kernel then drops new connection requests, so a connect
// waits without an answer, as it would behind a firewall. It returns the
// port, and whether a connect waited so.
func silentListener(t *testing.T, port int) (int, bool) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return port, false
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port = sa.(*syscall.SockaddrInet4).Port
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c2, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		c2.Close()
		return port, false
	}
	var netErr net.Error
	return port, errors.As(err, &netErr) && netErr.Timeout()
}

// openPorts is the set of ports in first..last that accept a connection
// now, skipping those in skip.
func openPorts(t *testing.T, first, last int, skip map[int]bool) map[int]bool {
	t.Helper()
	open := map[int]bool{}
	for port := first; port <= last; port++ {
		if skip[port] {
			continue
		}
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 2*time.Second); err == nil {
			c.Close()
			open[port] = true
		}
	}
	return open
}

var scanSummary = regexp.MustCompile(`^scanned (\d+) ports of (\S+) in [\d.]+s: (\d+) open, (\d+) closed, (\d+) filtered$`)

// runScan runs scripts/port_scan.lua with vars and returns the open ports
// it printed (checking they come in ascending order) and the summary's
// submatches.
func runScan(t *testing.T, vars ...string) ([]int, []string) {
	t.Helper()
	var args []string
	for _, v := range vars {
		args = append(args, "--var", v)
	}
	p := start(t, append(args, script("port_scan.lua"))...)
	p.closeStdin()
	if code := p.wait(30 * time.Second); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.Stderr())
	}
	out := p.Stdout()
	if len(out) == 0 {
		t.Fatal("no output")
	}
	summary := scanSummary.FindStringSubmatch(out[len(out)-1])
	if summary == nil {
		t.Fatalf("last line %q is not the summary", out[len(out)-1])
	}
	var open []int
	for _, line := range out[:len(out)-1] {
		port, err := strconv.Atoi(strings.TrimSuffix(line, " open"))
		if err != nil || !strings.HasSuffix(line, " open") {
			t.Fatalf("line %q is not PORT open", line)
		}
		if len(open) > 0 && port <= open[len(open)-1] {
			t.Errorf("%d printed after %d: not in ascending order", port, open[len(open)-1])
		}
		open = append(open, port)
	}
	if n, _ := strconv.Atoi(summary[3]); n != len(open) {
		t.Errorf("summary says %s open, %d printed", summary[3], len(open))
	}
	return open, summary
}

// TestPortScan: a scan of a range around three listeners of ours reports
// them, and no port that was closed before and after the scan; a
// listener that never answers counts as filtered.
func TestPortScan(t *testing.T) {
	ours := listenNear(t, 0, 3, 7)
	base := ours[0]
	silent := base + 12
	_, isSilent := silentListener(t, silent)
	if !isSilent {
		t.Logf("could not make a listener that never answers on %d; not checking filtered ports", silent)
	}
	first, last := max(1, base-10), min(65535, base+20)
	skip := map[int]bool{silent: true}
	before := openPorts(t, first, last, skip)

	open, summary := runScan(t, "host=127.0.0.1", fmt.Sprintf("first=%d", first), fmt.Sprintf("last=%d", last), "concurrency=8", "timeout=0.5")

	after := openPorts(t, first, last, skip)
	reported := map[int]bool{}
	for _, p := range open {
		reported[p] = true
	}
	for _, p := range ours {
		if !reported[p] {
			t.Errorf("our listener on %d is not reported open", p)
		}
	}
	for p := first; p <= last; p++ {
		switch {
		case skip[p]:
		case !before[p] && !after[p] && reported[p]:
			t.Errorf("%d reported open, but it was closed before and after the scan", p)
		case before[p] && after[p] && !reported[p]:
			t.Errorf("%d not reported, but it was open before and after the scan", p)
		}
	}
	if isSilent && reported[silent] {
		t.Errorf("the silent listener on %d is reported open", silent)
	}
	if want := fmt.Sprint(last - first + 1); summary[1] != want || summary[2] != "127.0.0.1" {
		t.Errorf("summary %q: want %s ports of 127.0.0.1", summary[0], want)
	}
	counts := 0
	for _, s := range summary[3:6] {
		n, _ := strconv.Atoi(s)
		counts += n
	}
	if counts != last-first+1 {
		t.Errorf("summary %q: the counts do not add up to the ports scanned", summary[0])
	}
	if isSilent && summary[5] == "0" {
		t.Errorf("summary %q: the silent listener is not counted as filtered", summary[0])
	}
}

// TestPortScanIPv6: a host name or an IPv6 address is scanned too.
func TestPortScanIPv6(t *testing.T) {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback (containers may have none; not a missing tool): %v", err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	open, summary := runScan(t, "host=::1", fmt.Sprintf("first=%d", port), fmt.Sprintf("last=%d", port))
	if len(open) != 1 || open[0] != port || summary[2] != "::1" {
		t.Errorf("scan of [::1]:%d: %v, %q", port, open, summary[0])
	}
}

// TestPortScanBadRange: a range that is not one is refused with a clear
// message.
func TestPortScanBadRange(t *testing.T) {
	_, stderr, code := runSockrun(t, "", "--var", "first=10", "--var", "last=5", script("port_scan.lua"))
	if code != 1 || !strings.Contains(stderr, "first and last must be ports with 1 <= first <= last <= 65535") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
