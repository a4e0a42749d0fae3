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

// Ledger is the store's [Journal] and [Gate] as one
// [travelroam.PurchaseLedger]: a purchase records its attempt in the
// transaction that claims its account's turn, and frees the turn in the
// transaction that records its outcome, two commits per purchase where
// the journal and the gate apart take four. Get it from [Store.Ledger]
// and give it to a Client with travelroam.WithPurchaseLedger.
type Ledger struct {
	Journal
	Gate
}

var _ travelroam.PurchaseLedger = (*Ledger)(nil)

// claimUpsertSQL takes the key as claimSQL does, creating its row when
// the key was never seen: no row comes back while the key is held or its
// interval runs. The conflicting row is locked either way, until the
// transaction ends.
const claimUpsertSQL = `
INSERT INTO travelroam_purchase_gate AS g (key, token, held, until_at, gap_us)
VALUES ($1, $4, true, clock_timestamp() + $3::bigint * interval '1 microsecond', $2)
ON CONFLICT (key) DO UPDATE SET
	token = excluded.token, held = true, until_at = excluded.until_at, gap_us = excluded.gap_us
WHERE clock_timestamp() >= g.until_at + greatest(g.gap_us, $2::bigint) * interval '1 microsecond'
RETURNING token`

// errNoClaim rolls back a BeginAcquire transaction that claimed nothing
// or whose attempt the journal refused.
var errNoClaim = errors.New("pgstore: no claim")

// BeginAcquire waits for the turn of a.Account and records a in the
// transaction that claims it; see [travelroam.PurchaseLedger]. Each try
// is one transaction at READ COMMITTED: it claims the account's row (an
// INSERT … ON CONFLICT DO UPDATE that compares the database clock with
// the end of the last hold plus the interval), then inserts or replaces
// the attempt (as [Journal.Begin]); a refused attempt rolls the claim
// back. While the account is busy, the same transaction reads the
// attempt held under a.Account and a.Key, and a refusal is returned at
// once; otherwise it polls as [Gate.Acquire] does, recording nothing
// meanwhile. The gate's row is always locked before the journal's. When
// a try fails in a way that leaves its outcome unknown (its answer
// lost), its claim is released by its token before BeginAcquire returns.
func (l *Ledger) BeginAcquire(ctx context.Context, a travelroam.PurchaseAttempt, interval, lease time.Duration) (travelroam.PurchaseAttempt, travelroam.LedgerPermit, error) {
	if err := checkIdentity(a); err != nil {
		return travelroam.PurchaseAttempt{}, nil, err
	}
	if lease <= 0 || interval < 0 {
		return travelroam.PurchaseAttempt{}, nil, errors.New("pgstore: purchase gate: lease must be positive and interval not negative")
	}
	var started any
	if !a.StartedAt.IsZero() {
		started = a.StartedAt
	}
	p := storewait.NewPoller(interval)
	for changes := 0; changes < beginTries; {
		if err := ctx.Err(); err != nil {
			return travelroam.PurchaseAttempt{}, nil, err
		}
		token := storewait.NewToken()
		r, err := l.try(ctx, a, started, interval, lease, token)
		switch {
		case err == nil:
			return travelroam.PurchaseAttempt{}, &ledgerPermit{s: l.Journal.s, account: a.Account, key: a.Key, id: a.ID, token: token}, nil
		case !errors.Is(err, errNoClaim):
			// The claim and the record may have been committed although
			// the answer was lost, or be committed in a moment (the
			// COMMIT on its way): give the turn back by its token once
			// that transaction has ended, so that the attempt is
			// visible to the SDK's record of it as not sent.
			_ = l.Gate.releaseLost(ctx, a.Account, token)
			return travelroam.PurchaseAttempt{}, nil, ctxErr(ctx, "begin purchase", err)
		case r.earlier.ID != "":
			return r.earlier, nil, nil
		case r.recheck:
			// The journal refused the Key after the claim: read what
			// holds it (another process may have finished it since).
			changes++
			cur, ok, err := l.Journal.Get(ctx, a.Account, a.Key)
			if err != nil {
				return travelroam.PurchaseAttempt{}, nil, err
			}
			if ok && cur.Outcome.MayHaveBought() {
				return cur, nil, nil
			}
			continue
		}
		if err := storewait.Sleep(ctx, p.Delay(time.Duration(r.wait)*time.Microsecond, r.held)); err != nil {
			return travelroam.PurchaseAttempt{}, nil, err
		}
	}
	return travelroam.PurchaseAttempt{}, nil, fmt.Errorf("pgstore: begin purchase %q: the journal row kept changing", a.Key)
}

