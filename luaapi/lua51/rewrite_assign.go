package lua51

import (
	"strconv"

	"github.com/yuin/gopher-lua/ast"
)

// assign rewrites an assignment gopher-lua compiles wrongly into one it
// compiles rightly, in the order of the Lua 5.1 manual (§2.4.3) as lua5.1
// runs it: first the tables and keys of the indexed targets, left to
// right, then the right-hand expressions, left to right, then the
// assignments, last target first.
//
// gopher-lua compiles an assignment to more than one target wrongly
// whenever a target is a local, which it assigns while it still evaluates
// the values after it ("a, b = b, a" gives 2 2: gopher-lua #440, #315,
// #158), or a table whose value is a local, after which it counts its
// registers wrongly and assigns the targets before it from the wrong
// registers ("u, t.x = true, a" sets the upvalue u to "x"). And it
// compiles the value of a single local target straight into the local's
// register, which goes wrong three ways:
//
//   - an "and" whose left operand is false and neither a local nor a
//     comparison leaves the local as it was: after "b = x and y" with x
//     nil, b keeps its old value (also "b = not c and 5");
//   - a "..." cut to one value, "b = (...)" or "b = ..., 5", resets the
//     top of the registers to the local's and clears every register above
//     it with Go nils, the locals declared after b among them: the next use
//     of one is "invalid memory address or nil pointer dereference";
//   - a call cut to one value assigned to the last parameter, "s = (f(s))"
//     or "s = s .. x" made a helper's call, loads the function into the
//     parameter's register before it passes the parameter: f gets itself.
//
// So every assignment to more than one target, and an assignment of such
// a value to one local, becomes
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
// assigned straight to the last target, which comes first anyway, unless
// it is one of the values above.
//
// The hidden locals count against gopher-lua's 200 registers of a
// function as the values gopher-lua's own code keeps in registers would,
// plus one for each key that is a local the statement assigns.
func (r *rewriter) assign(st *ast.AssignStmt) ast.Stmt {
	assigned := map[string]bool{}
	for _, t := range st.Lhs {
		if r.isLocal(t) {
			assigned[t.(*ast.IdentExpr).Value] = true
		}
	}
	if len(st.Lhs) == 1 && (len(assigned) == 0 || !r.wrongInLocal(st.Lhs[0], st.Rhs)) {
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
	if len(rhs) == n && !(r.isLocal(st.Lhs[n-1]) && r.wrongInLocal(st.Lhs[n-1], rhs[n-1:])) {
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

// isLocal reports whether e is a local of the function being walked.
func (r *rewriter) isLocal(e ast.Expr) bool {
	id, ok := e.(*ast.IdentExpr)
	return ok && r.resolve(id.Value) == varLocal
}

// wrongInLocal reports whether gopher-lua compiles the values of an
// assignment to the local target wrongly: a "..." cut to one value, an
// and/or with an "and" whose left operand is neither a local nor a
// comparison, or a call cut to one value ("s = (f(s))", or a chain of ".."
// made a helper's call) assigned to the last parameter, for which
// gopher-lua loads the function into the parameter's register before it
// reads the parameter as an argument.
func (r *rewriter) wrongInLocal(target ast.Expr, values []ast.Expr) bool {
	switch v := values[0].(type) {
	case *ast.Comma3Expr:
		return v.AdjustRet || len(values) > 1
	case *ast.LogicalOpExpr:
		return r.wrongAnd(v)
	case *ast.FuncCallExpr:
		return (v.AdjustRet || len(values) > 1) && r.isLastParam(target.(*ast.IdentExpr).Value)
	}
	return false
}

// wrongAnd reports whether the and/or e has an "and" whose left operand is
// neither a local nor a comparison.
func (r *rewriter) wrongAnd(e *ast.LogicalOpExpr) bool {
	if e.Operator == "and" {
		switch e.Lhs.(type) {
		case *ast.RelationalOpExpr:
		default:
			if !r.isLocal(e.Lhs) {
				return true
			}
		}
	}
	for _, op := range []ast.Expr{e.Lhs, e.Rhs} {
		if l, ok := op.(*ast.LogicalOpExpr); ok && r.wrongAnd(l) {
			return true
		}
	}
	return false
}
