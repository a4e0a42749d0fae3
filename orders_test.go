package travelroam

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
)

const processOrdersURL = testBaseURL + "/processorders"

func TestProcessOrderNewESIM(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, processOrdersURL, func(req *http.Request) (*http.Response, error) {
		requireContractHeaders(t, req)
		requireJSONBody(t, req, map[string]any{"bundleName": "esim_1GB_7D_TR_V2", "orderType": "COUNTRY"})
		return fixtureResponder(t, 200, "order_completed.json")(req)
	})
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	require.Equal(t, "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10", order.Reference)
	require.Equal(t, "completed", order.Status)
	require.Equal(t, "1.85", order.Total.String())
	require.Equal(t, "USD", order.Currency)
	require.True(t, order.Assigned)
	require.Equal(t, time.Date(2025, 3, 4, 9, 12, 33, 481213000, time.UTC), order.CreatedAt)
	require.Len(t, order.Lines, 1)
	require.Equal(t, "esim_1GB_7D_TR_V2", order.Lines[0].Item)
	require.Equal(t, "1.85", order.Lines[0].PricePerUnit.String())
	require.Equal(t, []ICCID{testICCID}, order.ICCIDs())
}

func TestProcessOrderTopUpAndShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture, ref, total string
	}{
		{"order_completed.json", "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10", "1.85"},
		{"order_data_wrapper.json", "0b7c1f3e-1111-4a2b-9c3d-5e6f7a8b9c0d", "1.85"},
		{"order_nested.json", "9a8b7c6d-2222-4e5f-8a9b-0c1d2e3f4a5b", "12.5"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodPost, processOrdersURL, func(req *http.Request) (*http.Response, error) {
				requireContractHeaders(t, req)
				requireJSONBody(t, req, map[string]any{"bundleName": "esim_1GB_7D_TR_V2", "orderType": "COUNTRY", "iccid": testICCID})
				return fixtureResponder(t, 200, tc.fixture)(req)
			})
			order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2", ICCID: testICCID})
			require.NoError(t, err)
			require.Equal(t, tc.ref, order.Reference)
			require.Equal(t, tc.total, order.Total.String())
		})
	}
}

func TestProcessOrderValidation(t *testing.T) {
	t.Parallel()
	for name, req := range map[string]OrderRequest{
		"empty bundle":                       {},
		"blank bundle":                       {BundleName: "  "},
		"padded bundle":                      {BundleName: " esim_1GB_7D_TR_V2"},
		"bundle not UTF-8":                   {BundleName: "esim_1GB_7D_\xffTR_V2"},
		"bundle with a control character":    {BundleName: "esim_1GB\x1b[2J_7D_TR_V2"},
		"bundle with an invisible character": {BundleName: "esim_1GB_7D_TR\u200b_V2"},
		"bundle with a line break":           {BundleName: "esim_1GB\n_7D_TR_V2"},
		"short ICCID":                        {BundleName: "b", ICCID: "8944"},
		"non-digit ICCID":                    {BundleName: "b", ICCID: "89445385320123456X8"},
		"long ICCID":                         {BundleName: "b", ICCID: "894453853201234567890123"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			_, err := c.ProcessOrder(t.Context(), req)
			require.ErrorAs(t, err, new(*ValidationError))
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Zero(t, mt.GetTotalCallCount(), "nothing may be sent")
		})
	}
}

// TestProcessOrderAmbiguousAnswers: every answer that leaves the outcome
// open gives an *OutcomeUnknownError after exactly one POST.
func TestProcessOrderAmbiguousAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"500", 500, `{"message":"Internal error"}`},
		{"502 html", 502, `<html><body>Bad gateway</body></html>`},
		{"504", 504, ``},
		{"408", 408, ``},
		{"524 from a proxy", 524, `origin timed out`},
		{"garbage 200", 200, `{"order": [`},
		{"200 without reference", 200, string(fixture(t, "order_no_reference.json"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodPost, processOrdersURL, httpmock.NewStringResponder(tc.status, tc.body))
			before := time.Now()
			_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2", ICCID: testICCID})
			require.ErrorAs(t, err, new(*OutcomeUnknownError))
			var ou *OutcomeUnknownError
			require.ErrorAs(t, err, &ou)
			require.Equal(t, "esim_1GB_7D_TR_V2", ou.BundleName)
			require.Equal(t, testICCID, string(ou.ICCID))
			require.False(t, ou.SentAt.Before(before))
			require.NotContains(t, err.Error(), testICCID)
			require.Contains(t, err.Error(), "…5678")
			require.Equal(t, 1, mt.GetTotalCallCount())
			require.Equal(t, tc.body, string(ou.Body), "the answer is kept for the caller to look for the order")
			if tc.status != 200 {
				var ae *APIError
				require.ErrorAs(t, err, &ae, "the server's answer stays reachable")
				require.Equal(t, tc.status, ae.StatusCode)
			}
		})
	}
}

