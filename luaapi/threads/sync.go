package threads

import (
	"container/list"
	"fmt"
	"time"

	"github.com/sockrun/sockrun/luaapi/api"
	lua "github.com/yuin/gopher-lua"
)

// This file is the thread module's synchronisation objects: queue, lock and
// event. All three belong to one VM, so their state is guarded by the
// interpreter lock itself: it is read and changed only by the thread holding
// that lock. A thread that must wait registers a waiter, releases the
// interpreter lock and sleeps on the waiter's channel; the thread that
// satisfies it (a put, a release, a set) completes the waiter under the
// interpreter lock, handing it what it waited for, so that a wakeup is never
// lost and a waiter is never overtaken by a thread that did not wait.

// waiter is one thread waiting in a queue, lock or event. Its fields other
// than wake are touched only with the interpreter lock held: whoever
// completes the wait sets done (and val), removes the waiter from its list
// and closes wake; the waiting thread reads them after it has retaken the
// lock.
type waiter struct {
	wake chan struct{}
	done bool       // completed: handed what it waited for (or the queue closed)
	val  lua.LValue // a get's value; a put's value to enqueue
	elem *list.Element
}

// waitList is a FIFO of waiters: the first to wait is the first served.
type waitList struct{ l list.List }

func (wl *waitList) push(w *waiter) { w.elem = wl.l.PushBack(w) }

func (wl *waitList) len() int { return wl.l.Len() }

// pop removes and returns the first waiter, or nil.
func (wl *waitList) pop() *waiter {
	e := wl.l.Front()
	if e == nil {
		return nil
	}
	w := wl.l.Remove(e).(*waiter)
	w.elem = nil
	return w
}

// remove takes w off the list if it is still on it.
func (wl *waitList) remove(w *waiter) {
	if w.elem != nil {
		wl.l.Remove(w.elem)
		w.elem = nil
	}
}

// complete marks w done and wakes it. The caller holds the interpreter lock
// and has taken w off its list.
func (w *waiter) complete(val lua.LValue) {
	w.done = true
	w.val = val
	close(w.wake)
}

func newWaiter() *waiter { return &waiter{wake: make(chan struct{})} }

// waitIn queues w on list and waits for it (see await). It reports whether
// w was completed; if not, w leaves the list, and an interrupted run raises
// op's interrupt error.
func (m *Threads) waitIn(L *lua.LState, list *waitList, w *waiter, timeout time.Duration, op string) bool {
	list.push(w)
	m.vm.Await(L, w.wake, timeout)
	if w.done {
		return true
	}
	list.remove(w)
	m.vm.RaiseIfInterrupted(L, op)
	return false
}

const (
	queueMetaName = "thread.queue"
	lockMetaName  = "thread.lock"
	eventMetaName = "thread.event"
)

// queueType, lockType and eventType are the thread module's
// synchronization objects.
var (
	queueType = &api.Type{
		Name:    "queue",
		Meta:    queueMetaName,
		Summary: "a first-in, first-out queue of values between threads",
		Methods: func() []api.Func {
			return []api.Func{
				api.Method("put", "q:put(value [, timeout])", "adds value, waiting while a bounded queue is full", (*Threads).queuePut).
					Does(api.Waits).Params(api.Any, api.Timeout),
				api.Method("get", "q:get([timeout])", "takes the oldest value, waiting while the queue is empty; nil once closed and drained", (*Threads).queueGet).
					Does(api.Waits).Params(api.Timeout).Returns(api.Any),
				api.Fn("len", "q:len()", "the count of values queued", queueLen).
					Returns(api.Int),
				api.Fn("close", "q:close()", "closes the queue: puts raise, gets drain it then return nil", queueClose),
			}
		},
		Metamethods: map[string]lua.LGFunction{"__tostring": queueTostring, "__len": queueLen},
	}
	lockType = &api.Type{
		Name:    "lock",
		Meta:    lockMetaName,
		Summary: "a lock (Python's `threading.Lock`), not reentrant",
		Methods: func() []api.Func {
			return []api.Func{
				api.Method("acquire", "l:acquire([timeout])", "takes the lock, waiting while another thread holds it; false on timeout", (*Threads).lockAcquire).
					Does(api.Waits).Params(api.Timeout).Returns(api.Bool),
				api.Fn("release", "l:release()", "releases the lock", lockRelease),
				api.Fn("locked", "l:locked()", "whether a thread holds the lock", lockLocked).
					Returns(api.Bool),
			}
		},
		Metamethods: map[string]lua.LGFunction{"__tostring": lockTostring},
	}
	eventType = &api.Type{
		Name:    "event",
		Meta:    eventMetaName,
		Summary: "an event (Python's `threading.Event`): a flag threads can wait for",
		Methods: func() []api.Func {
			return []api.Func{
				api.Fn("set", "e:set()", "sets the event and wakes every waiter", eventSet),
				api.Fn("clear", "e:clear()", "clears the event", eventClear),
				api.Fn("is_set", "e:is_set()", "whether the event is set", eventIsSet).
					Returns(api.Bool),
				api.Method("wait", "e:wait([timeout])", "waits until the event is set; false on timeout", (*Threads).eventWait).
					Does(api.Waits).Params(api.Timeout).Returns(api.Bool),
			}
		},
		Metamethods: map[string]lua.LGFunction{"__tostring": eventTostring},
	}
)

