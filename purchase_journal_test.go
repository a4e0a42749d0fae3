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
	"github.com/roamkit/travelroam/travelroamtest"
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
		Environment: "live", StartedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
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
		require.ErrorAs(t, err, new(*travelroam.AlreadyAttemptedError))
		require.False(t, errors.As(err, new(*travelroam.OutcomeUnknownError)))
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
	// The outcomes of calls only: never recorded by a journal.
	for _, o := range []travelroam.Outcome{travelroam.OutcomeFailed, travelroam.OutcomeCanceled, travelroam.OutcomeAlreadyAttempted} {
		require.False(t, o.Valid(), o)
		require.False(t, o.MayHaveBought(), o)
	}
	// Stores persist the values, and observers export them: they never change.
	require.Equal(t, map[travelroam.Outcome]string{
		travelroam.OutcomePending: "pending", travelroam.OutcomeSucceeded: "succeeded", travelroam.OutcomeRefused: "refused",
		travelroam.OutcomeNotSent: "not_sent", travelroam.OutcomeUnknown: "unknown", travelroam.OutcomeFailed: "failed",
		travelroam.OutcomeCanceled: "canceled", travelroam.OutcomeAlreadyAttempted: "already_attempted",
	}, map[travelroam.Outcome]string{
		travelroam.OutcomePending: string(travelroam.OutcomePending), travelroam.OutcomeSucceeded: string(travelroam.OutcomeSucceeded),
		travelroam.OutcomeRefused: string(travelroam.OutcomeRefused), travelroam.OutcomeNotSent: string(travelroam.OutcomeNotSent),
		travelroam.OutcomeUnknown: string(travelroam.OutcomeUnknown), travelroam.OutcomeFailed: string(travelroam.OutcomeFailed),
		travelroam.OutcomeCanceled: string(travelroam.OutcomeCanceled), travelroam.OutcomeAlreadyAttempted: string(travelroam.OutcomeAlreadyAttempted),
	})
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
		a := travelroam.PurchaseAttempt{Key: key, ID: key, Account: "sandbox:0123456789abcdef", BundleName: "b", Environment: "sandbox"}
		if _, ok, err := j.Begin(ctx, a); err != nil || !ok {
			b.Fatal(ok, err)
		}
		if err := j.Finish(ctx, a, travelroam.OutcomeSucceeded, "ref", time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

// fakeClient returns a Client of srv (in a synctest bubble: an in-memory
// fake) recording in j, with another API key when apiKey is set.
func fakeClient(t *testing.T, srv *travelroamtest.Server, j travelroam.PurchaseJournal, opts ...travelroam.Option) *travelroam.Client {
	t.Helper()
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, append([]travelroam.Option{travelroam.WithBaseURL(srv.URL),
		travelroam.WithHTTPClient(srv.Client()), travelroam.WithPurchaseInterval(0), travelroam.WithPurchaseJournal(j)}, opts...)...)
	require.NoError(t, err)
	return c
}

// TestJournalTwoTenants: the sandbox and live sides of one service share
// a journal and both use the Key "order 1001". Each buys: the live side's
// success is not the sandbox side's (before, the sandbox purchase was not
// sent and came back as "already attempted" with the live order's
// reference). Neither lists nor resolves the other's attempts.
func TestJournalTwoTenants(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(), travelroamtest.WithAssignmentDelay(0))
		defer srv.Close()
		bundle := srv.Bundles()[0].Name
		j := travelroam.NewMemoryPurchaseLedger()
		live := fakeClient(t, srv, j, travelroam.WithBaseURL(srv.EnvURL(travelroamtest.Live)))
		sandbox := fakeClient(t, srv, j, travelroam.WithBaseURL(srv.EnvURL(travelroamtest.Sandbox)))
		require.NotEqual(t, live.AccountKey(), sandbox.AccountKey())
		ctx := t.Context()

		liveOrder, err := live.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, Key: "order 1001"})
		require.NoError(t, err)
		sandboxOrder, err := sandbox.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, Key: "order 1001"})
		require.NoError(t, err, "the live side's attempt is not the sandbox side's")
		require.NotEqual(t, liveOrder.Reference, sandboxOrder.Reference)
		require.Len(t, srv.Orders(), 2)

		// Each side's retry is refused by its own attempt, with its own reference.
		_, err = sandbox.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, Key: "order 1001"})
		var ae *travelroam.AlreadyAttemptedError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, sandboxOrder.Reference, ae.Attempt.Reference)
		require.Equal(t, sandbox.AccountKey(), ae.Attempt.Account)

		// An unknown outcome on the live side: the sandbox side neither
		// lists nor resolves it.
		srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "Internal error"))
		_, err = live.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, Key: "order 1002"})
		require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
		un, err := sandbox.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		require.Empty(t, un)
		un, err = live.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		require.Len(t, un, 1)
		require.ErrorAs(t, sandbox.ResolvePurchase(ctx, un[0], travelroam.OutcomeNotSent, ""), new(*travelroam.ValidationError))
		all, err := j.Unfinished(ctx)
		require.NoError(t, err)
		require.Len(t, all, 1, "the journal's own list holds every account's")
		_, err = sandbox.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, Key: "order 1002"})
		require.NoError(t, err, "the live side's unknown attempt does not block the sandbox side's Key")
	})
}

