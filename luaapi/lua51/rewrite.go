package lua51

import (
	"strconv"
	"strings"

	"github.com/yuin/gopher-lua/ast"
)

// The rewrite pass walks a chunk's syntax tree once, before gopher-lua's
// compiler sees it, and replaces the shapes gopher-lua v1.1.2 compiles
// wrongly by equivalent shapes it compiles rightly:
//
//   - an assignment gopher-lua compiles wrongly evaluates into temporaries
//     first (rewrite_assign.go): every multiple assignment (gopher-lua
//     assigns a local target while it is still evaluating the right-hand
//     side, #440, #315, #158), and to one local "b = x and y" with x false,
//     "b = (...)", "s = (f(s))" to the last parameter; a discarded trailing
//     "..." is dropped;
//   - constant conditions are folded away (rewrite_fold.go): a loop whose
//     body starts with the unconditional jump gopher-lua compiles them to
//     jumps back to the wrong place (#540);
//   - a generic for gets all three of its iterator values (#514);
//   - a table constructor past gopher-lua's SETLIST bounds is built in
//     parts (rewrite_table.go, #537);
//   - a concatenation whose operands may be numbers formats them as Lua 5.1
//     does (concat.go).
//
// The pass also records what Explain needs to name the variable behind a
// failing operation (rewrite_names.go).
//
// The pass names the temporaries it declares "(assign 1)", "(for pad)": gopher-lua's compiler takes any string as a local's name, and a
// name with a parenthesis or a space cannot be written in Lua source, so
// they never clash with a script's names (Lua's own compiler names its
// hidden locals the same way: "(for index)"). A helper the rewritten code
// calls (the concatenation, the table builder) is reached through a string
// constant that no string of the chunk equals, which Compile replaces by
// the helper's function once gopher-lua has compiled the chunk.

// varKind is what a name refers to where it is used.
type varKind int

const (
	varGlobal varKind = iota
	varLocal
	varUpvalue
)

// funcScope is a function being walked: its visible locals, innermost
// last, and the function around it.
type funcScope struct {
	parent *funcScope
	locals []string
	// params is how many of the first locals are the parameters (self
	// first for a method).
	params int
}

// rewriter holds the state of one pass over a chunk.
type rewriter struct {
	fn *funcScope
	// marker starts every helper constant of this chunk: no string
	// literal of the chunk starts with it.
	marker string
	// helpers are the helper functions the chunk's code calls, by their
	// constant (marker + index).
	helpers []helperSite
	// concatSites dedups the concatenation helpers by the names of their
	// operands.
	concatSites map[string]string
	// tableSite is the table builder's constant, once a constructor
	// needs it.
	tableSite string
	// sites are what Explain needs to name the values of the chunk's
	// failing operations (rewrite_names.go), and strings the names they
	// share.
	sites   []site
	strings map[string]string
}

// newRewriter prepares a pass over stmts.
func newRewriter(stmts []ast.Stmt) *rewriter {
	return &rewriter{marker: chooseMarker(stmts), concatSites: map[string]string{}}
}

// chooseMarker is a prefix that no string literal of stmts starts with: a
// NUL byte, as many as needed.
func chooseMarker(stmts []ast.Stmt) string {
	marker := "\x00lua51:"
	for {
		clash := false
		walkStrings(stmts, func(s string) {
			if strings.HasPrefix(s, marker) {
				clash = true
			}
		})
		if !clash {
			return marker
		}
		marker = "\x00" + marker
	}
}

// rewriteChunk rewrites a main chunk in place and returns it.
func (r *rewriter) rewriteChunk(stmts []ast.Stmt) []ast.Stmt {
	r.fn = &funcScope{}
	return r.block(stmts)
}

// declare makes name a local of the current function from here on.
func (r *rewriter) declare(names ...string) {
	r.fn.locals = append(r.fn.locals, names...)
}

// mark is the current depth of locals, to return to at a block's end.
func (r *rewriter) mark() int { return len(r.fn.locals) }

// release ends the locals declared since mark.
func (r *rewriter) release(mark int) { r.fn.locals = r.fn.locals[:mark] }

