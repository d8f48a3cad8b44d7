package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis is the store on a Redis server (6.0 or later), for sockrun
// processes on several hosts: the keys are the keys of one Redis
// database, incr is one server-side script (atomic across every client),
// a TTL is the key's expiry in Redis, and publish/subscribe is Redis's.
// Values keep their type through an encoding (encode, decode).
//
// Every call waits at most the client's dial timeout plus its read
// timeout (2 s each unless the URL says otherwise), and fails with a
// *StoreError past it; no call is retried, so an incr is never counted
// twice. Connections are made as calls need them (lanes.go): a Redis that
// is down when the run starts, or goes away, fails the calls made
// meanwhile and is used again when it is back.
type Redis struct {
	name  string
	bound time.Duration // the most one call waits; 0: no bound (the URL disabled the timeouts)
	// pubsub makes the subscriptions' connections, one each.
	pubsub *redis.Client
	lanes  lanes

	// ctx ends when the store closes: the subscriptions' goroutines stop.
	ctx    context.Context
	cancel context.CancelFunc
	subs   sync.WaitGroup
}

var _ Store = (*Redis)(nil)

// Defaults sockrun gives the client where the URL does not set them: a
// store that does not answer is an error to the script within seconds,
// not a stall.
const (
	defaultDialTimeout = 2 * time.Second
	defaultReadTimeout = 2 * time.Second
)

// healthEvery is how long a subscription's connection may be silent
// before it is asked for a PING; with no answer by the next period, the
// connection counts as lost and is made again.
const healthEvery = 15 * time.Second

var quietOnce sync.Once

// OpenRedis returns the store on the Redis server rawURL names:
// redis://[user:password@]host[:port][/db], rediss:// for TLS,
// unix:///path/to/redis.sock[?db=N], with go-redis's options as query
// parameters (dial_timeout, read_timeout, pool_size ...). It connects
// only when a call needs it.
func OpenRedis(rawURL string) (*Redis, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold a password
		}
		return nil, fmt.Errorf("shared.url: not a URL: %w", err)
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("shared.url %s: %w", redactURL(u), err)
	}
	q := u.Query()
	if opt.DialTimeout == 0 {
		opt.DialTimeout = defaultDialTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = defaultReadTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = opt.ReadTimeout
	}
	if !q.Has("max_retries") {
		// A retried incr whose first try reached Redis would count twice.
		opt.MaxRetries = -1
	}
	if !q.Has("protocol") {
		opt.Protocol = 2
	}
	opt.DialerRetries = 1 // one try per call: the call's bound is the dial timeout
	opt.ContextTimeoutEnabled = true
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	// go-redis logs to the process's stderr, which is the script's; what
	// goes wrong reaches the script as errors instead.
	quietOnce.Do(func() { redis.SetLogger(&logging.VoidLogger{}) })

	r := &Redis{name: redactURL(u), pubsub: redis.NewClient(opt)}
	if opt.DialTimeout > 0 && opt.ReadTimeout > 0 {
		r.bound = opt.DialTimeout + opt.ReadTimeout
	}
	r.lanes.init(opt)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// redactURL is u as errors name the store: without its password and
// query.
func redactURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment = "", ""
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), "xxxxx")
		}
	}
	return c.String()
}

// Remote is true: every call waits for Redis.
func (r *Redis) Remote() bool { return true }

// Name is the store's URL without its password.
func (r *Redis) Name() string { return r.name }

// Close closes the client's connections and ends the subscriptions.
func (r *Redis) Close() error {
	r.cancel()
	r.lanes.close()
	err := r.pubsub.Close()
	r.subs.Wait()
	return err
}

// call runs f, a call of op, on a connection of its own (a lane), with
// the store's bound on the whole wait: for a free connection, to connect,
// for the answer. When ctx ends first (Ctrl-C), the connection is cut at
// once, which ends the call where it waits, and the lane gets a new one.
// f runs on the calling goroutine: a call costs no goroutine switch.
func call[T any](r *Redis, ctx context.Context, op string, f func(ctx context.Context, c *redis.Client) (T, error)) (T, error) {
	var zero T
	fctx := ctx
	if r.bound > 0 {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(ctx, r.bound)
		defer cancel()
	}
	l, err := r.lanes.take(fctx)
	if err != nil {
		return zero, storeError(r.name, op, err)
	}
	cut := context.AfterFunc(ctx, l.cut)
	v, err := f(fctx, l.c)
	if !cut() {
		// Cut: the connection is dead, and go-redis may still hold it.
		l.renew()
		if err != nil {
			err = ctx.Err()
		}
	}
	r.lanes.give(l)
	return v, storeError(r.name, op, r.foreign(err))
}

