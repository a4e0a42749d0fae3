package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
)

// TestPurchaseLedger checks that the ledgers returned by newLedger keep
// the rules of [travelroam.PurchaseLedger]: as a journal and as a gate,
// the whole of [TestPurchaseJournal] and [TestPurchaseGate]; BeginAcquire
// records the attempt pending and claims its account's turn together,
// refuses a Key whose attempt may have bought without claiming anything,
// replaces one that bought nothing, waits for a busy account without
// recording the attempt meanwhile, honours its context holding and
// recording nothing, and lets one of many concurrent BeginAcquires of a
// Key through; ReleaseFinish records the outcome and frees the turn
// together (a holder that takes the turn next sees the outcome, never the
// attempt pending), starts the interval, is fenced by the attempt's ID
// (ErrAttemptSuperseded, the turn freed all the same) and by the permit
// (after its lease ran out it frees nobody else's turn), and does
// nothing when called again; two accounts using one Key are independent.
// newLedger is called once per subtest; it may return the same ledger
// each time.
func TestPurchaseLedger(t *testing.T, newLedger func(t *testing.T) travelroam.PurchaseLedger) {
	t.Run("Journal", func(t *testing.T) {
		TestPurchaseJournal(t, func(t *testing.T) travelroam.PurchaseJournal { return newLedger(t) })
	})
	t.Run("Gate", func(t *testing.T) {
		TestPurchaseGate(t, func(t *testing.T) travelroam.PurchaseGate { return newLedger(t) })
	})
	t.Run("BeginAcquireRecordsAndClaims", func(t *testing.T) { testLedgerRecordsAndClaims(t, newLedger(t)) })
	t.Run("BeginAcquireRefuses", func(t *testing.T) { testLedgerRefuses(t, newLedger(t)) })
	t.Run("BeginAcquireReplaces", func(t *testing.T) { testLedgerReplaces(t, newLedger(t)) })
	t.Run("BeginAcquireWaits", func(t *testing.T) { testLedgerWaits(t, newLedger(t)) })
	t.Run("BeginAcquireCancel", func(t *testing.T) { testLedgerCancel(t, newLedger(t)) })
	t.Run("BeginAcquireConcurrent", func(t *testing.T) { testLedgerConcurrent(t, newLedger(t)) })
	t.Run("NextHolderSeesTheOutcome", func(t *testing.T) { testLedgerNextHolderSees(t, newLedger(t)) })
	t.Run("ReleaseFinishFencedByID", func(t *testing.T) { testLedgerFencedByID(t, newLedger(t)) })
	t.Run("ReleaseFinishAfterLease", func(t *testing.T) { testLedgerAfterLease(t, newLedger(t)) })
	t.Run("TwoTenants", func(t *testing.T) { testLedgerTwoTenants(t, newLedger(t)) })
}

// ledgerAttempt returns a sample attempt of a new account of its own.
func ledgerAttempt(t *testing.T, key string) travelroam.PurchaseAttempt {
	a := sampleAttempt(key, now())
	a.Account = uniquePrefix(t) + "account"
	return a
}

// mustBeginAcquire records a and claims its account's turn, or fails.
func mustBeginAcquire(t *testing.T, l travelroam.PurchaseLedger, a travelroam.PurchaseAttempt, interval, lease time.Duration) travelroam.LedgerPermit {
	t.Helper()
	earlier, p, err := l.BeginAcquire(liveCtx(t), a, interval, lease)
	if err != nil {
		t.Fatalf("BeginAcquire(%q): %v", a.Key, err)
	}
	if p == nil {
		t.Fatalf("BeginAcquire(%q) refused a new attempt; earlier attempt: %v", a.Key, earlier)
	}
	return p
}

// mustReleaseFinish ends the purchase of p or fails.
func mustReleaseFinish(t *testing.T, p travelroam.LedgerPermit, o travelroam.Outcome, ref string) {
	t.Helper()
	if err := p.ReleaseFinish(liveCtx(t), o, ref); err != nil {
		t.Fatalf("ReleaseFinish(%s): %v", o, err)
	}
}

