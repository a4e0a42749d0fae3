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

func TestMemoryPurchaseJournalEmptyKey(t *testing.T) {
	t.Parallel()
	j := newMemoryJournal()
	_, ok, err := j.Begin(context.Background(), PurchaseAttempt{BundleName: "b"})
	require.Error(t, err)
	require.False(t, ok)
	_, ok, err = j.Begin(context.Background(), PurchaseAttempt{Key: "k", BundleName: "b"})
	require.Error(t, err, "no attempt ID")
	require.False(t, ok)
	require.Error(t, j.Finish(context.Background(), PurchaseAttempt{ID: "i"}, OutcomeSucceeded, "r", time.Time{}))
	require.Zero(t, j.Len())
}

// TestMemoryPurchaseJournalRetention: finished attempts are forgotten
// defaultJournalRetention (7 days) after their outcome; pending and unknown ones
// never; an attempt finished again or begun again keeps its new life.
func TestMemoryPurchaseJournalRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		j := newMemoryJournal()
		begin := func(key string) {
			_, ok, err := j.Begin(ctx, PurchaseAttempt{Key: key, ID: key, BundleName: "b"})
			require.NoError(t, err)
			require.True(t, ok, key)
		}
		for _, k := range []string{"succeeded", "refused", "unknown", "pending", "refinished", "rebegun"} {
			begin(k)
		}
		require.NoError(t, j.Finish(ctx, PurchaseAttempt{Key: "succeeded", ID: "succeeded"}, OutcomeSucceeded, "r1", time.Time{}))
		require.NoError(t, j.Finish(ctx, PurchaseAttempt{Key: "refused", ID: "refused"}, OutcomeRefused, "", time.Time{}))
		require.NoError(t, j.Finish(ctx, PurchaseAttempt{Key: "unknown", ID: "unknown"}, OutcomeUnknown, "", time.Time{}))
		require.NoError(t, j.Finish(ctx, PurchaseAttempt{Key: "refinished", ID: "refinished"}, OutcomeUnknown, "", time.Time{}))
		require.NoError(t, j.Finish(ctx, PurchaseAttempt{Key: "rebegun", ID: "rebegun"}, OutcomeNotSent, "", time.Time{}))

		time.Sleep(defaultJournalRetention / 2)
		require.NoError(t, j.Finish(ctx, PurchaseAttempt{Key: "refinished", ID: "refinished"}, OutcomeSucceeded, "r2", time.Time{}))
		begin("rebegun")
		time.Sleep(defaultJournalRetention/2 - time.Nanosecond)
		require.Equal(t, 6, j.Len(), "nothing is forgotten before its retention")
		time.Sleep(time.Nanosecond)
		require.Equal(t, 4, j.Len())
		for key, kept := range map[string]bool{"succeeded": false, "refused": false, "unknown": true, "pending": true, "refinished": true, "rebegun": true} {
			_, ok, err := j.Get(ctx, "", key)
			require.NoError(t, err)
			require.Equal(t, kept, ok, key)
		}
		time.Sleep(defaultJournalRetention / 2)
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

// hookedLedger is the memory ledger with every attempt recorded as begun
// an hour ago (older than the purchase lease, so that a resolver may take
// it) and a hook run once, in the purchase's goroutine, right after the
// account's turn is freed (after ReleaseFinish with the ledger, after the
// permit's Release with a separate gate).
type hookedLedger struct {
	*memoryLedger
	after func()
}

func (h *hookedLedger) fire() {
	if f := h.after; f != nil {
		h.after = nil
		f()
	}
}

func (h *hookedLedger) Begin(ctx context.Context, a PurchaseAttempt) (PurchaseAttempt, bool, error) {
	a.StartedAt = time.Now().Add(-time.Hour)
	return h.memoryLedger.Begin(ctx, a)
}

