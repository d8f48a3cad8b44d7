// Package docs embeds sockrun's documentation in the binary: the
// reference pages, which `sockrun doc` prints sections of, and the
// definitions for lua-language-server, which `sockrun lsp-defs` writes
// out. It has no code of its own.
package docs

import "embed"

// Markdown holds the pages of docs/: api.md, threads.md, ssl.md, ...
//
//go:embed *.md
var Markdown embed.FS

// LuaLS holds the definitions for lua-language-server, lua/*.lua: the
// hand-written ones and the generated constants.lua as committed.
//
//go:embed lua/*.lua
var LuaLS embed.FS
