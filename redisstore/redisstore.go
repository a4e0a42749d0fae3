// Package redisstore keeps the purchase gate and the callback deduper of
// package travelroam in Redis, so that every replica of a service shares
// them: one account's purchases are spaced across all processes, and a
// callback event is processed once.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	store := redisstore.New(rdb)
//	gate, deduper := store.Gate(), store.Deduper()
//
// # No journal, and a best-effort gate
//
// This package offers no purchase journal. Redis acknowledges a write
// before it is on disk or on a replica: after a crash, or a failover to a
// replica that had not received the last writes, an acknowledged write can
// be gone. A journal that forgets an attempt lets the same purchase be
// bought twice; use pgstore or sqlitestore for the journal.
//
// For the same reason the gate is best effort: a failover can lose a hold
// or a release time, and two processes may then start purchases closer
// than the interval, once. The gate paces purchases; it does not prevent
// a double purchase (the journal and the SDK's never-re-send rule do), so
// that loss costs at most a throttled request. Eviction loses keys too:
// keep maxmemory-policy at noeviction (Redis's default) for the Redis the
// store uses; an allkeys-* policy can evict the gate's holds, a
// volatile-* one the deduper's keys.
//
// # How it works
//
// Each operation is one Lua script on one key, run atomically by Redis,
// with the server's clock (TIME) for the gate: an account's hold is a hash
// (its holder's random token, whether it is held, the end of the hold and
// the holder's interval), kept without expiry (one small hash per
// account). A waiting Acquire polls (see [Gate.Acquire]). Deduper keys
// are strings set with NX and PX, so Redis expires them. Scripts declare
// their one key, so the store works with Redis Cluster too. All keys start
// with "travelroam:" (see [WithPrefix]).
package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of the deduper's times to live.
const (
	// DefaultReservationTTL is how long a callback event stays reserved
	// by a delivery that never calls Done (its process died).
	DefaultReservationTTL = 5 * time.Minute
	// DefaultSeenTTL is how long a processed callback event is
	// remembered, as long as the in-memory deduper of package travelroam.
	DefaultSeenTTL = 72 * time.Hour
)

// Store keeps a [Gate] and a [Deduper] in Redis. It does not own the
// client: close it when you are done. It is safe for concurrent use.
type Store struct {
	rdb            redis.UniversalClient
	prefix         string
	reservationTTL time.Duration
	seenTTL        time.Duration

	gate    Gate
	deduper Deduper
}

// Option configures a [Store].
type Option func(*Store)

// WithPrefix sets the prefix of every key the store uses (default
// "travelroam:"), e.g. to share one Redis between environments.
func WithPrefix(prefix string) Option { return func(s *Store) { s.prefix = prefix } }

// WithDedupeTTL sets how long the deduper keeps a reservation that is
// never Done (default [DefaultReservationTTL]) and a processed event
// (default [DefaultSeenTTL]). Zero or negative values keep the default.
func WithDedupeTTL(reservation, seen time.Duration) Option {
	return func(s *Store) {
		if reservation > 0 {
			s.reservationTTL = reservation
		}
		if seen > 0 {
			s.seenTTL = seen
		}
	}
}

// New returns a Store using rdb (a *redis.Client, *redis.ClusterClient or
// *redis.Ring... any [redis.UniversalClient]). It sends nothing until
// used.
func New(rdb redis.UniversalClient, opts ...Option) *Store {
	s := &Store{rdb: rdb, prefix: "travelroam:", reservationTTL: DefaultReservationTTL, seenTTL: DefaultSeenTTL}
	for _, o := range opts {
		o(s)
	}
	s.gate.s, s.deduper.s = s, s
	return s
}

// Gate returns the store's purchase gate.
func (s *Store) Gate() *Gate { return &s.gate }

// Deduper returns the store's callback deduper.
func (s *Store) Deduper() *Deduper { return &s.deduper }

// ctxErr returns ctx's error if it ended, else err wrapped with what.
func ctxErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("redisstore: %s: %w", what, err)
}
