package store

import (
	"context"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// The Redis store's connections for calls. A script's call must end at
// once when the run is interrupted, and go-redis ends a read at its
// context's deadline, not at its cancellation. So each connection is a
// lane: a go-redis client of one connection, whose dialer keeps the
// connection it made, so that the call using the lane can cut exactly
// that connection (a deadline in the past) when its context ends. The
// call then runs on the script thread's own goroutine, with no switch to
// another, which costs more than the round trip on a busy machine.

// lanes is the store's set of lanes: at most size, made as calls need
// them (pool_size in the URL, else go-redis's default of 10 per CPU).
type lanes struct {
	opt  *redis.Options // the lanes' clients', PoolSize 1
	free chan *lane

	mu     sync.Mutex
	all    []*lane
	closed bool
}

func (ls *lanes) init(opt *redis.Options) {
	size := opt.PoolSize
	if size <= 0 {
		size = 10 * runtime.GOMAXPROCS(0)
	}
	o := *opt
	o.PoolSize, o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns = 1, 0, 1, 1
	ls.opt = &o
	ls.free = make(chan *lane, size)
}

// take returns a free lane, made if there are fewer than size, else the
// first given back; it waits until ctx ends.
func (ls *lanes) take(ctx context.Context) (*lane, error) {
	select {
	case l := <-ls.free:
		return l, nil
	default:
	}
	ls.mu.Lock()
	if ls.closed {
		ls.mu.Unlock()
		return nil, errClosed
	}
	if len(ls.all) < cap(ls.free) {
		l := &lane{ls: ls}
		l.c = l.client()
		ls.all = append(ls.all, l)
		ls.mu.Unlock()
		return l, nil
	}
	ls.mu.Unlock()
	select {
	case l := <-ls.free:
		return l, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// give puts l back for the next call.
func (ls *lanes) give(l *lane) { ls.free <- l }

// close closes every lane's client: calls under way fail, later ones
// fail at once.
func (ls *lanes) close() {
	ls.mu.Lock()
	ls.closed = true
	all := ls.all
	ls.mu.Unlock()
	for _, l := range all {
		l.mu.Lock()
		l.c.Close()
		l.mu.Unlock()
	}
}

// lane is one connection for calls: a go-redis client of one connection,
// used by one call at a time (the one that took it), and the connection
// its dialer made last.
type lane struct {
	ls *lanes
	c  *redis.Client // changed only by the call holding the lane, under mu

	mu   sync.Mutex
	conn *cutConn
}

// client is a new client for l, whose dialer tells l its connection.
func (l *lane) client() *redis.Client {
	o := *l.ls.opt
	dial := redis.NewDialer(&o)
	o.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc, nc := newCutConn(c)
		l.mu.Lock()
		l.conn = cc
		l.mu.Unlock()
		return nc, nil
	}
	return redis.NewClient(&o)
}

// cut ends the call under way on l: its connection's deadline passes.
// It runs on the goroutine that ended the call's context.
func (l *lane) cut() {
	l.mu.Lock()
	c := l.conn
	l.mu.Unlock()
	if c != nil {
		c.cut()
	}
}

// renew gives l a new client after a cut: the old one may keep the cut
// connection as an idle one. The caller holds the lane.
func (l *lane) renew() {
	l.mu.Lock()
	old := l.c
	l.c = l.client()
	l.conn = nil
	// Under l.mu, so that close, which takes it after setting closed,
	// closes this client if it comes after.
	l.ls.mu.Lock()
	closed := l.ls.closed
	l.ls.mu.Unlock()
	if closed {
		l.c.Close()
	}
	l.mu.Unlock()
	go old.Close()
}

// past is a deadline that has passed.
var past = time.Unix(1, 0)

// cutConn is a connection that can be cut: once cut, its deadline is in
// the past whatever go-redis sets afterwards, so every read and write
// under way or to come fails at once.
type cutConn struct {
	net.Conn
	mu    sync.Mutex
	isCut bool
}

// cutSysConn is a cutConn over a connection with a descriptor, which
// go-redis's health check of idle connections looks at (a TLS one has
// none it may look at).
type cutSysConn struct {
	*cutConn
	sys syscall.Conn
}

func (c cutSysConn) SyscallConn() (syscall.RawConn, error) { return c.sys.SyscallConn() }

// newCutConn wraps c: the cutConn to cut, and the connection to give
// go-redis.
func newCutConn(c net.Conn) (*cutConn, net.Conn) {
	cc := &cutConn{Conn: c}
	if sys, ok := c.(syscall.Conn); ok {
		return cc, cutSysConn{cc, sys}
	}
	return cc, cc
}

func (c *cutConn) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.isCut = true
	c.Conn.SetDeadline(past)
}

func (c *cutConn) deadline(set func(time.Time) error, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isCut {
		t = past
	}
	return set(t)
}

func (c *cutConn) SetDeadline(t time.Time) error      { return c.deadline(c.Conn.SetDeadline, t) }
func (c *cutConn) SetReadDeadline(t time.Time) error  { return c.deadline(c.Conn.SetReadDeadline, t) }
func (c *cutConn) SetWriteDeadline(t time.Time) error { return c.deadline(c.Conn.SetWriteDeadline, t) }
