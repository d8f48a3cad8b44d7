package lua51

import "github.com/yuin/gopher-lua/ast"

// padGenericFor gives a generic for all three of its iterator values
// (generator, state, control). gopher-lua fills the three slots as if they
// were the loop's variables, so with fewer variables than three it leaves a
// slot as the previous loop left it (gopher-lua #514: "for k, v in next,
// t" inside a function starts from a stale control value), and a call or
// "..." past the variables gives no values at all ("for k in f, g()").
//
// A list of fixed values is padded with nil to three; a list ending in a
// call or "..." that starts at or past the variables gets hidden variables
// "(for pad)" up to it, so that its values fill the slots.
func (r *rewriter) padGenericFor(st *ast.GenericForStmt) {
	n := len(st.Exprs)
	if n >= 3 {
		return
	}
	last := st.Exprs[n-1]
	if !isMultiValue(last) {
		for len(st.Exprs) < 3 {
			nilExpr := &ast.NilExpr{}
			setPos(nilExpr, st)
			st.Exprs = append(st.Exprs, nilExpr)
		}
		return
	}
	// The call's values fill the slots from its own on.
	for len(st.Names) < n {
		st.Names = append(st.Names, "(for pad)")
	}
}