// ledgerTry is what a BeginAcquire transaction that claimed nothing
// found: the attempt that refuses the Key (earlier), a refusal of the
// journal after the claim (recheck), or how long until the account is
// free (held, wait in µs).
type ledgerTry struct {
	recheck, held bool
	wait          int64
	earlier       travelroam.PurchaseAttempt
}

// try is one transaction of BeginAcquire: nil when it claimed the account
// and recorded a, errNoClaim (rolled back) with what it found when it did
// not, another error when the database failed.
func (l *Ledger) try(ctx context.Context, a travelroam.PurchaseAttempt, started any, interval, lease time.Duration, token string) (ledgerTry, error) {
	var r ledgerTry
	err := l.Journal.s.readCommitted(ctx, func(tx pgx.Tx) error {
		var got string
		err := tx.QueryRow(ctx, claimUpsertSQL, a.Account, micros(interval), micros(lease), token).Scan(&got)
		switch {
		case err == nil:
			var inserted bool
			err := tx.QueryRow(ctx, beginSQL, a.Account, a.Key, a.ID, a.BundleName, string(a.ICCID), string(a.Environment), started).Scan(&inserted)
			if errors.Is(err, pgx.ErrNoRows) { // the Key may have bought: undo the claim
				r.recheck = true
				return errNoClaim
			}
			return err
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if cur, ok, err := getAttempt(ctx, tx, a.Account, a.Key); err != nil {
			return err
		} else if ok && cur.Outcome.MayHaveBought() {
			r.earlier = cur
			return errNoClaim
		}
		if err := tx.QueryRow(ctx, waitSQL, a.Account, micros(interval)).Scan(&r.held, &r.wait); err != nil {
			return err
		}
		return errNoClaim
	})
	return r, err
}

// getAttempt reads the attempt held under account and key in tx.
func getAttempt(ctx context.Context, tx pgx.Tx, account, key string) (travelroam.PurchaseAttempt, bool, error) {
	rows, err := tx.Query(ctx, `SELECT `+journalColumns+` FROM travelroam_purchase_journal WHERE account = $1 AND key = $2`, account, key)
	if err != nil {
		return travelroam.PurchaseAttempt{}, false, err
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanAttempt)
	if errors.Is(err, pgx.ErrNoRows) {
		return travelroam.PurchaseAttempt{}, false, nil
	}
	return a, err == nil, err
}

// finishTimeout bounds a ReleaseFinish, which runs even when its context
// has ended.
const finishTimeout = 30 * time.Second

// ledgerPermit is the turn of one recorded attempt.
type ledgerPermit struct {
	s                       *Store
	account, key, id, token string
	done                    atomic.Bool
}

// ReleaseFinish frees the turn (fenced by the permit's token) and records
// the outcome of the attempt (fenced by its ID) in one transaction at
// READ COMMITTED, the gate's row locked first, both statements sent in
// one round trip; see [travelroam.LedgerPermit]. It is clean-up: it runs
// even when ctx has ended, for at most 30 s. When the journal no longer
// holds the attempt, the turn is freed all the same and the error says
// why.
func (p *ledgerPermit) ReleaseFinish(ctx context.Context, outcome travelroam.Outcome, reference string) error {
	if !outcome.Valid() || outcome == travelroam.OutcomePending {
		return fmt.Errorf("pgstore: purchase journal: cannot finish with outcome %q", outcome)
	}
	if p.done.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	var finished int64
	err := p.s.readCommitted(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(releaseSQL, p.account, p.token)
		b.Queue(`UPDATE travelroam_purchase_journal
			SET outcome = $4, reference = $5, finished_at = clock_timestamp()
			WHERE account = $1 AND key = $2 AND attempt_id = $3`, p.account, p.key, p.id, string(outcome), reference)
		br := tx.SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return err
		}
		tag, err := br.Exec()
		if err != nil {
			_ = br.Close()
			return err
		}
		finished = tag.RowsAffected()
		return br.Close()
	})
	if err != nil {
		return fmt.Errorf("pgstore: release purchase gate and finish purchase: %w", err)
	}
	if finished == 1 {
		return nil
	}
	cur, ok, err := (&Journal{s: p.s}).Get(ctx, p.account, p.key)
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("pgstore: finish purchase %q: %w", p.key, travelroam.ErrNoAttempt)
	case cur.ID != p.id:
		return fmt.Errorf("pgstore: finish purchase %q: %w", p.key, travelroam.ErrAttemptSuperseded)
	}
	return fmt.Errorf("pgstore: finish purchase %q: %w", p.key, travelroam.ErrAttemptChanged)
}
