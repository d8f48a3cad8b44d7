package httpmod

import (
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
)

// Message is a request read_request returns or a response read_response
// returns: an object whose fields (req.method, resp.status ...) are read
// from the parsed head on demand. A table would cost a server a Lua
// string and two map entries per field for every request, most never
// looked at; the object is one allocation, and its headers object is
// made only when a script asks for it (a head, its first header lines and
// the object are one allocation). A script may set keep_alive, and fields
// of its own (kept in a table made for the first one).
type Message struct {
	hd        head
	fieldBuf  [8]field // the header lines of most heads, in the same allocation
	response  bool
	headers   lua.LValue // the headers object, once asked for
	body      lua.LValue
	keepAlive bool
	extra     *lua.LTable
}

// ObjectType implements api.Object.
func (msg *Message) ObjectType() string {
	if msg.response {
		return "http.response"
	}
	return "http.request"
}

const (
	requestMeta  = "http.request"
	responseMeta = "http.response"
)

// messageField is the getter of a field of a message.
type messageField func(L *lua.LState, msg *Message) lua.LValue

// The getters of the fields.
func getMethod(L *lua.LState, msg *Message) lua.LValue    { return methodValue(msg.hd.method) }
func getTarget(L *lua.LState, msg *Message) lua.LValue    { return stringValue(msg.hd.target) }
func getPath(L *lua.LState, msg *Message) lua.LValue      { return stringValue(msg.path()) }
func getQuery(L *lua.LState, msg *Message) lua.LValue     { return stringValue(msg.query()) }
func getVersion(L *lua.LState, msg *Message) lua.LValue   { return versionValue(msg.hd.minor) }
func getHeaders(L *lua.LState, msg *Message) lua.LValue   { return msg.headersValue(L) }
func getBody(L *lua.LState, msg *Message) lua.LValue      { return msg.body }
func getKeepAlive(L *lua.LState, msg *Message) lua.LValue { return lua.LBool(msg.keepAlive) }
func getStatus(L *lua.LState, msg *Message) lua.LValue    { return lua.LNumber(msg.hd.status) }
func getReason(L *lua.LState, msg *Message) lua.LValue    { return lua.LString(msg.hd.reason) }

// requestField is the getter of a request's field name, nil if it has
// none. A switch on the name, which Go compiles to a few comparisons: a
// map lookup cost a server more than the rest of a field read's Go.
func requestField(name string) messageField {
	switch name {
	case "method":
		return getMethod
	case "target":
		return getTarget
	case "path":
		return getPath
	case "query":
		return getQuery
	case "version":
		return getVersion
	case "headers":
		return getHeaders
	case "body":
		return getBody
	case "keep_alive":
		return getKeepAlive
	}
	return nil
}

// responseField is requestField for a response.
func responseField(name string) messageField {
	switch name {
	case "status":
		return getStatus
	case "reason":
		return getReason
	case "version":
		return getVersion
	case "headers":
		return getHeaders
	case "body":
		return getBody
	case "keep_alive":
		return getKeepAlive
	}
	return nil
}

func (msg *Message) path() string {
	p, _, _ := strings.Cut(msg.hd.target, "?")
	return p
}

func (msg *Message) query() string {
	_, q, _ := strings.Cut(msg.hd.target, "?")
	return q
}

// headersValue is the message's headers object, made on first use.
func (msg *Message) headersValue(L *lua.LState) lua.LValue {
	if msg.headers == nil {
		msg.headers = api.NewObject(L, &Headers{raw: msg.hd.raw, fields: msg.hd.fields}, headersMeta)
	}
	return msg.headers
}

// The summaries of the fields, for the registry (the docs, sockrun doc,
// the editor definitions).
var requestFieldDocs = [][3]string{
	{"method", "string", "the method: \"GET\""},
	{"target", "string", "the request target as sent: \"/a?x=1\""},
	{"path", "string", "the target before \"?\""},
	{"query", "string", "the target after \"?\", \"\" if none"},
	{"version", "string", "\"HTTP/1.1\" or \"HTTP/1.0\""},
	{"headers", "http.headers", "the header lines: a headers object"},
	{"body", "http.body", "the body: a body object (body:read())"},
	{"keep_alive", "boolean", "whether the connection may stay open after the response (may be set to false)"},
}

var responseFieldDocs = [][3]string{
	{"status", "integer", "the status: 200"},
	{"reason", "string", "the reason phrase as sent: \"OK\""},
	{"version", "string", "\"HTTP/1.1\" or \"HTTP/1.0\""},
	{"headers", "http.headers", "the header lines: a headers object"},
	{"body", "http.body", "the body: a body object (body:read())"},
	{"keep_alive", "boolean", "whether the server keeps the connection open"},
}

func messageType(name, meta, summary string, fields func(string) messageField, docs [][3]string) *api.Type {
	ty := &api.Type{Name: name, Meta: meta, Summary: summary}
	for _, d := range docs {
		get := fields(d[0])
		if get == nil {
			panic("httpmod: no getter of documented field " + meta + "." + d[0])
		}
		ty.Fields = append(ty.Fields, api.Field{Name: d[0], Type: d[1], Summary: d[2], Get: func(L *lua.LState, ud *lua.LUserData) lua.LValue {
			return get(L, ud.Value.(*Message))
		}})
	}
	ty.Metamethods = map[string]lua.LGFunction{
		// A known field, else the script's own, else nil.
		"__index": func(L *lua.LState) int {
			msg := checkMessage(L, "__index", meta)
			key := L.Get(2)
			if name, ok := key.(lua.LString); ok {
				if get := fields(string(name)); get != nil {
					L.Push(get(L, msg))
					return 1
				}
			}
			if msg.extra != nil {
				L.Push(msg.extra.RawGet(key))
				return 1
			}
			L.Push(lua.LNil)
			return 1
		},
		"__newindex": func(L *lua.LState) int {
			msg := checkMessage(L, "__newindex", meta)
			key, v := L.Get(2), L.Get(3)
			if name, ok := key.(lua.LString); ok && fields(string(name)) != nil {
				if name != "keep_alive" {
					api.Misuse(L, "cannot set field '%s' of an %s", string(name), meta)
				}
				msg.keepAlive = lua.LVAsBool(v)
				return 0
			}
			if key == lua.LNil {
				api.Misuse(L, "table index is nil")
			}
			if msg.extra == nil {
				msg.extra = L.NewTable()
			}
			msg.extra.RawSet(key, v)
			return 0
		},
		"__tostring": func(L *lua.LState) int {
			msg := checkMessage(L, "__tostring", meta)
			v := "HTTP/1." + string(msg.hd.minor)
			if msg.response {
				L.Push(lua.LString("<" + meta + " " + v + " " + itoa3(msg.hd.status) + " " + msg.hd.reason + ">"))
			} else {
				L.Push(lua.LString("<" + meta + " " + msg.hd.method + " " + msg.hd.target + " " + v + ">"))
			}
			return 1
		},
	}
	return ty
}

var (
	requestType = messageType("request", requestMeta, "a request http.read_request read: its fields come from the parsed head when read; keep_alive and a script's own fields may be set",
		requestField, requestFieldDocs)
	responseType = messageType("response", responseMeta, "a response http.read_response read: its fields come from the parsed head when read",
		responseField, responseFieldDocs)
)

func checkMessage(L *lua.LState, fn, meta string) *Message {
	return api.CheckSelf[*Message](L, fn, meta, "msg")
}
