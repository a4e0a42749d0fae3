package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
)

// TestPurchaseJournal checks that the journals returned by newJournal keep
// the rules of [travelroam.PurchaseJournal]: an attempt is identified by
// its account and key, so two accounts using one key never see each
// other's attempts; Begin records a pending attempt, refuses a key whose
// attempt may have bought (pending, unknown, succeeded) and returns that
// attempt, replaces one that bought nothing (refused, not sent), and lets
// exactly one of many concurrent Begins of a key through; Finish records
// outcomes (also those decided by a person), fails with
// [travelroam.ErrNoAttempt] for an unknown key, with
// [travelroam.ErrAttemptSuperseded] for an attempt whose ID is no longer
// held (and changes nothing), and with [travelroam.ErrAttemptChanged] when
// the outcome expected is not the one held, atomically (of concurrent
// resolutions of one attempt, exactly one wins); Unfinished lists pending
// and unknown attempts of every account oldest first; Get returns what
// was recorded, to the millisecond. newJournal is called once per
// subtest; it may return the same journal each time.
func TestPurchaseJournal(t *testing.T, newJournal func(t *testing.T) travelroam.PurchaseJournal) {
	t.Run("BeginGetFinish", func(t *testing.T) { testJournalBeginGetFinish(t, newJournal(t)) })
	t.Run("GetMissing", func(t *testing.T) { testJournalGetMissing(t, newJournal(t)) })
	t.Run("BeginRecordsPending", func(t *testing.T) { testJournalBeginRecordsPending(t, newJournal(t)) })
	t.Run("BeginRefusesWhatMayHaveBought", func(t *testing.T) { testJournalBeginRefuses(t, newJournal) })
	t.Run("BeginReplacesWhatBoughtNothing", func(t *testing.T) { testJournalBeginReplaces(t, newJournal) })
	t.Run("FinishErrors", func(t *testing.T) { testJournalFinishErrors(t, newJournal(t)) })
	t.Run("ResolvedByPerson", func(t *testing.T) { testJournalResolved(t, newJournal(t)) })
	t.Run("Unfinished", func(t *testing.T) { testJournalUnfinished(t, newJournal(t)) })
	t.Run("ConcurrentBegin", func(t *testing.T) { testJournalConcurrent(t, newJournal(t)) })
	t.Run("TwoTenants", func(t *testing.T) { testJournalTwoTenants(t, newJournal(t)) })
	t.Run("FinishFencedByID", func(t *testing.T) { testJournalFenced(t, newJournal(t)) })
	t.Run("FinishCompareAndSet", func(t *testing.T) { testJournalCompareAndSet(t, newJournal(t)) })
	t.Run("ConcurrentResolve", func(t *testing.T) { testJournalConcurrentResolve(t, newJournal(t)) })
}

// now returns the current time to the millisecond, as stores keep it.
func now() time.Time { return time.Now().Truncate(time.Millisecond) }

func mustBegin(t *testing.T, j travelroam.PurchaseJournal, a travelroam.PurchaseAttempt) {
	t.Helper()
	earlier, ok, err := j.Begin(liveCtx(t), a)
	if err != nil {
		t.Fatalf("Begin(%q): %v", a.Key, err)
	}
	if !ok {
		t.Fatalf("Begin(%q) refused a new attempt; earlier attempt: %v", a.Key, earlier)
	}
}

// mustFinish finishes the attempt a identifies (whatever its outcome:
// the Outcome of a is not compared).
func mustFinish(t *testing.T, j travelroam.PurchaseJournal, a travelroam.PurchaseAttempt, o travelroam.Outcome, ref string, at time.Time) {
	t.Helper()
	a.Outcome = ""
	if err := j.Finish(liveCtx(t), a, o, ref, at); err != nil {
		t.Fatalf("Finish(%q, %s): %v", a.Key, o, err)
	}
}

// mustGet returns the attempt held under the account and key of a.
func mustGet(t *testing.T, j travelroam.PurchaseJournal, a travelroam.PurchaseAttempt) travelroam.PurchaseAttempt {
	t.Helper()
	got, ok, err := j.Get(liveCtx(t), a.Account, a.Key)
	if err != nil {
		t.Fatalf("Get(%q, %q): %v", a.Account, a.Key, err)
	}
	if !ok {
		t.Fatalf("Get(%q, %q): no attempt", a.Account, a.Key)
	}
	return got
}

