package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Bursts of datagrams: sockrun reads the datagrams waiting at once in one
// system call (recvmmsg) and serves the next reads from the socket's
// queue. What the script sees stays what one recvfrom per call gives, and
// the trace still shows one recvfrom per datagram.

// burstServer peeks at each datagram's first 8 bytes, reads it with
// recvfrom(vars.size), and answers "PEEK|LENGTH|TAIL" (TAIL: the last 8
// bytes it got), until a datagram "stop".
const burstServer = `
local six = vars.family == "6"
local s = socket.socket(six and socket.AF_INET6 or socket.AF_INET, socket.SOCK_DGRAM)
s:bind({six and "::1" or "127.0.0.1", tonumber(vars.port or 0)})
local size = tonumber(vars.size)
print("listening on " .. s:getsockname().port)
while true do
  local peek = s:recv(8, socket.MSG_PEEK)
  local data, addr = s:recvfrom(size)
  if data == "stop" then break end
  s:sendto(peek .. "|" .. #data .. "|" .. data:sub(-8), addr)
end
s:close()
`

// burstSizes is one burst: mostly small datagrams and one of 60,000
// bytes, under the kernel's default receive buffer together.
var burstSizes = []int{0, 1, 7, 8, 9, 100, 60000, 1500, 3000, 64, 2, 200, 99, 101, 16, 700}

// burstDatagram is datagram i of size n: its number, then a pattern that
// differs at every byte, so that a cut shows where it was made.
func burstDatagram(i, n int) []byte {
	b := make([]byte, n)
	for k := range b {
		b[k] = 'A' + byte((k*7+i)%26)
	}
	copy(b, fmt.Sprintf("%d:", i))
	return b[:n]
}

// sendBursts sends rounds bursts to addr from one socket, each burst whole
// before reading its answers, and checks every answer: the peek, the
// length cut to size, the bytes it ended with, in the order sent. It
// returns the lengths the server read.
func sendBursts(t *testing.T, network, addr string, size, rounds int) []int {
	t.Helper()
	ra, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP(network, nil, ra)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var lens []int
	buf := make([]byte, 1000)
	for r := range rounds {
		var sent [][]byte
		for k := range burstSizes {
			d := burstDatagram(r*100+k, burstSizes[(k+r)%len(burstSizes)])
			if _, err := c.Write(d); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, d)
		}
		for k, d := range sent {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := c.Read(buf)
			if err != nil {
				t.Fatalf("round %d answer %d: %v", r, k, err)
			}
			got := min(len(d), size)
			want := fmt.Sprintf("%s|%d|%s", d[:min(8, len(d))], got, d[max(0, got-8):got])
			if string(buf[:n]) != want {
				t.Fatalf("round %d datagram %d (%d bytes): answer %q, want %q", r, k, len(d), buf[:n], want)
			}
			lens = append(lens, got)
		}
	}
	if _, err := c.Write([]byte("stop")); err != nil {
		t.Fatal(err)
	}
	return lens
}

// TestUDPBurstsAsOneRecvfromEach: over 127.0.0.1 and ::1, reading whole
// datagrams (65535) and cutting them (100), bursts come back one answer
// per datagram, in order, each peek the start of the datagram read next.
func TestUDPBurstsAsOneRecvfromEach(t *testing.T) {
	for _, fam := range []struct{ family, network, host string }{{"4", "udp4", "127.0.0.1"}, {"6", "udp6", "::1"}} {
		for _, size := range []int{65535, 100} {
			t.Run(fmt.Sprintf("%s/%d", fam.host, size), func(t *testing.T) {
				p := start(t, "--var", "family="+fam.family, "--var", "size="+strconv.Itoa(size), writeScript(t, burstServer))
				port := p.waitLine(`^listening on (\d+)$`, 10*time.Second)[1]
				sendBursts(t, fam.network, net.JoinHostPort(fam.host, port), size, 6)
				if code := p.wait(10 * time.Second); code != 0 {
					t.Fatalf("exit %d; stderr:\n%s", code, p.Stderr())
				}
				// The first datagram cut short is noted, with the
				// length it had (60000, the first over 100 bytes).
				want := ""
				if size == 100 {
					want = "sockrun: note: recvfrom(100) got a datagram of 60000 bytes: the other 59900 were dropped by the system."
				}
				if got := p.Stderr(); want == "" && got != "" || !strings.HasPrefix(got, want) {
					t.Errorf("stderr: %q, want %q", got, want)
				}
			})
		}
	}
}

// TestUDPBurstTrace: the trace shows one recvfrom per datagram, with the
// bytes it returned, in the order the datagrams came, and one sendto per
// answer. (A datagram read ahead is traced by the call that returns it to
// the script: the trace is of the script's calls.)
func TestUDPBurstTrace(t *testing.T) {
	file := filepath.Join(t.TempDir(), "trace.txt")
	p := start(t, "--trace-file", file, "--var", "size=100", writeScript(t, burstServer))
	port := p.waitLine(`^listening on (\d+)$`, 10*time.Second)[1]
	lens := sendBursts(t, "udp4", "127.0.0.1:"+port, 100, 3)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.Stderr())
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	trace := string(raw)
	var got []int
	for _, m := range regexp.MustCompile(`(?m) recvfrom\(100\) -> (\d+) bytes`).FindAllStringSubmatch(trace, -1) {
		n, _ := strconv.Atoi(m[1])
		got = append(got, n)
	}
	want := append(lens, len("stop"))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("recvfrom lines read %v bytes, want %v", got, want)
	}
	peeks := len(regexp.MustCompile(`(?m) recv\(8, socket\.MSG_PEEK\) -> `).FindAllString(trace, -1))
	sends := len(regexp.MustCompile(`(?m) sendto\(`).FindAllString(trace, -1))
	if peeks != len(want) || sends != len(lens) {
		t.Errorf("%d peeks and %d sendto lines for %d datagrams:\n%s", peeks, sends, len(lens), firstLines(trace, 40))
	}
}

// firstLines is the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "")
}

// TestUDPBurstWorkers: with --workers 2 each worker's socket reads its
// own bursts ahead; every client gets each answer, in order.
func TestUDPBurstWorkers(t *testing.T) {
	p := start(t, "--workers", "2", "--var", "size=65535", writeScript(t, burstServer))
	ports := map[string]bool{}
	for range 2 {
		ports[p.waitLine(`^listening on (\d+)$`, 10*time.Second)[1]] = true
	}
	for port := range ports {
		done := make(chan struct{}, 4)
		for range 4 {
			go func() {
				defer func() { done <- struct{}{} }()
				c, err := net.Dial("udp4", "127.0.0.1:"+port)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				buf := make([]byte, 1000)
				for r := range 5 {
					var sent [][]byte
					for k := range 8 {
						d := burstDatagram(r*10+k, 50+k*300)
						c.Write(d)
						sent = append(sent, d)
					}
					for _, d := range sent {
						c.SetReadDeadline(time.Now().Add(10 * time.Second))
						n, err := c.Read(buf)
						if err != nil {
							t.Error(err)
							return
						}
						want := fmt.Sprintf("%s|%d|%s", d[:8], len(d), d[len(d)-8:])
						if !bytes.Equal(buf[:n], []byte(want)) {
							t.Errorf("answer %q, want %q", buf[:n], want)
							return
						}
					}
				}
			}()
		}
		for range 4 {
			<-done
		}
		c, err := net.Dial("udp4", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("stop"))
		c.Close()
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.Stderr())
	}
}
