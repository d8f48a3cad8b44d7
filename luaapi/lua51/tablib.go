package lua51

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

func init() {
	correct("table", func(L *lua.LState, _ Options) {
		mod, ok := L.GetGlobal("table").(*lua.LTable)
		if !ok {
			return
		}
		for name, fn := range map[string]lua.LGFunction{
			"concat":   tabConcat,
			"foreach":  tabForeach,
			"foreachi": tabForeachi,
			"getn":     tabGetn,
			"insert":   tabInsert,
			"maxn":     tabMaxn,
			"remove":   tabRemove,
			"setn":     tabSetn,
			"sort":     tabSort,
		} {
			mod.RawSetString(name, L.NewFunction(fn))
		}
	})
}

// concatCheckpoint is how many elements table.concat joins between two
// checkpoints of the host (a few milliseconds' work at most).
const concatCheckpoint = 1 << 14

// tabConcat is table.concat(t [, sep [, i [, j]]]): t[i] .. sep .. ... ..
// t[j] (by default 1 and #t); each element must be a string or a number,
// written as tostring writes it.
//
// It measures the result first, so that it allocates it once, and a
// result of BigString bytes or more only if the host agrees (Reserve).
// Every concatCheckpoint elements it lets the host hand the lock over,
// and it copies an element of BigString bytes or more without the lock.
// Another thread may then change t: the result is made of the elements
// as they were when each was copied.
func tabConcat(L *lua.LState) int {
	sep := optString(L, 2, "")
	t := checkTable(L, 1)
	i := optInt(L, 3, 1)
	var last int
	if L.Get(4) == lua.LNil {
		last = t.Len()
	} else {
		last = checkInt(L, 4)
	}
	if i > last {
		L.Push(lua.LString(""))
		return 1
	}
	invalid := func(i int, v lua.LValue) {
		raise(L, "invalid value ("+v.Type().String()+") at index "+strconv.Itoa(i)+" in table for 'concat'")
	}
	size := int64(len(sep)) * int64(last-i)
	for k := i; k <= last; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			size += int64(len(v))
		case lua.LNumber:
			size += 24
		default:
			invalid(k, v)
		}
	}
	Reserve(L, size)
	host := HostOf(L)
	var b strings.Builder
	b.Grow(int(size))
	var num [32]byte
	for k := i; ; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			if host != nil && len(v) >= BigString {
				host.Unlock(L)
				b.WriteString(string(v))
				host.Lock(L)
			} else {
				b.WriteString(string(v))
			}
		case lua.LNumber:
			b.Write(AppendNumber(num[:0], float64(v)))
		default:
			invalid(k, v)
		}
		if k == last {
			break
		}
		b.WriteString(sep)
		if host != nil && (k-i)%concatCheckpoint == concatCheckpoint-1 {
			host.Checkpoint(L)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// checkFunction is luaL_checktype(L, n, LUA_TFUNCTION).
func checkFunction(L *lua.LState, n int) *lua.LFunction {
	f, ok := L.Get(n).(*lua.LFunction)
	if !ok {
		typeError(L, n, "function")
	}
	return f
}

// tabForeach is table.foreach(t, f): calls f(k, v) for each pair of t and
// returns the first value other than nil that f returns.
func tabForeach(L *lua.LState) int {
	t := checkTable(L, 1)
	f := checkFunction(L, 2)
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		L.Push(f)
		L.Push(k)
		L.Push(v)
		L.Call(2, 1)
		if L.Get(-1) != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

// tabForeachi is table.foreachi(t, f): calls f(i, t[i]) for i from 1 to
// #t and returns the first value other than nil that f returns.
func tabForeachi(L *lua.LState) int {
	t := checkTable(L, 1)
	n := t.Len()
	f := checkFunction(L, 2)
	for i := 1; i <= n; i++ {
		L.Push(f)
		L.Push(lua.LNumber(i))
		L.Push(t.RawGetInt(i))
		L.Call(2, 1)
		if L.Get(-1) != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

// tabGetn is table.getn(t): #t.
func tabGetn(L *lua.LState) int {
	L.Push(lua.LNumber(checkTable(L, 1).Len()))
	return 1
}

// tabSetn is table.setn(t, n): obsolete in Lua 5.1, an error.
func tabSetn(L *lua.LState) int {
	checkTable(L, 1)
	raise(L, "'setn' is obsolete")
	return 0
}

// tabMaxn is table.maxn(t): the largest positive number key of t, 0 if
// there is none.
func tabMaxn(L *lua.LState) int {
	t := checkTable(L, 1)
	m := 0.0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		if n, ok := k.(lua.LNumber); ok && float64(n) > m {
			m = float64(n)
		}
	}
	L.Push(lua.LNumber(m))
	return 1
}

// tabInsert is table.insert(t, [pos,] v): v at pos (default #t+1), the
// elements from pos on moved up one.
func tabInsert(L *lua.LState) int {
	t := checkTable(L, 1)
	e := t.Len() + 1
	var pos int
	switch L.GetTop() {
	case 2:
		pos = e
	case 3:
		pos = checkInt(L, 2)
		if pos > e {
			e = pos
		}
		for i := e; i > pos; i-- {
			t.RawSetInt(i, t.RawGetInt(i-1))
		}
	default:
		raise(L, "wrong number of arguments to 'insert'")
	}
	t.RawSetInt(pos, L.Get(-1))
	return 0
}

// tabRemove is table.remove(t [, pos]): removes and returns t[pos]
// (default #t), moving the elements after it down one; nothing when pos
// is not between 1 and #t.
func tabRemove(L *lua.LState) int {
	t := checkTable(L, 1)
	e := t.Len()
	pos := optInt(L, 2, e)
	if pos < 1 || pos > e {
		return 0
	}
	L.Push(t.RawGetInt(pos))
	for ; pos < e; pos++ {
		t.RawSetInt(pos, t.RawGetInt(pos+1))
	}
	t.RawSetInt(e, lua.LNil)
	return 1
}

// tabSort is table.sort(t [, comp]): sorts t[1..#t] in place with comp as
// "less than" (default <), by Lua 5.1's own quicksort, so that elements
// comp finds equal end in the same order, comp is called with the same
// pairs, and an inconsistent comp raises "invalid order function for
// sorting" where Lua 5.1 does.
//
// Before each call of comp or of a __lt metamethod, and every
// sortCheckpoint comparisons of numbers or strings, it lets the host hand
// the lock over (Checkpoint). Another thread may then change t, as comp
// may: the sort goes on over what t holds, and may raise "invalid order
// function for sorting".
func tabSort(L *lua.LState) int {
	t := checkTable(L, 1)
	n := t.Len()
	var comp *lua.LFunction
	if L.Get(2) != lua.LNil {
		comp = checkFunction(L, 2)
	}
	s := sorter{L: L, t: t, comp: comp, host: HostOf(L)}
	s.sort(1, n)
	return 0
}

// sortCheckpoint is how many comparisons of numbers or strings table.sort
// makes between two checkpoints of the host.
const sortCheckpoint = 1 << 12

type sorter struct {
	L    *lua.LState
	t    *lua.LTable
	comp *lua.LFunction
	host Host // nil: none to ask
	n    int  // comparisons since the last checkpoint
}

// less is sort_comp: comp(a, b), or a < b.
func (s *sorter) less(a, b lua.LValue) bool {
	L := s.L
	if s.host != nil {
		s.checkpoint(a, b)
	}
	if s.comp != nil {
		L.Push(s.comp)
		L.Push(a)
		L.Push(b)
		L.Call(2, 1)
		r := lua.LVAsBool(L.Get(-1))
		L.Pop(1)
		return r
	}
	return lessThan(L, a, b)
}

// checkpoint lets the host hand the lock over before a comparison of a
// and b that calls Lua, or after sortCheckpoint that did not.
func (s *sorter) checkpoint(a, b lua.LValue) {
	if s.comp == nil {
		switch a.(type) {
		case lua.LNumber, lua.LString:
			if a.Type() == b.Type() {
				if s.n++; s.n < sortCheckpoint {
					return
				}
			}
		}
	}
	s.n = 0
	s.host.Checkpoint(s.L)
}

// lessThan is Lua 5.1's a < b (luaV_lessthan): numbers and strings
// compared, else the __lt metamethod both share. Its error has no
// position, as one raised in a C function.
func lessThan(L *lua.LState, a, b lua.LValue) bool {
	if a.Type() == b.Type() {
		switch a := a.(type) {
		case lua.LNumber:
			return a < b.(lua.LNumber)
		case lua.LString:
			return a < b.(lua.LString)
		}
		if mm := L.GetMetaField(a, "__lt"); mm != lua.LNil && L.RawEqual(mm, L.GetMetaField(b, "__lt")) {
			L.Push(mm)
			L.Push(a)
			L.Push(b)
			L.Call(2, 1)
			r := lua.LVAsBool(L.Get(-1))
			L.Pop(1)
			return r
		}
	}
	t1, t2 := a.Type().String(), b.Type().String()
	if t1 == t2 {
		L.Error(lua.LString("attempt to compare two "+t1+" values"), 0)
	}
	L.Error(lua.LString("attempt to compare "+t1+" with "+t2), 0)
	return false
}

// sort is Lua 5.1's auxsort on t[l..u], step for step.
func (s *sorter) sort(l, u int) {
	t := s.t
	for l < u {
		// Sort a[l], a[(l+u)/2] and a[u].
		al, au := t.RawGetInt(l), t.RawGetInt(u)
		if s.less(au, al) {
			t.RawSetInt(l, au)
			t.RawSetInt(u, al)
		}
		if u-l == 1 {
			break
		}
		i := (l + u) / 2
		ai, al := t.RawGetInt(i), t.RawGetInt(l)
		if s.less(ai, al) {
			t.RawSetInt(i, al)
			t.RawSetInt(l, ai)
		} else {
			au := t.RawGetInt(u)
			if s.less(au, ai) {
				t.RawSetInt(i, au)
				t.RawSetInt(u, ai)
			}
		}
		if u-l == 2 {
			break
		}
		p := t.RawGetInt(i) // the pivot
		t.RawSetInt(i, t.RawGetInt(u-1))
		t.RawSetInt(u-1, p)
		// a[l] <= P == a[u-1] <= a[u]: partition a[l+1..u-2].
		i, j := l, u-1
		for {
			var ai, aj lua.LValue
			for {
				i++
				ai = t.RawGetInt(i)
				if !s.less(ai, p) {
					break
				}
				if i > u {
					raise(s.L, "invalid order function for sorting")
				}
			}
			for {
				j--
				aj = t.RawGetInt(j)
				if !s.less(p, aj) {
					break
				}
				if j < l {
					raise(s.L, "invalid order function for sorting")
				}
			}
			if j < i {
				break
			}
			t.RawSetInt(i, aj)
			t.RawSetInt(j, ai)
		}
		au1, ai := t.RawGetInt(u-1), t.RawGetInt(i)
		t.RawSetInt(u-1, ai)
		t.RawSetInt(i, au1)
		// Recurse into the smaller half, loop on the larger.
		if i-l < u-i {
			j, i, l = l, i-1, i+1
		} else {
			j, i, u = i+1, u, i-1
		}
		s.sort(j, i)
	}
}
