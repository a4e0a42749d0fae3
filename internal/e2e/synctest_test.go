package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/testrig"
	"github.com/roamkit/travelroam/travelroamtest"
)

// newVirtualE2E starts the fake on its in-memory network and a client with
// the default purchase pacing (5 s); call it inside a synctest bubble.
// Both are closed when the (bubble's) test ends.
func newVirtualE2E(t *testing.T, opts ...travelroamtest.Option) *e2e {
	t.Helper()
	opts = append([]travelroamtest.Option{travelroamtest.WithInMemoryNetwork()}, opts...)
	e := &e2e{LeakWatch: testrig.NewLeakWatch(t), srv: travelroamtest.NewServer(opts...)}
	t.Cleanup(e.srv.Close)
	e.WatchServer(e.srv)
	c, err := travelroam.NewClient(e.srv.APIKey, e.srv.ClientSecret,
		travelroam.WithBaseURL(e.srv.URL), travelroam.WithHTTPClient(e.srv.Client()), travelroam.WithLogger(e.Logger()))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	e.c = c
	return e
}

// since returns the arrival times of the requests to route that arrived
// at or after start, relative to start.
func (e *e2e) since(start time.Time, route travelroamtest.Route) []time.Duration {
	var out []time.Duration
	for _, r := range e.srv.Requests() {
		if r.Route == route && !r.Time.Before(start) {
			out = append(out, r.Time.Sub(start))
		}
	}
	return out
}

func seconds(s ...int) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, v := range s {
		out[i] = time.Duration(v) * time.Second
	}
	return out
}

func TestE2EWaitForAssignmentsSchedule(t *testing.T) {
	t.Parallel()
	require.Equal(t, seconds(0, 2, 6, 12, 20, 28, 36), pollsUntil(29*time.Second))
	for name, style := range map[string]travelroamtest.PendingStyle{
		"503": travelroamtest.Pending503, "404": travelroamtest.Pending404, "empty 200": travelroamtest.PendingEmpty200,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) { testWaitSchedule(t, style) })
		})
	}
}

// testWaitSchedule buys an eSIM whose data is ready 30 s later, asks once
// for it (not ready), then waits for it: the poll that sees it is the
// first one after 30 s from the order.
func testWaitSchedule(t *testing.T, style travelroamtest.PendingStyle) {
	e := newVirtualE2E(t, travelroamtest.WithAssignmentDelay(30*time.Second), travelroamtest.WithPendingStyle(style))
	ctx := context.Background()
	ordered := time.Now()
	order, err := e.c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, e.Err(err))
	_, err = e.c.Assignments(ctx, order.Reference)
	require.ErrorIs(t, e.Err(err), travelroam.ErrAssignmentsNotReady)
	if style == travelroamtest.Pending503 {
		var apiErr *travelroam.APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, 2*time.Second, apiErr.RetryAfter)
	}
	time.Sleep(time.Second)
	start := time.Now() // the wait starts after the single ask (and its retries)

	var got []time.Duration // the "next" of each progress call
	list, err := e.c.WaitForAssignments(ctx, order.Reference, travelroam.WithProgress(func(attempt int, next time.Duration) {
		require.Equal(t, len(got)+1, attempt)
		got = append(got, next)
	}))
	require.NoError(t, e.Err(err))
	e.Secret(list[0].MatchingID.Reveal())
	polls := pollsUntil(ordered.Add(30 * time.Second).Sub(start))
	require.Equal(t, polls, e.since(start, travelroamtest.RouteAssignments))
	require.Equal(t, polls[len(polls)-1], time.Since(start), "returns at the first poll after the data is ready")
	for i := range got {
		require.Equal(t, polls[i+1]-polls[i], got[i])
	}
	require.Len(t, got, len(polls)-1)

	code, err := list[0].ActivationCode()
	require.NoError(t, err)
	back, err := travelroam.ParseActivationCode(code.LPA())
	require.NoError(t, err)
	require.Equal(t, code, back)

	time.Sleep(time.Minute)
	require.Len(t, e.since(start, travelroamtest.RouteAssignments), len(polls), "no poll after the wait returned")
}

