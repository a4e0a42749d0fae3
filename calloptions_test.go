package travelroam_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// optsClient returns the fake Travel Roam server and a Client talking to
// it, with pacing off.
func optsClient(t *testing.T, opts ...travelroam.Option) (*travelroamtest.Server, *travelroam.Client) {
	t.Helper()
	srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0))
	t.Cleanup(srv.Close)
	all := append([]travelroam.Option{travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()),
		travelroam.WithPurchaseInterval(0)}, opts...)
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, all...)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return srv, c
}

// boughtESIM buys an eSIM on the fake and returns its order.
func boughtESIM(t *testing.T, c *travelroam.Client) *travelroam.Order {
	t.Helper()
	order, err := c.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	require.NotEmpty(t, order.ICCIDs())
	return order
}

// lastRequest returns the last request the fake received.
func lastRequest(t *testing.T, srv *travelroamtest.Server) travelroamtest.Request {
	t.Helper()
	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	return reqs[len(reqs)-1]
}

// call is one method of a Client that sends a request, called with opts.
type call struct {
	name string
	do   func(ctx context.Context, c *travelroam.Client, order *travelroam.Order, opts ...travelroam.CallOption) error
}

// readCalls are the reads, each called so that it succeeds on the fake.
func readCalls() []call {
	return []call{
		{"Catalogue", func(ctx context.Context, c *travelroam.Client, _ *travelroam.Order, opts ...travelroam.CallOption) error {
			_, err := c.Catalogue(ctx, travelroam.CatalogueOptions{Countries: []string{"TR"}}, opts...)
			return err
		}},
		{"CatalogueAll", func(ctx context.Context, c *travelroam.Client, _ *travelroam.Order, opts ...travelroam.CallOption) error {
			for _, err := range c.CatalogueAll(ctx, travelroam.CatalogueOptions{Countries: []string{"TR"}}, opts...) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
		{"Bundle", func(ctx context.Context, c *travelroam.Client, _ *travelroam.Order, opts ...travelroam.CallOption) error {
			_, err := c.Bundle(ctx, "esim_1GB_7D_TR_V2", opts...)
			return err
		}},
		{"ESIM", func(ctx context.Context, c *travelroam.Client, o *travelroam.Order, opts ...travelroam.CallOption) error {
			_, err := c.ESIM(ctx, o.ICCIDs()[0], opts...)
			return err
		}},
		{"AppliedBundles", func(ctx context.Context, c *travelroam.Client, o *travelroam.Order, opts ...travelroam.CallOption) error {
			_, err := c.AppliedBundles(ctx, o.ICCIDs()[0], opts...)
			return err
		}},
		{"Assignments", func(ctx context.Context, c *travelroam.Client, o *travelroam.Order, opts ...travelroam.CallOption) error {
			_, err := c.Assignments(ctx, o.Reference, opts...)
			return err
		}},
		{"WaitForAssignments", func(ctx context.Context, c *travelroam.Client, o *travelroam.Order, opts ...travelroam.CallOption) error {
			_, err := c.WaitForAssignments(ctx, o.Reference, opts...)
			return err
		}},
		{"Organisation", func(ctx context.Context, c *travelroam.Client, _ *travelroam.Order, opts ...travelroam.CallOption) error {
			_, err := c.Organisation(ctx, opts...)
			return err
		}},
	}
}

// writeCalls are the purchase and the revoke.
func writeCalls() []call {
	return []call{
		{"ProcessOrder", func(ctx context.Context, c *travelroam.Client, _ *travelroam.Order, opts ...travelroam.CallOption) error {
			_, err := c.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"}, opts...)
			return err
		}},
		{"RevokeESIM", func(ctx context.Context, c *travelroam.Client, o *travelroam.Order, opts ...travelroam.CallOption) error {
			return c.RevokeESIM(ctx, o.ICCIDs()[0], opts...)
		}},
	}
}

// TestWithHeaderEveryMethod: the header reaches the server on every
// method, and the SDK's own headers stay.
func TestWithHeaderEveryMethod(t *testing.T) {
	for _, tc := range append(readCalls(), writeCalls()...) {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := optsClient(t)
			order := boughtESIM(t, c)
			require.NoError(t, tc.do(t.Context(), c, order, travelroam.WithHeader("x-proxy-tenant", "tenant-1")))
			req := lastRequest(t, srv)
			assert.Equal(t, "tenant-1", req.Header.Get("X-Proxy-Tenant"))
			assert.Equal(t, srv.APIKey, req.Header.Get("X-API-KEY"))
			assert.Equal(t, srv.ClientSecret, req.Header.Get("Clientsecret"))
			assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
		})
	}
}

