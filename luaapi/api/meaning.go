package api

import (
	"iter"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// What a registered function means, beside its name and summary: what it
// does (Direction), where the bytes of a receive or a send are (Place),
// what each parameter and result is (Kind: data, a size, an address, a
// timeout, a constant of a named family, a socket ...), and how it fails.
// A module declares it on the registry entry:
//
//	api.Method("recv", "sock:recv(bufsize [, flags])", "...", (*Module).socketRecv).
//		Receives(api.Result(1)).
//		Params(api.Size, api.Flags("MSG_*")).
//		Returns(api.Data)
//
// and whatever works on any face's calls reads it here, never a list of
// names: the trace's data arrows and its constant names (ConstArg), the
// explanations' advice for reading and sending, the editor definitions.

// Direction says what a call does: flags, since one call may do several
// things (socket.create_connection opens a socket and connects it).
type Direction uint16

const (
	// Receives: the call hands the script bytes that came from a peer
	// (where they are: Func.DataAt).
	Receives Direction = 1 << iota
	// Sends: the call hands bytes to the kernel (or the TLS layer) for a
	// peer (where they are: Func.DataAt).
	Sends
	// Opens: the call makes a socket, which it returns.
	Opens
	// Binds: the call gives a socket its local address.
	Binds
	// Connects: the call connects a socket to a peer.
	Connects
	// Listens: the call makes a socket accept connections.
	Listens
	// Accepts: the call takes a connection a listening socket has, and
	// returns its socket.
	Accepts
	// Shuts: the call shuts down a direction of a connection.
	Shuts
	// Closes: the call closes a socket.
	Closes
	// Waits: the call waits for something other than bytes: readiness,
	// time passing, a thread, a queue, a lock.
	Waits
)

var directionNames = []string{"receives", "sends", "opens", "binds", "connects", "listens", "accepts", "shuts", "closes", "waits"}

// String lists the flags of d: "opens|connects"; "" for none.
func (d Direction) String() string {
	var parts []string
	for i, name := range directionNames {
		if d&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	return strings.Join(parts, "|")
}

// Place is where the bytes of a receive or a send are in a call: an
// argument, a result, or where the trace cannot see them.
type Place struct {
	kind  placeKind
	param string // placeArg: the parameter's name
	n     int    // placeResult: the result's number, from 1
	// lines: the data is a line, returned without the end of line the
	// call took off the wire (WithoutLineEnd).
	lines bool
}

type placeKind uint8

const (
	placeNone placeKind = iota
	placeArg
	placeResult
	placeIterator
	placeBuffer
)

// Arg is the place of data in the parameter named param (as the
// signature names it): "data" of sock:send.
func Arg(param string) Place { return Place{kind: placeArg, param: param} }

// Result is the place of data in result n (from 1): 1 of sock:recv.
func Result(n int) Place { return Place{kind: placeResult, n: n} }

var (
	// FromIterator is the place of the data of a call that returns an
	// iterator (sock:lines): the iterator's calls receive it.
	FromIterator = Place{kind: placeIterator}
	// FromBuffer is the place of the data of a call that sends what an
	// object buffered earlier (f:flush).
	FromBuffer = Place{kind: placeBuffer}
)

// WithoutLineEnd is p holding a line that its call returns without the
// end of line it took off the wire: "\n" or "\r\n" (sock:recvline),
// every "\r" of the line with the "\n" (LuaSocket's receive("*l")). What
// the call moved (CallEvent.Moved) is the line with that end.
func (p Place) WithoutLineEnd() Place { p.lines = true; return p }

// Declared reports whether p is a place (the zero Place is none).
func (p Place) Declared() bool { return p.kind != placeNone }

// Role is what a parameter or result is to a call, beyond its Lua type.
type Role uint8

const (
	// RoleValue is a value with no role of its own.
	RoleValue Role = iota
	// RoleData is bytes sent or received.
	RoleData
	// RoleSize is a count of bytes to read or buffer.
	RoleSize
	// RoleIndex is a position (from 1) in the data, where a send starts.
	RoleIndex
	// RoleAddress is a socket address: {host, port}, or a path.
	RoleAddress
	// RoleHost is a host name or IP address, given apart from its port.
	RoleHost
	// RolePort is a port, a number or a service name.
	RolePort
	// RoleTimeout is seconds to wait (nil: no limit).
	RoleTimeout
	// RoleConst is one constant of a named family (Kind.Family).
	RoleConst
	// RoleFlags is constants of a named family or-ed together.
	RoleFlags
	// RoleObject is an object of one of the registry's types (Kind.Type
	// names its class): a socket.
	RoleObject
	// RoleFile is a file the bytes come from (sock:sendfile).
	RoleFile
)

// Kind is what a parameter or a result is: its role, its type as the
// editor definitions write it (LuaLS: "integer", "socket.addresslike"),
// for a constant the family it comes from, and for a result its name.
type Kind struct {
	Role Role
	// Type is the LuaLS type: "string", "integer|string", "socket.socket".
	Type string
	// Family names the constants a RoleConst or RoleFlags parameter takes:
	// "MSG_*" (a Family of some module).
	Family string
	// Name names a result in the editor definitions: "conn", "address".
	Name string
	// Doc is a few words on it for the editor definitions, "" if the
	// summary says enough.
	Doc string
}

// The kinds most parameters and results are.
var (
	Data     = Kind{Role: RoleData, Type: "string"}
	Size     = Kind{Role: RoleSize, Type: "integer"}
	Index    = Kind{Role: RoleIndex, Type: "integer"}
	Address  = Kind{Role: RoleAddress, Type: "socket.addresslike"}
	HostName = Kind{Role: RoleHost, Type: "string"}
	Port     = Kind{Role: RolePort, Type: "integer|string"}
	Timeout  = Kind{Role: RoleTimeout, Type: "number"}
	File     = Kind{Role: RoleFile, Type: "string|file*"}

	Int      = T("integer")
	Num      = T("number")
	Str      = T("string")
	Bool     = T("boolean")
	Any      = T("any")
	Function = T("function")
	Table    = T("table")
)

// T is a kind with no role of its own, of LuaLS type typ.
func T(typ string) Kind { return Kind{Type: typ} }

// OneOf is a parameter that takes one constant of family ("AF_*").
func OneOf(family string) Kind { return Kind{Role: RoleConst, Type: "integer", Family: family} }

// Flags is a parameter that takes constants of family or-ed together
// ("MSG_*").
func Flags(family string) Kind { return Kind{Role: RoleFlags, Type: "integer", Family: family} }

// Obj is an object of the registry's class ("socket.socket").
func Obj(class string) Kind { return Kind{Role: RoleObject, Type: class} }

// As is k with LuaLS type typ.
func (k Kind) As(typ string) Kind { k.Type = typ; return k }

// Named is k named name (a result's name in the editor definitions).
func (k Kind) Named(name string) Kind { k.Name = name; return k }

// Says is k with doc, a few words for the editor definitions.
func (k Kind) Says(doc string) Kind { k.Doc = doc; return k }

// Param is one parameter of a function: its name and whether a call may
// leave it out, as the signature says, and its kind.
type Param struct {
	Name     string
	Optional bool
	Kind
}

// Failure says how a function tells the script it failed.
type Failure uint8

const (
	// Raises: it raises an error value (Python's way).
	Raises Failure = iota
	// ReturnsNilErr: it returns nil and a message ("timeout", "closed";
	// LuaSocket's way), and whatever else it declares after them.
	ReturnsNilErr
	// ReturnsErrno: it returns an errno, 0 for success (connect_ex).
	ReturnsErrno
)

// Does is f declared to do d (Opens, Connects, Closes, Waits ...).
func (f Func) Does(d Direction) Func { f.Dir |= d; return f }

// Local is f declared to touch no socket and no network, in a module that
// does (a clock): --trace leaves its calls out.
func (f Func) Local() Func { f.Quiet = true; return f }

// Receives is f declared to hand the script received bytes, which are at
// place (a result).
func (f Func) Receives(place Place) Func { f.Dir |= Receives; f.DataAt = place; return f }

// Sends is f declared to send bytes, which are at place (an argument).
func (f Func) Sends(place Place) Func { f.Dir |= Sends; f.DataAt = place; return f }

// Params is f with the kinds of its parameters, one per parameter its
// signature names, in order ("..." counts as one).
func (f Func) Params(kinds ...Kind) Func {
	names := SigParams(f.Sig)
	f.In = make([]Param, len(kinds))
	for i, k := range kinds {
		f.In[i].Kind = k
		if i < len(names) {
			f.In[i].Name, f.In[i].Optional = names[i].Name, names[i].Optional
		}
	}
	f.paramsDeclared = len(names)
	return f
}

// Returns is f with the kinds of its results, in order; a result that may
// be nil has a type ending in "?" or "|nil".
func (f Func) Returns(kinds ...Kind) Func { f.Out = kinds; return f }

// Failing is f declared to fail as how says (it raises by default).
func (f Func) Failing(how Failure) Func { f.Fail = how; return f }

// Generic is f with type parameters for the editor definitions ("T",
// "T: table"), which its kinds' types use.
func (f Func) Generic(params string) Func { f.TypeParams = params; return f }

// Or is f with another way to call it, sig, whose parameters have kinds
// (sock:bind(host, port) beside sock:bind(address)); it returns what f
// returns.
func (f Func) Or(sig string, kinds ...Kind) Func {
	alt := Func{Sig: sig}.Params(kinds...)
	f.Alts = append(f.Alts, alt.In)
	return f
}

// ParamsMatchSig reports whether f declares one kind for each parameter
// its signature names (or declares none).
func (f *Func) ParamsMatchSig() bool {
	return f.In == nil && len(SigParams(f.Sig)) == 0 || len(f.In) == f.paramsDeclared
}

// SigParam is a parameter as a signature writes it.
type SigParam struct {
	Name     string
	Optional bool
}

// sigTokens are the tokens of a signature's parameter list: "[", "]", a
// name, a name followed by "..." ("formats..."), and "..."; anything
// else (commas, spaces) separates them. (A scanner, not a regexp: every
// module's registration reads its signatures at package init, and a
// regexp cost each start-up its compilation and its matching.)
func sigTokens(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := 0; i < len(s); {
			c := s[i]
			j := i + 1
			switch {
			case c == '[' || c == ']':
			case strings.HasPrefix(s[i:], "..."):
				j = i + 3
			case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
				for j < len(s) && (s[j] == '_' || 'a' <= s[j] && s[j] <= 'z' || 'A' <= s[j] && s[j] <= 'Z' || '0' <= s[j] && s[j] <= '9') {
					j++
				}
				if strings.HasPrefix(s[j:], "...") {
					j += 3
				}
			default:
				i++
				continue
			}
			if !yield(s[i:j]) {
				return
			}
			i = j
		}
	}
}

// numbered reports whether name is lower-case letters and then one digit
// 2-9 (x2, arg3): the numbered names a vararg takes in.
func numbered(name string) bool {
	n := len(name)
	if n < 2 || name[n-1] < '2' || name[n-1] > '9' {
		return false
	}
	for i := 0; i < n-1; i++ {
		if name[i] < 'a' || name[i] > 'z' {
			return false
		}
	}
	return true
}

// SigParams are the parameters of a registry signature:
// "sock:sendto(data, [flags,] address)" is data, flags (optional),
// address. A name in brackets is optional; "formats..." and "..." are a
// vararg, "...", which takes in the numbered names before it
// ("x1 [, x2, ...]" is x1, ...).
func SigParams(sig string) []SigParam {
	open, end := strings.IndexByte(sig, '('), strings.LastIndexByte(sig, ')')
	if open < 0 || end < open {
		return nil
	}
	ps := make([]SigParam, 0, strings.Count(sig[open+1:end], ",")+1)
	depth := 0
	for tok := range sigTokens(sig[open+1 : end]) {
		switch {
		case tok == "[":
			depth++
		case tok == "]":
			depth--
		case strings.HasSuffix(tok, "..."):
			for len(ps) > 0 && numbered(ps[len(ps)-1].Name) {
				ps = ps[:len(ps)-1]
			}
			ps = append(ps, SigParam{"...", true})
		default:
			ps = append(ps, SigParam{tok, depth > 0})
		}
	}
	return ps
}

// bindArgs says which argument each parameter of f got in a call with
// nargs arguments (self not counted): its index, or -1. Required
// parameters are filled first, then optional ones left to right with
// what is left, so that sock:sendto(data, address) binds address, not
// flags, to its second argument, as the function reads it.
func (f *Func) bindArgs(nargs int) []int {
	at := make([]int, len(f.In))
	required := 0
	for _, p := range f.In {
		if !p.Optional {
			required++
		}
	}
	optional := max(nargs-required, 0)
	next := 0
	for i, p := range f.In {
		switch {
		case p.Name == "...":
			at[i] = -1
			if next < nargs {
				at[i] = next
			}
			continue
		case p.Optional && optional == 0:
			at[i] = -1
			continue
		case p.Optional:
			optional--
		}
		if next < nargs {
			at[i] = next
			next++
		} else {
			at[i] = -1
		}
	}
	return at
}

// ParamOf is the parameter of f that argument i of ev (0 is self for a
// method) was given to, nil if none.
func (ev *CallEvent) ParamOf(i int) *Param {
	first := 0
	if ev.Type != "" {
		first = 1
	}
	if i < first || ev.Func == nil {
		return nil
	}
	for p, a := range ev.Func.bindArgs(len(ev.Args) - first) {
		if a == i-first {
			return &ev.Func.In[p]
		}
	}
	return nil
}

// Arg is the argument ev's call gave the parameter named param, nil if
// none.
func (ev *CallEvent) Arg(param string) lua.LValue {
	first := 0
	if ev.Type != "" {
		first = 1
	}
	for p, a := range ev.Func.bindArgs(len(ev.Args) - first) {
		if ev.Func.In[p].Name == param && a >= 0 {
			return ev.Args[first+a]
		}
	}
	return nil
}

// ArgWith is the argument of ev's call given to its first parameter of
// role r, nil if none.
func (ev *CallEvent) ArgWith(r Role) lua.LValue {
	for _, p := range ev.Func.In {
		if p.Role == r {
			return ev.Arg(p.Name)
		}
	}
	return nil
}

// ResultsWith are the results of ev's call of role r, by what f declares,
// in order.
func (ev *CallEvent) ResultsWith(r Role) []lua.LValue {
	var vs []lua.LValue
	for i, k := range ev.Func.Out {
		if k.Role == r && i < len(ev.Results) {
			vs = append(vs, ev.Results[i])
		}
	}
	return vs
}

// Data is the bytes of ev's receive or send, where its function declares
// them (Func.DataAt), if they are a string there.
func (ev *CallEvent) Data() (string, bool) {
	var v lua.LValue
	switch at := ev.Func.DataAt; at.kind {
	case placeArg:
		v = ev.Arg(at.param)
	case placeResult:
		if at.n <= len(ev.Results) {
			v = ev.Results[at.n-1]
		}
	}
	s, ok := v.(lua.LString)
	return string(s), ok
}

// Moved is the bytes ev's receive took off the wire, as its data shows
// them: the last Received bytes of the data (LuaSocket's prefix is not
// among them), or, for data that is a line without its end
// (Place.WithoutLineEnd), the line with the end the call dropped, "\n"
// ("\r\n" for two bytes more: a dropped "\r" is shown before the "\n").
// ok is false if the call returned no data where it declares it.
func (ev *CallEvent) Moved() (data string, ok bool) {
	data, ok = ev.Data()
	if !ok {
		return "", false
	}
	n := ev.Received
	switch {
	case n <= len(data):
		return data[len(data)-n:], true
	case ev.Func.DataAt.lines:
		return data + strings.Repeat("\r", n-len(data)-1) + "\n", true
	}
	return data, true
}

// Returned is the failure ev's call returned rather than raised, by how
// its function fails: LuaSocket's message ("timeout", "closed") or
// connect_ex's errno (as a number's text); "" if it succeeded or raised.
func (ev *CallEvent) Returned() string {
	if ev.Err != nil || len(ev.Results) == 0 {
		return ""
	}
	switch ev.Func.Fail {
	case ReturnsNilErr:
		if ev.Results[0] == lua.LNil && len(ev.Results) > 1 {
			if msg, ok := ev.Results[1].(lua.LString); ok {
				return string(msg)
			}
		}
	case ReturnsErrno:
		if n, ok := ev.Results[0].(lua.LNumber); ok && n != 0 {
			return n.String()
		}
	}
	return ""
}

// Made is the socket ev's call made (Opens, Accepts): the first result
// that is a socket, nil if none.
func (ev *CallEvent) Made() StatefulSocket {
	if ev.Func.Dir&(Opens|Accepts) == 0 {
		return nil
	}
	for _, r := range ev.Results {
		if s := SocketValue(r); s != nil {
			return s
		}
	}
	return nil
}

// SocketValue is the socket a Lua value stands for, of any face (a
// socket object, an SSL socket, a LuaSocket object, a socket's file),
// nil if it is none.
func SocketValue(v lua.LValue) StatefulSocket {
	if ud, ok := v.(*lua.LUserData); ok {
		if s, ok := ud.Value.(StatefulSocket); ok {
			return s
		}
	}
	return nil
}

// Family is a named family of a module's constants that parameters take:
// "AF_*", "MSG_*". A module lists its families (Module.Families); a
// parameter names one (OneOf, Flags).
type Family struct {
	// Name is how parameters name the family: "MSG_*".
	Name string
	// Prefixes are the starts of its constants' names: "MSG_". A family
	// whose members are not told by prefix lists them in Members.
	Prefixes []string
	// Members, if set, are the family's constants, by name.
	Members []string
	// NameOf, if set, names value v of the family, given the call's other
	// arguments by parameter name (an option's name depends on its
	// level): "" if it has no name. Unset, the one constant of the family
	// with value v names it (none if two have it).
	NameOf func(v int, arg func(param string) lua.LValue) string
	// Summary is one line on the family, for the docs: "flags of send and
	// recv".
	Summary string

	module *Module
	once   sync.Once
	names  map[int][]string
}

// Module is the module whose constants the family's are.
func (fam *Family) Module() *Module { return fam.module }

// Has reports whether name is one of the family's constants.
func (fam *Family) Has(name string) bool {
	if len(fam.Members) > 0 {
		for _, m := range fam.Members {
			if m == name {
				return true
			}
		}
		return false
	}
	for _, p := range fam.Prefixes {
		if strings.HasPrefix(name, p) && len(name) > len(p) {
			return true
		}
	}
	return false
}

// name is the family's constant of value v, "" if none or several.
func (fam *Family) name(v int) string {
	fam.once.Do(func() {
		fam.names = map[int][]string{}
		if fam.module.Consts == nil {
			return
		}
		for _, c := range fam.module.Consts() {
			if n, ok := c.Value.(lua.LNumber); ok && fam.Has(c.Name) {
				fam.names[int(n)] = append(fam.names[int(n)], c.Name)
			}
		}
	})
	if names := fam.names[v]; len(names) == 1 {
		return names[0]
	}
	return ""
}

// FamilyNamed is the family named name in the registry, nil if none.
func FamilyNamed(name string) *Family {
	for _, m := range registry {
		for _, fam := range m.Families {
			if fam.Name == name {
				return fam
			}
		}
	}
	return nil
}

// ConstArg is the name a script would write for argument i (0 is self for
// a method) of the call ev, when the parameter it was given to takes
// constants of a family and its value is one: "socket.AF_INET" for
// socket.socket's family, "socket.SO_REUSEADDR" for setsockopt's option.
// It is "" for every other argument, and for a flags argument of 0.
func ConstArg(ev *CallEvent, i int) string {
	if i >= len(ev.Args) {
		return ""
	}
	n, ok := ev.Args[i].(lua.LNumber)
	if !ok {
		return ""
	}
	p := ev.ParamOf(i)
	if p == nil || p.Family == "" || p.Role == RoleFlags && n == 0 {
		return ""
	}
	fam := FamilyNamed(p.Family)
	if fam == nil {
		return ""
	}
	var name string
	if fam.NameOf != nil {
		name = fam.NameOf(int(n), func(param string) lua.LValue { return ev.Arg(param) })
	} else {
		name = fam.name(int(n))
	}
	if name == "" {
		return ""
	}
	return fam.module.Name + "." + name
}

var (
	directionsOnce sync.Once
	directions     map[string]Direction
)

// DirectionOf is what the functions named op do, as the registry
// declares it, all modules and types together: how an error's operation
// ("recv", "sendall", "connect") tells what the failed call was doing.
func DirectionOf(op string) Direction {
	directionsOnce.Do(func() {
		directions = map[string]Direction{}
		for _, m := range registry {
			for _, f := range m.Funcs {
				directions[f.Name] |= f.Dir
			}
			for _, ty := range m.Types {
				for _, f := range ty.MethodList() {
					directions[f.Name] |= f.Dir
				}
			}
		}
	})
	return directions[op]
}
