package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

const testBundle = "esim_1GB_7D_TR_V2"

// orderResponder answers every purchase with the completed order fixture
// and counts the purchases; it keeps their raw bodies.
func orderResponder(t *testing.T, mt *httpmock.MockTransport) (*atomic.Int32, *[][]byte) {
	t.Helper()
	var (
		n      atomic.Int32
		mu     sync.Mutex
		bodies [][]byte
	)
	mt.RegisterResponder(http.MethodPost, processOrdersURL, func(req *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		n.Add(1)
		return httpmock.NewBytesResponse(200, fixture(t, "order_completed.json")), nil
	})
	return &n, &bodies
}

// TestProcessOrderKeyIsNeverSent: the application's Key is journaled but
// is in neither the body nor the headers of the purchase.
func TestProcessOrderKeyIsNeverSent(t *testing.T) {
	t.Parallel()
	const key = "shop-order-KEY-7f3a9c"
	j := NewMemoryPurchaseJournal()
	c, mt := newMockClient(t, WithPurchaseJournal(j))
	mt.RegisterResponder(http.MethodPost, processOrdersURL, func(req *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		require.NotContains(t, string(b), key)
		var fields map[string]any
		require.NoError(t, json.Unmarshal(b, &fields))
		require.Equal(t, map[string]any{"bundleName": testBundle, "orderType": "COUNTRY", "iccid": testICCID}, fields)
		for name, vs := range req.Header {
			require.NotContains(t, name+strings.Join(vs, ","), key)
		}
		require.NotContains(t, req.URL.String(), key)
		return httpmock.NewBytesResponse(200, fixture(t, "order_completed.json")), nil
	})
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, ICCID: testICCID, Key: key})
	require.NoError(t, err)
	require.Equal(t, 1, mt.GetTotalCallCount())
	a, ok, err := j.Get(t.Context(), key)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, OutcomeSucceeded, a.Outcome)
	require.Equal(t, order.Reference, a.Reference)
	require.Equal(t, testICCID, a.ICCID)
	require.Equal(t, testBundle, a.BundleName)
	require.Equal(t, c.AccountKey(), a.Account)
}

// TestProcessOrderSameKeyTwice: the second purchase with a Key that
// succeeded sends nothing and carries the first one's reference; the
// observer sees CallAlreadyAttempted.
func TestProcessOrderSameKeyTwice(t *testing.T) {
	t.Parallel()
	var outcomes []CallOutcome
	obs := &Observer{CallEnd: func(_ context.Context, e CallEnd) { outcomes = append(outcomes, e.Outcome) }}
	c, mt := newMockClient(t, WithObserver(obs))
	posts, _ := orderResponder(t, mt)
	req := OrderRequest{BundleName: testBundle, Key: "order-42"}
	first, err := c.ProcessOrder(t.Context(), req)
	require.NoError(t, err)
	_, err = c.ProcessOrder(t.Context(), req)
	require.ErrorIs(t, err, ErrAlreadyAttempted)
	require.NotErrorIs(t, err, ErrNotSent, "the earlier attempt was sent")
	var ae *AlreadyAttemptedError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, OutcomeSucceeded, ae.Attempt.Outcome)
	require.Equal(t, first.Reference, ae.Attempt.Reference)
	require.Equal(t, "order-42", ae.Attempt.Key)
	require.Equal(t, int32(1), posts.Load(), "the second purchase sent nothing")
	require.Equal(t, []CallOutcome{CallSucceeded, CallAlreadyAttempted}, outcomes)
}

// TestProcessOrderAfterCrash: a journal holding a pending attempt (its
// process died while buying) refuses the Key; the recovery methods list
// it and, once a person resolved it as not sent, the Key is bought.
func TestProcessOrderAfterCrash(t *testing.T) {
	t.Parallel()
	j := NewMemoryPurchaseJournal()
	started := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	_, ok, err := j.Begin(t.Context(), PurchaseAttempt{Key: "order-7", BundleName: testBundle, ICCID: testICCID, StartedAt: started})
	require.NoError(t, err)
	require.True(t, ok)
	c, mt := newMockClient(t, WithPurchaseJournal(j))
	posts, _ := orderResponder(t, mt)

	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-7"})
	var ae *AlreadyAttemptedError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, OutcomePending, ae.Attempt.Outcome)
	require.Equal(t, started, ae.Attempt.StartedAt)
	require.Zero(t, posts.Load())
	require.NotContains(t, err.Error(), testICCID)

	un, err := c.UnfinishedPurchases(t.Context())
	require.NoError(t, err)
	require.Len(t, un, 1)
	require.Equal(t, "order-7", un[0].Key)

	require.NoError(t, c.ResolvePurchase(t.Context(), "order-7", OutcomeNotSent, ""))
	un, err = c.UnfinishedPurchases(t.Context())
	require.NoError(t, err)
	require.Empty(t, un)
	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-7"})
	require.NoError(t, err)
	require.Equal(t, int32(1), posts.Load())
}

