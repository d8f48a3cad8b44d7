package luaapi_test

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The layers of sockrun's packages, lowest first: a package may import only
// packages of lower layers (and the standard library, x/sys, gopher-lua
// where allowed), never one of its own layer or above. The exceptions are
// listed in sameLayer.
//
//	0 core, store, lua51, lpattern, testcerts: Go values, no script modules
//	1 api: the VM, registry, call path, errors every module stands on
//	2 the faces and module families: pysocket, luasocket, ssl, threads,
//	  formats, httpmod, base (and api/apitest, which their tests use)
//	3 luaapi: the assembly the runner imports
//	4 runner and its packages
const modulePath = "github.com/sockrun/sockrun/"

var layers = map[string]int{
	"luaapi/core":        0,
	"luaapi/store":       0,
	"luaapi/metricset":   0,
	"luaapi/lua51":       0,
	"luaapi/lpattern":    0,
	"luaapi/testcerts":   0,
	"luaapi/api":         1,
	"luaapi/api/apitest": 2,
	"luaapi/pysocket":    2,
	"luaapi/luasocket":   2,
	"luaapi/ssl":         2,
	"luaapi/threads":     2,
	"luaapi/formats":     2,
	"luaapi/httpmod":     2,
	"luaapi/metricsmod":  2,
	"luaapi/base":        2,
	"luaapi":             3,
	"runner":             4,
	"docs":               0,
}

// sameLayer are the imports allowed within a layer: ssl wraps the Python
// face's sockets, and the runner's packages are the runner's to arrange.
var sameLayer = map[[2]string]bool{
	{"luaapi/ssl", "luaapi/pysocket"}: true,
}

// noLua are the packages that must not import gopher-lua, tests included:
// the socket core and the store are Lua-free.
var noLua = map[string]bool{"luaapi/core": true, "luaapi/store": true, "luaapi/metricset": true}

// testOnly are the packages only tests may import.
var testOnly = map[string]bool{"luaapi/api/apitest": true, "luaapi/testcerts": true}

// layerOf is pkg's layer: its own entry, or the runner's for a package
// under runner/. ok is false for a package with no layer.
func layerOf(pkg string) (int, bool) {
	if l, ok := layers[pkg]; ok {
		return l, true
	}
	if strings.HasPrefix(pkg, "runner/") {
		return layers["runner"], true
	}
	return 0, false
}

// checkImport is what is wrong with pkg importing imp (both relative to
// the module, imp "" for a path outside it), "" if nothing.
func checkImport(pkg, imp string, test bool) string {
	if imp == "github.com/yuin/gopher-lua" || strings.HasPrefix(imp, "github.com/yuin/gopher-lua/") {
		if noLua[pkg] {
			return pkg + " imports gopher-lua: it must stay Lua-free"
		}
		return ""
	}
	if !strings.HasPrefix(imp, modulePath) {
		return ""
	}
	imp = strings.TrimPrefix(imp, modulePath)
	if test {
		return ""
	}
	lp, ok := layerOf(pkg)
	if !ok {
		return pkg + " has no layer: add it to layers in layers_test.go and say in its doc.go what it may import"
	}
	li, ok := layerOf(imp)
	if !ok {
		return imp + " (imported by " + pkg + ") has no layer: add it to layers in layers_test.go"
	}
	if testOnly[imp] {
		return pkg + " imports " + imp + ", which only tests may import"
	}
	sameRunner := strings.HasPrefix(pkg, "runner") && strings.HasPrefix(imp, "runner")
	switch {
	case li < lp, sameRunner, sameLayer[[2]string{pkg, imp}]:
		return ""
	case li == lp:
		return fmt.Sprintf("%s imports %s: packages of one layer (%d) do not import each other", pkg, imp, lp)
	}
	return fmt.Sprintf("%s (layer %d) imports %s (layer %d): a lower layer never imports a higher one", pkg, lp, imp, li)
}

// TestLayers holds every package of luaapi/ and runner/ to its layer.
func TestLayers(t *testing.T) {
	root := ".."
	seen := map[string]bool{}
	for _, top := range []string{"luaapi", "runner"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") {
				return nil
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			pkg := filepath.ToSlash(rel)
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			seen[pkg] = true
			test := strings.HasSuffix(path, "_test.go")
			for _, spec := range f.Imports {
				imp, _ := strconv.Unquote(spec.Path.Value)
				if msg := checkImport(pkg, imp, test); msg != "" {
					t.Errorf("%s: %s", filepath.ToSlash(path), msg)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var pkgs []string
	for p := range seen {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, want := range []string{"luaapi", "luaapi/api", "luaapi/core", "luaapi/pysocket", "luaapi/luasocket", "runner"} {
		if !seen[want] {
			t.Errorf("package %s not found: the walk missed it (found %v)", want, pkgs)
		}
	}
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join(root, p, "doc.go")); err != nil && strings.HasPrefix(p, "luaapi") && !testOnly[p] && p != "luaapi/lua51" && p != "luaapi/lpattern" {
			t.Errorf("%s has no doc.go saying what it is and what it may import", p)
		}
	}
}

// TestCheckImport checks the rules themselves on imports that break them.
func TestCheckImport(t *testing.T) {
	bad := [][2]string{
		{"luaapi/core", "luaapi/api"},
		{"luaapi/api", "luaapi/pysocket"},
		{"luaapi/pysocket", "luaapi/luasocket"},
		{"luaapi/luasocket", "luaapi/pysocket"},
		{"luaapi/threads", "luaapi/pysocket"},
		{"luaapi/base", "luaapi"},
		{"luaapi", "runner"},
		{"luaapi/pysocket", "luaapi/ssl"},
		{"luaapi/pysocket", "luaapi/api/apitest"},
		{"luaapi/core", "github.com/yuin/gopher-lua"},
		{"luaapi/newthing", "luaapi/api"},
	}
	for _, b := range bad {
		imp := b[1]
		if !strings.Contains(imp, ".") {
			imp = modulePath + imp
		}
		if checkImport(b[0], imp, false) == "" {
			t.Errorf("%s importing %s passes the check", b[0], b[1])
		}
	}
	good := [][2]string{
		{"luaapi/ssl", "luaapi/pysocket"},
		{"luaapi/pysocket", "luaapi/api"},
		{"luaapi/api", "luaapi/core"},
		{"luaapi", "luaapi/threads"},
		{"runner", "luaapi"},
		{"runner/trace", "runner/vm"},
		{"luaapi/api", "github.com/yuin/gopher-lua"},
	}
	for _, g := range good {
		imp := g[1]
		if !strings.Contains(imp, ".") {
			imp = modulePath + imp
		}
		if msg := checkImport(g[0], imp, false); msg != "" {
			t.Errorf("%s importing %s fails the check: %s", g[0], g[1], msg)
		}
	}
}
