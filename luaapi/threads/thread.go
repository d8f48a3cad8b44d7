package threads

import (
	"fmt"
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/lua51"
	lua "github.com/yuin/gopher-lua"
)

// Thread is a script thread: fn(...) running on its own goroutine and Lua
// thread state, taking turns with the others under the interpreter lock.
// Its fields are touched only with the lock held, except done.
type Thread struct {
	id    int
	label string // what it serves, for error reports: "serving 127.0.0.1:5000"
	fn    string // its function as a traceback names it: "function 'handle'"
	done  chan struct{}

	results  []lua.LValue // fn's results, once done
	err      lua.LValue   // fn's error, once done, if it raised
	reported bool         // err was printed when the thread ended
	ud       *lua.LUserData

	// rejoined is the last error a join in this thread re-raised from a
	// thread that had already printed it, so that the same error, uncaught
	// here too, is not printed a second time.
	rejoined *rejoined
}

// rejoined is an error join re-raised: the value, the thread it came
// from, and the script's line of the join.
type rejoined struct {
	err   lua.LValue
	from  int
	where string
}

const threadMetaName = "thread.thread"

// Threads is the thread module's state in one VM: its threads, touched
// under the lock. live is the one count of the threads running.
type Threads struct {
	vm *api.VM

	maxThreads      int  // limits.max_threads (0: none)
	worker, workers int  // for the reports of a thread's error
	noExplain       bool // --explain=false

	nextID int
	byL    map[*lua.LState]*Thread
	main   *Thread
	live   int // threads spawned and not ended
}

// threadModule is the thread module, whose instance Of returns.
var threadModule = &api.Module{
	Name:    "thread",
	Summary: "threads of one VM taking turns under the interpreter lock, and queues, locks and events between them",
	Doc:     "docs/threads.md",
	Funcs: []api.Func{
		api.Method("spawn", "thread.spawn(fn, ...)", "starts fn(...) in a new thread; returns its handle", (*Threads).threadSpawn).
			Params(api.Function, api.Any).Returns(api.Obj("thread.thread")),
		api.Method("current", "thread.current()", "the handle of the calling thread", (*Threads).threadCurrent).
			Returns(api.Obj("thread.thread")),
		api.Method("sleep", "thread.sleep(seconds)", "waits, letting other threads run; 0 gives every waiting thread a turn", (*Threads).threadSleep).
			Does(api.Waits).Params(api.Num),
		api.Fn("queue", "thread.queue([capacity])", "a new FIFO queue, bounded by capacity if given", threadQueue).
			Params(api.Int).Returns(api.Obj("thread.queue")),
		api.Fn("lock", "thread.lock()", "a new lock", threadLock).
			Returns(api.Obj("thread.lock")),
		api.Fn("event", "thread.event()", "a new event, not set", threadEvent).
			Returns(api.Obj("thread.event")),
	},
	Types: []*api.Type{threadType, queueType, lockType, eventType},
	New:   newThreads,
	Setup: api.SetupOf((*Threads).setup),
}

func newThreads(vm *api.VM) any {
	cfg := vm.Config()
	m := &Threads{vm: vm, maxThreads: cfg.MaxThreads, worker: cfg.Worker, workers: cfg.Workers, noExplain: cfg.NoExplain}
	vm.SetThreadIDs(m.ThreadID)
	return m
}

// setup makes the main chunk's thread handle, once the thread type's
// metatable is there.
func (m *Threads) setup(L *lua.LState, _ *lua.LTable) {
	m.main = m.newThread(L, "main")
}

// Of is the thread module's state in vm.
func Of(vm *api.VM) *Threads { return vm.Instance(threadModule).(*Threads) }

func init() { api.Register(threadModule) }

