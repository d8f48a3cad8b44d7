package trace

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/runner/repr"
	lua "github.com/yuin/gopher-lua"
)

// How a trace prints calls: arguments as the script wrote them (constants
// by name, addresses as {host, port} tables, data as a short escaped
// preview), results in a few words, and the text format's line.

// previewLen is how many bytes of data a preview shows.
const previewLen = 32

// preview is data quoted and escaped for one line of a terminal: printable
// text as it is, \r \n \t \" \\ as in Lua, other bytes as \xNN, cut after
// previewLen bytes with "...".
func preview(data string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 2*previewLen)
	b = append(b, '"')
	cut := len(data) > previewLen
	for i := 0; i < len(data) && i < previewLen; {
		r, size := utf8.DecodeRuneInString(data[i:])
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r >= ' ' && r < 0x7f:
			b = append(b, byte(r))
		case r == utf8.RuneError && size <= 1, !unicode.IsPrint(r), i+size > previewLen:
			b = append(b, '\\', 'x', hex[data[i]>>4], hex[data[i]&15])
			size = 1
		default:
			b = append(b, data[i:i+size]...)
		}
		i += size
	}
	if cut {
		b = append(b, "..."...)
	}
	return string(append(b, '"'))
}

// dataValue is a string argument or result as a trace shows it: its
// preview, and its length when the preview is cut.
func dataValue(s string) string {
	if len(s) > previewLen {
		return preview(s) + " (" + strconv.Itoa(len(s)) + " bytes)"
	}
	return preview(s)
}

// formatArgs is a call's arguments, self left out, as the script wrote
// them: socket.AF_INET, {"127.0.0.1", 9999}, "hello".
func formatArgs(ev *luaapi.CallEvent) string {
	first := 0
	if ev.Type != "" {
		first = 1
	}
	parts := make([]string, 0, len(ev.Args))
	for i := first; i < len(ev.Args); i++ {
		if name := luaapi.ConstArg(ev, i); name != "" {
			parts = append(parts, name)
			continue
		}
		parts = append(parts, argPrinter.Value(ev.Args[i]))
	}
	return strings.Join(parts, ", ")
}

// Bounds of what a trace prints of one value.
const (
	maxTableDepth = 1 // tables inside a table print as {...}
	maxTableItems = 8 // values and fields a table prints; the rest is "..."
)

// argPrinter prints a call's arguments as the script wrote them: as Lua
// source, with a string as its preview.
var argPrinter = &repr.Printer{Depth: maxTableDepth, Items: maxTableItems, String: dataValue, Special: specialValue}

// resultPrinter prints what a call returned: as argPrinter does, but an
// address as host:port.
var resultPrinter = &repr.Printer{Depth: maxTableDepth, Items: maxTableItems, String: dataValue,
	Special: func(v lua.LValue) (string, bool) {
		if t, ok := v.(*lua.LTable); ok {
			return addrString(t)
		}
		return specialValue(v)
	}}

// specialValue prints what a trace shows its own way: a socket as fd=N,
// other userdata by its type's name, a function as function. A trace
// calls no metamethod (__tostring) of the script's.
func specialValue(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case *lua.LUserData:
		if s, ok := v.Value.(luaapi.StatefulSocket); ok {
			return "fd=" + strconv.Itoa(s.FD()), true
		}
		if mt, ok := v.Metatable.(*lua.LTable); ok {
			if name, ok := mt.RawGetString("__name").(lua.LString); ok {
				return "<" + string(name) + ">", true
			}
		}
		return "<userdata>", true
	case *lua.LFunction:
		return "function", true
	}
	return "", false
}

// addrString is an address table {host, port} as host:port.
func addrString(t *lua.LTable) (string, bool) {
	host, ok1 := t.RawGetInt(1).(lua.LString)
	port, ok2 := t.RawGetInt(2).(lua.LNumber)
	if !ok1 || !ok2 || t.Len() != 2 {
		return "", false
	}
	return net.JoinHostPort(string(host), port.String()), true
}

// errorName is the name of a raised error: its errno name (ECONNREFUSED,
// ETIMEDOUT), KeyboardInterrupt for an interrupt, else its message.
func errorName(err lua.LValue) string {
	if t, ok := err.(*lua.LTable); ok {
		if class := lua.LVAsString(t.RawGetString("class")); class == "KeyboardInterrupt" {
			return class
		}
		if name := lua.LVAsString(t.RawGetString("name")); name != "" {
			return name
		}
		if class := lua.LVAsString(t.RawGetString("class")); class != "" {
			return class
		}
	}
	return strings.TrimSpace(lua.LVAsString(err))
}

