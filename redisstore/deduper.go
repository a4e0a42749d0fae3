package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/storewait"
)

// Deduper is a [travelroam.Deduper] in Redis, shared by every callback
// receiver that uses the same Redis. Get it from [Store.Deduper]. A
// reservation never Done expires after the reservation time to live, a
// processed event after the seen time to live (see [WithDedupeTTL]);
// Redis expires the keys itself.
type Deduper struct{ s *Store }

var _ travelroam.Deduper = (*Deduper)(nil)

// A processed event's key has the value "seen"; a reservation's value is
// "r:" and its token (see reservationValue).

// reserveScript reserves KEYS[1] with value ARGV[1] for ARGV[2] ms if it
// is absent, and answers 1 (reserved), 2 (in flight) or 3 (seen). It is
// safe to run twice (go-redis runs a command again when the connection
// drops before the answer): finding its own value, it answers 1 again.
var reserveScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	return 1
end
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
	return 1
end
if v == 'seen' then
	return 3
end
return 2
`)

// commitReservation marks KEYS[1] seen for ARGV[2] ms if it is still the
// reservation ARGV[1], or if it is gone (expired, nobody reserved it
// since): never another delivery's reservation.
var commitReservation = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
	redis.call('SET', KEYS[1], 'seen', 'PX', ARGV[2])
end
return 0
`)

// releaseReservation deletes KEYS[1] if it is still the reservation
// ARGV[1].
var releaseReservation = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	redis.call('DEL', KEYS[1])
end
return 0
`)

// Begin reserves key unless a delivery of it is in flight or it was
// processed; see [travelroam.Deduper]. It is one atomic script. The token
// of a new reservation is random and stored as the key's value.
// An error means nothing is reserved: a reservation whose answer was lost
// is given back by its token before Begin returns.
func (d *Deduper) Begin(ctx context.Context, key string) (travelroam.DedupeState, string, error) {
	token := storewait.NewToken()
	rkey := d.s.prefix + "dedupe:" + key
	st, err := reserveScript.Run(ctx, d.s.rdb, []string{rkey}, reservationValue(token), d.s.reservationTTL.Milliseconds()).Int()
	if err != nil {
		// The reservation may have been made although its answer was
		// lost: give it back by its token, or the event would stay "in
		// flight" for the reservation time to live.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		_ = releaseReservation.Run(rctx, d.s.rdb, []string{rkey}, reservationValue(token)).Err()
		cancel()
		return 0, "", ctxErr(ctx, "dedupe callback", err)
	}
	switch st {
	case 1:
		return travelroam.DedupeNew, token, nil
	case 2:
		return travelroam.DedupeInFlight, "", nil
	case 3:
		return travelroam.DedupeSeen, "", nil
	}
	return 0, "", fmt.Errorf("redisstore: dedupe callback: unexpected answer %d", st)
}

// reservationValue is the value of a key reserved under token.
func reservationValue(token string) string { return "r:" + token }

// Done commits the reservation that token names (success: later Begins
// answer DedupeSeen for the seen time to live) or releases it. It is
// fenced by the token: the reservation of another delivery (made after
// this one expired) is neither released nor committed; a late success
// commits a key that nobody holds. See [travelroam.Deduper].
func (d *Deduper) Done(ctx context.Context, key, token string, success bool) error {
	if token == "" {
		return errors.New("redisstore: dedupe callback done: empty reservation token")
	}
	rkey := d.s.prefix + "dedupe:" + key
	var err error
	if success {
		err = commitReservation.Run(ctx, d.s.rdb, []string{rkey}, reservationValue(token), d.s.seenTTL.Milliseconds()).Err()
	} else {
		err = releaseReservation.Run(ctx, d.s.rdb, []string{rkey}, reservationValue(token)).Err()
	}
	if err != nil {
		return ctxErr(ctx, "dedupe callback done", err)
	}
	return nil
}
