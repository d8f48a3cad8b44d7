package lua51

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Concatenation. gopher-lua's ".." writes a number with Go's formatting
// (1e15 .. "" is "1000000000000000", 0.1 + 0.2 .. "" is
// "0.30000000000000004"); Lua 5.1 writes it with "%.14g" (FormatNumber).
// So a chain of ".." whose operands may be numbers is compiled as one call
// of a helper that concatenates them as Lua 5.1's luaV_concat does: runs of
// strings and numbers joined at once, right to left, a __concat metamethod
// for any other pair, and Lua 5.1's error naming the operand
// ("attempt to concatenate global 'x' (a nil value)").
//
// A chain whose operands are all string literals, nested chains, or number
// literals that both formattings write alike stays gopher-lua's own
// instruction. Each chain's helper knows its operands' names for the error
// message; chains whose operands have the same names share one.

// concat rewrites a chain of "..".
func (r *rewriter) concat(ex *ast.StringConcatOpExpr) ast.Expr {
	// "a .. b .. c" is a .. (b .. c): the chain is the right spine.
	var ops []ast.Expr
	var spine []*ast.StringConcatOpExpr
	var cur ast.Expr = ex
	for {
		c, ok := cur.(*ast.StringConcatOpExpr)
		if !ok {
			ops = append(ops, cur)
			break
		}
		spine = append(spine, c)
		ops = append(ops, c.Lhs)
		cur = c.Rhs
	}
	safe := true
	for i, op := range ops {
		ops[i] = r.expr(op)
		if !r.concatSafe(ops[i]) {
			safe = false
		}
	}
	if safe {
		for i, c := range spine {
			c.Lhs = ops[i]
			if i == len(spine)-1 {
				c.Rhs = ops[i+1]
			}
		}
		return ex
	}
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = r.describe(op)
	}
	key := strings.Join(names, "\x00")
	name, ok := r.concatSites[key]
	if !ok {
		name = r.addHelper(concatHelper(names))
		r.concatSites[key] = name
	}
	for i, op := range ops {
		// An operand gives one value: "a" .. f() is a and f()'s first.
		ops[i] = adjusted(op)
	}
	call := helper(name, ex, ops...)
	call.AdjustRet = true
	return call
}

// concatSafe reports whether gopher-lua's ".." gives operand e's text as
// Lua 5.1 does: a string literal, a chain (whose value is a string), or a
// number literal both write alike.
func (r *rewriter) concatSafe(e ast.Expr) bool {
	switch ex := e.(type) {
	case *ast.StringExpr, *ast.StringConcatOpExpr:
		return true
	case *ast.NumberExpr:
		n, err := parseNumber(ex.Value)
		return err == nil && lua.LNumber(n).String() == FormatNumber(n)
	case *ast.FuncCallExpr:
		// A chain rewritten into a helper's call.
		s, ok := ex.Func.(*ast.StringExpr)
		return ok && strings.HasPrefix(s.Value, r.marker)
	}
	return false
}

// describe is how Lua 5.1's messages name the value of e: "local 'x'",
// "upvalue 'x'", "global 'x'", "field 'k'" ("field '?'" for a key that is
// not a string literal), or "" for a value with no name.
func (r *rewriter) describe(e ast.Expr) string {
	switch ex := e.(type) {
	case *ast.IdentExpr:
		switch r.resolve(ex.Value) {
		case varLocal:
			return "local '" + ex.Value + "'"
		case varUpvalue:
			return "upvalue '" + ex.Value + "'"
		}
		return "global '" + ex.Value + "'"
	case *ast.AttrGetExpr:
		if k, ok := ex.Key.(*ast.StringExpr); ok {
			return "field '" + k.Value + "'"
		}
		return "field '?'"
	}
	return ""
}

// concatHelper is the helper of the chains whose operands are named names.
func concatHelper(names []string) helperFunc {
	return func(L *lua.LState) int { return concatValues(L, names) }
}

