package threads

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/store"
	lua "github.com/yuin/gopher-lua"
)

// Shared is the shared module's state in one VM: the run's store (in the
// process, or Redis), and the subscriptions the VM's threads made, closed
// when the run ends.
type Shared struct {
	vm    *api.VM
	store store.Store

	mu   sync.Mutex
	subs map[*store.Subscription]bool // open; nil once the run has ended
}

// newShared is the shared module's instance: Config.Shared, or an
// in-process store of the VM's own.
func newShared(vm *api.VM) any {
	st := vm.Config().Shared
	if st == nil {
		st = store.NewMemory()
	}
	m := &Shared{vm: vm, store: st, subs: map[*store.Subscription]bool{}}
	context.AfterFunc(vm.Context(), m.closeSubs)
	return m
}

// closeSubs closes every subscription still open: gopher-lua has no
// __gc, and a Redis subscription holds a connection.
func (m *Shared) closeSubs() {
	m.mu.Lock()
	subs := m.subs
	m.subs = nil
	m.mu.Unlock()
	for sub := range subs {
		sub.Close()
	}
}

const subscriptionMetaName = "shared.subscription"

// subscriptionType is what shared.subscribe returns: read like a
// thread.queue.
var subscriptionType = &api.Type{
	Name: "subscription",
	Meta: subscriptionMetaName,
	Methods: func() []api.Func {
		return []api.Func{
			api.Method("get", "sub:get([timeout])", "takes the oldest message and its channel, waiting while there is none", (*Shared).subGet).
				Does(api.Waits).Params(api.Timeout).Returns(api.T("string|nil"), api.T("string?").Named("channel")),
			api.Fn("len", "sub:len()", "the count of messages waiting", subLen).
				Returns(api.Int),
			api.Method("close", "sub:close()", "ends the subscription: gets drain it then return nil", (*Shared).subClose),
		}
	},
	Metamethods: map[string]lua.LGFunction{"__tostring": subTostring, "__len": subLen},
}

func init() {
	api.Register(&api.Module{
		Name:    "shared",
		Summary: "a key-value store and messages common to every worker of the run, or to every process on one Redis",
		Doc:     "docs/threads.md",
		New:     newShared,
		Funcs: []api.Func{
			api.Method("get", "shared.get(key)", "the value of key, or nil", (*Shared).sharedGet).
				Params(api.Str).Returns(api.T("string|number|boolean|nil")),
			api.Method("set", "shared.set(key, value [, ttl])", "stores value under key, for ttl seconds if given", (*Shared).sharedSet).
				Params(api.Str, api.T("string|number|boolean|nil"), api.Num),
			api.Method("add", "shared.add(key, value [, ttl])", "stores value only if key is absent; returns whether it did", (*Shared).sharedAdd).
				Params(api.Str, api.T("string|number|boolean"), api.Num).Returns(api.Bool),
			api.Method("incr", "shared.incr(key [, delta [, init]])", "adds delta to a number atomically; returns the new value", (*Shared).sharedIncr).
				Params(api.Str, api.Num, api.Num).Returns(api.Num),
			api.Method("delete", "shared.delete(key)", "removes key; returns whether it was there", (*Shared).sharedDelete).
				Params(api.Str).Returns(api.Bool),
			api.Method("keys", "shared.keys()", "the live keys, sorted", (*Shared).sharedKeys).
				Returns(api.T("string[]")),
			api.Method("publish", "shared.publish(channel, text)", "sends text to every subscription to channel; returns how many got it", (*Shared).sharedPublish).
				Params(api.Str, api.Str).Returns(api.Int),
			api.Method("subscribe", "shared.subscribe(channel [, ...])", "a subscription to the channels, read like a thread.queue", (*Shared).sharedSubscribe).
				Params(api.Str, api.Str).Returns(api.Obj("shared.subscription")),
		},
		Types: []*api.Type{subscriptionType},
	})
}

