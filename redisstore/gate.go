package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/storewait"
)

// Gate is a [travelroam.PurchaseGate] in Redis, shared by every process
// that uses the same Redis; best effort across a failover (see the
// package documentation). Get it from [Store.Gate].
type Gate struct{ s *Store }

var _ travelroam.PurchaseGate = (*Gate)(nil)

// acquireScript takes the key (KEYS[1]) when the server's clock is past
// the end of the last hold (its release, or its lease end if never
// released) plus the larger of the last holder's interval and ours
// (ARGV[1], µs), for a lease of ARGV[2] µs, under token ARGV[3]. It
// answers {1} when taken, else {0, µs until free, 1 if held}. It is safe
// to run twice with one token: go-redis runs a command again by itself
// when the connection drops before the answer (Options.MaxRetries), and
// the second run finds the key held under its own token and answers {1}
// again instead of waiting for its own lease to run out.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'held', 'until', 'gap', 'token')
if h[1] == '1' and h[4] == ARGV[3] then
	return {1}
end
if h[2] then
	local free = tonumber(h[2]) + math.max(tonumber(h[3]), interval)
	if now < free then
		return {0, free - now, tonumber(h[1])}
	end
end
redis.call('HSET', KEYS[1], 'token', ARGV[3], 'held', 1,
	'until', string.format('%d', now + tonumber(ARGV[2])), 'gap', ARGV[1])
return {1}
`)

// releaseScript ends the hold of token ARGV[1] if it is still the last
// one: a permit whose lease ran out and whose key was taken since
// releases nothing.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'held') ~= '1' then
	return 0
end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'held', 0, 'until', string.format('%d', tonumber(t[1]) * 1000000 + tonumber(t[2])))
return 1
`)

// Acquire claims key for at most lease, once nobody holds it and interval
// has passed since the last release; see [travelroam.PurchaseGate]. All
// times are the Redis server's clock. While the key is held, Acquire polls
// (every 10 ms at first, backing off to half the interval, at most 1 s);
// once it is released, it sleeps until the interval ends. Waiters are not
// served in order of arrival. An error (the context's, or Redis's) means
// nothing is held: a claim whose answer was lost is released by its token
// before Acquire returns, for at most 5 s.
func (g *Gate) Acquire(ctx context.Context, key string, interval, lease time.Duration) (travelroam.Permit, error) {
	if lease <= 0 || interval < 0 {
		return nil, errors.New("redisstore: purchase gate: lease must be positive and interval not negative")
	}
	rkey := g.s.prefix + "gate:" + key
	p := storewait.NewPoller(interval)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		token := storewait.NewToken()
		res, err := acquireScript.Run(ctx, g.s.rdb, []string{rkey}, interval.Microseconds(), lease.Microseconds(), token).Int64Slice()
		if err != nil {
			// The script may have run although its answer was lost
			// (the context ended, or the connection dropped after the
			// command was sent and go-redis's own retries, if any,
			// failed too): give the key back by its token rather than
			// leave the account blocked for a whole lease; a claim
			// that was not made releases nothing.
			_ = g.release(ctx, rkey, token)
			return nil, ctxErr(ctx, "acquire purchase gate", err)
		}
		if len(res) == 1 && res[0] == 1 {
			return &permit{g: g, rkey: rkey, token: token}, nil
		}
		if len(res) != 3 {
			return nil, fmt.Errorf("redisstore: acquire purchase gate: unexpected answer %v", res)
		}
		if err := storewait.Sleep(ctx, p.Delay(time.Duration(res[1])*time.Microsecond, res[2] == 1)); err != nil {
			return nil, err
		}
	}
}

// release ends the hold of token. It is clean-up: it runs even when ctx
// has ended (keeping its values), for at most releaseTimeout.
func (g *Gate) release(ctx context.Context, rkey, token string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	return releaseScript.Run(ctx, g.s.rdb, []string{rkey}, token).Err()
}

// releaseTimeout bounds a Release, and the clean-up of a claim that
// failed.
const releaseTimeout = 5 * time.Second

type permit struct {
	g           *Gate
	rkey, token string
	released    atomic.Bool
}

// Release ends the hold, on the server's clock. It is fenced by the
// permit's token: after the lease ran out and another holder took the
// key, it does nothing. Later calls do nothing. Release is clean-up: it
// runs even when ctx has ended (a purchase cut short by its context must
// still free the account), for at most 5 s. An error (Redis could not be
// reached) leaves the key held until the lease runs out.
func (p *permit) Release(ctx context.Context) error {
	if p.released.Swap(true) {
		return nil
	}
	if err := p.g.release(ctx, p.rkey, p.token); err != nil {
		return fmt.Errorf("redisstore: release purchase gate: %w", err)
	}
	return nil
}
