package runner

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/runner/host"
	"github.com/spf13/cobra"
)

// newLspDefsCmd is `sockrun lsp-defs DIR`: it writes the definitions of
// sockrun's modules for lua-language-server into DIR, generated from the
// registry, so that an editor completes and type-checks scripts. In this
// repository, `go run . lsp-defs docs/lua` makes docs/lua again.
func newLspDefsCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "lsp-defs DIR",
		Short: "Write definitions of sockrun's API for lua-language-server into DIR",
		Long: `lsp-defs writes the definitions (---@meta files) of every module, function,
method, field and constant sockrun gives scripts into DIR, for lua-language-server
(LuaLS): add DIR to its workspace.library setting (.luarc.json:
{"workspace.library": ["DIR"], "runtime.version": "Lua 5.1"}).`,
		Args: func(cmd *cobra.Command, args []string) error {
			// No default directory: definitions written where nobody
			// looks would be a silent mistake.
			const how = "sockrun lsp-defs DIR\n(then name DIR in your .luarc.json's workspace.library; a clone of sockrun has them in docs/lua)"
			switch len(args) {
			case 0:
				return &exitError{code: host.ExitUsage, msg: "lsp-defs needs the directory to write the definitions into: " + how}
			case 1:
				return nil
			}
			return &exitError{code: host.ExitUsage, msg: fmt.Sprintf("lsp-defs writes into one directory, got %d: %s", len(args), how)}
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			files := luaapi.LuaLSFiles()
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