// do runs f, the store call of function fn: at once for the in-process
// store, which never waits; for Redis with the interpreter lock released
// (f touches no Lua value), and ended by the run's interruption. A
// failure is raised as the script sees it (raise).
func (m *Shared) do(L *lua.LState, fn string, f func(ctx context.Context) error) {
	var err error
	if !m.store.Remote() {
		err = f(context.Background())
	} else {
		m.vm.Release(L, func(ctx context.Context) { err = f(ctx) })
		m.vm.RaiseIfInterrupted(L, fn)
	}
	if err != nil {
		m.raise(L, fn, err)
	}
}

// raise raises err from function fn: a key of the wrong type is a misuse,
// at the script's line, worded alike for both stores; a store that
// cannot be reached, does not answer in time or refuses is a
// shared.StoreError naming the store (err.addr), with the errno's name
// when there is one (ECONNREFUSED, ETIMEDOUT, ECONNRESET), else EIO.
func (m *Shared) raise(L *lua.LState, fn string, err error) {
	var nn *store.ErrNotNumber
	var fo *store.ErrForeign
	var se *store.StoreError
	var full *store.ErrFull
	switch {
	case errors.As(err, &nn), errors.As(err, &fo):
		api.Misuse(L, "%v (%s)", err, fn)
	case errors.As(err, &full):
		api.RaiseOS(L, fullOSError(full, fn, m.store.Name()))
	case errors.As(err, &se):
		api.RaiseOS(L, storeOSError(se, fn, ""))
	}
	m.vm.Raise(L, err, fn, "")
}

// fullOSError is the error value of a write the store refused because it
// is full, from function fn on store name: a shared.StoreError ENOSPC, as
// a write to a full disk is, whose message names the bound.
func fullOSError(full *store.ErrFull, fn, name string) *api.OSError {
	why := "the in-process shared store holds at most limits.max_shared (--max-shared): delete keys, give them a ttl, or raise the limit"
	if full.Reply != "" {
		why = "the Redis of shared.url is at its maxmemory: delete keys, give them a ttl, or raise maxmemory"
	}
	return &api.OSError{Class: "shared.StoreError", Errno: int(syscall.ENOSPC), Name: "ENOSPC",
		Message: full.Error(), Op: fn, Addr: name, Explanation: why, Err: full}
}

// storeOSError is the error value of se, from function fn; more is added
// to its message.
func storeOSError(se *store.StoreError, fn, more string) *api.OSError {
	errno := se.Errno
	if errno == 0 {
		errno = syscall.EIO
	}
	e := &api.OSError{Class: "shared.StoreError", Errno: int(errno), Name: api.ErrnoName(errno),
		Message: se.Message() + more, Op: fn, Addr: se.Store, Err: se}
	switch {
	case errno == syscall.ECONNREFUSED || errno == syscall.ENOENT:
		e.Explanation = "the shared store named by shared.url (--shared-url) is not there: is redis-server running at that address? The call did not happen"
	case se.Timeout:
		e.Explanation = "the shared store did not answer in time (read_timeout in shared.url, 2 s by default): Redis is stalled or overloaded, or the network is; the call may or may not have taken effect"
	}
	return e
}

// checkSharedKey reads a key argument: a string (a number is converted, as
// Lua does).
func checkSharedKey(L *lua.LState, fn string) string {
	return api.CheckString(L, 1, fn)
}

// checkSharedValue reads a value argument as the Go value the store keeps.
func checkSharedValue(L *lua.LState, n int, fn string) any {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return float64(v)
	case lua.LBool:
		return bool(v)
	}
	api.ArgError(L, n, fn, "string, number or boolean expected, got "+api.TypeName(L.Get(n)))
	return nil
}

// checkTTL reads an optional time to live in seconds: nil or 0 is none.
func checkTTL(L *lua.LState, n int, fn string) time.Duration {
	v := L.Get(n)
	if v == lua.LNil {
		return 0
	}
	f, ok := v.(lua.LNumber)
	if !ok {
		api.ArgError(L, n, fn, "number or nil expected for ttl, got "+api.TypeName(v))
	}
	if f < 0 || math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		api.ArgError(L, n, fn, "ttl must be 0 (none) or more seconds, got "+f.String())
	}
	if float64(f)*float64(time.Second) >= math.MaxInt64 {
		// Past what a Duration holds (292 years): converting would wrap to
		// a negative TTL, a key that expires as it is stored. Clamp, as
		// api.Seconds() does for sleep.
		return math.MaxInt64
	}
	d := time.Duration(float64(f) * float64(time.Second))
	if f > 0 && d <= 0 {
		d = 1 // a TTL too small to count is the smallest one, not none
	}
	return d
}

