package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/testrig"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
)

var buy = travelroam.OrderRequest{BundleName: testBundle}

// TestS1_PurchasesUnder503AndRefusedConnections proves G1 (no double
// purchase) and G10 (typed errors) for the failures that say "not
// processed".
//
// 200 purchases, one after the other at the default 5 s pacing, in
// virtual time. 30 % of the requests that reach the fake get "503 before
// handling" (Retry-After: 120); 10 % of the calls meet 1 to 3 refused
// connections (a *net.OpError{Op: "dial"}: provably nothing sent).
//
// Pass: orders in the ledger == calls that returned success, and their
// references match; no call sends more than one POST; every failure is an
// *APIError matching ErrUnavailable (with its Retry-After) or a not-sent
// dial error; 0 OutcomeUnknown; no purchase arrives sooner than 5 s after
// the previous one; no request carries an idempotency header.
func TestS1_PurchasesUnder503AndRefusedConnections(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S1", "G1, G10", "200 purchases: 30 % 503 before handling, 10 % refused connections")
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		refuse, arm := refuseNext()
		r := newRig(t, rec, rigOptions{Virtual: true, NoKeepAlive: true, Refuse: refuse})
		faults := newRand(1)
		for range 200 {
			f := travelroamtest.Pass()
			if faults.Float64() < 0.3 {
				f = travelroamtest.Status(503, "Service temporarily unavailable").WithRetryAfter("120")
			}
			r.Srv.InjectFault(travelroamtest.RouteProcessOrders, f)
		}
		dials := newRand(2)
		var refs []string
		resent := 0
		for range 200 {
			n := 0
			if dials.Float64() < 0.1 {
				n = 1 + dials.IntN(3)
				arm(n)
			}
			before := r.Srv.RequestCount(travelroamtest.RouteProcessOrders)
			order, err := r.C.ProcessOrder(t.Context(), buy)
			sent := r.Srv.RequestCount(travelroamtest.RouteProcessOrders) - before
			rec.outcome(err)
			switch {
			case err == nil:
				require.Equal(t, 1, sent)
				refs = append(refs, order.Reference)
				if n > 0 {
					resent++
				}
			case errors.Is(err, travelroam.ErrUnavailable):
				require.Equal(t, 1, sent)
				var ae *travelroam.APIError
				require.ErrorAs(t, err, &ae)
				require.Equal(t, 120*time.Second, ae.RetryAfter)
				require.NotErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
			case isDialRefused(err):
				require.Equal(t, 0, sent)
				require.Equal(t, 3, n, "a refused dial is re-sent up to twice")
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		slices.Sort(refs)
		require.Equal(t, refs, orderRefs(r.Srv), "one order per successful call, none hidden")
		for _, p := range purchases(r.Srv) {
			require.False(t, p.TooSoon, "%s", p)
		}
		requireNoIdempotencyHeaders(t, r.Srv)
		rec.addVirtual(time.Since(start))
		rec.note("%d successes after a refused dial was re-sent", resent)
		rec.note("%d dials, %d refused", r.Net.Dials.Load(), r.Net.Refused.Load())
	})
}

// TestS2_AmbiguousPurchasesAreOutcomeUnknown proves G1 and G2: a purchase
// that may have gone through is reported, never retried nor guessed.
//
// 100 purchases whose order the fake really creates, a third each then
// dropped without an answer, answered after the 90 s purchase timeout
// (120 s), or answered 500.
//
// Pass: exactly 100 orders in the ledger and exactly 1 POST per call;
// 100/100 errors are *OutcomeUnknownError and carry the bundle name, the
// send time (equal to the fake's arrival time) and the cause (a timeout,
// the *APIError 500, or the dropped connection); 0 successes.
func TestS2_AmbiguousPurchasesAreOutcomeUnknown(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S2", "G1, G2", "100 purchases created then dropped / answered after the timeout / answered 500")
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		r := newRig(t, rec, rigOptions{Virtual: true})
		faults := []travelroamtest.Fault{
			travelroamtest.ResetAfterHandling(),
			travelroamtest.Latency(120 * time.Second).AfterHandling(),
			travelroamtest.Status(500, "Internal Server Error").AfterHandling(),
		}
		for i := range 100 {
			r.Srv.InjectFault(travelroamtest.RouteProcessOrders, faults[i%3])
			before := len(purchases(r.Srv))
			_, err := r.C.ProcessOrder(t.Context(), buy)
			rec.outcome(err)
			sent := purchases(r.Srv)[before:]
			require.Len(t, sent, 1)
			var oe *travelroam.OutcomeUnknownError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, testBundle, oe.BundleName)
			require.Equal(t, sent[0].Time, oe.SentAt, "SentAt is when the request left")
			var (
				ae *travelroam.APIError
				ne net.Error
			)
			switch i % 3 {
			case 0:
				require.False(t, errors.As(err, &ae) || (errors.As(err, &ne) && ne.Timeout()), "%v", err)
			case 1:
				require.True(t, errors.As(err, &ne) && ne.Timeout(), "%v", err)
			case 2:
				require.ErrorAs(t, err, &ae)
				require.Equal(t, 500, ae.StatusCode)
			}
		}
		require.Len(t, r.Srv.Orders(), 100)
		require.Len(t, purchases(r.Srv), 100)
		requireNoIdempotencyHeaders(t, r.Srv)
		rec.addVirtual(time.Since(start))
	})
}

