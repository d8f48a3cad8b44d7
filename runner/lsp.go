package runner

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sockrun/sockrun/docs"
	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/runner/host"
	"github.com/spf13/cobra"
)

// newLspDefsCmd is `sockrun lsp-defs DIR`: it writes the definitions of
// sockrun's modules for lua-language-server into DIR, the hand-written
// files as the binary embeds them and the constants generated from the
// registry, so that an editor completes and type-checks scripts.
func newLspDefsCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "lsp-defs DIR",
		Short: "Write definitions of sockrun's API for lua-language-server into DIR",
		Long: `lsp-defs writes the definitions (---@meta files) of every module, function,
method, field and constant sockrun gives scripts into DIR, for lua-language-server
(LuaLS): add DIR to its workspace.library setting (.luarc.json:
{"workspace.library": ["DIR"], "runtime.version": "Lua 5.1"}).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := LuaLSFiles()
			if err != nil {
				return &exitError{code: host.ExitError, msg: err.Error()}
			}
			dir := args[0]
			if !filepath.IsAbs(dir) && env.Dir != "" {
				dir = filepath.Join(env.Dir, dir)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return &exitError{code: host.ExitError, msg: err.Error()}
			}
			for _, f := range files {
				if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
					return &exitError{code: host.ExitError, msg: err.Error()}
				}
			}
			fmt.Fprintf(env.Stdout, "wrote %d files to %s\n", len(files), args[0])
			return nil
		},
	}
}

// LuaLSFile is one file of the definitions for lua-language-server.
type LuaLSFile struct {
	Name string
	Data []byte
}

// LuaLSFiles are the definitions `sockrun lsp-defs` writes: the
// hand-written files of docs/lua and the constants generated now from
// the registry (this system's values), in name order.
func LuaLSFiles() ([]LuaLSFile, error) {
	names, err := fs.Glob(docs.LuaLS, "lua/*.lua")
	if err != nil {
		return nil, err
	}
	var files []LuaLSFile
	for _, name := range names {
		base := path.Base(name)
		if base == luaapi.LuaLSConstantsFile {
			continue
		}
		data, err := fs.ReadFile(docs.LuaLS, name)
		if err != nil {
			return nil, err
		}
		files = append(files, LuaLSFile{base, data})
	}
	files = append(files, LuaLSFile{luaapi.LuaLSConstantsFile, luaapi.LuaLSConstants()})
	slices.SortFunc(files, func(a, b LuaLSFile) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}
