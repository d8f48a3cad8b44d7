package lua51

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Compile compiles one chunk of Lua source, named name in messages and
// tracebacks, into the prototype every function made from it shares.
func Compile(src, name string) (*lua.FunctionProto, error) {
	stmts, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, err
	}
	return lua.Compile(stmts, name)
}