// TestProcessOrderInformationalAnswerIsUnknown: a 1xx as the final answer
// (a 101 from a broken proxy or server, any 1xx a custom transport
// returns) is not a refusal: the request reached the server, so the
// outcome is unknown and the journal keeps the Key from being bought
// again.
func TestProcessOrderInformationalAnswerIsUnknown(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusSwitchingProtocols, 199} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodPost, processOrdersURL, httpmock.NewStringResponder(status, ``))
		req := OrderRequest{BundleName: "esim_1GB_7D_TR_V2", Key: "order-42"}
		_, err := c.ProcessOrder(t.Context(), req)
		require.ErrorAs(t, err, new(*OutcomeUnknownError), "status %d", status)
		_, err = c.ProcessOrder(t.Context(), req)
		require.ErrorAs(t, err, new(*AlreadyAttemptedError), "status %d: the Key must not be bought again", status)
		require.Equal(t, 1, mt.GetTotalCallCount())
	}
}

// TestProcessOrderPaidAnswers: every 2xx that carries an order reference
// is a paid order, whatever its other fields hold (the contract's odd but
// plausible answers, as the fake sends them): never OutcomeUnknown.
func TestProcessOrderPaidAnswers(t *testing.T) {
	t.Parallel()
	for _, answer := range []travelroamtest.OrderAnswer{travelroamtest.OrderAnswerStatusTrueData, travelroamtest.OrderAnswerStringScalars,
		travelroamtest.OrderAnswerTotalObject, travelroamtest.OrderAnswerNumericReference, travelroamtest.OrderAnswerNumericICCID, travelroamtest.OrderAnswerResultWrapper} {
		srv := travelroamtest.NewServer(travelroamtest.WithOrderAnswer(answer))
		t.Cleanup(srv.Close)
		c, err := NewClient(srv.APIKey, srv.ClientSecret, WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithPurchaseInterval(0))
		require.NoError(t, err)
		t.Cleanup(c.CloseIdleConnections)
		order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		require.NoError(t, err, "answer %v", answer)
		require.Len(t, srv.Orders(), 1)
		require.Equal(t, srv.Orders()[0].Reference, order.Reference, "answer %v", answer)
		require.NotEmpty(t, order.Raw)
	}
	srv := travelroamtest.NewServer(travelroamtest.WithOrderAnswer(travelroamtest.OrderAnswerNoReference))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.APIKey, srv.ClientSecret, WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithPurchaseInterval(0))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	var ou *OutcomeUnknownError
	require.ErrorAs(t, err, &ou, "a 2xx without a reference")
	require.NotEmpty(t, ou.Body)
	require.Len(t, srv.Orders(), 1, "it was paid: the body is what the caller has to look for it")
}

func TestProcessOrderNotProcessed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status   int
		sentinel error
	}{{503, ErrUnavailable}, {429, ErrRateLimited}} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodPost, processOrdersURL,
			httpmock.NewStringResponder(tc.status, `{"message":"Service unavailable"}`).HeaderSet(http.Header{"Retry-After": {"120"}}))
		_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		require.ErrorIs(t, err, tc.sentinel)
		require.NotErrorAs(t, err, new(*OutcomeUnknownError))
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, 2*time.Minute, ae.RetryAfter)
		require.Equal(t, "Service unavailable", ae.Message)
		require.Equal(t, 1, mt.GetTotalCallCount(), "a 503 purchase is never re-sent by the SDK")
	}
}

func TestProcessOrderRefused(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, processOrdersURL, httpmock.NewStringResponder(400, `{"message":"Insufficient balance"}`))
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "Insufficient balance", ae.Message)
	require.NotErrorAs(t, err, new(*OutcomeUnknownError))
	require.Equal(t, 1, mt.GetTotalCallCount())
}

// orderServer is a real loopback server that counts purchase POSTs whose
// body it read, then behaves as after says.
func orderServer(t *testing.T, after func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			return
		}
		posts.Add(1)
		after(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &posts
}

