package travelroamtest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// try sends a purchase and returns the raw outcome, errors included.
func try(ctx context.Context, srv *Server, route Route, body string) (*http.Response, []byte, error) {
	method := http.MethodPost
	var rd io.Reader = strings.NewReader(body)
	if route == RouteOrganisation || strings.HasPrefix(string(route), string(RouteAssignments)) {
		method, rd = http.MethodGet, nil
	}
	req, err := http.NewRequestWithContext(ctx, method, srv.URL+string(route), rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("X-API-KEY", srv.APIKey)
	req.Header.Set("Clientsecret", srv.ClientSecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, raw, err
}

var purchase1GB = purchaseBody("esim_1GB_7D_TR_V2", "")

// modes runs f against a loopback and an in-memory server.
func modes(t *testing.T, f func(t *testing.T, srv *Server)) {
	t.Helper()
	for name, opts := range map[string][]Option{"loopback": nil, "in-memory": {WithInMemoryNetwork()}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, newTestServer(t, opts...))
		})
	}
}

func TestStatusFaults(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	date := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC).Format(http.TimeFormat)
	srv.InjectFault(RouteProcessOrders,
		Status(503, "Service temporarily unavailable").WithRetryAfter("30"),
		Status(429, "Too many requests").WithRetryAfter(date),
		Status(500, "Server error").WithBody("application/json", `{"error":"boom"}`),
		Status(504, "Gateway timeout"))
	require.Equal(t, 4, srv.PendingFaults(RouteProcessOrders))

	resp := post(t, srv, RouteProcessOrders, purchase1GB)
	require.Equal(t, 503, resp.status)
	require.Equal(t, "30", resp.header.Get("Retry-After"))
	require.Equal(t, "Service temporarily unavailable", resp.message(t))
	resp = post(t, srv, RouteProcessOrders, purchase1GB)
	require.Equal(t, 429, resp.status)
	require.Equal(t, date, resp.header.Get("Retry-After"))
	resp = post(t, srv, RouteProcessOrders, purchase1GB)
	require.Equal(t, 500, resp.status)
	require.JSONEq(t, `{"error":"boom"}`, string(resp.body))
	require.Equal(t, 504, post(t, srv, RouteProcessOrders, purchase1GB).status)

	require.Empty(t, srv.Orders(), "faults before handling change nothing")
	require.Equal(t, DefaultSandboxBalanceCents, srv.Balance(Sandbox))
	require.Zero(t, srv.PendingFaults(RouteProcessOrders))
	require.Equal(t, http.StatusOK, post(t, srv, RouteProcessOrders, purchase1GB).status, "queue empty: normal again")
	require.Equal(t, "status 503", srv.Requests()[0].Fault)
}

func TestFaultOnNthRequestOnlyOnItsRoute(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	srv.InjectFault(RouteOrganisation, Pass(), Pass(), Status(502, "Bad gateway"))
	require.Equal(t, http.StatusOK, post(t, srv, RouteCatalogue, `{"region":"Europe"}`).status)
	require.Equal(t, http.StatusOK, get(t, srv, "/organisation").status)
	require.Equal(t, http.StatusOK, get(t, srv, "/organisation").status)
	require.Equal(t, http.StatusBadGateway, get(t, srv, "/organisation").status)
	require.Equal(t, http.StatusOK, get(t, srv, "/organisation").status)
	reqs := srv.Requests()
	require.Equal(t, []string{"", "", "", "status 502", ""}, []string{reqs[0].Fault, reqs[1].Fault, reqs[2].Fault, reqs[3].Fault, reqs[4].Fault})
	require.Panics(t, func() { srv.InjectFault("/nope", Pass()) })
}

func TestLyingStatusAfterHandlingCreatesTheOrder(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	srv.InjectFault(RouteProcessOrders, Status(503, "Service temporarily unavailable").AfterHandling())
	resp := post(t, srv, RouteProcessOrders, purchase1GB)
	require.Equal(t, 503, resp.status)
	require.Len(t, srv.Orders(), 1)
	require.Less(t, srv.Balance(Sandbox), DefaultSandboxBalanceCents)
	require.Equal(t, "status 503 after handling", srv.Requests()[0].Fault)
}

func TestResetFaults(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, srv *Server) {
		srv.InjectFault(RouteProcessOrders, ResetBeforeBody(), ResetAfterHandling())
		_, _, err := try(t.Context(), srv, RouteProcessOrders, purchase1GB)
		require.Error(t, err)
		require.Empty(t, srv.Orders(), "reset before the body: nothing happened")

		_, _, err = try(t.Context(), srv, RouteProcessOrders, purchase1GB)
		require.Error(t, err)
		require.Len(t, srv.Orders(), 1, "reset after handling: the order exists")

		reqs := srv.Requests()
		require.Len(t, reqs, 2, "the client did not replay the purchase")
		require.Nil(t, reqs[0].Body)
		require.Zero(t, reqs[0].Status)
		require.Equal(t, purchase1GB, string(reqs[1].Body))
		require.Zero(t, reqs[1].Status)
		require.Equal(t, http.StatusOK, post(t, srv, RouteProcessOrders, purchase1GB).status)
	})
}

