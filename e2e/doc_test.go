package e2e

import (
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
	_, stderr, code := runSockrun(t, "", "doc", "socket.creat_connection")
	if code != 2 || !strings.Contains(stderr, `nothing is named "socket.creat_connection"; did you mean socket.create_connection?`) {
		t.Errorf("doc of an unknown name: exit code %d, stderr:\n%s", code, stderr)
	}
}