// TestWithHeaderRefused: the SDK's headers cannot be replaced, and a bad
// name or value is refused, before anything is sent; the value is never
// in the error.
func TestWithHeaderRefused(t *testing.T) {
	for _, h := range [][2]string{
		{"X-API-KEY", "other-key-value"}, {"clientsecret", "other-secret"}, {"Content-Type", "text/plain"},
		{"Host", "evil.example"}, {"Accept-Encoding", "gzip"}, {"Idempotency-Key", "k"}, {"Bad Name", "value-xyz"}, {"X-Ok", "a\r\nX-Injected: 1"}, {"", "value-xyz"},
	} {
		srv, c := optsClient(t)
		_, err := c.Organisation(t.Context(), travelroam.WithHeader(h[0], h[1]))
		var ve *travelroam.ValidationError
		require.ErrorAs(t, err, &ve, "%q", h[0])
		assert.Equal(t, "WithHeader", ve.Field)
		assert.NotContains(t, err.Error(), h[1])
		assert.Empty(t, srv.Requests(), "nothing is sent")
	}
}

// TestWithTimeoutEndsRead: a server that answers only when the client
// gives up; the call ends with context.DeadlineExceeded.
func TestWithTimeoutEndsRead(t *testing.T) {
	srv, c := optsClient(t)
	srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.Latency(time.Hour))
	_, err := c.Organisation(t.Context(), travelroam.WithTimeout(20*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 1, srv.RequestCount(travelroamtest.RouteOrganisation))
}

// TestWithTimeoutEndsRevoke: a revoke cut by the call's timeout while out
// has an unknown outcome, as with a deadline on ctx.
func TestWithTimeoutEndsRevoke(t *testing.T) {
	srv, c := optsClient(t)
	order := boughtESIM(t, c)
	srv.InjectFault(travelroamtest.RouteRevoke, travelroamtest.Latency(time.Hour))
	err := c.RevokeESIM(t.Context(), order.ICCIDs()[0], travelroam.WithTimeout(20*time.Millisecond))
	require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestWithTimeoutInvalid(t *testing.T) {
	_, c := optsClient(t)
	_, err := c.Organisation(t.Context(), travelroam.WithTimeout(0))
	require.ErrorAs(t, err, new(*travelroam.ValidationError))
}

// TestWithCallRetries: the call's retries replace the Client's.
func TestWithCallRetries(t *testing.T) {
	for _, tc := range []struct {
		opts []travelroam.CallOption
		want int
	}{
		{[]travelroam.CallOption{travelroam.WithCallRetries(0)}, 1},
		{[]travelroam.CallOption{travelroam.WithCallRetries(1)}, 2},
		{nil, 3}, // the Client's WithMaxRetries(2)
	} {
		srv, c := optsClient(t, travelroam.WithMaxRetries(2))
		for range 5 {
			srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.Status(502, "bad gateway"))
		}
		var meta travelroam.Response
		_, err := c.Organisation(t.Context(), append(tc.opts, travelroam.WithResponseInto(&meta))...)
		var ae *travelroam.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, tc.want, srv.RequestCount(travelroamtest.RouteOrganisation))
		assert.Equal(t, tc.want, meta.Attempts)
		assert.Equal(t, 502, meta.StatusCode, "the capture holds the failing answer")
	}
}

// TestWithCallRetriesRefused: calls that are never retried refuse it.
func TestWithCallRetriesRefused(t *testing.T) {
	srv, c := optsClient(t)
	order := boughtESIM(t, c)
	before := len(srv.Requests())
	for _, tc := range append(writeCalls(), readCalls()[5:7]...) { // Assignments, WaitForAssignments
		err := tc.do(t.Context(), c, order, travelroam.WithCallRetries(2))
		var ve *travelroam.ValidationError
		require.ErrorAs(t, err, &ve, tc.name)
		assert.Equal(t, "WithCallRetries", ve.Field)
	}
	_, err := c.Organisation(t.Context(), travelroam.WithCallRetries(11))
	require.ErrorAs(t, err, new(*travelroam.ValidationError))
	assert.Len(t, srv.Requests(), before, "nothing is sent")
}

