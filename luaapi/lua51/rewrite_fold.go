package lua51

import "github.com/yuin/gopher-lua/ast"

// Constant conditions. gopher-lua compiles a condition that is a constant
// false or nil ("if false then", "false and x") to an unconditional jump,
// and a loop whose body starts with that jump jumps back to the wrong place
// (gopher-lua #540: its jump-to-jump optimization follows a jump it has
// already patched): the loop sums wrongly, or indexes out of range. The
// same goes for an and/or whose left operand is a literal, in a value
// ("s + (false and 1 or 0)"). Lua decides these at compile time too, so
// folding them away changes nothing a script can see: the operand that is
// never evaluated is dropped, and an if with a constant condition becomes
// the block that runs.

// isConst reports whether e is a literal: nil, a boolean, a number or a
// string.
func isConst(e ast.Expr) bool {
	switch e.(type) {
	case *ast.NilExpr, *ast.FalseExpr, *ast.TrueExpr, *ast.NumberExpr, *ast.StringExpr:
		return true
	}
	return false
}

// isFalse reports whether e is the literal false or nil.
func isFalse(e ast.Expr) bool {
	switch e.(type) {
	case *ast.NilExpr, *ast.FalseExpr:
		return true
	}
	return false
}

// adjusted is e cut to its first value, as a value in parentheses is: "x
// and f()" gives one value, and so must what it folds to.
func adjusted(e ast.Expr) ast.Expr {
	switch ex := e.(type) {
	case *ast.FuncCallExpr:
		ex.AdjustRet = true
	case *ast.Comma3Expr:
		ex.AdjustRet = true
	}
	return e
}

// foldLogical folds an and/or whose left operand is a literal (its
// operands already folded).
func foldLogical(ex *ast.LogicalOpExpr) ast.Expr {
	if !isConst(ex.Lhs) {
		return ex
	}
	lhsTrue := !isFalse(ex.Lhs)
	if (ex.Operator == "and") == lhsTrue {
		// "true and x", "false or x": x.
		return adjusted(ex.Rhs)
	}
	// "false and x", "true or x": the literal.
	return ex.Lhs
}

// foldNot folds "not" of a literal.
func foldNot(ex *ast.UnaryNotOpExpr) ast.Expr {
	if !isConst(ex.Expr) {
		return ex
	}
	var out ast.Expr
	if isFalse(ex.Expr) {
		out = &ast.TrueExpr{}
	} else {
		out = &ast.FalseExpr{}
	}
	setPos(out, ex)
	return out
}

// ifStmt rewrites an if statement: one whose condition is a literal
// becomes the block that runs, in a do block of its own.
func (r *rewriter) ifStmt(st *ast.IfStmt) []ast.Stmt {
	st.Condition = r.cond(st.Condition)
	if !isConst(st.Condition) {
		st.Then = r.block(st.Then)
		st.Else = r.block(st.Else)
		return []ast.Stmt{st}
	}
	run := st.Then
	if isFalse(st.Condition) {
		run = st.Else
	}
	if len(run) == 0 {
		return nil
	}
	do := &ast.DoBlockStmt{Stmts: r.block(run)}
	setPos(do, st)
	return []ast.Stmt{do}
}
