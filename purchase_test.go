package travelroam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
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
	j := newMemoryJournal()
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
	a, ok, err := j.Get(t.Context(), c.AccountKey(), key)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, OutcomeSucceeded, a.Outcome)
	require.Equal(t, order.Reference, a.Reference)
	require.Equal(t, testICCID, string(a.ICCID))
	require.Equal(t, testBundle, a.BundleName)
	require.Equal(t, c.AccountKey(), a.Account)
}

// TestProcessOrderSameKeyTwice: the second purchase with a Key that
// succeeded sends nothing and carries the first one's reference; the
// observer sees OutcomeAlreadyAttempted.
func TestProcessOrderSameKeyTwice(t *testing.T) {
	t.Parallel()
	var outcomes []Outcome
	obs := &Observer{CallEnd: func(_ context.Context, e CallInfo) { outcomes = append(outcomes, e.Outcome) }}
	c, mt := newMockClient(t, WithObserver(obs))
	posts, _ := orderResponder(t, mt)
	req := OrderRequest{BundleName: testBundle, Key: "order-42"}
	first, err := c.ProcessOrder(t.Context(), req)
	require.NoError(t, err)
	_, err = c.ProcessOrder(t.Context(), req)
	require.ErrorAs(t, err, new(*AlreadyAttemptedError))
	require.NotErrorIs(t, err, ErrNotSent, "the earlier attempt was sent")
	var ae *AlreadyAttemptedError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, OutcomeSucceeded, ae.Attempt.Outcome)
	require.Equal(t, first.Reference, ae.Attempt.Reference)
	require.Equal(t, "order-42", ae.Attempt.Key)
	require.Equal(t, int32(1), posts.Load(), "the second purchase sent nothing")
	require.Equal(t, []Outcome{OutcomeSucceeded, OutcomeAlreadyAttempted}, outcomes)
}

// TestProcessOrderAfterCrash: a journal holding a pending attempt (its
// process died while buying) refuses the Key; the recovery methods list
// it and, once a person resolved it as not sent, the Key is bought.
func TestProcessOrderAfterCrash(t *testing.T) {
	t.Parallel()
	j := newMemoryJournal()
	c, mt := newMockClient(t, WithPurchaseJournal(j))
	started := time.Now().Add(-time.Hour).Round(0)
	_, ok, err := j.Begin(t.Context(), PurchaseAttempt{Key: "order-7", Account: c.AccountKey(), ID: "crashed", BundleName: testBundle, ICCID: testICCID, StartedAt: started})
	require.NoError(t, err)
	require.True(t, ok)
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

	require.Equal(t, "crashed", un[0].ID)
	require.NoError(t, c.ResolvePurchase(t.Context(), un[0], OutcomeNotSent, ""))
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
	var outcomes []Outcome
	obs := &Observer{CallEnd: func(_ context.Context, e CallInfo) { outcomes = append(outcomes, e.Outcome) }}
	j := newMemoryJournal()
	g := new(failingGate)
	c, mt := newMockClient(t, WithPurchaseGate(g), WithPurchaseJournal(j), WithObserver(obs))
	posts, _ := orderResponder(t, mt)
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "order-9"})
	require.ErrorIs(t, err, ErrNotSent)
	require.NotErrorAs(t, err, new(*OutcomeUnknownError))
	require.Contains(t, err.Error(), "gate store unreachable")
	require.Zero(t, posts.Load())
	require.Equal(t, []Outcome{OutcomeNotSent}, outcomes)
	a, ok, err := j.Get(t.Context(), c.AccountKey(), "order-9")
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
// memoryJournal.
type brokenJournal struct {
	*memoryJournal
	failBegin, failFinish bool
}

func (j *brokenJournal) Begin(ctx context.Context, a PurchaseAttempt) (PurchaseAttempt, bool, error) {
	if j.failBegin {
		return PurchaseAttempt{}, false, errors.New("journal store unreachable")
	}
	return j.memoryJournal.Begin(ctx, a)
}