// threadType is a thread's handle.
var threadType = &api.Type{
	Name:    "thread",
	Meta:    threadMetaName,
	Summary: "a thread's handle",
	Methods: func() []api.Func {
		return []api.Func{
			api.Method("join", "t:join([timeout])", "waits for the thread to end; returns its results or raises its error", (*Threads).threadJoin).
				Does(api.Waits).Params(api.Timeout).Returns(api.Any.Named("...")),
			api.Fn("alive", "t:alive()", "whether the thread is still running", threadAlive).
				Returns(api.Bool),
			api.Fn("id", "t:id()", "the thread's number (the main chunk's is 1)", threadID).
				Returns(api.Int),
		}
	},
	Metamethods: map[string]lua.LGFunction{"__tostring": threadTostring},
}

// threadTostring is tostring(t): <thread 2 running serving 127.0.0.1:5000>.
func threadTostring(L *lua.LState) int {
	t := checkThread(L, "__tostring")
	state := "running"
	if !t.running() {
		state = "done"
	}
	s := fmt.Sprintf("<thread %d %s", t.id, state)
	if t.label != "" {
		s += " " + t.label
	}
	L.Push(lua.LString(s + ">"))
	return 1
}

func (m *Threads) newThread(L *lua.LState, label string) *Thread {
	if m.byL == nil {
		m.byL = map[*lua.LState]*Thread{}
	}
	m.nextID++
	t := &Thread{id: m.nextID, label: label, done: make(chan struct{})}
	t.ud = L.NewUserData()
	t.ud.Value = t
	L.SetMetatable(t.ud, api.Metatable(L, threadMetaName))
	return t
}

func (t *Thread) running() bool {
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}

func checkThread(L *lua.LState, fn string) *Thread {
	return api.CheckSelf[*Thread](L, fn, "thread", "t")
}

// threadLabel says what a thread serves, from the sockets among its
// arguments: "serving 127.0.0.1:50312".
func threadLabel(args []lua.LValue) string {
	var peers []string
	for _, a := range args {
		if ud, ok := a.(*lua.LUserData); ok {
			if s, ok := ud.Value.(api.Served); ok {
				if p := s.Serving(); p != "" {
					peers = append(peers, p)
				}
			}
		}
	}
	if len(peers) == 0 {
		return ""
	}
	return "serving " + strings.Join(peers, ", ")
}

// threadSpawn is thread.spawn(fn, ...): starts fn(...) in a new thread and
// returns its handle. An error fn does not catch is printed to stderr with
// the thread's id and what it served, closes the sockets passed to fn, and
// ends only that thread.
func (m *Threads) threadSpawn(L *lua.LState) int {
	fn, ok := L.Get(1).(*lua.LFunction)
	if !ok {
		api.ArgError(L, 1, "spawn", "function expected, got "+api.TypeName(L.Get(1)))
	}
	args := make([]lua.LValue, 0, L.GetTop()-1)
	for i := 2; i <= L.GetTop(); i++ {
		args = append(args, L.Get(i))
	}
	if max := m.maxThreads; max > 0 && m.live >= max {
		api.Misuse(L, "can't start new thread: %d threads are running, limits.max_threads is %d (spawn)", m.live, max)
	}
	t := m.newThread(L, threadLabel(args))
	m.live++
	t.fn = funcName(L, fn)
	m.vm.Host().Go(L, func(co *lua.LState) {
		m.byL[co] = t
		to, _ := m.vm.Observer().(api.ThreadObserver)
		if to != nil {
			to.ThreadStart(co, t.id, t.label)
		}
		defer func() {
			if to != nil {
				to.ThreadEnd(co, t.id, t.err)
			}
			delete(m.byL, co)
			m.live--
			close(t.done)
		}()
		co.Push(fn)
		for _, a := range args {
			co.Push(a)
		}
		if err := lua51.HostCall(co, len(args), lua.MultRet); err != nil {
			t.err = api.ErrorObject(err)
			t.reported = m.reportThreadError(co, t, err)
			// As Python's garbage collector would, close the sockets the
			// failed thread was serving, so its peers see the end.
			for _, a := range args {
				if ud, ok := a.(*lua.LUserData); ok {
					if s, ok := ud.Value.(api.Served); ok {
						s.Close()
					}
				}
			}
			return
		}
		t.results = make([]lua.LValue, co.GetTop())
		for i := range t.results {
			t.results[i] = co.Get(i + 1)
		}
		co.SetTop(0)
	})
	L.Push(t.ud)
	return 1
}

