package luaapi

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sockrun/sockrun/luaapi/api"
)

// callOf is the part of a signature that names the call: "sock:recv(" of
// "sock:recv(bufsize [, flags])".
func callOf(sig string) string {
	if i := strings.IndexByte(sig, '('); i >= 0 {
		return sig[:i+1]
	}
	return sig
}

// docCall finds calls named in the docs' headings, bold list items and
// table cells: `sock:recv(`, `socket.socket(`, `q:put(`.
var docCall = regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_]*)([.:])([A-Za-z_][A-Za-z0-9_]*)\(`)

// TestRegistryMatchesDocs holds the docs to the registry both ways: every
// registered function and method is described in its module's doc file,
// and every call a doc heading, bold item or table row describes as one of
// sockrun's is registered.
func TestRegistryMatchesDocs(t *testing.T) {
	docs := map[string]string{}
	registered := map[string]bool{}
	selves := map[string]bool{} // how docs name objects: "sock", "q"
	modules := map[string]bool{}
	for _, m := range Modules() {
		if m.Doc == "" {
			t.Errorf("module %s names no doc file", m.Name)
			continue
		}
		if _, ok := docs[m.Doc]; !ok {
			b, err := os.ReadFile(filepath.Join("..", m.Doc))
			if err != nil {
				t.Fatal(err)
			}
			docs[m.Doc] = string(b)
		}
		modules[m.Name] = true
		check := func(f Func) {
			call := callOf(f.Sig)
			registered[call] = true
			if f.Summary == "" {
				t.Errorf("%s has no summary", f.Sig)
			}
			if !strings.Contains(docs[m.Doc], call) {
				t.Errorf("%s is registered but %s does not describe it", f.Sig, m.Doc)
			}
		}
		for _, f := range m.Funcs {
			check(f)
		}
		for _, ty := range m.Types {
			for _, f := range ty.Methods {
				self, _, _ := strings.Cut(f.Sig, ":")
				selves[self] = true
				check(f)
			}
		}
	}
	for file, text := range docs {
		for _, line := range strings.Split(text, "\n") {
			described := strings.HasPrefix(line, "#") || strings.HasPrefix(line, "- **") || strings.HasPrefix(line, "| `")
			if !described {
				continue
			}
			if strings.HasPrefix(line, "| `") {
				line, _, _ = strings.Cut(line[1:], "|") // the first cell only
			}
			for _, m := range docCall.FindAllStringSubmatch(line, -1) {
				owner, sep, name := m[1], m[2], m[3]
				if sep == "." && !modules[owner] || sep == ":" && !selves[owner] {
					continue // standard Lua (string.rep) or another library
				}
				if call := owner + sep + name + "("; !registered[call] {
					t.Errorf("%s describes %s, which is not registered", file, call)
				}
			}
		}
	}
}

// TestRegistryEntries checks each entry is whole: a name, a signature that
// names the module or the object, a Go function, and no name twice.
func TestRegistryEntries(t *testing.T) {
	byModule := map[string]map[string]bool{} // the parts of a module share one table
	for _, m := range Modules() {
		if byModule[m.Name] == nil {
			byModule[m.Name] = map[string]bool{}
		}
		seen := byModule[m.Name]
		for _, f := range m.Funcs {
			if !f.HasFunction() || f.Name == "" || seen[f.Name] {
				t.Errorf("%s.%s: missing function or name, or registered twice", m.Name, f.Name)
			}
			seen[f.Name] = true
			prefix := m.Name + "."
			if m.Name == "_G" {
				prefix = ""
			}
			if !strings.HasPrefix(f.Sig, prefix+f.Name+"(") {
				t.Errorf("%s.%s: signature %q does not start with %s%s(", m.Name, f.Name, f.Sig, prefix, f.Name)
			}
		}
		for _, ty := range m.Types {
			if ty.Meta == "" || ty.Name == "" {
				t.Errorf("%s: a type without a name or metatable", m.Name)
			}
			seen := map[string]bool{}
			for _, f := range ty.Methods {
				if !f.HasFunction() || seen[f.Name] {
					t.Errorf("%s:%s: missing function or registered twice", ty.Name, f.Name)
				}
				seen[f.Name] = true
				if !strings.Contains(f.Sig, ":"+f.Name+"(") {
					t.Errorf("%s:%s: signature %q does not name the method", ty.Name, f.Name, f.Sig)
				}
			}
		}
	}
}

// TestFind checks that a function is reached by module, type and name:
// a module function, a method, a method an SSL socket inherits, and none
// for a name that is not registered.
func TestFind(t *testing.T) {
	cases := []struct{ module, typ, name, sig string }{
		{"socket", "", "socket", "socket.socket([family [, type [, proto [, fileno]]]])"},
		{"socket", "", "tcp", "socket.tcp()"},
		{"socket", "socket", "recv", "sock:recv(bufsize [, flags])"},
		{"ssl", "SSLSocket", "recv", "sock:recv(bufsize [, flags])"},
		{"ssl", "SSLSocket", "version", "ssock:version()"},
		{"thread", "queue", "put", "q:put(value [, timeout])"},
	}
	for _, c := range cases {
		f := api.Find(c.module, c.typ, c.name)
		if f == nil || f.Sig != c.sig {
			t.Errorf("Find(%q, %q, %q) = %v, want the entry %q", c.module, c.typ, c.name, f, c.sig)
		}
	}
	for _, c := range [][3]string{{"socket", "", "recv"}, {"socket", "socket", "nope"}, {"nope", "", "socket"}} {
		if f := api.Find(c[0], c[1], c[2]); f != nil {
			t.Errorf("Find(%q, %q, %q) = %q, want nil", c[0], c[1], c[2], f.Sig)
		}
	}
}