func (h *hookedLedger) BeginAcquire(ctx context.Context, a PurchaseAttempt, interval, lease time.Duration) (PurchaseAttempt, LedgerPermit, error) {
	a.StartedAt = time.Now().Add(-time.Hour)
	earlier, p, err := h.memoryLedger.BeginAcquire(ctx, a, interval, lease)
	if p != nil {
		p = hookedLedgerPermit{p, h}
	}
	return earlier, p, err
}

func (h *hookedLedger) Acquire(ctx context.Context, key string, interval, lease time.Duration) (Permit, error) {
	p, err := h.memoryLedger.Acquire(ctx, key, interval, lease)
	if p != nil {
		p = hookedPermit{p, h}
	}
	return p, err
}

type hookedLedgerPermit struct {
	LedgerPermit
	h *hookedLedger
}

func (p hookedLedgerPermit) ReleaseFinish(ctx context.Context, o Outcome, ref string) error {
	err := p.LedgerPermit.ReleaseFinish(ctx, o, ref)
	p.h.fire()
	return err
}

type hookedPermit struct {
	Permit
	h *hookedLedger
}

func (p hookedPermit) Release(ctx context.Context) error {
	err := p.Permit.Release(ctx)
	p.h.fire()
	return err
}

// gateOnly hides that its gate is also a journal: given with
// WithPurchaseGate beside the same store's WithPurchaseJournal, the
// Client keeps them apart.
type gateOnly struct{ PurchaseGate }

// TestLedgerNoWindowBetweenReleaseAndFinish: the last review left a
// window in which the account's turn was free and the purchase's attempt
// still pending (its outcome recorded just after). A resolver that took
// the turn in that instant recorded "not sent" for a purchase that had
// bought, and the Key could be bought again. With a ledger the turn is
// freed in the transaction that records the outcome: the resolver finds
// the purchase succeeded (ErrAttemptChanged) and a new purchase of the
// Key is refused. Order of events in virtual time. With a separate
// journal and gate (the "split" case, the only one before the ledger)
// the resolver records "not sent" and the Key is bought twice: that case
// is run and its double purchase is asserted, so that the test keeps
// showing what the ledger closes.
func TestLedgerNoWindowBetweenReleaseAndFinish(t *testing.T) {
	t.Parallel()
	for _, split := range []bool{false, true} {
		name := "ledger"
		if split {
			name = "split"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := &hookedLedger{memoryLedger: newMemoryLedger()}
				opts := []Option{WithPurchaseLedger(h)}
				if split {
					opts = []Option{WithPurchaseJournal(h), WithPurchaseGate(gateOnly{h})}
				}
				c, mt := newMockClient(t, opts...)
				require.Equal(t, !split, c.ledger != nil)
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
					_, err := c.ProcessOrder(ctx, OrderRequest{BundleName: testBundle, Key: "order-window"})
					first <- err
				}()
				<-sent
				un, err := c.UnfinishedPurchases(ctx)
				require.NoError(t, err)
				require.Len(t, un, 1)
				var resolveErr, againErr error
				h.after = func() { // the resolver and the application, in the instant the turn is free
					resolveErr = c.ResolvePurchase(ctx, un[0], OutcomeNotSent, "")
					_, againErr = c.ProcessOrder(ctx, OrderRequest{BundleName: testBundle, Key: "order-window"})
				}
				close(proceed)
				require.NoError(t, <-first)
				if split {
					require.NoError(t, resolveErr, "split: the resolver recorded not sent for a purchase that bought")
					require.NoError(t, againErr, "split: the Key was bought again")
					require.Equal(t, int32(2), posts.Load())
					return
				}
				require.ErrorIs(t, resolveErr, ErrAttemptChanged, "the resolver finds the purchase finished")
				var ae *AlreadyAttemptedError
				require.ErrorAs(t, againErr, &ae, "the Key was bought: not bought again")
				require.Equal(t, OutcomeSucceeded, ae.Attempt.Outcome)
				require.Equal(t, int32(1), posts.Load())
			})
		})
	}
}
