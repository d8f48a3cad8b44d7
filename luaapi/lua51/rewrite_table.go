package lua51

import (
	"strconv"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Table constructors. gopher-lua stores a constructor's positional items
// 50 at a time (SETLIST, lua.FieldsPerFlush), numbering each batch in the
// instruction's C field; past 511 batches it writes the batch number 0
// into the following word, so every item past 25,550 lands at index 0 or
// below (gopher-lua #537: 30,000 items give #t == 25550). And a call or
// "..." ending a constructor right after a multiple of 50 items is stored
// one batch too early, over the items before it ("{1, ..., 50, f()}" gives
// f()'s values at 1 and 2).
//
// Such a constructor is built in parts by a helper: the first part is a
// constructor gopher-lua handles, with the fields up to the 25,550th item
// (or all of them but the final call); the rest are runs, each a
// constructor of its own, of at most 25,550 items or of keyed fields only,
// in the order written; the helper appends each run of items after the
// items before it, stores each run of keyed fields, then the final call's
// values, and returns the table. Every field is evaluated in the order
// written, as in one constructor.

// maxTableItems is the most positional items one constructor may have for
// gopher-lua to store them all: 511 batches of lua.FieldsPerFlush.
var maxTableItems = 511 * lua.FieldsPerFlush

// maxTableRuns is the most runs one call of the helper takes; more are
// handed to a call around it, to keep within a function's registers.
const maxTableRuns = 60

// tableRun is one part of a constructor after the first: items (count >=
// 0) or keyed fields (count -1).
type tableRun struct {
	table *ast.TableExpr
	count int
}

// table rewrites a constructor gopher-lua would store wrongly (its fields
// already rewritten).
func (r *rewriter) table(ex *ast.TableExpr) ast.Expr {
	items := 0
	var tail ast.Expr
	for i, f := range ex.Fields {
		if f.Key != nil {
			continue
		}
		if i == len(ex.Fields)-1 && isMultiValue(f.Value) {
			tail = f.Value
			break
		}
		items++
	}
	if items <= maxTableItems && (tail == nil || items%lua.FieldsPerFlush != 0 || items == 0) {
		return ex
	}
	fields := ex.Fields
	if tail != nil {
		fields = fields[:len(fields)-1]
	}
	// The first part: the fields up to the last item it may hold.
	first := &ast.TableExpr{}
	setPos(first, ex)
	n := 0
	i := 0
	for ; i < len(fields); i++ {
		if fields[i].Key == nil {
			if n == maxTableItems {
				break
			}
			n++
		}
		first.Fields = append(first.Fields, fields[i])
	}
	// The runs, each of items only or of keyed fields only.
	var runs []tableRun
	for ; i < len(fields); i++ {
		f := fields[i]
		keyed := f.Key != nil
		if len(runs) > 0 {
			last := &runs[len(runs)-1]
			if keyed == (last.count < 0) && (keyed || last.count < maxTableItems) {
				last.table.Fields = append(last.table.Fields, f)
				if !keyed {
					last.count++
				}
				continue
			}
		}
		t := &ast.TableExpr{Fields: []*ast.Field{f}}
		setPos(t, f.Value)
		count := -1
		if !keyed {
			count = 1
		}
		runs = append(runs, tableRun{t, count})
	}
	name := r.tableHelper()
	var built ast.Expr = first
	for {
		batch := runs
		if len(batch) > maxTableRuns {
			batch = batch[:maxTableRuns]
		}
		runs = runs[len(batch):]
		args := []ast.Expr{built, number(n, ex), number(len(batch), ex)}
		for _, run := range batch {
			if run.count < 0 {
				keyed := &ast.FalseExpr{}
				setPos(keyed, ex)
				args = append(args, run.table, keyed)
				continue
			}
			args = append(args, run.table, number(run.count, ex))
			n += run.count
		}
		if len(runs) == 0 && tail != nil {
			args = append(args, tail)
		}
		call := helper(name, ex, args...)
		call.AdjustRet = true
		built = call
		if len(runs) == 0 {
			return built
		}
	}
}

// number is the literal n at node's line.
func number(n int, node ast.PositionHolder) *ast.NumberExpr {
	num := &ast.NumberExpr{Value: strconv.Itoa(n)}
	setPos(num, node)
	return num
}

// tableHelper is the constant of the chunk's table builder, registered on
// first use.
func (r *rewriter) tableHelper() string {
	if r.tableSite == "" {
		r.tableSite = r.addHelper(buildTable)
	}
	return r.tableSite
}

// buildTable is the helper behind a constructor built in parts: (t, n, k,
// run1, count1, ..., runk, countk, ...) appends each run of items to t
// after its n items, stores each run of keyed fields (count false), then
// appends the values after the runs, and returns t.
func buildTable(L *lua.LState) int {
	t := L.CheckTable(1)
	n := L.CheckInt(2)
	k := L.CheckInt(3)
	for i := 0; i < k; i++ {
		run := L.CheckTable(4 + 2*i)
		if L.Get(5+2*i) == lua.LFalse {
			run.ForEach(func(key, value lua.LValue) { t.RawSet(key, value) })
			continue
		}
		count := L.CheckInt(5 + 2*i)
		for j := 1; j <= count; j++ {
			if v := run.RawGetInt(j); v != lua.LNil {
				t.RawSetInt(n+j, v)
			}
		}
		n += count
	}
	for i, top := 4+2*k, L.GetTop(); i <= top; i++ {
		if v := L.Get(i); v != lua.LNil {
			t.RawSetInt(n+i-3-2*k, v)
		}
	}
	L.SetTop(1)
	return 1
}
