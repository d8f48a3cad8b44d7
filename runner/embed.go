package runner

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/runner/host"
	lua "github.com/yuin/gopher-lua"
)

// Embedded is a sockrun VM driven from Go instead of from the command line:
// the same Lua state, modules, interpreter lock and threads a run of a
// script gets. The Lua tests of package luaapi run in it.
type Embedded struct {
	v *host.VM
}

// Embed creates a VM as a run of the script at scriptPath creates one (its
// directory is on package.path), with env's standard streams and cfg as
// the modules' configuration. When ctx ends, every blocking call of the
// VM's threads is interrupted. Close it when done.
func Embed(ctx context.Context, env *Env, cfg luaapi.Config, scriptPath string) *Embedded {
	dir := "."
	if scriptPath != "" {
		dir = filepath.Dir(scriptPath)
	}
	return &Embedded{v: host.NewVM(ctx, env, cfg, dir, "")}
}

// Run calls body as the main chunk: on its own goroutine, holding the
// interpreter lock, with L the main thread's state; body touches Lua
// values only through L and only while it runs. A Lua error that body
// raises (L.RaiseError, or an error of a Lua function it calls) is
// returned at once; DescribeError gives its message and traceback.
// Otherwise Run returns when every thread body started has ended too,
// or with an error if some are still running a second after ctx ended.
// os.exit in body ends it with a nil error. Run is called once per VM.
func (e *Embedded) Run(body func(L *lua.LState)) error {
	fn := e.v.L.NewFunction(func(L *lua.LState) int {
		body(L)
		return 0
	})
	done := make(chan error, 1)
	e.v.RunChunk([]host.Call{{Fn: fn}}, func(err error) { done <- err })
	if err := <-done; err != nil {
		return err
	}
	if !e.v.WaitThreads(threadGrace, nil) {
		return errors.New("threads still running when the main chunk ended")
	}
	return nil
}

// Close interrupts what still runs and closes every socket and the Lua
// state's resources.
func (e *Embedded) Close() { e.v.Close() }

// DescribeError is the message of an error that Run returned, as sockrun
// prints it (a Lua error value's "TimeoutError: timed out ..."), and the
// Lua traceback if there is one.
func DescribeError(err error) (msg, trace string) { return host.DescribeError(err) }

// threadGrace is how long Run waits for threads once the context ended.
const threadGrace = time.Second
