package travelroam

import (
	"context"
	"errors"
	"testing"

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