// failingGate fails every Acquire; it counts them.
type failingGate struct{ calls atomic.Int32 }

func (g *failingGate) Acquire(context.Context, string, time.Duration, time.Duration) (Permit, error) {
	g.calls.Add(1)
	return nil, errors.New("gate store unreachable")
}

// TestProcessOrderGateFailure: a failing gate sends nothing, the error
// matches ErrNotSent, and the journal records not_sent, so that the same
// Key can be bought once the gate is back.
func TestProcessOrderGateFailure(t *testing.T) {
	t.Parallel()
	var outcomes []CallOutcome
	obs := &Observer{CallEnd: func(_ context.Context, e CallEnd) { outcomes = append(outcomes, e.Outcome) }}
	j := NewMemoryPurchaseJournal()
	g := new(failingGate)
	c, mt := newMockClient(t, WithPurchaseGate(g), WithPurchaseJournal(j), WithObserver(obs))
	posts, _ := orderResponder(t, mt)
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-9"})
	require.ErrorIs(t, err, ErrNotSent)
	require.NotErrorIs(t, err, ErrOutcomeUnknown)
	require.Contains(t, err.Error(), "gate store unreachable")
	require.Zero(t, posts.Load())
	require.Equal(t, []CallOutcome{CallNotSent}, outcomes)
	a, ok, err := j.Get(t.Context(), "order-9")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, OutcomeNotSent, a.Outcome)

	c2, mt2 := newMockClient(t, WithPurchaseJournal(j)) // the gate is back
	posts2, _ := orderResponder(t, mt2)
	_, err = c2.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-9"})
	require.NoError(t, err)
	require.Equal(t, int32(1), posts2.Load())
}

// brokenJournal fails Begin or Finish as told, otherwise it is a
// MemoryPurchaseJournal.
type brokenJournal struct {
	*MemoryPurchaseJournal
	failBegin, failFinish bool
}

func (j *brokenJournal) Begin(ctx context.Context, a PurchaseAttempt) (PurchaseAttempt, bool, error) {
	if j.failBegin {
		return PurchaseAttempt{}, false, errors.New("journal store unreachable")
	}
	return j.MemoryPurchaseJournal.Begin(ctx, a)
}

func (j *brokenJournal) Finish(ctx context.Context, key string, o PurchaseOutcome, ref string, at time.Time) error {
	if j.failFinish {
		return errors.New("journal store unreachable")
	}
	return j.MemoryPurchaseJournal.Finish(ctx, key, o, ref, at)
}

// TestProcessOrderJournalBeginFailure: when the attempt cannot be
// recorded, nothing is sent and the gate is not even asked.
func TestProcessOrderJournalBeginFailure(t *testing.T) {
	t.Parallel()
	g := new(failingGate)
	c, mt := newMockClient(t, WithPurchaseGate(g), WithPurchaseJournal(&brokenJournal{MemoryPurchaseJournal: NewMemoryPurchaseJournal(), failBegin: true}))
	posts, _ := orderResponder(t, mt)
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-1"})
	require.ErrorIs(t, err, ErrNotSent)
	require.Contains(t, err.Error(), "purchase journal")
	require.Zero(t, posts.Load())
	require.Zero(t, g.calls.Load())
}

// TestProcessOrderFinishFailureReturnsOrder: a purchase that succeeded is
// returned even when its outcome cannot be recorded; the failure goes to
// the logger (with the Key and the reference, without secrets) and the
// attempt stays pending, so the Key is still refused.
func TestProcessOrderFinishFailureReturnsOrder(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	j := &brokenJournal{MemoryPurchaseJournal: NewMemoryPurchaseJournal(), failFinish: true}
	c, mt := newMockClient(t, WithPurchaseJournal(j), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	posts, _ := orderResponder(t, mt)
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, ICCID: testICCID, Key: "order-3"})
	require.NoError(t, err)
	require.NotEmpty(t, order.Reference)
	require.Contains(t, logs.String(), `"level":"ERROR"`)
	require.Contains(t, logs.String(), "recording the outcome failed")
	require.Contains(t, logs.String(), `"key":"order-3"`)
	require.Contains(t, logs.String(), order.Reference)
	for _, secret := range []string{testAPIKey, testSecret, testICCID, testMatchingI} {
		require.NotContains(t, logs.String(), secret)
	}
	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-3"})
	var ae *AlreadyAttemptedError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, OutcomePending, ae.Attempt.Outcome)
	require.Equal(t, int32(1), posts.Load())
}

