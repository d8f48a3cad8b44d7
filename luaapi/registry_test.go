package luaapi

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
			for _, f := range ty.MethodList() {
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
			for _, f := range ty.MethodList() {
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

// TestRegistryMeaning holds the registry's meaning of each function
// (luaapi/api/meaning.go) to what a trace, an explanation and the editor
// definitions need of it: a receive or a send says where its data is (a
// result of role data, an argument of role data or a file, an iterator,
// a buffer), and only they have data; the kinds of the parameters match
// the signature's; a parameter that takes constants names a family that
// exists and has constants; a call that opens or accepts a socket returns
// one; a function that fails by returning says so only where it can.
func TestRegistryMeaning(t *testing.T) {
	check := func(where string, f *api.Func) {
		moves := f.Dir&(api.Receives|api.Sends) != 0
		if f.Dir&api.Receives != 0 && f.Dir&api.Sends != 0 {
			t.Errorf("%s both receives and sends", where)
		}
		if moves && !f.DataAt.Declared() {
			t.Errorf("%s %s but does not say where its data is", where, f.Dir)
		}
		if !moves && f.DataAt.Declared() {
			t.Errorf("%s has a place for data but neither receives nor sends", where)
		}
		if !f.ParamsMatchSig() {
			t.Errorf("%s declares %d parameter kinds, its signature has %d", where, len(f.In), len(api.SigParams(f.Sig)))
		}
		for _, p := range f.In {
			if (p.Role == api.RoleData || p.Role == api.RoleFile) && f.Dir&api.Sends == 0 {
				t.Errorf("%s: parameter %s is data, but the function sends nothing", where, p.Name)
			}
			if p.Type == "" {
				t.Errorf("%s: parameter %s has no type", where, p.Name)
			}
			if p.Role != api.RoleConst && p.Role != api.RoleFlags {
				continue
			}
			fam := api.FamilyNamed(p.Family)
			if fam == nil {
				t.Errorf("%s: parameter %s takes constants of %q, which no module has", where, p.Name, p.Family)
				continue
			}
			n := 0
			for _, c := range fam.Module().Consts() {
				if fam.Has(c.Name) {
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s: family %s of parameter %s has no constants in %s", where, p.Family, p.Name, fam.Module().Name)
			}
		}
		for i, k := range f.Out {
			if k.Role == api.RoleData && f.Dir&api.Receives == 0 {
				t.Errorf("%s: result %d is data, but the function receives nothing", where, i+1)
			}
			if k.Type == "" {
				t.Errorf("%s: result %d has no type", where, i+1)
			}
		}
		if f.Dir&(api.Opens|api.Accepts) != 0 && !slices.ContainsFunc(f.Out, func(k api.Kind) bool { return k.Role == api.RoleObject }) {
			t.Errorf("%s %s a socket but returns no object", where, f.Dir)
		}
		if f.Fail == api.ReturnsNilErr && len(f.Out) < 2 && len(f.Out) > 0 {
			t.Errorf("%s fails by returning nil, err but declares %d result", where, len(f.Out))
		}
	}
	receives, sends := 0, 0
	for _, m := range Modules() {
		for i := range m.Funcs {
			check(m.Name+"."+m.Funcs[i].Name, &m.Funcs[i])
		}
		for _, ty := range m.Types {
			methods := ty.MethodList()
			for i := range methods {
				f := &methods[i]
				check(ty.Name+":"+f.Name, f)
				if f.Dir&api.Receives != 0 {
					receives++
				}
				if f.Dir&api.Sends != 0 {
					sends++
				}
			}
		}
		for _, fam := range m.Families {
			if api.FamilyNamed(fam.Name) != fam {
				t.Errorf("family %s is declared twice", fam.Name)
			}
		}
	}
	// Both faces' receives and sends are declared: the Python socket's
	// and its file's, LuaSocket's four kinds of object.
	if receives < 15 || sends < 12 {
		t.Errorf("%d methods receive and %d send: the faces' declarations are missing", receives, sends)
	}
	// Every function declares its parameters (the editor definitions are
	// made of them).
	for _, m := range Modules() {
		for _, f := range m.Funcs {
			if f.In == nil && len(api.SigParams(f.Sig)) > 0 {
				t.Errorf("%s.%s declares no parameter kinds", m.Name, f.Name)
			}
		}
		for _, ty := range m.Types {
			for _, f := range ty.MethodList() {
				if f.In == nil && len(api.SigParams(f.Sig)) > 0 {
					t.Errorf("%s:%s declares no parameter kinds", ty.Name, f.Name)
				}
			}
		}
	}
}
