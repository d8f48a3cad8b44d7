package lua51

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Names in runtime errors. gopher-lua's runtime errors do not say which
// variable is at fault: "attempt to index a non-table object(nil) with key
// 'socket'", "attempt to call a non-function object", "cannot perform add
// operation between nil and number". lua5.1 names it: "attempt to index
// global 'sockt' (a nil value)". The rewrite pass records, for each line of
// each chunk, what is behind every index, call, arithmetic and length there
// (a site: "global 'sockt'" indexed with key "socket"); Explain turns a
// message of gopher-lua's into lua5.1's by the sites of its line, naming
// the variable when the line leaves no doubt which it is.

// siteKind is the operation a site performs.
type siteKind uint8

const (
	siteIndex siteKind = iota
	siteCall
	siteArith
	siteUnm
	siteLen
)

// site is one operation on a line that may fail, and what lua5.1 names its
// operands. Sites are kept for every chunk compiled, so a site is small
// (40 bytes) and its strings are shared within a chunk.
type site struct {
	line  int32
	kind  siteKind
	op    arithOp // an arithmetic's operator
	keyed bool
	// desc names the value indexed, called, measured or negated ("global
	// 'x'", "field 'k'", "method 'm'"; "" for a value without a name),
	// or an arithmetic's left operand.
	desc string
	// other is an index's key as gopher-lua's message writes it, if the
	// key is a literal (keyed: any key matches an index whose key is not);
	// an arithmetic's right operand; or, for a call, a length or a unary
	// minus, whose messages do not say the value's type, the value's way
	// from the globals, its names joined by NUL ("socket\x00spwan"), ""
	// if it is not reached from the globals by names.
	other string
}

// arithOp is an arithmetic operator, numbered as arithNames.
type arithOp uint8

// arithNames are gopher-lua's names of the arithmetic operators in its
// messages ("cannot perform add operation"), by arithOp.
var arithNames = [...]string{"", "add", "sub", "mul", "div", "mod", "pow"}

// arithOps are the arithmetic operators by their Lua token.
var arithOps = map[string]arithOp{"+": 1, "-": 2, "*": 3, "/": 4, "%": 5, "^": 6}

// addSite records s at node's line.
func (r *rewriter) addSite(node ast.PositionHolder, s site) {
	s.line = int32(node.Line())
	s.desc, s.other = r.intern(s.desc), r.intern(s.other)
	r.sites = append(r.sites, s)
}

// intern is s, shared with the equal strings of the chunk's other sites.
func (r *rewriter) intern(s string) string {
	if s == "" {
		return ""
	}
	if r.strings == nil {
		r.strings = map[string]string{}
	}
	if t, ok := r.strings[s]; ok {
		return t
	}
	r.strings[s] = s
	return s
}

// indexSite records the indexing of obj by key at node's line.
func (r *rewriter) indexSite(node ast.PositionHolder, obj, key ast.Expr) {
	s := site{kind: siteIndex, desc: r.describe(obj)}
	switch k := key.(type) {
	case *ast.StringExpr:
		s.other, s.keyed = k.Value, true
	case *ast.NumberExpr:
		if n, err := parseNumber(k.Value); err == nil {
			s.other, s.keyed = lua.LNumber(n).String(), true
		}
	}
	r.addSite(node, s)
}

// callSite records the call ex.
func (r *rewriter) callSite(ex *ast.FuncCallExpr) {
	s := site{kind: siteCall}
	if ex.Func != nil {
		s.desc = r.describe(ex.Func)
		s.other = r.globalPath(ex.Func)
	} else {
		// obj:m() indexes obj with "m", then calls the method.
		r.indexSite(ex, ex.Receiver, &ast.StringExpr{Value: ex.Method})
		s.desc = "method '" + ex.Method + "'"
		if p := r.globalPath(ex.Receiver); p != "" {
			s.other = p + "\x00" + ex.Method
		}
	}
	r.addSite(ex, s)
}

// globalPath is e's way from the globals by names, joined by NUL, or "".
func (r *rewriter) globalPath(e ast.Expr) string {
	switch ex := e.(type) {
	case *ast.IdentExpr:
		if r.resolve(ex.Value) == varGlobal {
			return ex.Value
		}
	case *ast.AttrGetExpr:
		k, ok := ex.Key.(*ast.StringExpr)
		if !ok {
			return ""
		}
		if p := r.globalPath(ex.Object); p != "" {
			return p + "\x00" + k.Value
		}
	}
	return ""
}

