package travelroam_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest/storetest"
)

func TestMemoryDeduperConformance(t *testing.T) {
	t.Parallel()
	// The in-memory deduper does not expire reservations (they die with the
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
	outs = append(outs, fmt.Sprint(a), fmt.Sprintln(a), a.String(), a.GoString())
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
	require.Contains(t, text.String(), "attempt.iccid=…4826")
	require.Contains(t, a.String(), `purchase "order-1"`)
	require.Contains(t, a.String(), "succeeded, order reference ref-42")
}

func TestAlreadyAttemptedError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		outcome travelroam.Outcome
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
	for o, may := range map[travelroam.Outcome]bool{
		travelroam.OutcomePending: true, travelroam.OutcomeUnknown: true, travelroam.OutcomeSucceeded: true,
		travelroam.OutcomeRefused: false, travelroam.OutcomeNotSent: false,
	} {
		require.True(t, o.Valid(), o)
		require.Equal(t, may, o.MayHaveBought(), o)
	}
	require.False(t, travelroam.Outcome("").Valid())
	require.False(t, travelroam.Outcome("bought").Valid())
}

// BenchmarkMemoryPurchaseJournal measures one Begin and Finish of a new
// key, the journal's cost per purchase.
func BenchmarkMemoryPurchaseJournal(b *testing.B) {
	j := travelroam.NewMemoryPurchaseLedger()
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
