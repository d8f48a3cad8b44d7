package lua51

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// HostCall calls the function below the nargs arguments on top of L's
// stack in protected mode, as a host runs a function nothing in Lua
// called: the main chunk, a thread's body. It returns nil, or the error as
// an *lua.ApiError whose Object is the value raised (a runtime error's
// message worded as Lua 5.1 words it, Explain) and whose StackTrace
// is Lua 5.1's traceback of the frames the error unwound, taken before
// they were ("stack traceback:\n\t[C]: in function 'error'\n\t...", what
// lua5.1 prints under an uncaught error).
//
// gopher-lua's PCall gives its own traceback instead ("[G]: ?", no tail
// calls, pcall's machinery shown); when the handler that takes Lua 5.1's
// cannot run (a call stack overflow leaves no room for it), that one is
// kept, written as Lua 5.1 would name its frames.
//
// The error closes the upvalues of the frames it unwound, as Lua 5.1 does
// (gopher-lua's PCall with a message handler leaves them open): a closure
// made there that still runs, a thread's body made by the main chunk,
// keeps the variables' last values instead of reading registers the
// state reuses, or clears.
func HostCall(L *lua.LState, nargs, nret int) error {
	trace := ""
	var raised lua.LValue
	handler := L.NewFunction(func(L *lua.LState) int {
		trace = Traceback(L, L, "", 1)
		raised = explained(L, L.Get(1))
		// Raised again from here, where gopher-lua no longer counts a
		// message handler, the error closes every open upvalue of L:
		// those of the frames it unwinds, which are all of L's.
		L.Panic = unwind
		L.Error(raised, 0)
		return 0
	})
	err := L.PCall(nargs, nret, handler)
	if err == nil {
		return nil
	}
	if raised != nil {
		err = &lua.ApiError{Type: lua.ApiErrorRun, Object: raised}
	}
	apiErr, ok := err.(*lua.ApiError)
	if !ok {
		return err
	}
	if s, ok := apiErr.Object.(lua.LString); ok && s == "lua callstack overflow" {
		apiErr.Object = lua.LString("stack overflow")
	}
	if trace != "" {
		apiErr.StackTrace = trace
	} else {
		apiErr.StackTrace = strings.ReplaceAll(apiErr.StackTrace, "[G]:", "[C]:")
	}
	return apiErr
}

// ErrorText is an error value as a host prints it when nothing caught
// it: a string or a number as its text (numbers as %.14g), any other value
// as "(error object is a T value)", as lua5.2 and later say it (lua5.1
// says "(error object is not a string)", and nothing for nil). It calls
// no metamethod: the host prints after the run, when no Lua may run.
func ErrorText(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return FormatNumber(float64(v))
	}
	return "(error object is a " + v.Type().String() + " value)"
}
