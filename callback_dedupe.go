package travelroam

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"
)

// DedupeState is the answer of [Deduper.Begin].
type DedupeState int

const (
	// DedupeNew: the key was free and is now reserved for the caller,
	// which must call [Deduper.Done] with the reservation's token after
	// processing the event.
	DedupeNew DedupeState = iota + 1
	// DedupeInFlight: another delivery holds the key and is still being
	// processed. The handler answers 503 with Retry-After, so the
	// provider delivers again and nothing is acknowledged that might
	// still fail.
	DedupeInFlight
	// DedupeSeen: an earlier delivery was processed successfully. The
	// handler answers 200 without calling the callback function.
	DedupeSeen
)

// Deduper remembers which callback events were processed, so that
// duplicate deliveries reach the callback function of
// [NewCallbackHandler] once. Keys come from [CallbackEvent.DedupeKey].
//
// Begin must be atomic: of concurrent calls with one key, at most one
// returns [DedupeNew]. With DedupeNew it returns a token that names this
// delivery's reservation: non-empty, never handed out twice. Done(key,
// token, true) commits the reservation (later Begins return [DedupeSeen]
// for as long as the key is kept); Done(key, token, false) releases it
// (the next delivery is processed). A Begin error makes the handler
// answer 503. A durable implementation (SQL with a unique key, Redis SET
// NX) should expire reservations that are never Done, e.g. after a few
// minutes, in case the process dies.
//
// Done is fenced by the token: when the key is no longer reserved under
// it (the reservation expired and another delivery reserved the key, or
// it was Done already), Done neither releases nor commits that other
// reservation, so a slow delivery that fails late cannot let a third
// delivery in while a second one is being processed. A late Done(…, true)
// still commits a key that nobody holds (the event was processed). Both
// methods must be safe for concurrent use.
type Deduper interface {
	Begin(ctx context.Context, key string) (state DedupeState, token string, err error)
	Done(ctx context.Context, key, token string, success bool) error
}

// Defaults of [NewMemoryDeduper].
const (
	// defaultDedupeKeys is how many processed events are remembered.
	defaultDedupeKeys = 10_000
	// defaultDedupeTTL is how long a processed event is remembered: the
	// longest redelivery window we know of (3 days).
	defaultDedupeTTL = 72 * time.Hour
)

// errDedupeFull is returned by Begin when too many events are in flight.
var errDedupeFull = errors.New("travelroam: deduper: too many events in flight")

// memoryDeduper is the in-memory [Deduper] of [NewMemoryDeduper], bounded
// in size and in time: it keeps the keys of at most maxKeys processed
// events, each for ttl, forgetting the oldest first. It is safe for
// concurrent use.
type memoryDeduper struct {
	maxKeys int
	ttl     time.Duration

	mu       sync.Mutex
	tokens   uint64               // reservations handed out
	inFlight map[string]string    // key → token of its reservation
	seen     map[string]time.Time // key → expiry
	order    []seenKey            // seen keys, oldest first
}

type seenKey struct {
	key     string
	expires time.Time
}

// NewMemoryDeduper returns an in-memory Deduper keeping the keys of at
// most maxKeys processed events (at most maxKeys events may also be in
// flight at once), each for ttl, forgetting the oldest first. Zero or
// negative values take the defaults, 10,000 keys and 72 hours. It is the
// default of [NewCallbackHandler]. It is lost on restart and not shared
// between processes: use a durable Deduper when that matters. It is safe
// for concurrent use.
func NewMemoryDeduper(maxKeys int, ttl time.Duration) Deduper {
	return newMemoryDeduper(maxKeys, ttl)
}

// newMemoryDeduper is NewMemoryDeduper, returning the memoryDeduper.
func newMemoryDeduper(maxKeys int, ttl time.Duration) *memoryDeduper {
	if maxKeys <= 0 {
		maxKeys = defaultDedupeKeys
	}
	if ttl <= 0 {
		ttl = defaultDedupeTTL
	}
	return &memoryDeduper{
		maxKeys:  maxKeys,
		ttl:      ttl,
		inFlight: make(map[string]string),
		seen:     make(map[string]time.Time),
	}
}

// Begin reserves key unless it is in flight or was seen; see [Deduper].
// A reservation lasts until its Done: the deduper lives and dies with the
// deliveries it reserves for.
func (d *memoryDeduper) Begin(_ context.Context, key string) (DedupeState, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(time.Now())
	if _, ok := d.inFlight[key]; ok {
		return DedupeInFlight, "", nil
	}
	if _, ok := d.seen[key]; ok {
		return DedupeSeen, "", nil
	}
	if len(d.inFlight) >= d.maxKeys {
		return 0, "", errDedupeFull
	}
	d.tokens++
	token := "m" + strconv.FormatUint(d.tokens, 10)
	d.inFlight[key] = token
	return DedupeNew, token, nil
}

// Done commits (success) or releases the reservation of key named by
// token; see [Deduper] for what it does when token no longer holds it.
func (d *memoryDeduper) Done(_ context.Context, key, token string, success bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if held, ok := d.inFlight[key]; ok {
		if held != token {
			return nil // another delivery's reservation
		}
		delete(d.inFlight, key)
	}
	if !success {
		return nil
	}
	if _, ok := d.seen[key]; ok {
		return nil
	}
	for len(d.seen) >= d.maxKeys && len(d.order) > 0 {
		d.dropOldest()
	}
	exp := time.Now().Add(d.ttl)
	d.seen[key] = exp
	d.order = append(d.order, seenKey{key, exp})
	return nil
}

// Len returns the number of processed events remembered.
func (d *memoryDeduper) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(time.Now())
	return len(d.seen)
}

// expire drops the keys whose time is up; they are at the front, as all
// keys live for the same ttl.
func (d *memoryDeduper) expire(now time.Time) {
	for len(d.order) > 0 && !now.Before(d.order[0].expires) {
		d.dropOldest()
	}
}

func (d *memoryDeduper) dropOldest() {
	old := d.order[0]
	if exp, ok := d.seen[old.key]; ok && exp.Equal(old.expires) {
		delete(d.seen, old.key)
	}
	d.order[0] = seenKey{}
	d.order = d.order[1:]
}

var _ Deduper = (*memoryDeduper)(nil)
