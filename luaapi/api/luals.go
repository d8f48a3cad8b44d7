package api

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// The editor definitions: sockrun's API as lua-language-server (LuaLS)
// reads it, ---@meta files generated from the registry, every module,
// function, method, field, shape and constant with its types. They are
// committed in docs/lua (a test fails when they are stale) and written
// by `sockrun lsp-defs DIR`. Nothing of them is written by hand: a new
// function's registry entry (its signature, summary, kinds and results)
// is its definition.

// LuaLSConstantsFile is the name of the file of the modules' constants.
const LuaLSConstantsFile = "constants.lua"

// LuaLSCommand is how the definitions are made again in this repository.
const LuaLSCommand = "go run . lsp-defs docs/lua"

// LuaLSFile is one file of the definitions.
type LuaLSFile struct {
	Name string
	Data []byte
}

// generatedNote is the comment under each file's ---@meta line.
func generatedNote(what string) string {
	return "-- " + what + ", for lua-language-server (LuaLS).\n" +
		"-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this\n" +
		"-- repository: `" + LuaLSCommand + "`); do not edit.\n"
}

// LuaLSFiles are the definitions, in name order: one file per Defs name
// of the registry's modules, and the constants.
func LuaLSFiles() []LuaLSFile {
	byFile := map[string][]*Module{}
	var names []string
	for _, m := range registry {
		name := defsFile(m)
		if byFile[name] == nil {
			names = append(names, name)
		}
		byFile[name] = append(byFile[name], m)
	}
	files := []LuaLSFile{{LuaLSConstantsFile, LuaLSConstants()}}
	for _, name := range names {
		files = append(files, LuaLSFile{name, luaLSFile(byFile[name])})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files
}

// defsFile is the file of m's definitions.
func defsFile(m *Module) string {
	if m.Defs != "" {
		return m.Defs
	}
	return m.Name + ".lua"
}

// LuaLSClass is the class name the definitions give objects of the
// metatable meta: meta itself, but LuaSocket's "tcp{master}" (which LuaLS
// cannot read as a class name) as "tcp.master".
func LuaLSClass(meta string) string {
	if kind, state, ok := strings.Cut(meta, "{"); ok && strings.HasSuffix(state, "}") {
		return kind + "." + strings.TrimSuffix(state, "}")
	}
	return meta
}

// defs writes one file of definitions.
type defs struct{ bytes.Buffer }

func (d *defs) line(format string, args ...any) {
	fmt.Fprintf(d, format, args...)
	d.WriteByte('\n')
}

// doc writes text, written for the docs (with its code in backquotes),
// as a doc comment: ---Text.
func (d *defs) doc(text string) {
	if text != "" {
		d.line("---%s", sentence(text))
	}
}

// summary writes a function's summary, written for a terminal's
// `sockrun doc`, as a doc comment, with the words from code in it (its
// params, nil, SO_REUSEADDR, "quoted") as code.
func (d *defs) summary(text string, params []string) {
	if text != "" {
		d.line("---%s", markCode(sentence(text), params))
	}
}

// The words markCode puts in backquotes, compiled at first use: only the
// editor definitions need them, not every start-up.
var codeWords = sync.OnceValue(func() [3]*regexp.Regexp {
	return [3]*regexp.Regexp{
		regexp.MustCompile(`^[A-Z][A-Z0-9]*_[A-Z0-9_]+$`), // a constant: SO_REUSEADDR
		regexp.MustCompile(`^"[^"]*"$`),                   // a quoted string
		regexp.MustCompile(`^[A-Za-z_][\w.:]*\([^ ]*\)$`), // a call: sock:recv(n)
	}
})

// markCode puts the words of text that are code in backquotes: the
// names of params, nil, true and false, constants (SO_REUSEADDR),
// quoted strings and calls (settimeout(nil)). A word keeps the
// punctuation around it outside the quotes.
func markCode(text string, params []string) string {
	words := strings.Split(text, " ")
	for i, w := range words {
		if strings.Contains(w, "`") {
			continue
		}
		core := strings.TrimRight(w, ",;:.")
		core = strings.TrimLeft(core, "(")
		if strings.HasSuffix(core, ")") && strings.Count(core, "(") < strings.Count(core, ")") {
			core = strings.TrimSuffix(core, ")")
		}
		if core == "" {
			continue
		}
		code := core == "nil" || core == "true" || core == "false" ||
			codeWords()[0].MatchString(core) || codeWords()[1].MatchString(core) || codeWords()[2].MatchString(core) ||
			slices.Contains(params, core)
		if code {
			at := strings.Index(w, core)
			words[i] = w[:at] + "`" + core + "`" + w[at+len(core):]
		}
	}
	return strings.Join(words, " ")
}

// sentence is text with a capital first letter (unless it starts with a
// word from code: socket.connect, nil, x) and a final stop.
func sentence(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	word, _, _ := strings.Cut(text, " ")
	word = strings.TrimRight(word, ",;:")
	plain := word == "a" || len(word) > 1 && strings.Trim(word, "abcdefghijklmnopqrstuvwxyz'-") == ""
	if plain && word != "nil" && word != "true" && word != "false" {
		text = strings.ToUpper(text[:1]) + text[1:]
	}
	if !strings.HasSuffix(text, ".") && !strings.HasSuffix(text, "?") && !strings.HasSuffix(text, "!") {
		text += "."
	}
	return text
}

// owner is the module a module is a part of: the one its name is under
// (socket for socket.unix), if it is a registered module.
func ownerModule(m *Module) string {
	if i := strings.LastIndexByte(m.Name, '.'); i > 0 {
		parent := m.Name[:i]
		for _, o := range registry {
			if o.Name == parent && o.Kind == NewModule {
				return parent
			}
		}
	}
	return ""
}

// localModule says whether m is written as a local table that the file
// returns: a module only require gives that no other module holds
// (select, mime.core).
func localModule(m *Module) bool { return m.Kind == RequireOnly && ownerModule(m) == "" }

// firstPart reports whether m is the main part of the module of its name,
// whose file holds the module's class: the part whose file is named
// after the module, else the first registered.
func firstPart(m *Module) bool {
	var first *Module
	for _, o := range registry {
		if o.Name != m.Name || o.Kind == ExtendGlobal {
			continue
		}
		if defsFile(o) == o.Name+".lua" {
			return o == m
		}
		if first == nil {
			first = o
		}
	}
	return first == nil || first == m
}

// luaLSFile is the definitions of modules, the parts one file holds:
// modules of their own first, then their submodules, then what extends
// the standard library.
func luaLSFile(modules []*Module) []byte {
	rank := func(m *Module) int {
		switch {
		case m.Kind == ExtendGlobal:
			return 2
		case ownerModule(m) != "":
			return 1
		}
		return 0
	}
	modules = slices.Clone(modules)
	slices.SortStableFunc(modules, func(a, b *Module) int { return rank(a) - rank(b) })
	var d defs
	// The file is a module's (require returns its table) when it holds
	// the first part of exactly one module of its own.
	var own []*Module
	for _, m := range modules {
		if m.Kind != ExtendGlobal && firstPart(m) && ownerModule(m) == "" {
			own = append(own, m)
		}
	}
	var names []string
	for _, m := range modules {
		if m.Kind != ExtendGlobal {
			names = append(names, m.Name)
		} else if m.Name != "_G" {
			names = append(names, m.Name+" (extended)")
		} else {
			names = append(names, "globals")
		}
	}
	if len(own) == 1 {
		d.line("---@meta %s", own[0].Name)
	} else {
		d.line("---@meta")
	}
	var docs []string
	for _, m := range modules {
		docs = append(docs, m.Doc)
	}
	d.WriteString(generatedNote("sockrun's " + strings.Join(dedupe(names), ", ")))
	d.line("-- See %s.", strings.Join(dedupe(docs), ", "))
	for _, m := range modules {
		d.module(m)
	}
	if len(own) == 1 {
		d.line("")
		d.line("return %s", tableName(own[0]))
	}
	return d.Bytes()
}

func dedupe(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// tableName is how a module's table is named in the definitions: its
// global path (socket, socket.unix), or for a local module the local
// (select, core).
func tableName(m *Module) string {
	if localModule(m) {
		return m.Name[strings.LastIndexByte(m.Name, '.')+1:]
	}
	return m.Name
}

// libClass is the class of a module's table: socketlib, socket.unixlib;
// a local module's is its name (select, mime.core).
func libClass(m *Module) string {
	if localModule(m) {
		return m.Name
	}
	return m.Name + "lib"
}

// module writes a module's part: its shapes, its table's class and
// fields, its sub-tables, its functions, its types with their methods.
func (d *defs) module(m *Module) {
	for _, sh := range m.Shapes {
		d.line("")
		d.doc(sh.Summary)
		if sh.Alias != "" {
			d.line("---@alias %s %s", sh.Name, sh.Alias)
			continue
		}
		d.line("---@class %s", sh.Name)
		for _, f := range sh.Fields {
			d.field(f)
		}
	}
	switch {
	case m.Kind == ExtendGlobal && m.Name == "_G":
		for _, v := range m.Values {
			d.line("")
			d.doc(v.Summary)
			d.line("---@type %s", v.Type)
			if strings.HasPrefix(v.Type, "fun(") {
				d.line("_G.%s = function() end", v.Name)
			} else {
				d.line("%s = {}", v.Name)
			}
		}
	case m.Kind == ExtendGlobal:
	default:
		d.line("")
		if firstPart(m) {
			d.doc(m.Summary)
		} else {
			d.line("-- %s", sentence(m.Summary))
		}
		d.line("---@class %s", libClass(m))
		if m.Callable != "" {
			d.line("---@overload %s", m.Callable)
		}
		for _, v := range m.Values {
			d.field(v)
		}
		if localModule(m) {
			d.line("local %s = {}", tableName(m))
		} else {
			d.line("%s = {}", m.Name)
		}
		// A value that holds some of the module's functions (socket.dns)
		// is a table of its own.
		for _, v := range m.Values {
			if hasFuncsUnder(m, v.Name) {
				d.line("")
				d.doc(v.Summary)
				d.line("---@class %s", v.Type)
				d.line("%s.%s = {}", m.Name, v.Name)
			}
		}
	}
	for i := range m.Funcs {
		d.function(&m.Funcs[i], m, "")
	}
	for _, ty := range m.Types {
		d.objectType(ty)
	}
}

// hasFuncsUnder says whether some of m's functions are in its table's
// field name ("dns.toip").
func hasFuncsUnder(m *Module, name string) bool {
	for _, f := range m.Funcs {
		if strings.HasPrefix(f.Name, name+".") {
			return true
		}
	}
	return false
}

// field writes a ---@field line.
func (d *defs) field(v Value) {
	if v.Summary != "" {
		d.line("---@field %s %s %s", v.Name, v.Type, v.Summary)
	} else {
		d.line("---@field %s %s", v.Name, v.Type)
	}
}

// objectType writes the class of a type's objects and its methods.
func (d *defs) objectType(ty *Type) {
	class := LuaLSClass(ty.Meta)
	self := ""
	methods := ty.MethodList()
	for _, f := range methods {
		self, _, _ = strings.Cut(f.Sig, ":")
		break
	}
	d.line("")
	d.doc(ty.Summary)
	if ty.Inherits != nil {
		d.line("---@class %s: %s", class, LuaLSClass(ty.Inherits.Meta))
	} else {
		d.line("---@class %s", class)
	}
	for _, f := range ty.Fields {
		d.field(Value{f.Name, f.Type, markCode(f.Summary, nil)})
	}
	for _, v := range ty.Values {
		d.field(v)
	}
	if _, ok := ty.Metamethods["__len"]; ok {
		d.line("---@operator len: integer")
	}
	if self != "" { // a type with fields only (http.request) is a class, with no local to hang methods on
		d.line("local %s = {}", self)
	}
	for i := range methods {
		d.function(&methods[i], nil, class)
	}
}

// function writes one function or method (of class, if not "").
func (d *defs) function(f *Func, m *Module, class string) {
	call, _, _ := strings.Cut(f.Sig, "(")
	if m != nil && localModule(m) {
		call = tableName(m) + strings.TrimPrefix(call, m.Name)
	}
	d.line("")
	var params []string
	for _, p := range SigParams(f.Sig) {
		params = append(params, p.Name)
	}
	d.summary(f.Summary, params)
	if f.TypeParams != "" {
		d.line("---@generic %s", f.TypeParams)
	}
	for _, p := range f.In {
		name := p.Name
		if p.Optional && name != "..." {
			name += "?"
		}
		if doc := paramDoc(p); doc != "" {
			d.line("---@param %s %s %s", name, p.Type, doc)
		} else {
			d.line("---@param %s %s", name, p.Type)
		}
	}
	for _, r := range f.Out {
		if r.Name != "" {
			d.line("---@return %s %s", r.Type, r.Name)
		} else {
			d.line("---@return %s", r.Type)
		}
	}
	for _, alt := range overloads(f) {
		d.line("---@overload %s", funType(alt, f.Out, class))
	}
	names := make([]string, len(f.In))
	for i, p := range f.In {
		names[i] = p.Name
	}
	if f.In == nil {
		for _, p := range SigParams(f.Sig) {
			names = append(names, p.Name)
		}
	}
	d.line("function %s(%s) end", call, strings.Join(names, ", "))
}

// paramDoc is what the definitions say of a parameter beside its type:
// the constants it takes, and its kind's words.
func paramDoc(p Param) string {
	var parts []string
	if fam := FamilyNamed(p.Family); fam != nil {
		list := "`" + fam.module.Name + "." + fam.Name + "`"
		if len(fam.Members) > 0 {
			names := make([]string, len(fam.Members))
			for i, n := range fam.Members {
				names[i] = "`" + fam.module.Name + "." + n + "`"
			}
			list = strings.Join(names, ", ")
		}
		if p.Role == RoleFlags {
			parts = append(parts, list+", or-ed together: "+fam.Summary)
		} else {
			parts = append(parts, list+": "+fam.Summary)
		}
	}
	if p.Doc != "" {
		parts = append(parts, p.Doc)
	}
	return strings.Join(parts, "; ")
}

// overloads are the other ways to call f: its Alts, and the call that
// leaves out an optional parameter written before a required one
// (sock:sendto(data, address)).
func overloads(f *Func) [][]Param {
	alts := append([][]Param(nil), f.Alts...)
	for i, p := range f.In {
		if !p.Optional || p.Name == "..." {
			continue
		}
		for _, q := range f.In[i+1:] {
			if !q.Optional {
				alt := append(append([]Param(nil), f.In[:i]...), f.In[i+1:]...)
				alts = append(alts, alt)
				break
			}
		}
	}
	return alts
}

// funType is a LuaLS function type taking params (and self of class, for
// a method) and returning results.
func funType(params []Param, results []Kind, class string) string {
	var ps []string
	if class != "" {
		ps = append(ps, "self: "+class)
	}
	for _, p := range params {
		name := p.Name
		if p.Optional && name != "..." {
			name += "?"
		}
		ps = append(ps, name+": "+p.Type)
	}
	s := "fun(" + strings.Join(ps, ", ") + ")"
	if len(results) > 0 {
		rs := make([]string, len(results))
		for i, r := range results {
			rs[i] = r.Type
		}
		s += ": " + strings.Join(rs, ", ")
	}
	return s
}

// LuaLSConstants returns constants.lua: every constant of every module,
// as the registry lists it, with this system's value. The values differ
// between systems; the committed file holds Linux's.
func LuaLSConstants() []byte {
	var b bytes.Buffer
	b.WriteString("---@meta\n" + generatedNote("The constants of sockrun's modules") +
		`-- The values are those of the system that generated the file: compare
-- names (err.name == "ECONNREFUSED") or these constants, never raw numbers.
`)
	for _, m := range Modules() {
		if m.Consts == nil || m.Kind != NewModule {
			continue
		}
		consts := m.Consts()
		sort.Slice(consts, func(i, j int) bool { return consts[i].Name < consts[j].Name })
		fmt.Fprintf(&b, "\n-- %s\n", m.Name)
		for _, c := range consts {
			b.WriteString("\n")
			if doc := ConstantDoc(m.Name, c.Name); doc != "" {
				fmt.Fprintf(&b, "---%s\n", doc)
			}
			fmt.Fprintf(&b, "%s.%s = %s\n", m.Name, c.Name, luaLiteral(c.Value))
		}
	}
	return b.Bytes()
}

// luaLiteral is v as Lua source.
func luaLiteral(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return strconv.Quote(string(v))
	case lua.LNumber:
		return v.String()
	case lua.LBool:
		return v.String()
	}
	return "nil"
}

// constPrefixes say what a constant is by the start of its name; the
// longest prefix that matches wins.
var constPrefixes = map[string]string{
	"AF_":       "An address family, for `socket.socket`.",
	"SOCK_":     "A socket type, for `socket.socket`.",
	"SOL_":      "A level, for `setsockopt` and `getsockopt`.",
	"IPPROTO_":  "A protocol, for `socket.socket`, or a level of `setsockopt`.",
	"SO_":       "A socket option (level `SOL_SOCKET`).",
	"TCP_":      "A TCP option (level `IPPROTO_TCP`).",
	"IP_":       "An IPv4 option (level `IPPROTO_IP`).",
	"IPV6_":     "An IPv6 option (level `IPPROTO_IPV6`).",
	"MSG_":      "A flag of send and recv.",
	"SHUT_":     "What `sock:shutdown(how)` shuts down.",
	"NI_":       "A flag of `socket.getnameinfo`.",
	"AI_":       "A flag of `socket.getaddrinfo`.",
	"EAI_":      "A name resolution error: `err.errno` of a `socket.gaierror` (compare `err.name`).",
	"INADDR_":   "An IPv4 address as a number.",
	"SCM_":      "A type of ancillary data (`sendmsg`, `recvmsg`).",
	"SOMAXCONN": "The largest backlog of `listen`.",
	"CERT_":     "A `verify_mode` of an SSL context.",
	"PROTOCOL_": "The protocol of `ssl.SSLContext`.",
	"HAS_ALPN":  "Whether ALPN is supported: `true`.",
	"OPENSSL_":  "The TLS library: Go's crypto/tls.",
}

// ConstantDoc is one line on what the constant name of module is, from
// the start of its name; "" if it says nothing.
func ConstantDoc(module, name string) string {
	best := ""
	for p := range constPrefixes {
		if strings.HasPrefix(name, p) && len(p) > len(best) {
			best = p
		}
	}
	if best != "" {
		return constPrefixes[best]
	}
	if module == "socket" && strings.HasPrefix(name, "E") {
		return "An errno: a raised error has `err.name == \"" + name + "\"`."
	}
	return ""
}