// The sites of every chunk compiled, by its name, in the order of their
// lines, for Explain: a chunk compiled again or another of the same name
// adds its sites to the name's (a line with more than one candidate names
// none). The oldest names are forgotten past maxChunkSites.
const maxChunkSites = 1024

var chunkSites = struct {
	sync.Mutex
	byName map[string][]site
	order  []string
}{byName: map[string][]site{}}

// registerSites keeps the sites of the chunk name.
func registerSites(name string, sites []site) {
	if len(sites) == 0 {
		return
	}
	chunkSites.Lock()
	defer chunkSites.Unlock()
	old, ok := chunkSites.byName[name]
	if !ok {
		if len(chunkSites.order) >= maxChunkSites {
			delete(chunkSites.byName, chunkSites.order[0])
			chunkSites.order = chunkSites.order[1:]
		}
		chunkSites.order = append(chunkSites.order, name)
		sites = append(make([]site, 0, len(sites)), sites...)
	} else {
		for _, s := range sites {
			if !slices.Contains(old, s) {
				old = append(old, s)
			}
		}
		sites = old
	}
	slices.SortStableFunc(sites, func(a, b site) int { return int(a.line) - int(b.line) })
	chunkSites.byName[name] = sites
}

// lineSites are the sites recorded for line of chunk.
func lineSites(chunk string, line int) []site {
	chunkSites.Lock()
	defer chunkSites.Unlock()
	sites := chunkSites.byName[chunk]
	i, _ := slices.BinarySearchFunc(sites, int32(line), func(s site, l int32) int { return int(s.line) - int(l) })
	j := i
	for j < len(sites) && sites[j].line == int32(line) {
		j++
	}
	return sites[i:j]
}

// lazyRegexp returns a function that compiles expr at its first call
// and returns the same *regexp.Regexp at every call: a regexp at package
// level costs every run its compilation at start-up, used or not.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// gopherError matches a message of a runtime error, "chunk:line: text".
var gopherError = lazyRegexp(`^(.*?):(\d+): (.*)$`)

// The messages of gopher-lua's runtime errors Explain rewrites.
var (
	indexError   = lazyRegexp(`^attempt to index a non-table object\((\w+)\) with key '(.*)'$`)
	arithError   = lazyRegexp(`^cannot perform (\w+) operation between (\w+) and (\w+)$`)
	unmError     = "__unm undefined"
	unmTypeError = lazyRegexp(`^cannot perform unm operation on (\w+)$`)
	lenError     = "__len undefined"
	callError    = "attempt to call a non-function object"
	compareError = lazyRegexp(`^attempt to compare (\w+) with (\w+)$`)
)

// plainErrors are gopher-lua's messages that name no variable, with
// lua5.1's for each: a numeric for's bounds that are not numbers, and a
// chain of __index or __newindex tables that loops.
var plainErrors = map[string]string{
	"for statement init must be a number":  "'for' initial value must be a number",
	"for statement limit must be a number": "'for' limit must be a number",
	"for statement step must be a number":  "'for' step must be a number",
	"too many recursions in gettable":      "loop in gettable",
	"too many recursions in settable":      "loop in settable",
}

