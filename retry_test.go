package travelroam

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

func TestReadRetriesTransientStatus(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		var times []time.Duration
		start := time.Now()
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
			times = append(times, time.Since(start))
			switch len(times) {
			case 1, 2:
				return httpmock.NewStringResponse(503, `{"message":"busy"}`), nil
			}
			return httpmock.NewBytesResponse(200, fixture(t, "organisation_wrapped.json")), nil
		})
		org, err := c.Organisation(t.Context())
		require.NoError(t, err)
		require.Equal(t, "482.37", org.Balance.String())
		require.Equal(t, 3, mt.GetTotalCallCount())
		// Jitter is off: waits are d/2 with d = 500ms, 1s.
		require.Equal(t, []time.Duration{0, 250 * time.Millisecond, 750 * time.Millisecond}, times)
	})
}

func TestReadDoesNotRetry400(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", httpmock.NewStringResponder(400, `{"error":"bad"}`))
	_, err := c.Organisation(t.Context())
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "bad", ae.Message)
	require.Equal(t, 1, mt.GetTotalCallCount())
}

func TestReadLongRetryAfterReturnsAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation",
			httpmock.NewStringResponder(429, `{"message":"slow down"}`).HeaderSet(http.Header{"Retry-After": {"3600"}}))
		start := time.Now()
		_, err := c.Organisation(t.Context())
		require.Zero(t, time.Since(start))
		require.ErrorIs(t, err, ErrRateLimited)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, time.Hour, ae.RetryAfter)
		require.Equal(t, 1, mt.GetTotalCallCount())
	})
}

func TestReadRetriesExhaustedKeepStatus(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation",
			httpmock.NewStringResponder(503, `{"message":"Processing – come back later"}`).HeaderSet(http.Header{"Retry-After": {"2"}}))
		_, err := c.Organisation(t.Context())
		require.ErrorIs(t, err, ErrUnavailable)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, "Processing – come back later", ae.Message)
		require.Equal(t, 2*time.Second, ae.RetryAfter)
		require.Equal(t, 4, mt.GetTotalCallCount())
	})
}

func TestReadCancelMidBackoff(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation",
		httpmock.NewStringResponder(503, `{}`).HeaderSet(http.Header{"Retry-After": {"30"}}))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Organisation(ctx)
	elapsed := time.Since(start)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, elapsed, 200*time.Millisecond)
	calls := mt.GetTotalCallCount()
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, 1, calls)
	require.Equal(t, calls, mt.GetTotalCallCount(), "no request after cancel")
	require.False(t, errors.Is(err, ErrUnavailable))
}
