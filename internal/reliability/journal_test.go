package reliability_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// TestS28_TwoTenantsShareAJournal proves G1 for two accounts sharing one
// purchase journal (two API keys of one service, as a multi-tenant
// deployment with one store per service has) and using the same Keys.
//
// 20 Keys, each bought by tenant A then tenant B, then retried by both;
// then 5 more Keys that tenant A buys with an unknown outcome (500 before
// handling: nothing bought), which tenant B lists and tries to resolve.
//
// Pass: 40 orders, one per tenant and Key; each retry is refused with its
// own tenant's reference (never the other's); B lists none of A's
// unknown attempts and cannot resolve them; B buys those Keys for itself.
func TestS28_TwoTenantsShareAJournal(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S28", "G1", "two tenants, one journal, the same 25 Keys (virtual time)")
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		j := travelroam.NewMemoryPurchaseLedger()
		r := newRig(t, rec, rigOptions{Virtual: true, Server: []travelroamtest.Option{travelroamtest.WithAccount("tenant-b-key", "tenant-b-secret"),
			travelroamtest.WithBalance(travelroamtest.Sandbox, 1<<40)}, Client: []travelroam.Option{travelroam.WithPurchaseJournal(j)}})
		b, err := travelroam.NewClient("tenant-b-key", "tenant-b-secret", travelroam.WithBaseURL(r.Srv.URL),
			travelroam.WithHTTPClient(&http.Client{Transport: r.Tr}), travelroam.WithPurchaseJournal(j))
		require.NoError(t, err)
		defer b.CloseIdleConnections()
		a := r.C
		require.NotEqual(t, a.AccountKey(), b.AccountKey())
		refs := map[string]string{} // tenant + Key → reference
		crossed := 0
		for i := range 20 {
			key := fmt.Sprintf("order %d", 1001+i)
			for name, c := range map[string]*travelroam.Client{"A": a, "B": b} {
				o, err := c.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: testBundle, Key: key})
				rec.outcome(err)
				require.NoError(t, err, "%s %s", name, key)
				refs[name+key] = o.Reference
			}
			for name, c := range map[string]*travelroam.Client{"A": a, "B": b} {
				_, err := c.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: testBundle, Key: key})
				rec.outcome(err)
				var ae *travelroam.AlreadyAttemptedError
				require.ErrorAs(t, err, &ae)
				if ae.Attempt.Reference != refs[name+key] {
					crossed++
				}
			}
		}
		require.Zero(t, crossed)
		for i := range 5 {
			key := fmt.Sprintf("order %d", 2001+i)
			r.Srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "Internal Server Error"))
			_, err := a.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: testBundle, Key: key})
			rec.outcome(err)
			require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
		}
		listedByB, err := b.UnfinishedPurchases(t.Context())
		require.NoError(t, err)
		listedByA, err := a.UnfinishedPurchases(t.Context())
		require.NoError(t, err)
		require.Empty(t, listedByB)
		require.Len(t, listedByA, 5)
		refusedResolves := 0
		for _, at := range listedByA {
			err := b.ResolvePurchase(t.Context(), at, travelroam.OutcomeNotSent, "")
			require.ErrorAs(t, err, new(*travelroam.ValidationError))
			refusedResolves++
			_, err = b.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: testBundle, Key: at.Key})
			rec.outcome(err)
			require.NoError(t, err, "A's unknown attempt does not hold B's Key")
		}
		require.Len(t, r.Srv.Orders(), 45)
		rec.addVirtual(time.Since(start))
		rec.note("40 orders for 20 Keys × 2 tenants, 40 retries refused with their own tenant's reference, %d with the other's", crossed)
		rec.note("A's 5 unknown attempts: listed by B 0, resolved by B 0 of %d tried (invalid), B bought those Keys 5 times", refusedResolves)
	})
}