// TestProcessOrderJournalOutcomes: each kind of answer is recorded with
// its outcome; the Keys that bought nothing may be bought again, the
// others are refused without sending.
func TestProcessOrderJournalOutcomes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		respond httpmock.Responder
		want    PurchaseOutcome
	}{
		{"200", fixtureResponder(t, 200, "order_completed.json"), OutcomeSucceeded},
		{"400", httpmock.NewStringResponder(400, `{"message":"Insufficient balance"}`), OutcomeRefused},
		{"429", httpmock.NewStringResponder(429, `{"message":"Rate limit exceeded"}`), OutcomeRefused},
		{"503", httpmock.NewStringResponder(503, `{"message":"Service unavailable"}`), OutcomeRefused},
		{"500", httpmock.NewStringResponder(500, `{"message":"Internal error"}`), OutcomeUnknown},
		{"garbage 200", httpmock.NewStringResponder(200, `{"order": [`), OutcomeUnknown},
		{"dial refused", httpmock.NewErrorResponder(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), OutcomeNotSent},
		{"reset after sending", httpmock.NewErrorResponder(syscall.ECONNRESET), OutcomeUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) { // the dial case backs off in virtual time
				j := NewMemoryPurchaseJournal()
				c, mt := newMockClient(t, WithPurchaseJournal(j))
				mt.RegisterResponder(http.MethodPost, processOrdersURL, tc.respond)
				order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "k"})
				a, ok, jerr := j.Get(t.Context(), "k")
				require.NoError(t, jerr)
				require.True(t, ok)
				require.Equal(t, tc.want, a.Outcome, "%v", err)
				if tc.want == OutcomeSucceeded {
					require.Equal(t, order.Reference, a.Reference)
				} else {
					require.Empty(t, a.Reference)
				}
				sent := mt.GetTotalCallCount()
				_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "k"})
				if tc.want.MayHaveBought() {
					require.ErrorIs(t, err, ErrAlreadyAttempted)
					require.Equal(t, sent, mt.GetTotalCallCount(), "nothing sent again")
				} else {
					require.NotErrorIs(t, err, ErrAlreadyAttempted)
					require.Greater(t, mt.GetTotalCallCount(), sent, "bought nothing: sent again")
				}
			})
		})
	}
}

// TestProcessOrderEmptyKey: without a Key each purchase is journaled
// under a new random one, and each is sent.
func TestProcessOrderEmptyKey(t *testing.T) {
	t.Parallel()
	j := NewMemoryPurchaseJournal()
	c, mt := newMockClient(t, WithPurchaseJournal(j), WithPurchaseGate(NewMemoryPurchaseGate()))
	posts, _ := orderResponder(t, mt)
	for range 2 {
		_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle})
		require.NoError(t, err)
	}
	require.Equal(t, int32(2), posts.Load())
	require.Equal(t, 2, j.Len())

	// A crash leaves the generated Key behind, for a recovery job.
	hang := NewMemoryPurchaseJournal()
	c, mt = newMockClient(t, WithPurchaseJournal(hang))
	mt.RegisterResponder(http.MethodPost, processOrdersURL, httpmock.NewErrorResponder(syscall.ECONNRESET))
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, ICCID: testICCID})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	un, err := c.UnfinishedPurchases(t.Context())
	require.NoError(t, err)
	require.Len(t, un, 1)
	require.True(t, strings.HasPrefix(un[0].Key, autoKeyPrefix), un[0].Key)
	require.Greater(t, len(un[0].Key), len(autoKeyPrefix)+20)
	require.Equal(t, OutcomeUnknown, un[0].Outcome)
	require.Equal(t, testICCID, un[0].ICCID)
}

func TestProcessOrderKeyValidation(t *testing.T) {
	t.Parallel()
	for name, key := range map[string]string{
		"too long":     strings.Repeat("k", maxPurchaseKey+1),
		"padded":       " order-1",
		"trailing tab": "order-1\t",
		"newline":      "order\n1",
		"not UTF-8":    "order-\xff",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			j := NewMemoryPurchaseJournal()
			c, mt := newMockClient(t, WithPurchaseJournal(j))
			_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: key})
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, "Key", ve.Field)
			require.Zero(t, mt.GetTotalCallCount())
			require.Zero(t, j.Len(), "nothing recorded")
		})
	}
	c, mt := newMockClient(t)
	orderResponder(t, mt)
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: strings.Repeat("k", maxPurchaseKey)})
	require.NoError(t, err, "256 bytes is allowed")
}