// sameAttempt fails the test unless got and want are equal field by field
// (times compared as instants).
func sameAttempt(t *testing.T, what string, got, want travelroam.PurchaseAttempt) {
	t.Helper()
	var diffs []string
	field := func(name string, g, w any) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %q, want %q", name, g, w))
		}
	}
	field("Key", got.Key, want.Key)
	field("ID", got.ID, want.ID)
	field("Account", got.Account, want.Account)
	field("BundleName", got.BundleName, want.BundleName)
	// Both are the test's own sample ICCIDs, safe to print in full.
	field("ICCID", string(got.ICCID), string(want.ICCID))
	field("Environment", got.Environment, want.Environment)
	field("Outcome", got.Outcome, want.Outcome)
	field("Reference", got.Reference, want.Reference)
	if !got.StartedAt.Equal(want.StartedAt) {
		diffs = append(diffs, fmt.Sprintf("StartedAt = %v, want %v", got.StartedAt, want.StartedAt))
	}
	if !got.FinishedAt.Equal(want.FinishedAt) {
		diffs = append(diffs, fmt.Sprintf("FinishedAt = %v, want %v", got.FinishedAt, want.FinishedAt))
	}
	if len(diffs) > 0 {
		t.Errorf("%s:\n\t%s", what, strings.Join(diffs, "\n\t"))
	}
}

func pending(a travelroam.PurchaseAttempt) travelroam.PurchaseAttempt {
	a.Outcome = travelroam.OutcomePending
	a.Reference = ""
	a.FinishedAt = time.Time{}
	return a
}

func finished(a travelroam.PurchaseAttempt, o travelroam.Outcome, ref string, at time.Time) travelroam.PurchaseAttempt {
	a.Outcome, a.Reference, a.FinishedAt = o, ref, at
	return a
}

func testJournalBeginGetFinish(t *testing.T, j travelroam.PurchaseJournal) {
	a := sampleAttempt(uniquePrefix(t)+"order", now().Add(-time.Second))
	a.Environment = "live"
	mustBegin(t, j, a)
	sameAttempt(t, "after Begin", mustGet(t, j, a), pending(a))

	at := now()
	mustFinish(t, j, a, travelroam.OutcomeSucceeded, "ref-1", at)
	sameAttempt(t, "after Finish", mustGet(t, j, a), finished(a, travelroam.OutcomeSucceeded, "ref-1", at))

	// A new eSIM (no ICCID) round-trips too.
	b := sampleAttempt(uniquePrefix(t)+"new-esim", now())
	b.ICCID = ""
	mustBegin(t, j, b)
	sameAttempt(t, "new eSIM after Begin", mustGet(t, j, b), pending(b))
}

func testJournalGetMissing(t *testing.T, j travelroam.PurchaseJournal) {
	a, ok, err := j.Get(liveCtx(t), sampleAccount, uniquePrefix(t)+"never")
	if err != nil || ok {
		t.Errorf("Get of a key never begun = %v, %v, %v; want ok false and no error", a, ok, err)
	}
}

func testJournalBeginRecordsPending(t *testing.T, j travelroam.PurchaseJournal) {
	a := sampleAttempt(uniquePrefix(t)+"order", now())
	a.Outcome = travelroam.OutcomeSucceeded
	a.Reference = "not-yet"
	a.FinishedAt = now()
	mustBegin(t, j, a)
	sameAttempt(t, "Begin with outcome fields set", mustGet(t, j, a), pending(a))

	b := sampleAttempt(uniquePrefix(t)+"no-start", time.Time{})
	mustBegin(t, j, b)
	if got := mustGet(t, j, b); got.StartedAt.IsZero() {
		t.Error("Begin with a zero StartedAt recorded a zero StartedAt, want the current time")
	}
}