func (j *brokenJournal) Finish(ctx context.Context, a PurchaseAttempt, o Outcome, ref string, at time.Time) error {
	if j.failFinish {
		return errors.New("journal store unreachable")
	}
	return j.memoryJournal.Finish(ctx, a, o, ref, at)
}

// TestProcessOrderJournalBeginFailure: when the attempt cannot be
// recorded, nothing is sent and the gate is not even asked.
func TestProcessOrderJournalBeginFailure(t *testing.T) {
	t.Parallel()
	g := new(failingGate)
	c, mt := newMockClient(t, WithPurchaseGate(g), WithPurchaseJournal(&brokenJournal{memoryJournal: newMemoryJournal(), failBegin: true}))
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
	j := &brokenJournal{memoryJournal: newMemoryJournal(), failFinish: true}
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

// failingLedger is the memory ledger whose ReleaseFinish fails with err
// after doing nothing (a store that could not be reached).
type failingLedger struct {
	*memoryLedger
	err error
}

func (l failingLedger) BeginAcquire(ctx context.Context, a PurchaseAttempt, interval, lease time.Duration) (PurchaseAttempt, LedgerPermit, error) {
	earlier, p, err := l.memoryLedger.BeginAcquire(ctx, a, interval, lease)
	if p != nil {
		p = failingLedgerPermit{l.err}
	}
	return earlier, p, err
}

type failingLedgerPermit struct{ err error }

func (p failingLedgerPermit) ReleaseFinish(context.Context, Outcome, string) error { return p.err }

// TestProcessOrderLedgerFinishFailureReturnsOrder: with a ledger whose
// ReleaseFinish fails after a purchase succeeded, the order is still
// returned (money moved) and the failure logged at error level, without
// secrets; a superseded attempt is logged as such.
func TestProcessOrderLedgerFinishFailureReturnsOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("connection refused"), "recording the outcome and freeing the account failed"},
		{ErrAttemptSuperseded, "its outcome is not recorded"},
		{ErrNoAttempt, "no longer holds the attempt"},
	} {
		var logs bytes.Buffer
		l := failingLedger{newMemoryLedger(), tc.err}
		c, mt := newMockClient(t, WithPurchaseLedger(l), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
		orderResponder(t, mt)
		order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, ICCID: testICCID, Key: "order-3"})
		require.NoError(t, err)
		require.NotEmpty(t, order.Reference)
		require.Contains(t, logs.String(), `"level":"ERROR"`)
		require.Contains(t, logs.String(), tc.want)
		if !strings.Contains(tc.err.Error(), "connection refused") {
			// The store refused the outcome and freed the turn: neither
			// an attempt left pending nor an account held to chase.
			require.NotContains(t, logs.String(), "stays pending")
			require.NotContains(t, logs.String(), "held until the lease ends")
		}
		require.Contains(t, logs.String(), `"key":"order-3"`)
		require.Contains(t, logs.String(), order.Reference)
		for _, secret := range []string{testAPIKey, testSecret, testICCID, testMatchingI} {
			require.NotContains(t, logs.String(), secret)
		}
	}
}

// emptyRefusalLedger answers BeginAcquire with neither a permit nor an
// earlier attempt nor an error, as a broken store might.
type emptyRefusalLedger struct{ *memoryLedger }

func (emptyRefusalLedger) BeginAcquire(context.Context, PurchaseAttempt, time.Duration, time.Duration) (PurchaseAttempt, LedgerPermit, error) {
	return PurchaseAttempt{}, nil, nil
}

// emptyRefusalJournal answers Begin with ok false and no earlier attempt.
type emptyRefusalJournal struct{ *memoryJournal }

func (emptyRefusalJournal) Begin(context.Context, PurchaseAttempt) (PurchaseAttempt, bool, error) {
	return PurchaseAttempt{}, false, nil
}

