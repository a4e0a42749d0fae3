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
// purchase Key, kept until deleted. Get it from [Store.Journal].
type Journal struct{ s *Store }

var _ travelroam.PurchaseJournal = (*Journal)(nil)

const journalColumns = `key, account, bundle_name, iccid, environment, started_at, outcome, reference, finished_at`

// beginSQL inserts the attempt, or replaces one that bought nothing; it
// returns no row when the key holds an attempt that may have bought.
const beginSQL = `
INSERT INTO travelroam_purchase_journal AS j (` + journalColumns + `)
VALUES ($1, $2, $3, $4, $5, coalesce($6, clock_timestamp()), 'pending', '', NULL)
ON CONFLICT (key) DO UPDATE SET
	account = excluded.account, bundle_name = excluded.bundle_name, iccid = excluded.iccid,
	environment = excluded.environment, started_at = excluded.started_at,
	outcome = 'pending', reference = '', finished_at = NULL
WHERE j.outcome IN ('refused', 'not_sent')
RETURNING true`

// beginTries bounds the loop of Begin when the row changes between its
// two statements (another process finishing or deleting it meanwhile).
const beginTries = 10

// Begin records a before it is sent, unless the journal holds a.Key with
// an outcome that may have bought; see [travelroam.PurchaseJournal]. It is
// atomic across processes: the insert-or-replace is one statement on the
// row's unique key. A zero StartedAt becomes the database's clock.
func (j *Journal) Begin(ctx context.Context, a travelroam.PurchaseAttempt) (travelroam.PurchaseAttempt, bool, error) {
	if a.Key == "" {
		return travelroam.PurchaseAttempt{}, false, errors.New("pgstore: purchase journal: empty key")
	}
	var started any
	if !a.StartedAt.IsZero() {
		started = a.StartedAt
	}
	for range beginTries {
		var inserted bool
		err := j.s.pool.QueryRow(ctx, beginSQL, a.Key, a.Account, a.BundleName, a.ICCID, string(a.Environment), started).Scan(&inserted)
		if err == nil {
			return travelroam.PurchaseAttempt{}, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return travelroam.PurchaseAttempt{}, false, ctxErr(ctx, "begin purchase", err)
		}
		earlier, ok, err := j.Get(ctx, a.Key)
		if err != nil {
			return travelroam.PurchaseAttempt{}, false, err
		}
		if ok && earlier.Outcome.MayHaveBought() {
			return earlier, false, nil
		}
	}
	return travelroam.PurchaseAttempt{}, false, fmt.Errorf("pgstore: begin purchase %q: the journal row kept changing", a.Key)
}

// Finish records the outcome of the attempt with key; see
// [travelroam.PurchaseJournal]. A zero at becomes the database's clock.
func (j *Journal) Finish(ctx context.Context, key string, outcome travelroam.PurchaseOutcome, reference string, at time.Time) error {
	if key == "" {
		return errors.New("pgstore: purchase journal: empty key")
	}
	if !outcome.Valid() || outcome == travelroam.OutcomePending {
		return fmt.Errorf("pgstore: purchase journal: cannot finish with outcome %q", outcome)
	}
	var finished any
	if !at.IsZero() {
		finished = at
	}
	tag, err := j.s.pool.Exec(ctx, `
		UPDATE travelroam_purchase_journal
		SET outcome = $2, reference = $3, finished_at = coalesce($4, clock_timestamp())
		WHERE key = $1`, key, string(outcome), reference, finished)
	if err != nil {
		return ctxErr(ctx, "finish purchase", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: finish purchase %q: %w", key, travelroam.ErrNoAttempt)
	}
	return nil
}

// Unfinished lists the pending and unknown attempts, oldest first; see
// [travelroam.PurchaseJournal].
func (j *Journal) Unfinished(ctx context.Context) ([]travelroam.PurchaseAttempt, error) {
	rows, err := j.s.pool.Query(ctx, `SELECT `+journalColumns+` FROM travelroam_purchase_journal
		WHERE outcome IN ('pending', 'unknown') ORDER BY started_at, key`)
	if err != nil {
		return nil, ctxErr(ctx, "list unfinished purchases", err)
	}
	out, err := pgx.CollectRows(rows, scanAttempt)
	if err != nil {
		return nil, ctxErr(ctx, "list unfinished purchases", err)
	}
	return out, nil
}

// Get returns the attempt with key; see [travelroam.PurchaseJournal].
func (j *Journal) Get(ctx context.Context, key string) (travelroam.PurchaseAttempt, bool, error) {
	rows, err := j.s.pool.Query(ctx, `SELECT `+journalColumns+` FROM travelroam_purchase_journal WHERE key = $1`, key)
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
	tag, err := j.s.pool.Exec(ctx, `DELETE FROM travelroam_purchase_journal
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
	err := row.Scan(&a.Key, &a.Account, &a.BundleName, &a.ICCID, &env, &a.StartedAt, &out, &a.Reference, &finishedAt)
	a.Environment, a.Outcome = travelroam.Environment(env), travelroam.PurchaseOutcome(out)
	if finishedAt != nil {
		a.FinishedAt = *finishedAt
	}
	return a, err
}