// TestWithExtraFieldBody: an extra field is in the JSON body of a POST
// read and of the revoke, beside the SDK's.
func TestWithExtraFieldBody(t *testing.T) {
	srv, c := optsClient(t)
	order := boughtESIM(t, c)
	iccid := order.ICCIDs()[0]
	_, err := c.ESIM(t.Context(), iccid, travelroam.WithExtraField("includeHistory", true),
		travelroam.WithExtraField("tag", "a"))
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(lastRequest(t, srv).Body, &body))
	assert.Equal(t, map[string]any{"iccid": string(iccid), "includeHistory": true, "tag": "a"}, body)

	require.NoError(t, c.RevokeESIM(t.Context(), iccid, travelroam.WithExtraField("reason", "lost")))
	body = nil
	require.NoError(t, json.Unmarshal(lastRequest(t, srv).Body, &body))
	assert.Equal(t, map[string]any{"iccid": string(iccid), "reason": "lost"}, body)
}

// TestWithExtraFieldSendsSecretsWhole: a Secret or an ICCID given as a
// field's value goes on the wire whole, not as the masked text its JSON
// is for logs.
func TestWithExtraFieldSendsSecretsWhole(t *testing.T) {
	srv, c := optsClient(t)
	order := boughtESIM(t, c)
	iccid := order.ICCIDs()[0]
	_, err := c.ESIM(t.Context(), iccid, travelroam.WithExtraField("previousIccid", iccid),
		travelroam.WithExtraField("pin", travelroam.Secret("1234")))
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(lastRequest(t, srv).Body, &body))
	assert.Equal(t, map[string]any{"iccid": string(iccid), "previousIccid": string(iccid), "pin": "1234"}, body)
}

// TestWithExtraFieldQuery: on a GET route the extra fields go in the
// query string, like the SDK's.
func TestWithExtraFieldQuery(t *testing.T) {
	srv, c := optsClient(t)
	_, err := c.Organisation(t.Context(), travelroam.WithExtraField("include", "wallet"), travelroam.WithExtraField("n", 2))
	require.NoError(t, err)
	req := lastRequest(t, srv)
	assert.Equal(t, http.MethodGet, req.Method)
	q, err := url.ParseQuery(req.RawQuery)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"include": {"wallet"}, "n": {"2"}}, q)
	assert.Empty(t, req.Body)

	order := boughtESIM(t, c)
	_, err = c.Assignments(t.Context(), order.Reference, travelroam.WithExtraField("format", "json"))
	require.NoError(t, err)
	q, err = url.ParseQuery(lastRequest(t, srv).RawQuery)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"orderReference": {order.Reference}, "format": {"json"}}, q)
}

// TestWithExtraFieldCannotReplace: a field the SDK sends, in any case,
// cannot be replaced; nothing is sent.
func TestWithExtraFieldCannotReplace(t *testing.T) {
	srv, c := optsClient(t)
	order := boughtESIM(t, c)
	before := len(srv.Requests())
	err := c.RevokeESIM(t.Context(), order.ICCIDs()[0], travelroam.WithExtraField("ICCID", "8944538532099999999"))
	var ve *travelroam.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "WithExtraField", ve.Field)
	_, err = c.Catalogue(t.Context(), travelroam.CatalogueOptions{Countries: []string{"TR"}}, travelroam.WithExtraField("region", "europe"))
	require.ErrorAs(t, err, &ve)
	_, err = c.Assignments(t.Context(), order.Reference, travelroam.WithExtraField("orderreference", "x"))
	require.ErrorAs(t, err, &ve)
	_, err = c.Organisation(t.Context(), travelroam.WithExtraField("bad", func() {}))
	require.ErrorAs(t, err, &ve, "a value JSON cannot encode")
	assert.Len(t, srv.Requests(), before, "nothing is sent")
}

