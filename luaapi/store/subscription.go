package store

import (
	"slices"
	"sync"
)

// Message is one published message as a subscription hands it on: the
// channel it was published to and its text. A Message with Lost set is
// not a message but a mark in the stream: the subscription's connection
// to the store broke there (Lost says how), and what was published until
// it was subscribed again did not arrive.
type Message struct {
	Channel, Text string
	Lost          error
}

// Subscription receives what is published to its channels, in the order
// it arrives, and holds it until it is taken: a FIFO without bound, as an
// unbounded thread.queue, that the store fills from its own goroutines and
// the script's threads empty. Safe for concurrent use.
type Subscription struct {
	channels []string

	mu     sync.Mutex
	items  []Message
	head   int           // items[head:] are queued
	ready  chan struct{} // closed when something arrives or the subscription closes; nil if no one waits
	closed bool
	// end is the backend's part of Close: unsubscribe, stop the
	// connection. Called once.
	end func()
}

// closedChan is a channel that is always ready.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func newSubscription(channels []string, end func()) *Subscription {
	return &Subscription{channels: slices.Clone(channels), end: end}
}

// Channels are the channels subscribed to.
func (s *Subscription) Channels() []string { return slices.Clone(s.channels) }

// deliver queues m and wakes whoever waits. It reports false if the
// subscription is closed (m is dropped: no one will read it).
func (s *Subscription) deliver(m Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if m.Lost != nil && s.len() > 0 && s.items[len(s.items)-1].Lost != nil {
		return true // one mark for one gap, however many tries it took to end it
	}
	if s.head > 0 && s.head == len(s.items) {
		s.items, s.head = s.items[:0], 0
	}
	s.items = append(s.items, m)
	s.wake()
	return true
}

// wake closes ready. The caller holds s.mu.
func (s *Subscription) wake() {
	if s.ready != nil {
		close(s.ready)
		s.ready = nil
	}
}

func (s *Subscription) len() int { return len(s.items) - s.head }

// Len is how many messages (and marks) wait to be taken.
func (s *Subscription) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.len()
}

// Take removes and returns the oldest message, if there is one. A closed
// subscription still hands out what it holds.
func (s *Subscription) Take() (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.len() == 0 {
		return Message{}, false
	}
	m := s.items[s.head]
	s.items[s.head] = Message{}
	s.head++
	if s.head >= 64 && s.head*2 >= len(s.items) {
		// Slide the rest down so the slice does not grow forever.
		n := copy(s.items, s.items[s.head:])
		clear(s.items[n:])
		s.items, s.head = s.items[:n], 0
	}
	return m, true
}

// Ready returns a channel that is closed once there is something to take
// or the subscription is closed: at once if that is already so.
func (s *Subscription) Ready() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.len() > 0 || s.closed {
		return closedChan
	}
	if s.ready == nil {
		s.ready = make(chan struct{})
	}
	return s.ready
}

// Closed reports whether Close was called.
func (s *Subscription) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close ends the subscription: nothing more arrives, what it holds can
// still be taken, and whoever waits wakes. Closing twice is harmless.
func (s *Subscription) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.wake()
	end := s.end
	s.mu.Unlock()
	if end != nil {
		end()
	}
}
