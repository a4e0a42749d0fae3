package main

import (
	"context"
	"fmt"
	"time"

	"github.com/roamkit/travelroam"
)

// recoverPurchases is a recovery job: run it at start-up (or from cron)
// in one replica. It goes through the purchases of the Client's account
// that never finished (the process died, or the outcome was unknown) and
// started more than minAge ago: younger ones may still be running in
// another replica, or waiting for the purchase gate. A top-up whose bundle
// shows up on its eSIM, assigned after the attempt started, is resolved as
// succeeded. Everything else is left for a person, because declaring that
// nothing was bought lets the Key be bought again: check the wallet and
// ask Travel Roam support, then record the answer with
// c.ResolvePurchase(ctx, key, travelroam.OutcomeNotSent, "") or
// OutcomeSucceeded.
func recoverPurchases(ctx context.Context, c *travelroam.Client, minAge time.Duration, out *printer) (resolved, left int, err error) {
	attempts, err := c.UnfinishedPurchases(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, a := range attempts {
		if a.Account != c.AccountKey() || time.Since(a.StartedAt) < minAge {
			continue
		}
		if a.ICCID != "" {
			ref, found, err := findTopUp(ctx, c, a)
			if err != nil {
				return resolved, left, err
			}
			if found {
				if err := c.ResolvePurchase(ctx, a.Key, travelroam.OutcomeSucceeded, ref); err != nil {
					return resolved, left, err
				}
				out.printf("recovery: %s: the top-up is on the eSIM (assignment %s): recorded as succeeded\n", a.Key, ref)
				resolved++
				continue
			}
		}
		// a prints the ICCID's last four digits only.
		out.printf("recovery: %v: may have bought; needs a person\n", a)
		left++
	}
	return resolved, left, nil
}

// findTopUp looks for an assignment of the attempt's bundle to its eSIM
// made after the attempt started. Travel Roam's clock and the journal's
// may differ by a few seconds: a top-up missed that way is left for a
// person, which is the safe side.
func findTopUp(ctx context.Context, c *travelroam.Client, a travelroam.PurchaseAttempt) (reference string, found bool, err error) {
	bundles, err := c.AppliedBundles(ctx, a.ICCID)
	if err != nil {
		return "", false, fmt.Errorf("bundles of the eSIM of %s: %w", a.Key, err)
	}
	for _, b := range bundles {
		if b.Name != a.BundleName {
			continue
		}
		for _, as := range b.Assignments {
			if !as.AssignedAt.Before(a.StartedAt) {
				return as.AssignmentReference, true, nil
			}
		}
	}
	return "", false, nil
}
