package travelroam

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DedupeState is the answer of [Deduper.Begin].
type DedupeState int

const (
	// DedupeNew: the key was free and is now reserved for the caller,
	// which must call [Deduper.Done] after processing the event.
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
// returns [DedupeNew]. Done(key, true) commits the reservation (later
// Begins return [DedupeSeen] for as long as the key is kept); Done(key,
// false) releases it (the next delivery is processed). A Begin error
// makes the handler answer 503. A durable implementation (SQL with a
// unique key, Redis SET NX) should expire reservations that are never
// Done, e.g. after a few minutes, in case the process dies. Both methods
// must be safe for concurrent use.
type Deduper interface {
	Begin(ctx context.Context, key string) (DedupeState, error)
	Done(ctx context.Context, key string, success bool) error
}

// Defaults of [NewMemoryDeduper].
const (
	// DefaultDedupeKeys is how many processed events are remembered.
	DefaultDedupeKeys = 10_000
	// DefaultDedupeTTL is how long a processed event is remembered: the
	// longest redelivery window we know of (3 days).
	DefaultDedupeTTL = 72 * time.Hour
)

// errDedupeFull is returned by Begin when too many events are in flight.
var errDedupeFull = errors.New("travelroam: deduper: too many events in flight")

// MemoryDeduper is an in-memory [Deduper], bounded in size and in time:
// it keeps the keys of at most maxKeys processed events, each for ttl,
// forgetting the oldest first. It is the default of [NewCallbackHandler].
// It is lost on restart and not shared between processes: use a durable
// Deduper when that matters. It is safe for concurrent use.
type MemoryDeduper struct {
	maxKeys int
	ttl     time.Duration

	mu       sync.Mutex
	inFlight map[string]struct{}
	seen     map[string]time.Time // key → expiry
	order    []seenKey            // seen keys, oldest first
}

type seenKey struct {
	key     string
	expires time.Time
}

// NewMemoryDeduper returns a MemoryDeduper keeping at most maxKeys keys
// (at most maxKeys events may also be in flight at once), each for ttl.
// Zero or negative values take the defaults, 10,000 keys and 72 hours.
func NewMemoryDeduper(maxKeys int, ttl time.Duration) *MemoryDeduper {
	if maxKeys <= 0 {
		maxKeys = DefaultDedupeKeys
	}
	if ttl <= 0 {
		ttl = DefaultDedupeTTL
	}
	return &MemoryDeduper{
		maxKeys:  maxKeys,
		ttl:      ttl,
		inFlight: make(map[string]struct{}),
		seen:     make(map[string]time.Time),
	}
}

// Begin reserves key unless it is in flight or was seen; see [Deduper].
func (d *MemoryDeduper) Begin(_ context.Context, key string) (DedupeState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(time.Now())
	if _, ok := d.inFlight[key]; ok {
		return DedupeInFlight, nil
	}
	if _, ok := d.seen[key]; ok {
		return DedupeSeen, nil
	}
	if len(d.inFlight) >= d.maxKeys {
		return 0, errDedupeFull
	}
	d.inFlight[key] = struct{}{}
	return DedupeNew, nil
}

// Done commits (success) or releases the reservation of key.
func (d *MemoryDeduper) Done(_ context.Context, key string, success bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.inFlight, key)
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
func (d *MemoryDeduper) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(time.Now())
	return len(d.seen)
}

// expire drops the keys whose time is up; they are at the front, as all
// keys live for the same ttl.
func (d *MemoryDeduper) expire(now time.Time) {
	for len(d.order) > 0 && !now.Before(d.order[0].expires) {
		d.dropOldest()
	}
}

func (d *MemoryDeduper) dropOldest() {
	old := d.order[0]
	if exp, ok := d.seen[old.key]; ok && exp.Equal(old.expires) {
		delete(d.seen, old.key)
	}
	d.order[0] = seenKey{}
	d.order = d.order[1:]
}

var _ Deduper = (*MemoryDeduper)(nil)
