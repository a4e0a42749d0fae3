package travelroam_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest/storetest"
)

func TestMemoryPurchaseJournalConformance(t *testing.T) {
	t.Parallel()
	storetest.TestPurchaseJournal(t, func(*testing.T) travelroam.PurchaseJournal { return travelroam.NewMemoryPurchaseJournal() })
}

func TestMemoryDeduperConformance(t *testing.T) {
	t.Parallel()
	// MemoryDeduper does not expire reservations (they die with the
	// process), so it is not run through storetest.TestDeduperExpiry.
	storetest.TestDeduper(t, func(*testing.T) travelroam.Deduper { return travelroam.NewMemoryDeduper(0, 0) })
}

const journalICCID = "8944500102198304826"

func journalAttempt(key string) travelroam.PurchaseAttempt {
	return travelroam.PurchaseAttempt{
		Key: key, Account: "live:5f2b", BundleName: "esim_1GB_7D_GB_V2", ICCID: journalICCID,
		Environment: travelroam.Live, StartedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Outcome: travelroam.OutcomeSucceeded, Reference: "ref-42",
		FinishedAt: time.Date(2026, 12, 1, 10, 0, 3, 0, time.UTC),
	}
}

func TestPurchaseAttemptPrintsNoICCID(t *testing.T) {
	t.Parallel()
	a := journalAttempt("order-1")
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outs = append(outs, fmt.Sprintf(verb, a), fmt.Sprintf(verb, &a), fmt.Sprintf(verb, []travelroam.PurchaseAttempt{a}))
	}
	outs = append(outs, fmt.Sprint(a), fmt.Sprintln(a), fmt.Sprintf("%v", a.ICCID))
	outs = append(outs, fmt.Sprintf("%+v", struct{ A travelroam.PurchaseAttempt }{a}))
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("attempt", "attempt", a, "ptr", &a)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("attempt", "attempt", a)
	outs = append(outs, text.String(), js.String())
	err := &travelroam.AlreadyAttemptedError{Attempt: a}
	outs = append(outs, err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err),
		fmt.Errorf("buy: %w", err).Error())
	for _, out := range outs {
		require.NotContains(t, out, journalICCID[:15], "full ICCID printed")
		require.Contains(t, out, "4826", "the last four digits identify the eSIM")
	}
	require.Contains(t, text.String(), "ICCID:…4826")
	require.Contains(t, js.String(), `"ICCID":"…4826"`)
	require.Contains(t, fmt.Sprint(a), "order-1")
	require.Contains(t, fmt.Sprint(a), "ref-42")
}

func TestAlreadyAttemptedError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		outcome travelroam.PurchaseOutcome
		want    string
	}{
		{travelroam.OutcomeSucceeded, "it succeeded with order reference ref-42 (nothing sent; do not buy again)"},
		{travelroam.OutcomePending, "it never finished and may have bought (nothing sent; check before buying, then record the outcome)"},
		{travelroam.OutcomeUnknown, "outcome unknown, it may have bought (nothing sent; check before buying, then record the outcome)"},
	} {
		a := journalAttempt("order-1")
		a.Outcome = tc.outcome
		var err error = fmt.Errorf("process order: %w", &travelroam.AlreadyAttemptedError{Attempt: a})
		require.ErrorIs(t, err, travelroam.ErrAlreadyAttempted)
		require.False(t, errors.Is(err, travelroam.ErrOutcomeUnknown))
		var aae *travelroam.AlreadyAttemptedError
		require.ErrorAs(t, err, &aae)
		require.Equal(t, a, aae.Attempt)
		require.Equal(t, `process order: travelroam: purchase "order-1" already attempted at 2026-12-01T10:00:00Z for bundle esim_1GB_7D_GB_V2 on eSIM …4826: `+tc.want, err.Error())
	}
}

func TestPurchaseOutcome(t *testing.T) {
	t.Parallel()
	for o, may := range map[travelroam.PurchaseOutcome]bool{
		travelroam.OutcomePending: true, travelroam.OutcomeUnknown: true, travelroam.OutcomeSucceeded: true,
		travelroam.OutcomeRefused: false, travelroam.OutcomeNotSent: false,
	} {
		require.True(t, o.Valid(), o)
		require.Equal(t, may, o.MayHaveBought(), o)
	}
	require.False(t, travelroam.PurchaseOutcome("").Valid())
	require.False(t, travelroam.PurchaseOutcome("bought").Valid())
}