// TestResolvePurchaseTwoResolvers: a person and the recovery job both
// list an unknown attempt that bought nothing. The first resolves it as
// not sent; the application retries the Key, and the retry is in flight
// when the second resolver acts: its stale attempt is superseded, and the
// in-flight retry it then finds is too young to resolve. The Key is
// bought once.
func TestResolvePurchaseTwoResolvers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(), travelroamtest.WithAssignmentDelay(0))
		defer srv.Close()
		bundle := srv.Bundles()[0].Name
		j := travelroam.NewMemoryPurchaseLedger()
		c := fakeClient(t, srv, j)
		ctx := t.Context()
		req := travelroam.OrderRequest{BundleName: bundle, Key: "order 7"}

		srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "Internal error")) // nothing bought
		_, err := c.ProcessOrder(ctx, req)
		require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
		person, err := c.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		job, err := c.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		require.Len(t, person, 1)
		require.Equal(t, person, job)

		require.NoError(t, c.ResolvePurchase(ctx, person[0], travelroam.OutcomeNotSent, ""))

		// The retry, held a minute before the fake handles it.
		srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Latency(time.Minute))
		retried := make(chan error, 1)
		go func() {
			_, err := c.ProcessOrder(ctx, req)
			retried <- err
		}()
		synctest.Wait() // the retry is out

		err = c.ResolvePurchase(ctx, job[0], travelroam.OutcomeNotSent, "")
		require.ErrorIs(t, err, travelroam.ErrAttemptSuperseded, "the second resolver's attempt is gone")
		again, err := c.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		require.Len(t, again, 1)
		require.NotEqual(t, job[0].ID, again[0].ID)
		require.Equal(t, travelroam.OutcomePending, again[0].Outcome)
		require.ErrorIs(t, c.ResolvePurchase(ctx, again[0], travelroam.OutcomeNotSent, ""), travelroam.ErrAttemptInFlight)

		_, err = c.ProcessOrder(ctx, req)
		require.ErrorAs(t, err, new(*travelroam.AlreadyAttemptedError), "the retry in flight holds the Key")
		require.NoError(t, <-retried)
		require.Len(t, srv.Orders(), 1, "one order for the Key")
		a, ok, err := j.Get(ctx, c.AccountKey(), req.Key)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, travelroam.OutcomeSucceeded, a.Outcome)
		require.Equal(t, srv.Orders()[0].Reference, a.Reference)
	})
}

// TestResolvePurchaseLease: a pending attempt (its process died before
// finishing) cannot be resolved until it is older than the Client's
// purchase lease (90 s write timeout + 30 s); an unknown attempt can be at
// once. Virtual time.
func TestResolvePurchaseLease(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork())
		defer srv.Close()
		j := travelroam.NewMemoryPurchaseLedger()
		c := fakeClient(t, srv, j)
		ctx := t.Context()
		for _, k := range []string{"pending", "unknown"} {
			a := travelroam.PurchaseAttempt{Key: k, ID: k + "-1", Account: c.AccountKey(), BundleName: "b"}
			_, ok, err := j.Begin(ctx, a)
			require.NoError(t, err)
			require.True(t, ok)
			if k == "unknown" {
				require.NoError(t, j.Finish(ctx, a, travelroam.OutcomeUnknown, "", time.Time{}))
			}
		}
		un, err := c.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		require.Len(t, un, 2)
		pending, unknown := un[0], un[1]
		require.Equal(t, "pending", pending.Key)

		time.Sleep(2*time.Minute - time.Nanosecond)
		err = c.ResolvePurchase(ctx, pending, travelroam.OutcomeNotSent, "")
		require.ErrorIs(t, err, travelroam.ErrAttemptInFlight)
		require.False(t, errors.As(err, new(*travelroam.ValidationError)))
		require.NoError(t, c.ResolvePurchase(ctx, unknown, travelroam.OutcomeNotSent, ""), "an unknown attempt has finished")
		time.Sleep(time.Nanosecond)
		require.NoError(t, c.ResolvePurchase(ctx, pending, travelroam.OutcomeNotSent, ""))
		un, err = c.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		require.Empty(t, un)
	})
}

