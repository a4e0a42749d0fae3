package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roamkit/travelroam"
)

// Journal is a [travelroam.PurchaseJournal] in PostgreSQL: one row per
// account and purchase Key, kept until deleted. Get it from
// [Store.Journal].
type Journal struct{ s *Store }

var _ travelroam.PurchaseJournal = (*Journal)(nil)

const journalColumns = `account, key, attempt_id, bundle_name, iccid, environment, started_at, outcome, reference, finished_at`

// beginSQL inserts the attempt, or replaces one of the same account and
// key that bought nothing; it returns no row when the account and key
// hold an attempt that may have bought.
const beginSQL = `
INSERT INTO travelroam_purchase_journal AS j (` + journalColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, clock_timestamp()), 'pending', '', NULL)
ON CONFLICT (account, key) DO UPDATE SET
	attempt_id = excluded.attempt_id, bundle_name = excluded.bundle_name, iccid = excluded.iccid,
	environment = excluded.environment, started_at = excluded.started_at,
	outcome = 'pending', reference = '', finished_at = NULL
WHERE j.outcome IN ('refused', 'not_sent')
RETURNING true`

// beginTries bounds the loop of Begin when the row changes between its
// two statements (another process finishing or deleting it meanwhile).
const beginTries = 10

// Begin records a before it is sent, unless the journal holds a.Account
// and a.Key with an outcome that may have bought; see
// [travelroam.PurchaseJournal]. It is atomic across processes: the
// insert-or-replace is one statement on the row's primary key, run at READ
// COMMITTED whatever the database's default isolation level (one that
// waited on a concurrent Begin re-checks the row instead of failing with
// a serialization error). A zero StartedAt becomes the database's clock.
func (j *Journal) Begin(ctx context.Context, a travelroam.PurchaseAttempt) (travelroam.PurchaseAttempt, bool, error) {
	if err := checkIdentity(a); err != nil {
		return travelroam.PurchaseAttempt{}, false, err
	}
	var started any
	if !a.StartedAt.IsZero() {
		started = a.StartedAt
	}
	for range beginTries {
		var inserted bool
		err := j.s.queryRow(ctx, beginSQL, []any{a.Account, a.Key, a.ID, a.BundleName, string(a.ICCID), string(a.Environment), started}, &inserted)
		if err == nil {
			return travelroam.PurchaseAttempt{}, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			j.awaitLost(ctx, a)
			return travelroam.PurchaseAttempt{}, false, ctxErr(ctx, "begin purchase", err)
		}
		earlier, ok, err := j.Get(ctx, a.Account, a.Key)
		if err != nil {
			return travelroam.PurchaseAttempt{}, false, err
		}
		if ok && earlier.Outcome.MayHaveBought() {
			return earlier, false, nil
		}
	}
	return travelroam.PurchaseAttempt{}, false, fmt.Errorf("pgstore: begin purchase %q: the journal row kept changing", a.Key)
}

// awaitRowSQL inserts a placeholder for an account and key unless their
// row exists: an insert that conflicts with a transaction still
// inserting or replacing that row waits for it to end. awaitLost rolls
// it back.
const awaitRowSQL = `
INSERT INTO travelroam_purchase_journal (` + journalColumns + `)
VALUES ($1, $2, '', '', '', '', clock_timestamp(), 'not_sent', '', clock_timestamp())
ON CONFLICT (account, key) DO NOTHING`

// errAwaited rolls back the transaction of awaitLost.
var errAwaited = errors.New("pgstore: awaited")

// awaitLost waits, after a Begin whose outcome is unknown (its answer
// lost, or its context ended, while its COMMIT may still be on its way),
// until that transaction has ended, so that what it recorded is visible
// when Begin returns: the SDK then records the attempt as not sent,
// fenced by its ID, and a Finish that ran while the COMMIT was still on
// its way would find nothing and leave the attempt pending. It changes
// nothing (its transaction is rolled back) and runs even when ctx has
// ended, for at most releaseTimeout; its failure is ignored.
func (j *Journal) awaitLost(ctx context.Context, a travelroam.PurchaseAttempt) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_ = j.s.readCommitted(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, awaitRowSQL, a.Account, a.Key); err != nil {
			return err
		}
		return errAwaited
	})
}

// checkIdentity returns an error unless a has a Key and an ID.
func checkIdentity(a travelroam.PurchaseAttempt) error {
	switch {
	case a.Key == "":
		return errors.New("pgstore: purchase journal: empty key")
	case a.ID == "":
		return errors.New("pgstore: purchase journal: empty attempt ID")
	}
	return nil
}

// Finish records the outcome of the attempt a identifies (its account,
// key and ID; and its outcome, when a.Outcome is set); see
// [travelroam.PurchaseJournal]. The check and the write are one
// conditional UPDATE, run at READ COMMITTED whatever the database's default
// isolation level. A zero at becomes the database's clock.
func (j *Journal) Finish(ctx context.Context, a travelroam.PurchaseAttempt, outcome travelroam.Outcome, reference string, at time.Time) error {
	if err := checkIdentity(a); err != nil {
		return err
	}
	if !outcome.Valid() || outcome == travelroam.OutcomePending {
		return fmt.Errorf("pgstore: purchase journal: cannot finish with outcome %q", outcome)
	}
	if a.Outcome != "" && !a.Outcome.Valid() {
		return fmt.Errorf("pgstore: purchase journal: cannot expect outcome %q", a.Outcome)
	}
	var finished any
	if !at.IsZero() {
		finished = at
	}
	tag, err := j.s.exec(ctx, `
		UPDATE travelroam_purchase_journal
		SET outcome = $4, reference = $5, finished_at = coalesce($6, clock_timestamp())
		WHERE account = $1 AND key = $2 AND attempt_id = $3 AND ($7 = '' OR outcome = $7)`,
		a.Account, a.Key, a.ID, string(outcome), reference, finished, string(a.Outcome))
	if err != nil {
		return ctxErr(ctx, "finish purchase", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// Nothing changed: say why (the write was already decided).
	cur, ok, err := j.Get(ctx, a.Account, a.Key)
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("pgstore: finish purchase %q: %w", a.Key, travelroam.ErrNoAttempt)
	case cur.ID != a.ID:
		return fmt.Errorf("pgstore: finish purchase %q: %w", a.Key, travelroam.ErrAttemptSuperseded)
	}
	return fmt.Errorf("pgstore: finish purchase %q: %w", a.Key, travelroam.ErrAttemptChanged)
}

// Unfinished lists the pending and unknown attempts of every account,
// oldest first; see
// [travelroam.PurchaseJournal].
func (j *Journal) Unfinished(ctx context.Context) ([]travelroam.PurchaseAttempt, error) {
	rows, err := j.s.pool.Query(ctx, `SELECT `+journalColumns+` FROM travelroam_purchase_journal
		WHERE outcome IN ('pending', 'unknown') ORDER BY started_at, key, account`)
	if err != nil {
		return nil, ctxErr(ctx, "list unfinished purchases", err)
	}
	out, err := pgx.CollectRows(rows, scanAttempt)
	if err != nil {
		return nil, ctxErr(ctx, "list unfinished purchases", err)
	}
	return out, nil
}

// Get returns the attempt held under account and key; see
// [travelroam.PurchaseJournal].
func (j *Journal) Get(ctx context.Context, account, key string) (travelroam.PurchaseAttempt, bool, error) {
	rows, err := j.s.pool.Query(ctx, `SELECT `+journalColumns+` FROM travelroam_purchase_journal WHERE account = $1 AND key = $2`, account, key)
	if err != nil {
		return travelroam.PurchaseAttempt{}, false, ctxErr(ctx, "get purchase", err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanAttempt)
	if errors.Is(err, pgx.ErrNoRows) {
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
	tag, err := j.s.exec(ctx, `DELETE FROM travelroam_purchase_journal
		WHERE outcome IN ('succeeded', 'refused', 'not_sent') AND finished_at < $1`, before)
	if err != nil {
		return 0, ctxErr(ctx, "delete finished purchases", err)
	}
	return tag.RowsAffected(), nil
}

func scanAttempt(row pgx.CollectableRow) (travelroam.PurchaseAttempt, error) {
	var (
		a          travelroam.PurchaseAttempt
		env, out   string
		finishedAt *time.Time
	)
	err := row.Scan(&a.Account, &a.Key, &a.ID, &a.BundleName, &a.ICCID, &env, &a.StartedAt, &out, &a.Reference, &finishedAt)
	a.Environment, a.Outcome = env, travelroam.Outcome(out)
	if finishedAt != nil {
		a.FinishedAt = *finishedAt
	}
	return a, err
}
