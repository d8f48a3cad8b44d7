package host

import (
	"errors"
	"strings"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// ExplainError gives err, from a PCall in L, lua5.1's message where it is
// a runtime error gopher-lua words differently ("attempt to index global
// 'sockt' (a nil value)": lua51.Explain). Call it with the interpreter lock
// held, right after the PCall.
func ExplainError(L *lua.LState, err error) error {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		if s, ok := apiErr.Object.(lua.LString); ok {
			apiErr.Object = lua.LString(lua51.Explain(L, string(s)))
		}
	}
	return err
}

// DescribeError is the message and Lua traceback of an error from PCall:
// a Lua error value's "TimeoutError: timed out ...", a string error as
// Lua 5.1 writes it.
func DescribeError(err error) (msg, trace string) {
	var apiErr *lua.ApiError
	if !errors.As(err, &apiErr) {
		return err.Error(), ""
	}
	if m, ok := luaapi.IsErrorValue(apiErr.Object); ok {
		msg = m
	} else if apiErr.Object != nil {
		msg = lua51.ErrorText(apiErr.Object)
	} else {
		msg = err.Error()
	}
	return msg, strings.TrimRight(apiErr.StackTrace, "\n")
}

// IsKeyboardInterrupt reports whether err, from PCall, is the
// KeyboardInterrupt a signal raised in the main thread.
func IsKeyboardInterrupt(err error) bool {
	var apiErr *lua.ApiError
	if !errors.As(err, &apiErr) {
		return false
	}
	t, ok := apiErr.Object.(*lua.LTable)
	return ok && t.RawGetString("class") == lua.LString("KeyboardInterrupt")
}
