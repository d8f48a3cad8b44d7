package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// Store is the shared module's backend: a key-value store and a
// publish/subscribe broker common to every worker (VM) and thread of a
// run, and with the Redis backend to every sockrun process that names the
// same Redis. Values are plain Go values (string, float64, bool), never
// Lua values. Every method is safe for concurrent use.
//
// Two implement it: Memory, in the process (the default), and Redis. A
// method of a store that is Remote may wait on the network: the caller
// releases the interpreter lock around it and gives it a context that the
// run's interruption cancels; the store bounds every call's wait itself.
type Store interface {
	// Get returns key's value and whether it is there.
	Get(ctx context.Context, key string) (any, bool, error)
	// Set stores v (string, float64 or bool) under key, replacing any
	// value and its expiry; a positive ttl makes it expire after that long.
	Set(ctx context.Context, key string, v any, ttl time.Duration) error
	// Add stores v under key only if key is absent (or expired), and
	// reports whether it did.
	Add(ctx context.Context, key string, v any, ttl time.Duration) (bool, error)
	// Incr adds delta to key's number atomically and returns the result.
	// An absent (or expired) key starts at init, without expiry; an
	// existing key keeps its expiry. A key holding a string or boolean is
	// an *ErrNotNumber, and keeps its value.
	Incr(ctx context.Context, key string, delta, init float64) (float64, error)
	// Delete removes key and reports whether it was there.
	Delete(ctx context.Context, key string) (bool, error)
	// Keys returns the keys present, sorted.
	Keys(ctx context.Context) ([]string, error)
	// Publish sends text to every subscription to channel and returns how
	// many received it.
	Publish(ctx context.Context, channel, text string) (int, error)
	// Subscribe returns a subscription to channels, which receives what
	// is published to any of them from now on.
	Subscribe(ctx context.Context, channels []string) (*Subscription, error)
	// Remote reports whether calls may wait on the network.
	Remote() bool
	// Name names the store in errors: "in-process", or the Redis URL
	// without its password.
	Name() string
	// Close releases the store's connections; subscriptions end.
	Close() error
}

// ErrNotNumber is returned by Incr when the key holds something other than
// a number.
type ErrNotNumber struct {
	Key  string
	Kind string // "string", "boolean"
}

func (e *ErrNotNumber) Error() string {
	return fmt.Sprintf("shared key %q holds a %s, not a number", e.Key, e.Kind)
}

// ErrForeign is returned when a key of a Redis store holds a value of
// another Redis type (a list, a hash ...), which another client wrote and
// the shared module cannot read.
type ErrForeign struct {
	Key  string
	Type string // Redis's name of the type: "list", "hash" ...
}

func (e *ErrForeign) Error() string {
	return fmt.Sprintf("shared key %q holds a Redis %s, not a string, number or boolean", e.Key, e.Type)
}

// ErrFull is a write the store refused because it is full, as Redis
// refuses writes past its maxmemory under its noeviction policy: the
// in-process store would pass its bound (limits.max_shared, Max), or a
// Redis answered its OOM error (Reply). Nothing was written; reads and
// deletes still work.
type ErrFull struct {
	// Max is the in-process store's bound in bytes; 0 for Redis.
	Max int64
	// Limit names the bound as the error says it ("limits.max_shared is
	// 64 MiB"); "" for Redis.
	Limit string
	// Reply is Redis's error ("OOM command not allowed when used memory >
	// 'maxmemory'."); "" for the in-process store.
	Reply string
}

func (e *ErrFull) Error() string {
	if e.Reply != "" {
		return "shared store is full: Redis refused the write: " + e.Reply
	}
	return "shared store is full: " + e.Limit
}

// StoreError is a call the store could not carry out: the store is
// unreachable, did not answer in time, or refused the command. Errno is
// the system's error when there is one (ECONNREFUSED, ETIMEDOUT,
// ECONNRESET), 0 otherwise; Err is the client's error.
type StoreError struct {
	Store string // the store's Name
	Op    string // the store operation: "get", "incr", "subscribe" ...
	Errno syscall.Errno
	// Timeout says the store did not answer within its timeout.
	Timeout bool
	Err     error
}

func (e *StoreError) Error() string {
	return fmt.Sprintf("shared store %s: %s: %v", e.Store, e.Op, e.Err)
}

func (e *StoreError) Unwrap() error { return e.Err }

// Message is what went wrong, as a script's error value says it: the
// system's message for the errno ("Connection refused"), "timed out", or
// the store's own words.
func (e *StoreError) Message() string {
	switch {
	case e.Timeout:
		return "timed out"
	case e.Errno != 0:
		s := e.Errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return e.Err.Error()
}

// storeError wraps err, a failure of op on store name, as a *StoreError
// with the errno and timeout read from its chain. A nil err stays nil;
// the errors that are the script's own (ErrNotNumber, ErrForeign), a full
// store's (ErrFull) and the caller's cancellation pass through.
func storeError(name, op string, err error) error {
	var nn *ErrNotNumber
	var fo *ErrForeign
	var fu *ErrFull
	if err == nil || errors.As(err, &nn) || errors.As(err, &fo) || errors.As(err, &fu) || errors.Is(err, context.Canceled) {
		return err
	}
	se := &StoreError{Store: name, Op: op, Err: err}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		se.Timeout, se.Errno = true, syscall.ETIMEDOUT
	case errors.As(err, &se.Errno):
	case errors.Is(err, errClosed):
	case isEOF(err):
		se.Errno = syscall.ECONNRESET
	}
	return se
}

// errClosed is a call on a store that was closed.
var errClosed = errors.New("store closed")

// isEOF reports whether err says the connection ended under the call.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