// TestProcessOrderStoreRefusesWithoutAttempt: a ledger (or journal) that
// refuses a purchase without an earlier attempt that may have bought is a
// store failure (ErrNotSent, nothing sent), as a gate without a permit
// is, not an *AlreadyAttemptedError with no attempt to examine or
// resolve.
func TestProcessOrderStoreRefusesWithoutAttempt(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]Option{
		"ledger":  WithPurchaseLedger(emptyRefusalLedger{newMemoryLedger()}),
		"journal": WithPurchaseJournal(emptyRefusalJournal{newMemoryJournal()}),
	} {
		c, mt := newMockClient(t, opt)
		posts, _ := orderResponder(t, mt)
		_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "k"})
		require.ErrorIs(t, err, ErrNotSent, name)
		require.False(t, errors.As(err, new(*AlreadyAttemptedError)), name)
		require.Zero(t, posts.Load(), name)
	}
}

// TestProcessOrderJournalOutcomes: each kind of answer is recorded with
// its outcome; the Keys that bought nothing may be bought again, the
// others are refused without sending.
func TestProcessOrderJournalOutcomes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		respond httpmock.Responder
		want    Outcome
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
				j := newMemoryJournal()
				c, mt := newMockClient(t, WithPurchaseJournal(j))
				mt.RegisterResponder(http.MethodPost, processOrdersURL, tc.respond)
				order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "k"})
				a, ok, jerr := j.Get(t.Context(), c.AccountKey(), "k")
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
					require.ErrorAs(t, err, new(*AlreadyAttemptedError))
					require.Equal(t, sent, mt.GetTotalCallCount(), "nothing sent again")
				} else {
					require.NotErrorAs(t, err, new(*AlreadyAttemptedError))
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
	j := newMemoryJournal()
	c, mt := newMockClient(t, WithPurchaseJournal(j), WithPurchaseGate(newMemoryGate()))
	posts, _ := orderResponder(t, mt)
	for range 2 {
		_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle})
		require.NoError(t, err)
	}
	require.Equal(t, int32(2), posts.Load())
	require.Equal(t, 2, j.Len())

	// A crash leaves the generated Key behind, for a recovery job.
	hang := newMemoryJournal()
	c, mt = newMockClient(t, WithPurchaseJournal(hang))
	mt.RegisterResponder(http.MethodPost, processOrdersURL, httpmock.NewErrorResponder(syscall.ECONNRESET))
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, ICCID: testICCID})
	require.ErrorAs(t, err, new(*OutcomeUnknownError))
	un, err := c.UnfinishedPurchases(t.Context())
	require.NoError(t, err)
	require.Len(t, un, 1)
	require.True(t, strings.HasPrefix(un[0].Key, autoKeyPrefix), un[0].Key)
	require.Greater(t, len(un[0].Key), len(autoKeyPrefix)+20)
	require.Equal(t, OutcomeUnknown, un[0].Outcome)
	require.Equal(t, testICCID, string(un[0].ICCID))
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
			j := newMemoryJournal()
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

// recordingGate is a memoryGate that records what it is asked
// and counts the releases.
type recordingGate struct {
	*memoryGate
	mu       sync.Mutex
	asked    []gateArgs
	released atomic.Int32
}

type gateArgs struct {
	key             string
	interval, lease time.Duration
}

func newRecordingGate() *recordingGate {
	return &recordingGate{memoryGate: newMemoryGate()}
}

func (g *recordingGate) Acquire(ctx context.Context, key string, interval, lease time.Duration) (Permit, error) {
	g.mu.Lock()
	g.asked = append(g.asked, gateArgs{key, interval, lease})
	g.mu.Unlock()
	p, err := g.memoryGate.Acquire(ctx, key, interval, lease)
	if err != nil {
		return nil, err
	}
	return countingPermit{p, &g.released}, nil
}

func (g *recordingGate) args() []gateArgs {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.asked)
}

type countingPermit struct {
	Permit
	n *atomic.Int32
}

func (p countingPermit) Release(ctx context.Context) error {
	p.n.Add(1)
	return p.Permit.Release(ctx)
}