func TestMemoryPurchaseJournalEmptyKey(t *testing.T) {
	t.Parallel()
	j := travelroam.NewMemoryPurchaseJournal()
	_, ok, err := j.Begin(context.Background(), travelroam.PurchaseAttempt{BundleName: "b"})
	require.Error(t, err)
	require.False(t, ok)
	_, ok, err = j.Begin(context.Background(), travelroam.PurchaseAttempt{Key: "k", BundleName: "b"})
	require.Error(t, err, "no attempt ID")
	require.False(t, ok)
	require.Error(t, j.Finish(context.Background(), travelroam.PurchaseAttempt{ID: "i"}, travelroam.OutcomeSucceeded, "r", time.Time{}))
	require.Zero(t, j.Len())
}

// TestMemoryPurchaseJournalRetention: finished attempts are forgotten
// DefaultJournalRetention after their outcome; pending and unknown ones
// never; an attempt finished again or begun again keeps its new life.
func TestMemoryPurchaseJournalRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		j := travelroam.NewMemoryPurchaseJournal()
		begin := func(key string) {
			_, ok, err := j.Begin(ctx, travelroam.PurchaseAttempt{Key: key, ID: key, BundleName: "b"})
			require.NoError(t, err)
			require.True(t, ok, key)
		}
		for _, k := range []string{"succeeded", "refused", "unknown", "pending", "refinished", "rebegun"} {
			begin(k)
		}
		require.NoError(t, j.Finish(ctx, travelroam.PurchaseAttempt{Key: "succeeded", ID: "succeeded"}, travelroam.OutcomeSucceeded, "r1", time.Time{}))
		require.NoError(t, j.Finish(ctx, travelroam.PurchaseAttempt{Key: "refused", ID: "refused"}, travelroam.OutcomeRefused, "", time.Time{}))
		require.NoError(t, j.Finish(ctx, travelroam.PurchaseAttempt{Key: "unknown", ID: "unknown"}, travelroam.OutcomeUnknown, "", time.Time{}))
		require.NoError(t, j.Finish(ctx, travelroam.PurchaseAttempt{Key: "refinished", ID: "refinished"}, travelroam.OutcomeUnknown, "", time.Time{}))
		require.NoError(t, j.Finish(ctx, travelroam.PurchaseAttempt{Key: "rebegun", ID: "rebegun"}, travelroam.OutcomeNotSent, "", time.Time{}))

		time.Sleep(travelroam.DefaultJournalRetention / 2)
		require.NoError(t, j.Finish(ctx, travelroam.PurchaseAttempt{Key: "refinished", ID: "refinished"}, travelroam.OutcomeSucceeded, "r2", time.Time{}))
		begin("rebegun")
		time.Sleep(travelroam.DefaultJournalRetention/2 - time.Nanosecond)
		require.Equal(t, 6, j.Len(), "nothing is forgotten before its retention")
		time.Sleep(time.Nanosecond)
		require.Equal(t, 4, j.Len())
		for key, kept := range map[string]bool{"succeeded": false, "refused": false, "unknown": true, "pending": true, "refinished": true, "rebegun": true} {
			_, ok, err := j.Get(ctx, "", key)
			require.NoError(t, err)
			require.Equal(t, kept, ok, key)
		}
		time.Sleep(travelroam.DefaultJournalRetention / 2)
		_, ok, _ := j.Get(ctx, "", "refinished")
		require.False(t, ok, "forgotten a retention after its last outcome")
		un, err := j.Unfinished(ctx)
		require.NoError(t, err)
		var keys []string
		for _, a := range un {
			keys = append(keys, a.Key)
		}
		require.ElementsMatch(t, []string{"unknown", "pending", "rebegun"}, keys)
	})
}

// BenchmarkMemoryPurchaseJournal measures one Begin and Finish of a new
// key, the journal's cost per purchase.
func BenchmarkMemoryPurchaseJournal(b *testing.B) {
	j := travelroam.NewMemoryPurchaseJournal()
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		key := "order-" + strconv.Itoa(i)
		a := travelroam.PurchaseAttempt{Key: key, ID: key, Account: "sandbox:0123456789abcdef", BundleName: "b", Environment: travelroam.Sandbox}
		if _, ok, err := j.Begin(ctx, a); err != nil || !ok {
			b.Fatal(ok, err)
		}
		if err := j.Finish(ctx, a, travelroam.OutcomeSucceeded, "ref", time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