func testJournalBeginRefuses(t *testing.T, newJournal func(t *testing.T) travelroam.PurchaseJournal) {
	for _, o := range []travelroam.Outcome{travelroam.OutcomePending, travelroam.OutcomeUnknown, travelroam.OutcomeSucceeded} {
		t.Run(string(o), func(t *testing.T) {
			j := newJournal(t)
			first := sampleAttempt(uniquePrefix(t)+"order", now().Add(-time.Minute))
			mustBegin(t, j, first)
			want := pending(first)
			if o != travelroam.OutcomePending {
				ref := ""
				if o == travelroam.OutcomeSucceeded {
					ref = "ref-first"
				}
				at := now()
				mustFinish(t, j, first, o, ref, at)
				want = finished(first, o, ref, at)
			}
			again := sampleAttempt(first.Key, now())
			again.BundleName = "esim_3GB_30D_FR_V2"
			earlier, ok, err := j.Begin(liveCtx(t), again)
			if err != nil {
				t.Fatalf("Begin again: %v", err)
			}
			if ok {
				t.Fatalf("Begin again over an attempt that is %s: ok, want refused", o)
			}
			sameAttempt(t, "earlier attempt returned by Begin", earlier, want)
			sameAttempt(t, "attempt kept", mustGet(t, j, first), want)
		})
	}
}

func testJournalBeginReplaces(t *testing.T, newJournal func(t *testing.T) travelroam.PurchaseJournal) {
	for _, o := range []travelroam.Outcome{travelroam.OutcomeRefused, travelroam.OutcomeNotSent} {
		t.Run(string(o), func(t *testing.T) {
			j := newJournal(t)
			first := sampleAttempt(uniquePrefix(t)+"order", now().Add(-time.Minute))
			mustBegin(t, j, first)
			mustFinish(t, j, first, o, "", now())
			again := sampleAttempt(first.Key, now())
			again.BundleName = "esim_3GB_30D_FR_V2"
			again.ICCID = "8944500102198309999"
			mustBegin(t, j, again)
			sameAttempt(t, "attempt after Begin replaced one that bought nothing", mustGet(t, j, first), pending(again))
		})
	}
}

func testJournalFinishErrors(t *testing.T, j travelroam.PurchaseJournal) {
	ctx := liveCtx(t)
	missing := sampleAttempt(uniquePrefix(t)+"never", now())
	if err := j.Finish(ctx, missing, travelroam.OutcomeSucceeded, "ref", now()); !errors.Is(err, travelroam.ErrNoAttempt) {
		t.Errorf("Finish of a key never begun: got %v, want an error matching ErrNoAttempt", err)
	}
	if _, ok, _ := j.Get(ctx, missing.Account, missing.Key); ok {
		t.Error("Finish of a key never begun created an attempt")
	}
	a := sampleAttempt(uniquePrefix(t)+"order", now())
	mustBegin(t, j, a)
	for _, o := range []travelroam.Outcome{travelroam.OutcomePending, "", "bought"} {
		if err := j.Finish(ctx, a, o, "", now()); err == nil {
			t.Errorf("Finish with outcome %q: no error", o)
		}
	}
	noID := a
	noID.ID = ""
	if err := j.Finish(ctx, noID, travelroam.OutcomeSucceeded, "ref", now()); err == nil {
		t.Error("Finish without an attempt ID: no error")
	}
	if _, ok, err := j.Begin(ctx, sampleAttempt(a.Key+"-no-id", now())); err != nil || !ok {
		t.Errorf("Begin of a new key = %v, %v", ok, err)
	}
	beginNoID := sampleAttempt(uniquePrefix(t)+"no-id", now())
	beginNoID.ID = ""
	if _, ok, err := j.Begin(ctx, beginNoID); err == nil || ok {
		t.Errorf("Begin without an attempt ID = %v, %v; want an error", ok, err)
	}
	sameAttempt(t, "attempt after refused Finishes", mustGet(t, j, a), pending(a))
}

