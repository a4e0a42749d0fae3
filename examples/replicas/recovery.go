package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roamkit/travelroam"
)

// clockSkew is how far Travel Roam's clock and the journal's may differ:
// an order assigned this much before an attempt started may still be
// that attempt's.
const clockSkew = 10 * time.Second

// recoverPurchases is a recovery job: run it at start-up (or from cron)
// in one replica. It goes through the purchases of the Client's account
// that never finished (the process died, or the outcome was unknown) and
// started more than minAge ago: younger ones may still be running in
// another replica, or waiting for the purchase gate. minAge must be at
// least the longest a ProcessOrder call of yours may take.
//
// A top-up is resolved as succeeded only when exactly one order can be
// its own: an order of the attempt's bundle on the attempt's eSIM,
// assigned between the attempt's start and minAge after it (the time in
// which its purchase was sent, if ever), that no other unfinished attempt
// could claim; the order reference recorded is that order's, checked with
// Travel Roam (never an assignment reference). Anything else (no such
// order, or more than one, or an order that another attempt could own)
// is left for a person, because crediting another purchase's top-up to
// an attempt that bought nothing marks that customer's order fulfilled,
// and declaring that nothing was bought lets the Key be bought again:
// check the wallet and ask Travel Roam support, then record the answer
// with c.ResolvePurchase(ctx, attempt, travelroam.OutcomeNotSent, "") or
// OutcomeSucceeded, passing the attempt as listed.
func recoverPurchases(ctx context.Context, c *travelroam.Client, minAge time.Duration, out *printer) (resolved, left int, err error) {
	attempts, err := c.UnfinishedPurchases(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, a := range attempts {
		if time.Since(a.StartedAt) < minAge {
			continue
		}
		if a.ICCID != "" {
			ref, why, err := findTopUp(ctx, c, a, attempts, minAge)
			if err != nil {
				return resolved, left, err
			}
			if ref != "" {
				err := c.ResolvePurchase(ctx, a, travelroam.OutcomeSucceeded, ref)
				switch {
				case errors.Is(err, travelroam.ErrAttemptSuperseded), errors.Is(err, travelroam.ErrAttemptChanged), errors.Is(err, travelroam.ErrAttemptInFlight):
					out.printf("recovery: %s: changed since listed, left alone: %v\n", a.Key, err)
					left++
					continue
				case err != nil:
					return resolved, left, err
				}
				out.printf("recovery: %s: its top-up is order %s: recorded as succeeded\n", a.Key, ref)
				resolved++
				continue
			}
			// a prints the ICCID's last four digits only.
			out.printf("recovery: %v: %s; needs a person\n", a, why)
			left++
			continue
		}
		out.printf("recovery: %v: may have bought; needs a person\n", a)
		left++
	}
	return resolved, left, nil
}

// window returns the times between which the order of attempt a, if it
// bought, was assigned.
func window(a travelroam.PurchaseAttempt, minAge time.Duration) (from, to time.Time) {
	return a.StartedAt.Add(-clockSkew), a.StartedAt.Add(minAge + clockSkew)
}

// findTopUp returns the order reference of the one order that can be the
// top-up of attempt a: of its bundle, on its eSIM, assigned in its window
// (see window), and in the window of no other unfinished attempt of the
// same bundle and eSIM. It returns an empty reference, and why, when
// there is no such order or more than one.
func findTopUp(ctx context.Context, c *travelroam.Client, a travelroam.PurchaseAttempt, all []travelroam.PurchaseAttempt, minAge time.Duration) (reference, why string, err error) {
	bundles, err := c.AppliedBundles(ctx, a.ICCID)
	if err != nil {
		return "", "", fmt.Errorf("bundles of the eSIM of %s: %w", a.Key, err)
	}
	from, to := window(a, minAge)
	var refs []string
	for _, b := range bundles {
		if b.Name != a.BundleName {
			continue
		}
		for _, as := range b.Assignments {
			if as.AssignedAt.Before(from) || as.AssignedAt.After(to) {
				continue // another purchase's, before or after this one
			}
			for _, other := range all {
				if other.Key == a.Key || other.ICCID != a.ICCID || other.BundleName != a.BundleName {
					continue
				}
				if of, ot := window(other, minAge); !as.AssignedAt.Before(of) && !as.AssignedAt.After(ot) {
					return "", "an order on its eSIM could also be attempt " + other.Key + "'s", nil
				}
			}
			ref, ok := orderReference(ctx, c, as.AssignmentReference, a.ICCID)
			if !ok {
				return "", "an assignment in its window has no order of this eSIM that Travel Roam confirms", nil
			}
			refs = append(refs, ref)
		}
	}
	switch len(refs) {
	case 0:
		return "", "no order of its bundle on its eSIM in its time window", nil
	case 1:
		return refs[0], "", nil
	}
	return "", fmt.Sprintf("%d orders of its bundle on its eSIM in its time window", len(refs)), nil
}

// orderReference returns the order reference of an assignment reference
// (the order reference with a suffix "-N", per the contract), once Travel
// Roam confirms that this order is of the eSIM iccid.
func orderReference(ctx context.Context, c *travelroam.Client, assignmentRef string, iccid travelroam.ICCID) (string, bool) {
	i := strings.LastIndexByte(assignmentRef, '-')
	if i <= 0 || strings.Trim(assignmentRef[i+1:], "0123456789") != "" || i == len(assignmentRef)-1 {
		return "", false
	}
	ref := assignmentRef[:i]
	as, err := c.Assignments(ctx, ref)
	if err != nil {
		return "", false
	}
	for _, x := range as {
		if x.ICCID == iccid {
			return ref, true
		}
	}
	return "", false
}
