package e2e

import (
	"sort"
	"strings"
	"testing"
)

// TestDoc: `sockrun doc NAME` prints the signature, the summary and the
// section of the reference for a function, a method (also found by its
// bare name), a field, a module; `sockrun doc` lists the modules; an
// unknown name exits 2 with the close names.
func TestDoc(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"", []string{"socket ", "Python's socket module", "thread ", "ssl ", "globals "}},
		{"socket.create_connection", []string{"socket.create_connection(address [, timeout])", "From docs/api.md:", "### socket.create_connection(", "```lua"}},
		{"sock:recv", []string{"sock:recv(bufsize [, flags])", "### sock:recv(", "MSG_PEEK"}},
		{"recvfrom", []string{"sock:recvfrom(bufsize [, flags])", "### sock:recvfrom("}},
		{"close", []string{"sock:close()", "q:close()", "socket.close(fd)"}},
		{"q:get", []string{"q:get([timeout])", "- **`q:get([timeout])`**"}},
		{"ctx.verify_mode", []string{"CERT_REQUIRED", "From docs/ssl.md:"}},
		{"ssl", []string{"ssl.create_default_context([purpose])", "ctx:wrap_socket(sock [, options])", "ssock:version()", "CERT_NONE"}},
		{"print", []string{"print(...)", "### print"}},
		{"vars", []string{"### vars", "--var port=9000"}},
		{"socket.ECONNREFUSED", []string{"socket.ECONNREFUSED = ", `err.name == "ECONNREFUSED"`}},
	} {
		args := []string{"doc"}
		if tc.name != "" {
			args = append(args, tc.name)
		}
		stdout, stderr, code := runSockrun(t, "", args...)
		if code != 0 {
			t.Errorf("doc %s: exit code %d; stderr:\n%s", tc.name, code, stderr)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("doc %s: output lacks %q:\n%s", tc.name, w, stdout)
			}
		}
	}
	// A method written as a module's function, or with its class as
	// Python writes it, finds the method.
	for _, tc := range []struct{ name, want string }{
		{"socket.recv", "socket.recv is not a function of the socket module: recv is a method of socket objects"},
		{"socket.socket.recv", "sock:recv(bufsize [, flags])\n"},
		{"ssl.SSLContext.wrap_socket", "ctx:wrap_socket(sock [, options])\n"},
	} {
		stdout, stderr, code := runSockrun(t, "", "doc", tc.name)
		if code != 0 || !strings.Contains(stdout, tc.want) || !strings.Contains(stdout, "From docs/") {
			t.Errorf("doc %s: exit code %d, stdout:\n%s\nstderr:\n%s", tc.name, code, stdout, stderr)
		}
	}
	_, stderr, code := runSockrun(t, "", "doc", "socket.recvv")
	if code != 2 || !strings.Contains(stderr, "did you mean sock:recv") {
		t.Errorf("doc socket.recvv: exit code %d, stderr:\n%s", code, stderr)
	}
	// socket is Python's face first, LuaSocket's after it, in brief.
	stdout, _, _ := runSockrun(t, "", "doc", "socket")
	py, ls := strings.Index(stdout, "socket objects (sock):"), strings.Index(stdout, "socket.tcp()")
	if py < 0 || ls < 0 || py > ls || strings.Contains(stdout, "tcp{client} objects (tcp):") {
		t.Errorf("doc socket: Python's socket objects at %d, LuaSocket's socket.tcp at %d, LuaSocket's objects in full %v:\n%s",
			py, ls, strings.Contains(stdout, "tcp{client} objects (tcp):"), stdout)
	}
	// The modules, sorted.
	stdout, _, _ = runSockrun(t, "", "doc")
	var names []string
	for _, l := range strings.Split(stdout, "\n") {
		if f := strings.Fields(l); strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") && len(f) > 0 {
			names = append(names, f[0])
		}
	}
	if !sort.StringsAreSorted(names) || len(names) < 10 {
		t.Errorf("doc: the modules %v are not sorted:\n%s", names, stdout)
	}

	_, stderr, code = runSockrun(t, "", "doc", "socket.creat_connection")
	if code != 2 || !strings.Contains(stderr, `nothing is named "socket.creat_connection"; did you mean socket.create_connection?`) {
		t.Errorf("doc of an unknown name: exit code %d, stderr:\n%s", code, stderr)
	}
}