// TestProcessOrderTopUpAnsweredWithApplyReference: against the fake
// answering top-ups the eSIM Go way (applyReference, no orderReference),
// a top-up is a paid success whose reference is the apply reference; the
// journal records it as succeeded and its assignments are found under
// it. Before, it was an *OutcomeUnknownError, journaled as unknown.
func TestProcessOrderTopUpAnsweredWithApplyReference(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(), travelroamtest.WithAssignmentDelay(0),
			travelroamtest.WithOrderAnswer(travelroamtest.OrderAnswerApplyReference))
		defer srv.Close()
		bundle := srv.Bundles()[0].Name
		j := travelroam.NewMemoryPurchaseLedger()
		c := fakeClient(t, srv, j)
		ctx := t.Context()
		esim, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, Key: "new eSIM"})
		require.NoError(t, err)
		iccid := srv.Orders()[0].ICCID
		topUp, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, ICCID: travelroam.ICCID(iccid), Key: "top-up"})
		require.NoError(t, err)
		require.Equal(t, srv.Orders()[1].Reference, topUp.Reference)
		require.NotEqual(t, esim.Reference, topUp.Reference)
		require.Contains(t, string(topUp.Raw), `"applyReference"`)
		require.NotContains(t, string(topUp.Raw), `"orderReference"`)
		a, ok, err := j.Get(ctx, c.AccountKey(), "top-up")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, travelroam.OutcomeSucceeded, a.Outcome)
		require.Equal(t, topUp.Reference, a.Reference)
		as, err := c.Assignments(ctx, topUp.Reference)
		require.NoError(t, err)
		require.Len(t, as, 1)
		require.Equal(t, iccid, string(as[0].ICCID))
	})
}

// heldGate lets a purchase through only when open is closed.
type heldGate struct{ open chan struct{} }

type noPermit struct{}

func (noPermit) Release(context.Context) error { return nil }

func (g heldGate) Acquire(ctx context.Context, _ string, _, _ time.Duration) (travelroam.Permit, error) {
	select {
	case <-g.open:
		return noPermit{}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestProcessOrderResolvedWhileWaitingForTheGate: a purchase waits at the
// gate behind others for longer than the lease; meanwhile a resolver
// marks its attempt as not sent and the Key is begun again by another
// process. Once through the gate the purchase sends nothing: its attempt
// is no longer its own. Virtual time.
func TestProcessOrderResolvedWhileWaitingForTheGate(t *testing.T) {
	t.Parallel()
	for _, begunAgain := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork())
			defer srv.Close()
			bundle := srv.Bundles()[0].Name
			j := travelroam.NewMemoryPurchaseLedger()
			gate := heldGate{open: make(chan struct{})}
			c := fakeClient(t, srv, j, travelroam.WithPurchaseGate(gate))
			ctx := t.Context()
			done := make(chan error, 1)
			go func() {
				_, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: bundle, Key: "order 9"})
				done <- err
			}()
			time.Sleep(10 * time.Minute) // waiting at the gate
			un, err := c.UnfinishedPurchases(ctx)
			require.NoError(t, err)
			require.Len(t, un, 1)
			// The recovery job's Client does not share the held gate:
			// ResolvePurchase would otherwise wait for the account's turn
			// (TestResolvePurchaseWaitsForTheSendInFlight); what is tested
			// here is the purchase's own re-check once through the gate.
			resolver := fakeClient(t, srv, j)
			require.NoError(t, resolver.ResolvePurchase(ctx, un[0], travelroam.OutcomeNotSent, ""))
			newer := travelroam.PurchaseAttempt{Key: "order 9", Account: c.AccountKey(), ID: "another process", BundleName: bundle}
			if begunAgain {
				_, ok, err := j.Begin(ctx, newer)
				require.NoError(t, err)
				require.True(t, ok)
			}
			close(gate.open)
			err = <-done
			if begunAgain {
				var ae *travelroam.AlreadyAttemptedError
				require.ErrorAs(t, err, &ae)
				require.Equal(t, "another process", ae.Attempt.ID)
			} else {
				require.ErrorIs(t, err, travelroam.ErrNotSent)
			}
			require.Empty(t, srv.Orders(), "nothing sent")
			a, ok, err := j.Get(ctx, c.AccountKey(), "order 9")
			require.NoError(t, err)
			require.True(t, ok)
			if begunAgain {
				require.Equal(t, travelroam.OutcomePending, a.Outcome, "the newer attempt is left alone")
				require.Equal(t, "another process", a.ID)
			} else {
				require.Equal(t, travelroam.OutcomeNotSent, a.Outcome)
			}
		})
	}
}