// pollsUntil is the documented schedule (at once, then 2, 4, 6 s apart,
// then every 8 s) up to the first poll at or after ready.
func pollsUntil(ready time.Duration) []time.Duration {
	polls := []time.Duration{0}
	for i := 1; polls[len(polls)-1] < ready; i++ {
		polls = append(polls, polls[len(polls)-1]+time.Duration(min(2*i, 8))*time.Second)
	}
	return polls
}

func TestE2EWaitForAssignmentsRunsOut(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newVirtualE2E(t, travelroamtest.WithAssignmentDelay(15*time.Minute))
		ctx := context.Background()
		order, err := e.c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		require.NoError(t, e.Err(err))
		start := time.Now()

		_, err = e.c.WaitForAssignments(ctx, order.Reference)
		require.ErrorAs(t, e.Err(err), new(*travelroam.AssignmentsPendingError))
		var pending *travelroam.AssignmentsPendingError
		require.ErrorAs(t, err, &pending)
		require.Equal(t, order.Reference, pending.OrderReference)
		require.Equal(t, 596*time.Second, time.Since(start), "no poll would start before the 10 minutes are over")
		polls := e.since(start, travelroamtest.RouteAssignments)
		require.Len(t, polls, 77)
		require.Equal(t, 77, pending.Attempts)
		require.Equal(t, seconds(0, 2, 6, 12, 20), polls[:5])
		for i := 5; i < len(polls); i++ {
			require.Equal(t, 8*time.Second, polls[i]-polls[i-1])
		}

		time.Sleep(5 * time.Minute)
		require.Len(t, e.since(start, travelroamtest.RouteAssignments), 77, "no poll after the wait returned")
		list, err := e.c.WaitForAssignments(ctx, order.Reference)
		require.NoError(t, e.Err(err), "waiting again with the same reference works")
		e.Secret(list[0].MatchingID.Reveal())
		require.Len(t, e.srv.Orders(), 1, "never bought again")
	})
}

func TestE2EPurchasePacingAndTopUp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newVirtualE2E(t, travelroamtest.WithAssignmentDelay(0))
		ctx := context.Background()
		start := time.Now()
		order, err := e.c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		require.NoError(t, e.Err(err))
		list, err := e.c.WaitForAssignments(ctx, order.Reference)
		require.NoError(t, e.Err(err))
		iccid := list[0].ICCID
		e.Secret(list[0].MatchingID.Reveal())

		for _, name := range []string{"esim_2GB_15D_TR_V2", "esim_1GB_7D_TR_V2"} {
			_, err := e.c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: name, ICCID: iccid})
			require.NoError(t, e.Err(err))
		}
		require.Equal(t, seconds(0, 5, 10), e.since(start, travelroamtest.RouteProcessOrders), "purchases 5 s apart")
		for _, r := range e.srv.Requests() {
			require.False(t, r.TooSoon, "request %s", r)
		}
		bundles, err := e.c.AppliedBundles(ctx, iccid)
		require.NoError(t, e.Err(err))
		left, _ := travelroam.RemainingDataBytes(bundles, time.Now())
		require.Equal(t, int64(4_000_000_000), left)
		require.Len(t, bundles, 2, "two bundles, the 1 GB one bought twice")
		require.Len(t, bundles[0].Assignments, 2)
	})
}

func TestE2EReadRetryAfterInVirtualTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newVirtualE2E(t)
		e.srv.InjectFault(travelroamtest.RouteOrganisation,
			travelroamtest.Status(http.StatusTooManyRequests, "Too many requests").WithRetryAfter("7"),
			travelroamtest.Status(http.StatusServiceUnavailable, "Service temporarily unavailable").WithRetryAfter("11"))
		start := time.Now()
		org, err := e.c.Organisation(context.Background())
		require.NoError(t, e.Err(err))
		require.Zero(t, org.Balance.Cmp(amountFromCents(travelroamtest.DefaultSandboxBalanceCents)))
		require.Equal(t, seconds(0, 7, 18), e.since(start, travelroamtest.RouteOrganisation), "Retry-After honoured exactly")
	})
}
