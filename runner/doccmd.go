package runner

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/sockrun/sockrun/docs"
	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/runner/host"
	"github.com/spf13/cobra"
)

// newDocCmd is `sockrun doc [NAME]`: the reference of one function,
// method, field, constant, object type or module, from the registry and
// the section of docs/ that describes it; with no NAME, the modules.
func newDocCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "doc [NAME]",
		Short: "Print the reference of a function, method or module; with no NAME, list the modules",
		Long: `doc prints what the registry and docs/ say of NAME: its signature, its summary, and
the section of the reference that describes it (returns, errors, example).

NAME is a module (socket, ssl, thread), a function (socket.create_connection,
io.read, print), a method as the docs write it (sock:recv, q:get, ctx:wrap_socket)
or with its class as Python does (socket.socket.recv, ssl.SSLContext.wrap_socket),
a field or constant (ctx.verify_mode, socket.AF_INET), an object type (sock,
queue, tcp{client}), or a bare name (recv), which finds every function and method
so named. A module's method written as its function (socket.recv) finds the method.`,
		Example: `  sockrun doc                          list the modules
  sockrun doc socket.create_connection
  sockrun doc sock:recv
  sockrun doc recv                     every function or method named recv`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			idx := newDocIndex()
			if len(args) == 0 {
				idx.listModules(env.Stdout)
				return nil
			}
			if !idx.print(env.Stdout, args[0]) {
				msg := fmt.Sprintf("doc: nothing is named %q", args[0])
				if near := idx.near(args[0]); len(near) > 0 {
					msg += "; did you mean " + strings.Join(near, ", ") + "?"
				}
				return &exitError{code: host.ExitUsage, msg: msg + "\nRun 'sockrun doc' for the modules."}
			}
			return nil
		},
	}
}

// docEntry is one thing `sockrun doc` can describe.
type docEntry struct {
	name    string // as the docs write it: "socket.create_connection", "sock:recv"
	bare    string // the name alone: "recv"
	sig     string // the signature, or the name of a field or constant
	summary string
	doc     string // the doc file: "docs/api.md"
	kind    string // "function", "method", "field", "constant"
	module  string // the module it is in: "socket"
	typ     *luaapi.Type
}

// docIndex is everything script-facing, by name.
type docIndex struct {
	modules []string                    // sorted as they are shown, each once
	parts   map[string][]*luaapi.Module // the module's own part first
	entries []docEntry
	types   map[string]*luaapi.Type // by self name ("sock") and type name ("queue")
	typeDoc map[*luaapi.Type]string
}

func newDocIndex() *docIndex {
	idx := &docIndex{parts: map[string][]*luaapi.Module{}, types: map[string]*luaapi.Type{}, typeDoc: map[*luaapi.Type]string{}}
	for _, m := range luaapi.Modules() {
		if idx.parts[m.Name] == nil {
			idx.modules = append(idx.modules, m.Name)
		}
		idx.parts[m.Name] = append(idx.parts[m.Name], m)
		for _, f := range m.Funcs {
			name := m.Name + "." + f.Name
			if m.Name == "_G" {
				name = f.Name
			}
			idx.entries = append(idx.entries, docEntry{name, f.Name, f.Sig, f.Summary, m.Doc, "function", m.Name, nil})
		}
		for _, ty := range m.Types {
			idx.types[ty.Name] = ty
			idx.typeDoc[ty] = m.Doc
			for _, f := range ty.MethodList() {
				self, _, _ := strings.Cut(f.Sig, ":")
				idx.types[self] = ty
				idx.entries = append(idx.entries, docEntry{self + ":" + f.Name, f.Name, f.Sig, f.Summary, m.Doc, "method", m.Name, ty})
			}
			for _, f := range ty.Fields {
				self := selfName(ty)
				idx.entries = append(idx.entries, docEntry{self + "." + f.Name, f.Name, self + "." + f.Name, f.Summary, m.Doc, "field", m.Name, ty})
			}
		}
		if m.Consts != nil {
			for _, c := range m.Consts() {
				idx.entries = append(idx.entries, docEntry{m.Name + "." + c.Name, c.Name, m.Name + "." + c.Name + " = " + c.Value.String(), luaapi.ConstantDoc(m.Name, c.Name), m.Doc, "constant", m.Name, nil})
			}
		}
	}
	sort.SliceStable(idx.entries, func(i, j int) bool { return idx.entries[i].name < idx.entries[j].name })
	sort.Slice(idx.modules, func(i, j int) bool { return moduleName(idx.modules[i]) < moduleName(idx.modules[j]) })
	for _, parts := range idx.parts {
		sort.SliceStable(parts, func(i, j int) bool { return !parts[i].Secondary && parts[j].Secondary })
	}
	return idx
}

