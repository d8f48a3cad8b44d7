package luaapi_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/runner"
	lua "github.com/yuin/gopher-lua"
)

// lualsDir is where the definitions for lua-language-server live.
var lualsDir = filepath.Join("..", "docs", "lua")

// param is one parameter of a function: its name ("..." for a vararg) and
// whether a call may leave it out.
type param struct {
	name     string
	optional bool
}

func (p param) String() string {
	if p.optional && p.name != "..." {
		return p.name + "?"
	}
	return p.name
}

func paramsString(ps []param) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// api is what a script sees, as the registry or the definitions say it:
// per module ("_G" for globals) its functions with their parameters and
// its other values (constants, fields); per object class (named as its
// metatable: "socket.socket") its methods and fields.
type api struct {
	funcs   map[string]map[string][]param
	values  map[string]map[string]bool
	classes map[string]*class
}

type class struct {
	parent  string
	self    string // the local the definitions declare its methods on: "sock"
	methods map[string][]param
	fields  map[string]bool
}

func newAPI() *api {
	return &api{funcs: map[string]map[string][]param{}, values: map[string]map[string]bool{}, classes: map[string]*class{}}
}

func (a *api) addFunc(module, name string, ps []param) {
	if a.funcs[module] == nil {
		a.funcs[module] = map[string][]param{}
	}
	a.funcs[module][name] = ps
}

func (a *api) addValue(module, name string) {
	if a.values[module] == nil {
		a.values[module] = map[string]bool{}
	}
	a.values[module][name] = true
}

func (a *api) class(name string) *class {
	c := a.classes[name]
	if c == nil {
		c = &class{methods: map[string][]param{}, fields: map[string]bool{}}
		a.classes[name] = c
	}
	return c
}

// sigParams are the parameters of a registry signature:
// "sock:sendto(data, [flags,] address)" is data, flags?, address. A name
// in brackets is optional; "formats..." and "..." are a vararg, which
// takes in the numbered names before it ("x1 [, x2, ...]" is x1, ...).
func sigParams(sig string) []param {
	open, end := strings.IndexByte(sig, '('), strings.LastIndexByte(sig, ')')
	if open < 0 || end < open {
		return nil
	}
	var ps []param
	depth := 0
	for _, tok := range regexp.MustCompile(`\[|\]|[A-Za-z_][A-Za-z0-9_]*(?:\.\.\.)?|\.\.\.`).FindAllString(sig[open+1:end], -1) {
		switch {
		case tok == "[":
			depth++
		case tok == "]":
			depth--
		case strings.HasSuffix(tok, "..."):
			for len(ps) > 0 && regexp.MustCompile(`^[a-z]+[2-9]$`).MatchString(ps[len(ps)-1].name) {
				ps = ps[:len(ps)-1]
			}
			ps = append(ps, param{"...", true})
		default:
			ps = append(ps, param{tok, depth > 0})
		}
	}
	return ps
}

// registryAPI is the API the registry lists, completed by what a live VM
// shows that the registry does not list one by one: the fields modules'
// Setup functions set, the fields of a socket object, of an error value
// and of an address, and the globals sockrun adds.
func registryAPI(t *testing.T) (*api, map[string]bool) {
	a := newAPI()
	for _, m := range luaapi.Modules() {
		for _, f := range m.Funcs {
			// "dns.toip" of socket is socket.dns's toip: the table it is in.
			module, name := m.Name, f.Name
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				module, name = module+"."+name[:i], name[i+1:]
			}
			a.addFunc(module, name, sigParams(f.Sig))
		}
		if m.Consts != nil {
			for _, c := range m.Consts() {
				a.addValue(m.Name, c.Name)
			}
		}
		for _, ty := range m.Types {
			c := a.class(lualsClass(ty.Meta))
			if ty.Inherits != nil {
				c.parent = lualsClass(ty.Inherits.Meta)
			}
			for _, f := range ty.MethodList() {
				c.self, _, _ = strings.Cut(f.Sig, ":")
				c.methods[f.Name] = sigParams(f.Sig)
			}
			for _, f := range ty.Fields {
				c.fields[f.Name] = true
			}
		}
	}
	live := liveAPI(t)
	for module, names := range live.values {
		for name := range names {
			if _, isFunc := a.funcs[module][name]; !isFunc && !a.values[module][name] {
				a.addValue(module, name)
			}
		}
	}
	for name, lc := range live.classes {
		c := a.class(name)
		for f := range lc.fields {
			c.fields[f] = true
		}
	}
	return a, live.values["_G"]
}