func testLedgerRecordsAndClaims(t *testing.T, l travelroam.PurchaseLedger) {
	a := ledgerAttempt(t, uniquePrefix(t)+"order")
	p := mustBeginAcquire(t, l, a, gateInterval, longLease)
	sameAttempt(t, "after BeginAcquire", mustGet(t, l, a), pending(a))
	mustStayBlocked(t, l, a.Account, "BeginAcquire holds the account")
	released := time.Now()
	mustReleaseFinish(t, p, travelroam.OutcomeSucceeded, "ref-1")
	got := mustGet(t, l, a)
	if got.ID != a.ID || got.Outcome != travelroam.OutcomeSucceeded || got.Reference != "ref-1" || got.FinishedAt.IsZero() {
		t.Errorf("after ReleaseFinish: got %v, want succeeded with ref-1 and a finish time", got)
	}
	if err := p.ReleaseFinish(liveCtx(t), travelroam.OutcomeRefused, ""); err != nil {
		t.Errorf("second ReleaseFinish: %v, want nil (later calls do nothing)", err)
	}
	if got := mustGet(t, l, a); got.Outcome != travelroam.OutcomeSucceeded {
		t.Errorf("second ReleaseFinish changed the outcome to %s", got.Outcome)
	}
	q := mustAcquire(t, l, a.Account, 0, time.Minute)
	atLeast(t, "from ReleaseFinish to the next Acquire", released, time.Now(), gateInterval)
	mustRelease(t, q)
}

func testLedgerRefuses(t *testing.T, l travelroam.PurchaseLedger) {
	for _, o := range []travelroam.Outcome{travelroam.OutcomePending, travelroam.OutcomeUnknown, travelroam.OutcomeSucceeded} {
		t.Run(string(o), func(t *testing.T) {
			first := ledgerAttempt(t, uniquePrefix(t)+"order")
			mustBegin(t, l, first)
			if o != travelroam.OutcomePending {
				mustFinish(t, l, first, o, "", time.Time{})
			}
			again := first
			again.ID = first.ID + "-again"
			earlier, p, err := l.BeginAcquire(liveCtx(t), again, 0, longLease)
			if err != nil || p != nil {
				t.Fatalf("BeginAcquire over %s: permit %v, error %v; want a refusal", o, p, err)
			}
			if earlier.ID != first.ID || earlier.Outcome != o {
				t.Errorf("refused with earlier attempt %v, want the %s one", earlier, o)
			}
			if got := mustGet(t, l, first); got.ID != first.ID {
				t.Errorf("a refused BeginAcquire recorded %v", got)
			}
			mustRelease(t, mustAcquire(t, l, first.Account, 0, time.Minute)) // nothing claimed
		})
	}
}

func testLedgerReplaces(t *testing.T, l travelroam.PurchaseLedger) {
	for _, o := range []travelroam.Outcome{travelroam.OutcomeNotSent, travelroam.OutcomeRefused} {
		t.Run(string(o), func(t *testing.T) {
			first := ledgerAttempt(t, uniquePrefix(t)+"order")
			mustBegin(t, l, first)
			mustFinish(t, l, first, o, "", time.Time{})
			again := first
			again.ID = first.ID + "-again"
			p := mustBeginAcquire(t, l, again, 0, longLease)
			sameAttempt(t, "the new attempt", mustGet(t, l, again), pending(again))
			mustReleaseFinish(t, p, travelroam.OutcomeSucceeded, "ref")
		})
	}
}

