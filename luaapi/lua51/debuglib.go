package lua51

// Lua 5.1's debug library on gopher-lua's public API.
//
// gopher-lua ships a partial debug library (lua.OpenDebug) that sockrun
// does not open: its traceback writes gopher-lua's format ("[G]: ?",
// "(tailcall)", frames named "<file:line>"), skips no level of its own and
// turns a non-string message into nothing; its getinfo numbers levels
// without the levels of lost tail calls, calls every coroutine's first
// function "main", names "[G]" for "[C]", has no namewhat, short_src or
// activelines; its getlocal answers "(*temporary)" for local 0; its
// getmetatable honours __metatable; its setmetatable refuses anything but
// a table; and it has no sethook, gethook, getregistry or debug.
//
// This one is built on the frames gopher-lua exposes: LState.GetStack,
// GetInfo, GetLocal and SetLocal, the function prototypes (source names,
// line and local tables, the bytecode, the names the compiler records for
// each call), and LFunction's upvalues. Three things gopher-lua does not
// keep are rebuilt:
//
//   - the levels of lost tail calls: GetStack answers a lost level with the
//     thread's first frame, which is told apart by comparing lua.Debug
//     values (their frame pointer is their only non-zero field);
//   - the yield a suspended coroutine sits in (gopher-lua pops its frame)
//     and the C function under the main chunk (lua.c's): each is a level of
//     its own, "[C]: in function 'yield'" and "[C]: ?", as in Lua 5.1;
//   - a function's name and namewhat ("global", "local", "method", "field",
//     "upvalue"), from the instruction that loaded the called value, found
//     in the caller's bytecode as Lua 5.1's getobjname finds it.
//
// A protected call runs on a coroutine of pcall's (pcall.go): while it
// runs, that coroutine is one stack with the thread that called pcall or
// xpcall, as in Lua 5.1, and the frames of pcall's machinery are no levels
// (protectedCallOf tells the debug library both).

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

func init() {
	correct("debug", openDebug)
}

// debugFuncs are the functions of Lua 5.1's debug table.
var debugFuncs = map[string]lua.LGFunction{
	"debug":        debugDebug,
	"getfenv":      debugGetfenv,
	"gethook":      debugGethook,
	"getinfo":      debugGetinfo,
	"getlocal":     debugGetlocal,
	"getmetatable": debugGetmetatable,
	"getregistry":  debugGetregistry,
	"getupvalue":   debugGetupvalue,
	"setfenv":      debugSetfenv,
	"sethook":      debugSethook,
	"setlocal":     debugSetlocal,
	"setmetatable": debugSetmetatable,
	"setupvalue":   debugSetupvalue,
	"traceback":    debugTraceback,
}

// openDebug opens the debug table as Lua 5.1's luaopen_debug does: the
// global debug and package.loaded.debug.
func openDebug(L *lua.LState, _ Options) {
	L.RegisterModule(lua.DebugLibName, debugFuncs)
}

// Levels of the traceback as Lua 5.1's ldblib.c prints them: the first
// debugLevels1 levels, "...", then the last debugLevels2.
const (
	debugLevels1 = 12
	debugLevels2 = 10
)

// Where is Lua 5.1's luaL_where on the debug library's levels of L's
// stack: "short_src:line: " of the function at level (1 is the function
// that called the running Go function), or "" when that level is a Go
// function, a lost tail call or past the last level.
func Where(L *lua.LState, level int) string {
	lv, ok := debugStackOf(L, L).at(level)
	if !ok || lv.kind != debugFrame {
		return ""
	}
	return debugWhere(lv.thread.th, lv.dbg)
}

// debugWhere is "short_src:line: " of frame d of th, or "" for a Go
// function or a frame without a current line.
func debugWhere(th *lua.LState, d *lua.Debug) string {
	fn := debugFunc(th, d)
	if fn == nil || fn.IsG {
		return ""
	}
	line := debugCurrentLine(th, d)
	if line <= 0 {
		return ""
	}
	_, short := debugSource(fn.Proto.SourceName)
	return short + ":" + strconv.Itoa(line) + ": "
}

// FunctionAt is the function running at level of L's stack, as the debug
// library counts levels (0 is the running Go function, 1 the function
// that called it; a protected call's levels go on with its pcall's), for
// getfenv, setfenv and error to count levels as Lua 5.1 does. ok is false
// past the last level. tail is true at a lost tail call's level, which has
// no function; fn is also nil at the level of a suspended coroutine's
// yield and at the last level of the main thread (the host's C function),
// whose functions gopher-lua does not keep.
func FunctionAt(L *lua.LState, level int) (fn *lua.LFunction, tail, ok bool) {
	lv, ok := debugStackOf(L, L).at(level)
	switch {
	case !ok:
		return nil, false, false
	case lv.kind == debugTail:
		return nil, true, true
	case lv.kind == debugFrame:
		return debugFunc(lv.thread.th, lv.dbg), false, true
	}
	return nil, false, true
}

// Traceback is debug.traceback's text for the stack of th (L itself for
// the running thread, else a coroutine of L's VM): msg and a newline unless
// msg is empty, "stack traceback:", then a line per level from level on,
// as Lua 5.1 writes them.
func Traceback(L, th *lua.LState, msg string, level int) string {
	return debugTracebackText(debugStackOf(L, th), msg, msg != "", level)
}

// debugLevelKind says what a level of a call stack is.
type debugLevelKind int

const (
	// debugFrame is a frame gopher-lua keeps: a Lua or a Go function.
	debugFrame debugLevelKind = iota
	// debugTail is a tail call whose frame the callee reused: Lua 5.1's
	// "(tail call)" level.
	debugTail
	// debugLostC is a Go function whose frame gopher-lua popped when it
	// yielded: the yield a suspended coroutine sits in, or the pcall of a
	// protected call resumed after a yield.
	debugLostC
	// debugHost is the C function under the main chunk (lua.c's pmain).
	debugHost
)