// TestS4_NoHiddenReplayOnReusedConnection proves G1 against net/http's
// own silent replay (reliability.md 1.9), over real loopback TCP.
//
// 50 runs: a read opens a keep-alive connection, then a purchase goes out
// on that reused connection and the fake creates the order and closes the
// connection without answering. A control run sends the same POST with
// an Idempotency-Key header through the same transport, to show that the
// ledger sees net/http's replay when there is one.
//
// Pass: every purchase used the reused connection and returns
// OutcomeUnknown; POSTs at the fake == orders == 50 (no replay); no
// request carries Idempotency-Key or X-Idempotency-Key; the control
// produces 2 POSTs and 2 orders from one call that returns no error.
func TestS4_NoHiddenReplayOnReusedConnection(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S4", "G1", "50 purchases dropped after handling on a reused keep-alive connection (loopback)")
	r := newRig(t, rec, rigOptions{Client: []travelroam.Option{travelroam.WithPurchaseInterval(0)}})
	for range 50 {
		r.C.CloseIdleConnections()
		_, err := r.C.Organisation(t.Context())
		require.NoError(t, err)
		dials := r.Net.Dials.Load()
		r.Srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.ResetAfterHandling())
		_, err = r.C.ProcessOrder(t.Context(), buy)
		rec.outcome(err)
		require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
		require.Equal(t, dials, r.Net.Dials.Load(), "the purchase went out on the reused connection")
	}
	require.Len(t, purchases(r.Srv), 50)
	require.Len(t, r.Srv.Orders(), 50)
	requireNoIdempotencyHeaders(t, r.Srv)

	posts, orders := replayControl(t, r)
	require.Equal(t, 2, posts, "the ledger sees net/http's replay of a POST with Idempotency-Key")
	require.Equal(t, 2, orders)
	rec.note("control with an Idempotency-Key header: 1 call, err = nil, %d POSTs, %d orders", posts, orders)
}

// replayControl sends one purchase with an Idempotency-Key header on a
// reused connection that the fake drops after handling, and returns the
// POSTs and orders it caused.
func replayControl(t *testing.T, r *rig) (posts, orders int) {
	t.Helper()
	hc := &http.Client{Transport: testrig.CountingTransport{Base: r.Tr, Stats: r.Net}}
	do := func(method, route, body string, hdr ...string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(t.Context(), method, r.Srv.URL+route, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-API-KEY", r.Srv.APIKey)
		req.Header.Set("Clientsecret", r.Srv.ClientSecret)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return hc.Do(req)
	}
	r.Tr.CloseIdleConnections()
	resp, err := do(http.MethodGet, "/organisation", "")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	p0, o0 := len(purchases(r.Srv)), len(r.Srv.Orders())
	r.Srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.ResetAfterHandling())
	resp, err = do(http.MethodPost, "/processorders", fmt.Sprintf(`{"bundleName":%q,"orderType":"COUNTRY"}`, testBundle),
		"Idempotency-Key", "control-1")
	require.NoError(t, err, "net/http replayed the POST and hid the drop")
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return len(purchases(r.Srv)) - p0, len(r.Srv.Orders()) - o0
}

