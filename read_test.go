package travelroam

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
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

// TestReadCancelMidBackoff: a read cancelled during a 30 s backoff
// returns at the very (virtual) instant of the cancel, sends nothing
// more, and keeps the last answer reachable.
func TestReadCancelMidBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation",
			httpmock.NewStringResponder(503, `{}`).HeaderSet(http.Header{"Retry-After": {"30"}}))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.Organisation(ctx)
		require.Equal(t, 20*time.Millisecond, time.Since(start), "returns when ctx ends, not after the backoff")
		require.ErrorIs(t, err, context.Canceled)
		time.Sleep(time.Minute)
		require.Equal(t, 1, mt.GetTotalCallCount(), "no request after cancel")
		require.ErrorIs(t, err, ErrUnavailable, "the last answer stays reachable")
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, 30*time.Second, ae.RetryAfter)
	})
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

// TestReadUndecodableBodyGivesDecodeError: a complete 2xx body that
// cannot be decoded is a DecodeError at once: asking again would bring
// the same bytes back.
func TestReadUndecodableBodyGivesDecodeError(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"bad balance":       `{"organisations":[{"balance":"lots"}]}`,
		"cut JSON":          `{"organisations":[{"name":"Ac`,
		"HTML from a proxy": "<html><body>502 Bad Gateway</body></html>",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", httpmock.NewStringResponder(200, body))
			_, err := c.Organisation(t.Context())
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			require.Equal(t, "/organisation", de.Route)
			require.Equal(t, 1, mt.GetTotalCallCount(), "a complete body is not asked for again")
		})
	}
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

// rawServer answers the n-th request (from 0) with raws[min(n, len-1)],
// written byte for byte, then closes the connection: it can send what a
// well-behaved net/http server never would (a body cut short).
func rawServer(t *testing.T, raws ...string) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var n atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				i := int(n.Add(1)) - 1
				conn.Write([]byte(raws[min(i, len(raws)-1)]))
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String() + "/api", &n
}

const (
	rawCut200    = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"organisations\":"
	rawBroken500 = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"message\":"
	rawBroken401 = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"message\":\"bad key\""
	raw503       = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 21\r\nConnection: close\r\n\r\n{\"message\":\"maint.\"} "
)

func rawClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(testAPIKey, testSecret, append([]Option{WithBaseURL(url)}, opts...)...)
	require.NoError(t, err)
	c.jitter = func(time.Duration) time.Duration { return 0 }
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// TestReadNeverSucceedsWithAnEarlierAttemptsAnswer: a 200 whose body
// breaks off, then a 500 whose body breaks off, must not come back as
// (nil, nil).
func TestReadNeverSucceedsWithAnEarlierAttemptsAnswer(t *testing.T) {
	t.Parallel()
	url, n := rawServer(t, rawCut200, rawBroken500)
	c := rawClient(t, url, WithMaxRetries(1))
	org, err := c.Organisation(t.Context())
	require.Nil(t, org)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 500, ae.StatusCode)
	require.Equal(t, int32(2), n.Load())
}

// TestReadCancelKeepsTheLatestAnswer: a 200 whose body breaks off, then
// 503s, then the context ends during a backoff: the 503 is what the error
// shows.
func TestReadCancelKeepsTheLatestAnswer(t *testing.T) {
	t.Parallel()
	url, n := rawServer(t, rawCut200, raw503)
	c := rawClient(t, url, WithMaxRetries(5))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The context ends once the server has begun a third answer: the client
	// has read the first 503 whole by then, whatever the machine's load (a
	// fixed timeout could end before any 503 arrived).
	go func() {
		for n.Load() < 3 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := c.Organisation(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, ErrUnavailable)
}

// TestReadBrokenErrorBodyKeepsStatus: a 401 whose body breaks off is still
// a 401, answered at once, not a transport error retried four times.
func TestReadBrokenErrorBodyKeepsStatus(t *testing.T) {
	t.Parallel()
	url, n := rawServer(t, rawBroken401)
	c := rawClient(t, url)
	_, err := c.Organisation(t.Context())
	require.ErrorIs(t, err, ErrUnauthorized)
	require.Equal(t, int32(1), n.Load())
}

// TestReadUnsizedCapWhenDataComesWithEOF: a reader that hands back its
// last bytes together with io.EOF (as net/http's chunked reader does) is
// held to the cap too.
func TestReadUnsizedCapWhenDataComesWithEOF(t *testing.T) {
	t.Parallel()
	_, err := readUnsized(iotest.DataErrReader(strings.NewReader("12345678901")), 10, true)
	require.ErrorIs(t, err, ErrResponseTooLarge)
	b, err := readUnsized(iotest.DataErrReader(strings.NewReader("1234567890")), 10, true)
	require.NoError(t, err)
	require.Equal(t, "1234567890", string(b))
}

// TestReadAnswerWithByteOrderMark: a 2xx JSON answer that starts with a
// UTF-8 byte order mark (a PHP file saved with one prints it first; RFC
// 8259 lets a parser ignore it) decodes like the same answer without it.
func TestReadAnswerWithByteOrderMark(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	body := append([]byte("\ufeff"), fixture(t, "organisation_flat.json")...)
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", httpmock.NewBytesResponder(200, body))
	org, err := c.Organisation(t.Context())
	require.NoError(t, err)
	require.Equal(t, "Acme Travel Ltd", org.Name)
	require.Equal(t, 1, mt.GetTotalCallCount())
}