// debugLevel is one level of a call stack, as Lua 5.1 numbers levels.
type debugLevel struct {
	kind   debugLevelKind
	thread *debugThread
	// idx is the level in gopher-lua's numbering of thread.th's stack
	// (debugFrame and debugTail), or the level above which the lost Go
	// function sits (0, debugLostC).
	idx int
	dbg *lua.Debug // the frame of a debugFrame level
}

// debugThread is the levels of one thread, measured when first needed.
type debugThread struct {
	L, th *lua.LState
	// pc is the protected call th runs, if protected.
	pc        protectedCall
	protected bool
	// first says th is the thread the stack was asked for, not one that
	// resumed it.
	first bool
	// after is the name of the protected call whose caller th is ("pcall"
	// or "xpcall"), "" for the first thread; popped says the frame of that
	// pcall or xpcall went with a yield (protectedCall.popped).
	after    string
	popped   bool
	measured bool
	// n is how many levels gopher-lua has: GetStack(i) is ok for i < n.
	n int
	// bottom is the thread's first frame, GetStack(-1); bottomLevel its
	// level, found when first needed (bottomUnknown until then), -1 if
	// the thread has no frame.
	bottom      lua.Debug
	bottomLevel int
	// lostC is the name of the Go function at level 0 whose frame
	// gopher-lua popped when it yielded ("yield", "pcall", "xpcall"), ""
	// if none.
	lostC string
	// shown is how many of gopher-lua's levels are levels: n less those
	// of pcall's machinery.
	shown int
	// hidden is the level, in gopher-lua's numbering, of a frame of
	// pcall's machinery above the first frame (the message handler under
	// xpcall's handler), -1 if none: the levels from it on count past it.
	hidden int
	// host says the last level is the C function under the main chunk.
	host bool
	// nameless is the gopher-lua level of the function the looping
	// coroutine's machinery called (with a tail call), -1 if none: as a
	// function pcall calls in Lua 5.1, it has no name.
	nameless int
}

func (t *debugThread) levels() int {
	t.measure()
	n := t.shown
	if t.lostC != "" {
		n++
	}
	if t.host {
		n++
	}
	return n
}

// at is the thread's level i, 0 <= i < levels().
func (t *debugThread) at(i int) debugLevel {
	t.measure()
	if t.lostC != "" {
		if i == 0 {
			return debugLevel{kind: debugLostC, thread: t}
		}
		i--
	}
	if i >= t.shown {
		return debugLevel{kind: debugHost, thread: t}
	}
	if t.hidden >= 0 && i >= t.hidden {
		i++
	}
	d, _ := t.th.GetStack(i)
	if *d == t.bottom && i != t.bottomAt() {
		return debugLevel{kind: debugTail, thread: t, idx: i}
	}
	return debugLevel{kind: debugFrame, thread: t, idx: i, dbg: d}
}

// debugStack is a call stack as the debug library numbers its levels: a
// thread's, going on with the thread that called pcall or xpcall while the
// thread is the coroutine that runs the protected call (see
// protectedCallOf).
type debugStack struct {
	L       *lua.LState
	threads []debugThread
	// buf holds the threads of most stacks: one, or a protected call's
	// and its caller's.
	buf [2]debugThread
}

// debugStackOf is the call stack of th, seen from L. Its threads are
// measured only when a level in them is asked for.
func debugStackOf(L, th *lua.LState) *debugStack {
	s := &debugStack{L: L}
	s.threads = s.buf[:0]
	next := debugThread{L: L, th: th, first: true}
	// The bound is that of nested protected calls and resumes.
	for next.th != nil && len(s.threads) <= 2*maxNesting {
		next.pc, next.protected = protectedCallOf(next.th)
		s.threads = append(s.threads, next)
		pc := next.pc
		if !next.protected {
			break
		}
		if pc.failed != nil {
			// The frames the failed call left on its dead coroutine.
			s.threads = append(s.threads, debugThread{L: L, th: pc.failed, pc: protectedCall{looping: true}, protected: true})
		}
		next = debugThread{L: L, th: pc.caller, after: pc.name, popped: pc.popped}
	}
	return s
}

// levels is how many levels the stack has.
func (s *debugStack) levels() int {
	n := 0
	for i := range s.threads {
		n += s.threads[i].levels()
	}
	return n
}

// at is level i of the stack; ok is false past its last level. A
// negative level is a lost tail call, as Lua 5.1's lua_getstack takes it.
func (s *debugStack) at(i int) (lv debugLevel, ok bool) {
	if i < 0 {
		return debugLevel{kind: debugTail, idx: -1}, true
	}
	for j := range s.threads {
		t := &s.threads[j]
		if n := t.levels(); i < n {
			return t.at(i), true
		} else {
			i -= n
		}
	}
	return debugLevel{}, false
}

// measure counts the levels of the thread and finds those of pcall's
// machinery, which are no levels: on a looping coroutine, its first frame
// (the loop's body) and the tail call with which it called the function
// (pcall's run, not the script's); on a bare coroutine, the Go function
// under a Lua function it calls, and the message handler under xpcall's
// handler.
func (t *debugThread) measure() {
	if t.measured {
		return
	}
	t.measured = true
	th := t.th
	t.bottomLevel, t.hidden, t.nameless = -1, -1, -1
	t.n = debugCountLevels(th)
	if t.n > 0 {
		b, _ := th.GetStack(-1)
		t.bottom = *b
		t.bottomLevel = debugBottomUnknown
	}
	t.shown = t.n
	switch {
	case !t.protected || t.n == 0:
	case t.pc.looping:
		t.bottomLevel = t.n - 1
		t.shown = max(t.n-2, 0)
		t.nameless = t.n - 3
		for t.nameless >= 0 {
			// The function run called, not one of its own lost tail calls.
			if d, _ := th.GetStack(t.nameless); *d != t.bottom {
				break
			}
			t.nameless--
		}
	default:
		if fn := debugFunc(th, &t.bottom); fn != nil && fn == t.pc.callLua {
			t.shown--
		}
		if at := t.pc.handlerAt; at > 0 && at <= t.n {
			t.hidden = t.n - at
			t.shown--
		}
	}
	t.host = th == th.G.MainThread && t.n > 0
	if t.popped {
		t.lostC = t.after
	}
	// A suspended coroutine: started, not dead, neither running nor
	// resuming another (a running or normal coroutine has a Parent), and
	// its top frame a Lua function (a sockrun thread waiting for the
	// interpreter lock waits in a Go function).
	if t.first && th != t.L.G.CurrentThread && th != t.L && th != th.G.MainThread && !th.Dead && th.Parent == nil && t.n > 0 {
		if d, _ := th.GetStack(0); d != nil {
			if fn := debugFunc(th, d); fn != nil && !fn.IsG {
				t.lostC = "yield"
			}
		}
	}
}