// TestS5_ConcurrentPurchasesArePaced proves G4: purchases through one
// Client are serialised and paced, whatever the callers do.
//
// 20 goroutines buy at once through one Client with the default 5 s
// interval; 10 % of the purchases get "503 before handling". Virtual
// time.
//
// Pass: between consecutive purchase POSTs at the fake, ≥ 5.000 s from
// the end of one answer to the next arrival (so also between starts);
// never two purchases in flight; total virtual time ≥ 95 s; every call
// returns success or ErrUnavailable, and orders == successes.
func TestS5_ConcurrentPurchasesArePaced(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S5", "G4", "20 concurrent purchases, default 5 s interval, 10 % 503 before handling")
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		r := newRig(t, rec, rigOptions{Virtual: true})
		faults := newRand(5)
		for range 20 {
			f := travelroamtest.Pass()
			if faults.Float64() < 0.1 {
				f = travelroamtest.Status(503, "Service temporarily unavailable")
			}
			r.Srv.InjectFault(travelroamtest.RouteProcessOrders, f)
		}
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			successes int
		)
		for range 20 {
			wg.Go(func() {
				_, err := r.C.ProcessOrder(context.Background(), buy)
				rec.outcome(err)
				if err != nil {
					require.ErrorIs(t, err, travelroam.ErrUnavailable)
					return
				}
				mu.Lock()
				successes++
				mu.Unlock()
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		ps := purchases(r.Srv)
		require.Len(t, ps, 20)
		minGap := time.Duration(1 << 62)
		for i := 1; i < len(ps); i++ {
			require.False(t, ps[i].TooSoon, "%s", ps[i])
			require.False(t, ps[i].Time.Before(ps[i-1].End), "never two purchases in flight")
			require.GreaterOrEqual(t, ps[i].SincePreviousPurchase, 5*time.Second)
			minGap = min(minGap, ps[i].Time.Sub(ps[i-1].Time))
		}
		require.GreaterOrEqual(t, minGap, 5*time.Second)
		require.GreaterOrEqual(t, elapsed, 95*time.Second)
		require.Len(t, r.Srv.Orders(), successes)
		rec.addVirtual(elapsed)
		rec.note("min gap between purchase starts %s; max in flight 1", minGap)
	})
}

// TestS11_UnreadableAnswers proves G2 for purchases and G3 for reads: a
// 2xx that cannot be read or decoded.
//
// A purchase answered 200 with a truncated body (Content-Length larger
// than the bytes sent) or with malformed JSON, after the order was
// created; the same faults on a read (GET /organisation), once then
// healed, and on every attempt.
//
// Pass: the purchases return OutcomeUnknown (carrying the *DecodeError
// for malformed JSON) after exactly 1 POST each, and both orders exist;
// a truncated read succeeds at the 2nd request after one fault, and ends
// with io.ErrUnexpectedEOF after 4 requests when every attempt is cut; a
// malformed (complete) body is a *DecodeError after exactly 1 request,
// since asking again would bring the same bytes back.
func TestS11_UnreadableAnswers(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S11", "G2, G3", "truncated and malformed 200 answers to purchases and reads")
	cases := []struct {
		name  string
		fault travelroamtest.Fault
		read  error // what a read ends with after 4 faults
		tries int   // requests a read makes when every attempt gets the fault
	}{
		{"truncated", travelroamtest.TruncatedBody(), io.ErrUnexpectedEOF, 4},
		{"malformed", travelroamtest.MalformedJSON(), nil, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				r := newRig(t, rec, rigOptions{Virtual: true})
				r.Srv.InjectFault(travelroamtest.RouteProcessOrders, tc.fault)
				_, err := r.C.ProcessOrder(t.Context(), buy)
				rec.outcome(err)
				require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
				var de *travelroam.DecodeError
				require.Equal(t, tc.read == nil, errors.As(err, &de), "%v", err)
				require.Len(t, purchases(r.Srv), 1)
				require.Len(t, r.Srv.Orders(), 1)

				if tc.tries > 1 {
					r.Srv.InjectFault(travelroamtest.RouteOrganisation, tc.fault)
					_, err = r.C.Organisation(t.Context())
					rec.outcome(err)
					require.NoError(t, err)
					require.Equal(t, 2, r.Srv.RequestCount(travelroamtest.RouteOrganisation))
				}
				before := r.Srv.RequestCount(travelroamtest.RouteOrganisation)
				for range tc.tries {
					r.Srv.InjectFault(travelroamtest.RouteOrganisation, tc.fault)
				}
				_, err = r.C.Organisation(t.Context())
				rec.outcome(err)
				if tc.read == nil {
					require.ErrorAs(t, err, &de)
				} else {
					require.ErrorIs(t, err, tc.read)
				}
				require.Equal(t, before+tc.tries, r.Srv.RequestCount(travelroamtest.RouteOrganisation))
				rec.addVirtual(time.Since(start))
			})
		})
	}
}