// TestPurchaseGateArguments: the gate gets the account key (environment
// or base URL, and a hash of the API key, never the key), the validated
// interval and a lease longer than the write timeout; the journal gets the
// same account and the environment.
func TestPurchaseGateArguments(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte(testAPIKey))
	hash := hex.EncodeToString(sum[:])[:16]
	for _, tc := range []struct {
		name         string
		opts         []Option
		url          string
		account      string
		env          string
		timeout      time.Duration // of the user's http.Client; 0 for none
		wantLease    time.Duration
		wantSend     time.Duration
		wantInterval time.Duration
	}{
		{"sandbox", []Option{WithPurchaseInterval(7 * time.Second)}, sandboxURL, "sandbox:" + hash, "sandbox", 0,
			2 * time.Minute, 105 * time.Second, 7 * time.Second},
		{"live", []Option{WithBaseURL(LiveURL)}, LiveURL, "live:" + hash, "live", 0,
			2 * time.Minute, 105 * time.Second, 5 * time.Second},
		{"live by URL", []Option{WithBaseURL(LiveURL + "/")}, LiveURL, "live:" + hash, "live", 0,
			2 * time.Minute, 105 * time.Second, 5 * time.Second},
		{"proxy, short timeout", []Option{WithBaseURL("http://127.0.0.1:9/tr"), WithPurchaseInterval(time.Second)}, "http://127.0.0.1:9/tr",
			"http://127.0.0.1:9/tr:" + hash, "", 2 * time.Second, 4 * time.Second, 3 * time.Second, time.Second},
		{"long timeout", []Option{WithBaseURL(LiveURL)}, LiveURL, "live:" + hash, "live", 10 * time.Minute,
			10*time.Minute + 30*time.Second, 10*time.Minute + 15*time.Second, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			orderResponderAt(t, mt, tc.url+"/processorders")
			g, j := newRecordingGate(), newMemoryJournal()
			opts := append([]Option{WithHTTPClient(&http.Client{Transport: mt, Timeout: tc.timeout}), WithPurchaseGate(g), WithPurchaseJournal(j)}, tc.opts...)
			c, err := NewClient(testAPIKey, testSecret, opts...)
			require.NoError(t, err)
			require.Equal(t, tc.account, c.AccountKey())
			require.NotContains(t, c.AccountKey(), testAPIKey[:12])
			_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "k"})
			require.NoError(t, err)
			require.Equal(t, []gateArgs{{tc.account, tc.wantInterval, tc.wantLease}}, g.args())
			require.Equal(t, tc.wantSend, c.purchaseSend)
			require.Greater(t, c.purchaseLease, c.purchaseSend)
			a, _, _ := j.Get(t.Context(), c.AccountKey(), "k")
			require.Equal(t, tc.account, a.Account)
			require.Equal(t, tc.env, a.Environment)
			require.Equal(t, int32(1), g.released.Load())
		})
	}
}

// orderResponderAt answers purchases at url with the completed order.
func orderResponderAt(t *testing.T, mt *httpmock.MockTransport, url string) {
	mt.RegisterResponder(http.MethodPost, url, fixtureResponder(t, 200, "order_completed.json"))
}

func TestWithPurchaseStoresRefuseNil(t *testing.T) {
	t.Parallel()
	_, err := NewClient(testAPIKey, testSecret, WithPurchaseGate(nil))
	require.ErrorContains(t, err, "purchase gate")
	_, err = NewClient(testAPIKey, testSecret, WithPurchaseJournal(nil))
	require.ErrorContains(t, err, "purchase journal")
	_, err = NewClient(testAPIKey, testSecret, WithPurchaseLedger(nil))
	require.ErrorContains(t, err, "purchase ledger")
}