// concatValues concatenates the arguments as Lua 5.1 does, naming operand
// i names[i] in an error.
func concatValues(L *lua.LState, names []string) int {
	n := L.GetTop()
	size := 0
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			size += len(v)
		case lua.LNumber:
			size += 24
		default:
			return concatSlow(L, names, n)
		}
	}
	if size >= BigString {
		vals := make([]lua.LValue, n)
		for i := range vals {
			vals[i] = L.Get(i + 1)
		}
		L.Push(concatBig(L, vals, size))
		return 1
	}
	var b strings.Builder
	b.Grow(size)
	var num [32]byte
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			b.WriteString(string(v))
		case lua.LNumber:
			b.Write(AppendNumber(num[:0], float64(v)))
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// isText reports whether v is a string or a number, which ".." takes as
// text.
func isText(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

// concatSlow is Lua 5.1's luaV_concat over the n arguments, some of which
// are neither strings nor numbers: from the right, a run of strings and
// numbers is joined, any other pair goes to a __concat metamethod.
func concatSlow(L *lua.LState, names []string, n int) int {
	vals := make([]lua.LValue, n)
	for i := range vals {
		vals[i] = L.Get(i + 1)
	}
	for total := n; total > 1; {
		top := total - 1
		a, b := vals[top-1], vals[top]
		if !isText(a) || !isText(b) {
			mm := L.GetMetaField(a, "__concat")
			if mm == lua.LNil {
				mm = L.GetMetaField(b, "__concat")
			}
			if mm == lua.LNil {
				blame := top - 1
				if isText(a) {
					blame = top
				}
				name := ""
				if blame < len(names) {
					name = names[blame]
				}
				L.RaiseError("%s", opError("concatenate", name, vals[blame]))
			}
			L.Push(mm)
			L.Push(a)
			L.Push(b)
			L.Call(2, 1)
			vals[top-1] = L.Get(-1)
			L.Pop(1)
			total--
			continue
		}
		k := 2
		for k < total && isText(vals[top-k]) {
			k++
		}
		run := vals[top-k+1 : top+1]
		size := 0
		for _, v := range run {
			if s, ok := v.(lua.LString); ok {
				size += len(s)
			} else {
				size += 24
			}
		}
		if size >= BigString {
			vals[top-k+1] = concatBig(L, run, size)
			total -= k - 1
			continue
		}
		var sb strings.Builder
		sb.Grow(size)
		var num [32]byte
		for _, v := range run {
			if s, ok := v.(lua.LString); ok {
				sb.WriteString(string(s))
			} else {
				sb.Write(AppendNumber(num[:0], float64(v.(lua.LNumber))))
			}
		}
		vals[top-k+1] = lua.LString(sb.String())
		total -= k - 1
	}
	L.Push(vals[0])
	return 1
}

// concatBig joins vals, strings and numbers whose text is size bytes long
// at most (size >= BigString), as concatValues does: it asks the host
// whether so large a string may be made (Reserve raises if not), and
// copies without the interpreter lock.
func concatBig(L *lua.LState, vals []lua.LValue, size int) lua.LString {
	Reserve(L, int64(size))
	parts := make([]string, len(vals))
	var num [32]byte
	for i, v := range vals {
		switch v := v.(type) {
		case lua.LString:
			parts[i] = string(v)
		case lua.LNumber:
			parts[i] = string(AppendNumber(num[:0], float64(v)))
		}
	}
	var s string
	Unlocked(L, int64(size), func() { s = strings.Join(parts, "") })
	return lua.LString(s)
}

// opError is Lua 5.1's message for an operation op on a value v of the
// wrong type, named name ("" if it has none): "attempt to concatenate
// global 'x' (a nil value)", "attempt to concatenate a nil value".
func opError(op, name string, v lua.LValue) string {
	if name != "" {
		return "attempt to " + op + " " + name + " (a " + v.Type().String() + " value)"
	}
	return "attempt to " + op + " a " + v.Type().String() + " value"
}