// TestS29_TwoResolversAndARetryInFlight proves G1 for the recovery of
// unknown purchases by two resolvers at once (a person and the recovery
// job, each from their own listing).
//
// 20 Keys are bought with an unknown outcome that bought nothing (500
// before handling). Both resolvers list them. The first resolves each as
// not sent; the application retries all 20 at once (each held a minute by
// the fake; one at a time through the 5 s gate). The second resolver then
// resolves its listing, lists again and tries to resolve what it finds.
//
// Pass: the second resolver's 20 stale attempts are refused as superseded,
// the 20 retries it then finds (in flight, or waiting at the gate) are
// refused as in flight; a third purchase of each Key sends nothing; every
// retry succeeds; 20 orders in the ledger, one per Key.
//
// The Client has a journal and a gate kept apart (as with a Redis gate and
// a PostgreSQL journal), where a retry is recorded before it waits at the
// gate. With a PurchaseLedger (the in-memory default, pgstore, sqlitestore)
// a retry is recorded only once it has the account's turn: none waits
// pending, and the rules checked here apply to the one in flight.
func TestS29_TwoResolversAndARetryInFlight(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S29", "G1", "two resolvers, 20 unknown purchases resolved while their retries are in flight (virtual time)")
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		r := newRig(t, rec, rigOptions{Virtual: true, Client: []travelroam.Option{travelroam.WithPurchaseJournal(travelroam.NewMemoryPurchaseLedger())}})
		c, ctx := r.C, t.Context()
		key := func(i int) string { return fmt.Sprintf("order %d", 7001+i) }
		for i := range 20 {
			r.Srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "Internal Server Error"))
			_, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: testBundle, Key: key(i)})
			rec.outcome(err)
			require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
		}
		require.Empty(t, r.Srv.Orders())
		person, err := c.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		job, err := c.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		require.Len(t, job, 20)
		for _, a := range person {
			err := c.ResolvePurchase(ctx, a, travelroam.OutcomeNotSent, "")
			rec.outcome(err)
			require.NoError(t, err)
		}

		for range 20 {
			r.Srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Latency(time.Minute))
		}
		var wg sync.WaitGroup
		retryErrs := make([]error, 20)
		for i := range 20 {
			wg.Go(func() {
				_, retryErrs[i] = c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: testBundle, Key: key(i)})
			})
		}
		synctest.Wait() // one retry at the fake, the others at the gate

		superseded, inFlight, thirdRefused := 0, 0, 0
		for _, a := range job {
			err := c.ResolvePurchase(ctx, a, travelroam.OutcomeNotSent, "")
			if errors.Is(err, travelroam.ErrAttemptSuperseded) {
				superseded++
				rec.count("superseded")
				continue
			}
			rec.outcome(err)
		}
		again, err := c.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		for _, a := range again {
			err := c.ResolvePurchase(ctx, a, travelroam.OutcomeNotSent, "")
			if errors.Is(err, travelroam.ErrAttemptInFlight) {
				inFlight++
				rec.count("in flight")
				continue
			}
			rec.outcome(err)
		}
		for i := range 20 {
			_, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: testBundle, Key: key(i)})
			rec.outcome(err)
			if errors.As(err, new(*travelroam.AlreadyAttemptedError)) {
				thirdRefused++
			}
		}
		wg.Wait()
		for _, err := range retryErrs {
			rec.outcome(err)
			require.NoError(t, err)
		}
		require.Equal(t, 20, superseded)
		require.Len(t, again, 20)
		require.Equal(t, 20, inFlight)
		require.Equal(t, 20, thirdRefused)
		require.Len(t, r.Srv.Orders(), 20, "one order per Key")
		un, err := c.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		require.Empty(t, un)
		rec.addVirtual(time.Since(start))
		rec.note("second resolver: %d of 20 stale attempts refused as superseded, %d of %d retries found refused as in flight; third purchases refused %d of 20; %d orders for 20 Keys",
			superseded, inFlight, len(again), thirdRefused, len(r.Srv.Orders()))
	})
}