// bounded runs f, a call of op, with the store's bound on its wait, and
// returns as soon as ctx ends even if f still waits (on a goroutine of
// its own: go-redis watches a context's deadline, not its cancellation,
// during a read). drop releases a result that came too late to be
// returned. For what call cannot do on a lane: subscribing.
func bounded[T any](r *Redis, ctx context.Context, op string, f func(ctx context.Context) (T, error), drop func(T)) (T, error) {
	if r.bound > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.bound)
		defer cancel()
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		done <- result{v, err}
	}()
	select {
	case res := <-done:
		return res.v, storeError(r.name, op, res.err)
	case <-ctx.Done():
		go func() {
			if res := <-done; res.err == nil {
				drop(res.v)
			}
		}()
		var zero T
		return zero, storeError(r.name, op, ctx.Err())
	}
}

// foreign turns Redis's WRONGTYPE error into what it means here: the key
// holds a value of another Redis type; and its OOM error (a write past
// its maxmemory, under the noeviction policy) into an *ErrFull, as the
// in-process store's bound refuses a write.
func (r *Redis) foreign(err error) error {
	var key *wrongTypeError
	if errors.As(err, &key) {
		return &ErrForeign{Key: key.key, Type: key.typ}
	}
	var re redis.Error
	if errors.As(err, &re) {
		if msg := re.Error(); strings.HasPrefix(msg, "OOM ") {
			// From a script (incr), Redis adds where: " script: SHA, on
			// @user_script:LINE."
			msg, _, _ = strings.Cut(msg, " script: ")
			return &ErrFull{Reply: msg}
		}
	}
	return err
}

// wrongTypeError is a command that met a key of another Redis type; the
// type is looked up before the call returns.
type wrongTypeError struct{ key, typ string }

func (e *wrongTypeError) Error() string { return "WRONGTYPE " + e.key }

// checkWrongType returns err, or a *wrongTypeError naming key's type if
// err is Redis's WRONGTYPE.
func checkWrongType(ctx context.Context, c *redis.Client, key string, err error) error {
	if err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		return err
	}
	typ, terr := c.Type(ctx, key).Result()
	if terr != nil {
		typ = "value of another type"
	}
	return &wrongTypeError{key: key, typ: typ}
}

// Get is GET, decoded.
func (r *Redis) Get(ctx context.Context, key string) (any, bool, error) {
	type got struct {
		v  any
		ok bool
	}
	g, err := call(r, ctx, "get", func(ctx context.Context, c *redis.Client) (got, error) {
		s, err := c.Get(ctx, key).Result()
		if err == redis.Nil {
			return got{}, nil
		}
		if err != nil {
			return got{}, checkWrongType(ctx, c, key, err)
		}
		return got{decode(s), true}, nil
	})
	return g.v, g.ok, err
}

// Set is SET, with PX for a TTL.
func (r *Redis) Set(ctx context.Context, key string, v any, ttl time.Duration) error {
	_, err := call(r, ctx, "set", func(ctx context.Context, c *redis.Client) (struct{}, error) {
		return struct{}{}, c.Set(ctx, key, encode(v), redisTTL(ttl)).Err()
	})
	return err
}

// Add is SET NX.
func (r *Redis) Add(ctx context.Context, key string, v any, ttl time.Duration) (bool, error) {
	return call(r, ctx, "add", func(ctx context.Context, c *redis.Client) (bool, error) {
		ok, err := c.SetNX(ctx, key, encode(v), redisTTL(ttl)).Result()
		if err == redis.Nil {
			return false, nil
		}
		return ok, err
	})
}

// incrScript is incr on the server, atomic as every script is: read the
// number (an absent key starts at init, ARGV[2]), refuse a string or
// boolean, add delta (ARGV[1]) in double precision as the in-process store
// does, and write the result back keeping the key's expiry. It returns the
// new number as text, formatted as encode formats numbers. It is made at
// its first use: NewScript hashes the script, work a run without Redis
// need not do at start.
var incrScript = sync.OnceValue(func() *redis.Script {
	return redis.NewScript(incrScriptSrc)
})

