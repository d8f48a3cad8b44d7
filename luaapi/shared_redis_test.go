package luaapi_test

import (
	"path/filepath"
	"testing"

	"github.com/sockrun/sockrun/internal/testredis"
	"github.com/sockrun/sockrun/luaapi"
)

// TestSharedRedis runs testdata/shared_test.lua, the Lua-side suite of
// the shared module, against the Redis store, on a redis-server the test
// starts: each test on a database of its own, every other one over TCP,
// the rest over the Unix socket. TestLua runs the same suite against the
// in-process store: both must pass it unchanged, errors word for word.
func TestSharedRedis(t *testing.T) {
	srv := testredis.Start(t)
	file := filepath.Join("testdata", "shared_test.lua")
	names := luaTestNames(t, file)
	if len(names)+1 > testredis.Databases {
		t.Fatalf("%d tests, %d databases", len(names), testredis.Databases)
	}
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := srv.URL(i + 1)
			if i%2 == 1 {
				url = srv.TCPURL(i + 1)
			}
			st, err := luaapi.OpenSharedStore(url, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			runLuaTestWith(t, file, name, st)
		})
	}
}