// TestPurchaseLedgerDetection: the ledger path is taken when one store is
// both the journal and the gate (WithPurchaseLedger, the same value given
// to both options, or the defaults), and not when they differ or when the
// gate's type is not comparable (which must not panic).
func TestPurchaseLedgerDetection(t *testing.T) {
	t.Parallel()
	l := newMemoryLedger()
	// Its type is comparable, its value is not: == would panic.
	w := ledgerWrapper{uncomparableLedger{memoryLedger: l}}
	for _, tc := range []struct {
		name string
		opts []Option
		want bool
	}{
		{"defaults", nil, true},
		{"WithPurchaseLedger", []Option{WithPurchaseLedger(l)}, true},
		{"the same value twice", []Option{WithPurchaseJournal(l), WithPurchaseGate(l)}, true},
		{"journal only", []Option{WithPurchaseJournal(l)}, false},
		{"another gate", []Option{WithPurchaseLedger(l), WithPurchaseGate(newMemoryGate())}, false},
		{"a gate not comparable", []Option{WithPurchaseLedger(l), WithPurchaseGate(uncomparableLedger{})}, false},
		{"a ledger not comparable", []Option{WithPurchaseLedger(uncomparableLedger{memoryLedger: l})}, true},
		{"a ledger not comparable, given twice", []Option{WithPurchaseJournal(uncomparableLedger{memoryLedger: l}), WithPurchaseGate(uncomparableLedger{memoryLedger: l})}, false},
		{"a comparable wrapper of a ledger not comparable, given twice", []Option{WithPurchaseJournal(w), WithPurchaseGate(w)}, false},
	} {
		c, err := NewClient(testAPIKey, testSecret, tc.opts...)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, c.ledger != nil, tc.name)
	}
}

// ledgerWrapper is a ledger of a comparable type (a struct of one
// interface field) whose value may not be: == panics when the field holds
// an uncomparableLedger.
type ledgerWrapper struct{ PurchaseLedger }

// uncomparableLedger is a ledger whose values == would panic on.
type uncomparableLedger struct {
	*memoryLedger
	_ []int
}

// TestProcessOrderPacingSharedGate: two Clients sharing one gate are
// paced as one: never two purchases in flight, each starting at least the
// interval after the previous one ended, whichever Client made it. Virtual
// time.
func TestProcessOrderPacingSharedGate(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := newMemoryGate()
		var (
			mu          sync.Mutex
			spans       [][2]time.Time
			inFlight    int
			maxInFlight int
		)
		responder := func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			inFlight++
			maxInFlight = max(maxInFlight, inFlight)
			start := time.Now()
			mu.Unlock()
			time.Sleep(time.Second)
			mu.Lock()
			inFlight--
			spans = append(spans, [2]time.Time{start, time.Now()})
			mu.Unlock()
			return httpmock.NewBytesResponse(200, fixture(t, "order_completed.json")), nil
		}
		var wg sync.WaitGroup
		for range 2 {
			c, mt := newMockClient(t, WithPurchaseInterval(5*time.Second), WithPurchaseGate(g))
			mt.RegisterResponder(http.MethodPost, processOrdersURL, responder)
			for range 3 {
				wg.Go(func() {
					_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle})
					require.NoError(t, err)
				})
			}
		}
		start := time.Now()
		wg.Wait()
		require.Equal(t, 1, maxInFlight)
		require.Len(t, spans, 6)
		for i := 1; i < len(spans); i++ {
			require.GreaterOrEqual(t, spans[i][0].Sub(spans[i-1][1]), 5*time.Second)
		}
		require.Equal(t, 6*time.Second+5*5*time.Second, time.Since(start))
	})
}

// TestProcessOrderPanicRecordsUnknown: a transport that panics leaves
// the gate released and the attempt unknown (it may have been sent).
func TestProcessOrderPanicRecordsUnknown(t *testing.T) {
	t.Parallel()
	g, j := newRecordingGate(), newMemoryJournal()
	hc := &http.Client{Transport: roundTripperFunc(func(*http.Request) (*http.Response, error) { panic("middleware bug") })}
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(testBaseURL), WithHTTPClient(hc), WithPurchaseInterval(0),
		WithPurchaseGate(g), WithPurchaseJournal(j))
	require.NoError(t, err)
	func() {
		defer func() { require.Equal(t, "middleware bug", recover()) }()
		_, _ = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "k"})
	}()
	require.Equal(t, int32(1), g.released.Load())
	a, ok, err := j.Get(t.Context(), c.AccountKey(), "k")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, OutcomeUnknown, a.Outcome)
}

