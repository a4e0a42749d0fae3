package pgstore

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/storewait"
)

// Deduper is a [travelroam.Deduper] in PostgreSQL, shared by every
// callback receiver that uses the same database. Get it from
// [Store.Deduper]. A reservation never Done expires after the
// reservation time to live, a processed event after the seen time to
// live (see [WithDedupeTTL]); every 256th Begin of a process also deletes
// up to 1,000 expired rows.
type Deduper struct {
	s      *Store
	begins atomic.Uint64
}

var _ travelroam.Deduper = (*Deduper)(nil)

// reserveSQL reserves the key if it is absent or expired; it returns no
// row when the key is reserved or seen.
const reserveSQL = `
INSERT INTO travelroam_callback_dedupe AS d (key, seen, token, expires_at)
VALUES ($1, false, $2, clock_timestamp() + $3::bigint * interval '1 microsecond')
ON CONFLICT (key) DO UPDATE SET seen = false, token = excluded.token, expires_at = excluded.expires_at
WHERE d.expires_at <= clock_timestamp()
RETURNING true`

// dedupeTries bounds the loop of Begin when the row expires between its
// two statements.
const dedupeTries = 10

// Begin reserves key unless a delivery of it is in flight or it was
// processed; see [travelroam.Deduper]. It is atomic across processes. The
// token of a new reservation is random and stored in its row.
// An error means nothing is reserved: a reservation whose answer was lost
// is given back by its token before Begin returns.
func (d *Deduper) Begin(ctx context.Context, key string) (travelroam.DedupeState, string, error) {
	if d.begins.Add(1)%256 == 0 {
		// House-keeping; its failure does not matter to this event.
		_, _ = d.s.exec(ctx, `DELETE FROM travelroam_callback_dedupe WHERE key IN
			(SELECT key FROM travelroam_callback_dedupe WHERE expires_at < clock_timestamp() LIMIT 1000)`)
	}
	for range dedupeTries {
		token := storewait.NewToken()
		var ok bool
		err := d.s.queryRow(ctx, reserveSQL, []any{key, token, micros(d.s.reservationTTL)}, &ok)
		if err == nil {
			return travelroam.DedupeNew, token, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			// The reservation may have been made although its answer
			// was lost: give it back by its token, or the event would
			// stay "in flight" for the reservation time to live.
			d.releaseLost(ctx, key, token)
			return 0, "", ctxErr(ctx, "dedupe callback", err)
		}
		var seen bool
		err = d.s.queryRow(ctx, `SELECT seen FROM travelroam_callback_dedupe
			WHERE key = $1 AND expires_at > clock_timestamp()`, []any{key}, &seen)
		switch {
		case err == nil && seen:
			return travelroam.DedupeSeen, "", nil
		case err == nil:
			return travelroam.DedupeInFlight, "", nil
		case !errors.Is(err, pgx.ErrNoRows):
			return 0, "", ctxErr(ctx, "dedupe callback", err)
		}
	}
	return 0, "", errors.New("pgstore: dedupe callback: the row kept expiring")
}

// commitSQL marks the key seen if token still reserves it, or if nobody
// holds it (its reservation expired and no delivery reserved it since):
// a late success commits a free key, never another delivery's
// reservation nor (seen rows have an empty token) refreshes a seen mark.
const commitSQL = `
INSERT INTO travelroam_callback_dedupe AS d (key, seen, token, expires_at)
VALUES ($1, true, '', clock_timestamp() + $2::bigint * interval '1 microsecond')
ON CONFLICT (key) DO UPDATE SET seen = true, token = '', expires_at = excluded.expires_at
WHERE (NOT d.seen AND d.token = $3) OR d.expires_at <= clock_timestamp()`

// Done commits the reservation that token names (success: later Begins
// answer DedupeSeen for the seen time to live) or releases it. It is
// fenced by the token: the reservation of another delivery (made after
// this one expired) is neither released nor committed; see
// [travelroam.Deduper].
func (d *Deduper) Done(ctx context.Context, key, token string, success bool) error {
	if token == "" {
		return errors.New("pgstore: dedupe callback done: empty reservation token")
	}
	var err error
	if success {
		_, err = d.s.exec(ctx, commitSQL, key, micros(d.s.seenTTL), token)
	} else {
		_, err = d.s.exec(ctx, releaseReservationSQL, key, token)
	}
	if err != nil {
		return ctxErr(ctx, "dedupe callback done", err)
	}
	return nil
}

// releaseReservationSQL deletes the reservation of key if token still
// holds it.
const releaseReservationSQL = `DELETE FROM travelroam_callback_dedupe WHERE key = $1 AND NOT seen AND token = $2`

// release gives back the reservation that token may hold, as clean-up: it
// runs even when ctx has ended, for at most releaseTimeout; its failure
// leaves the reservation to expire.
func (d *Deduper) release(ctx context.Context, key, token string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_, _ = d.s.exec(ctx, releaseReservationSQL, key, token)
}

// awaitReservationSQL inserts a placeholder for key unless its row
// exists: an insert that conflicts with a transaction still inserting or
// changing that row waits for it to end. releaseLost rolls it back.
const awaitReservationSQL = `
INSERT INTO travelroam_callback_dedupe (key, seen, token, expires_at)
VALUES ($1, false, '', '-infinity') ON CONFLICT (key) DO NOTHING`

// releaseLost gives back the reservation that token may hold after a
// Begin whose outcome is unknown: its COMMIT may still be on its way to
// the server. releaseReservationSQL alone would judge the row by its
// version before that transaction, find another token (or no row) and
// wait for nothing; the reservation, committed a moment later, would
// keep the event "in flight" for its whole time to live. So it first
// waits for that transaction to end (awaitReservationSQL, rolled back),
// then deletes the reservation by token. Clean-up, as release.
func (d *Deduper) releaseLost(ctx context.Context, key, token string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_ = d.s.readCommitted(actx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(actx, awaitReservationSQL, key); err != nil {
			return err
		}
		return errAwaited
	})
	d.release(ctx, key, token)
}