// reportThreadError prints a thread's uncaught error and its traceback,
// unless the run is ending anyway (interrupted or exiting), and says
// whether it printed it. An error that a join in this thread re-raised
// from a thread that printed it already is not printed again: one line
// says where it went on. It writes to standard error as print writes
// (api.VM.Write): with the lock of co, the thread's state, released while
// the write waits.
func (m *Threads) reportThreadError(co *lua.LState, t *Thread, err error) bool {
	if m.vm.Host().Context().Err() != nil {
		return false
	}
	who := fmt.Sprintf("thread %d", t.id)
	if m.workers > 1 {
		who = fmt.Sprintf("worker %d: %s", m.worker, who)
	}
	if t.label != "" {
		who += " (" + t.label + ")"
	}
	stderr := api.StreamOf(m.vm.Host().Stderr())
	msg := api.Message{Kind: "thread_error", Who: who, Thread: t.id}
	if m.workers > 1 {
		msg.Worker = m.worker
	}
	if line, ok := t.Rejoined(api.ErrorObject(err)); ok {
		msg.Text = line
		m.vm.Write(co, stderr, m.vm.Log(msg))
		return true
	}
	text, ok := api.IsErrorValue(api.ErrorObject(err))
	if !ok {
		text = lua51.ErrorText(api.ErrorObject(err))
	}
	msg.Text = text
	if apiErr, ok := err.(*lua.ApiError); ok && apiErr.StackTrace != "" {
		msg.Traceback = nameBottomFrame(apiErr.StackTrace, t.fn)
	}
	if x := api.Explanation(api.ErrorObject(err)); x != "" && !m.noExplain {
		msg.Why = x
	}
	if t.label != "" {
		msg.Fields = map[string]any{"label": t.label}
	}
	m.vm.Write(co, stderr, m.vm.Log(msg))
	return true
}

// Rejoined says whether v, an error this thread did not catch, is one a
// join re-raised from a thread that printed it already; if so it returns
// the line to print instead of the error and its traceback a second
// time: "/srv.lua:9: join re-raised the error of thread 2, printed above".
// The thread's own report is the one kept: it is printed as the error
// happens, even when no join ever comes, and its traceback leads to the
// line that failed, where the joiner's leads only to its join. Call it
// with the interpreter lock held.
func (t *Thread) Rejoined(v lua.LValue) (string, bool) {
	r := t.rejoined
	if r == nil || r.err != v {
		return "", false
	}
	return fmt.Sprintf("%s join re-raised the error of thread %d, printed above", r.where, r.from), true
}

// MainThread is the main chunk's thread.
func (m *Threads) MainThread() *Thread { return m.main }

// funcName is fn as a traceback names the function a thread runs: by the
// name of the local, upvalue or global of the spawning function that
// holds it ("function 'handle'"), else by where it is defined ("function
// <srv.lua:12>"), as Lua names an anonymous function.
func funcName(L *lua.LState, fn *lua.LFunction) string {
	if name := valueName(L, fn); name != "" {
		return "function '" + name + "'"
	}
	if fn.IsG {
		return "function <Go>"
	}
	return fmt.Sprintf("function <%s:%d>", fn.Proto.SourceName, fn.Proto.LineDefined)
}

// valueName is the name under which the nearest Lua function on L's
// stack sees v: a local, an upvalue, or a global; "" if none.
func valueName(L *lua.LState, v lua.LValue) string {
	for level := 0; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return ""
		}
		f, err := L.GetInfo("f", dbg, lua.LNil)
		caller, _ := f.(*lua.LFunction)
		if err != nil || caller == nil || caller.IsG {
			continue
		}
		for i := 1; ; i++ {
			name, val := L.GetLocal(dbg, i)
			if name == "" {
				break
			}
			if val == v && !strings.HasPrefix(name, "(") {
				return name
			}
		}
		for i := 1; i <= len(caller.Upvalues); i++ {
			if name, val := L.GetUpvalue(caller, i); val == v && name != "" {
				return name
			}
		}
		found := ""
		L.G.Global.ForEach(func(k, val lua.LValue) {
			if s, ok := k.(lua.LString); ok && val == v && found == "" {
				found = string(s)
			}
		})
		return found
	}
}

