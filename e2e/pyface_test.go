package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// Programs that print the same under python3 and sockrun: each case is
// one program in both languages, making the same calls; what they print
// must be the same, line for line. These are the differences found by
// running Python programs and their sockrun ports side by side.

type pyfaceCase struct {
	name string
	lua  string
	py   string
}

var pyfaceCases = []pyfaceCase{
	{
		// gethostbyaddr answers from the first /etc/hosts line with the
		// address, as glibc's does: a machine with "127.0.0.1 localhost"
		// and "127.0.0.1 vm" has no aliases for 127.0.0.1.
		name: "gethostbyaddr",
		lua: `
local name, aliases, addrs = socket.gethostbyaddr("127.0.0.1")
print(name, table.concat(aliases, ","), table.concat(addrs, ","))`,
		py: `
import socket
name, aliases, addrs = socket.gethostbyaddr("127.0.0.1")
print(name, ",".join(aliases), ",".join(addrs), sep="\t")`,
	},
	{
		// inet_ntop writes an IPv4-compatible address as glibc does,
		// "::1.2.3.4", and so do getaddrinfo and getnameinfo.
		name: "inet_ntop",
		lua: `
for _, text in ipairs({"::1.2.3.4", "::ffff:1.2.3.4", "::0.0.1.2", "::2", "::ffff:0:1.2.3.4", "1::1.2.3.4", "::fffe:1.2.3.4", "::ffff"}) do
  print(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text)))
end
print(socket.getaddrinfo("::1.2.3.4", 80)[1].addr[1])
print(socket.getnameinfo({"::1.2.3.4", 80}, socket.NI_NUMERICHOST + socket.NI_NUMERICSERV))`,
		py: `
import socket
for text in ["::1.2.3.4", "::ffff:1.2.3.4", "::0.0.1.2", "::2", "::ffff:0:1.2.3.4", "1::1.2.3.4", "::fffe:1.2.3.4", "::ffff"]:
    print(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text)))
print(socket.getaddrinfo("::1.2.3.4", 80)[0][4][0])
print(*socket.getnameinfo(("::1.2.3.4", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV), sep="\t")`,
	},
	{
		// The flags of a received message are the kernel's, less the
		// MSG_CMSG_CLOEXEC sockrun adds to every recvmsg.
		name: "recv_fds flags",
		lua: `
local a, b = socket.socketpair()
local x, y = socket.socketpair()
socket.send_fds(a, "x", {y:fileno()})
local data, fds, flags = socket.recv_fds(b, 10, 1)
print(data, #fds, flags)
a:sendmsg("y")
local d, anc, mflags = b:recvmsg(10)
print(d, #anc, mflags)`,
		py: `
import socket
a, b = socket.socketpair()
x, y = socket.socketpair()
socket.send_fds(a, [b"x"], [y.fileno()])
data, fds, flags, addr = socket.recv_fds(b, 10, 1)
print(data.decode(), len(fds), flags, sep="\t")
a.sendmsg([b"y"])
d, anc, mflags, addr = b.recvmsg(10)
print(d.decode(), len(anc), mflags, sep="\t")`,
	},
	{
		// A peek consumes nothing: on a stream socketpair the next recv
		// gets all the bytes, and a datagram stays whole (and sockrun
		// notes no truncation: stderr stays empty).
		name: "MSG_PEEK",
		lua: `
local a, b = socket.socketpair()
a:sendall("peekdata")
print(b:recv(4, socket.MSG_PEEK))
print(b:recv(100))
local c, d = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
c:send("peekdata")
print(d:recv(4, socket.MSG_PEEK))
print(d:recv(100))`,
		py: `
import socket
a, b = socket.socketpair()
a.sendall(b"peekdata")
print(b.recv(4, socket.MSG_PEEK).decode())
print(b.recv(100).decode())
c, d = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
c.send(b"peekdata")
print(d.recv(4, socket.MSG_PEEK).decode())
print(d.recv(100).decode())`,
	},
}

// TestPythonFace runs each case under python3 and sockrun and compares
// what they print.
func TestPythonFace(t *testing.T) {
	python := testenv.Tool(t, "python3")
	for _, c := range pyfaceCases {
		t.Run(c.name, func(t *testing.T) {
			py := startIn(t, "", nil, python, "-c", c.py)
			if code := py.wait(20 * time.Second); code != 0 {
				t.Fatalf("python3 exit %d: %s", code, py.Stderr())
			}
			want := strings.Join(py.Stdout(), "\n")
			got, stderr, code := runSockrun(t, "", writeScript(t, c.lua))
			if code != 0 {
				t.Fatalf("sockrun exit %d: %s", code, stderr)
			}
			if got != want {
				t.Errorf("sockrun printed\n%s\npython3 printed\n%s", got, want)
			}
			if stderr != "" {
				t.Errorf("sockrun wrote to stderr, python3 did not:\n%s", stderr)
			}
		})
	}
}