// resolve tells what name refers to here.
func (r *rewriter) resolve(name string) varKind {
	for fn := r.fn; fn != nil; fn = fn.parent {
		for i := len(fn.locals) - 1; i >= 0; i-- {
			if fn.locals[i] == name {
				if fn == r.fn {
					return varLocal
				}
				return varUpvalue
			}
		}
	}
	return varGlobal
}

// isLastParam reports whether name is, here, the last parameter of the
// function being walked.
func (r *rewriter) isLastParam(name string) bool {
	for i := len(r.fn.locals) - 1; i >= 0; i-- {
		if r.fn.locals[i] == name {
			return i == r.fn.params-1
		}
	}
	return false
}

// block rewrites a block's statements, with a scope of its own.
func (r *rewriter) block(stmts []ast.Stmt) []ast.Stmt {
	m := r.mark()
	out := r.stmts(stmts)
	r.release(m)
	return out
}

// stmts rewrites statements in the current scope.
func (r *rewriter) stmts(stmts []ast.Stmt) []ast.Stmt {
	out := stmts[:0:0]
	for _, s := range stmts {
		out = append(out, r.stmt(s)...)
	}
	return out
}

// stmt rewrites one statement into the statements that replace it.
func (r *rewriter) stmt(s ast.Stmt) []ast.Stmt {
	switch st := s.(type) {
	case *ast.AssignStmt:
		for i, e := range st.Lhs {
			st.Lhs[i] = r.target(e)
		}
		r.exprs(st.Rhs)
		st.Rhs = dropExtraVarargs(st.Rhs, len(st.Lhs))
		return []ast.Stmt{r.assign(st)}
	case *ast.LocalAssignStmt:
		if len(st.Names) == 1 && len(st.Exprs) == 1 {
			if _, ok := st.Exprs[0].(*ast.FunctionExpr); ok {
				// gopher-lua makes the name a local before it compiles
				// the function, for "local function f" as for
				// "local f = function": both parse to this.
				r.declare(st.Names[0])
				r.exprs(st.Exprs)
				return []ast.Stmt{st}
			}
		}
		r.exprs(st.Exprs)
		st.Exprs = dropExtraVarargs(st.Exprs, len(st.Names))
		r.declare(st.Names...)
	case *ast.FuncCallStmt:
		st.Expr = r.expr(st.Expr)
	case *ast.DoBlockStmt:
		st.Stmts = r.block(st.Stmts)
	case *ast.WhileStmt:
		st.Condition = r.cond(st.Condition)
		if isFalse(st.Condition) {
			// The body never runs and the condition has no effect.
			return nil
		}
		st.Stmts = r.block(st.Stmts)
	case *ast.RepeatStmt:
		// The condition sees the body's locals.
		m := r.mark()
		st.Stmts = r.stmts(st.Stmts)
		st.Condition = r.cond(st.Condition)
		r.release(m)
	case *ast.IfStmt:
		return r.ifStmt(st)
	case *ast.NumberForStmt:
		st.Init = r.expr(st.Init)
		st.Limit = r.expr(st.Limit)
		if st.Step != nil {
			st.Step = r.expr(st.Step)
		}
		m := r.mark()
		r.declare("(for index)", "(for limit)", "(for step)", st.Name)
		st.Stmts = r.stmts(st.Stmts)
		r.release(m)
	case *ast.GenericForStmt:
		r.exprs(st.Exprs)
		r.padGenericFor(st)
		m := r.mark()
		r.declare("(for generator)", "(for state)", "(for control)")
		r.declare(st.Names...)
		st.Stmts = r.stmts(st.Stmts)
		r.release(m)
	case *ast.FuncDefStmt:
		if st.Name.Func != nil {
			st.Name.Func = r.target(st.Name.Func)
		} else {
			st.Name.Receiver = r.expr(st.Name.Receiver)
			r.indexSite(st.Name.Receiver, st.Name.Receiver, &ast.StringExpr{Value: st.Name.Method})
		}
		r.function(st.Func, st.Name.Func == nil)
	case *ast.ReturnStmt:
		r.exprs(st.Exprs)
	}
	return []ast.Stmt{s}
}