// testLedgerWaits: BeginAcquire of a busy account waits for the turn,
// without recording its attempt meanwhile, and takes it no earlier than
// the interval after the holder's ReleaseFinish.
func testLedgerWaits(t *testing.T, l travelroam.PurchaseLedger) {
	holder := ledgerAttempt(t, uniquePrefix(t)+"holder")
	waiter := holder
	waiter.Key, waiter.ID = uniquePrefix(t)+"waiter", holder.ID+"-waiter"
	p := mustBeginAcquire(t, l, holder, gateInterval, longLease)
	type result struct {
		p   travelroam.LedgerPermit
		err error
		at  time.Time
	}
	got := make(chan result, 1)
	go func() {
		_, q, err := l.BeginAcquire(liveCtx(t), waiter, gateInterval, longLease)
		got <- result{q, err, time.Now()}
	}()
	time.Sleep(blockedFor)
	select {
	case r := <-got:
		t.Fatalf("BeginAcquire of a held account returned (%v, %v)", r.p, r.err)
	default:
	}
	if a, ok, err := l.Get(liveCtx(t), waiter.Account, waiter.Key); err != nil || ok {
		t.Errorf("while waiting for the turn: Get = %v, %v, %v; want no attempt recorded yet", a, ok, err)
	}
	released := time.Now()
	mustReleaseFinish(t, p, travelroam.OutcomeSucceeded, "ref")
	r := <-got
	if r.err != nil || r.p == nil {
		t.Fatalf("BeginAcquire after the turn was freed: %v, %v", r.p, r.err)
	}
	atLeast(t, "from ReleaseFinish to the waiter's turn", released, r.at, gateInterval)
	sameAttempt(t, "the waiter's attempt", mustGet(t, l, waiter), pending(waiter))
	mustReleaseFinish(t, r.p, travelroam.OutcomeRefused, "")
}

func testLedgerCancel(t *testing.T, l travelroam.PurchaseLedger) {
	holder := ledgerAttempt(t, uniquePrefix(t)+"holder")
	waiter := holder
	waiter.Key, waiter.ID = uniquePrefix(t)+"waiter", holder.ID+"-waiter"
	p := mustBeginAcquire(t, l, holder, 0, longLease)
	ctx, cancel := context.WithTimeout(context.Background(), blockedFor)
	defer cancel()
	_, q, err := l.BeginAcquire(ctx, waiter, 0, time.Minute)
	if err == nil || q != nil || !isCtxErr(err) {
		t.Fatalf("BeginAcquire with its context ended while waiting: %v, %v; want the context's error", q, err)
	}
	if a, ok, err := l.Get(liveCtx(t), waiter.Account, waiter.Key); err != nil || ok {
		t.Errorf("after a cancelled BeginAcquire: Get = %v, %v, %v; want nothing recorded", a, ok, err)
	}
	mustReleaseFinish(t, p, travelroam.OutcomeNotSent, "")
	mustRelease(t, mustAcquire(t, l, holder.Account, 0, time.Minute)) // the cancelled one holds nothing
}

// testLedgerConcurrent: of 8 concurrent purchases of one Key, exactly one
// is recorded and sent; of 8 of different Keys of one account, one holds
// the turn at a time and each is recorded.
func testLedgerConcurrent(t *testing.T, l travelroam.PurchaseLedger) {
	const n = 8
	base := ledgerAttempt(t, uniquePrefix(t)+"order")
	var wg sync.WaitGroup
	var won, refused, holders, maxHolders atomic.Int32
	for i := range n {
		wg.Go(func() {
			a := base
			a.ID = base.ID + "-" + string(rune('a'+i))
			_, p, err := l.BeginAcquire(liveCtx(t), a, 0, time.Minute)
			if err != nil {
				t.Errorf("BeginAcquire: %v", err)
				return
			}
			if p == nil {
				refused.Add(1)
				return
			}
			won.Add(1)
			mustReleaseFinish(t, p, travelroam.OutcomeSucceeded, "ref")
		})
	}
	wg.Wait()
	if won.Load() != 1 || refused.Load() != n-1 {
		t.Errorf("one Key: %d recorded, %d refused; want 1 and %d", won.Load(), refused.Load(), n-1)
	}
	for i := range n {
		wg.Go(func() {
			a := base
			a.Key, a.ID = base.Key+"-"+string(rune('a'+i)), base.ID+"-"+string(rune('a'+i))
			p := mustBeginAcquire(t, l, a, 0, time.Minute)
			h := holders.Add(1)
			for m := maxHolders.Load(); h > m && !maxHolders.CompareAndSwap(m, h); m = maxHolders.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			holders.Add(-1)
			mustReleaseFinish(t, p, travelroam.OutcomeSucceeded, "ref")
			if got := mustGet(t, l, a); got.ID != a.ID || got.Outcome != travelroam.OutcomeSucceeded {
				t.Errorf("key %q: %v, want its own attempt succeeded", a.Key, got)
			}
		})
	}
	wg.Wait()
	if maxHolders.Load() != 1 {
		t.Errorf("%d purchases of one account held the turn at once, want 1", maxHolders.Load())
	}
}