// TestProcessOrderLedgerPanicRecordsUnknown: with the ledger (the
// default stores) a panicking transport still frees the account and
// records the attempt as unknown, in the one ReleaseFinish.
func TestProcessOrderLedgerPanicRecordsUnknown(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Transport: roundTripperFunc(func(*http.Request) (*http.Response, error) { panic("middleware bug") })}
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(testBaseURL), WithHTTPClient(hc), WithPurchaseInterval(0))
	require.NoError(t, err)
	require.NotNil(t, c.ledger, "the default stores are one ledger")
	func() {
		defer func() { require.Equal(t, "middleware bug", recover()) }()
		_, _ = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle, Key: "k"})
	}()
	a, ok, err := c.journal.Get(t.Context(), c.AccountKey(), "k")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, OutcomeUnknown, a.Outcome)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // far below the lease (2 min)
	defer cancel()
	p, err := c.gate.Acquire(ctx, c.AccountKey(), 0, time.Minute)
	require.NoError(t, err, "the account was freed")
	require.NoError(t, p.Release(ctx))
}

// TestProcessOrderSendEndsInsideLease: re-sends after slow failed dials
// are cut at the send deadline, so that no attempt of the purchase is out
// when its lease ends. Write timeout 10 s: lease 20 s, send deadline 15 s.
// Virtual time.
func TestProcessOrderSendEndsInsideLease(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		mt := httpmock.NewMockTransport()
		var (
			mu       sync.Mutex
			attempts []time.Time
			lastEnd  time.Time
		)
		start := time.Now()
		mt.RegisterResponder(http.MethodPost, processOrdersURL, func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			attempts = append(attempts, time.Now())
			mu.Unlock()
			defer func() { mu.Lock(); lastEnd = time.Now(); mu.Unlock() }()
			select {
			case <-time.After(9 * time.Second): // a dial that takes 9 s to fail
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ETIMEDOUT}
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
		})
		g := newRecordingGate()
		c, err := NewClient(testAPIKey, testSecret, WithBaseURL(testBaseURL), WithHTTPClient(&http.Client{Transport: mt, Timeout: 10 * time.Second}),
			WithPurchaseInterval(0), WithPurchaseGate(g))
		require.NoError(t, err)
		_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle})
		require.Error(t, err)
		synctest.Wait() // httpmock runs a cancelable request's responder on a goroutine of its own
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, attempts, 2, "9 s, 0.5 s of backoff, then cut at 15 s")
		require.Equal(t, 15*time.Second, lastEnd.Sub(start))
		require.Equal(t, 20*time.Second, g.args()[0].lease)
		require.Equal(t, int32(1), g.released.Load())
	})
}