// TestProcessOrderRefusesExtraField: a purchase takes only
// WithOrderField; a typo'd option or field cannot change what is bought.
func TestProcessOrderRefusesExtraField(t *testing.T) {
	srv, c := optsClient(t)
	req := travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"}
	_, err := c.ProcessOrder(t.Context(), req, travelroam.WithExtraField("promo", "X"))
	var ve *travelroam.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "WithExtraField", ve.Field)
	_, err = c.ProcessOrder(t.Context(), req, travelroam.WithOrderField("bundlename", "esim_50GB_30D_TR_V2"))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "WithOrderField", ve.Field)
	_, err = c.Organisation(t.Context(), travelroam.WithOrderField("promo", "X"))
	require.ErrorAs(t, err, &ve, "WithOrderField is for purchases only")
	assert.Empty(t, srv.Requests(), "nothing is sent")
	assert.Empty(t, srv.Orders())

	_, err = c.ProcessOrder(t.Context(), req, travelroam.WithOrderField("promo", "X"))
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(lastRequest(t, srv).Body, &body))
	assert.Equal(t, map[string]any{"bundleName": "esim_1GB_7D_TR_V2", "orderType": "COUNTRY", "promo": "X"}, body)
}

// TestWaitOptionsRefusedElsewhere: the wait options are for
// WaitForAssignments only.
func TestWaitOptionsRefusedElsewhere(t *testing.T) {
	srv, c := optsClient(t)
	order := boughtESIM(t, c)
	before := len(srv.Requests())
	for _, opt := range []travelroam.CallOption{travelroam.WithMaxWait(time.Second), travelroam.WithOrder(order),
		travelroam.WithProgress(func(int, time.Duration) {})} {
		for _, tc := range append(writeCalls(), readCalls()[5]) { // and Assignments
			err := tc.do(t.Context(), c, order, opt)
			require.ErrorAs(t, err, new(*travelroam.ValidationError), tc.name)
		}
		_, err := c.Organisation(t.Context(), opt)
		require.ErrorAs(t, err, new(*travelroam.ValidationError))
	}
	assert.Len(t, srv.Requests(), before, "nothing is sent")
}

// TestWaitForAssignmentsCallOptions: the wait options still work beside
// the others; the header goes with every poll and the capture counts
// them all.
func TestWaitForAssignmentsCallOptions(t *testing.T) {
	srv, c := optsClient(t)
	order := boughtESIM(t, c)
	srv.InjectFault(travelroamtest.RouteAssignments, travelroamtest.Status(503, "not ready"))
	var meta travelroam.Response
	var progress atomic.Int32
	list, err := c.WaitForAssignments(t.Context(), order.Reference, travelroam.WithMaxWait(time.Minute),
		travelroam.WithProgress(func(int, time.Duration) { progress.Add(1) }),
		travelroam.WithHeader("X-Tenant", "t"), travelroam.WithResponseInto(&meta))
	require.NoError(t, err)
	require.NotEmpty(t, list)
	assert.Equal(t, int32(1), progress.Load())
	assert.Equal(t, 2, meta.Attempts)
	assert.Equal(t, 200, meta.StatusCode)
	polls := 0
	for _, r := range srv.Requests() {
		if r.Route == travelroamtest.RouteAssignments {
			polls++
			assert.Equal(t, "t", r.Header.Get("X-Tenant"))
		}
	}
	assert.Equal(t, 2, polls)

	// WithOrder: the capture is reset, and counts the polls made (none
	// when the order carried the data).
	before := srv.RequestCount(travelroamtest.RouteAssignments)
	meta = travelroam.Response{StatusCode: 7, Attempts: 7}
	_, err = c.WaitForAssignments(t.Context(), order.Reference, travelroam.WithOrder(order), travelroam.WithResponseInto(&meta))
	require.NoError(t, err)
	polled := srv.RequestCount(travelroamtest.RouteAssignments) - before
	assert.Equal(t, polled, meta.Attempts)
	if polled == 0 {
		assert.Equal(t, travelroam.Response{}, meta)
	}
}

// requestIDServer wraps the fake with headers a proxy would add: a
// request id, a cookie and an echoed credential.
func requestIDServer(t *testing.T, srv *travelroamtest.Server) string {
	t.Helper()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-42")
		w.Header().Set("Set-Cookie", "session=abc")
		w.Header().Set("X-Api-Key-Echo", srv.APIKey)
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	return front.URL + u.Path
}

