package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/storewait"
)

// Deduper is a [travelroam.Deduper] in SQLite, shared by every callback
// receiver that opens the same file. Get it from [Store.Deduper]. A
// reservation never Done expires after the reservation time to live, a
// processed event after the seen time to live (see [WithDedupeTTL]);
// every 256th Begin of a process also deletes up to 1,000 expired rows.
type Deduper struct {
	s      *Store
	begins atomic.Uint64
}

var _ travelroam.Deduper = (*Deduper)(nil)

// Begin reserves key unless a delivery of it is in flight or it was
// processed; see [travelroam.Deduper]. The check and the reservation are
// one BEGIN IMMEDIATE transaction, atomic across processes. The token of
// a new reservation is random and stored in its row.
// An error means nothing is reserved: a reservation whose answer was lost
// is given back by its token before Begin returns.
func (d *Deduper) Begin(ctx context.Context, key string) (travelroam.DedupeState, string, error) {
	token := storewait.NewToken()
	var state travelroam.DedupeState
	housekeeping := d.begins.Add(1)%256 == 0
	err := d.s.tx(ctx, func(tx *sql.Tx) error {
		now := nowMicros()
		if housekeeping {
			if _, err := tx.ExecContext(ctx, `DELETE FROM travelroam_callback_dedupe WHERE key IN
				(SELECT key FROM travelroam_callback_dedupe WHERE expires_us <= ? LIMIT 1000)`, now); err != nil {
				return err
			}
		}
		var (
			seen    bool
			expires int64
		)
		err := tx.QueryRowContext(ctx, `SELECT seen, expires_us FROM travelroam_callback_dedupe WHERE key = ?`, key).Scan(&seen, &expires)
		switch {
		case err == nil && now < expires && seen:
			state = travelroam.DedupeSeen
			return nil
		case err == nil && now < expires:
			state = travelroam.DedupeInFlight
			return nil
		case err != nil && !isNoRows(err):
			return err
		}
		state = travelroam.DedupeNew
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO travelroam_callback_dedupe (key, seen, token, expires_us) VALUES (?, 0, ?, ?)`,
			key, token, now+d.s.reservationTTL.Microseconds())
		return err
	})
	if err != nil {
		// The reservation may have been committed although the call
		// failed: give it back by its token, or the event would stay
		// "in flight" for the reservation time to live.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		_ = d.s.tx(rctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(rctx, `DELETE FROM travelroam_callback_dedupe WHERE key = ? AND seen = 0 AND token = ?`, key, token)
			return err
		})
		cancel()
		return 0, "", ctxErr(ctx, "dedupe callback", err)
	}
	if state != travelroam.DedupeNew {
		token = ""
	}
	return state, token, nil
}

// Done commits the reservation that token names (success: later Begins
// answer DedupeSeen for the seen time to live) or releases it. It is
// fenced by the token: the reservation of another delivery (made after
// this one expired) is neither released nor committed; a late success
// commits a key that nobody holds. See [travelroam.Deduper].
func (d *Deduper) Done(ctx context.Context, key, token string, success bool) error {
	if token == "" {
		return errors.New("sqlitestore: dedupe callback done: empty reservation token")
	}
	err := d.s.tx(ctx, func(tx *sql.Tx) error {
		if !success {
			_, err := tx.ExecContext(ctx, `DELETE FROM travelroam_callback_dedupe WHERE key = ? AND seen = 0 AND token = ?`, key, token)
			return err
		}
		now := nowMicros()
		var (
			seen    bool
			held    string
			expires int64
		)
		err := tx.QueryRowContext(ctx, `SELECT seen, token, expires_us FROM travelroam_callback_dedupe WHERE key = ?`, key).Scan(&seen, &held, &expires)
		switch {
		case err != nil && !isNoRows(err):
			return err
		case err == nil && now < expires && (seen || held != token):
			return nil // a seen mark, or another delivery's reservation
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO travelroam_callback_dedupe (key, seen, token, expires_us) VALUES (?, 1, '', ?)`,
			key, now+d.s.seenTTL.Microseconds())
		return err
	})
	if err != nil {
		return ctxErr(ctx, "dedupe callback done", err)
	}
	return nil
}