// optNumber reads an optional number argument.
func optNumber(L *lua.LState, n int, fn string, def float64) float64 {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return def
	case lua.LNumber:
		return float64(v)
	}
	api.ArgError(L, n, fn, "number expected, got "+api.TypeName(L.Get(n)))
	return 0
}

func sharedValue(v any) lua.LValue {
	switch v := v.(type) {
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	}
	return lua.LNil
}

// sharedGet is shared.get(key): the value stored under key, or nil.
func (m *Shared) sharedGet(L *lua.LState) int {
	key := checkSharedKey(L, "get")
	var v any
	m.do(L, "get", func(ctx context.Context) (err error) {
		v, _, err = m.store.Get(ctx, key)
		return err
	})
	L.Push(sharedValue(v))
	return 1
}

// sharedSet is shared.set(key, value [, ttl]): stores value (a string,
// number or boolean) under key, replacing what was there; with ttl
// (seconds) it expires after that long. Returns nothing.
func (m *Shared) sharedSet(L *lua.LState) int {
	key := checkSharedKey(L, "set")
	v := checkSharedValue(L, 2, "set")
	ttl := checkTTL(L, 3, "set")
	m.do(L, "set", func(ctx context.Context) error { return m.store.Set(ctx, key, v, ttl) })
	return 0
}

// sharedAdd is shared.add(key, value [, ttl]): as set, but only if key is
// absent. Returns true if it stored value, false if key was there.
func (m *Shared) sharedAdd(L *lua.LState) int {
	key := checkSharedKey(L, "add")
	v := checkSharedValue(L, 2, "add")
	ttl := checkTTL(L, 3, "add")
	var added bool
	m.do(L, "add", func(ctx context.Context) (err error) {
		added, err = m.store.Add(ctx, key, v, ttl)
		return err
	})
	L.Push(lua.LBool(added))
	return 1
}

// sharedIncr is shared.incr(key [, delta [, init]]): adds delta (default
// 1) to the number under key, atomically across workers and threads, and
// returns the new number. An absent key starts at init (default 0). Raises
// if key holds a string or boolean.
func (m *Shared) sharedIncr(L *lua.LState) int {
	key := checkSharedKey(L, "incr")
	delta := optNumber(L, 2, "incr", 1)
	init := optNumber(L, 3, "incr", 0)
	var n float64
	m.do(L, "incr", func(ctx context.Context) (err error) {
		n, err = m.store.Incr(ctx, key, delta, init)
		return err
	})
	L.Push(lua.LNumber(n))
	return 1
}

// sharedDelete is shared.delete(key): removes key. Returns true if it was
// there.
func (m *Shared) sharedDelete(L *lua.LState) int {
	key := checkSharedKey(L, "delete")
	var was bool
	m.do(L, "delete", func(ctx context.Context) (err error) {
		was, err = m.store.Delete(ctx, key)
		return err
	})
	L.Push(lua.LBool(was))
	return 1
}

// sharedKeys is shared.keys(): a sorted list of the keys present.
func (m *Shared) sharedKeys(L *lua.LState) int {
	var keys []string
	m.do(L, "keys", func(ctx context.Context) (err error) {
		keys, err = m.store.Keys(ctx)
		return err
	})
	t := L.CreateTable(len(keys), 0)
	for _, k := range keys {
		t.Append(lua.LString(k))
	}
	L.Push(t)
	return 1
}