// describeResult fills in what a call returned or raised: the result in
// words, the bytes it moved with their preview, the new socket's fd. What
// the call does (receives, sends, opens) and where its data is are the
// registry's (api: Func.Dir, Func.DataAt); the bytes are what the socket
// core counted, whatever face made the call.
func (vt *VMTracer) describeResult(ev *luaapi.CallEvent, te *traceEvent) {
	moves := ev.Socket != nil && ev.Func.Dir&(api.Receives|api.Sends) != 0
	if ev.Err != nil {
		te.Error = errorName(ev.Err)
		if moves && ev.Received+ev.Sent > 0 {
			vt.describeBytes(ev, te) // a failed read may have consumed some (err.partial)
		}
		return
	}
	if ev.Func.Fail == api.ReturnsNilErr {
		te.Error = ev.Returned() // LuaSocket's nil, "timeout"
	}
	if moves {
		vt.describeBytes(ev, te)
		if te.Error != "" && *te.Bytes == 0 && !ev.EndOfStream {
			te.Bytes, te.Preview, te.Result = nil, "", ""
		}
		return
	}
	if te.Error != "" {
		return
	}
	if len(ev.Results) == 0 {
		te.Result = "ok"
		return
	}
	parts := make([]string, len(ev.Results))
	for i, r := range ev.Results {
		parts[i] = resultPrinter.Value(r)
	}
	te.Result = strings.Join(parts, " ")
	// A call that made a socket (socket.socket, accept,
	// create_connection): its descriptor, state and endpoints.
	if s := ev.Made(); s != nil {
		if ev.Socket == nil {
			fd := s.FD()
			te.FD = &fd
			te.StateAfter = s.StateName()
		}
		local, peer := s.Endpoints()
		vt.addrs[s] = endpoints{local, peer}
	}
	vt.pair(ev)
}

// pair notes the sockets a call made together, connected to each other
// and with no address (socket.socketpair): each names the other, by its
// descriptor, as its peer.
func (vt *VMTracer) pair(ev *luaapi.CallEvent) {
	if ev.Func.Dir&api.Opens == 0 {
		return
	}
	var made []luaapi.StatefulSocket
	for _, r := range ev.Results {
		if s := api.SocketValue(r); s != nil {
			made = append(made, s)
		}
	}
	if len(made) != 2 {
		return
	}
	a, b := made[0], made[1]
	for _, s := range made {
		if local, peer := s.Endpoints(); local != "" || peer != "" {
			return
		}
	}
	vt.pairs[a], vt.pairs[b] = b.FD(), a.FD()
}

// describeBytes fills in the bytes a receive or a send moved, their
// preview, and the result in words.
func (vt *VMTracer) describeBytes(ev *luaapi.CallEvent, te *traceEvent) {
	data, isData := movedData(ev)
	if ev.Func.Dir&api.Sends != 0 {
		n := ev.Sent
		te.Bytes = &n
		if isData {
			te.Preview = preview(data)
		}
		te.Result = fmt.Sprintf("%d bytes", n)
		return
	}
	n := ev.Received
	te.Bytes = &n
	if isData && n > 0 {
		te.Preview = preview(data)
	}
	switch {
	case n == 0 && ev.EndOfStream:
		te.Result = "0 bytes"
	case te.Preview != "":
		te.Result = fmt.Sprintf("%d bytes %s", n, te.Preview)
	default:
		te.Result = fmt.Sprintf("%d bytes", n)
	}
	if from := sender(ev); from != "" {
		te.Result += " from " + from
	}
	if ev.EndOfStream {
		te.Result += vt.endOfStream(ev, te)
	}
	// A stream read that filled its bufsize while more had arrived:
	// the bytes of one send can take several recv calls, and the trace
	// says so (a learner's most common surprise).
	if bufsize, ok := ev.ArgWith(api.RoleSize).(lua.LNumber); ok && n > 0 && n == int(bufsize) {
		if b, ok := ev.Socket.(interface{ Buffered() int }); ok && b.Buffered() > 0 {
			te.Result += fmt.Sprintf(" (+%d more received, waiting for the next read)", b.Buffered())
		}
	}
}

// movedData is the bytes ev's receive or send moved, as far as its data
// tells them (ok false if it has none). A send's are what it sent of its
// data, from its index argument. A receive's are what the call took off
// the wire (luaapi.CallEvent.Moved): its data without LuaSocket's prefix,
// a line reader's line with the end of line it does not return.
func movedData(ev *luaapi.CallEvent) (moved string, ok bool) {
	if ev.Func.Dir&api.Sends == 0 {
		return ev.Moved()
	}
	data, ok := ev.Data()
	if !ok {
		return "", false
	}
	start := sendStart(ev, len(data))
	return data[start:min(start+ev.Sent, len(data))], true
}

// endOfStream is what a read that met the end of the stream adds to its
// result: the peer's FIN, the first time the socket meets it (te.FIN; the
// FIN came once, whatever reads after it return), unless the script shut
// the socket's reading side itself.
func (vt *VMTracer) endOfStream(ev *luaapi.CallEvent, te *traceEvent) string {
	if vt.fins[ev.Socket] || ev.StateBefore == "RD_SHUT" || ev.StateBefore == "SHUT" {
		return " (end of stream)"
	}
	vt.fins[ev.Socket] = true
	te.FIN = true
	if peer := vt.peerName(ev, te); peer != "" {
		return " (end of stream: FIN from " + peer + ")"
	}
	return " (end of stream: FIN)"
}