func testJournalResolved(t *testing.T, j travelroam.PurchaseJournal) {
	ctx := liveCtx(t)
	prefix := uniquePrefix(t)

	// Unknown, then a person finds the order: the key stays bought.
	a := sampleAttempt(prefix+"found", now().Add(-time.Hour))
	mustBegin(t, j, a)
	mustFinish(t, j, a, travelroam.OutcomeUnknown, "", now())
	at := now()
	mustFinish(t, j, a, travelroam.OutcomeSucceeded, "ref-found", at)
	earlier, ok, err := j.Begin(ctx, sampleAttempt(a.Key, now()))
	if err != nil || ok {
		t.Fatalf("Begin after a person recorded success = %v, %v; want refused", ok, err)
	}
	sameAttempt(t, "resolved attempt", earlier, finished(a, travelroam.OutcomeSucceeded, "ref-found", at))

	// Unknown, then a person finds nothing was bought: it may be bought again.
	b := sampleAttempt(prefix+"nothing", now().Add(-time.Hour))
	mustBegin(t, j, b)
	mustFinish(t, j, b, travelroam.OutcomeUnknown, "", now())
	mustFinish(t, j, b, travelroam.OutcomeNotSent, "", now())
	for _, u := range unfinishedWith(t, j, prefix) {
		t.Errorf("resolved attempt still listed as unfinished: %v", u)
	}
	mustBegin(t, j, sampleAttempt(b.Key, now()))
}

// unfinishedWith returns the attempts of j.Unfinished whose key starts
// with prefix, in the order listed.
func unfinishedWith(t *testing.T, j travelroam.PurchaseJournal, prefix string) []travelroam.PurchaseAttempt {
	t.Helper()
	all, err := j.Unfinished(liveCtx(t))
	if err != nil {
		t.Fatalf("Unfinished: %v", err)
	}
	var out []travelroam.PurchaseAttempt
	for _, a := range all {
		if strings.HasPrefix(a.Key, prefix) {
			out = append(out, a)
		}
	}
	return out
}

func testJournalUnfinished(t *testing.T, j travelroam.PurchaseJournal) {
	prefix := uniquePrefix(t)
	base := now().Add(-24 * time.Hour)
	type step struct {
		name    string
		age     time.Duration // started at base - age
		outcome travelroam.Outcome
	}
	// Begun in an order that is not the order of StartedAt.
	steps := []step{
		{"c-unknown", 3 * time.Hour, travelroam.OutcomeUnknown},
		{"a-succeeded", 6 * time.Hour, travelroam.OutcomeSucceeded},
		{"e-pending", 1 * time.Hour, travelroam.OutcomePending},
		{"b-pending", 5 * time.Hour, travelroam.OutcomePending},
		{"d-refused", 2 * time.Hour, travelroam.OutcomeRefused},
		{"f-notsent", 4 * time.Hour, travelroam.OutcomeNotSent},
		{"g-unknown", 30 * time.Minute, travelroam.OutcomeUnknown},
	}
	want := map[string]travelroam.PurchaseAttempt{}
	for _, s := range steps {
		a := sampleAttempt(prefix+s.name, base.Add(-s.age))
		mustBegin(t, j, a)
		a = pending(a)
		if s.outcome != travelroam.OutcomePending {
			at := now()
			mustFinish(t, j, a, s.outcome, "", at)
			a = finished(a, s.outcome, "", at)
		}
		want[a.Key] = a
	}
	got := unfinishedWith(t, j, prefix)
	var names []string
	for _, a := range got {
		names = append(names, strings.TrimPrefix(a.Key, prefix))
		if w, ok := want[a.Key]; ok {
			sameAttempt(t, "listed attempt", a, w)
		}
	}
	wantNames := "b-pending c-unknown e-pending g-unknown"
	if strings.Join(names, " ") != wantNames {
		t.Errorf("Unfinished listed %v, want [%s] (pending and unknown, oldest first)", names, wantNames)
	}
}

