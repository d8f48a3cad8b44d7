package store

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sockrun/sockrun/internal/testredis"
)

// rawClient is a plain Redis client on url: another client of the same
// Redis, as a program in another language would be.
func rawClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

func openRedis(t *testing.T, url string) *Redis {
	t.Helper()
	st, err := OpenRedis(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestRedisEncoding: what other clients of the Redis see and write. A
// number is its decimal text (INCR works on it), a string and a boolean
// carry a prefix; a value without one reads as a number if it is decimal
// text, else as a string.
func TestRedisEncoding(t *testing.T) {
	srv := testredis.Start(t)
	st := openRedis(t, srv.URL(1))
	raw := rawClient(t, srv.URL(1))
	for _, c := range []struct {
		v   any
		raw string
	}{
		{42.0, "42"}, {-3.0, "-3"}, {0.1, "0.1"}, {1e21, "1e+21"}, {9007199254740993.0, "9007199254740992"},
		{"text", "s:text"}, {"", "s:"}, {true, "b:true"}, {false, "b:false"},
	} {
		must(t, st.Set(ctx, "k", c.v, 0))
		if got := raw.Get(ctx, "k").Val(); got != c.raw {
			t.Errorf("%#v is stored as %q, want %q", c.v, got, c.raw)
		}
	}
	must(t, st.Set(ctx, "n", 41.0, 0))
	if n, err := raw.Incr(ctx, "n").Result(); n != 42 || err != nil {
		t.Errorf("INCR by another client: %v %v", n, err)
	}
	if n, err := st.Incr(ctx, "n", 0.5, 0); n != 42.5 || err != nil {
		t.Errorf("incr after INCR: %v %v", n, err)
	}
	for rawValue, want := range map[string]any{"12": 12.0, "-1.5e3": -1500.0, "hello": "hello", "0x10": "0x10", " 5": " 5", "1_0": "1_0"} {
		raw.Set(ctx, "foreign", rawValue, 0)
		if got := mustGet(t, st, "foreign"); got != want {
			t.Errorf("%q written by another client reads as %#v, want %#v", rawValue, got, want)
		}
		_, err := st.Incr(ctx, "foreign", 1, 0)
		if _, isNum := want.(float64); isNum != (err == nil) {
			t.Errorf("incr of %q written by another client: %v", rawValue, err)
		}
	}
}

// TestRedisForeignType: a key another client made a list (or any other
// Redis type) is an error naming the key and the type, not a crash or a
// silent nil; set replaces it, as SET does.
func TestRedisForeignType(t *testing.T) {
	srv := testredis.Start(t)
	st := openRedis(t, srv.URL(1))
	raw := rawClient(t, srv.URL(1))
	raw.RPush(ctx, "list", "a")
	want := `shared key "list" holds a Redis list, not a string, number or boolean`
	_, _, err := st.Get(ctx, "list")
	var fo *ErrForeign
	if !errors.As(err, &fo) || err.Error() != want {
		t.Errorf("get: %v", err)
	}
	if _, err := st.Incr(ctx, "list", 1, 0); !errors.As(err, &fo) || err.Error() != want {
		t.Errorf("incr: %v", err)
	}
	if ok, err := st.Add(ctx, "list", 1.0, 0); ok || err != nil {
		t.Errorf("add over a list: %v %v", ok, err)
	}
	must(t, st.Set(ctx, "list", 1.0, 0))
	if got := mustGet(t, st, "list"); got != 1.0 {
		t.Errorf("after set: %#v", got)
	}
}

// storeErr checks that err is a *StoreError naming the store and op, and
// returns it.
func storeErr(t *testing.T, st Store, op string, err error) *StoreError {
	t.Helper()
	var se *StoreError
	if !errors.As(err, &se) {
		t.Fatalf("%s: %v (%T), want a *StoreError", op, err, err)
	}
	if se.Store != st.Name() || se.Op != op || !strings.Contains(err.Error(), st.Name()) {
		t.Errorf("%s: %v: does not name the store %s and the call", op, err, st.Name())
	}
	return se
}

// TestRedisDown: every call to a Redis that is gone fails at once with a
// *StoreError (ECONNREFUSED over TCP, ENOENT for a Unix socket), and the
// store works again, by itself, once Redis is back.
func TestRedisDown(t *testing.T) {
	srv := testredis.Start(t)
	tcp := openRedis(t, srv.TCPURL(1))
	sock := openRedis(t, srv.URL(2))
	must(t, tcp.Set(ctx, "k", 1.0, 0))
	must(t, sock.Set(ctx, "k", 1.0, 0))
	srv.Stop()
	for _, c := range []struct {
		st    *Redis
		errno syscall.Errno
	}{{tcp, syscall.ECONNREFUSED}, {sock, syscall.ENOENT}} {
		_, err := c.st.Incr(ctx, "k", 1, 0)
		if se := storeErr(t, c.st, "incr", err); se.Errno != c.errno {
			t.Errorf("%s: errno %v, want %v", c.st.Name(), se.Errno, c.errno)
		}
		storeErr(t, c.st, "set", c.st.Set(ctx, "k", 2.0, 0))
		_, _, err = c.st.Get(ctx, "k")
		storeErr(t, c.st, "get", err)
		_, err = c.st.Publish(ctx, "ch", "x")
		storeErr(t, c.st, "publish", err)
		_, err = c.st.Subscribe(ctx, []string{"ch"})
		storeErr(t, c.st, "subscribe", err)
	}
	srv.Restart() // empty: no persistence
	for _, st := range []*Redis{tcp, sock} {
		n, err := st.Incr(ctx, "k", 1, 0)
		for i := 0; err != nil && i < 100; i++ {
			// The pool, after failed dials, tries again in the
			// background: the first calls may still fail.
			t.Logf("%s: %v", st.Name(), err)
			time.Sleep(50 * time.Millisecond)
			n, err = st.Incr(ctx, "k", 1, 0)
		}
		if err != nil || n != 1 {
			t.Errorf("%s after Redis came back: %v %v", st.Name(), n, err)
		}
	}
}

// TestRedisStalled: a Redis that accepts but does not answer (stopped
// with SIGSTOP) fails calls with a timeout within the URL's read_timeout;
// the store works again when Redis continues.
func TestRedisStalled(t *testing.T) {
	srv := testredis.Start(t)
	st := openRedis(t, srv.TCPURL(1)+"?read_timeout=200ms&dial_timeout=200ms")
	must(t, st.Set(ctx, "k", 1.0, 0))
	srv.Pause()
	_, err := st.Incr(ctx, "k", 1, 0)
	if se := storeErr(t, st, "incr", err); !se.Timeout || se.Errno != syscall.ETIMEDOUT || se.Message() != "timed out" {
		t.Errorf("stalled: %v (timeout %v, errno %v)", err, se.Timeout, se.Errno)
	}

	srv.Resume()
	// The timed-out call's INCR may have run once Redis continued: the
	// script was told it failed, which is all an error can say.
	if n, err := st.Incr(ctx, "k", 1, 0); err != nil || n < 2 {
		t.Errorf("after Redis continued: %v %v", n, err)
	}
}

// TestRedisCancel: a call that waits in Redis (held back by CLIENT PAUSE,
// with timeouts of an hour) ends at once when its context is cancelled,
// as Ctrl-C does; the lane it used works for the next call.
func TestRedisCancel(t *testing.T) {
	srv := testredis.Start(t)
	raw := rawClient(t, srv.URL(0))
	st := openRedis(t, srv.TCPURL(1)+"?read_timeout=1h&dial_timeout=1h&pool_size=1")
	must(t, st.Set(ctx, "k", 1.0, 0))
	must(t, raw.Do(ctx, "CLIENT", "PAUSE", "3600000", "WRITE").Err())
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := st.Incr(cctx, "k", 1, 0)
		done <- err
	}()
	// Wait until the incr waits inside Redis.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(raw.ClientList(ctx).Val(), "cmd=evalsha") {
		if time.Now().After(deadline) {
			t.Fatal("the incr never reached Redis")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled call: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled call still waits for Redis")
	}
	must(t, raw.Do(ctx, "CLIENT", "UNPAUSE").Err())
	// One lane (pool_size=1): the next call gets it, with a new connection.
	if n, err := st.Incr(ctx, "k", 1, 0); err != nil || n < 2 {
		t.Errorf("after the cancelled call: %v %v", n, err)
	}
}

// TestRedisSubscriptionLost: when the subscription's connection breaks,
// the subscription marks the gap (a Message with Lost, once however long
// the outage), subscribes again by itself, and goes on receiving.
func TestRedisSubscriptionLost(t *testing.T) {
	srv := testredis.Start(t)
	st := openRedis(t, srv.URL(1))
	sub, err := st.Subscribe(ctx, []string{"room"})
	must(t, err)
	defer sub.Close()
	st.Publish(ctx, "room", "before")
	if m := take(t, sub); m.Text != "before" {
		t.Errorf("first: %+v", m)
	}
	srv.Stop()
	srv.Restart()
	// Publish until the subscription is back: PUBLISH counts it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, _ := st.Publish(ctx, "room", "after")
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscription did not come back within 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := take(t, sub)
	var se *StoreError
	if !errors.As(m.Lost, &se) || se.Op != "subscribe" || se.Store != st.Name() {
		t.Errorf("the gap: %+v, want a Lost mark naming the store", m)
	}
	if m := take(t, sub); m.Text != "after" || m.Lost != nil {
		t.Errorf("after the gap: %+v", m)
	}
}

// TestRedisURL: the password is in the URL and never in the store's name
// (which errors print); a bad URL is an error naming shared.url.
func TestRedisURL(t *testing.T) {
	srv := testredis.Start(t)
	raw := rawClient(t, srv.URL(0))
	must(t, raw.ConfigSet(ctx, "requirepass", "s3cret").Err())
	without := openRedis(t, srv.TCPURL(2))
	err := without.Set(ctx, "k", 1.0, 0)
	if se := storeErr(t, without, "set", err); !strings.Contains(se.Message(), "NOAUTH") {
		t.Errorf("no password: %v", err)
	}
	url := strings.Replace(srv.TCPURL(2), "redis://", "redis://:s3cret@", 1)
	with := openRedis(t, url)
	must(t, with.Set(ctx, "k", 1.0, 0))
	if strings.Contains(with.Name(), "s3cret") || !strings.Contains(with.Name(), "127.0.0.1") {
		t.Errorf("name %q", with.Name())
	}
	for _, bad := range []string{"http://127.0.0.1/", "redis://127.0.0.1/x", "redis://h/0?bogus=1", "unix://",
		"redis://:s3cret@127.0.0.1:xx/0", "redis://:s3cret@127.0.0.1/x", "redis://:s3cret@h/0?bogus=1"} {
		if _, err := OpenRedis(bad); err == nil || !strings.Contains(err.Error(), "shared.url") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("OpenRedis(%q): %v", bad, err)
		}
	}
}

// TestRedisCloseEndsSubscriptions: closing the store ends its
// subscriptions' connections at once (closing go-redis's client closes
// them), though their reads wait for messages that do not come and do not
// watch the store's context.
func TestRedisCloseEndsSubscriptions(t *testing.T) {
	srv := testredis.Start(t)
	st, err := OpenRedis(srv.URL(1))
	must(t, err)
	sub, err := st.Subscribe(ctx, []string{"quiet"})
	must(t, err)
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waits for a subscription's read")
	}
	if _, ok := sub.Take(); ok {
		t.Error("a message from nowhere")
	}
}
