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

// Ledger is the store's [Journal] and [Gate] as one
// [travelroam.PurchaseLedger]: a purchase records its attempt in the
// transaction that claims its account's turn, and frees the turn in the
// transaction that records its outcome, two commits (two syncs to disk)
// per purchase where the journal and the gate apart take four. Get it
// from [Store.Ledger] and give it to a Client with
// travelroam.WithPurchaseLedger.
type Ledger struct {
	Journal
	Gate
}

var _ travelroam.PurchaseLedger = (*Ledger)(nil)

// errNoClaim rolls back a BeginAcquire transaction that claimed nothing.
var errNoClaim = errors.New("sqlitestore: no claim")

// BeginAcquire waits for the turn of a.Account and records a in the
// transaction that claims it; see [travelroam.PurchaseLedger]. Each try
// is one BEGIN IMMEDIATE transaction: it reads the attempt held under
// a.Account and a.Key (refused at once if it may have bought) and the
// account's gate row; if the account is free it claims it and inserts or
// replaces the attempt, else it rolls back and polls as [Gate.Acquire]
// does, recording nothing meanwhile. A try whose transaction failed is
// released by its token before BeginAcquire returns.
func (l *Ledger) BeginAcquire(ctx context.Context, a travelroam.PurchaseAttempt, interval, lease time.Duration) (travelroam.PurchaseAttempt, travelroam.LedgerPermit, error) {
	if err := checkIdentity(a); err != nil {
		return travelroam.PurchaseAttempt{}, nil, err
	}
	if lease <= 0 || interval < 0 {
		return travelroam.PurchaseAttempt{}, nil, errors.New("sqlitestore: purchase gate: lease must be positive and interval not negative")
	}
	p := storewait.NewPoller(interval)
	for {
		if err := ctx.Err(); err != nil {
			return travelroam.PurchaseAttempt{}, nil, err
		}
		token := storewait.NewToken()
		held, wait, earlier, err := l.try(ctx, a, interval, lease, token)
		switch {
		case err == nil:
			return travelroam.PurchaseAttempt{}, &ledgerPermit{s: l.Journal.s, account: a.Account, key: a.Key, id: a.ID, token: token}, nil
		case !errors.Is(err, errNoClaim):
			// The transaction may have been committed although the call
			// failed: give the turn back by its token (the SDK records
			// the attempt as not sent).
			_ = l.Gate.release(ctx, a.Account, token)
			return travelroam.PurchaseAttempt{}, nil, ctxErr(ctx, "begin purchase", err)
		case earlier != nil:
			return *earlier, nil, nil
		}
		if err := storewait.Sleep(ctx, p.Delay(wait, held)); err != nil {
			return travelroam.PurchaseAttempt{}, nil, err
		}
	}
}

// try is one BEGIN IMMEDIATE transaction of BeginAcquire: nil when it
// claimed the account and recorded a; errNoClaim (rolled back) with the
// attempt that refuses the Key, or how long until the account is free;
// another error when the database failed.
func (l *Ledger) try(ctx context.Context, a travelroam.PurchaseAttempt, interval, lease time.Duration, token string) (held bool, wait time.Duration, earlier *travelroam.PurchaseAttempt, err error) {
	err = l.Journal.s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanAttempt(tx.QueryRowContext(ctx, getSQL, a.Account, a.Key))
		switch {
		case err == nil && old.Outcome.MayHaveBought():
			earlier = &old
			return errNoClaim
		case err != nil && !isNoRows(err):
			return err
		}
		if held, wait, err = claimTx(ctx, tx, a.Account, token, interval, lease); err != nil || wait > 0 {
			if err == nil {
				err = errNoClaim
			}
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
	return held, wait, earlier, err
}

// claimTx reads the gate row of key in tx and claims it with token when
// the clock is past the end of the last hold plus the interval; else it
// returns how long until then (and whether someone holds it), claiming
// nothing.
func claimTx(ctx context.Context, tx *sql.Tx, key, token string, interval, lease time.Duration) (held bool, wait time.Duration, err error) {
	var until, gap int64
	err = tx.QueryRowContext(ctx, `SELECT held, until_us, gap_us FROM travelroam_purchase_gate WHERE key = ?`, key).Scan(&held, &until, &gap)
	now := nowMicros()
	if err == nil {
		if free := until + max(gap, interval.Microseconds()); now < free {
			return held, time.Duration(free-now) * time.Microsecond, nil
		}
	} else if !isNoRows(err) {
		return false, 0, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO travelroam_purchase_gate (key, token, held, until_us, gap_us) VALUES (?, ?, 1, ?, ?)
		ON CONFLICT (key) DO UPDATE SET token = excluded.token, held = 1, until_us = excluded.until_us, gap_us = excluded.gap_us`,
		key, token, now+lease.Microseconds(), interval.Microseconds())
	return false, 0, err
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
// the outcome of the attempt (fenced by its ID) in one BEGIN IMMEDIATE
// transaction; see [travelroam.LedgerPermit]. It is clean-up: it runs
// even when ctx has ended, for at most 30 s. When the journal no longer
// holds the attempt, the turn is freed all the same and the error says
// why.
func (p *ledgerPermit) ReleaseFinish(ctx context.Context, outcome travelroam.Outcome, reference string) error {
	if !outcome.Valid() || outcome == travelroam.OutcomePending {
		return fmt.Errorf("sqlitestore: purchase journal: cannot finish with outcome %q", outcome)
	}
	if p.done.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	var refusal error
	err := p.s.tx(ctx, func(tx *sql.Tx) error {
		now := nowMicros()
		if _, err := tx.ExecContext(ctx, `UPDATE travelroam_purchase_gate SET held = 0, until_us = ?
			WHERE key = ? AND token = ? AND held = 1`, now, p.account, p.token); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE travelroam_purchase_journal SET outcome = ?, reference = ?, finished_us = ?
			WHERE account = ? AND key = ? AND attempt_id = ?`, string(outcome), reference, now, p.account, p.key, p.id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var id string
		switch err := tx.QueryRowContext(ctx, `SELECT attempt_id FROM travelroam_purchase_journal WHERE account = ? AND key = ?`, p.account, p.key).Scan(&id); {
		case isNoRows(err):
			refusal = travelroam.ErrNoAttempt
		case err != nil:
			return err
		default:
			refusal = travelroam.ErrAttemptSuperseded
		}
		return nil
	})
	if err != nil {
		return ctxErr(ctx, "release purchase gate and finish purchase", err)
	}
	if refusal != nil {
		return fmt.Errorf("sqlitestore: finish purchase %q: %w", p.key, refusal)
	}
	return nil
}
