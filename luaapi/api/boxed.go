package api

import (
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// lstringItab is the first word of an lua.LValue that holds an
// lua.LString: the interface's table for that type, the same for every
// such value.
var lstringItab = func() unsafe.Pointer {
	var v lua.LValue = lua.LString("")
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[0]
}()

// BoxedString is the Lua string whose header is at hdr, as the value Go
// would make of lua.LString(*(*string)(hdr)), without the allocation Go
// makes for it: hdr is a header the socket core wrote in the allocation of
// the string's bytes (core.Socket.Boxed), and becomes the interface's box.
// An interface holding a string points at a header of it, and that is what
// hdr is.
func BoxedString(hdr unsafe.Pointer) lua.LValue {
	var v lua.LValue
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))
	w[0], w[1] = lstringItab, hdr
	return v
}
