package api_test

import (
	"testing"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/api/apitest"
	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// widget is the object of the test's module.
type widget struct{ spins int }

var widgetType = &api.Type{
	Name: "widget",
	Meta: "apitest.widget",
	Methods: func() []api.Func {
		return []api.Func{
			api.Fn("spin", "widget:spin()", "spins the widget; returns its spins", func(L *lua.LState) int {
				w := api.CheckSelf[*widget](L, "spin", "widget", "widget")
				w.spins++
				L.Push(lua.LNumber(w.spins))
				return 1
			}),
		}
	},
	Setup: func(L *lua.LState, mt *lua.LTable) { mt.RawSetString("made", lua.LTrue) },
}

func init() {
	api.Register(&api.Module{Name: "widgets", Types: []*api.Type{widgetType}, Funcs: []api.Func{
		api.Fn("new", "widgets.new()", "a new widget", func(L *lua.LState) int {
			L.Push(api.NewObject(L, &widget{}, widgetType.Meta))
			return 1
		}),
	}})
}

// TestTypeMetatableAtFirstUse: a type's metatable is not made when the VM
// opens but with the first object of the type, methods and Setup
// included, and then kept; the registry completer makes the ones not made
// yet, for debug.getregistry.
func TestTypeMetatableAtFirstUse(t *testing.T) {
	L := apitest.NewState(t)
	if mt := L.G.Registry.RawGetString(widgetType.Meta); mt != lua.LNil {
		t.Fatalf("the widget's metatable was made when the VM opened: %v", mt)
	}
	res, err := apitest.Call(t, L, "widgets", "new")
	if err != nil {
		t.Fatal(err)
	}
	w := res[0].(*lua.LUserData)
	mt, ok := L.G.Registry.RawGetString(widgetType.Meta).(*lua.LTable)
	if !ok || L.GetMetatable(w) != mt {
		t.Fatalf("the widget's metatable %v is not the registry's %v", L.GetMetatable(w), mt)
	}
	if mt.RawGetString("made") != lua.LTrue {
		t.Error("the type's Setup did not run")
	}
	if err := L.DoString(`local w = widgets.new(); w:spin(); assert(w:spin() == 2)`); err != nil {
		t.Fatal(err)
	}
	if res, _ := apitest.Call(t, L, "widgets", "new"); L.GetMetatable(res[0]) != mt {
		t.Error("a second widget got another metatable")
	}

	L2 := apitest.NewState(t)
	c := lua51.RegistryCompleterOf(L2)
	if c == nil {
		t.Fatal("the VM is not its state's registry completer")
	}
	c.CompleteRegistry(L2)
	if mt, ok := L2.G.Registry.RawGetString(widgetType.Meta).(*lua.LTable); !ok || mt.RawGetString("made") != lua.LTrue {
		t.Errorf("CompleteRegistry left the widget's metatable unmade: %v", mt)
	}
}