// debugCountLevels is how many levels gopher-lua has for th: the least n
// for which GetStack(n) fails.
func debugCountLevels(th *lua.LState) int {
	if _, ok := th.GetStack(0); !ok {
		return 0
	}
	lo, hi := 0, 1 // GetStack(lo) is ok; GetStack(hi) is to be tried
	for {
		if _, ok := th.GetStack(hi); !ok {
			break
		}
		lo = hi
		hi *= 2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if _, ok := th.GetStack(mid); ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// debugBottomUnknown is debugThread.bottomLevel before it is found.
const debugBottomUnknown = -2

// bottomAt is the level of the thread's first frame (see findBottom), -1
// if it has none.
func (t *debugThread) bottomAt() int {
	if t.bottomLevel == debugBottomUnknown {
		t.bottomLevel = t.findBottom()
	}
	return t.bottomLevel
}

// findBottom is the level of the thread's first frame. GetStack answers
// the first frame for that level, for every lost tail call below a frame
// and for the lost tail calls of the first frame itself, which end the
// stack. A first frame that is a Go function or a main chunk (called by
// the host, not by a tail call) is the last level. Otherwise the last
// frame above it tells: not itself a tail call, the first frame is the
// level right after it; else, which of the levels after it is the first
// frame and which are lost tail calls cannot be told apart, and the first
// frame is taken to follow one lost tail call.
func (t *debugThread) findBottom() int {
	th := t.th
	last := t.n - 1
	if fn := debugFunc(th, &t.bottom); fn == nil || fn.IsG || fn.Proto.LineDefined == 0 {
		return last
	}
	p := last - 1
	for ; p >= 0; p-- {
		if d, _ := th.GetStack(p); *d != t.bottom {
			break
		}
	}
	if p < 0 {
		return 0
	}
	d, _ := th.GetStack(p)
	dd := *d
	if _, err := th.GetInfo("S", &dd, lua.LNil); err != nil || dd.What != "tail" {
		return p + 1
	}
	return min(p+2, last)
}

// debugFunc is the function of frame d of th, nil if gopher-lua does not
// say.
func debugFunc(th *lua.LState, d *lua.Debug) *lua.LFunction {
	dd := *d
	fn, err := th.GetInfo("f", &dd, lua.LNil)
	if err != nil {
		return nil
	}
	f, _ := fn.(*lua.LFunction)
	return f
}

// debugCurrentLine is the line frame d of th is running, -1 if none.
func debugCurrentLine(th *lua.LState, d *lua.Debug) int {
	dd := *d
	if _, err := th.GetInfo("l", &dd, lua.LNil); err != nil || dd.CurrentLine <= 0 {
		return -1
	}
	return dd.CurrentLine
}

// debugInfo is what debug.getinfo tells of a level or a function.
type debugInfo struct {
	source, shortSrc, what            string
	currentLine, lineDefined, lastDef int
	nups                              int
	name, nameWhat                    string
	hasName                           bool
	fn                                *lua.LFunction
}

// debugFuncInfo fills the fields of info that depend only on fn: source,
// short_src, what, linedefined, lastlinedefined, nups, func.
func debugFuncInfo(info *debugInfo, fn *lua.LFunction) {
	info.fn = fn
	if fn == nil || fn.IsG {
		info.source, info.shortSrc, info.what = "=[C]", "[C]", "C"
		info.lineDefined, info.lastDef = -1, -1
		if fn != nil {
			info.nups = len(fn.Upvalues)
		}
		return
	}
	p := fn.Proto
	info.source, info.shortSrc = debugSource(p.SourceName)
	info.lineDefined, info.lastDef = p.LineDefined, p.LastLineDefined
	info.what = "Lua"
	if p.LineDefined == 0 {
		info.what = "main"
		info.lastDef = 0
	}
	info.nups = len(fn.Upvalues)
}

// levelInfo is what debug.getinfo tells of level lv.
func (s *debugStack) levelInfo(lv debugLevel) debugInfo {
	var info debugInfo
	info.currentLine = -1
	switch lv.kind {
	case debugTail:
		info.source, info.shortSrc, info.what = "=(tail call)", "(tail call)", "tail"
		info.lineDefined, info.lastDef = -1, -1
		info.hasName = true // Lua 5.1 names a lost tail call ""
	case debugHost:
		debugFuncInfo(&info, nil)
	case debugLostC:
		debugFuncInfo(&info, nil)
		th := lv.thread.th
		if d, ok := th.GetStack(0); ok {
			if fn := debugFunc(th, d); fn != nil && !fn.IsG {
				// gopher-lua cut the stack below the Go function's
				// register: the function is not known.
				info.name, info.nameWhat, _ = debugCallName(fn, debugCurrentLine(th, d), lv.thread.lostC)
				info.hasName = info.nameWhat != ""
			}
		}
	case debugFrame:
		th := lv.thread.th
		debugFuncInfo(&info, debugFunc(th, lv.dbg))
		if info.fn != nil && !info.fn.IsG {
			info.currentLine = debugCurrentLine(th, lv.dbg)
		}
		info.name, info.nameWhat = s.frameName(lv)
		info.hasName = info.nameWhat != ""
	}
	return info
}

// frameName is the name and namewhat of the function of frame lv, as Lua
// 5.1's getfuncname finds them: the called expression of the instruction
// that called it, when a Lua function called it by a call instruction;
// "" and "" otherwise (called from Go, by a metamethod or the protected
// call's machinery, or a tail call).
func (s *debugStack) frameName(lv debugLevel) (name, what string) {
	t := lv.thread
	if lv.idx == t.nameless || lv.idx >= t.bottomAt() {
		return "", ""
	}
	th := t.th
	dd := *lv.dbg
	if _, err := th.GetInfo("n", &dd, lua.LNil); err != nil || dd.Name == "" || dd.Name == "?" {
		return "", ""
	}
	// gopher-lua names the function from the call instruction its caller
	// is at, when that caller is a Lua function; else it makes up a name
	// ("<file:line>", "(anonymous)"), which no call at the caller's line
	// has.
	caller, ok := th.GetStack(lv.idx + 1)
	if !ok || *caller == t.bottom && lv.idx+1 != t.bottomAt() {
		return "", ""
	}
	fn := debugFunc(th, caller)
	if fn == nil || fn.IsG {
		return "", ""
	}
	line := debugCurrentLine(th, caller)
	if name, what, _ := debugCallName(fn, line, dd.Name); what != "" {
		return name, what
	}
	// A generic for's iterator: Lua 5.1 names it by the register its
	// TFORLOOP calls, the local "(for generator)" (gopher-lua's local
	// table has that local's scope wrong). The loop at the caller's line
	// whose generator is this very function called it.
	callee := debugFunc(th, lv.dbg)
	p := fn.Proto
	for pc, inst := range p.Code {
		if debugOp(inst) != lua.OP_TFORLOOP || pc >= len(p.DbgSourcePositions) || p.DbgSourcePositions[pc] != line {
			continue
		}
		if name, v := th.GetLocal(caller, debugA(inst)+1); name != "" && v == callee {
			return "(for generator)", "local"
		}
	}
	return "", ""
}

// debugCallName is the name and namewhat of the function a call at line
// of fn called, given the name gopher-lua recorded for the call (for a
// yield, the name it is likely called by), and the call's instruction
// (-1 if none is found): the call is found among the calls at that line,
// then the called value is traced back in fn's bytecode.
func debugCallName(fn *lua.LFunction, line int, name string) (string, string, int) {
	p := fn.Proto
	var found []lua.DbgCall
	for _, c := range p.DbgCalls {
		if c.Pc < len(p.DbgSourcePositions) && p.DbgSourcePositions[c.Pc] == line && c.Name != "?" {
			found = append(found, c)
		}
	}
	var pick []lua.DbgCall
	for _, c := range found {
		if c.Name == name {
			pick = append(pick, c)
		}
	}
	if len(pick) == 0 && name == "yield" && len(found) == 1 {
		// A suspended coroutine's yield called by another name.
		pick = found
	}
	for _, c := range pick {
		if c.Pc >= len(p.Code) {
			continue
		}
		inst := p.Code[c.Pc]
		if op := int(inst >> 26); op != lua.OP_CALL && op != lua.OP_TAILCALL {
			continue
		}
		if n, what := debugObjName(fn, c.Pc, debugA(inst), c.Name); what != "" {
			return n, what, c.Pc
		}
	}
	return "", "", -1
}

// Instruction fields, as gopher-lua encodes them (Lua 5.1's layout).
func debugOp(inst uint32) int { return int(inst >> 26) }
func debugA(inst uint32) int  { return int(inst>>18) & 0xff }
func debugB(inst uint32) int  { return int(inst & 0x1ff) }
func debugC(inst uint32) int  { return int(inst>>9) & 0x1ff }
func debugBx(inst uint32) int { return int(inst & 0x3ffff) }

// debugRKConst is bit of an RK operand that says it is a constant.
const debugRKConst = 1 << 8

// debugObjName is Lua 5.1's getobjname for the function register reg of
// the call at instruction pc of fn, named name in gopher-lua's record of
// calls: the instruction that last set the register says how the called
// value was loaded. gopher-lua loads a global with GETGLOBAL, an upvalue
// with GETUPVAL, a field with GETTABLE, a method with SELF, and a local
// with a MOVE from the local's register. (The local's name is the call's:
// gopher-lua's table of local scopes is wrong after a block with locals
// closes, so fn.LocalName can name another local of the same register.)
func debugObjName(fn *lua.LFunction, pc, reg int, name string) (string, string) {
	p := fn.Proto
	j := debugSetter(p, pc, reg)
	if j < 0 {
		// The called value is in a local's own register.
		if n, ok := fn.LocalName(reg+1, pc); ok && n == name {
			return n, "local"
		}
		return "", ""
	}
	inst := p.Code[j]
	switch debugOp(inst) {
	case lua.OP_GETGLOBAL:
		if k := debugBx(inst); k < len(p.Constants) {
			if s, ok := p.Constants[k].(lua.LString); ok {
				return string(s), "global"
			}
		}
	case lua.OP_GETUPVAL:
		if b := debugB(inst); b < len(p.DbgUpvalues) {
			return p.DbgUpvalues[b], "upvalue"
		}
	case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
		return debugKName(p, debugC(inst)), "field"
	case lua.OP_SELF:
		if debugA(inst) == reg {
			return debugKName(p, debugC(inst)), "method"
		}
	case lua.OP_MOVE, lua.OP_MOVEN:
		if debugB(inst) < debugA(inst) {
			return name, "local"
		}
	}
	return "", ""
}

// debugKName is the name of an RK operand that is a constant string, "?"
// otherwise.
func debugKName(p *lua.FunctionProto, rk int) string {
	if rk&debugRKConst != 0 {
		if k := rk &^ debugRKConst; k < len(p.Constants) {
			if s, ok := p.Constants[k].(lua.LString); ok {
				return string(s)
			}
		}
	}
	return "?"
}

// debugSetter is the last instruction before pc that sets register reg,
// -1 if none: a backward scan, which finds the load of a called value,
// made right before its arguments.
func debugSetter(p *lua.FunctionProto, pc, reg int) int {
	for j := pc - 1; j >= 0; j-- {
		inst := p.Code[j]
		a := debugA(inst)
		switch debugOp(inst) {
		case lua.OP_SETGLOBAL, lua.OP_SETUPVAL, lua.OP_SETTABLE, lua.OP_SETTABLEKS,
			lua.OP_JMP, lua.OP_EQ, lua.OP_LT, lua.OP_LE, lua.OP_TEST, lua.OP_RETURN,
			lua.OP_TAILCALL, lua.OP_SETLIST, lua.OP_CLOSE, lua.OP_NOP:
		case lua.OP_LOADNIL:
			if a <= reg && reg <= debugB(inst) {
				return j
			}
		case lua.OP_SELF:
			if reg == a || reg == a+1 {
				return j
			}
		case lua.OP_CALL:
			if c := debugC(inst); reg >= a && (c == 0 || reg <= a+c-2) {
				return j
			}
		case lua.OP_VARARG:
			if b := debugB(inst); reg >= a && (b == 0 || reg <= a+b-2) {
				return j
			}
		case lua.OP_TFORLOOP:
			if reg >= a+2 && reg <= a+3+debugC(inst) {
				return j
			}
		case lua.OP_FORLOOP, lua.OP_FORPREP:
			if reg >= a && reg <= a+3 {
				return j
			}
		default:
			if a == reg {
				return j
			}
		}
	}
	return -1
}

// debugSource is Lua 5.1's source and short_src of a chunk gopher-lua
// compiled under name. sockrun names chunks as Lua 5.1 shows them in
// messages (gopher-lua writes the name as it is): a file by its path, the
// command line as "(command line)", standard input as "stdin", a string
// as `[string "..."]`; a name that starts with "@" or "=" is a Lua 5.1
// chunk name.
func debugSource(name string) (source, short string) {
	switch {
	case strings.HasPrefix(name, "@"), strings.HasPrefix(name, "="):
		return name, debugChunkID(name)
	case strings.HasPrefix(name, `[string "`) && strings.HasSuffix(name, `"]`):
		// The name is the chunk's text as error messages show it (up
		// to 63 bytes, Lua 5.1's MAXSRC); short_src shows up to 43.
		text := name[len(`[string "`) : len(name)-len(`"]`)]
		const room = debugIDSize - len(` [string "..."] `) - 1
		if len(text) > room && !(strings.HasSuffix(text, "...") && len(text)-3 <= room) {
			return text, `[string "` + text[:room] + `..."]`
		}
		return text, name
	case name == "stdin", strings.HasPrefix(name, "("):
		return "=" + name, name
	}
	return "@" + name, name
}

// debugIDSize is Lua 5.1's LUA_IDSIZE, the room of a short_src.
const debugIDSize = 60

// debugChunkID is Lua 5.1's luaO_chunkid with LUA_IDSIZE 60: the
// short_src of a chunk named source.
func debugChunkID(source string) string {
	const idSize = debugIDSize
	switch {
	case strings.HasPrefix(source, "="):
		s := source[1:]
		if len(s) > idSize-1 {
			s = s[:idSize-1]
		}
		return s
	case strings.HasPrefix(source, "@"):
		s := source[1:]
		if room := idSize - len(" '...' ") - 1; len(s) > room {
			return "..." + s[len(s)-room:]
		}
		return s
	}
	room := idSize - len(` [string "..."] `) - 1
	n := strings.IndexAny(source, "\n\r")
	if n < 0 {
		n = len(source)
	}
	if n > room {
		n = room
	}
	if n < len(source) {
		return `[string "` + source[:n] + `..."]`
	}
	return `[string "` + source + `"]`
}

// debugTracebackText is Lua 5.1's db_errorfb: msg (if hasMsg) and a
// newline, "stack traceback:", and a line per level from level on: the
// first debugLevels1, "...", the last debugLevels2.
func debugTracebackText(s *debugStack, msg string, hasMsg bool, level int) string {
	var b strings.Builder
	if hasMsg {
		b.WriteString(msg)
		b.WriteString("\n")
	}
	b.WriteString("stack traceback:")
	total := s.levels()
	exists := func(i int) bool { return i < total }
	firstPart := true
	for exists(level) {
		level++
		if level > debugLevels1 && firstPart {
			if !exists(level + debugLevels2) {
				level--
			} else {
				b.WriteString("\n\t...")
				for exists(level + debugLevels2) {
					level++
				}
			}
			firstPart = false
			continue
		}
		lv, _ := s.at(level - 1)
		info := s.levelInfo(lv)
		b.WriteString("\n\t")
		b.WriteString(info.shortSrc)
		b.WriteString(":")
		if info.currentLine > 0 {
			b.WriteString(strconv.Itoa(info.currentLine))
			b.WriteString(":")
		}
		switch {
		case info.nameWhat != "":
			fmt.Fprintf(&b, " in function '%s'", info.name)
		case info.what == "main":
			b.WriteString(" in main chunk")
		case info.what == "C" || info.what == "tail":
			b.WriteString(" ?")
		default:
			fmt.Fprintf(&b, " in function <%s:%d>", info.shortSrc, info.lineDefined)
		}
	}
	return b.String()
}

// debugThreadArg is Lua 5.1's getthread: the thread the function looks
// at (its first argument, when it is a thread, else L) and the index of
// its first argument after the thread (0 or 1).
func debugThreadArg(L *lua.LState) (*lua.LState, int) {
	if th, ok := L.Get(1).(*lua.LState); ok {
		return th, 1
	}
	return L, 0
}

// debugFnName is the name the running Go function was called by, as Lua
// 5.1's luaL_argerror names it: "?" when it has none.
func debugFnName(L *lua.LState) string {
	s := debugStackOf(L, L)
	if lv, ok := s.at(0); ok && lv.kind == debugFrame {
		if name, what := s.frameName(lv); what != "" {
			return name
		}
	}
	return "?"
}

// debugRaise raises a message as Lua 5.1's luaL_error does: prefixed
// with the position of the function that called the running Go function,
// when that is a Lua function (gopher-lua's RaiseError looks past Go
// functions for one).
func debugRaise(L *lua.LState, format string, args ...any) {
	L.Error(lua.LString(Where(L, 1)+fmt.Sprintf(format, args...)), 0)
}

// debugArgError raises Lua 5.1's "bad argument #n to 'name' (msg)".
func debugArgError(L *lua.LState, n int, msg string) {
	debugRaise(L, "bad argument #%d to '%s' (%s)", n, debugFnName(L), msg)
}

// debugTypeName is the type of argument n as Lua 5.1 names it in
// messages: "no value" past the last argument.
func debugTypeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// debugTypeError raises Lua 5.1's "bad argument #n to 'name' (T expected,
// got U)".
func debugTypeError(L *lua.LState, n int, want string) {
	debugArgError(L, n, want+" expected, got "+debugTypeName(L, n))
}

// debugToNumber is argument n as Lua 5.1's lua_isnumber/lua_tonumber see
// it: a number, or a string that converts to one.
func debugToNumber(L *lua.LState, n int) (float64, bool) {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		s := strings.TrimSpace(string(v))
		if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "_") {
			return f, true
		}
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			if u, err := strconv.ParseUint(s[2:], 16, 64); err == nil {
				return float64(u), true
			}
		}
	}
	return 0, false
}

