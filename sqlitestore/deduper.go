package sqlitestore

import (
	"context"
	"database/sql"
	"sync"
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

	mu     sync.Mutex
	tokens map[string]string // key → token of this process's reservation
}

var _ travelroam.Deduper = (*Deduper)(nil)

// Begin reserves key unless a delivery of it is in flight or it was
// processed; see [travelroam.Deduper]. The check and the reservation are
// one BEGIN IMMEDIATE transaction, atomic across processes.
func (d *Deduper) Begin(ctx context.Context, key string) (travelroam.DedupeState, error) {
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
		return 0, ctxErr(ctx, "dedupe callback", err)
	}
	if state == travelroam.DedupeNew {
		d.mu.Lock()
		d.tokens[key] = token
		d.mu.Unlock()
	}
	return state, nil
}

// Done commits the reservation of key (success: later Begins answer
// DedupeSeen for the seen time to live) or releases it. A release is
// fenced: it deletes only the reservation this process made, not one
// another delivery made after it expired.
func (d *Deduper) Done(ctx context.Context, key string, success bool) error {
	d.mu.Lock()
	token, mine := d.tokens[key]
	delete(d.tokens, key)
	d.mu.Unlock()
	err := d.s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		switch {
		case success:
			_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO travelroam_callback_dedupe (key, seen, token, expires_us) VALUES (?, 1, '', ?)`,
				key, nowMicros()+d.s.seenTTL.Microseconds())
		case mine:
			_, err = tx.ExecContext(ctx, `DELETE FROM travelroam_callback_dedupe WHERE key = ? AND seen = 0 AND token = ?`, key, token)
		default:
			_, err = tx.ExecContext(ctx, `DELETE FROM travelroam_callback_dedupe WHERE key = ? AND seen = 0`, key)
		}
		return err
	})
	if err != nil {
		return ctxErr(ctx, "dedupe callback done", err)
	}
	return nil
}
