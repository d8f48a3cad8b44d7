package base

import (
	"testing"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/api/apitest"
	lua "github.com/yuin/gopher-lua"
)

// unlockCounter is apitest's host counting how often the lock is released.
type unlockCounter struct {
	*apitest.Host
	unlocks int
}

func (h *unlockCounter) Unlock(L *lua.LState) {
	h.unlocks++
	h.Host.Unlock(L)
}

// TestLongSearchesRunUnlocked: a search that runs past lockedSteps is
// finished without the interpreter lock, and so is the work of one gsub
// whose many matches are each quick but together long; a short search
// keeps the lock. The results are those of a search with the lock.
func TestLongSearchesRunUnlocked(t *testing.T) {
	for _, c := range []struct {
		name, src string
		unlocked  bool
	}{
		{"short", `return (("a"):rep(100):find("a*b"))`, false},
		{"backtracking", `return (("a"):rep(60):find("a*a*a*b"))`, true},
		{"gsub with many quick matches", `return (select(2, ("ab"):rep(1e5):gsub("a", "c")))`, true},
		{"gsub with few", `return (select(2, ("ab"):rep(100):gsub("a", "c")))`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &unlockCounter{Host: apitest.NewHost()}
			L := lua.NewState()
			defer L.Close()
			api.New(h, api.Config{}).Open(L)
			h.Mu.Lock() // the test is the thread that runs Lua
			defer h.Mu.Unlock()
			if err := L.DoString(c.src); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"short": "nil", "backtracking": "nil",
				"gsub with many quick matches": "100000", "gsub with few": "100"}[c.name]
			if got := L.Get(-1).String(); got != want {
				t.Errorf("result %s, want %s", got, want)
			}
			if (h.unlocks > 0) != c.unlocked {
				t.Errorf("the lock was released %d times", h.unlocks)
			}
		})
	}
}
