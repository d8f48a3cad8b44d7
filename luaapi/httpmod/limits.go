package httpmod

import (
	"strconv"
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
)

// limitsObject is what http.limits returns: the limits of a table,
// checked once and fixed. read_request and read_response take it in place
// of the table and copy its limits, where a table must be read and
// checked again at every call, since the script may have changed it
// (that cost a keep-alive server about 2,000 instructions a request). It
// cannot be changed, so one object serves every thread, and every
// worker's copy of the line makes the same.
type limitsObject struct {
	opts opts
}

const limitsMeta = "http.limits_object"

// ObjectType implements api.Object.
func (l *limitsObject) ObjectType() string { return "http.limits object" }

// newLimits is http.limits(limits): a limits object of the table's limits,
// checked as read_request checks them (method aside: it is a request's,
// not a limit).
func newLimits(L *lua.LState) int {
	if L.Get(1) == lua.LNil {
		api.ArgError(L, 1, "limits", "table of limits expected, got nil")
	}
	L.Push(api.NewObject(L, &limitsObject{opts: checkOpts(L, 1, "limits", false)}, limitsMeta))
	return 1
}

// limitsFields are the object's fields, read back with the defaults of
// those the table left out (timeout and idle: nil).
var limitsFields = []struct {
	name, typ, summary string
	get                func(o *opts) lua.LValue
}{
	{"max_line", "integer", "bytes of the start line or of one header line (8192 if not given)",
		func(o *opts) lua.LValue { return lua.LNumber(o.MaxLine) }},
	{"max_head", "integer", "bytes of all the header lines (32768 if not given)",
		func(o *opts) lua.LValue { return lua.LNumber(o.MaxHead) }},
	{"max_headers", "integer", "header lines (100 if not given)",
		func(o *opts) lua.LValue { return lua.LNumber(o.MaxHeaders) }},
	{"max_body", "integer", "bytes of a request's body; of a body read whole (1048576 if not given)",
		func(o *opts) lua.LValue { return lua.LNumber(o.MaxBody) }},
	{"timeout", "number?", "seconds for the whole message from its first byte; nil if not given",
		func(o *opts) lua.LValue { return api.TimeoutValue(o.timeout) }},
	{"idle", "number?", "seconds to wait for a request's first byte; nil if not given",
		func(o *opts) lua.LValue { return api.TimeoutValue(o.idle) }},
}

func checkLimits(L *lua.LState, fn string) *limitsObject {
	return api.CheckSelf[*limitsObject](L, fn, "http.limits object", "limits")
}

var limitsType = func() *api.Type {
	ty := &api.Type{Name: "limits", Meta: limitsMeta,
		Summary: "the limits of a table, checked once by http.limits: read_request and read_response take it in place of the table; its fields read them back and cannot be set"}
	names := make([]string, len(limitsFields))
	for i, f := range limitsFields {
		names[i] = f.name
		ty.Fields = append(ty.Fields, api.Field{Name: f.name, Type: f.typ, Summary: f.summary, Get: func(L *lua.LState, ud *lua.LUserData) lua.LValue {
			return f.get(&ud.Value.(*limitsObject).opts)
		}})
	}
	ty.Metamethods = map[string]lua.LGFunction{
		// A limit, else an error: a misspelt name read as nil would pass
		// unnoticed.
		"__index": func(L *lua.LState) int {
			l := checkLimits(L, "__index")
			name := lua.LVAsString(L.Get(2))
			for _, f := range limitsFields {
				if f.name == name {
					L.Push(f.get(&l.opts))
					return 1
				}
			}
			msg := "http.limits object has no field '" + L.ToStringMeta(L.Get(2)).String() + "'"
			if near := nearestName(name, names); near != "" {
				msg += "; did you mean " + near + "?"
			}
			api.Misuse(L, "%s", msg)
			return 0
		},
		"__newindex": func(L *lua.LState) int {
			checkLimits(L, "__newindex")
			api.Misuse(L, "cannot set field '%s' of an http.limits object: it is fixed when made; make another with http.limits{...}", lua.LVAsString(L.Get(2)))
			return 0
		},
		// <http.limits max_line=8192 max_head=32768 max_headers=100 max_body=65536 timeout=10 idle=30>
		"__tostring": func(L *lua.LState) int {
			l := checkLimits(L, "__tostring")
			var b strings.Builder
			b.WriteString("<http.limits")
			for _, f := range limitsFields {
				v, ok := f.get(&l.opts).(lua.LNumber)
				if !ok {
					continue // timeout or idle, not given
				}
				text := strconv.FormatFloat(float64(v), 'f', -1, 64)
				if float64(v) != float64(int64(v)) {
					text = strconv.FormatFloat(float64(v), 'g', -1, 64)
				}
				b.WriteString(" " + f.name + "=" + text)
			}
			b.WriteByte('>')
			L.Push(lua.LString(b.String()))
			return 1
		},
	}
	return ty
}()

// nearestName is the name of names closest to name, if one is close
// enough to be a misspelling; "" if none is.
func nearestName(name string, names []string) string {
	best, dist := "", 3
	for _, c := range names {
		if d := api.EditDistance(name, c); d < dist {
			best, dist = c, d
		}
	}
	return best
}