func testJournalConcurrent(t *testing.T, j travelroam.PurchaseJournal) {
	const workers = 16
	key := uniquePrefix(t) + "order"
	race := func(round string) (winner travelroam.PurchaseAttempt) {
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			wins   []travelroam.PurchaseAttempt
			losers []travelroam.PurchaseAttempt
			start  = make(chan struct{})
		)
		ctx := liveCtx(t)
		for i := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := sampleAttempt(key, now())
				a.BundleName = fmt.Sprintf("bundle-%s-%d", round, i)
				<-start
				earlier, ok, err := j.Begin(ctx, a)
				if err != nil {
					t.Errorf("Begin: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					wins = append(wins, a)
				} else {
					losers = append(losers, earlier)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(wins) != 1 {
			t.Fatalf("%s: %d of %d concurrent Begins of one key succeeded, want exactly 1", round, len(wins), workers)
		}
		for _, e := range losers {
			sameAttempt(t, round+": earlier attempt returned to a loser", e, pending(wins[0]))
		}
		sameAttempt(t, round+": attempt kept", mustGet(t, j, wins[0]), pending(wins[0]))
		return wins[0]
	}
	first := race("first")
	mustFinish(t, j, first, travelroam.OutcomeRefused, "", now())
	race("after-refused")
}

// testJournalTwoTenants: two accounts use one key in one journal. Each
// sees only its own attempt: Begin of one is not refused by the other's
// attempt (even a succeeded one), Get and Finish touch only their own,
// and Unfinished lists both.
func testJournalTwoTenants(t *testing.T, j travelroam.PurchaseJournal) {
	ctx := liveCtx(t)
	key := uniquePrefix(t) + "order 1001"
	a := sampleAttempt(key, now().Add(-time.Minute))
	a.Account = "live:aaaaaaaaaaaaaaaa"
	a.Environment = "live"
	b := sampleAttempt(key, now())
	b.Account = "sandbox:bbbbbbbbbbbbbbbb"
	b.BundleName = "esim_3GB_30D_FR_V2"

	mustBegin(t, j, a)
	at := now()
	mustFinish(t, j, a, travelroam.OutcomeSucceeded, "ref-of-a", at)
	mustBegin(t, j, b) // a's success is not b's
	sameAttempt(t, "account A's attempt", mustGet(t, j, a), finished(a, travelroam.OutcomeSucceeded, "ref-of-a", at))
	sameAttempt(t, "account B's attempt", mustGet(t, j, b), pending(b))

	// B's Begin again is refused by B's own pending attempt, and returns it.
	earlier, ok, err := j.Begin(ctx, sampleAttempt(key, now()))
	if err != nil {
		t.Fatalf("Begin of a third account: %v", err)
	}
	if !ok {
		t.Errorf("Begin of a third account refused by another account's attempt %v", earlier)
	}
	again := b
	again.ID = sampleAttempt(key, now()).ID
	earlier, ok, err = j.Begin(ctx, again)
	if err != nil || ok {
		t.Fatalf("Begin again of account B = %v, %v; want refused", ok, err)
	}
	sameAttempt(t, "earlier attempt returned to account B", earlier, pending(b))

	// Finishing B's attempt leaves A's alone, and an attempt named with
	// A's account and B's ID is not B's.
	cross := b
	cross.Account = a.Account
	if err := j.Finish(ctx, cross, travelroam.OutcomeNotSent, "", now()); !errors.Is(err, travelroam.ErrAttemptSuperseded) {
		t.Errorf("Finish of B's attempt ID under A's account: got %v, want ErrAttemptSuperseded", err)
	}
	bAt := now()
	mustFinish(t, j, b, travelroam.OutcomeUnknown, "", bAt)
	sameAttempt(t, "account A's attempt after B's Finish", mustGet(t, j, a), finished(a, travelroam.OutcomeSucceeded, "ref-of-a", at))

	var accounts []string
	for _, u := range unfinishedWith(t, j, key) {
		accounts = append(accounts, u.Account)
	}
	if want := []string{sampleAccount, b.Account}; strings.Join(accounts, " ") != strings.Join(want, " ") && strings.Join(accounts, " ") != want[1]+" "+want[0] {
		t.Errorf("Unfinished listed the key for accounts %v, want %v (every account's)", accounts, want)
	}
	if _, ok, err := j.Get(ctx, "live:cccccccccccccccc", key); err != nil || ok {
		t.Errorf("Get of the key for an account that never used it = %v, %v; want none", ok, err)
	}
}

// testJournalFenced: after an attempt bought nothing and its key was
// begun again, a Finish naming the first attempt (a stale process, a
// stale listing) changes nothing and says so.
func testJournalFenced(t *testing.T, j travelroam.PurchaseJournal) {
	ctx := liveCtx(t)
	first := sampleAttempt(uniquePrefix(t)+"order", now().Add(-time.Hour))
	mustBegin(t, j, first)
	mustFinish(t, j, first, travelroam.OutcomeNotSent, "", now())
	second := sampleAttempt(first.Key, now())
	mustBegin(t, j, second)
	for _, o := range []travelroam.Outcome{travelroam.OutcomeSucceeded, travelroam.OutcomeNotSent, travelroam.OutcomeUnknown} {
		ref := ""
		if o == travelroam.OutcomeSucceeded {
			ref = "ref-stale"
		}
		if err := j.Finish(ctx, first, o, ref, now()); !errors.Is(err, travelroam.ErrAttemptSuperseded) {
			t.Errorf("Finish(%s) of the superseded attempt: got %v, want ErrAttemptSuperseded", o, err)
		}
	}
	sameAttempt(t, "newer attempt after stale Finishes", mustGet(t, j, second), pending(second))
	at := now()
	mustFinish(t, j, second, travelroam.OutcomeSucceeded, "ref-2", at)
	sameAttempt(t, "newer attempt after its own Finish", mustGet(t, j, second), finished(second, travelroam.OutcomeSucceeded, "ref-2", at))
}

// testJournalCompareAndSet: a Finish that names the outcome it examined
// changes the attempt only while it still has that outcome.
func testJournalCompareAndSet(t *testing.T, j travelroam.PurchaseJournal) {
	ctx := liveCtx(t)
	a := sampleAttempt(uniquePrefix(t)+"order", now().Add(-time.Hour))
	mustBegin(t, j, a)
	unknownAt := now()
	mustFinish(t, j, a, travelroam.OutcomeUnknown, "", unknownAt)

	examinedPending := a
	examinedPending.Outcome = travelroam.OutcomePending
	if err := j.Finish(ctx, examinedPending, travelroam.OutcomeNotSent, "", now()); !errors.Is(err, travelroam.ErrAttemptChanged) {
		t.Errorf("Finish expecting pending of an unknown attempt: got %v, want ErrAttemptChanged", err)
	}
	sameAttempt(t, "attempt after a refused compare-and-set", mustGet(t, j, a), finished(a, travelroam.OutcomeUnknown, "", unknownAt))

	examinedUnknown := a
	examinedUnknown.Outcome = travelroam.OutcomeUnknown
	at := now()
	if err := j.Finish(ctx, examinedUnknown, travelroam.OutcomeSucceeded, "ref-found", at); err != nil {
		t.Fatalf("Finish expecting unknown of an unknown attempt: %v", err)
	}
	sameAttempt(t, "attempt after a compare-and-set", mustGet(t, j, a), finished(a, travelroam.OutcomeSucceeded, "ref-found", at))
	if err := j.Finish(ctx, examinedUnknown, travelroam.OutcomeNotSent, "", now()); !errors.Is(err, travelroam.ErrAttemptChanged) {
		t.Errorf("second Finish expecting unknown: got %v, want ErrAttemptChanged", err)
	}
	sameAttempt(t, "attempt kept", mustGet(t, j, a), finished(a, travelroam.OutcomeSucceeded, "ref-found", at))
}

// testJournalConcurrentResolve: of many concurrent compare-and-set
// Finishes of one unknown attempt, exactly one is applied; the others
// fail with ErrAttemptChanged.
func testJournalConcurrentResolve(t *testing.T, j travelroam.PurchaseJournal) {
	const workers = 16
	a := sampleAttempt(uniquePrefix(t)+"order", now().Add(-time.Hour))
	mustBegin(t, j, a)
	mustFinish(t, j, a, travelroam.OutcomeUnknown, "", now())
	examined := a
	examined.Outcome = travelroam.OutcomeUnknown
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		wins  []string
		start = make(chan struct{})
	)
	ctx := liveCtx(t)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := fmt.Sprintf("ref-%d", i)
			<-start
			err := j.Finish(ctx, examined, travelroam.OutcomeSucceeded, ref, time.Time{})
			switch {
			case err == nil:
				mu.Lock()
				wins = append(wins, ref)
				mu.Unlock()
			case !errors.Is(err, travelroam.ErrAttemptChanged):
				t.Errorf("Finish: %v, want nil or ErrAttemptChanged", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d of %d concurrent compare-and-set Finishes applied (%v), want exactly 1", len(wins), workers, wins)
	}
	if got := mustGet(t, j, a); got.Outcome != travelroam.OutcomeSucceeded || got.Reference != wins[0] {
		t.Errorf("attempt after the race: %s %q, want succeeded %q (the winner's)", got.Outcome, got.Reference, wins[0])
	}
}