// sendStart is where in data of length size a send starts: at its index
// argument (LuaSocket's send(data, i): from 1, negative from the end), else
// at the start.
func sendStart(ev *luaapi.CallEvent, size int) int {
	i, ok := ev.ArgWith(api.RoleIndex).(lua.LNumber)
	if !ok {
		return 0
	}
	start := int(i)
	if start < 0 {
		start = size + start + 1
	}
	return min(max(start-1, 0), size)
}

// sender is the address a receive says its data came from (recvfrom's,
// LuaSocket's receivefrom's), "" if none.
func sender(ev *luaapi.CallEvent) string {
	for _, a := range ev.ResultsWith(api.RoleAddress) {
		if a != lua.LNil {
			return resultPrinter.Value(a)
		}
	}
	return hostPort(ev.ResultsWith(api.RoleHost), ev.ResultsWith(api.RolePort))
}

// destination is the address a call's arguments name (sendto's, a
// connect's), "" if none.
func destination(ev *luaapi.CallEvent) string {
	if a := ev.ArgWith(api.RoleAddress); a != nil && a != lua.LNil {
		return resultPrinter.Value(a)
	}
	return hostPort([]lua.LValue{ev.ArgWith(api.RoleHost)}, []lua.LValue{ev.ArgWith(api.RolePort)})
}

// hostPort is host:port of the first host and port given apart, "" if
// there is no host.
func hostPort(hosts, ports []lua.LValue) string {
	if len(hosts) == 0 || len(ports) == 0 {
		return ""
	}
	host, ok := hosts[0].(lua.LString)
	if !ok || ports[0] == nil || ports[0] == lua.LNil {
		return ""
	}
	return net.JoinHostPort(string(host), lua.LVAsString(ports[0]))
}

// threadName is how the text trace names thread id: main, t2, t3 ...
func threadName(id int) string {
	if id <= 1 {
		return "main"
	}
	return "t" + strconv.Itoa(id)
}

// appendTextLine appends ev's line of the text format to b:
//
//	0.0004 main fd=3 bind({"127.0.0.1", 9999}) -> ok  CREATED→BOUND
func appendTextLine(b []byte, ev *traceEvent, workers bool) []byte {
	if workers && ev.Worker > 0 {
		b = append(b, 'w')
		b = strconv.AppendInt(b, int64(ev.Worker), 10)
		b = append(b, ' ')
	}
	b = strconv.AppendFloat(b, ev.T, 'f', 4, 64)
	b = append(b, ' ')
	if ev.Kind == kindSignal {
		b = append(b, "signal "...)
		b = append(b, ev.Call...)
		b = append(b, ": "...)
		b = append(b, ev.Detail...)
		return append(b, '\n')
	}
	b = append(b, threadName(ev.Thread)...)
	b = append(b, ' ')
	switch ev.Kind {
	case kindThreadStart:
		b = append(b, "thread started"...)
		if ev.Detail != "" {
			b = append(b, " ("+ev.Detail+")"...)
		}
		return append(b, '\n')
	case kindThreadEnd:
		b = append(b, "thread ended"...)
		if ev.Error != "" {
			b = append(b, " with error "+ev.Error...)
		}
		return append(b, '\n')
	case kindLockWait:
		b = append(b, "waited "...)
		b = strconv.AppendFloat(b, ev.Wait*1000, 'f', 2, 64)
		b = append(b, " ms for the lock"...)
		if ev.Detail != "" {
			b = append(b, " (handed over at the "+ev.Detail+")"...)
		}
		return append(b, '\n')
	}
	if ev.FD != nil && ev.StateBefore != "" {
		b = append(b, "fd="...)
		b = strconv.AppendInt(b, int64(*ev.FD), 10)
		b = append(b, ' ')
	}
	b = append(b, ev.Call...)
	b = append(b, '(')
	b = append(b, ev.Args...)
	b = append(b, ')')
	if ev.Kind == kindWaiting {
		b = append(b, " waiting..."...)
	} else {
		b = append(b, " -> "...)
		switch {
		case ev.Error != "" && ev.Result != "":
			b = append(b, ev.Result...) // bytes a failed call moved
			b = append(b, ", error "...)
			b = append(b, ev.Error...)
		case ev.Error != "":
			b = append(b, "error "...)
			b = append(b, ev.Error...)
		default:
			b = append(b, ev.Result...)
		}
	}
	switch {
	case ev.StateBefore != "" && ev.StateAfter != "" && ev.StateBefore != ev.StateAfter:
		b = append(b, "  "+ev.StateBefore+"→"+ev.StateAfter...)
	case ev.StateBefore != "":
		b = append(b, "  "+ev.StateBefore...)
	case ev.StateAfter != "":
		b = append(b, "  "+ev.StateAfter...)
	}
	return append(b, '\n')
}
