package lua51

import (
	"strconv"

	"github.com/yuin/gopher-lua/ast"
)

// multipleAssign rewrites an assignment to more than one target in the
// order of the Lua 5.1 manual (§2.4.3) as lua5.1 runs it: first the tables
// and keys of the indexed targets, left to right, then the right-hand
// expressions, left to right, then the assignments, last target first.
//
// gopher-lua compiles a local target's value straight into the local's
// register while it still evaluates the values after it, so "a, b = b, a"
// gives 2 2 (gopher-lua #440, #315, #158). Only an assignment with a local
// target is wrong; it becomes
//
//	do
//	  local (assign 1), (assign 2), ..., (assign n) = t1, k1, ..., e1, ..., em
//	  targetn = (assign n) ... target1 = (assign 1)
//	end
//
// one local statement (gopher-lua compiles those rightly, a call or "..."
// at the end giving all its values) whose hidden locals end with the do
// block. A table or key that is a literal, or a local the statement does
// not assign, is used where it is: lua5.1 reads such a local's register at
// the assignment too. With as many values as targets the last value is
// assigned straight to the last target, which comes first anyway.
//
// The hidden locals count against gopher-lua's 200 registers of a
// function as the values gopher-lua's own code keeps in registers would,
// plus one for each key that is a local the statement assigns.
func (r *rewriter) multipleAssign(st *ast.AssignStmt) ast.Stmt {
	assigned := map[string]bool{}
	for _, t := range st.Lhs {
		if id, ok := t.(*ast.IdentExpr); ok && r.resolve(id.Value) == varLocal {
			assigned[id.Value] = true
		}
	}
	if len(assigned) == 0 {
		return st
	}
	var names []string
	var values []ast.Expr
	temp := func(e ast.Expr) ast.Expr {
		name := "(assign " + strconv.Itoa(len(names)+1) + ")"
		names = append(names, name)
		values = append(values, e)
		return ident(name, e)
	}
	// keep reports whether e can stay where it is: a literal, or a local
	// the statement does not assign.
	keep := func(e ast.Expr) bool {
		if isConst(e) {
			return true
		}
		id, ok := e.(*ast.IdentExpr)
		return ok && r.resolve(id.Value) == varLocal && !assigned[id.Value]
	}
	targets := make([]ast.Expr, len(st.Lhs))
	for i, t := range st.Lhs {
		at, ok := t.(*ast.AttrGetExpr)
		if !ok {
			targets[i] = t
			continue
		}
		obj, key := at.Object, at.Key
		if !keep(obj) {
			obj = temp(obj)
		}
		if !keep(key) {
			key = temp(key)
		}
		nt := &ast.AttrGetExpr{Object: obj, Key: key}
		setPos(nt, at)
		targets[i] = nt
	}
	// With as many values as targets, the last value needs no
	// temporary: evaluated last, it is assigned first.
	n := len(st.Lhs)
	rhs := st.Rhs
	vals := make([]ast.Expr, n)
	if len(rhs) == n {
		n--
		vals[n] = rhs[n]
		rhs = rhs[:n]
	}
	for i, t := range st.Lhs[:n] {
		name := "(assign " + strconv.Itoa(len(names)+1) + ")"
		names = append(names, name)
		vals[i] = ident(name, t)
	}
	values = append(values, rhs...)
	var body []ast.Stmt
	if len(names) > 0 {
		local := &ast.LocalAssignStmt{Names: names, Exprs: values}
		setPos(local, st)
		body = append(body, local)
	}
	for i := len(targets) - 1; i >= 0; i-- {
		a := &ast.AssignStmt{Lhs: []ast.Expr{targets[i]}, Rhs: []ast.Expr{vals[i]}}
		setPos(a, st.Lhs[i])
		body = append(body, a)
	}
	do := &ast.DoBlockStmt{Stmts: body}
	setPos(do, st)
	return do
}
