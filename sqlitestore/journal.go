package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/roamkit/travelroam"
)

// Journal is a [travelroam.PurchaseJournal] in SQLite: one row per
// purchase Key, kept until deleted. Get it from [Store.Journal].
type Journal struct{ s *Store }

var _ travelroam.PurchaseJournal = (*Journal)(nil)

const journalColumns = `key, account, bundle_name, iccid, environment, started_us, outcome, reference, finished_us`

// Begin records a before it is sent, unless the journal holds a.Key with
// an outcome that may have bought; see [travelroam.PurchaseJournal]. The
// check and the write are one BEGIN IMMEDIATE transaction, atomic across
// processes.
func (j *Journal) Begin(ctx context.Context, a travelroam.PurchaseAttempt) (travelroam.PurchaseAttempt, bool, error) {
	if a.Key == "" {
		return travelroam.PurchaseAttempt{}, false, errors.New("sqlitestore: purchase journal: empty key")
	}
	var (
		earlier travelroam.PurchaseAttempt
		refused bool
	)
	err := j.s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanAttempt(tx.QueryRowContext(ctx, `SELECT `+journalColumns+` FROM travelroam_purchase_journal WHERE key = ?`, a.Key))
		if err == nil && old.Outcome.MayHaveBought() {
			earlier, refused = old, true
			return nil
		}
		if err != nil && !isNoRows(err) {
			return err
		}
		started := a.StartedAt
		if started.IsZero() {
			started = time.Now()
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO travelroam_purchase_journal (`+journalColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', '', NULL)`,
			a.Key, a.Account, a.BundleName, a.ICCID, string(a.Environment), started.UnixMicro())
		return err
	})
	if err != nil {
		return travelroam.PurchaseAttempt{}, false, ctxErr(ctx, "begin purchase", err)
	}
	if refused {
		return earlier, false, nil
	}
	return travelroam.PurchaseAttempt{}, true, nil
}

// Finish records the outcome of the attempt with key; see
// [travelroam.PurchaseJournal]. A zero at becomes the current time.
func (j *Journal) Finish(ctx context.Context, key string, outcome travelroam.PurchaseOutcome, reference string, at time.Time) error {
	if key == "" {
		return errors.New("sqlitestore: purchase journal: empty key")
	}
	if !outcome.Valid() || outcome == travelroam.OutcomePending {
		return fmt.Errorf("sqlitestore: purchase journal: cannot finish with outcome %q", outcome)
	}
	if at.IsZero() {
		at = time.Now()
	}
	var n int64
	err := j.s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE travelroam_purchase_journal SET outcome = ?, reference = ?, finished_us = ? WHERE key = ?`,
			string(outcome), reference, at.UnixMicro(), key)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return ctxErr(ctx, "finish purchase", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlitestore: finish purchase %q: %w", key, travelroam.ErrNoAttempt)
	}
	return nil
}

// Unfinished lists the pending and unknown attempts, oldest first; see
// [travelroam.PurchaseJournal].
func (j *Journal) Unfinished(ctx context.Context) ([]travelroam.PurchaseAttempt, error) {
	rows, err := j.s.db.QueryContext(ctx, `SELECT `+journalColumns+` FROM travelroam_purchase_journal
		WHERE outcome IN ('pending', 'unknown') ORDER BY started_us, key`)
	if err != nil {
		return nil, ctxErr(ctx, "list unfinished purchases", err)
	}
	defer rows.Close()
	var out []travelroam.PurchaseAttempt
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, ctxErr(ctx, "list unfinished purchases", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, ctxErr(ctx, "list unfinished purchases", err)
	}
	return out, nil
}

// Get returns the attempt with key; see [travelroam.PurchaseJournal].
func (j *Journal) Get(ctx context.Context, key string) (travelroam.PurchaseAttempt, bool, error) {
	a, err := scanAttempt(j.s.db.QueryRowContext(ctx, `SELECT `+journalColumns+` FROM travelroam_purchase_journal WHERE key = ?`, key))
	if isNoRows(err) {
		return travelroam.PurchaseAttempt{}, false, nil
	}
	if err != nil {
		return travelroam.PurchaseAttempt{}, false, ctxErr(ctx, "get purchase", err)
	}
	return a, true, nil
}

// DeleteFinished deletes the attempts that finished before t with an
// outcome that needs no more attention (succeeded, refused, not sent),
// and returns how many it deleted. Their Keys may then be bought again:
// keep them longer than your application may retry a purchase.
func (j *Journal) DeleteFinished(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := j.s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM travelroam_purchase_journal
			WHERE outcome IN ('succeeded', 'refused', 'not_sent') AND finished_us < ?`, before.UnixMicro())
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, ctxErr(ctx, "delete finished purchases", err)
	}
	return n, nil
}

func scanAttempt(row interface{ Scan(...any) error }) (travelroam.PurchaseAttempt, error) {
	var (
		a            travelroam.PurchaseAttempt
		env, outcome string
		started      int64
		finished     sql.NullInt64
	)
	if err := row.Scan(&a.Key, &a.Account, &a.BundleName, &a.ICCID, &env, &started, &outcome, &a.Reference, &finished); err != nil {
		return travelroam.PurchaseAttempt{}, err
	}
	a.Environment, a.Outcome = travelroam.Environment(env), travelroam.PurchaseOutcome(outcome)
	a.StartedAt = time.UnixMicro(started)
	if finished.Valid {
		a.FinishedAt = time.UnixMicro(finished.Int64)
	}
	return a, nil
}