// Queue is a FIFO of Lua values between the threads of one VM, optionally
// bounded. Invariants (with the interpreter lock held): getters wait only
// while items is empty; putters wait only while items is full.
type Queue struct {
	items    []lua.LValue
	head     int // items[head:] are queued
	capacity int // 0: unbounded
	closed   bool
	getters  waitList
	putters  waitList // each holds the value it puts in val
}

func (q *Queue) len() int { return len(q.items) - q.head }

func (q *Queue) full() bool { return q.capacity > 0 && q.len() >= q.capacity }

func (q *Queue) push(v lua.LValue) {
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.items = append(q.items, v)
}

func (q *Queue) shift() lua.LValue {
	v := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head >= 64 && q.head*2 >= len(q.items) {
		// Slide the live items down so the slice does not grow forever.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return v
}

// threadQueue is thread.queue([capacity]): a new queue. With a capacity
// (a positive count) put waits while the queue is full; nil or 0 means
// unbounded.
func threadQueue(L *lua.LState) int {
	capacity := api.OptInt(L, 1, "queue", 0, 0)
	if capacity < 0 {
		api.ArgError(L, 1, "queue", "capacity must be 0 (unbounded) or more, got "+fmt.Sprint(capacity))
	}
	L.Push(api.NewObject(L, &Queue{capacity: capacity}, queueMetaName))
	return 1
}

func checkQueue(L *lua.LState, fn string) *Queue {
	return api.CheckSelf[*Queue](L, fn, "queue", "q")
}

// queueClosedError is what put on a closed queue raises, shaped like the
// socket errors so scripts can test err.name == "ESHUTDOWN".
func queueClosedError() *api.OSError {
	return &api.OSError{Class: "queue.ShutDown", Name: "ESHUTDOWN", Message: "queue is closed", Op: "put"}
}

// queuePut is q:put(value [, timeout]): adds value at the end of the queue.
// If the queue has a capacity and is full, it waits (the interpreter lock
// released) for room; a timeout in seconds raises a timeout error when it
// passes, 0 raises at once. Raises a queue.ShutDown error (name
// "ESHUTDOWN") if the queue is closed, also while waiting. nil cannot be
// queued: get returns nil for a closed, drained queue.
func (m *Threads) queuePut(L *lua.LState) int {
	q := checkQueue(L, "put")
	v := L.Get(2)
	if v == lua.LNil {
		api.ArgError(L, 1, "put", "value expected, got nil")
	}
	timeout := api.CheckTimeout(L, 3, "put", 1)
	if q.closed {
		api.RaiseOS(L, queueClosedError())
	}
	if g := q.getters.pop(); g != nil {
		// Someone waits for a value: hand it over directly, so that it
		// cannot be taken by a thread that did not wait.
		g.complete(v)
		return 0
	}
	if !q.full() {
		q.push(v)
		return 0
	}
	if timeout == 0 {
		api.RaiseTimeout(L, "put")
	}
	w := newWaiter()
	w.val = v
	if m.waitIn(L, &q.putters, w, timeout, "put") {
		if q.closed && w.val == lua.LNil {
			api.RaiseOS(L, queueClosedError())
		}
		return 0
	}
	api.RaiseTimeout(L, "put")
	return 0
}

// queueGet is q:get([timeout]): removes and returns the first value,
// waiting (the interpreter lock released) while the queue is empty. A
// timeout in seconds raises a timeout error when it passes, 0 raises at
// once if the queue is empty. Once the queue is closed and drained it
// returns nil.
func (m *Threads) queueGet(L *lua.LState) int {
	q := checkQueue(L, "get")
	timeout := api.CheckTimeout(L, 2, "get", 1)
	if q.len() > 0 {
		v := q.shift()
		if p := q.putters.pop(); p != nil {
			// A place is free: the first waiting putter's value goes in.
			q.push(p.val)
			p.complete(p.val)
		}
		L.Push(v)
		return 1
	}
	if q.closed {
		L.Push(lua.LNil)
		return 1
	}
	if timeout == 0 {
		api.RaiseTimeout(L, "get")
	}
	if w := newWaiter(); m.waitIn(L, &q.getters, w, timeout, "get") {
		L.Push(w.val) // nil if woken by close
		return 1
	}
	api.RaiseTimeout(L, "get")
	return 0
}

// queueLen is q:len() and #q: the number of values queued.
func queueLen(L *lua.LState) int {
	L.Push(lua.LNumber(checkQueue(L, "len").len()))
	return 1
}

// queueClose is q:close(): closes the queue. Waiting getters wake up with
// nil, waiting putters with a queue.ShutDown error; values already queued
// can still be got; put raises from now on. Closing twice is harmless.
func queueClose(L *lua.LState) int {
	q := checkQueue(L, "close")
	q.closed = true
	for g := q.getters.pop(); g != nil; g = q.getters.pop() {
		g.complete(lua.LNil)
	}
	for p := q.putters.pop(); p != nil; p = q.putters.pop() {
		p.complete(lua.LNil)
	}
	return 0
}

// queueTostring is tostring(q): the values queued, the capacity if any,
// and the threads waiting to get or put: <queue 2/10, 0 waiting>,
// <queue 0 closed, 0 waiting>.
func queueTostring(L *lua.LState) int {
	q := checkQueue(L, "__tostring")
	s := fmt.Sprintf("<queue %d", q.len())
	if q.capacity > 0 {
		s += fmt.Sprintf("/%d", q.capacity)
	}
	if q.closed {
		s += " closed"
	}
	s += fmt.Sprintf(", %d waiting>", q.getters.len()+q.putters.len())
	L.Push(lua.LString(s))
	return 1
}

// Lock is a mutual-exclusion lock for threads that must keep state
// consistent across a blocking call. As Python's threading.Lock it has no
// owner: any thread may release it. Waiters are served first come, first
// served: release hands the lock to the first waiter.
type Lock struct {
	locked  bool
	waiters waitList
}

func checkLock(L *lua.LState, fn string) *Lock {
	return api.CheckSelf[*Lock](L, fn, "lock", "l")
}

// threadLock is thread.lock(): a new, unlocked lock.
func threadLock(L *lua.LState) int {
	L.Push(api.NewObject(L, &Lock{}, lockMetaName))
	return 1
}

// lockAcquire is l:acquire([timeout]): takes the lock, waiting (the
// interpreter lock released) while another thread holds it. Returns true,
// or false if the timeout (seconds; 0: do not wait) passed first.
func (m *Threads) lockAcquire(L *lua.LState) int {
	l := checkLock(L, "acquire")
	timeout := api.CheckTimeout(L, 2, "acquire", 1)
	if !l.locked {
		l.locked = true
		L.Push(lua.LTrue)
		return 1
	}
	if timeout == 0 {
		L.Push(lua.LFalse)
		return 1
	}
	// true: release handed the lock over.
	L.Push(lua.LBool(m.waitIn(L, &l.waiters, newWaiter(), timeout, "acquire")))
	return 1
}

// lockRelease is l:release(): releases the lock, handing it to the first
// waiting thread if any. Raises if the lock is not held.
func lockRelease(L *lua.LState) int {
	l := checkLock(L, "release")
	if !l.locked {
		api.Misuse(L, "cannot release an unlocked lock (release)")
	}
	if w := l.waiters.pop(); w != nil {
		w.complete(lua.LTrue) // stays locked: ownership passes to w
		return 0
	}
	l.locked = false
	return 0
}

// lockLocked is l:locked(): whether some thread holds the lock.
func lockLocked(L *lua.LState) int {
	L.Push(lua.LBool(checkLock(L, "locked").locked))
	return 1
}

func lockTostring(L *lua.LState) int {
	l := checkLock(L, "__tostring")
	state := "unlocked"
	if l.locked {
		state = "locked"
	}
	L.Push(lua.LString(fmt.Sprintf("<lock %s, %d waiting>", state, l.waiters.len())))
	return 1
}

// Event is a flag threads can wait for, as Python's threading.Event.
type Event struct {
	set     bool
	waiters waitList
}

func checkEvent(L *lua.LState, fn string) *Event {
	return api.CheckSelf[*Event](L, fn, "event", "e")
}

// threadEvent is thread.event(): a new event, not set.
func threadEvent(L *lua.LState) int {
	L.Push(api.NewObject(L, &Event{}, eventMetaName))
	return 1
}

// eventSet is e:set(): sets the flag and wakes every waiting thread.
func eventSet(L *lua.LState) int {
	e := checkEvent(L, "set")
	e.set = true
	for w := e.waiters.pop(); w != nil; w = e.waiters.pop() {
		w.complete(lua.LTrue)
	}
	return 0
}

// eventClear is e:clear(): resets the flag.
func eventClear(L *lua.LState) int {
	checkEvent(L, "clear").set = false
	return 0
}

// eventIsSet is e:is_set(): whether the flag is set.
func eventIsSet(L *lua.LState) int {
	L.Push(lua.LBool(checkEvent(L, "is_set").set))
	return 1
}

// eventWait is e:wait([timeout]): waits (the interpreter lock released)
// until the flag is set. Returns true, or false if the timeout (seconds)
// passed first. A thread woken by set returns true even if the flag was
// cleared again before it ran.
func (m *Threads) eventWait(L *lua.LState) int {
	e := checkEvent(L, "wait")
	timeout := api.CheckTimeout(L, 2, "wait", 1)
	if e.set {
		L.Push(lua.LTrue)
		return 1
	}
	if timeout == 0 {
		L.Push(lua.LFalse)
		return 1
	}
	L.Push(lua.LBool(m.waitIn(L, &e.waiters, newWaiter(), timeout, "wait")))
	return 1
}

func eventTostring(L *lua.LState) int {
	e := checkEvent(L, "__tostring")
	state := "clear"
	if e.set {
		state = "set"
	}
	L.Push(lua.LString(fmt.Sprintf("<event %s, %d waiting>", state, e.waiters.len())))
	return 1
}
