package redisstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/storewait"
)

// Deduper is a [travelroam.Deduper] in Redis, shared by every callback
// receiver that uses the same Redis. Get it from [Store.Deduper]. A
// reservation never Done expires after the reservation time to live, a
// processed event after the seen time to live (see [WithDedupeTTL]);
// Redis expires the keys itself.
type Deduper struct {
	s *Store

	mu     sync.Mutex
	tokens map[string]string // key → token of this process's reservation
}

var _ travelroam.Deduper = (*Deduper)(nil)

// seenValue marks a processed event; a reservation's value is "r:" and
// its token.
const seenValue = "seen"

// reserveScript reserves KEYS[1] with value ARGV[1] for ARGV[2] ms if it
// is absent, and answers 1 (reserved), 2 (in flight) or 3 (seen).
var reserveScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	return 1
end
if redis.call('GET', KEYS[1]) == 'seen' then
	return 3
end
return 2
`)

// releaseReservation deletes KEYS[1] if it is still the reservation
// ARGV[1] (or, with ARGV[1] empty, any reservation).
var releaseReservation = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and v ~= 'seen' and (ARGV[1] == '' or v == ARGV[1]) then
	redis.call('DEL', KEYS[1])
end
return 0
`)

// Begin reserves key unless a delivery of it is in flight or it was
// processed; see [travelroam.Deduper]. It is one atomic script.
func (d *Deduper) Begin(ctx context.Context, key string) (travelroam.DedupeState, error) {
	value := "r:" + storewait.NewToken()
	st, err := reserveScript.Run(ctx, d.s.rdb, []string{d.s.prefix + "dedupe:" + key}, value, d.s.reservationTTL.Milliseconds()).Int()
	if err != nil {
		return 0, ctxErr(ctx, "dedupe callback", err)
	}
	switch st {
	case 1:
		d.mu.Lock()
		d.tokens[key] = value
		d.mu.Unlock()
		return travelroam.DedupeNew, nil
	case 2:
		return travelroam.DedupeInFlight, nil
	case 3:
		return travelroam.DedupeSeen, nil
	}
	return 0, fmt.Errorf("redisstore: dedupe callback: unexpected answer %d", st)
}

// Done commits the reservation of key (success: later Begins answer
// DedupeSeen for the seen time to live) or releases it. A release is
// fenced: it deletes only the reservation this process made, not one
// another delivery made after it expired.
func (d *Deduper) Done(ctx context.Context, key string, success bool) error {
	d.mu.Lock()
	value := d.tokens[key]
	delete(d.tokens, key)
	d.mu.Unlock()
	rkey := d.s.prefix + "dedupe:" + key
	var err error
	if success {
		err = d.s.rdb.Set(ctx, rkey, seenValue, d.s.seenTTL).Err()
	} else {
		err = releaseReservation.Run(ctx, d.s.rdb, []string{rkey}, value).Err()
	}
	if err != nil {
		return ctxErr(ctx, "dedupe callback done", err)
	}
	return nil
}