// TestWithResponseIntoEveryMethod: each method fills the capture with
// its final answer, credentials and cookies removed.
func TestWithResponseIntoEveryMethod(t *testing.T) {
	for _, tc := range append(readCalls(), writeCalls()...) {
		t.Run(tc.name, func(t *testing.T) {
			srv := travelroamtest.NewServer(travelroamtest.WithAssignmentDelay(0))
			t.Cleanup(srv.Close)
			c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, travelroam.WithBaseURL(requestIDServer(t, srv)),
				travelroam.WithPurchaseInterval(0))
			require.NoError(t, err)
			t.Cleanup(c.CloseIdleConnections)
			order := boughtESIM(t, c)
			meta := travelroam.Response{Attempts: 99}
			require.NoError(t, tc.do(t.Context(), c, order, travelroam.WithResponseInto(&meta)))
			assert.Equal(t, http.StatusOK, meta.StatusCode)
			assert.Equal(t, 1, meta.Attempts)
			assert.Equal(t, "req-42", meta.RequestID())
			assert.NotEmpty(t, meta.Header.Get("Content-Type"))
			assert.Empty(t, meta.Header.Values("Set-Cookie"))
			assert.Empty(t, meta.Header.Values("X-Api-Key-Echo"))
		})
	}
}

// TestWithResponseIntoOnError: a failing call's capture holds the answer
// that arrived; none arrived: status 0.
func TestWithResponseIntoOnError(t *testing.T) {
	srv, c := optsClient(t)
	var meta travelroam.Response
	_, err := c.Bundle(t.Context(), "no_such_bundle", travelroam.WithResponseInto(&meta))
	require.ErrorIs(t, err, travelroam.ErrNotFound)
	assert.Equal(t, http.StatusBadRequest, meta.StatusCode) // the fake's "not found"
	assert.NotNil(t, meta.Header)
	assert.Equal(t, 1, meta.Attempts)

	srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.Latency(time.Hour))
	_, err = c.Organisation(t.Context(), travelroam.WithTimeout(20*time.Millisecond), travelroam.WithResponseInto(&meta))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, travelroam.Response{Attempts: 1}, meta, "no answer arrived")

	srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(400, "Insufficient balance"))
	_, err = c.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2"}, travelroam.WithResponseInto(&meta))
	var ae *travelroam.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, meta.StatusCode)
	assert.Equal(t, 1, meta.Attempts)
}

// TestCallOptionsObserved: the Observer sees a call made with options.
func TestCallOptionsObserved(t *testing.T) {
	var ends []travelroam.CallInfo
	_, c := optsClient(t, travelroam.WithObserver(&travelroam.Observer{
		CallEnd: func(_ context.Context, e travelroam.CallInfo) { ends = append(ends, e) },
	}))
	_, err := c.Organisation(t.Context(), travelroam.WithHeader("X-Tenant", "t"), travelroam.WithTimeout(time.Minute))
	require.NoError(t, err)
	require.Len(t, ends, 1)
	assert.Equal(t, travelroam.OpOrganisation, ends[0].Op)
	assert.Equal(t, 1, ends[0].Attempts)
	assert.Equal(t, 200, ends[0].Status)
}

// TestNilCallOptionIgnored: a nil option changes nothing.
func TestNilCallOptionIgnored(t *testing.T) {
	_, c := optsClient(t)
	_, err := c.Organisation(t.Context(), nil, travelroam.WithResponseInto(nil))
	require.NoError(t, err)
	require.False(t, errors.As(err, new(*travelroam.ValidationError)))
}

// TestWithTimeoutEndsPurchase: a purchase cut by the call's timeout while
// out has an unknown outcome, recorded in the journal although the
// call's context has ended.
func TestWithTimeoutEndsPurchase(t *testing.T) {
	srv, c := optsClient(t)
	srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Latency(time.Hour))
	_, err := c.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: "esim_1GB_7D_TR_V2", Key: "order-1"},
		travelroam.WithTimeout(20*time.Millisecond))
	require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	unfinished, err := c.UnfinishedPurchases(t.Context())
	require.NoError(t, err)
	require.Len(t, unfinished, 1)
	assert.Equal(t, travelroam.OutcomeUnknown, unfinished[0].Outcome)
}