// dropExtraVarargs drops the "..." past the first n of an assignment's
// values: evaluated for nothing, and gopher-lua compiles the last of them
// to a VARARG that wants no values, which leaves the registers above it
// Go nils that a later instruction dereferences ("c = ..., ..." then a
// multiple assignment: "invalid memory address or nil pointer
// dereference").
func dropExtraVarargs(exprs []ast.Expr, n int) []ast.Expr {
	for len(exprs) > n {
		if _, ok := exprs[len(exprs)-1].(*ast.Comma3Expr); !ok {
			break
		}
		exprs = exprs[:len(exprs)-1]
	}
	return exprs
}

// target rewrites the inside of an assignment's target.
func (r *rewriter) target(e ast.Expr) ast.Expr {
	if at, ok := e.(*ast.AttrGetExpr); ok {
		at.Object = r.expr(at.Object)
		at.Key = r.expr(at.Key)
		r.indexSite(at, at.Object, at.Key)
	}
	return e
}

// exprs rewrites a list of expressions in place.
func (r *rewriter) exprs(list []ast.Expr) {
	for i, e := range list {
		list[i] = r.expr(e)
	}
}

// expr rewrites an expression, returning what replaces it.
func (r *rewriter) expr(e ast.Expr) ast.Expr {
	switch ex := e.(type) {
	case *ast.AttrGetExpr:
		ex.Object = r.expr(ex.Object)
		ex.Key = r.expr(ex.Key)
		r.indexSite(ex, ex.Object, ex.Key)
	case *ast.TableExpr:
		for _, f := range ex.Fields {
			if f.Key != nil {
				f.Key = r.expr(f.Key)
			}
			f.Value = r.expr(f.Value)
		}
		return r.table(ex)
	case *ast.FuncCallExpr:
		if ex.Func != nil {
			ex.Func = r.expr(ex.Func)
		} else {
			ex.Receiver = r.expr(ex.Receiver)
		}
		r.exprs(ex.Args)
		r.callSite(ex)
	case *ast.LogicalOpExpr:
		ex.Lhs = r.expr(ex.Lhs)
		ex.Rhs = r.expr(ex.Rhs)
		return foldLogical(ex)
	case *ast.RelationalOpExpr:
		ex.Lhs = r.expr(ex.Lhs)
		ex.Rhs = r.expr(ex.Rhs)
	case *ast.StringConcatOpExpr:
		return r.concat(ex)
	case *ast.ArithmeticOpExpr:
		ex.Lhs = r.expr(ex.Lhs)
		ex.Rhs = r.expr(ex.Rhs)
		r.addSite(ex, site{kind: siteArith, op: arithOps[ex.Operator], desc: r.describe(ex.Lhs), other: r.describe(ex.Rhs)})
	case *ast.UnaryMinusOpExpr:
		ex.Expr = r.expr(ex.Expr)
		r.addSite(ex, site{kind: siteUnm, desc: r.describe(ex.Expr), other: r.globalPath(ex.Expr)})
	case *ast.UnaryNotOpExpr:
		ex.Expr = r.expr(ex.Expr)
		return foldNot(ex)
	case *ast.UnaryLenOpExpr:
		ex.Expr = r.expr(ex.Expr)
		r.addSite(ex, site{kind: siteLen, desc: r.describe(ex.Expr), other: r.globalPath(ex.Expr)})
	case *ast.FunctionExpr:
		r.function(ex, false)
	}
	return e
}

// cond rewrites a condition.
func (r *rewriter) cond(e ast.Expr) ast.Expr { return r.expr(e) }

// function rewrites a function's body in a scope of its own, with its
// parameters (self first for a method) and, as gopher-lua and Lua 5.1 with
// LUA_COMPAT_VARARG give every vararg function but the main chunk, arg.
func (r *rewriter) function(f *ast.FunctionExpr, method bool) {
	r.fn = &funcScope{parent: r.fn}
	if method {
		r.declare("self")
	}
	r.declare(f.ParList.Names...)
	r.fn.params = len(r.fn.locals)
	if f.ParList.HasVargs {
		r.declare("arg")
	}
	f.Stmts = r.stmts(f.Stmts)
	r.fn = r.fn.parent
}

// helperSite is one helper function the rewritten code calls through the
// string constant name.
type helperSite struct {
	name string
	fn   helperFunc
}