// selfName is how the docs call an object of type ty: "sock", "ctx".
func selfName(ty *luaapi.Type) string {
	for _, f := range ty.MethodList() {
		if self, _, ok := strings.Cut(f.Sig, ":"); ok {
			return self
		}
	}
	return ty.Name
}

// moduleName is how a module is shown: the globals' pseudo-module "_G" as
// "globals".
func moduleName(name string) string {
	if name == "_G" {
		return "globals"
	}
	return name
}

// listModules prints every module and its summary, sorted by name, a
// module's own part before another library's (LuaSocket's in socket).
func (idx *docIndex) listModules(w io.Writer) {
	fmt.Fprintln(w, "The modules and globals a sockrun script sees (sockrun doc NAME for one):")
	fmt.Fprintln(w)
	width := 0
	for _, name := range idx.modules {
		width = max(width, len(moduleName(name)))
	}
	for _, name := range idx.modules {
		for i, m := range idx.parts[name] {
			shown := moduleName(name)
			if i > 0 {
				shown = ""
			}
			fmt.Fprintf(w, "  %-*s %s (%s)\n", width, shown, m.Summary, m.Doc)
		}
	}
}

// print prints what NAME names and says whether it names anything.
func (idx *docIndex) print(w io.Writer, name string) bool {
	if name == "globals" {
		name = "_G"
	}
	if parts := idx.parts[name]; parts != nil {
		idx.printModule(w, name, parts)
		return true
	}
	for _, e := range idx.entries {
		if e.name == name {
			printEntry(w, e)
			return true
		}
	}
	if ty := idx.types[name]; ty != nil {
		idx.printType(w, ty)
		return true
	}
	if idx.printMethodSpelt(w, name) {
		return true
	}
	if section, file := headingAnywhere(name); section != "" {
		// Something the registry does not list one by one: vars, arg.
		fmt.Fprintf(w, "From %s:\n\n%s\n", file, section)
		return true
	}
	var found []docEntry
	for _, e := range idx.entries {
		if e.bare == name && e.kind != "constant" {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return false
	case 1:
		printEntry(w, found[0])
	default:
		fmt.Fprintf(w, "%d functions and methods are named %s (sockrun doc NAME for one):\n\n", len(found), name)
		for _, e := range found {
			fmt.Fprintf(w, "  %-40s %s\n", e.sig, e.summary)
		}
	}
	return true
}

// printMethodSpelt prints the method that name writes as a module's
// function ("socket.recv": a method of the module's objects) or with its
// class, as Python does ("socket.socket.recv", "ssl.SSLContext.wrap_socket"),
// and says whether it found one.
func (idx *docIndex) printMethodSpelt(w io.Writer, name string) bool {
	prefix, last, ok := cutLast(name, ".")
	if !ok {
		return false
	}
	if module, class, ok := cutLast(prefix, "."); ok {
		if ty := idx.typeOf(module, class); ty != nil {
			if e := idx.methodOf(ty, last); e != nil {
				printEntry(w, *e) // socket.socket.recv
				return true
			}
		}
	}
	if idx.parts[prefix] == nil {
		return false
	}
	if ty := idx.typeOf(prefix, last); ty != nil {
		idx.printType(w, ty) // ssl.SSLContext
		return true
	}
	for _, ty := range idx.typesOf(prefix) {
		if e := idx.methodOf(ty, last); e != nil {
			fmt.Fprintf(w, "%s is not a function of the %s module: %s is a method of %s objects (%s).\n\n",
				name, moduleName(prefix), last, e.typ.Name, e.name)
			printEntry(w, *e)
			return true
		}
	}
	return false
}

// cutLast cuts s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// typesOf are the object types of module, its own part's first.
func (idx *docIndex) typesOf(module string) []*luaapi.Type {
	var types []*luaapi.Type
	for _, m := range idx.parts[module] {
		types = append(types, m.Types...)
	}
	return types
}

// typeOf is module's object type named class, nil if none.
func (idx *docIndex) typeOf(module, class string) *luaapi.Type {
	for _, ty := range idx.typesOf(module) {
		if ty.Name == class {
			return ty
		}
	}
	return nil
}

// methodOf is the entry of ty's method named method, its own or one it
// inherits; nil if it has none.
func (idx *docIndex) methodOf(ty *luaapi.Type, method string) *docEntry {
	for t := ty; t != nil; t = t.Inherits {
		for i := range idx.entries {
			if e := &idx.entries[i]; e.kind == "method" && e.typ == t && e.bare == method {
				return e
			}
		}
	}
	return nil
}

// printModule prints a module's summary and its functions, types and
// constants: its own part in full, then in brief a part that is another
// library's API (LuaSocket's in socket), whose objects have a doc of
// their own.
func (idx *docIndex) printModule(w io.Writer, name string, parts []*luaapi.Module) {
	for _, m := range parts {
		fmt.Fprintf(w, "%s: %s (%s)\n", moduleName(name), m.Summary, m.Doc)
	}
	for _, m := range parts {
		if m.Secondary {
			fmt.Fprintf(w, "\n%s (%s):\n", m.Summary, m.Doc)
			for _, f := range m.Funcs {
				fmt.Fprintf(w, "  %-44s %s\n", f.Sig, f.Summary)
			}
			if len(m.Types) > 0 {
				names := make([]string, len(m.Types))
				for i, ty := range m.Types {
					names[i] = ty.Name
				}
				fmt.Fprintf(w, "\nIts objects (sockrun doc NAME for one): %s\n", wrap(strings.Join(names, " "), 90, "  "))
			}
			continue
		}
		if len(m.Funcs) > 0 {
			fmt.Fprintln(w, "\nFunctions:")
		}
		for _, f := range m.Funcs {
			fmt.Fprintf(w, "  %-44s %s\n", f.Sig, f.Summary)
		}
		for _, ty := range m.Types {
			fmt.Fprintln(w)
			idx.printType(w, ty)
		}
		if m.Consts != nil {
			consts := m.Consts()
			names := make([]string, len(consts))
			for i, c := range consts {
				names[i] = c.Name
			}
			sort.Strings(names)
			fmt.Fprintf(w, "\nConstants (%d): %s\n", len(names), wrap(strings.Join(names, " "), 90, "  "))
		}
	}
}

// printType prints an object type's methods and fields.
func (idx *docIndex) printType(w io.Writer, ty *luaapi.Type) {
	fmt.Fprintf(w, "%s objects (%s)", ty.Name, selfName(ty))
	if ty.Inherits != nil {
		fmt.Fprintf(w, ", with every method of %s objects", ty.Inherits.Name)
	}
	fmt.Fprintln(w, ":")
	for _, f := range ty.MethodList() {
		fmt.Fprintf(w, "  %-44s %s\n", f.Sig, f.Summary)
	}
	for _, f := range ty.Fields {
		fmt.Fprintf(w, "  %-44s %s\n", selfName(ty)+"."+f.Name, f.Summary)
	}
}

// printEntry prints one entry: its signature, summary and the section of
// its doc file that describes it.
func printEntry(w io.Writer, e docEntry) {
	fmt.Fprintf(w, "%s\n    %s\n", e.sig, e.summary)
	if e.kind == "constant" {
		return
	}
	text, err := fs.ReadFile(docs.Markdown, path.Base(e.doc))
	if err != nil {
		return
	}
	key := e.name + "("
	if e.kind == "field" {
		key = e.name
	}
	if section := docSection(string(text), key); section != "" {
		fmt.Fprintf(w, "\nFrom %s:\n\n%s\n", e.doc, section)
	}
}

// docSection is the part of a markdown page that describes key
// ("sock:recv("): the section under the heading that names it, up to the
// next heading of the same or a higher level; else the list item that
// names it in bold; else the table row whose first cell names it; else
// the paragraph that opens with it, to the next heading.
func docSection(text, key string) string {
	lines := strings.Split(text, "\n")
	fenced := func(i int) bool { // whether line i is inside a code block
		in := false
		for _, l := range lines[:i] {
			if strings.HasPrefix(l, "```") {
				in = !in
			}
		}
		return in
	}
	level := func(l string) int { return len(l) - len(strings.TrimLeft(l, "#")) }
	names := func(heading string) bool { // "### sock:recv(bufsize)", "### print"
		title := strings.TrimSpace(strings.TrimLeft(heading, "#"))
		return strings.Contains(title, key) || title == strings.TrimSuffix(key, "(")
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "#") || !names(l) || fenced(i) {
			continue
		}
		end, in := len(lines), false
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], "```") {
				in = !in
			}
			if !in && strings.HasPrefix(lines[j], "#") && level(lines[j]) <= level(l) {
				end = j
				break
			}
		}
		return strings.TrimSpace(strings.Join(lines[i:end], "\n"))
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "- ") && strings.Contains(l, "**`"+key) {
			end := i + 1
			for end < len(lines) && strings.HasPrefix(lines[end], "  ") {
				end++
			}
			return strings.Join(lines[i:end], "\n")
		}
	}
	for _, l := range lines {
		if first, _, _ := strings.Cut(strings.TrimPrefix(l, "|"), "|"); strings.HasPrefix(l, "| ") && strings.Contains(first, "`"+key) {
			return l
		}
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "`"+key) && !fenced(i) { // a paragraph that opens with it, to the next heading
			end := i + 1
			for end < len(lines) && !strings.HasPrefix(lines[end], "#") {
				end++
			}
			return strings.TrimSpace(strings.Join(lines[i:end], "\n"))
		}
	}
	return ""
}