const incrScriptSrc = `
local v = redis.call('GET', KEYS[1])
local n
if not v then
  n = tonumber(ARGV[2])
else
  local tag = string.sub(v, 1, 2)
  if tag == 's:' then return redis.error_reply('NOTNUMBER string') end
  if tag == 'b:' then return redis.error_reply('NOTNUMBER boolean') end
  if string.find(v, '^%s') or string.find(v, '%s$') or string.find(v, '[xX]') then
    return redis.error_reply('NOTNUMBER string')
  end
  n = tonumber(v)
  if n == nil then return redis.error_reply('NOTNUMBER string') end
end
n = n + tonumber(ARGV[1])
local s
if n ~= n then
  s = 'nan'
elseif n == math.huge then
  s = 'inf'
elseif n == -math.huge then
  s = '-inf'
elseif n == math.floor(n) and math.abs(n) < 2^63 then
  s = string.format('%d', n)
else
  for digits = 15, 17 do
    s = string.format('%.' .. digits .. 'g', n)
    if tonumber(s) == n then break end
  end
end
if v then
  redis.call('SET', KEYS[1], s, 'KEEPTTL')
else
  redis.call('SET', KEYS[1], s)
end
return s
`

// Incr runs incrScript.
func (r *Redis) Incr(ctx context.Context, key string, delta, init float64) (float64, error) {
	return call(r, ctx, "incr", func(ctx context.Context, c *redis.Client) (float64, error) {
		s, err := incrScript().Run(ctx, c, []string{key}, formatNumber(delta), formatNumber(init)).Text()
		if err != nil {
			if kind, ok := strings.CutPrefix(err.Error(), "NOTNUMBER "); ok {
				return 0, &ErrNotNumber{Key: key, Kind: kind}
			}
			return 0, checkWrongType(ctx, c, key, err)
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("incr answered %q: %w", s, err)
		}
		return n, nil
	})
}

// Delete is DEL.
func (r *Redis) Delete(ctx context.Context, key string) (bool, error) {
	return call(r, ctx, "delete", func(ctx context.Context, c *redis.Client) (bool, error) {
		n, err := c.Del(ctx, key).Result()
		return n > 0, err
	})
}

// Keys walks the database with SCAN (KEYS would stall the server on a
// large one) and returns every key, sorted: the keys of other clients
// too.
func (r *Redis) Keys(ctx context.Context) ([]string, error) {
	return call(r, ctx, "keys", func(ctx context.Context, c *redis.Client) ([]string, error) {
		seen := map[string]bool{}
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, "", 1000).Result()
			if err != nil {
				return nil, err
			}
			for _, k := range keys {
				seen[k] = true // SCAN may return a key twice
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
		keys := make([]string, 0, len(seen))
		for k := range seen {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys, nil
	})
}

// Publish is PUBLISH: the count is of the subscribers Redis handed it to,
// in every process.
func (r *Redis) Publish(ctx context.Context, channel, text string) (int, error) {
	return call(r, ctx, "publish", func(ctx context.Context, c *redis.Client) (int, error) {
		n, err := c.Publish(ctx, channel, text).Result()
		return int(n), err
	})
}

// Subscribe subscribes a connection of its own to channels and returns
// once Redis has confirmed each: what is published after it returns
// arrives. A goroutine then moves what arrives into the subscription,
// and when the connection breaks, marks the gap (Message.Lost) and
// subscribes again, pausing between tries, until the subscription or
// the store is closed.
func (r *Redis) Subscribe(ctx context.Context, channels []string) (*Subscription, error) {
	s, err := r.subscribeBounded(ctx, channels)
	if err != nil {
		return nil, err
	}
	rs := &redisSub{r: r, channels: slices.Clone(channels), ps: s.ps}
	rs.ctx, rs.stop = context.WithCancel(r.ctx)
	rs.sub = newSubscription(channels, rs.end)
	for _, m := range s.early {
		rs.sub.deliver(m)
	}
	r.subs.Add(1)
	go rs.receive()
	return rs.sub, nil
}

// redisSubscribed is a connection subscribed to its channels, and the
// messages that came with the confirmations.
type redisSubscribed struct {
	ps    *redis.PubSub
	early []Message
}

// subscribeBounded is subscribe as a call of the store: bounded, and
// ended by ctx (a connection subscribed too late is closed).
func (r *Redis) subscribeBounded(ctx context.Context, channels []string) (redisSubscribed, error) {
	return bounded(r, ctx, "subscribe", func(ctx context.Context) (redisSubscribed, error) {
		ps, early, err := r.subscribe(ctx, channels)
		return redisSubscribed{ps, early}, err
	}, func(s redisSubscribed) { s.ps.Close() })
}

// subscribe makes a PubSub subscribed to channels and waits for Redis's
// confirmations; messages that arrive in between are returned to be
// delivered first.
func (r *Redis) subscribe(ctx context.Context, channels []string) (*redis.PubSub, []Message, error) {
	ps := r.pubsub.Subscribe(ctx)
	if err := ps.Subscribe(ctx, channels...); err != nil {
		ps.Close()
		return nil, nil, err
	}
	var early []Message
	// Redis confirms each channel named, twice named ones too.
	for confirmed := 0; confirmed < len(channels); {
		msg, err := ps.Receive(ctx)
		if err != nil {
			ps.Close()
			return nil, nil, err
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				confirmed++
			}
		case *redis.Message:
			early = append(early, Message{Channel: m.Channel, Text: m.Payload})
		}
	}
	return ps, early, nil
}