// TestResolvePurchase: the rules of ResolvePurchase.
func TestResolvePurchase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j := newMemoryJournal()
	c, mt := newMockClient(t, WithPurchaseJournal(j))
	posts, _ := orderResponder(t, mt)
	old := time.Now().Add(-time.Hour) // older than the purchase lease
	at := map[string]PurchaseAttempt{}
	for _, k := range []string{"pending", "unknown", "done"} {
		a := PurchaseAttempt{Key: k, Account: c.AccountKey(), ID: "id-" + k, BundleName: testBundle, StartedAt: old}
		_, ok, err := j.Begin(ctx, a)
		require.NoError(t, err)
		require.True(t, ok)
		at[k] = a
	}
	require.NoError(t, j.Finish(ctx, at["unknown"], OutcomeUnknown, "", time.Time{}))
	require.NoError(t, j.Finish(ctx, at["done"], OutcomeRefused, "", time.Time{}))
	un, err := c.UnfinishedPurchases(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"pending", "unknown"}, keysOf(un))
	pending, unknown := un[0], un[1]
	require.Equal(t, OutcomePending, pending.Outcome)

	require.ErrorAs(t, c.ResolvePurchase(ctx, pending, OutcomePending, ""), new(*ValidationError))
	require.ErrorAs(t, c.ResolvePurchase(ctx, pending, "bought", ""), new(*ValidationError))
	require.ErrorAs(t, c.ResolvePurchase(ctx, PurchaseAttempt{}, OutcomeNotSent, ""), new(*ValidationError))
	require.ErrorAs(t, c.ResolvePurchase(ctx, pending, OutcomeNotSent, "ref-1"), new(*ValidationError))
	noID := pending
	noID.ID = ""
	require.ErrorAs(t, c.ResolvePurchase(ctx, noID, OutcomeNotSent, ""), new(*ValidationError))
	otherAccount := pending
	otherAccount.Account = "live:0000000000000000"
	require.ErrorAs(t, c.ResolvePurchase(ctx, otherAccount, OutcomeNotSent, ""), new(*ValidationError))
	missing := pending
	missing.Key = "missing"
	require.ErrorIs(t, c.ResolvePurchase(ctx, missing, OutcomeNotSent, ""), ErrNoAttempt)
	done := at["done"]
	err = c.ResolvePurchase(ctx, done, OutcomeSucceeded, "ref-1")
	require.ErrorIs(t, err, ErrAttemptChanged)
	require.ErrorContains(t, err, "finished with outcome refused")
	require.NoError(t, c.ResolvePurchase(ctx, done, OutcomeRefused, ""), "the same outcome again is fine")
	stale := pending
	stale.ID = "an-older-attempt"
	require.ErrorIs(t, c.ResolvePurchase(ctx, stale, OutcomeNotSent, ""), ErrAttemptSuperseded)
	examinedPending := unknown
	examinedPending.Outcome = OutcomePending
	require.ErrorIs(t, c.ResolvePurchase(ctx, examinedPending, OutcomeNotSent, ""), ErrAttemptChanged, "examined while pending, unknown now")

	require.NoError(t, c.ResolvePurchase(ctx, pending, OutcomeSucceeded, "ref-found-by-support"))
	require.NoError(t, c.ResolvePurchase(ctx, unknown, OutcomeUnknown, ""))
	un, err = c.UnfinishedPurchases(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"unknown"}, keysOf(un))

	_, err = c.ProcessOrder(ctx, OrderRequest{BundleName: testBundle, Key: "pending"})
	var ae *AlreadyAttemptedError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "ref-found-by-support", ae.Attempt.Reference)
	require.Zero(t, posts.Load())
}

func keysOf(as []PurchaseAttempt) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Key)
	}
	slices.Sort(out)
	return out
}

// TestAccountKeyHidesTheAPIKey: the account key is the same for Clients
// with one API key, differs between keys and environments, and shows
// nothing of the key.
func TestAccountKeyHidesTheAPIKey(t *testing.T) {
	t.Parallel()
	a, err := NewClient(testAPIKey, testSecret)
	require.NoError(t, err)
	b, err := NewClient(testAPIKey, "another secret")
	require.NoError(t, err)
	other, err := NewClient(testAPIKey+"x", testSecret)
	require.NoError(t, err)
	live, err := NewClient(testAPIKey, testSecret, WithBaseURL(LiveURL))
	require.NoError(t, err)
	require.Equal(t, a.AccountKey(), b.AccountKey())
	require.NotEqual(t, a.AccountKey(), other.AccountKey())
	require.NotEqual(t, a.AccountKey(), live.AccountKey())
	for i := 0; i+8 <= len(testAPIKey); i++ {
		require.NotContains(t, a.AccountKey(), testAPIKey[i:i+8])
	}
}

