package prompt

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/runner/host"
)

// TestComplete checks what Tab completes at the prompt: module fields,
// the methods of a live socket after ":", its fields too after ".", a
// table's keys, globals and keywords, the line after the cursor kept; and
// nothing where the name is not a value sockrun can look at.
func TestComplete(t *testing.T) {
	var out lockedBuffer
	env := &host.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Dir: t.TempDir()}
	v := host.NewVM(context.Background(), env, luaapi.Config{}, ".", "")
	defer v.Close()
	p := &prompt{v: v, env: env}
	v.Lock(v.L)
	p.newEpoch()
	fn, err := p.compile(`sock = socket.socket(); config = {alpha = 1, alps = 2, [3] = "x", ["not a name"] = 4}; greeting = "hi"`)
	if err != nil {
		t.Fatal(err)
	}
	p.exec(fn)
	v.Unlock(v.L)
	if s := out.String(); s != "" {
		t.Fatalf("the statement printed %q", s)
	}
	for _, c := range []struct {
		line       string
		pos        int // -1: the end
		head, tail string
		want       []string // nil: none; else these among them (all, if exact)
		exact      bool
	}{
		{"socket.create_conn", -1, "socket.", "", []string{"create_connection"}, true},
		{"socket.creat", -1, "socket.", "", []string{"create_connection", "create_server"}, true},
		{"x = socket.SOCK_DGR", -1, "x = socket.", "", []string{"SOCK_DGRAM"}, true},
		{"sock:rec", -1, "sock:", "", []string{"recv", "recvfrom", "recvline"}, false},
		{"sock:getsockn()", 13, "sock:", "()", []string{"getsockname"}, true},
		{"sock.fam", -1, "sock.", "", []string{"family"}, true},
		{"sock:fam", -1, "sock:", "", nil, false}, // a field is no method
		{"config.al", -1, "config.", "", []string{"alpha", "alps"}, true},
		{"print(conf", -1, "print(", "", []string{"config"}, true},
		{"whi", -1, "", "", []string{"while"}, true},
		{"greeting:upp", -1, "greeting:", "", []string{"upper"}, true},
		{"socket.dns.toi", -1, "socket.dns.", "", []string{"toip"}, true},
		{"thread.sp", -1, "thread.", "", []string{"spawn"}, true},
		{"nothing.her", -1, "nothing.", "", nil, false},
		{"sock:recv():le", -1, "sock:recv():", "", nil, false},
		{"x = 12", -1, "x = 12", "", nil, false},
	} {
		pos := c.pos
		if pos < 0 {
			pos = len(c.line)
		}
		head, got, tail := p.complete(c.line, pos)
		if head != c.head || tail != c.tail {
			t.Errorf("%q at %d: head %q tail %q, want %q %q", c.line, pos, head, tail, c.head, c.tail)
		}
		switch {
		case c.want == nil && len(got) != 0:
			t.Errorf("%q: completions %q, want none", c.line, got)
		case c.exact && !slices.Equal(got, c.want):
			t.Errorf("%q: completions %q, want %q", c.line, got, c.want)
		case !c.exact:
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("%q: completions %q lack %q", c.line, got, w)
				}
			}
		}
	}
	// With the lock held elsewhere (a thread busy in Lua code), Tab
	// completes nothing rather than wait.
	v.Lock(v.L)
	_, got, _ := p.complete("socket.creat", 12)
	v.Unlock(v.L)
	if len(got) != 0 {
		t.Errorf("with the lock held: %q", got)
	}
}