func realClient(t *testing.T, srv *httptest.Server, hc *http.Client) *Client {
	t.Helper()
	if hc == nil {
		hc = srv.Client()
	}
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(srv.URL+"/api/whitelabel"), WithHTTPClient(hc), WithPurchaseInterval(0))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestProcessOrderResetAfterBodyRead(t *testing.T) {
	t.Parallel()
	var conns sync.Map
	var n atomic.Int32
	srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
		conns.Store(r.RemoteAddr, true)
		if n.Add(1) == 1 {
			// The first purchase succeeds and leaves a keep-alive
			// connection behind ...
			w.Write(fixture(t, "order_completed.json"))
			return
		}
		// ... which the second one reuses: the server reads it, then the
		// connection dies before any answer. net/http would replay a
		// request here if it thought it idempotent.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0) // RST, not FIN
			conn.Close()
		}
	})
	c := realClient(t, srv, nil)
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.ErrorAs(t, err, new(*OutcomeUnknownError))
	require.Equal(t, int32(2), posts.Load(), "exactly one POST per call")
	count := 0
	conns.Range(func(any, any) bool { count++; return true })
	require.Equal(t, 1, count, "the second purchase went out on the reused connection")
}

func TestProcessOrderTimeoutAfterSending(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	hc := srv.Client()
	hc.Timeout = 100 * time.Millisecond
	c := realClient(t, srv, hc)
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.ErrorAs(t, err, new(*OutcomeUnknownError))
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	require.True(t, netErr.Timeout())
	require.Equal(t, int32(1), posts.Load())
}

// TestProcessOrderContextEndsWhileOut: the context ends once the server
// has the whole request (not after a fixed time, which a busy machine may
// spend before sending): the outcome is unknown.
func TestProcessOrderContextEndsWhileOut(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	})
	c := realClient(t, srv, nil)
	_, err := c.ProcessOrder(ctx, OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.ErrorAs(t, err, new(*OutcomeUnknownError))
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, int32(1), posts.Load())
}

// refusingDialer fails the first n dials with "connection refused" before
// dialing for real.
func refusingDialer(n int32) (func(ctx context.Context, network, addr string) (net.Conn, error), *atomic.Int32) {
	var dials atomic.Int32
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) <= n {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		return d.DialContext(ctx, network, addr)
	}, &dials
}

func TestProcessOrderDialRefusedThenSuccess(t *testing.T) {
	t.Parallel()
	srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(fixture(t, "order_completed.json"))
	})
	dial, dials := refusingDialer(1)
	c := realClient(t, srv, &http.Client{Transport: &http.Transport{DialContext: dial}})
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err)
	require.NotEmpty(t, order.Reference)
	require.Equal(t, int32(2), dials.Load())
	require.Equal(t, int32(1), posts.Load(), "one order")
}

func TestProcessOrderDialRefusedGivesUp(t *testing.T) {
	t.Parallel()
	srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {})
	dial, dials := refusingDialer(100)
	c := realClient(t, srv, &http.Client{Transport: &http.Transport{DialContext: dial}})
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.Error(t, err)
	require.NotErrorAs(t, err, new(*OutcomeUnknownError), "nothing was sent: the outcome is known")
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	require.Equal(t, int32(1+maxPreSendResend), dials.Load())
	require.Zero(t, posts.Load())
}

// TestProcessOrderPacing: two purchases through one Client start at least
// the purchase interval after the previous one ended, in virtual time.
func TestProcessOrderPacing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t, WithPurchaseInterval(5*time.Second))
		start := time.Now()
		var arrivals []time.Duration
		mt.RegisterResponder(http.MethodPost, processOrdersURL, func(req *http.Request) (*http.Response, error) {
			arrivals = append(arrivals, time.Since(start))
			time.Sleep(time.Second) // the server takes a second to answer
			return httpmock.NewBytesResponse(200, fixture(t, "order_completed.json")), nil
		})
		for range 2 {
			_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
			require.NoError(t, err)
		}
		require.Equal(t, []time.Duration{0, 6 * time.Second}, arrivals, "1 s answer + 5 s interval")
	})
}