func TestBodyFaults(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, srv *Server) {
		srv.InjectFault(RouteProcessOrders, TruncatedBody(), MalformedJSON())
		resp, raw, err := try(t.Context(), srv, RouteProcessOrders, purchase1GB)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Greater(t, resp.ContentLength, int64(len(raw)))
		require.Len(t, srv.Orders(), 1)

		resp, raw, err = try(t.Context(), srv, RouteProcessOrders, purchase1GB)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.False(t, json.Valid(raw))
		require.True(t, strings.HasPrefix(string(raw), `{"order":[`), string(raw))
		require.Len(t, srv.Orders(), 2)
	})
}

func TestHugeBodyAndHTMLFaults(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, srv *Server) {
		const size = 5 << 20
		srv.InjectFault(RouteOrganisation, HugeBody(200, size), HugeBody(503, size), HTMLBadGateway().WithRetryAfter("5"))
		resp, raw, err := try(t.Context(), srv, RouteOrganisation, "")
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		require.Len(t, raw, size)
		require.True(t, json.Valid(raw))

		// A client that stops reading early does not hang the server.
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/organisation", nil)
		req.Header.Set("X-API-KEY", srv.APIKey)
		req.Header.Set("Clientsecret", srv.ClientSecret)
		r2, err := srv.Client().Do(req)
		require.NoError(t, err)
		require.Equal(t, 503, r2.StatusCode)
		_, _ = io.ReadFull(r2.Body, make([]byte, 1024))
		cancel()
		r2.Body.Close()

		resp, raw, err = try(t.Context(), srv, RouteOrganisation, "")
		require.NoError(t, err)
		require.Equal(t, 502, resp.StatusCode)
		require.Equal(t, "text/html", resp.Header.Get("Content-Type"))
		require.Equal(t, "5", resp.Header.Get("Retry-After"))
		require.Contains(t, string(raw), "<h1>502 Bad Gateway</h1>")
	})
}

func TestLatencyFaultsInVirtualTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithInMemoryNetwork())
		defer srv.Close()
		srv.InjectFault(RouteProcessOrders, Latency(45*time.Second), Latency(time.Minute), Latency(time.Minute).AfterHandling())

		start := time.Now()
		resp, _, err := try(t.Context(), srv, RouteProcessOrders, purchase1GB)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, 45*time.Second, time.Since(start))
		require.Equal(t, start.Add(45*time.Second), srv.Orders()[0].CreatedAt, "handled after the wait")

		// The client gives up during a wait before handling: no order.
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		_, _, err = try(ctx, srv, RouteProcessOrders, purchase1GB)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		synctest.Wait()
		require.Len(t, srv.Orders(), 1)
		require.Zero(t, srv.Requests()[1].Status)

		// Slow answer after handling: the order exists although the client
		// timed out.
		ctx, cancel = context.WithTimeout(t.Context(), 30*time.Second)
		_, _, err = try(ctx, srv, RouteProcessOrders, purchase1GB)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		synctest.Wait()
		require.Len(t, srv.Orders(), 2)
	})
}

func TestTrickleFault(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithInMemoryNetwork())
		defer srv.Close()
		srv.InjectFault(RouteBundle, Trickle(time.Second), Trickle(time.Second))
		body := `{"bundlename":"esim_1GB_7D_TR_V2"}`
		start := time.Now()
		resp, raw, err := try(t.Context(), srv, RouteBundle, body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.True(t, json.Valid(raw))
		require.Equal(t, time.Duration(len(raw))*time.Second, time.Since(start))

		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, _, err = try(ctx, srv, RouteBundle, body)
		require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	})
}

func TestCloseCutsSlowAnswersShort(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	srv.InjectFault(RouteOrganisation, Latency(time.Hour))
	done := make(chan error, 1)
	go func() {
		_, _, err := try(context.Background(), srv, RouteOrganisation, "")
		done <- err
	}()
	require.Eventually(t, func() bool { return srv.RequestCount(RouteOrganisation) == 1 }, time.Minute, time.Millisecond)
	srv.Close() // returns, and the hour-long answer is cut short: a hang here would time the test out
	<-done
	srv.Close() // idempotent
}

func TestFaultNames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f    Fault
		want string
	}{
		{Pass(), "none"},
		{Status(429, "x"), "status 429"},
		{Latency(time.Second), "latency 1s"},
		{Latency(time.Second).AfterHandling(), "latency 1s after handling"},
		{ResetBeforeBody(), "reset before body"},
		{ResetAfterHandling(), "reset after handling"},
		{TruncatedBody(), "truncated body"},
		{MalformedJSON(), "malformed JSON"},
		{HugeBody(200, 100), "huge body 100 bytes, status 200"},
		{HTMLBadGateway(), "HTML 502"},
		{Trickle(time.Millisecond), "trickle 1ms/byte"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.f.String())
	}
}
