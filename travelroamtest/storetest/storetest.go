// Package storetest checks implementations of the store interfaces of
// package travelroam against their documented rules, the way
// golang.org/x/net/nettest checks a net.Conn: [TestPurchaseGate] for a
// [travelroam.PurchaseGate], [TestPurchaseJournal] for a
// [travelroam.PurchaseJournal], [TestPurchaseLedger] for a
// [travelroam.PurchaseLedger] (both, and what binds them), [TestDeduper]
// and [TestDeduperExpiry] for a [travelroam.Deduper]. The in-memory
// defaults and the stores of this
// repository (pgstore, redisstore, sqlitestore) pass them; a store of your
// own can prove itself the same way:
//
//	func TestGate(t *testing.T) {
//		storetest.TestPurchaseGate(t, func(t *testing.T) travelroam.PurchaseGate {
//			return mystore.NewGate(db)
//		})
//	}
//
// The suites run their subtests one after another in real time, because a
// store's clock (a database server's) cannot be made virtual. They use
// short intervals (a few hundred milliseconds; a suite takes a few
// seconds) and only ever assert lower bounds on elapsed time ("the second
// purchase started at least the interval after the first was released"),
// never upper bounds, so a slow machine cannot make them fail. Time
// stamps may be kept to the millisecond: the bounds allow that much
// ([ClockResolution]).
//
// Keys are unique to each run (a random prefix), so a durable store may be
// shared with other tests and earlier runs; the suites leave their rows
// behind. A constructor may return the same store every time.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
)

// ClockResolution is how much coarser than the test's clock a store's
// time stamps may be. Lower bounds on elapsed time are checked less this.
const ClockResolution = time.Millisecond

// liveness bounds how long the suites wait for an operation that must
// succeed. It is a guard against hanging, far above any expected time,
// and never a measure of speed.
const liveness = 2 * time.Minute

// blockedFor is how long the suites try to acquire (or wait for) what must
// stay unavailable; a correct store keeps it unavailable far longer.
const blockedFor = 250 * time.Millisecond

// longLease is the lease of holders that must outlive the check: a gate
// that confused it with a shorter one would let a second holder in.
const longLease = 10 * time.Minute

// uniquePrefix returns a prefix for the keys of one test that no other
// run uses.
func uniquePrefix(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random key prefix: %v", err)
	}
	return "storetest-" + hex.EncodeToString(b[:]) + "-"
}

// liveCtx returns a context for an operation that must succeed; it ends
// after [liveness] or with the test.
func liveCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	t.Cleanup(cancel)
	return ctx
}

// atLeast fails the test unless to - from >= want - ClockResolution.
func atLeast(t *testing.T, what string, from, to time.Time, want time.Duration) {
	t.Helper()
	if got := to.Sub(from); got < want-ClockResolution {
		t.Errorf("%s: %v elapsed, want at least %v", what, got, want)
	}
}

// isCtxErr reports whether err is, or wraps, a context error.
func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// sampleAccount is the account of the sample attempts.
const sampleAccount = "sandbox:0123456789abcdef"

// sampleAttempt returns an attempt with every field set, under a new
// attempt ID.
func sampleAttempt(key string, started time.Time) travelroam.PurchaseAttempt {
	return travelroam.PurchaseAttempt{
		Key:         key,
		ID:          rand.Text(),
		Account:     sampleAccount,
		BundleName:  "esim_1GB_7D_GB_V2",
		ICCID:       "8944500102198304826",
		Environment: "sandbox",
		StartedAt:   started,
	}
}