// headingAnywhere is the section of docs/ whose heading is name, and its
// file.
func headingAnywhere(name string) (section, file string) {
	pages, _ := fs.Glob(docs.Markdown, "*.md")
	for _, p := range pages {
		text, err := fs.ReadFile(docs.Markdown, p)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(text), "\n") {
			if strings.HasPrefix(l, "#") && strings.TrimSpace(strings.TrimLeft(l, "#")) == name {
				return docSection(string(text), name), "docs/" + p
			}
		}
	}
	return "", ""
}

// near are the names closest to name, for a suggestion: those that
// contain it or that a small edit away, at most five.
func (idx *docIndex) near(name string) []string {
	type cand struct {
		name string
		d    int
	}
	var cands []cand
	seen := map[string]bool{}
	// consider suggests full if name is close to it or to one of its
	// other spellings.
	consider := func(full string, spellings ...string) {
		d := luaapi.EditDistance(name, full)
		for _, sp := range spellings {
			d = min(d, luaapi.EditDistance(name, sp))
		}
		if strings.Contains(full, name) && len(name) >= 3 {
			d = min(d, 1)
		}
		if d <= max(1, len(name)/4) && !seen[full] {
			seen[full] = true
			cands = append(cands, cand{full, d})
		}
	}
	for _, m := range idx.modules {
		consider(moduleName(m))
	}
	for _, e := range idx.entries {
		switch {
		case e.kind == "method":
			// As a function of its module (socket.recv), and with its
			// class, as Python writes it (socket.socket.recv).
			consider(e.name, e.bare, e.module+"."+e.bare, e.module+"."+e.typ.Name+"."+e.bare)
		case e.kind != "constant" || strings.HasPrefix(name, strings.ToUpper(name[:1])):
			consider(e.name, e.bare)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].d != cands[j].d {
			return cands[i].d < cands[j].d
		}
		return cands[i].name < cands[j].name
	})
	var out []string
	for i := 0; i < len(cands) && i < 5; i++ {
		out = append(out, cands[i].name)
	}
	return out
}

// wrap breaks s into lines of at most width, each after the first
// starting with indent.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(s) {
		if i > 0 && n+1+len(word) > width {
			b.WriteString("\n" + indent)
			n = len(indent)
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
