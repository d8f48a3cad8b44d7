// Package docs embeds sockrun's reference pages in the binary, which
// `sockrun doc` prints sections of. It has no code of its own.
//
// lua/ holds the definitions of the API for lua-language-server, generated
// from the registry (luaapi/api/luals.go); a test fails when they are
// stale. Make them again with `go generate ./docs` (or, from the
// repository's root, `go run . lsp-defs docs/lua`).
package docs

import "embed"

//go:generate go run .. lsp-defs lua

// Markdown holds the pages of docs/: api.md, threads.md, ssl.md, ...
//
//go:embed *.md
var Markdown embed.FS
