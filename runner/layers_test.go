package runner

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/sockrun/sockrun/"

// layers says, for each package of runner/, which of sockrun's packages
// it may import (a name ending in "/..." stands for the packages under
// it too). Only runner itself, the command line, may import cobra, viper
// or pflag.
var layers = map[string][]string{
	"runner":         {"luaapi/...", "docs", "runner/host", "runner/trace", "runner/live", "runner/metrics", "runner/prompt", "runner/repr"},
	"runner/metrics": {"luaapi/metricset", "runner/host"},
	"runner/host":    {"luaapi/..."},
	"runner/trace":   {"luaapi/...", "runner/repr"},
	"runner/live":    {"runner/trace"},
	"runner/prompt":  {"luaapi/...", "runner/host", "runner/repr"},
	"runner/repr":    {"luaapi/lua51"},
}

// commandLine are the libraries only the command line uses.
var commandLine = []string{"github.com/spf13/cobra", "github.com/spf13/viper", "github.com/spf13/pflag"}

// TestLayers reads the imports of every Go file under runner/ and fails
// on one that goes against layers: a renderer or the prompt importing the
// command line, the host importing the trace, and so on. A new package
// must be given its place in layers.
func TestLayers(t *testing.T) {
	imports := map[string]map[string]bool{} // package: what its files import
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		pkg := filepath.ToSlash(filepath.Join("runner", filepath.Dir(path)))
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		if imports[pkg] == nil {
			imports[pkg] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == module+"internal/testenv" && strings.HasSuffix(path, "_test.go") {
				continue // what tests do when a tool is missing: any package's tests may
			}
			imports[pkg][p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"runner", "runner/host", "runner/trace", "runner/live", "runner/metrics", "runner/prompt", "runner/repr"} {
		if imports[pkg] == nil {
			t.Errorf("no Go files found for %s", pkg)
		}
	}
	for pkg, imps := range imports {
		allowed, ok := layers[pkg]
		if !ok {
			t.Errorf("%s has no place in layers (layers_test.go)", pkg)
			continue
		}
		for imp := range imps {
			if slices.Contains(commandLine, imp) && pkg != "runner" {
				t.Errorf("%s imports %s: only the command line (runner) may", pkg, imp)
			}
			local, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			if !slices.ContainsFunc(allowed, func(a string) bool {
				if base, ok := strings.CutSuffix(a, "/..."); ok {
					return local == base || strings.HasPrefix(local, base+"/")
				}
				return local == a
			}) {
				t.Errorf("%s imports %s: it may import only %s", pkg, local, strings.Join(allowed, ", "))
			}
		}
	}
}