// debugCheckInt is luaL_checkint: argument n as an integer (truncated,
// and clamped to an int32 as C's int is).
func debugCheckInt(L *lua.LState, n int) int {
	f, ok := debugToNumber(L, n)
	if !ok {
		debugTypeError(L, n, "number")
	}
	return debugInt(f)
}

// debugInt is f truncated to an integer within C's int (NaN is 0).
func debugInt(f float64) int {
	switch {
	case f != f:
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	case f <= math.MinInt32:
		return math.MinInt32
	}
	return int(f)
}

// debugOptInt is luaL_optint: argument n as an integer, def if it is
// absent or nil.
func debugOptInt(L *lua.LState, n, def int) int {
	if L.Get(n) == lua.LNil {
		return def
	}
	return debugCheckInt(L, n)
}

// debugCheckString is luaL_checkstring: argument n as a string (a
// number is converted).
func debugCheckString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return FormatNumber(float64(v))
	}
	debugTypeError(L, n, "string")
	return ""
}

// debugCheckAny is luaL_checkany.
func debugCheckAny(L *lua.LState, n int) {
	if n > L.GetTop() {
		debugArgError(L, n, "value expected")
	}
}

// debugTraceback is debug.traceback([thread,] [message [, level]]): the
// message, a newline and the traceback of the thread's stack from level
// on (1, skipping traceback itself, for the running thread; 0 for
// another). A message that is neither a string nor a number is returned
// as it is.
func debugTraceback(L *lua.LState) int {
	th, arg := debugThreadArg(L)
	level := 0
	if th == L {
		level = 1
	}
	top := L.GetTop()
	if f, ok := debugToNumber(L, arg+2); ok {
		// Lua 5.1 shows a "(tail call)" line for each negative level;
		// past -debugLevels1 that is no more than a way to hang.
		level = max(debugInt(f), -debugLevels1)
		top = arg + 1
	}
	var msg string
	hasMsg := top > arg
	if hasMsg {
		switch v := L.Get(arg + 1).(type) {
		case lua.LString:
			msg = string(v)
		case lua.LNumber:
			msg = FormatNumber(float64(v))
		default:
			L.Push(L.Get(top))
			return 1
		}
	}
	L.Push(lua.LString(debugTracebackText(debugStackOf(L, th), msg, hasMsg, level)))
	return 1
}