// nameBottomFrame names the thread's function in its traceback: the
// bottom frame of a thread's Lua state is its function, which a traceback,
// seeing no caller to name it, calls "function <file:line>" (gopher-lua's
// own, "main chunk").
func nameBottomFrame(trace, fn string) string {
	trace = strings.TrimRight(trace, "\n")
	i := strings.LastIndexByte(trace, '\n') + 1
	last := trace[i:]
	j := strings.Index(last, " in main chunk")
	if j < 0 {
		j = strings.Index(last, " in function <")
	}
	if j < 0 || fn == "" {
		return trace
	}
	return trace[:i] + last[:j] + " in " + fn
}

// threadJoin is t:join([timeout]): waits for the thread to end and returns
// its function's results, or raises its error. A timeout (seconds) raises
// a timeout error if the thread is still running.
func (m *Threads) threadJoin(L *lua.LState) int {
	t := checkThread(L, "join")
	timeout := api.CheckTimeout(L, 2, "join", 1)
	if m.current(L) == t {
		api.Misuse(L, "cannot join the current thread (join)")
	}
	if t.running() {
		if timeout == 0 {
			api.RaiseOS(L, api.TimeoutError("join", ""))
		}
		m.vm.Await(L, t.done, timeout)
		if t.running() {
			m.vm.RaiseIfInterrupted(L, "join")
			api.RaiseOS(L, api.TimeoutError("join", ""))
		}
	}
	if t.err != nil {
		if t.reported {
			m.current(L).rejoined = &rejoined{err: t.err, from: t.id, where: L.Where(1)}
		}
		api.Throw(L, t.err) // the thread's own error, as it raised it
	}
	for _, v := range t.results {
		L.Push(v)
	}
	return len(t.results)
}

// threadAlive is t:alive(): whether the thread is still running.
func threadAlive(L *lua.LState) int {
	L.Push(lua.LBool(checkThread(L, "alive").running()))
	return 1
}

// threadID is t:id(): the thread's number (the main chunk's thread is 1).
func threadID(L *lua.LState) int {
	L.Push(lua.LNumber(checkThread(L, "id").id))
	return 1
}

// threadCurrent is thread.current(): the handle of the calling thread.
func (m *Threads) threadCurrent(L *lua.LState) int {
	L.Push(m.current(L).ud)
	return 1
}

// current is the thread L runs in: a spawned thread, or the main chunk's.
// A coroutine runs in the thread that resumed it: gopher-lua links a
// running coroutine's state to its resumer's as Parent, so the chain ends
// at a thread's own state (or the main chunk's, which is not in byL).
func (m *Threads) current(L *lua.LState) *Thread {
	for s := L; s != nil; s = s.Parent {
		if t, ok := m.byL[s]; ok {
			return t
		}
	}
	return m.main
}

// threadSleep is thread.sleep(seconds): as socket.sleep, except that
// thread.sleep(0) gives every thread waiting for the interpreter lock a
// turn before it returns, as Python's time.sleep(0) releases the GIL.
func (m *Threads) threadSleep(L *lua.LState) int {
	m.vm.Sleep(L, "sleep")
	return 0
}

// ThreadID is the id of the script thread L runs in (a coroutine runs in
// the thread that resumed it): 1 for the main chunk, 2, 3 ... for the
// threads it starts, as t:id() says. Call it with the interpreter lock
// held.
func (m *Threads) ThreadID(L *lua.LState) int {
	if t := m.current(L); t != nil {
		return t.id
	}
	return 1
}

// Running describes the threads still running, for the report: "thread 2
// (serving 127.0.0.1:5000)".
func (m *Threads) Running() []string {
	var running []string
	for _, t := range m.byL {
		desc := fmt.Sprintf("thread %d", t.id)
		if t.label != "" {
			desc += " (" + t.label + ")"
		}
		running = append(running, desc)
	}
	return running
}
