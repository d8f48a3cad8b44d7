package e2e

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// recvFlagsLua and recvFlagsPy are one client in both languages: the same
// calls, in the same order, against the same peer. Each line printed is
// one call's result.
const recvFlagsLua = `
local s = socket.create_connection({"127.0.0.1", tonumber(arg[1])})
s:sendall("1")
print(s:recv(10, socket.MSG_WAITALL))
s:sendall("2")
print(s:recv(4, socket.MSG_PEEK))
print(s:recv(4, socket.MSG_PEEK))
print(s:recv(2))
print(s:recv(10))
s:sendall("3")
print(s:recv(10, socket.MSG_WAITALL))
print("[" .. s:recv(10) .. "]")
`

const recvFlagsPy = `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"1")
print(s.recv(10, socket.MSG_WAITALL).decode())
s.sendall(b"2")
print(s.recv(4, socket.MSG_PEEK).decode())
print(s.recv(4, socket.MSG_PEEK).decode())
print(s.recv(2).decode())
print(s.recv(10).decode())
s.sendall(b"3")
print(s.recv(10, socket.MSG_WAITALL).decode())
print("[" + s.recv(10).decode() + "]")
`

// recvFlagsPeer serves one client: on "1" it sends "ab" and, a moment
// later, the other eight bytes of ten (the gap is the scenario: MSG_WAITALL
// must wait across it); on "2" "wxyz"; on "3" "end" and end of stream.
func recvFlagsPeer(t *testing.T) (port int, done chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done = make(chan struct{})
	go func() {
		defer close(done)
		defer l.Close()
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		r := bufio.NewReader(c)
		for {
			b, err := r.ReadByte()
			if err != nil {
				return
			}
			switch b {
			case '1':
				c.Write([]byte("ab"))
				time.Sleep(50 * time.Millisecond)
				c.Write([]byte("cdefghij"))
			case '2':
				c.Write([]byte("wxyz"))
			case '3':
				c.Write([]byte("end"))
				return
			}
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, done
}

// TestRecvFlagsAsPython runs the same client as a sockrun script and as a
// Python program against the same peer, and checks they print the same:
// MSG_WAITALL waits for all it asked, MSG_PEEK does not consume.
func TestRecvFlagsAsPython(t *testing.T) {
	python := testenv.Tool(t, "python3")
	port, done := recvFlagsPeer(t)
	py := startIn(t, "", nil, python, "-c", recvFlagsPy, strconv.Itoa(port))
	if code := py.wait(20 * time.Second); code != 0 {
		t.Fatalf("python3 exit %d: %s", code, py.Stderr())
	}
	<-done
	want := strings.Join(py.Stdout(), "\n")

	port, done = recvFlagsPeer(t)
	// As lua, the first argument after -e is the script: the arguments need one.
	out, stderr, code := runSockrun(t, "", writeScript(t, recvFlagsLua), strconv.Itoa(port))
	<-done
	if code != 0 {
		t.Fatalf("sockrun exit %d: %s", code, stderr)
	}
	if out != want {
		t.Errorf("sockrun printed\n%s\nPython printed\n%s", out, want)
	}
	if !strings.HasPrefix(want, "abcdefghij\nwxyz\nwxyz\nwx\nyz\nend\n[]") {
		t.Errorf("Python printed %q, not what this test expects of it", want)
	}
}