// debugGetinfo is debug.getinfo([thread,] function|level [, what]): a
// table of what Lua 5.1 tells of the function or the level: source,
// short_src, what, linedefined, lastlinedefined ('S'), currentline ('l'),
// nups ('u'), name, namewhat ('n'), func ('f'), activelines ('L'); nil
// for a level past the last.
func debugGetinfo(L *lua.LState) int {
	th, arg := debugThreadArg(L)
	options := "flnSu"
	if L.Get(arg+2) != lua.LNil {
		options = debugCheckString(L, arg+2)
	}
	var info debugInfo
	if f, ok := debugToNumber(L, arg+1); ok {
		s := debugStackOf(L, th)
		lv, ok := s.at(debugInt(f))
		if !ok {
			L.Push(lua.LNil)
			return 1
		}
		info = s.levelInfo(lv)
	} else if fn, ok := L.Get(arg + 1).(*lua.LFunction); ok {
		debugFuncInfo(&info, fn)
		info.currentLine = -1
	} else {
		debugArgError(L, arg+1, "function or level expected")
	}
	for _, c := range options {
		if !strings.ContainsRune("SlunfL", c) {
			debugArgError(L, arg+2, "invalid option")
		}
	}
	t := L.CreateTable(0, 12)
	for _, c := range options {
		switch c {
		case 'S':
			t.RawSetString("source", lua.LString(info.source))
			t.RawSetString("short_src", lua.LString(info.shortSrc))
			t.RawSetString("linedefined", lua.LNumber(info.lineDefined))
			t.RawSetString("lastlinedefined", lua.LNumber(info.lastDef))
			t.RawSetString("what", lua.LString(info.what))
		case 'l':
			t.RawSetString("currentline", lua.LNumber(info.currentLine))
		case 'u':
			t.RawSetString("nups", lua.LNumber(info.nups))
		case 'n':
			if info.hasName {
				t.RawSetString("name", lua.LString(info.name))
			}
			t.RawSetString("namewhat", lua.LString(info.nameWhat))
		case 'f':
			if info.fn != nil {
				t.RawSetString("func", info.fn)
			}
		case 'L':
			if info.fn != nil && !info.fn.IsG {
				lines := L.CreateTable(0, 0)
				for _, line := range info.fn.Proto.DbgSourcePositions {
					lines.RawSetInt(line, lua.LTrue)
				}
				t.RawSetString("activelines", lines)
			}
		}
	}
	L.Push(t)
	return 1
}

