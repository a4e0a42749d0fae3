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
// account and purchase Key, kept until deleted. Get it from
// [Store.Journal].
type Journal struct{ s *Store }

var _ travelroam.PurchaseJournal = (*Journal)(nil)

const journalColumns = `account, key, attempt_id, bundle_name, iccid, environment, started_us, outcome, reference, finished_us`

// getSQL reads the attempt held under an account and a key.
const getSQL = `SELECT ` + journalColumns + ` FROM travelroam_purchase_journal WHERE account = ? AND key = ?`

// Begin records a before it is sent, unless the journal holds a.Account
// and a.Key with an outcome that may have bought; see
// [travelroam.PurchaseJournal]. The check and the write are one BEGIN
// IMMEDIATE transaction, atomic across processes.
func (j *Journal) Begin(ctx context.Context, a travelroam.PurchaseAttempt) (travelroam.PurchaseAttempt, bool, error) {
	if err := checkIdentity(a); err != nil {
		return travelroam.PurchaseAttempt{}, false, err
	}
	var (
		earlier travelroam.PurchaseAttempt
		refused bool
	)
	err := j.s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanAttempt(tx.QueryRowContext(ctx, getSQL, a.Account, a.Key))
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
			VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', '', NULL)`,
			a.Account, a.Key, a.ID, a.BundleName, string(a.ICCID), string(a.Environment), started.UnixMicro())
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

// checkIdentity returns an error unless a has a Key and an ID.
func checkIdentity(a travelroam.PurchaseAttempt) error {
	switch {
	case a.Key == "":
		return errors.New("sqlitestore: purchase journal: empty key")
	case a.ID == "":
		return errors.New("sqlitestore: purchase journal: empty attempt ID")
	}
	return nil
}

// Finish records the outcome of the attempt a identifies (its account,
// key and ID; and its outcome, when a.Outcome is set); see
// [travelroam.PurchaseJournal]. The check and the write are one BEGIN
// IMMEDIATE transaction. A zero at becomes the current time.
func (j *Journal) Finish(ctx context.Context, a travelroam.PurchaseAttempt, outcome travelroam.Outcome, reference string, at time.Time) error {
	if err := checkIdentity(a); err != nil {
		return err
	}
	if !outcome.Valid() || outcome == travelroam.OutcomePending {
		return fmt.Errorf("sqlitestore: purchase journal: cannot finish with outcome %q", outcome)
	}
	if a.Outcome != "" && !a.Outcome.Valid() {
		return fmt.Errorf("sqlitestore: purchase journal: cannot expect outcome %q", a.Outcome)
	}
	if at.IsZero() {
		at = time.Now()
	}
	var refusal error
	err := j.s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanAttempt(tx.QueryRowContext(ctx, getSQL, a.Account, a.Key))
		switch {
		case isNoRows(err):
			refusal = travelroam.ErrNoAttempt
			return nil
		case err != nil:
			return err
		case cur.ID != a.ID:
			refusal = travelroam.ErrAttemptSuperseded
			return nil
		case a.Outcome != "" && cur.Outcome != a.Outcome:
			refusal = travelroam.ErrAttemptChanged
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE travelroam_purchase_journal SET outcome = ?, reference = ?, finished_us = ?
			WHERE account = ? AND key = ?`, string(outcome), reference, at.UnixMicro(), a.Account, a.Key)
		return err
	})
	if err != nil {
		return ctxErr(ctx, "finish purchase", err)
	}
	if refusal != nil {
		return fmt.Errorf("sqlitestore: finish purchase %q: %w", a.Key, refusal)
	}
	return nil
}

// Unfinished lists the pending and unknown attempts of every account,
// oldest first; see
// [travelroam.PurchaseJournal].
func (j *Journal) Unfinished(ctx context.Context) ([]travelroam.PurchaseAttempt, error) {
	rows, err := j.s.db.QueryContext(ctx, `SELECT `+journalColumns+` FROM travelroam_purchase_journal
		WHERE outcome IN ('pending', 'unknown') ORDER BY started_us, key, account`)
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

// Get returns the attempt held under account and key; see
// [travelroam.PurchaseJournal].
func (j *Journal) Get(ctx context.Context, account, key string) (travelroam.PurchaseAttempt, bool, error) {
	a, err := scanAttempt(j.s.db.QueryRowContext(ctx, getSQL, account, key))
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
	if err := row.Scan(&a.Account, &a.Key, &a.ID, &a.BundleName, &a.ICCID, &env, &started, &outcome, &a.Reference, &finished); err != nil {
		return travelroam.PurchaseAttempt{}, err
	}
	a.Environment, a.Outcome = env, travelroam.Outcome(outcome)
	a.StartedAt = time.UnixMicro(started)
	if finished.Valid {
		a.FinishedAt = time.UnixMicro(finished.Int64)
	}
	return a, nil
}
