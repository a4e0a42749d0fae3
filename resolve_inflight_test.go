package travelroam

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// agedJournal records every attempt as begun an hour ago: the attempt
// waited at the purchase gate behind others for longer than the purchase
// lease before its request went out.
type agedJournal struct{ *memoryJournal }

func (j agedJournal) Begin(ctx context.Context, a PurchaseAttempt) (PurchaseAttempt, bool, error) {
	a.StartedAt = time.Now().Add(-time.Hour)
	return j.memoryJournal.Begin(ctx, a)
}

// TestResolvePurchaseWaitsForTheSendInFlight: a pending attempt older
// than the purchase lease may still have its request out (it waited at
// the gate before sending). A recovery job that resolves it as not sent
// while the request is out, and buys the Key again, would buy twice.
// ResolvePurchase of a pending attempt therefore takes the account's turn
// at the purchase gate first: it returns only after the purchase in
// flight has its answer, and the Key, bought, is not bought again. Order
// of events in virtual time.
func TestResolvePurchaseWaitsForTheSendInFlight(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		j := agedJournal{newMemoryJournal()}
		c, mt := newMockClient(t, WithPurchaseJournal(j))
		sent, proceed := make(chan struct{}), make(chan struct{})
		var posts atomic.Int32
		mt.RegisterResponder(http.MethodPost, processOrdersURL, func(*http.Request) (*http.Response, error) {
			if posts.Add(1) == 1 {
				close(sent)
				<-proceed
			}
			return httpmock.NewBytesResponse(200, fixture(t, "order_completed.json")), nil
		})
		ctx := context.Background()
		first := make(chan error, 1)
		go func() {
			_, err := c.ProcessOrder(ctx, OrderRequest{BundleName: testBundle, Key: "order-slow"})
			first <- err
		}()
		<-sent
		un, err := c.UnfinishedPurchases(ctx)
		require.NoError(t, err)
		require.Len(t, un, 1)
		require.Equal(t, OutcomePending, un[0].Outcome)

		resolved := make(chan error, 1)
		go func() { resolved <- c.ResolvePurchase(ctx, un[0], OutcomeNotSent, "") }()
		synctest.Wait()
		select {
		case err := <-resolved:
			t.Fatalf("ResolvePurchase returned (%v) while the purchase's request was out", err)
		default:
		}
		close(proceed)
		require.NoError(t, <-first)
		<-resolved // whatever it says, the journal must hold the purchase as bought

		_, err = c.ProcessOrder(ctx, OrderRequest{BundleName: testBundle, Key: "order-slow"})
		var ae *AlreadyAttemptedError
		require.ErrorAs(t, err, &ae, "the Key was bought: not bought again")
		require.Equal(t, OutcomeSucceeded, ae.Attempt.Outcome)
		require.Equal(t, int32(1), posts.Load())
	})
}