// debugLocalLevel is the level argument of getlocal and setlocal: the
// frame it names, raising "level out of range" past the last level.
func debugLocalLevel(L, th *lua.LState, n int) (debugLevel, bool) {
	level := debugCheckInt(L, n)
	s := debugStackOf(L, th)
	lv, ok := s.at(level)
	if !ok {
		debugArgError(L, n, "level out of range")
	}
	return lv, lv.kind == debugFrame
}

// debugGetlocal is debug.getlocal([thread,] level, local): the name and
// value of the local of that index at that level ("(*temporary)" for a
// value of the frame that is no named local), or nil.
func debugGetlocal(L *lua.LState) int {
	th, arg := debugThreadArg(L)
	lv, isFrame := debugLocalLevel(L, th, arg+1)
	n := debugCheckInt(L, arg+2)
	if isFrame && n > 0 {
		if name, v := lv.thread.th.GetLocal(lv.dbg, n); name != "" {
			L.Push(lua.LString(name))
			L.Push(v)
			return 2
		}
	}
	L.Push(lua.LNil)
	return 1
}

// debugSetlocal is debug.setlocal([thread,] level, local, value): sets
// that local and returns its name, or nil.
func debugSetlocal(L *lua.LState) int {
	th, arg := debugThreadArg(L)
	debugCheckAny(L, arg+3)
	lv, isFrame := debugLocalLevel(L, th, arg+1)
	n := debugCheckInt(L, arg+2)
	v := L.Get(arg + 3)
	if isFrame && n > 0 {
		if name := lv.thread.th.SetLocal(lv.dbg, n, v); name != "" {
			L.Push(lua.LString(name))
			return 1
		}
	}
	L.Push(lua.LNil)
	return 1
}

