package travelroam

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
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
	require.ErrorIs(t, err, ErrUnavailable, "the last answer stays reachable")
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 30*time.Second, ae.RetryAfter)
}

func TestReadRetriesCatalogueWithSameBody(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		var bodies []string
		mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
			requireContractHeaders(t, req)
			b, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			bodies = append(bodies, string(b))
			if len(bodies) < 3 {
				return httpmock.NewStringResponse(503, `{"message":"Service temporarily unavailable"}`), nil
			}
			return httpmock.NewBytesResponse(200, fixture(t, "catalogue_wrapped.json")), nil
		})
		page, err := c.Catalogue(t.Context(), CatalogueOptions{Countries: []string{"TR"}})
		require.NoError(t, err)
		require.Len(t, page.Bundles, 3)
		require.Equal(t, 3, mt.GetTotalCallCount())
		require.Equal(t, []string{`{"countries":"TR"}`, `{"countries":"TR"}`, `{"countries":"TR"}`}, bodies, "the body is rewound for each attempt")
	})
}

func TestReadRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		header func(now time.Time) string
		want   time.Duration
	}{
		{"seconds", func(time.Time) string { return "7" }, 7 * time.Second},
		{"HTTP date", func(now time.Time) string { return now.Add(12 * time.Second).UTC().Format(http.TimeFormat) }, 12 * time.Second},
		{"date in the past: backoff only", func(now time.Time) string { return now.Add(-time.Hour).UTC().Format(http.TimeFormat) }, 250 * time.Millisecond},
		{"garbage: backoff only", func(time.Time) string { return "soon" }, 250 * time.Millisecond},
		{"shorter than backoff: backoff", func(time.Time) string { return "0" }, 250 * time.Millisecond},
		{"exactly the cap", func(time.Time) string { return "60" }, 60 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, mt := newMockClient(t)
				start := time.Now()
				var times []time.Duration
				mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
					times = append(times, time.Since(start))
					if len(times) == 1 {
						resp := httpmock.NewStringResponse(429, `{"message":"Too many requests"}`)
						resp.Header.Set("Retry-After", tc.header(time.Now()))
						return resp, nil
					}
					return httpmock.NewBytesResponse(200, fixture(t, "organisation_flat.json")), nil
				})
				_, err := c.Organisation(t.Context())
				require.NoError(t, err)
				require.Equal(t, []time.Duration{0, tc.want}, times)
			})
		})
	}
}

func TestReadRetriesTransportErrors(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		calls := 0
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
			if calls++; calls < 3 {
				return nil, errors.New("read: connection reset by peer")
			}
			return httpmock.NewBytesResponse(200, fixture(t, "organisation_wrapped.json")), nil
		})
		org, err := c.Organisation(t.Context())
		require.NoError(t, err)
		require.Equal(t, "Acme Travel Ltd", org.Name)
		require.Equal(t, 3, calls)

		// When they never stop, the last one is returned, without the URL.
		c2, mt2 := newMockClient(t)
		mt2.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", httpmock.NewErrorResponder(errors.New("connection refused")))
		_, err = c2.Organisation(t.Context())
		require.EqualError(t, err, "travelroam: GET /organisation: connection refused")
		require.Equal(t, 4, mt2.GetTotalCallCount())
	})
}

// errAfter is a body that yields data and then fails.
type errAfter struct {
	r   io.Reader
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestReadRetriesBrokenSuccessBodies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		first func() *http.Response
	}{
		{"truncated body", func() *http.Response {
			resp := httpmock.NewStringResponse(200, "")
			resp.Body = io.NopCloser(&errAfter{strings.NewReader(`{"organisations":[{"name":"Ac`), io.ErrUnexpectedEOF})
			return resp
		}},
		{"cut JSON", func() *http.Response { return httpmock.NewStringResponse(200, `{"organisations":[{"name":"Ac`) }},
		{"HTML from a proxy", func() *http.Response {
			return httpmock.NewBytesResponse(200, fixture(t, "error_502.html"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, mt := newMockClient(t)
				mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", httpmock.ResponderFromMultipleResponses([]*http.Response{
					tc.first(), httpmock.NewBytesResponse(200, fixture(t, "organisation_wrapped.json")),
				}))
				org, err := c.Organisation(t.Context())
				require.NoError(t, err)
				require.Equal(t, "482.37", org.Balance.String())
				require.Equal(t, 2, mt.GetTotalCallCount())
			})
		})
	}
}