// Explain rewrites the message of a gopher-lua runtime error into lua5.1's,
// naming the variable at fault where the line it happened on leaves no
// doubt which it is: "x.lua:3: attempt to index a non-table object(nil)
// with key 'socket'" becomes "x.lua:3: attempt to index global 'sockt' (a
// nil value)"; else lua5.1's message without a name ("attempt to index a
// nil value"). Any other message is returned as it is.
//
// A call, a length or a unary minus gopher-lua's message does not give the
// type of: it is looked up in L's globals when the value is reached from
// them by names ("socket.spwan"), as lua5.1 would say it; otherwise the
// message says "(not a function)", "(no length)" or "(not a number)"
// instead of the type. A call the line does not tell keeps gopher-lua's
// message. L may be nil.
//
// It is for messages of errors that just happened in L: the runner's
// report of an uncaught error and the value pcall returns.
func Explain(L *lua.LState, msg string) string {
	if strings.Contains(msg, "for statement ") || strings.Contains(msg, "too many recursions in ") {
		for gopher, lua51 := range plainErrors {
			if strings.HasSuffix(msg, gopher) {
				return strings.TrimSuffix(msg, gopher) + lua51
			}
		}
	}
	if !strings.Contains(msg, "attempt to ") && !strings.Contains(msg, "cannot perform ") && !strings.HasSuffix(msg, " undefined") {
		return msg // not a runtime error Explain words: no regexp
	}
	m := gopherError().FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	line, err := strconv.Atoi(m[2])
	if err != nil {
		return msg
	}
	prefix, text := m[1]+":"+m[2]+": ", m[3]
	if cm := compareError().FindStringSubmatch(text); cm != nil {
		if cm[1] == cm[2] {
			return prefix + "attempt to compare two " + cm[1] + " values"
		}
		return msg
	}
	sites := lineSites(m[1], line)
	switch {
	case indexError().MatchString(text):
		im := indexError().FindStringSubmatch(text)
		desc, _ := only(sites, func(s site) (string, bool) {
			return s.desc, s.kind == siteIndex && (!s.keyed || s.other == im[2])
		})
		return prefix + typeMessage("index", desc, im[1])
	case arithError().MatchString(text):
		am := arithError().FindStringSubmatch(text)
		// lua5.1 blames the left operand unless it is a number (or a
		// string that is one, which gopher-lua's message gives as a
		// number).
		blameLeft := am[2] != "number"
		typ := am[3]
		if blameLeft {
			typ = am[2]
		}
		desc, _ := only(sites, func(s site) (string, bool) {
			if blameLeft {
				return s.desc, s.kind == siteArith && arithNames[s.op] == am[1]
			}
			return s.other, s.kind == siteArith && arithNames[s.op] == am[1]
		})
		return prefix + typeMessage("perform arithmetic on", desc, typ)
	case unmTypeError().MatchString(text):
		typ := unmTypeError().FindStringSubmatch(text)[1]
		desc, _ := only(sites, func(s site) (string, bool) { return s.desc, s.kind == siteUnm })
		return prefix + typeMessage("perform arithmetic on", desc, typ)
	case text == unmError:
		m, _ := untypedMessage(L, sites, "perform arithmetic on", "not a number", func(s site) bool {
			return s.kind == siteUnm
		})
		return prefix + m
	case text == lenError:
		m, _ := untypedMessage(L, sites, "get length of", "no length", func(s site) bool { return s.kind == siteLen })
		return prefix + m
	case text == callError:
		if m, ok := untypedMessage(L, sites, "call", "not a function", func(s site) bool { return s.kind == siteCall }); ok {
			return prefix + m
		}
	}
	return msg
}

// only is the one name the sites that match give (in gives a site's name
// and whether it matches), or "" if they give none or more than one; ok
// reports whether any site matched.
func only(sites []site, in func(site) (string, bool)) (name string, ok bool) {
	var found []string
	for _, s := range sites {
		if n, match := in(s); match {
			ok = true
			if len(found) == 0 || found[0] != n {
				found = append(found, n)
			}
		}
	}
	if len(found) != 1 {
		return "", ok
	}
	return found[0], ok
}

// typeMessage is lua5.1's message for operation op on a value of type typ
// named desc ("" for none).
func typeMessage(op, desc, typ string) string {
	if desc != "" {
		return "attempt to " + op + " " + desc + " (a " + typ + " value)"
	}
	return "attempt to " + op + " a " + typ + " value"
}

// untypedMessage is the message for operation op, which gopher-lua's
// message does not give the type of, on the value of the one site of sites
// that matches: lua5.1's when the type is found in L's globals, else with
// what instead of the type; ok is false when no one site matches. A call
// site whose value the globals show to be a function is not the one that
// failed (the value a generic for calls is no site).
func untypedMessage(L *lua.LState, sites []site, op, what string, match func(site) bool) (msg string, ok bool) {
	var found *site
	for i, s := range sites {
		if !match(s) {
			continue
		}
		if typ, known := globalType(L, s.other); known && op == "call" && typ == "function" {
			continue
		}
		if found != nil && (found.desc != s.desc || found.other != s.other) {
			return "attempt to " + op + " a value (" + what + ")", false
		}
		found = &sites[i]
	}
	if found == nil {
		return "attempt to " + op + " a value (" + what + ")", false
	}
	if typ, known := globalType(L, found.other); known {
		return typeMessage(op, found.desc, typ), true
	}
	if found.desc == "" {
		return "attempt to " + op + " a value (" + what + ")", true
	}
	return "attempt to " + op + " " + found.desc + " (" + what + ")", true
}

// globalType is the type of the value at path (names joined by NUL) from
// L's globals, read without metamethods.
func globalType(L *lua.LState, path string) (string, bool) {
	if L == nil || path == "" {
		return "", false
	}
	var v lua.LValue = L.G.Global
	for _, name := range strings.Split(path, "\x00") {
		t, ok := v.(*lua.LTable)
		if !ok {
			return "", false
		}
		v = t.RawGetString(name)
	}
	return v.Type().String(), true
}
