// Package core is sockrun's socket core: the layer under every face a
// script sees (Python's socket objects, LuaSocket's). It takes Go values and
// returns Go values and errors; it knows no Lua: the interpreter-lock
// hand-off around every wait goes through the Host, for a Caller it never
// looks inside.
//
// A Socket is a real OS socket, non-blocking and registered with Go's
// netpoller (through an *os.File), so a thread waiting on it costs a
// goroutine and no OS thread. Beneath the socket's calls is a transport:
// the descriptor itself, or anything shaped like a net.Conn laid over it (a
// TLS connection, SetTransport). Every read of a stream socket goes through
// one receive buffer, whatever the call (recv with or without flags,
// recvfrom, the framing reads), so that mixing them never loses or
// reorders a byte. Each call has a deadline: the socket's timeout per call
// (Python's settimeout), an absolute deadline (LuaSocket's total timeout),
// or the nearer of the two. The socket keeps its own state (State),
// updated by each call.
//
// Threading: a Socket's methods are called with the interpreter lock held,
// by the thread the Caller stands for; a method that waits releases the
// lock through the Host while it waits and takes it back before it
// returns. Close, FD and State may be called from any goroutine.
//
// It also holds what both faces share below Lua: select's poll loop
// (Poll), the lock hand-off of other blocking work (Release), addresses,
// name lookups and the services database (addr.go).
//
// It imports nothing of sockrun and nothing of gopher-lua: it is the
// bottom layer, under luaapi/api and both faces (layers_test.go).
package core
