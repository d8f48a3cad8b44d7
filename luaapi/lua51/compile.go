package lua51

import (
	"fmt"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// helperFunc is a Go function the rewritten code calls.
type helperFunc = lua.LGFunction

// Compile compiles one chunk of Lua source, named name in messages and
// tracebacks (the name as shown: a file's path, "stdin", `[string "..."]`;
// see ChunkID), into the prototype every function made from it shares.
//
// It is the one compile step of every chunk: a check of Lua 5.1's syntax
// (syntax.go: gopher-lua's parser takes some chunks lua5.1 rejects, and
// says little of those it rejects), gopher-lua's parser, the rewrite pass
// (rewrite.go) over the syntax tree, gopher-lua's compiler, then the
// helpers the rewritten code calls put in place of their constants. The prototype holds no state of any Lua state: one prototype
// may be made into functions of many states (L.NewFunctionFromProto), on
// many goroutines.
//
// A syntax error is a *SyntaxError with Lua 5.1's message; any other
// failure to compile (a function with too many locals, say) an error
// whose text is "name:line: message".
func Compile(src, name string) (proto *lua.FunctionProto, err error) {
	defer func() {
		// lua.Compile turns its own errors into errors but lets any
		// other panic through: none may reach a script, nor one of the
		// rewrite pass.
		if rec := recover(); rec != nil {
			proto, err = nil, fmt.Errorf("%s: cannot compile: %v", name, rec)
		}
	}()
	if se := checkSyntax(src, name); se != nil {
		return nil, se
	}
	stmts, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, parseError(src, name, err)
	}
	r := newRewriter(stmts)
	stmts = r.rewriteChunk(stmts)
	proto, err = lua.Compile(stmts, name)
	if err != nil {
		return nil, compileError(name, err)
	}
	registerSites(name, r.sites)
	if len(r.helpers) > 0 {
		fns := make(map[lua.LString]lua.LValue, len(r.helpers))
		for _, h := range r.helpers {
			fns[lua.LString(h.name)] = &lua.LFunction{IsG: true, GFunction: h.fn}
		}
		placeHelpers(proto, fns)
	}
	return proto, nil
}

// placeHelpers replaces each helper's constant in p and the functions in
// it by the helper's function. The rewritten code loads the constant as
// the function it calls (LOADK), so the call reaches the helper, which no
// script can reach or replace: it is no global, and no string of the
// chunk equals its constant.
func placeHelpers(p *lua.FunctionProto, fns map[lua.LString]lua.LValue) {
	for i, c := range p.Constants {
		if s, ok := c.(lua.LString); ok {
			if fn, ok := fns[s]; ok {
				p.Constants[i] = fn
			}
		}
	}
	for _, child := range p.FunctionPrototypes {
		placeHelpers(child, fns)
	}
}

// compileError is gopher-lua's compile error as Lua writes one:
// "name:line: message".
func compileError(name string, err error) error {
	if ce, ok := err.(*lua.CompileError); ok {
		return fmt.Errorf("%s:%d: %s", name, ce.Line, ce.Message)
	}
	return err
}

// parseNumber is the value of a Lua 5.1 number literal: a decimal number
// or a hexadecimal integer.
func parseNumber(s string) (float64, error) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		n, err := strconv.ParseUint(s[2:], 16, 64)
		return float64(n), err
	}
	return strconv.ParseFloat(s, 64)
}