// lualsClass is the name the definitions give a class: its metatable's
// name, but LuaSocket's "tcp{master}" (which LuaLS cannot parse as a class
// name) as "tcp.master".
func lualsClass(meta string) string {
	if kind, state, ok := strings.Cut(meta, "{"); ok && strings.HasSuffix(state, "}") {
		return kind + "." + strings.TrimSuffix(state, "}")
	}
	return meta
}

// liveAPI opens a VM and lists, as values, the keys of each module's
// table and the globals a plain Lua state does not have; as class fields,
// the keys of a socket's field table and of two error values (one with
// an address and an explanation, one with a partial read).
func liveAPI(t *testing.T) *api {
	a := newAPI()
	plain := lua.NewState()
	defer plain.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := &runner.Env{Stdin: strings.NewReader(""), Stdout: &lockedWriter{}, Stderr: &lockedWriter{}, Dir: "."}
	vm := runner.Embed(ctx, env, luaapi.Config{Version: runner.Version}, "defs.lua")
	defer vm.Close()
	err := vm.Run(func(L *lua.LState) {
		L.G.Global.ForEach(func(k, v lua.LValue) {
			name, ok := k.(lua.LString)
			if ok && plain.GetGlobal(string(name)).Type() != v.Type() { // added, or replaced by a module (select)
				a.addValue("_G", string(name))
			}
		})
		for _, m := range luaapi.Modules() {
			if mod, ok := L.GetGlobal(m.Name).(*lua.LTable); ok && m.Kind == luaapi.NewModule {
				mod.ForEach(func(k, _ lua.LValue) { a.addValue(m.Name, lua.LVAsString(k)) })
			}
		}
		err := L.DoString(`
			local s = socket.socket()
			local fields = {}
			-- The fields (family, type, proto): the table beside them holds
			-- the methods too, which the registry lists.
			for k, v in pairs(getmetatable(s).__index) do
				if type(v) ~= "function" then fields[#fields + 1] = k end
			end
			s:close()
			local errs = {}
			local c = socket.socket()
			local ok, e1 = pcall(c.connect, c, {"127.0.0.1", 9})
			local a, b = socket.socketpair()
			a:sendall("ab"); a:close()
			local ok2, e2 = pcall(b.recv_exactly, b, 5)
			b:close(); c:close()
			for _, e in ipairs({e1, e2}) do
				for k in pairs(e) do errs[#errs + 1] = k end
			end
			return fields, errs`)
		if err != nil {
			L.RaiseError("%v", err)
		}
		for i, cls := range []string{"socket.socket", "socket.error"} {
			c := a.class(cls)
			L.Get(-2 + i).(*lua.LTable).ForEach(func(_, v lua.LValue) { c.fields[lua.LVAsString(v)] = true })
		}
	})
	if err != nil {
		msg, trace := runner.DescribeError(err)
		t.Fatalf("probing a VM: %s\n%s", msg, trace)
	}
	return a
}

var (
	defClassRe  = regexp.MustCompile(`^---@class\s+([A-Za-z_][\w.]*)(?:\s*:\s*([\w.]+))?`)
	defFieldRe  = regexp.MustCompile(`^---@field\s+([A-Za-z_]\w*)`)
	defParamRe  = regexp.MustCompile(`^---@param\s+(\.\.\.|[A-Za-z_]\w*)(\?)?\s`)
	defMetaRe   = regexp.MustCompile(`^---@meta\s+([A-Za-z_][\w.]*)`)
	defTableRe  = regexp.MustCompile(`^(local\s+)?([A-Za-z_][\w.]*)\s*=\s*\{\}\s*$`)
	defFuncRe   = regexp.MustCompile(`^function\s+(?:([A-Za-z_][\w.]*)([.:]))?([A-Za-z_]\w*)\(([^)]*)\)\s*end\s*$`)
	defValueRe  = regexp.MustCompile(`^([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*=`)
	defIgnoreRe = regexp.MustCompile(`^(--|return\s|$)`)
)

