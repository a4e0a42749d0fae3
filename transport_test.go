package travelroam

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// closeRecorder is a response body that records whether its request's
// context had ended when it was closed.
type closeRecorder struct {
	io.Reader
	ctx          context.Context
	ctxAtClose   error
	closedBefore bool
}

func (b *closeRecorder) Close() error {
	b.ctxAtClose, b.closedBefore = b.ctx.Err(), true
	return nil
}

// TestAttemptTransportAbortsEarlyClose: a body closed before its end ends
// the attempt's context first, so that net/http (since Go 1.27) closes
// the connection instead of reading up to 256 KiB more of a body the SDK
// refused; a body read to its end is closed normally.
func TestAttemptTransportAbortsEarlyClose(t *testing.T) {
	t.Parallel()
	for _, readAll := range []bool{false, true} {
		var body *closeRecorder
		base := roundTripperFunc(func(req *http.Request) (*http.Response, error) {
			body = &closeRecorder{Reader: strings.NewReader("0123456789"), ctx: req.Context()}
			return &http.Response{StatusCode: 200, Body: body}, nil
		})
		at := &attemptTransport{base: base, timeout: time.Minute}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://example.invalid/", nil)
		require.NoError(t, err)
		resp, err := at.RoundTrip(req)
		require.NoError(t, err)
		if readAll {
			_, err = io.ReadAll(resp.Body)
		} else {
			_, err = resp.Body.Read(make([]byte, 3))
		}
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.True(t, body.closedBefore)
		if readAll {
			require.NoError(t, body.ctxAtClose, "a body read to its end keeps its connection")
		} else {
			require.ErrorIs(t, body.ctxAtClose, context.Canceled, "an abandoned body closes its connection")
		}
		require.Error(t, body.ctx.Err(), "the attempt's context always ends with the body")
	}
}

// TestAttemptTransportTimeout: the attempt's deadline covers the round
// trip; a transport error or panic ends the attempt's context at once.
func TestAttemptTransportTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var seen context.Context
		at := &attemptTransport{timeout: time.Hour, base: roundTripperFunc(func(req *http.Request) (*http.Response, error) {
			seen = req.Context()
			panic("boom")
		})}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://example.invalid/", nil)
		require.NoError(t, err)
		start := time.Now()
		require.PanicsWithValue(t, "boom", func() { _, _ = at.RoundTrip(req) })
		require.ErrorIs(t, seen.Err(), context.Canceled, "a panicking transport leaves no timer behind")
		deadline, ok := seen.Deadline()
		require.True(t, ok)
		require.Equal(t, start.Add(time.Hour), deadline)
	})
}

// TestNilResponseBody: a RoundTripper that answers without a Body (many
// hand-written ones and test doubles do, and net/http's Client accepts it
// when the length allows an empty body) gets an answer, not a panic, on
// reads and on purchases.
func TestNilResponseBody(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusNotFound, http.StatusOK} {
		hc := &http.Client{Transport: roundTripperFunc(func(req *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{}, ContentLength: 0, Request: req}, nil
		})}
		c, err := NewClient(testAPIKey, testSecret, WithBaseURL(testBaseURL), WithHTTPClient(hc), WithPurchaseInterval(0))
		require.NoError(t, err)
		require.NotPanics(t, func() {
			_, err = c.Organisation(t.Context())
		}, "status %d", status)
		require.Error(t, err)
		if status != http.StatusOK {
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, status, ae.StatusCode)
		}
		require.NotPanics(t, func() {
			_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		}, "status %d", status)
		if status == http.StatusOK {
			require.ErrorAs(t, err, new(*OutcomeUnknownError), "a 2xx without a reference")
		} else {
			require.ErrorIs(t, err, ErrNotFound)
		}
	}
}