// sharedPublish is shared.publish(channel, text): sends text to every
// subscription to channel (in this process with the in-process store; in
// every process on the Redis with Redis) and returns how many received
// it. Nothing is kept: a message published while no one is subscribed is
// gone.
func (m *Shared) sharedPublish(L *lua.LState) int {
	channel := api.CheckString(L, 1, "publish")
	text := api.CheckString(L, 2, "publish")
	var n int
	m.do(L, "publish", func(ctx context.Context) (err error) {
		n, err = m.store.Publish(ctx, channel, text)
		return err
	})
	L.Push(lua.LNumber(n))
	return 1
}

// sharedSubscribe is shared.subscribe(channel [, ...]): a subscription to
// the channels, which receives from now on what is published to any of
// them: once it returns, a publish reaches it.
func (m *Shared) sharedSubscribe(L *lua.LState) int {
	channels := make([]string, max(L.GetTop(), 1))
	for i := range channels {
		channels[i] = api.CheckString(L, i+1, "subscribe")
	}
	var sub *store.Subscription
	m.do(L, "subscribe", func(ctx context.Context) (err error) {
		sub, err = m.store.Subscribe(ctx, channels)
		return err
	})
	m.mu.Lock()
	if m.subs == nil { // the run ended meanwhile
		m.mu.Unlock()
		sub.Close()
		m.vm.RaiseIfInterrupted(L, "subscribe")
	} else {
		m.subs[sub] = true
		m.mu.Unlock()
	}
	L.Push(api.NewObject(L, sub, subscriptionMetaName))
	return 1
}

func checkSub(L *lua.LState, fn string) *store.Subscription {
	return api.CheckSelf[*store.Subscription](L, fn, "subscription", "sub")
}

// subGet is sub:get([timeout]): removes and returns the oldest message
// and the channel it came on, waiting (the interpreter lock released)
// while there is none. A timeout in seconds raises a timeout error when it
// passes, 0 raises at once if there is none. Once the subscription is
// closed and drained it returns nil. Where the subscription's connection
// to Redis broke, get raises a shared.StoreError once: messages published
// until it was subscribed again were lost; the next get goes on.
func (m *Shared) subGet(L *lua.LState) int {
	sub := checkSub(L, "get")
	timeout := api.CheckTimeout(L, 2, "get", 1)
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		if msg, ok := sub.Take(); ok {
			if msg.Lost != nil {
				var se *store.StoreError
				if errors.As(msg.Lost, &se) {
					api.RaiseOS(L, storeOSError(se, "get", "; messages may have been lost"))
				}
				m.vm.Raise(L, msg.Lost, "get", "")
			}
			L.Push(lua.LString(msg.Text))
			L.Push(lua.LString(msg.Channel))
			return 2
		}
		if sub.Closed() {
			L.Push(lua.LNil)
			return 1
		}
		wait := time.Duration(-1)
		if timeout >= 0 {
			if wait = time.Until(deadline); timeout == 0 || wait <= 0 {
				api.RaiseTimeout(L, "get")
			}
		}
		m.vm.Await(L, sub.Ready(), wait)
		m.vm.RaiseIfInterrupted(L, "get")
	}
}

// subLen is sub:len() and #sub: the number of messages waiting.
func subLen(L *lua.LState) int {
	L.Push(lua.LNumber(checkSub(L, "len").Len()))
	return 1
}

// subClose is sub:close(): ends the subscription. Nothing more arrives;
// what arrived can still be got, then get returns nil; threads waiting in
// get wake. Closing twice is harmless.
func (m *Shared) subClose(L *lua.LState) int {
	sub := checkSub(L, "close")
	sub.Close()
	m.mu.Lock()
	delete(m.subs, sub)
	m.mu.Unlock()
	return 0
}

// subTostring is tostring(sub): <subscription news, sport: 2 waiting>,
// <subscription news closed: 0 waiting>.
func subTostring(L *lua.LState) int {
	sub := checkSub(L, "__tostring")
	s := "<subscription " + strings.Join(sub.Channels(), ", ")
	if sub.Closed() {
		s += " closed"
	}
	L.Push(lua.LString(fmt.Sprintf("%s: %d waiting>", s, sub.Len())))
	return 1
}