// redisSub is the Redis side of one subscription: its connection (a
// PubSub, replaced when it dies) and the goroutine that reads it.
type redisSub struct {
	r        *Redis
	sub      *Subscription
	channels []string
	ctx      context.Context // ends with the subscription or the store
	stop     context.CancelFunc

	mu sync.Mutex
	ps *redis.PubSub
}

// end is the subscription's Close: it stops the goroutine and closes the
// connection, which ends its read at once.
func (rs *redisSub) end() {
	rs.stop()
	rs.mu.Lock()
	rs.ps.Close()
	rs.mu.Unlock()
}

// receive reads the connection until the subscription or the store
// closes, subscribing again whenever it breaks.
func (rs *redisSub) receive() {
	defer rs.r.subs.Done()
	defer func() {
		rs.mu.Lock()
		rs.ps.Close()
		rs.mu.Unlock()
	}()
	pause := 100 * time.Millisecond
	for rs.ctx.Err() == nil {
		err := rs.pump()
		if rs.ctx.Err() != nil {
			return
		}
		rs.sub.deliver(Message{Lost: storeError(rs.r.name, "subscribe", err)})
		for {
			select {
			case <-rs.ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, 2*time.Second)
			s, err := rs.r.subscribeBounded(rs.ctx, rs.channels)
			if err != nil {
				continue
			}
			rs.mu.Lock()
			rs.ps.Close()
			rs.ps = s.ps
			rs.mu.Unlock()
			if rs.ctx.Err() != nil {
				return // closed meanwhile: end closed the old connection, the defer closes this one
			}
			for _, m := range s.early {
				rs.sub.deliver(m)
			}
			pause = 100 * time.Millisecond
			break
		}
	}
}

// pump moves messages from the connection into the subscription until
// the connection fails (its error) or stays silent through a PING.
func (rs *redisSub) pump() error {
	rs.mu.Lock()
	ps := rs.ps
	rs.mu.Unlock()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(rs.ctx, healthEvery)
		if err != nil {
			if rs.ctx.Err() != nil || !isTimeout(err) || pinged {
				return err
			}
			if err := ps.Ping(rs.ctx); err != nil {
				return err
			}
			pinged = true
			continue
		}
		pinged = false
		if m, ok := msg.(*redis.Message); ok {
			if !rs.sub.deliver(Message{Channel: m.Channel, Text: m.Payload}) {
				return nil // closed
			}
		}
	}
}

// isTimeout reports whether err is a read that timed out.
func isTimeout(err error) bool {
	se, ok := storeError("", "", err).(*StoreError)
	return ok && se.Timeout
}

// The encoding of values in Redis: a number is its decimal text, so that
// other clients read it, and INCR and INCRBYFLOAT work on it; a string is
// "s:" and its bytes; a boolean is "b:true" or "b:false". A value another
// client wrote without a prefix reads as a number if it is decimal text,
// else as a string.

// encode is v (string, float64 or bool) as stored in Redis.
func encode(v any) string {
	switch v := v.(type) {
	case string:
		return "s:" + v
	case float64:
		return formatNumber(v)
	case bool:
		if v {
			return "b:true"
		}
		return "b:false"
	}
	panic(fmt.Sprintf("shared: cannot store a %T", v))
}

// decode is the value of s, a Redis string.
func decode(s string) any {
	if v, ok := strings.CutPrefix(s, "s:"); ok {
		return v
	}
	switch s {
	case "b:true":
		return true
	case "b:false":
		return false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if !strings.ContainsAny(s, "xX_") { // decimal text only, as incr reads it
			return f
		}
	}
	return s
}

// formatNumber is f as text that reads back as f: an integer (below
// 2^63) as its exact digits, as incrScript writes it (and INCR works on
// it), others in the shortest form; inf, -inf, nan as Redis writes them.
func formatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == math.Trunc(f) && math.Abs(f) < 1<<63:
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// redisTTL is ttl as go-redis sends it: 0 for none, else a whole number
// of milliseconds, at least one (Redis counts in milliseconds; a TTL
// shorter than one must still expire, not mean none).
func redisTTL(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return 0
	}
	if ttl < time.Hour && ttl%time.Millisecond != 0 {
		ttl = ttl.Truncate(time.Millisecond) + time.Millisecond
	}
	return ttl.Truncate(time.Millisecond)
}
