package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/pgstore"
	"github.com/roamkit/travelroam/travelroamtest"
)

// postgresURL is the PostgreSQL of scripts/services.sh. Without it the
// test fails in CI (a missing server is a failure, never a skip) and is
// skipped elsewhere.
func postgresURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("TRAVELROAM_TEST_POSTGRES_URL")
	if url == "" {
		msg := "TRAVELROAM_TEST_POSTGRES_URL is not set: run `scripts/services.sh start` and `eval \"$(scripts/services.sh env)\"` at the repository's root"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return url
}

// TestRun: two replicas buy 6 shop orders, 3 of them delivered to both:
// 6 orders, 3 refusals without sending, 1 s apart; the usage callbacks
// delivered twice are processed once each.
func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"-postgres", postgresURL(t), "-orders", "6"}, &out))
	got := out.String()
	require.Equal(t, 6, strings.Count(got, ": bought, order reference "), got)
	require.Equal(t, 3, strings.Count(got, ": not sent again: already "), got)
	require.Contains(t, got, "Fake Travel Roam ledger: 6 orders for 6 shop orders; 6 purchase requests, at least ")
	gap := regexp.MustCompile(`at least ([0-9.]+m?s) apart`).FindStringSubmatch(got)
	require.NotNil(t, gap, got)
	d, err := time.ParseDuration(gap[1])
	require.NoError(t, err)
	require.GreaterOrEqual(t, d, time.Second-time.Millisecond)
	require.Contains(t, got, "Callbacks: 4 deliveries, 2 events processed.")
}

// TestRecoverPurchases: the recovery job resolves a top-up attempt whose
// order is on its eSIM, in its time window, with that order's reference;
// leaves for a person a top-up attempt that bought nothing although
// another purchase put the same bundle on the same eSIM later (crediting
// it would mark that attempt's customer fulfilled by someone else's
// order), and a new eSIM (showing only the ICCID's last digits); and
// does not touch an attempt younger than minAge.
func TestRecoverPurchases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, postgresURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	store, err := pgstore.New(ctx, pool)
	require.NoError(t, err)
	var (
		mu       sync.Mutex
		fakeTime time.Time
	)
	setFakeTime := func(t time.Time) { mu.Lock(); fakeTime = t; mu.Unlock() }
	now := time.Now()
	setFakeTime(now.Add(-2 * time.Hour))
	fake := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0),
		travelroamtest.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return fakeTime }))
	t.Cleanup(fake.Close)
	c, err := newReplica(fake, store, 0)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	bundle := pickBundle(fake)
	prefix := "recovery-test-" + now.Format("150405.000000") + "-"

	order, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, Key: prefix + "esim"})
	require.NoError(t, err)
	iccid := travelroam.ICCID(fake.Orders()[0].ICCID)
	// Another system buying with the same API key, outside the journal.
	other, err := travelroam.NewClient(fake.APIKey, fake.ClientSecret, travelroam.WithBaseURL(fake.URL),
		travelroam.WithHTTPClient(fake.Client()), travelroam.WithPurchaseInterval(0))
	require.NoError(t, err)
	t.Cleanup(other.CloseIdleConnections)

	j := store.Journal()
	begin := func(a travelroam.PurchaseAttempt) {
		a.Account, a.Environment, a.ID = c.AccountKey(), "sandbox", a.Key
		_, ok, err := j.Begin(ctx, a)
		require.NoError(t, err)
		require.True(t, ok)
	}
	// A top-up whose process died after Travel Roam applied it: pending in
	// the journal, its order on the eSIM a second after it started.
	boughtAt := now.Add(-90 * time.Minute)
	begin(travelroam.PurchaseAttempt{Key: prefix + "bought", BundleName: bundle, ICCID: iccid, StartedAt: boughtAt})
	setFakeTime(boughtAt.Add(time.Second))
	topUp, err := other.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, ICCID: iccid})
	require.NoError(t, err)
	// A top-up of the same bundle on the same eSIM that bought nothing;
	// half an hour later, another purchase applies that bundle again.
	begin(travelroam.PurchaseAttempt{Key: prefix + "nothing", BundleName: bundle, ICCID: iccid, StartedAt: now.Add(-60 * time.Minute)})
	setFakeTime(now.Add(-30 * time.Minute))
	_, err = other.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, ICCID: iccid})
	require.NoError(t, err)
	begin(travelroam.PurchaseAttempt{Key: prefix + "new", BundleName: bundle, StartedAt: now.Add(-time.Hour)})
	begin(travelroam.PurchaseAttempt{Key: prefix + "young", BundleName: bundle, ICCID: iccid})

	var buf bytes.Buffer
	resolved, left, err := recoverPurchases(context.Background(), c, 10*time.Minute, &printer{w: &buf})
	require.NoError(t, err)
	require.Equal(t, 1, resolved, buf.String())
	require.Equal(t, 2, left, buf.String())
	require.Contains(t, buf.String(), prefix+"new")
	require.Contains(t, buf.String(), prefix+"nothing")
	require.NotContains(t, buf.String(), iccid)
	for key, want := range map[string]travelroam.Outcome{
		"bought": travelroam.OutcomeSucceeded, "nothing": travelroam.OutcomePending, "new": travelroam.OutcomePending,
		"young": travelroam.OutcomePending, "esim": travelroam.OutcomeSucceeded,
	} {
		a, ok, err := j.Get(ctx, c.AccountKey(), prefix+key)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, want, a.Outcome, key)
	}
	a, _, _ := j.Get(ctx, c.AccountKey(), prefix+"esim")
	require.Equal(t, order.Reference, a.Reference)
	a, _, _ = j.Get(ctx, c.AccountKey(), prefix+"bought")
	require.Equal(t, topUp.Reference, a.Reference, "the order's reference, not an assignment's")
}

func TestOptions(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-postgres", ""}, {"-postgres", "x", "-orders", "0"}, {"-postgres", "x", "extra"}} {
		_, err := parseOptions(args, new(bytes.Buffer))
		require.Error(t, err, "%q", args)
	}
}
