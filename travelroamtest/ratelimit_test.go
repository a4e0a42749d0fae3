package travelroamtest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRateLimitFixedWindow(t *testing.T) {
	t.Parallel()
	clock := newTestClock() // 09:12:33.481213
	srv := newTestServer(t, WithClock(clock.Now), WithRateLimit(3))
	reset := "2025-03-04T09:12:34Z"
	for i := range 3 {
		resp := get(t, srv, "/organisation")
		require.Equal(t, http.StatusOK, resp.status, "request %d", i+1)
		require.Equal(t, "3", resp.header.Get("X-Ratelimit-Limit"))
		require.Equal(t, itoa(2-i), resp.header.Get("X-Ratelimit-Remaining"))
		require.Equal(t, reset, resp.header.Get("X-Ratelimit-Reset"))
		require.Equal(t, "1", resp.header.Get("X-Ratelimit-Cost"))
		require.Empty(t, resp.header.Get("Retry-After"))
	}
	srv.InjectFault(RouteProcessOrders, Status(503, "down"))
	resp := post(t, srv, RouteProcessOrders, purchaseBody("esim_1GB_7D_TR_V2", ""))
	require.Equal(t, http.StatusTooManyRequests, resp.status)
	require.JSONEq(t, `{"message":"Rate limit exceeded"}`, string(resp.body))
	require.Equal(t, "1", resp.header.Get("Retry-After"))
	require.Equal(t, "0", resp.header.Get("X-Ratelimit-Remaining"))
	require.Equal(t, reset, resp.header.Get("X-Ratelimit-Reset"))
	require.Empty(t, srv.Orders(), "a limited purchase is not handled")
	require.Equal(t, 1, srv.PendingFaults(RouteProcessOrders), "nor does it take a fault")
	reqs := srv.Requests()
	require.Equal(t, http.StatusTooManyRequests, reqs[len(reqs)-1].Status, "the ledger records it")

	clock.Advance(518787 * time.Microsecond) // 09:12:34.000000: a new window
	resp = post(t, srv, RouteProcessOrders, purchaseBody("esim_1GB_7D_TR_V2", ""))
	require.Equal(t, http.StatusServiceUnavailable, resp.status, "the queued fault applies now")
	require.Equal(t, "2", resp.header.Get("X-Ratelimit-Remaining"))
	require.Equal(t, "2025-03-04T09:12:35Z", resp.header.Get("X-Ratelimit-Reset"))
	buy(t, srv, "esim_1GB_7D_TR_V2", "")
	require.Len(t, srv.Orders(), 1)
}

func TestNoRateLimitHeadersByDefault(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	for range 20 {
		resp := get(t, srv, "/organisation")
		require.Equal(t, http.StatusOK, resp.status)
		require.Empty(t, resp.header.Get("X-Ratelimit-Limit"))
	}
	require.Panics(t, func() { WithRateLimit(0)(&config{}) })
}

func TestRateLimitedFault(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	srv := newTestServer(t, WithClock(clock.Now))
	srv.InjectFault(RouteCatalogue, RateLimited())
	resp := post(t, srv, RouteCatalogue, `{"region":"Europe"}`)
	require.Equal(t, http.StatusTooManyRequests, resp.status)
	require.JSONEq(t, `{"message":"Rate limit exceeded"}`, string(resp.body))
	require.Equal(t, "application/json", resp.header.Get("Content-Type"))
	for header, want := range map[string]string{
		"Retry-After": "1", "X-Ratelimit-Limit": "10", "X-Ratelimit-Remaining": "0",
		"X-Ratelimit-Reset": "2025-03-04T09:12:34Z", "X-Ratelimit-Cost": "1",
	} {
		require.Equal(t, want, resp.header.Get(header), header)
	}
	require.Equal(t, http.StatusOK, post(t, srv, RouteCatalogue, `{"region":"Europe"}`).status)
	require.Equal(t, "rate limited", srv.Requests()[0].Fault)

	srv.InjectFault(RouteProcessOrders, RateLimited().AfterHandling())
	resp = post(t, srv, RouteProcessOrders, purchaseBody("esim_1GB_7D_TR_V2", ""))
	require.Equal(t, http.StatusTooManyRequests, resp.status)
	require.Len(t, srv.Orders(), 1, "a lying 429: the order went through")
	require.Equal(t, "rate limited after handling", RateLimited().AfterHandling().String())

	limited := newTestServer(t, WithClock(clock.Now), WithRateLimit(50))
	limited.InjectFault(RouteCatalogue, RateLimited())
	resp = post(t, limited, RouteCatalogue, `{"region":"Europe"}`)
	require.Equal(t, http.StatusTooManyRequests, resp.status)
	require.Equal(t, "50", resp.header.Get("X-Ratelimit-Limit"), "the configured limit")
	require.Equal(t, "0", resp.header.Get("X-Ratelimit-Remaining"))
}
