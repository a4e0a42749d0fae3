package travelroam

import (
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

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

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"7", "0", "-1", "3600", "99999999999999999999", "soon", " 12 ",
		now.Add(time.Minute).Format(http.TimeFormat), now.Add(-time.Minute).Format(http.TimeFormat), "Sun Mar  1 12:00:05 2026"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 {
			t.Fatalf("%q: negative %v", s, d)
		}
		if !ok && d != 0 {
			t.Fatalf("%q: not ok but %v", s, d)
		}
		if d > 365*24*time.Hour+time.Second && !isHTTPDate(s) {
			t.Fatalf("%q: %v exceeds the cap", s, d)
		}
	})
}

func isHTTPDate(s string) bool {
	_, err := http.ParseTime(s)
	return err == nil
}
