package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/storewait"
)

// Gate is a [travelroam.PurchaseGate] in SQLite, shared by every process
// that opens the same file. Get it from [Store.Gate].
type Gate struct{ s *Store }

var _ travelroam.PurchaseGate = (*Gate)(nil)

// Acquire claims key for at most lease, once nobody holds it and interval
// has passed since the last release (the larger of the last holder's
// interval and this one); see [travelroam.PurchaseGate]. Each try is one
// BEGIN IMMEDIATE transaction that reads the key's row and takes it if the
// clock is past the end of the last hold (its release, or its lease end if
// never released) plus the interval. While the key is held, Acquire polls
// (every 10 ms at first, backing off to half the interval, at most 1 s);
// once it is released, it sleeps until the interval ends. Waiters are not
// served in order of arrival. An error (the context's, or the database's)
// means nothing is held: a claim whose transaction failed is released by
// its token before Acquire returns.
func (g *Gate) Acquire(ctx context.Context, key string, interval, lease time.Duration) (travelroam.Permit, error) {
	if lease <= 0 || interval < 0 {
		return nil, errors.New("sqlitestore: purchase gate: lease must be positive and interval not negative")
	}
	p := storewait.NewPoller(interval)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		token := storewait.NewToken()
		var (
			held bool
			wait time.Duration
		)
		err := g.s.tx(ctx, func(tx *sql.Tx) error {
			var until, gap int64
			err := tx.QueryRowContext(ctx, `SELECT held, until_us, gap_us FROM travelroam_purchase_gate WHERE key = ?`, key).Scan(&held, &until, &gap)
			now := nowMicros()
			if err == nil {
				if free := until + max(gap, interval.Microseconds()); now < free {
					wait = time.Duration(free-now) * time.Microsecond
					return nil
				}
			} else if !isNoRows(err) {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO travelroam_purchase_gate (key, token, held, until_us, gap_us) VALUES (?, ?, 1, ?, ?)
				ON CONFLICT (key) DO UPDATE SET token = excluded.token, held = 1, until_us = excluded.until_us, gap_us = excluded.gap_us`,
				key, token, now+lease.Microseconds(), interval.Microseconds())
			return err
		})
		if err != nil {
			// The claim may have been committed although the call
			// failed (the context ended, or the COMMIT returned an
			// error after its write reached the file): give it back by
			// its token rather than leave the account blocked for a
			// whole lease; a claim that was not committed releases
			// nothing.
			_ = g.release(ctx, key, token)
			return nil, ctxErr(ctx, "acquire purchase gate", err)
		}
		if wait <= 0 {
			return &permit{g: g, key: key, token: token}, nil
		}
		if err := storewait.Sleep(ctx, p.Delay(wait, held)); err != nil {
			return nil, err
		}
	}
}

// release ends the hold of token if it is still the last one: a permit
// whose lease ran out and whose key was taken since releases nothing. It
// is clean-up: it runs even when ctx has ended (keeping its values), for
// at most releaseTimeout. The release time is read inside the
// transaction, once the write lock is held.
func (g *Gate) release(ctx context.Context, key, token string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	return g.s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE travelroam_purchase_gate SET held = 0, until_us = ?
			WHERE key = ? AND token = ? AND held = 1`, nowMicros(), key, token)
		return err
	})
}

// releaseTimeout bounds a Release, and the clean-up of a claim that
// failed.
const releaseTimeout = 15 * time.Second

type permit struct {
	g          *Gate
	key, token string
	released   atomic.Bool
}

// Release ends the hold. It is fenced by the permit's token: after the
// lease ran out and another holder took the key, it does nothing. Later
// calls do nothing. Release is clean-up: it runs even when ctx has ended
// (a purchase cut short by its context must still free the account), for
// at most 15 s. An error leaves the key held until the lease runs out.
func (p *permit) Release(ctx context.Context) error {
	if p.released.Swap(true) {
		return nil
	}
	if err := p.g.release(ctx, p.key, p.token); err != nil {
		return fmt.Errorf("sqlitestore: release purchase gate: %w", err)
	}
	return nil
}
