// Package storewait holds what the store modules (pgstore, redisstore,
// sqlitestore) share to wait for a purchase gate: the polling schedule of
// a waiting Acquire, a sleep that honours its context, and the random
// tokens that fence permits and reservations.
package storewait

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"math/rand/v2"
	"time"
)

// Poller spaces the claims of a waiting Acquire. While the key is held it
// polls with a backoff from 10 ms up to half the interval (at most 1 s,
// at least 20 ms): a release noticed that late still leaves the waiter
// the rest of the interval to wait, so polling no faster costs nothing.
// Once the key is released it sleeps exactly until the interval ends.
type Poller struct {
	next, max time.Duration
}

// NewPoller returns the poller of a wait for interval.
func NewPoller(interval time.Duration) *Poller {
	return &Poller{next: 10 * time.Millisecond, max: min(max(interval/2, 20*time.Millisecond), time.Second)}
}

// Delay returns how long to sleep when the key is free in wait (as the
// store computed it) and held tells whether someone holds it.
func (p *Poller) Delay(wait time.Duration, held bool) time.Duration {
	if !held {
		return max(wait, time.Millisecond)
	}
	d := p.next
	p.next = min(2*p.next, p.max)
	d += rand.N(d/5 + 1) // a little jitter, so that waiters do not poll in step
	return max(min(d, wait), time.Millisecond)
}

// Sleep waits for d or until ctx ends, and returns ctx's error then.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// NewToken returns a random token that fences one permit or reservation.
func NewToken() string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // never fails (crypto/rand.Read panics instead)
	return hex.EncodeToString(b[:])
}