// testLedgerNextHolderSees: whoever takes the account's turn after a
// ReleaseFinish (a resolver) finds the outcome recorded, never the
// attempt still pending.
func testLedgerNextHolderSees(t *testing.T, l travelroam.PurchaseLedger) {
	for range 5 {
		a := ledgerAttempt(t, uniquePrefix(t)+"order")
		p := mustBeginAcquire(t, l, a, 0, longLease)
		seen := make(chan travelroam.PurchaseAttempt, 1)
		go func() {
			q, err := l.Acquire(liveCtx(t), a.Account, 0, time.Minute)
			if err != nil {
				t.Errorf("Acquire: %v", err)
				close(seen)
				return
			}
			got, _, err := l.Get(liveCtx(t), a.Account, a.Key)
			if err != nil {
				t.Errorf("Get: %v", err)
			}
			_ = q.Release(liveCtx(t))
			seen <- got
		}()
		time.Sleep(20 * time.Millisecond)
		mustReleaseFinish(t, p, travelroam.OutcomeSucceeded, "ref")
		if got := <-seen; got.Outcome != travelroam.OutcomeSucceeded {
			t.Fatalf("the next holder found the attempt %v, want it succeeded", got)
		}
	}
}

// testLedgerFencedByID: an attempt resolved and begun again (a newer ID)
// while its purchase held the turn is left alone by the purchase's
// ReleaseFinish, which reports ErrAttemptSuperseded and frees the turn.
func testLedgerFencedByID(t *testing.T, l travelroam.PurchaseLedger) {
	a := ledgerAttempt(t, uniquePrefix(t)+"order")
	p := mustBeginAcquire(t, l, a, 0, longLease)
	mustFinish(t, l, a, travelroam.OutcomeNotSent, "", time.Time{})
	newer := a
	newer.ID = a.ID + "-newer"
	mustBegin(t, l, newer)
	err := p.ReleaseFinish(liveCtx(t), travelroam.OutcomeSucceeded, "ref")
	if !errors.Is(err, travelroam.ErrAttemptSuperseded) {
		t.Errorf("ReleaseFinish of a superseded attempt: %v, want ErrAttemptSuperseded", err)
	}
	sameAttempt(t, "the newer attempt", mustGet(t, l, newer), pending(newer))
	mustRelease(t, mustAcquire(t, l, a.Account, 0, time.Minute)) // freed all the same
}

// testLedgerAfterLease: a ReleaseFinish after the permit's lease ran out
// and another holder took the account records the outcome (the attempt
// is still its own) but frees nobody else's turn.
func testLedgerAfterLease(t *testing.T, l travelroam.PurchaseLedger) {
	const lease = 300 * time.Millisecond
	a := ledgerAttempt(t, uniquePrefix(t)+"order")
	p := mustBeginAcquire(t, l, a, 0, lease)
	other := mustAcquire(t, l, a.Account, 0, longLease) // waits for the lease to run out
	mustReleaseFinish(t, p, travelroam.OutcomeUnknown, "")
	if got := mustGet(t, l, a); got.Outcome != travelroam.OutcomeUnknown {
		t.Errorf("after a late ReleaseFinish: %v, want unknown", got)
	}
	mustStayBlocked(t, l, a.Account, "a late ReleaseFinish must not free the newer holder")
	mustRelease(t, other)
}

func testLedgerTwoTenants(t *testing.T, l travelroam.PurchaseLedger) {
	key := uniquePrefix(t) + "order"
	a, b := ledgerAttempt(t, key), ledgerAttempt(t, key)
	pa := mustBeginAcquire(t, l, a, 0, longLease)
	pb := mustBeginAcquire(t, l, b, 0, longLease) // another account: its own turn, its own Key
	mustReleaseFinish(t, pa, travelroam.OutcomeSucceeded, "ref-a")
	mustReleaseFinish(t, pb, travelroam.OutcomeRefused, "")
	if got := mustGet(t, l, a); got.Reference != "ref-a" || got.Outcome != travelroam.OutcomeSucceeded {
		t.Errorf("account A: %v", got)
	}
	if got := mustGet(t, l, b); got.Outcome != travelroam.OutcomeRefused {
		t.Errorf("account B: %v", got)
	}
}