func TestReadUndecodableBodyGivesDecodeError(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", httpmock.NewStringResponder(200, `{"organisations":[{"balance":"lots"}]}`))
		_, err := c.Organisation(t.Context())
		var de *DecodeError
		require.ErrorAs(t, err, &de)
		require.Equal(t, "/organisation", de.Route)
		require.Equal(t, 4, mt.GetTotalCallCount(), "a bad success body is retried like a transient failure")
	})
}

// endless is a body of endless spaces.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	const spaces = "                                                                "
	n := 0
	for n < len(p) {
		n += copy(p[n:], spaces)
	}
	return n, nil
}

func TestReadBodyOverCap(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	c.maxResponse = 1 << 20 // the real cap, 128 MiB, works alike but is slow under -race
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, "")
		resp.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"bundles":[`), endless{}))
		return resp, nil
	})
	_, err := c.Catalogue(t.Context(), CatalogueOptions{Region: RegionGlobal})
	require.ErrorIs(t, err, ErrResponseTooLarge)
	require.EqualError(t, err, "travelroam: POST /catalogue: travelroam: response too large")
	require.Equal(t, 1, mt.GetTotalCallCount(), "too large is not retried")

	// Exactly at the cap is fine.
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/catalogue", func(req *http.Request) (*http.Response, error) {
		body := `{"bundles":[]}`
		return httpmock.NewStringResponse(200, body+strings.Repeat(" ", int(c.maxResponse)-len(body))), nil
	})
	_, err = c.Catalogue(t.Context(), CatalogueOptions{Region: RegionGlobal})
	require.NoError(t, err)
}

func TestReadCapped(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 3000)
	for _, tc := range []struct {
		name, in string
		limit    int64
		hint     int64
		want     string
		tooLarge bool
	}{
		{"exact fit, no hint", "12345", 5, -1, "12345", false},
		{"one byte over, no hint", "123456", 5, -1, "12345", true},
		{"exact hint", "12345", 5, 5, "12345", false},
		{"hint over the limit", "123456", 5, 6, "12345", true},
		{"hint too small", long, 5000, 10, long, false},
		{"hint too large", "123", 5000, 4000, "123", false},
		{"empty with hint 0", "", 10, 0, "", false},
		{"grows past 512 bytes", long, 5000, -1, long, false},
	} {
		b, err := readCapped(strings.NewReader(tc.in), tc.limit, tc.hint)
		if tc.tooLarge {
			require.ErrorIs(t, err, ErrResponseTooLarge, tc.name)
		} else {
			require.NoError(t, err, tc.name)
		}
		require.Equal(t, tc.want, string(b), tc.name)
	}
	require.Equal(t, int64(128<<20), int64(maxResponseBytes))
}

func TestReadCappedPresizesFromContentLength(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 100_000)
	b, err := readCapped(strings.NewReader(body), maxResponseBytes, int64(len(body)))
	require.NoError(t, err)
	require.Len(t, b, len(body))
	require.Equal(t, len(body)+1, cap(b), "one allocation of the declared size")
	// A huge declared length is not trusted with a huge allocation.
	b, err = readCapped(strings.NewReader("{}"), maxResponseBytes, maxResponseBytes)
	require.NoError(t, err)
	require.Equal(t, "{}", string(b))
	require.LessOrEqual(t, cap(b), maxPresize+1)
}

func TestReadCappedReturnsReadErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, hint := range []int64{-1, 3, 50} {
		b, err := readCapped(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), 100, hint)
		require.ErrorIs(t, err, boom, "hint %d", hint)
		require.Equal(t, "abc", string(b), "hint %d", hint)
	}
}

func TestReadStatusRetryPolicy(t *testing.T) {
	t.Parallel()
	for status, attempts := range map[int]int{
		400: 1, 401: 1, 403: 1, 404: 1, 409: 1, 422: 1, 501: 1,
		408: 4, 429: 4, 500: 4, 502: 4, 503: 4, 504: 4,
	} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, mt := newMockClient(t)
				mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", httpmock.NewStringResponder(status, `{"message":"no"}`))
				_, err := c.Bundle(t.Context(), "esim_1GB_7D_TR_V2")
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				require.Equal(t, status, ae.StatusCode)
				require.Equal(t, "no", ae.Message, "the last answer's message is kept")
				require.Equal(t, attempts, mt.GetTotalCallCount())
			})
		})
	}
}

func TestReadBackoffSchedule(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t, WithMaxRetries(10))
		c.jitter = func(d time.Duration) time.Duration { return d - 1 } // the longest waits
		start := time.Now()
		var times []time.Duration
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
			times = append(times, time.Since(start))
			return httpmock.NewStringResponse(500, `{}`), nil
		})
		_, err := c.Organisation(t.Context())
		require.Error(t, err)
		require.Len(t, times, 11)
		var waits []time.Duration
		for i := 1; i < len(times); i++ {
			waits = append(waits, (times[i] - times[i-1]).Round(time.Millisecond))
		}
		// d = 500ms·2^n capped at 30 s; the wait is d/2 + jitter(d/2) < d.
		require.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
			16 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}, waits)
	})
}

func TestReadContextDeadlineDuringBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation",
			httpmock.NewStringResponder(503, `{}`).HeaderSet(http.Header{"Retry-After": {"30"}}))
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Organisation(ctx)
		// A Retry-After past the deadline is not slept: the answer comes
		// back at once, with its status and Retry-After.
		require.Zero(t, time.Since(start))
		require.ErrorIs(t, err, ErrUnavailable)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, 30*time.Second, ae.RetryAfter)
		require.Equal(t, 1, mt.GetTotalCallCount())
	})
}

// TestReadCancelMidBackoffIsPrompt runs on the real clock, alone (not
// parallel), and takes the best of three tries so that a busy machine
// does not make it flaky; a wait that ignored the context would take 30 s
// every time.
func TestReadCancelMidBackoffIsPrompt(t *testing.T) {
	best := time.Hour
	for range 3 {
		best = min(best, cancelMidBackoff(t))
	}
	require.Less(t, best, 20*time.Millisecond, "returns within milliseconds of the cancel")
}

// cancelMidBackoff cancels a read during a 30 s Retry-After wait and
// returns how long the read took to return after the cancel.
func cancelMidBackoff(t *testing.T) time.Duration {
	c, mt := newMockClient(t)
	var mu sync.Mutex
	var last time.Time
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		last = time.Now()
		mu.Unlock()
		resp := httpmock.NewStringResponse(503, `{}`)
		resp.Header.Set("Retry-After", "30")
		return resp, nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancelled := make(chan time.Time, 1)
	time.AfterFunc(30*time.Millisecond, func() { cancelled <- time.Now(); cancel() })
	_, err := c.Organisation(ctx)
	returned := time.Now()
	at := <-cancelled
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, ErrUnavailable, "the last answer stays reachable")
	time.Sleep(30 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 1, mt.GetTotalCallCount(), "no request after cancel")
	require.True(t, last.Before(at))
	return returned.Sub(at)
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	year := 365 * 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"3600", time.Hour, true},
		{"99999999999999", year, true},
		{"9223372036854775807", year, true},
		{"-1", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
		{"99999999999999999999", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true}, // RFC 850
		{"Sun Mar  1 12:00:05 2026", 5 * time.Second, true},   // ANSI C
		{"Sun, 01 Mar 2026 12:00:30", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		require.Equal(t, tc.ok, ok, tc.in)
		require.Equal(t, tc.want, got, tc.in)
		require.GreaterOrEqual(t, got, time.Duration(0))
	}
}