// helper is a call of the helper behind name with args, at node's line.
func helper(name string, node ast.PositionHolder, args ...ast.Expr) *ast.FuncCallExpr {
	fn := &ast.StringExpr{Value: name}
	setPos(fn, node)
	call := &ast.FuncCallExpr{Func: fn, Args: args}
	setPos(call, node)
	return call
}

// addHelper registers fn as a helper of this chunk and returns its
// constant.
func (r *rewriter) addHelper(fn helperFunc) string {
	name := r.marker + strconv.Itoa(len(r.helpers))
	r.helpers = append(r.helpers, helperSite{name, fn})
	return name
}

// setPos gives a node made by the pass the lines of the node it stands for.
func setPos(n, from ast.PositionHolder) {
	n.SetLine(from.Line())
	n.SetLastLine(from.LastLine())
}

// ident is a reference to name at node's line.
func ident(name string, node ast.PositionHolder) *ast.IdentExpr {
	id := &ast.IdentExpr{Value: name}
	setPos(id, node)
	return id
}

// isMultiValue reports whether e gives all its values where it ends a list
// (a call or "..." not in parentheses).
func isMultiValue(e ast.Expr) bool {
	switch ex := e.(type) {
	case *ast.FuncCallExpr:
		return !ex.AdjustRet
	case *ast.Comma3Expr:
		return !ex.AdjustRet
	}
	return false
}

// walkStrings calls f with every string literal of stmts.
func walkStrings(stmts []ast.Stmt, f func(string)) {
	var expr func(e ast.Expr)
	exprs := func(list []ast.Expr) {
		for _, e := range list {
			expr(e)
		}
	}
	var block func(stmts []ast.Stmt)
	expr = func(e ast.Expr) {
		switch ex := e.(type) {
		case *ast.StringExpr:
			f(ex.Value)
		case *ast.AttrGetExpr:
			expr(ex.Object)
			expr(ex.Key)
		case *ast.TableExpr:
			for _, fl := range ex.Fields {
				if fl.Key != nil {
					expr(fl.Key)
				}
				expr(fl.Value)
			}
		case *ast.FuncCallExpr:
			if ex.Func != nil {
				expr(ex.Func)
			} else {
				expr(ex.Receiver)
			}
			exprs(ex.Args)
		case *ast.LogicalOpExpr:
			expr(ex.Lhs)
			expr(ex.Rhs)
		case *ast.RelationalOpExpr:
			expr(ex.Lhs)
			expr(ex.Rhs)
		case *ast.StringConcatOpExpr:
			expr(ex.Lhs)
			expr(ex.Rhs)
		case *ast.ArithmeticOpExpr:
			expr(ex.Lhs)
			expr(ex.Rhs)
		case *ast.UnaryMinusOpExpr:
			expr(ex.Expr)
		case *ast.UnaryNotOpExpr:
			expr(ex.Expr)
		case *ast.UnaryLenOpExpr:
			expr(ex.Expr)
		case *ast.FunctionExpr:
			block(ex.Stmts)
		}
	}
	block = func(stmts []ast.Stmt) {
		for _, s := range stmts {
			switch st := s.(type) {
			case *ast.AssignStmt:
				exprs(st.Lhs)
				exprs(st.Rhs)
			case *ast.LocalAssignStmt:
				exprs(st.Exprs)
			case *ast.FuncCallStmt:
				expr(st.Expr)
			case *ast.DoBlockStmt:
				block(st.Stmts)
			case *ast.WhileStmt:
				expr(st.Condition)
				block(st.Stmts)
			case *ast.RepeatStmt:
				block(st.Stmts)
				expr(st.Condition)
			case *ast.IfStmt:
				expr(st.Condition)
				block(st.Then)
				block(st.Else)
			case *ast.NumberForStmt:
				expr(st.Init)
				expr(st.Limit)
				if st.Step != nil {
					expr(st.Step)
				}
				block(st.Stmts)
			case *ast.GenericForStmt:
				exprs(st.Exprs)
				block(st.Stmts)
			case *ast.FuncDefStmt:
				if st.Name.Func != nil {
					expr(st.Name.Func)
				} else {
					expr(st.Name.Receiver)
				}
				expr(st.Func)
			case *ast.ReturnStmt:
				exprs(st.Exprs)
			}
		}
	}
	block(stmts)
}