// defsAPI reads the definitions in dir: modules are globals assigned a
// table (`socket = {}`) under a ---@class whose fields are the module's
// values; a module's table in another (`socket.dns = {}`) is a value of
// that module; a module only require returns is a local assigned a table
// under a ---@class named as the file's `---@meta mime.core`, its
// functions `function core.b64(C, D) end`; object classes are other
// locals assigned a table under a ---@class, their methods
// `function sock:recv(bufsize, flags) end`; a parameter is
// optional when its ---@param says `name?`. Other classes (shapes of
// arguments and results, with fields only) are returned by name, with
// their fields.
func defsAPI(t *testing.T, dir string) (*api, map[string]*class) {
	a := newAPI()
	shapes := map[string]*class{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.lua"))
	if len(files) == 0 {
		t.Fatalf("no definitions in %s", dir)
	}
	locals := map[string]string{}  // local name -> class, per file
	modules := map[string]string{} // local name -> require-only module, per file
	// addTable records a module's table: a global, or a field of the
	// module its name is in.
	addTable := func(name string) {
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			a.addValue(name[:i], name[i+1:])
		} else {
			a.addValue("_G", name)
		}
	}
	for _, file := range files {
		clear(locals)
		clear(modules)
		meta := ""
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		var (
			cls      string // the ---@class above, not yet bound
			clsInfo  *class
			optional = map[string]bool{}
			typed    bool // a ---@type above
		)
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			at := fmt.Sprintf("%s:%d", filepath.Base(file), n)
			if m := defMetaRe.FindStringSubmatch(line); m != nil {
				meta = m[1]
				continue
			}
			if m := defClassRe.FindStringSubmatch(line); m != nil {
				cls, clsInfo = m[1], &class{parent: m[2], methods: map[string][]param{}, fields: map[string]bool{}}
				shapes[cls] = clsInfo
				continue
			}
			if m := defFieldRe.FindStringSubmatch(line); m != nil && clsInfo != nil {
				clsInfo.fields[m[1]] = true
				continue
			}
			if m := defParamRe.FindStringSubmatch(line); m != nil {
				optional[m[1]] = m[2] == "?"
				continue
			}
			if strings.HasPrefix(line, "---@type") {
				typed = true
				continue
			}
			if strings.HasPrefix(line, "---") || defIgnoreRe.MatchString(line) && !strings.HasPrefix(line, "---") {
				if line == "" {
					cls, clsInfo, typed = "", nil, false
				}
				continue
			}
			switch m := (struct{ table, fn, value []string }{defTableRe.FindStringSubmatch(line), defFuncRe.FindStringSubmatch(line), defValueRe.FindStringSubmatch(line)}); {
			case m.table != nil:
				name := m.table[2]
				switch {
				case cls == "" && typed && m.table[1] == "":
					addTable(name)
				case cls == "":
					t.Errorf("%s: %s = {} with no ---@class above it", at, name)
				case m.table[1] != "" && strings.Contains(name, "."):
					t.Errorf("%s: local %s", at, name)
				case m.table[1] != "" && cls == meta: // a require-only module
					modules[name] = cls
					for f := range clsInfo.fields {
						a.addValue(cls, f)
					}
					delete(shapes, cls)
				case m.table[1] != "":
					locals[name] = cls
					c := a.class(cls)
					c.parent, c.self, c.fields = clsInfo.parent, name, clsInfo.fields
					delete(shapes, cls)
				default: // a module
					addTable(name)
					for f := range clsInfo.fields {
						a.addValue(name, f)
					}
					delete(shapes, cls)
				}
			case m.fn != nil:
				owner, sep, name := m.fn[1], m.fn[2], m.fn[3]
				var ps []param
				for _, p := range strings.Split(m.fn[4], ",") {
					if p = strings.TrimSpace(p); p != "" {
						ps = append(ps, param{p, p == "..." || optional[p]})
					}
				}
				switch {
				case sep == ":" && locals[owner] != "":
					a.class(locals[owner]).methods[name] = ps
				case sep == ":":
					t.Errorf("%s: method of %s, which is no class's local", at, owner)
				case owner == "":
					a.addFunc("_G", name, ps)
				case locals[owner] != "":
					t.Errorf("%s: %s.%s: declare methods with ':'", at, owner, name)
				case modules[owner] != "":
					a.addFunc(modules[owner], name, ps)
				default:
					a.addFunc(owner, name, ps)
				}
			case m.value != nil:
				a.addValue(m.value[1], m.value[2])
			default:
				t.Errorf("%s: a line the check does not understand: %s", at, line)
			}
			cls, clsInfo, typed = "", nil, false
			clear(optional)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return a, shapes
}

// TestLuaLSDefinitionsMatchRegistry holds docs/lua, the definitions for
// lua-language-server (generated from the registry), to the registry and
// to what a live VM has, both ways, as an editor reads them: every registered
// function and method is defined with the same parameters (names, and
// which are optional), every constant, module field, object field and
// error field is defined, and nothing is defined that scripts do not
// get. Classes that only describe the shape of an argument or a result
// (socket.addrinfo) are allowed, named after their module.
func TestLuaLSDefinitionsMatchRegistry(t *testing.T) {
	reg, globals := registryAPI(t)
	def, shapes := defsAPI(t, lualsDir)
	how := "; run `" + luaapi.LuaLSCommand + "`, which generates docs/lua from the registry"

	for _, module := range sortedKeys(reg.funcs) {
		for _, name := range sortedKeys(reg.funcs[module]) {
			want := reg.funcs[module][name]
			got, ok := def.funcs[module][name]
			switch {
			case !ok:
				t.Errorf("%s.%s%s is registered but not defined%s", module, name, paramsString(want), how)
			case !slices.Equal(got, want):
				t.Errorf("%s.%s: defined as %s, registered as %s%s", module, name, paramsString(got), paramsString(want), how)
			}
		}
	}
	for _, module := range sortedKeys(def.funcs) {
		for _, name := range sortedKeys(def.funcs[module]) {
			if _, ok := reg.funcs[module][name]; !ok {
				t.Errorf("%s.%s is defined but not registered", module, name)
			}
		}
	}
	for _, module := range sortedKeys(reg.values) {
		for _, name := range sortedKeys(reg.values[module]) {
			if module == "_G" && (def.funcs[name] != nil || def.values[name] != nil) {
				continue // a module's global
			}
			if !def.values[module][name] {
				t.Errorf("%s.%s is in the VM but not defined%s", module, name, how)
			}
		}
	}
	for _, module := range sortedKeys(def.values) {
		for _, name := range sortedKeys(def.values[module]) {
			if !reg.values[module][name] && !(module == "_G" && globals[name]) {
				t.Errorf("%s.%s is defined but no script sees it", module, name)
			}
		}
	}
	for _, name := range sortedKeys(reg.classes) {
		want, got := reg.classes[name], def.classes[name]
		if got == nil && len(want.methods) == 0 {
			got = shapes[name] // a value with fields only: socket.error
		}
		if got == nil {
			t.Errorf("class %s (an object scripts get) is not defined%s", name, how)
			continue
		}
		if got.parent != want.parent {
			t.Errorf("class %s: defined with parent %q, registered with %q", name, got.parent, want.parent)
		}
		if len(want.methods) > 0 && got.self != want.self {
			t.Errorf("class %s: methods defined on %q, the docs call it %q", name, got.self, want.self)
		}
		for _, m := range sortedKeys(want.methods) {
			if ps, ok := got.methods[m]; !ok {
				t.Errorf("%s:%s%s is registered but not defined%s", want.self, m, paramsString(want.methods[m]), how)
			} else if !slices.Equal(ps, want.methods[m]) {
				t.Errorf("%s:%s: defined as %s, registered as %s%s", want.self, m, paramsString(ps), paramsString(want.methods[m]), how)
			}
		}
		for _, m := range sortedKeys(got.methods) {
			if _, ok := want.methods[m]; !ok {
				t.Errorf("%s:%s is defined but not registered", got.self, m)
			}
		}
		for _, f := range sortedKeys(want.fields) {
			if !got.fields[f] {
				t.Errorf("%s.%s (a field) is not defined%s", name, f, how)
			}
		}
		for _, f := range sortedKeys(got.fields) {
			if !want.fields[f] {
				t.Errorf("%s.%s is defined as a field but objects have none", name, f)
			}
		}
	}
	for _, name := range sortedKeys(def.classes) {
		if reg.classes[name] == nil {
			t.Errorf("class %s has methods but is no registered type", name)
		}
	}
	for _, name := range sortedKeys(shapes) {
		module, _, ok := strings.Cut(name, ".")
		if !ok || def.funcs[module] == nil {
			t.Errorf("class %s: a shape class must be named after its module (socket.addrinfo)", name)
		}
	}
}

// TestLuaLSAddressFields checks the fields the definitions give an
// address (socket.address) are there on one a call returns.
func TestLuaLSAddressFields(t *testing.T) {
	_, shapes := defsAPI(t, lualsDir)
	addr := shapes["socket.address"]
	if addr == nil {
		t.Fatal("socket.address is not defined")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := &runner.Env{Stdin: strings.NewReader(""), Stdout: &lockedWriter{}, Stderr: &lockedWriter{}, Dir: "."}
	vm := runner.Embed(ctx, env, luaapi.Config{Version: runner.Version}, "defs.lua")
	defer vm.Close()
	err := vm.Run(func(L *lua.LState) {
		if err := L.DoString(`local s = socket.socket(); s:bind({"127.0.0.1", 0}); addr = s:getsockname(); s:close()`); err != nil {
			L.RaiseError("%v", err)
		}
		v := L.GetGlobal("addr")
		for _, f := range sortedKeys(addr.fields) {
			if L.GetField(v, f) == lua.LNil {
				t.Errorf("socket.address defines %s, which an address has not", f)
			}
		}
	})
	if err != nil {
		msg, trace := runner.DescribeError(err)
		t.Fatalf("%s\n%s", msg, trace)
	}
}

// TestLuaLSDefinitionsCurrent checks that docs/lua is what the registry
// generates, file for file, and holds nothing else: the definitions are
// never edited by hand. constants.lua holds Linux's values, so elsewhere
// it is not compared.
func TestLuaLSDefinitionsCurrent(t *testing.T) {
	how := "run `" + luaapi.LuaLSCommand + "` (or `go generate ./docs`) to make docs/lua again"
	want := map[string]bool{}
	for _, f := range luaapi.LuaLSFiles() {
		want[f.Name] = true
		if f.Name == luaapi.LuaLSConstantsFile && runtime.GOOS != "linux" {
			continue
		}
		got, err := os.ReadFile(filepath.Join(lualsDir, f.Name))
		if err != nil {
			t.Errorf("docs/lua/%s is missing: %s", f.Name, how)
			continue
		}
		if string(got) != string(f.Data) {
			t.Errorf("docs/lua/%s is not what the registry generates: %s", f.Name, how)
		}
	}
	files, _ := filepath.Glob(filepath.Join(lualsDir, "*"))
	for _, file := range files {
		if !want[filepath.Base(file)] {
			t.Errorf("docs/lua/%s is not generated from the registry: remove it, or %s", filepath.Base(file), how)
		}
	}
}

// TestLuaLSDefinitionsCompile checks every definitions file is valid Lua.
func TestLuaLSDefinitionsCompile(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(lualsDir, "*.lua"))
	for _, file := range files {
		L := lua.NewState(lua.Options{SkipOpenLibs: true})
		if _, err := L.LoadFile(file); err != nil {
			t.Errorf("%v", err)
		}
		L.Close()
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