// debugUpvalueArgs checks the arguments of getupvalue and setupvalue:
// the function and the index; a Go function's upvalues are not the
// script's (Lua 5.1: a C function's).
func debugUpvalueArgs(L *lua.LState) (*lua.LFunction, int, bool) {
	n := debugCheckInt(L, 2)
	fn, ok := L.Get(1).(*lua.LFunction)
	if !ok {
		debugTypeError(L, 1, "function")
	}
	if fn.IsG || n < 1 || n > len(fn.Upvalues) || n > len(fn.Proto.DbgUpvalues) {
		return fn, n, false
	}
	return fn, n, true
}

// debugGetupvalue is debug.getupvalue(f, up): the name and value of the
// function's upvalue of that index, or nothing.
func debugGetupvalue(L *lua.LState) int {
	fn, n, ok := debugUpvalueArgs(L)
	if !ok {
		return 0
	}
	name, v := L.GetUpvalue(fn, n)
	L.Push(lua.LString(name))
	L.Push(v)
	return 2
}

// debugSetupvalue is debug.setupvalue(f, up, value): sets the function's
// upvalue of that index and returns its name, or nothing.
func debugSetupvalue(L *lua.LState) int {
	debugCheckAny(L, 3)
	fn, n, ok := debugUpvalueArgs(L)
	if !ok {
		return 0
	}
	L.Push(lua.LString(L.SetUpvalue(fn, n, L.Get(3))))
	return 1
}

// debugGetmetatable is debug.getmetatable(object): the object's
// metatable, even a protected one (__metatable is not consulted), or nil.
func debugGetmetatable(L *lua.LState) int {
	debugCheckAny(L, 1)
	L.Push(weakRawMetatable(L, L.Get(1)))
	return 1
}

// debugSetmetatable is debug.setmetatable(object, table): sets the
// metatable of any value (of a value of a type without metatables of its
// own, the metatable of every value of that type), even a protected one;
// returns true.
func debugSetmetatable(L *lua.LState) int {
	switch L.Get(2).(type) {
	case *lua.LNilType, *lua.LTable:
	default:
		debugArgError(L, 2, "nil or table expected")
	}
	if L.GetTop() < 2 {
		debugArgError(L, 2, "nil or table expected")
	}
	weakSetMetatable(L, L.Get(1), L.Get(2))
	L.Push(lua.LTrue)
	return 1
}

// debugGetregistry is debug.getregistry(): the registry table, whole
// (RegistryCompleter).
func debugGetregistry(L *lua.LState) int {
	if c := RegistryCompleterOf(L); c != nil {
		c.CompleteRegistry(L)
	}
	L.Push(L.G.Registry)
	return 1
}

// A RegistryCompleter is a host that puts in the registry at first use
// what a script may also find there (an object type's metatable, made
// with the first object): CompleteRegistry puts the rest there, so that
// debug.getregistry shows the registry whole.
type RegistryCompleter interface {
	CompleteRegistry(L *lua.LState)
}

// completerKey is the registry field that holds the RegistryCompleter of
// a state, in a userdata.
const completerKey = "sockrun.lua51.completer"

// SetRegistryCompleter makes c the RegistryCompleter of L's state.
func SetRegistryCompleter(L *lua.LState, c RegistryCompleter) {
	L.G.Registry.RawSetString(completerKey, &lua.LUserData{Value: c})
}

// RegistryCompleterOf is the RegistryCompleter of L's state, nil if it
// has none.
func RegistryCompleterOf(L *lua.LState) RegistryCompleter {
	if ud, ok := L.G.Registry.RawGetString(completerKey).(*lua.LUserData); ok {
		c, _ := ud.Value.(RegistryCompleter)
		return c
	}
	return nil
}

// debugGetfenv is debug.getfenv(object): the environment of a function,
// userdata or thread, nil for another value.
func debugGetfenv(L *lua.LState) int {
	debugCheckAny(L, 1)
	switch v := L.Get(1).(type) {
	case *lua.LFunction:
		L.Push(v.Env)
	case *lua.LUserData:
		L.Push(v.Env)
	case *lua.LState:
		L.Push(v.Env)
	default:
		L.Push(lua.LNil)
	}
	return 1
}

// debugSetfenv is debug.setfenv(object, table): sets the environment of a
// function, userdata or thread and returns the object.
func debugSetfenv(L *lua.LState) int {
	env, ok := L.Get(2).(*lua.LTable)
	if !ok {
		debugTypeError(L, 2, "table")
	}
	switch v := L.Get(1).(type) {
	case *lua.LFunction:
		v.Env = env
	case *lua.LUserData:
		v.Env = env
	case *lua.LState:
		v.Env = env
	default:
		debugRaise(L, "'setfenv' cannot change environment of given object")
	}
	L.SetTop(1)
	return 1
}