// TestAccountKeyOfEquivalentBaseURLs: spellings of one base URL that
// differ only in the case of the scheme or host, a trailing dot in the
// host, an explicit default port, a trailing slash, or an empty query or
// fragment name one account (replicas configured either way share the
// gate's 5 s spacing and the journal) and record the right environment.
func TestAccountKeyOfEquivalentBaseURLs(t *testing.T) {
	t.Parallel()
	for env, base := range map[string]string{"live": LiveURL, "sandbox": sandboxURL} {
		want, err := NewClient(testAPIKey, testSecret, WithBaseURL(base))
		require.NoError(t, err)
		require.Equal(t, env+":", want.AccountKey()[:len(env)+1])
		host := strings.TrimPrefix(strings.TrimSuffix(base, "/api/whitelabel"), "https://")
		upper := strings.ToUpper(host)
		for _, u := range []string{
			"https://" + upper + "/api/whitelabel",
			"https://" + host + ":443/api/whitelabel",
			"HTTPS://" + upper + ":443/api/whitelabel/",
			"https://" + host + "./api/whitelabel",
			"https://" + upper + ".:443/api/whitelabel/",
			"https://" + host + "/api/whitelabel?",
			"https://" + host + "/api/whitelabel/?",
			"https://" + host + "/api/whitelabel#",
			"https://" + host + "/api/whitelabel?#",
			"https://" + host + "/api/whitelabel//",
			"https://" + host + "/api/./whitelabel",
		} {
			c, err := NewClient(testAPIKey, testSecret, WithBaseURL(u))
			require.NoError(t, err, u)
			require.Equal(t, want.AccountKey(), c.AccountKey(), u)
			require.Equal(t, env, c.environment, u)
		}
	}
	a, err := NewClient(testAPIKey, testSecret, WithBaseURL("http://Proxy.example:80/tr"))
	require.NoError(t, err)
	for _, u := range []string{"http://proxy.example/tr", "http://proxy.example./tr/", "http://proxy.example/tr?", "http://PROXY.example:80/tr#"} {
		b, err := NewClient(testAPIKey, testSecret, WithBaseURL(u))
		require.NoError(t, err, u)
		require.Equal(t, a.AccountKey(), b.AccountKey(), u)
	}
	other, err := NewClient(testAPIKey, testSecret, WithBaseURL("http://proxy.example:8080/tr"))
	require.NoError(t, err)
	require.NotEqual(t, a.AccountKey(), other.AccountKey(), "another port is another server")
	other, err = NewClient(testAPIKey, testSecret, WithBaseURL("http://proxy.example/TR"))
	require.NoError(t, err)
	require.NotEqual(t, a.AccountKey(), other.AccountKey(), "paths are case-sensitive")
}

// oddGate returns a nil permit with no error, or a permit whose Release
// fails.
type oddGate struct{ nilPermit bool }

func (g oddGate) Acquire(context.Context, string, time.Duration, time.Duration) (Permit, error) {
	if g.nilPermit {
		return nil, nil
	}
	return failingPermit{}, nil
}

type failingPermit struct{}

func (failingPermit) Release(context.Context) error { return errors.New("gate store unreachable") }

// TestProcessOrderOddGates: a gate that hands out no permit sends
// nothing; a permit that cannot be released is logged (the account stays
// held until the lease ends) and the purchase's result is kept.
func TestProcessOrderOddGates(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, WithPurchaseGate(oddGate{nilPermit: true}))
	posts, _ := orderResponder(t, mt)
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle})
	require.ErrorIs(t, err, ErrNotSent)
	require.Zero(t, posts.Load())

	var logs bytes.Buffer
	c, mt = newMockClient(t, WithPurchaseGate(oddGate{}), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	posts, _ = orderResponder(t, mt)
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: testBundle})
	require.NoError(t, err)
	require.NotEmpty(t, order.Reference)
	require.Equal(t, int32(1), posts.Load())
	require.Contains(t, logs.String(), `"level":"WARN"`)
	require.Contains(t, logs.String(), "release failed")
	require.NotContains(t, logs.String(), testAPIKey)
}

// TestCleanupContext: a shared store's release and finish run on a
// context that outlives the call's, bounded by storeCleanupTimeout; the
// in-memory permit and journal, which ignore their context, get the
// call's own (no timer, no allocation).
func TestCleanupContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		shared, done := cleanupContext(ctx, countingPermit{})
		defer done()
		require.NoError(t, shared.Err(), "a shared store's cleanup outlives the call's context")
		deadline, ok := shared.Deadline()
		require.True(t, ok)
		require.Equal(t, time.Now().Add(storeCleanupTimeout), deadline)

		p, err := newMemoryGate().Acquire(t.Context(), "k", 0, time.Minute)
		require.NoError(t, err)
		for _, s := range []any{p, newMemoryJournal()} {
			got, done := cleanupContext(ctx, s)
			done()
			require.Equal(t, ctx, got, "%T", s)
		}
		require.NoError(t, p.Release(ctx), "the in-memory permit releases on an ended context")
	})
}

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
