package travelroam

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lostReplyJournal records each Begin in its memoryJournal, then
// answers the first one with an error, as a store whose commit went
// through but whose answer was lost (a dropped connection, ctx ending
// after the commit).
type lostReplyJournal struct {
	*memoryJournal
	lost bool
}

func (j *lostReplyJournal) Begin(ctx context.Context, a PurchaseAttempt) (PurchaseAttempt, bool, error) {
	earlier, ok, err := j.memoryJournal.Begin(ctx, a)
	if err == nil && ok && !j.lost {
		j.lost = true
		return PurchaseAttempt{}, false, errors.New("connection reset after the commit")
	}
	return earlier, ok, err
}

// TestProcessOrderJournalBeginLostReply: when the journal's Begin fails,
// ProcessOrder returns an error matching ErrNotSent, whose contract is
// "nothing was sent; the same Key may be bought again". A Begin whose
// commit went through but whose answer was lost must not leave the
// attempt pending (which would refuse the Key as already attempted for
// the purchase lease, then until a person resolves it): the SDK records
// it as not sent, fenced by its ID.
func TestProcessOrderJournalBeginLostReply(t *testing.T) {
	t.Parallel()
	j := &lostReplyJournal{memoryJournal: newMemoryJournal()}
	c, mt := newMockClient(t, WithPurchaseJournal(j))
	posts, _ := orderResponder(t, mt)

	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-lost"})
	require.ErrorIs(t, err, ErrNotSent)
	require.Zero(t, posts.Load())
	a, ok, err := j.Get(t.Context(), c.AccountKey(), "order-lost")
	require.NoError(t, err)
	if ok {
		require.Equal(t, OutcomeNotSent, a.Outcome, "the attempt left behind is recorded as not sent")
	}

	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-lost"})
	require.NoError(t, err, "ErrNotSent said the same Key may be bought again")
	require.Equal(t, int32(1), posts.Load())
}

// lostReplyLedger records the first BeginAcquire and claims its turn,
// then, as a store whose commit went through but whose answer was lost,
// gives the turn back by its token (as the stores do) and answers with an
// error.
type lostReplyLedger struct {
	*memoryLedger
	lost bool
}

func (l *lostReplyLedger) BeginAcquire(ctx context.Context, a PurchaseAttempt, interval, lease time.Duration) (PurchaseAttempt, LedgerPermit, error) {
	earlier, p, err := l.memoryLedger.BeginAcquire(ctx, a, interval, lease)
	if p != nil && !l.lost {
		l.lost = true
		mp := p.(*memoryLedgerPermit)
		l.memoryGate.release(mp.account, mp.gen)
		return PurchaseAttempt{}, nil, errors.New("connection reset after the commit")
	}
	return earlier, p, err
}

// TestProcessOrderLedgerBeginAcquireLostReply: the ledger's
// BeginAcquire recorded the attempt and lost its answer. ProcessOrder
// returns ErrNotSent, the attempt is recorded as not sent (fenced by its
// ID), and the same Key is bought on the next call.
func TestProcessOrderLedgerBeginAcquireLostReply(t *testing.T) {
	t.Parallel()
	l := &lostReplyLedger{memoryLedger: newMemoryLedger()}
	c, mt := newMockClient(t, WithPurchaseLedger(l))
	require.NotNil(t, c.ledger)
	posts, _ := orderResponder(t, mt)

	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-lost"})
	require.ErrorIs(t, err, ErrNotSent)
	require.Zero(t, posts.Load())
	a, ok, err := l.Get(t.Context(), c.AccountKey(), "order-lost")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, OutcomeNotSent, a.Outcome, "the attempt left behind is recorded as not sent")

	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-lost"})
	require.NoError(t, err, "ErrNotSent said the same Key may be bought again")
	require.Equal(t, int32(1), posts.Load())
}
