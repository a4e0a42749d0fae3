package main

// The command line's calls of the SDK's purchase-journal API, kept in
// this one file: an attempt is its account and Key, and ResolvePurchase
// resolves the attempt examined (its ID), never a newer one.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/roamkit/travelroam"
)

// recentLimit is how many attempts purchases --recent lists.
const recentLimit = 20

// earlierAttempt returns the attempt the journal holds under cl's account
// and key, ok false when it holds none. Another account's attempt under
// the same Key is not this purchase.
func earlierAttempt(ctx context.Context, st *journalStore, cl *travelroam.Client, key string) (travelroam.PurchaseAttempt, bool, error) {
	a, ok, err := st.journal.Get(ctx, cl.AccountKey(), key)
	if err != nil {
		return a, false, fmt.Errorf("purchase journal: %w", err)
	}
	return a, ok, nil
}

// unfinishedAttempts lists the pending and unknown attempts of cl's
// account, oldest first.
func unfinishedAttempts(ctx context.Context, cl *travelroam.Client) ([]travelroam.PurchaseAttempt, error) {
	all, err := cl.UnfinishedPurchases(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]travelroam.PurchaseAttempt, 0, len(all))
	for _, a := range all {
		if a.Account == cl.AccountKey() {
			out = append(out, a)
		}
	}
	return out, nil
}

// resolveAttempt records the outcome of the attempt a, as examined.
func resolveAttempt(ctx context.Context, cl *travelroam.Client, a travelroam.PurchaseAttempt, outcome travelroam.Outcome, ref string) error {
	return cl.ResolvePurchase(ctx, a, outcome, ref)
}

// recentAttempts lists the account's latest attempts, whatever their
// outcome, newest first. The journal's interface has no such listing: it
// reads the stores' table (the same columns in sqlitestore and pgstore).
func recentAttempts(ctx context.Context, st *journalStore, account string) ([]travelroam.PurchaseAttempt, error) {
	if st.pool != nil {
		return recentPostgres(ctx, st, account)
	}
	db, err := sql.Open("sqlite", st.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("purchase journal: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT key, account, attempt_id, bundle_name, iccid, environment, started_us, outcome, reference, finished_us
		FROM travelroam_purchase_journal WHERE account = ? ORDER BY started_us DESC LIMIT ?`, account, recentLimit)
	if err != nil {
		return nil, fmt.Errorf("purchase journal: %w", err)
	}
	defer rows.Close()
	var out []travelroam.PurchaseAttempt
	for rows.Next() {
		var a travelroam.PurchaseAttempt
		var started int64
		var finished sql.NullInt64
		if err := rows.Scan(&a.Key, &a.Account, &a.ID, &a.BundleName, &a.ICCID, &a.Environment, &started, &a.Outcome, &a.Reference, &finished); err != nil {
			return nil, fmt.Errorf("purchase journal: %w", err)
		}
		a.StartedAt = time.UnixMicro(started)
		if finished.Valid {
			a.FinishedAt = time.UnixMicro(finished.Int64)
		}
		out = append(out, a)
	}
	return out, errors.Join(rows.Err())
}

func recentPostgres(ctx context.Context, st *journalStore, account string) ([]travelroam.PurchaseAttempt, error) {
	rows, err := st.pool.Query(ctx, `SELECT key, account, attempt_id, bundle_name, iccid, environment, started_at, outcome, reference, finished_at
		FROM travelroam_purchase_journal WHERE account = $1 ORDER BY started_at DESC LIMIT $2`, account, recentLimit)
	if err != nil {
		return nil, fmt.Errorf("purchase journal: %w", err)
	}
	defer rows.Close()
	var out []travelroam.PurchaseAttempt
	for rows.Next() {
		var a travelroam.PurchaseAttempt
		var finished *time.Time
		if err := rows.Scan(&a.Key, &a.Account, &a.ID, &a.BundleName, &a.ICCID, &a.Environment, &a.StartedAt, &a.Outcome, &a.Reference, &finished); err != nil {
			return nil, fmt.Errorf("purchase journal: %w", err)
		}
		if finished != nil {
			a.FinishedAt = *finished
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
