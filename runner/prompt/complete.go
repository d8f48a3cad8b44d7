package prompt

import (
	"sort"
	"strings"

	"github.com/sockrun/sockrun/luaapi"
	lua "github.com/yuin/gopher-lua"
)

// Tab at the prompt completes the name before the cursor, as python3's
// prompt does: a global (socket, print, a variable set at the prompt), a
// field of a table (socket.creat → socket.create_connection), or a method
// of a value (sock:rec → recv, recvfrom, recvline ...). Names are looked
// up in the live values, without calling any Lua code (no __index
// function runs): tables by their keys and the tables their metatables'
// __index chain to, sockrun's objects by the registry's methods and fields
// of their type. One match completes; several complete what they share,
// and a second Tab lists them.

// luaKeywords are completed where a global name may be typed.
var luaKeywords = []string{"and", "break", "do", "else", "elseif", "end", "false", "for", "function",
	"if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}

// complete is the line editor's word completer: line is the line typed,
// pos the cursor (in runes). It returns the line before the name's last
// part, the names that complete it, and the line after the cursor. It
// takes the interpreter lock only if no thread holds it (one busy in Lua
// code may keep it for ever): else it completes nothing.
func (p *prompt) complete(line string, pos int) (head string, completions []string, tail string) {
	runes := []rune(line)
	if pos > len(runes) {
		pos = len(runes)
	}
	before, tail := string(runes[:pos]), string(runes[pos:])
	start := len(before)
	for start > 0 && isNameByte(before[start-1], true) {
		start--
	}
	word := before[start:]
	if word == "" || word[0] >= '0' && word[0] <= '9' {
		return before, nil, tail
	}
	sep := strings.LastIndexAny(word, ".:")
	prefix := word[sep+1:]
	head = before[:len(before)-len(prefix)]
	L := p.v.L
	if !p.v.TryLock(L) {
		return head, nil, tail
	}
	defer p.v.Unlock(L)
	var names []string
	if sep < 0 {
		names = append(tableNames(L, L.G.Global, false), luaKeywords...)
	} else {
		path := word[:sep]
		if strings.Contains(path, ":") {
			return head, nil, tail // a method's result is not looked at
		}
		v := lookup(L, L.G.Global, strings.Split(path, "."))
		if v == lua.LNil {
			return head, nil, tail
		}
		names = memberNames(L, v, word[sep] == ':')
	}
	seen := map[string]bool{}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && !seen[n] {
			seen[n] = true
			completions = append(completions, n)
		}
	}
	sort.Strings(completions)
	return head, completions, tail
}

// isNameByte reports whether c may be part of a dotted name: a letter, a
// digit, "_", and if dotted also "." and ":".
func isNameByte(c byte, dotted bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		dotted && (c == '.' || c == ':')
}

// isName reports whether s is a Lua name, one that may follow "." or ":".
func isName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i], false) {
			return false
		}
	}
	return true
}

// lookup is the value of the dotted path from t, read without calling
// Lua: nil if a part is not there.
func lookup(L *lua.LState, t *lua.LTable, path []string) lua.LValue {
	var v lua.LValue = t
	for _, name := range path {
		v = field(L, v, name)
		if v == lua.LNil {
			return v
		}
	}
	return v
}

// field is v.name as a read without any __index function sees it: a
// table's own field, or one of the tables its metatables' __index chain
// to.
func field(L *lua.LState, v lua.LValue, name string) lua.LValue {
	for depth := 0; depth < 10 && v != lua.LNil; depth++ {
		if t, ok := v.(*lua.LTable); ok {
			if f := t.RawGetString(name); f != lua.LNil {
				return f
			}
		}
		v = indexTable(L, v)
	}
	return lua.LNil
}

// indexTable is the __index of v's metatable, when it is a table; nil
// otherwise.
func indexTable(L *lua.LState, v lua.LValue) lua.LValue {
	mt, ok := L.GetMetatable(v).(*lua.LTable)
	if !ok {
		return lua.LNil
	}
	if t, ok := mt.RawGetString("__index").(*lua.LTable); ok {
		return t
	}
	return lua.LNil
}

// tableNames are the keys of t that are names (only those whose values
// are functions, if methods).
func tableNames(L *lua.LState, t *lua.LTable, methods bool) []string {
	var names []string
	t.ForEach(func(k, v lua.LValue) {
		if s, ok := k.(lua.LString); ok && isName(string(s)) && (!methods || v.Type() == lua.LTFunction) {
			names = append(names, string(s))
		}
	})
	return names
}

// memberNames are the names that may follow v and "." (fields) or ":"
// (methods): its own keys, those of the tables its metatables' __index
// chain to, and for a sockrun object the methods and fields of its type.
func memberNames(L *lua.LState, v lua.LValue, methods bool) []string {
	var names []string
	if mt, ok := L.GetMetatable(v).(*lua.LTable); ok {
		if tyName, ok := mt.RawGetString("__name").(lua.LString); ok {
			names = append(names, typeMembers(string(tyName), methods)...)
		}
	}
	for depth := 0; depth < 10 && v != lua.LNil; depth++ {
		if t, ok := v.(*lua.LTable); ok {
			names = append(names, tableNames(L, t, methods)...)
		}
		v = indexTable(L, v)
	}
	return names
}

// typeMembers are the methods (and, unless methods, the fields) of the
// registered type named name, its inherited ones too.
func typeMembers(name string, methods bool) []string {
	var names []string
	for _, m := range luaapi.Modules() {
		for _, ty := range m.Types {
			if ty.Name != name {
				continue
			}
			for t := ty; t != nil; t = t.Inherits {
				for _, f := range t.MethodList() {
					names = append(names, f.Name)
				}
				if !methods {
					for _, f := range t.Fields {
						names = append(names, f.Name)
					}
				}
			}
		}
	}
	return names
}
