package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/storewait"
)

// Gate is a [travelroam.PurchaseGate] in PostgreSQL, shared by every
// process that uses the same database. Get it from [Store.Gate].
type Gate struct{ s *Store }

var _ travelroam.PurchaseGate = (*Gate)(nil)

// claimSQL takes the key when the database clock is past the end of the
// last hold (its release, or its lease end if never released) plus the
// larger of the last holder's interval and ours. Concurrent claims of one
// row are serialised by its row lock; the loser re-checks the condition
// on the winner's row and fails (at READ COMMITTED: see
// Store.readCommitted).
const claimSQL = `
UPDATE travelroam_purchase_gate
SET token = $4, held = true, until_at = clock_timestamp() + $3::bigint * interval '1 microsecond', gap_us = $2
WHERE key = $1 AND clock_timestamp() >= until_at + greatest(gap_us, $2::bigint) * interval '1 microsecond'
RETURNING token`

// waitSQL says whether the key is held and how long (µs) until it is free.
// A row just inserted by another Acquire, not claimed yet, has until_at
// '-infinity' (free at once, but PostgreSQL cannot subtract it): 0 then.
const waitSQL = `
SELECT held, CASE WHEN isfinite(until_at)
	THEN floor(extract(epoch FROM until_at + greatest(gap_us, $2::bigint) * interval '1 microsecond' - clock_timestamp()) * 1e6)::bigint
	ELSE 0 END
FROM travelroam_purchase_gate WHERE key = $1`

// insertSQL creates the row of a key never seen, free at once.
const insertSQL = `
INSERT INTO travelroam_purchase_gate (key, token, held, until_at, gap_us)
VALUES ($1, '', false, '-infinity', 0) ON CONFLICT (key) DO NOTHING`

// releaseSQL ends the hold of the permit with this token, if it is still
// the last one: a permit whose lease ran out and whose key was taken since
// releases nothing.
const releaseSQL = `
UPDATE travelroam_purchase_gate SET held = false, until_at = clock_timestamp()
WHERE key = $1 AND token = $2 AND held`

// Acquire claims key for at most lease, once nobody holds it and interval
// has passed since the last release; see [travelroam.PurchaseGate]. All
// times are the database's clock. While the key is held, Acquire polls
// the row (every 10 ms at first, backing off to half the interval, at most
// 1 s); once it is released, it sleeps until the interval ends. Waiters
// are not served in order of arrival. An error (the context's, or the
// database's) means nothing is held: when a claim fails in a way that
// leaves its outcome unknown (its answer lost), Acquire releases it by its
// token before returning, for at most 5 s.
func (g *Gate) Acquire(ctx context.Context, key string, interval, lease time.Duration) (travelroam.Permit, error) {
	if lease <= 0 || interval < 0 {
		return nil, errors.New("pgstore: purchase gate: lease must be positive and interval not negative")
	}
	p := storewait.NewPoller(interval)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		token := storewait.NewToken()
		claimed, err := g.claim(ctx, key, interval, lease, token)
		if err != nil {
			// The claim may have been carried out although its answer
			// was lost: the context ended, or the connection dropped
			// after the COMMIT was sent (a network cut, a PgBouncer
			// restart, a failover). Give it back by its token rather
			// than leave the account blocked for a whole lease; a claim
			// that was not carried out releases nothing.
			_ = g.releaseLost(ctx, key, token)
			return nil, ctxErr(ctx, "acquire purchase gate", err)
		}
		if claimed {
			return &permit{g: g, key: key, token: token}, nil
		}
		var (
			held bool
			wait int64
		)
		err = g.s.queryRow(ctx, waitSQL, []any{key, micros(interval)}, &held, &wait)
		if errors.Is(err, pgx.ErrNoRows) {
			if _, err := g.s.exec(ctx, insertSQL, key); err != nil {
				return nil, ctxErr(ctx, "acquire purchase gate", err)
			}
			continue
		}
		if err != nil {
			return nil, ctxErr(ctx, "acquire purchase gate", err)
		}
		if err := storewait.Sleep(ctx, p.Delay(time.Duration(wait)*time.Microsecond, held)); err != nil {
			return nil, err
		}
	}
}

func (g *Gate) claim(ctx context.Context, key string, interval, lease time.Duration, token string) (bool, error) {
	var got string
	err := g.s.queryRow(ctx, claimSQL, []any{key, micros(interval), micros(lease), token}, &got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// lockRowSQL waits for, and takes, the lock of key's row: behind a
// transaction still inserting or changing it (a claim whose COMMIT is on
// its way), then on the row as that transaction left it. It changes
// nothing (a row it has to insert is free at once, as insertSQL's).
const lockRowSQL = `
INSERT INTO travelroam_purchase_gate AS g (key, token, held, until_at, gap_us)
VALUES ($1, '', false, '-infinity', 0)
ON CONFLICT (key) DO UPDATE SET token = g.token WHERE false`

// releaseLost gives back the claim that token may hold after the claim's
// transaction failed in a way that leaves its outcome unknown: its
// COMMIT may still be on its way to the server (the context ended, or
// the connection dropped, just after it was sent). releaseSQL alone
// would judge the row by its version before that transaction, find
// another token and wait for nothing; the claim, committed a moment
// later, would then hold the account for its whole lease. So it first
// waits for the row's lock (lockRowSQL), then releases by token in the
// same transaction, on the row as the claim's transaction left it. It is
// clean-up: it runs even when ctx has ended, for at most releaseTimeout.
func (g *Gate) releaseLost(ctx context.Context, key, token string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	return g.s.readCommitted(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockRowSQL, key); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, releaseSQL, key, token)
		return err
	})
}

// release ends the hold of token. It is clean-up: it runs even when ctx
// has ended (keeping its values), for at most releaseTimeout.
func (g *Gate) release(ctx context.Context, key, token string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_, err := g.s.exec(ctx, releaseSQL, key, token)
	return err
}

// releaseTimeout bounds a Release, and the clean-up of a claim that
// failed.
const releaseTimeout = 5 * time.Second

type permit struct {
	g          *Gate
	key, token string
	released   atomic.Bool
}

// Release ends the hold, on the database clock. It is fenced by the
// permit's token: after the lease ran out and another holder took the
// key, it does nothing. Later calls do nothing. Release is clean-up: it
// runs even when ctx has ended (a purchase cut short by its context must
// still free the account), for at most 5 s. An error (the database could
// not be reached) leaves the key held until the lease runs out.
func (p *permit) Release(ctx context.Context) error {
	if p.released.Swap(true) {
		return nil
	}
	if err := p.g.release(ctx, p.key, p.token); err != nil {
		return fmt.Errorf("pgstore: release purchase gate: %w", err)
	}
	return nil
}