// debugHookKey is the registry key of the table of hook functions by
// thread, kept for gethook: a weak-keyed table, as Lua 5.1's.
const debugHookKey = "sockrun.lua51.hooks"

// debugSethook is debug.sethook([thread,] hook, mask [, count]).
// gopher-lua calls no function on a call, a return, a new line or after a
// count of instructions, so a hook with any of these ("c", "r", "l" in
// mask or a count above 0) cannot be honoured: it is an error, rather
// than a hook that is silently never called. Without a hook or with an
// empty mask and no count, the thread has no hook, as in Lua 5.1.
func debugSethook(L *lua.LState) int {
	th, arg := debugThreadArg(L)
	var fn lua.LValue = lua.LNil
	mask, count := "", 0
	if L.Get(arg+1) != lua.LNil {
		mask = debugCheckString(L, arg+2)
		if _, ok := L.Get(arg + 1).(*lua.LFunction); !ok {
			debugTypeError(L, arg+1, "function")
		}
		fn = L.Get(arg + 1)
		count = debugOptInt(L, arg+3, 0)
		var events []string
		for _, c := range []struct {
			r    rune
			name string
		}{{'c', "call"}, {'r', "return"}, {'l', "line"}} {
			if strings.ContainsRune(mask, c.r) {
				events = append(events, c.name)
			}
		}
		if count > 0 {
			events = append(events, "count")
		}
		if len(events) > 0 {
			debugRaise(L, "debug.sethook: sockrun's Lua VM (gopher-lua) cannot call a hook on %s", strings.Join(events, ", "))
		}
	}
	hooks, ok := L.G.Registry.RawGetString(debugHookKey).(*lua.LTable)
	if !ok {
		if fn == lua.LNil {
			return 0
		}
		hooks = L.CreateTable(0, 1)
		mt := L.CreateTable(0, 1)
		mt.RawSetString("__mode", lua.LString("k"))
		weakSetMetatable(L, hooks, mt)
		L.G.Registry.RawSetString(debugHookKey, hooks)
	}
	hooks.RawSet(th, fn)
	return 0
}

// debugGethook is debug.gethook([thread]): the thread's hook function,
// its mask and its count. No hook runs under gopher-lua (see sethook):
// the function is the one last given with an empty mask, the mask "" and
// the count 0.
func debugGethook(L *lua.LState) int {
	th, _ := debugThreadArg(L)
	var fn lua.LValue = lua.LNil
	if hooks, ok := L.G.Registry.RawGetString(debugHookKey).(*lua.LTable); ok {
		fn = hooks.RawGet(th)
	}
	L.Push(fn)
	L.Push(lua.LString(""))
	L.Push(lua.LNumber(0))
	return 3
}

// debugDebug is debug.debug(): reads lines from standard input and runs
// each as a chunk, until a line "cont" or the end of input, as Lua 5.1's
// does: the prompt "lua_debug> " and the message of an error go to
// standard error. It reads with io.read and writes with io.stderr:write,
// the script's own standard streams (sockrun's io.read releases the
// interpreter lock while it waits).
func debugDebug(L *lua.LState) int {
	for {
		debugWriteStderr(L, "lua_debug> ")
		line, ok := debugReadLine(L)
		if !ok || line == "cont" {
			return 0
		}
		// Lua 5.1 compiles the line as read, with its newline.
		proto, err := Compile(line+"\n", "(debug command)")
		if err == nil {
			err = debugRunCommand(L, L.NewFunctionFromProto(proto))
		}
		if err != nil {
			debugWriteStderr(L, debugErrorText(err)+"\n")
		}
	}
}

// debugRunCommand runs a command of debug.debug, protected, on a
// coroutine of its own: gopher-lua's PCall closes every open upvalue of the
// thread when it catches an error, which would cut the script's closures
// off from its locals. A command that yields fails as in Lua 5.1, where
// debug.debug runs it with lua_pcall.
func debugRunCommand(L *lua.LState, fn *lua.LFunction) error {
	co, cancel := L.NewThread()
	if cancel != nil {
		defer cancel()
	}
	st, err, _ := L.Resume(co, fn)
	if err == nil && st == lua.ResumeYield {
		err = errors.New("attempt to yield across metamethod/C-call boundary")
	}
	return err
}

// debugErrorText is the message of an error from Compile or PCall.
func debugErrorText(err error) string {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Object != nil {
		if n, ok := apiErr.Object.(lua.LNumber); ok {
			return FormatNumber(float64(n))
		}
		if s, ok := apiErr.Object.(lua.LString); ok {
			return string(s)
		}
		return apiErr.Object.String()
	}
	return strings.TrimRight(err.Error(), "\n")
}

// debugIOField is package.loaded.io[name], nil if there is none.
func debugIOField(L *lua.LState, name string) lua.LValue {
	loaded, ok := L.G.Registry.RawGetString("_LOADED").(*lua.LTable)
	if !ok {
		return nil
	}
	iolib, ok := loaded.RawGetString("io").(*lua.LTable)
	if !ok {
		return nil
	}
	return iolib.RawGetString(name)
}

// debugReadLine reads a line with io.read("*l"); ok is false at the end
// of input.
func debugReadLine(L *lua.LState) (string, bool) {
	read := debugIOField(L, "read")
	if read == nil || read == lua.LNil {
		return "", false
	}
	L.Push(read)
	L.Push(lua.LString("*l"))
	L.Call(1, 1)
	v := L.Get(-1)
	L.Pop(1)
	s, ok := v.(lua.LString)
	return string(s), ok
}

// debugWriteStderr writes s with io.stderr:write(s).
func debugWriteStderr(L *lua.LState, s string) {
	stderr := debugIOField(L, "stderr")
	if stderr == nil || stderr == lua.LNil {
		return
	}
	write := L.GetField(stderr, "write")
	if write == lua.LNil {
		return
	}
	L.Push(write)
	L.Push(stderr)
	L.Push(lua.LString(s))
	L.Call(2, 0)
}
