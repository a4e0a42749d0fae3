package travelroamtest

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestInMemoryServerRunsInVirtualTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithInMemoryNetwork(), WithAssignmentDelay(8*time.Minute))
		defer srv.Close()
		require.Equal(t, "http://travelroam.fake.test/api/whitelabel", srv.URL)

		start := time.Now()
		o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
		url := "/getesimassignments?orderReference=" + o.OrderReference
		polls := 0
		for get(t, srv, url).status == http.StatusServiceUnavailable {
			polls++
			time.Sleep(30 * time.Second)
		}
		require.Equal(t, 8*time.Minute, time.Since(start), "eight virtual minutes, no real ones")
		require.Equal(t, 16, polls)
		require.Equal(t, 17, srv.RequestCount(RouteAssignments))
		require.Equal(t, start, srv.Orders()[0].CreatedAt)
	})
}

func TestInMemoryClientFiresHTTPTraceHooks(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithInMemoryNetwork())
		defer srv.Close()
		var gotConn, reused, wrote atomic.Int32
		trace := &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) {
				gotConn.Add(1)
				if info.Reused {
					reused.Add(1)
				}
			},
			WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Add(1) },
		}
		ctx := httptrace.WithClientTrace(t.Context(), trace)
		for range 2 {
			resp, _, err := try(ctx, srv, RouteOrganisation, "")
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
		}
		require.Equal(t, int32(2), gotConn.Load())
		require.Equal(t, int32(1), reused.Load(), "keep-alive works over the pipe")
		require.Equal(t, int32(2), wrote.Load())
		_, ok := srv.Client().Transport.(*http.Transport)
		require.True(t, ok, "a real *http.Transport")
	})
}

func TestInMemoryDialAfterCloseFails(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithInMemoryNetwork())
		srv.Close()
		_, _, err := try(context.Background(), srv, RouteOrganisation, "")
		require.ErrorContains(t, err, "in-memory server closed")
	})
}

func TestLoopbackClient(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	resp, _, err := try(t.Context(), srv, RouteOrganisation, "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get(srv.URL + "/organisation") // any client reaches the loopback server
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	http.DefaultClient.CloseIdleConnections()
}

func TestWithClockDrivesTimestamps(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2031, 1, 2, 3, 4, 5, 6, time.UTC)
	srv := newTestServer(t, WithClock(func() time.Time { return fixed }))
	o := buy(t, srv, "esim_1GB_7D_TR_V2", "")
	require.Equal(t, "2031-01-02T03:04:05.000000006Z", o.CreatedDate)
	require.Equal(t, fixed, srv.Requests()[0].Time)
	require.Equal(t, http.StatusServiceUnavailable, get(t, srv, "/getesimassignments?orderReference="+o.OrderReference).status,
		"the fixed clock never reaches readiness")
}