func TestProcessOrderConcurrentSerialised(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t, WithPurchaseInterval(5*time.Second))
		var (
			mu       sync.Mutex
			starts   []time.Time
			ends     []time.Time
			inFlight atomic.Int32
			maxIn    atomic.Int32
		)
		mt.RegisterResponder(http.MethodPost, processOrdersURL, func(req *http.Request) (*http.Response, error) {
			n := inFlight.Add(1)
			maxIn.Store(max(maxIn.Load(), n))
			mu.Lock()
			starts = append(starts, time.Now())
			mu.Unlock()
			time.Sleep(500 * time.Millisecond)
			mu.Lock()
			ends = append(ends, time.Now())
			mu.Unlock()
			inFlight.Add(-1)
			return httpmock.NewBytesResponse(200, fixture(t, "order_completed.json")), nil
		})
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
				require.NoError(t, err)
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), maxIn.Load(), "one purchase in flight")
		require.Len(t, starts, 10)
		for i := 1; i < len(starts); i++ {
			require.GreaterOrEqual(t, starts[i].Sub(ends[i-1]), 5*time.Second)
		}
	})
}

func TestProcessOrderCancelWhilePacing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := newMockClient(t, WithPurchaseInterval(10*time.Second))
		mt.RegisterResponder(http.MethodPost, processOrdersURL, fixtureResponder(t, 200, "order_completed.json"))
		_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(3*time.Second, cancel)
		start := time.Now()
		_, err = c.ProcessOrder(ctx, OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		require.ErrorIs(t, err, context.Canceled)
		require.NotErrorAs(t, err, new(*OutcomeUnknownError), "nothing was sent")
		require.Equal(t, 3*time.Second, time.Since(start))
		require.Equal(t, 1, mt.GetTotalCallCount())
		// The slot is free again: a purchase after the interval goes out.
		time.Sleep(10 * time.Second)
		_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		require.NoError(t, err)
		require.Equal(t, 2, mt.GetTotalCallCount())
	})
}

func TestPurchaseIntervalRefusedForTravelRoam(t *testing.T) {
	t.Parallel()
	_, err := NewClient(testAPIKey, testSecret, WithPurchaseInterval(time.Second))
	require.Error(t, err)
	_, err = NewClient(testAPIKey, testSecret, WithBaseURL(LiveURL), WithPurchaseInterval(4*time.Second))
	require.Error(t, err)
	_, err = NewClient(testAPIKey, testSecret, WithBaseURL("https://eu.travelroam.com/api/whitelabel"), WithPurchaseInterval(0))
	require.Error(t, err)
	c, err := NewClient(testAPIKey, testSecret, WithPurchaseInterval(7*time.Second))
	require.NoError(t, err)
	require.Equal(t, 7*time.Second, c.purchaseInterval)
	c, err = NewClient(testAPIKey, testSecret, WithBaseURL("http://127.0.0.1:9/api"), WithPurchaseInterval(0))
	require.NoError(t, err)
	require.Zero(t, c.purchaseInterval)
}

// TestOrderPrintsNoSecrets: printing or logging an order, by any verb,
// shows neither the full ICCID nor the activation data.
func TestOrderPrintsNoSecrets(t *testing.T) {
	t.Parallel()
	o, err := decodeOrder([]byte(`{"orderReference":"ref-1","status":"completed","total":1.85,"currency":"USD",
		"order":[{"item":"esim_1GB_7D_TR_V2","quantity":1,"iccids":["`+testICCID+`"],
		"esims":[{"iccid":"`+testICCID+`","matchingId":"`+testMatchingI+`","smdpAddress":"rsp.example.com"}]}],
		"activation":"LPA:1$rsp.example.com$`+testMatchingI+`"}`), newDecodeRules())
	require.NoError(t, err)
	require.Contains(t, string(o.Raw), testMatchingI, "Raw keeps the body for the program")
	require.Equal(t, testMatchingI, o.Lines[0].ESIMs[0].MatchingID.Reveal(), "the data is there for the program")
	var logs strings.Builder
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("bought", "order", *o, "line", o.Lines[0], "esim", o.Lines[0].ESIMs[0])
	outs := []string{logs.String()}
	var esim ESIM
	require.NoError(t, json.Unmarshal([]byte(`{"iccid":"`+testICCID+`","matchingId":"`+testMatchingI+`","smdpAddress":"rsp.example.com"}`), &esim))
	var asg Assignment
	require.NoError(t, json.Unmarshal([]byte(`{"iccid":"`+testICCID+`","matchingId":"`+testMatchingI+`","smdpAddress":"rsp.example.com"}`), &asg))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, o), fmt.Sprintf(verb, *o), fmt.Sprintf(verb, o.Lines), fmt.Sprintf(verb, o.Lines[0].ESIMs),
			fmt.Sprintf(verb, esim), fmt.Sprintf(verb, &asg))
	}
	for _, out := range outs {
		require.NotContains(t, out, testICCID)
		require.NotContains(t, out, testMatchingI)
	}
	require.Contains(t, fmt.Sprint(o), "ref-1")
}

// TestRedirectsAreNeverFollowed: a redirect to another host gets neither
// the credentials nor a purchase; it comes back as an *APIError, for a
// purchase inside an OutcomeUnknownError (a 3xx may mean "processed").
func TestRedirectsAreNeverFollowed(t *testing.T) {
	t.Parallel()
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-KEY") != "" || r.Header.Get("Clientsecret") != "" {
			leaked.Add(1)
		}
		w.Write(fixture(t, "order_completed.json"))
	}))
	t.Cleanup(other.Close)
	for _, code := range []int{301, 302, 307, 308} {
		srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, code)
		})
		hc := srv.Client()
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return nil } // the user's wish is overridden
		c := realClient(t, srv, hc)
		_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		var ae *APIError
		require.ErrorAs(t, err, &ae, "%d", code)
		require.Equal(t, code, ae.StatusCode)
		require.ErrorAs(t, err, new(*OutcomeUnknownError))
		_, err = c.Organisation(t.Context())
		require.ErrorAs(t, err, &ae)
		require.Equal(t, int32(2), posts.Load())
	}
	require.Zero(t, leaked.Load(), "no request reached the other host")
}

// TestProcessOrderStatusWinsOverBrokenBody: a 503 whose body breaks off is
// still "not processed", with its Retry-After; a 2xx whose body breaks off
// is unknown.
func TestProcessOrderStatusWinsOverBrokenBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		want   error
	}{{503, ErrUnavailable}, {400, nil}, {200, nil}} {
		srv, _ := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(tc.status)
			w.Write([]byte(`{"message":"Service unav`))
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		c := realClient(t, srv, nil)
		_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		if tc.want != nil {
			require.ErrorIs(t, err, tc.want, "%d", tc.status)
		}
		if tc.status == 200 {
			require.ErrorAs(t, err, new(*OutcomeUnknownError))
		} else {
			require.NotErrorAs(t, err, new(*OutcomeUnknownError), "%d", tc.status)
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tc.status, ae.StatusCode)
			require.Equal(t, 30*time.Second, ae.RetryAfter)
		}
	}
}

// TestProcessOrderBrokenSuccessKeepsWhatArrived: a 2xx purchase answer
// that breaks off after its order reference arrived is an unknown
// outcome whose Body holds the bytes that arrived, so that the caller can
// find the reference of the order it paid for (Travel Roam has no order
// list), with or without a Content-Length.
func TestProcessOrderBrokenSuccessKeepsWhatArrived(t *testing.T) {
	t.Parallel()
	const part = `{"orderReference":"6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10","status":"compl`
	for _, withLength := range []bool{true, false} {
		srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
			if withLength {
				w.Header().Set("Content-Length", "1000")
			}
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(part))
			w.(http.Flusher).Flush()
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		})
		c := realClient(t, srv, nil)
		_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		var ou *OutcomeUnknownError
		require.ErrorAs(t, err, &ou, "with length %v", withLength)
		require.Equal(t, part, string(ou.Body), "with length %v: the bytes that arrived", withLength)
		require.Equal(t, int32(1), posts.Load())
	}
}

// TestOutcomeUnknownCarriesTheKey: an unknown outcome names the journal
// key to resolve it with, the caller's or the one the SDK chose.
func TestOutcomeUnknownCarriesTheKey(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterNoResponder(httpmock.NewStringResponder(500, `{}`))
	var ou *OutcomeUnknownError
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2", Key: "order-42"})
	require.ErrorAs(t, err, &ou)
	require.Equal(t, "order-42", ou.Key)
	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.ErrorAs(t, err, &ou)
	require.True(t, strings.HasPrefix(ou.Key, "auto-"), ou.Key)
	unfinished, err := c.UnfinishedPurchases(t.Context())
	require.NoError(t, err)
	var keys []string
	for _, a := range unfinished {
		keys = append(keys, a.Key)
	}
	require.ElementsMatch(t, []string{"order-42", ou.Key}, keys)
	for _, a := range unfinished {
		if a.Key == ou.Key {
			require.NoError(t, c.ResolvePurchase(t.Context(), a, OutcomeRefused, ""))
		}
	}
	unfinished, err = c.UnfinishedPurchases(t.Context())
	require.NoError(t, err)
	require.Len(t, unfinished, 1)
}
