package reliability_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/testrig"
	"github.com/roamkit/travelroam/travelroamtest"
)

// The scenarios of the hardening issue: a hostile or buggy server, an odd
// transport, a careless logger.

// TestS22_NoHTTP2Replay proves G1 over real HTTP/2: a server (or proxy)
// that carries a purchase or a revoke out and then claims it did not
// (RST_STREAM REFUSED_STREAM, or a GOAWAY that does not cover the
// stream) does not get it a second time.
//
// A raw HTTP/2 server over TLS (internal/testrig.H2Server), 10 calls per
// lie and operation, each on a fresh server: the first request is
// carried out, then lied about; later requests are answered 200.
//
// Pass: every lied-about call returns OutcomeUnknown, never success; the
// server carried out exactly 1 request per call; the next call on the
// same client succeeds over HTTP/2. (Before the fix, net/http's HTTP/2
// transport re-sent the request by itself: 2 orders, err == nil.)
func TestS22_NoHTTP2Replay(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S22", "G1", "HTTP/2 RST_STREAM(REFUSED_STREAM) and GOAWAY after the request was carried out, 10 each for purchase and revoke")
	for _, mode := range []testrig.H2Mode{testrig.H2Refuse, testrig.H2GoAway} {
		name := map[testrig.H2Mode]string{testrig.H2Refuse: "RST_STREAM", testrig.H2GoAway: "GOAWAY"}[mode]
		for _, revoke := range []bool{false, true} {
			carried := 0
			for range 10 {
				s := testrig.NewH2Server(t, mode)
				c, err := travelroam.NewClient("test-api-key-0123456789", "test-client-secret-0123",
					travelroam.WithBaseURL(s.URL()), travelroam.WithHTTPClient(s.Client()), travelroam.WithPurchaseInterval(0))
				require.NoError(t, err)
				call := func() error { _, err := c.ProcessOrder(t.Context(), buy); return err }
				if revoke {
					call = func() error { return c.RevokeESIM(t.Context(), "8944538532012345678") }
				}
				err = call()
				rec.outcome(err)
				require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError), name)
				require.Equal(t, 1, s.Orders(), "one call, one request carried out")
				require.NoError(t, call(), "the next call goes through")
				carried += s.Orders()
				c.CloseIdleConnections()
			}
			op := "purchase"
			if revoke {
				op = "revoke"
			}
			rec.note("%s, %s: 10 lied-about calls, 0 successes, %d requests carried out for 20 calls", name, op, carried)
		}
	}
}

// TestS23_ReplayingTransports proves G1 against the user's own transport:
// one that re-sends a purchase by itself (go-retryablehttp's
// StandardClient passed with WithHTTPClient), and a middleware that adds
// an Idempotency-Key header (which makes net/http replay a POST on a
// reused connection).
//
// 20 purchases each. Retrying transport: the fake answers the first POST
// 500 without making an order, the re-sent one normally. Middleware: the
// fake makes the order and drops the reused connection without an
// answer.
//
// Pass: no call returns success; the retrying transport's calls are
// OutcomeUnknown although its last answer was a 200, with that answer's
// body on the error (1 order per call); the middleware's calls are
// OutcomeUnknown with exactly 1 POST and 1 order per call.
func TestS23_ReplayingTransports(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S23", "G1, G2", "a retrying transport and an Idempotency-Key middleware through WithHTTPClient, 20 purchases each (loopback)")
	t.Run("retrying transport", func(t *testing.T) {
		r := newRig(t, rec, rigOptions{Client: []travelroam.Option{travelroam.WithPurchaseInterval(0)}, Wrap: func(rt http.RoundTripper) http.RoundTripper {
			rc := retryablehttp.NewClient()
			rc.Logger = nil
			rc.RetryWaitMin, rc.RetryWaitMax = 0, 0
			rc.HTTPClient = &http.Client{Transport: rt}
			return &retryablehttp.RoundTripper{Client: rc}
		}})
		for range 20 {
			r.Srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "oops"))
			_, err := r.C.ProcessOrder(t.Context(), buy)
			rec.outcome(err)
			require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
			var ue *travelroam.OutcomeUnknownError
			require.ErrorAs(t, err, &ue)
			require.Contains(t, string(ue.Body), "orderReference", "the last answer is kept for the caller")
		}
		require.Len(t, purchases(r.Srv), 40)
		require.Len(t, r.Srv.Orders(), 20)
		rec.note("retrying transport: 20 calls, 40 POSTs (the transport's), 20 orders, 0 successes")
	})
	t.Run("Idempotency-Key middleware", func(t *testing.T) {
		r := newRig(t, rec, rigOptions{Client: []travelroam.Option{travelroam.WithPurchaseInterval(0)}, Wrap: func(rt http.RoundTripper) http.RoundTripper {
			return testrig.RoundTripFunc(func(req *http.Request) (*http.Response, error) {
				req = req.Clone(req.Context())
				req.Header.Set("Idempotency-Key", "middleware")
				return rt.RoundTrip(req)
			})
		}})
		for range 20 {
			r.C.CloseIdleConnections()
			_, err := r.C.Organisation(t.Context()) // leaves a keep-alive connection
			require.NoError(t, err)
			r.Srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.ResetAfterHandling())
			_, err = r.C.ProcessOrder(t.Context(), buy)
			rec.outcome(err)
			require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
		}
		require.Len(t, purchases(r.Srv), 20, "no replay")
		require.Len(t, r.Srv.Orders(), 20)
		rec.note("Idempotency-Key middleware: 20 calls, 20 POSTs, 20 orders")
	})
}

// TestS24_RedirectsToWrites proves G2: a 3xx answer to a purchase or a
// revoke may mean "processed, see other" (303, or PHP's 302 from
// header("Location: …")), so it is OutcomeUnknown, never a refusal, and
// never followed.
//
// The fake carries out the request and answers 301, 302, 303, 307 or 308
// with a Location, for a purchase and for a revoke. Virtual time.
//
// Pass: 10 of 10 calls OutcomeUnknown with the *APIError of the status;
// 1 request per call, no request to the Location.
func TestS24_RedirectsToWrites(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S24", "G2", "3xx after handling to purchases and revokes (virtual time)")
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, rec, rigOptions{Virtual: true, Client: []travelroam.Option{travelroam.WithPurchaseInterval(0)}})
		_, err := r.C.ProcessOrder(t.Context(), buy)
		require.NoError(t, err)
		iccid := r.Srv.Orders()[0].ICCID
		for _, status := range []int{301, 302, 303, 307, 308} {
			fault := travelroamtest.Status(status, "see other").AfterHandling()
			r.Srv.InjectFault(travelroamtest.RouteProcessOrders, fault)
			_, err := r.C.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: testBundle, ICCID: travelroam.ICCID(iccid)})
			rec.outcome(err)
			requireUnknownStatus(t, err, status)
			r.Srv.InjectFault(travelroamtest.RouteRevoke, fault)
			err = r.C.RevokeESIM(t.Context(), travelroam.ICCID(iccid))
			rec.outcome(err)
			requireUnknownStatus(t, err, status)
		}
		require.Len(t, purchases(r.Srv), 6)
		require.Equal(t, 5, r.Srv.RequestCount(travelroamtest.RouteRevoke))
		for _, req := range r.Srv.Requests() {
			require.NotEqual(t, "", req.Route, "nothing outside the API: the Location was not followed")
		}
	})
}

func requireUnknownStatus(t *testing.T, err error, status int) {
	t.Helper()
	require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
	var ae *travelroam.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, status, ae.StatusCode)
}

// TestS25_NothingSentIsKnown proves G2's other side: failures that
// provably happened before any byte of the request left are ErrNotSent,
// not "outcome unknown" (which would send the caller to support for
// nothing).
//
// A purchase against: a TLS server whose certificate is not trusted; a
// dial that fails; a context that ends while the connection is being
// made; a context that ends during the TLS handshake (the server never
// answers the ClientHello). 5 times each, over loopback.
//
// Pass: 20 of 20 calls match ErrNotSent and are not *OutcomeUnknownError; the
// servers received no request.
func TestS25_NothingSentIsKnown(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S25", "G2", "untrusted certificate, refused dial, ctx ended while connecting and during the TLS handshake (loopback)")
	var handled atomic.Int32
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { handled.Add(1) }))
	tlsSrv.Config.ErrorLog = slogDiscard()
	t.Cleanup(tlsSrv.Close)
	hang := hangingListener(t)
	trusted := tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig
	cases := map[string]func(ctx context.Context, cancel context.CancelFunc) (string, *http.Client){
		"untrusted certificate": func(context.Context, context.CancelFunc) (string, *http.Client) {
			return tlsSrv.URL, &http.Client{Transport: &http.Transport{}}
		},
		"dial refused": func(context.Context, context.CancelFunc) (string, *http.Client) {
			return tlsSrv.URL, &http.Client{Transport: &http.Transport{TLSClientConfig: trusted,
				DialContext: func(context.Context, string, string) (net.Conn, error) {
					return nil, &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("connection refused")}
				}}}
		},
		"ctx ends while connecting": func(_ context.Context, cancel context.CancelFunc) (string, *http.Client) {
			return tlsSrv.URL, &http.Client{Transport: &http.Transport{TLSClientConfig: trusted,
				DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					cancel()
					<-ctx.Done()
					return nil, ctx.Err()
				}}}
		},
		"ctx ends during the TLS handshake": func(_ context.Context, cancel context.CancelFunc) (string, *http.Client) {
			return "https://" + hang.addr, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					conn, err := (&net.Dialer{}).DialContext(ctx, network, hang.addr)
					go func() { <-hang.accepted; cancel() }()
					return conn, err
				}}}
		},
	}
	purchase := func(t *testing.T, name string, setup func(context.Context, context.CancelFunc) (string, *http.Client)) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		url, hc := setup(ctx, cancel)
		c, err := travelroam.NewClient("test-api-key-0123456789", "test-client-secret-0123", travelroam.WithBaseURL(url),
			travelroam.WithHTTPClient(hc), travelroam.WithPurchaseInterval(0))
		require.NoError(t, err)
		defer c.CloseIdleConnections()
		_, err = c.ProcessOrder(ctx, buy)
		rec.outcome(err)
		require.ErrorIs(t, err, travelroam.ErrNotSent, name)
		require.NotErrorAs(t, err, new(*travelroam.OutcomeUnknownError), name)
	}
	for name, setup := range cases {
		for range 5 {
			if name == "dial refused" {
				// Re-sent twice after a backoff: virtual time (no socket is opened).
				synctest.Test(t, func(t *testing.T) { purchase(t, name, setup) })
				continue
			}
			purchase(t, name, setup)
		}
	}
	require.Zero(t, handled.Load(), "no request reached a server")
	rec.note("4 kinds × 5 purchases: 20 ErrNotSent, 0 OutcomeUnknown, 0 requests received")
}

// hangTarget accepts TCP connections and never answers.
type hangTarget struct {
	addr     string
	accepted chan struct{}
}

func hangingListener(t *testing.T) *hangTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &hangTarget{addr: ln.Addr().String(), accepted: make(chan struct{}, 64)}
	conns := make(chan net.Conn, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- conn
			h.accepted <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(conns)
		for c := range conns {
			c.Close()
		}
	})
	return h
}

// TestS26_EchoedSecrets proves G6 against a server that repeats what it
// got: error messages that echo the API key, the client secret, an
// activation code, a matching ID, a PIN or a full ICCID.
//
// The fake answers a read (400) and a purchase (500, after handling) with
// such a message; the SDK logs at debug level with slog's JSON handler.
// Virtual time.
//
// Pass: none of the secrets in any error string (Error, %+v, %#v), in
// APIError.Message or in the log; APIError.Body keeps the raw answer.
func TestS26_EchoedSecrets(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S26", "G6", "error messages echoing the key, the secret, an activation code, a PIN and an ICCID (virtual time)")
	synctest.Test(t, func(t *testing.T) {
		logs := &testrig.Buffer{}
		logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		r := newRig(t, rec, rigOptions{Virtual: true, Client: []travelroam.Option{travelroam.WithPurchaseInterval(0), travelroam.WithLogger(logger)}})
		_, err := r.C.ProcessOrder(t.Context(), buy)
		require.NoError(t, err)
		o := r.Srv.Orders()[0]
		code := "K2-1Z8QAB-3XYV7P"
		echo := fmt.Sprintf("key %s secret %s code LPA:1$rsp.fake.local$%s matchingId %s PIN: 4321 iccid %s",
			r.Srv.APIKey, r.Srv.ClientSecret, code, code, o.ICCID)
		r.Srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.Status(400, echo))
		r.Srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, echo).AfterHandling())
		_, readErr := r.C.Organisation(t.Context())
		_, buyErr := r.C.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: testBundle, ICCID: travelroam.ICCID(o.ICCID)})
		rec.outcome(readErr)
		rec.outcome(buyErr)
		texts := []string{logs.String()}
		for _, err := range []error{readErr, buyErr} {
			var ae *travelroam.APIError
			require.ErrorAs(t, err, &ae)
			require.Contains(t, string(ae.Body), r.Srv.APIKey, "Body stays raw")
			texts = append(texts, ae.Message, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		}
		for _, text := range texts {
			for _, secret := range []string{r.Srv.APIKey, r.Srv.ClientSecret, code, "4321", o.ICCID, "LPA:1$"} {
				require.NotContains(t, text, secret)
			}
		}
		rec.note("2 errors, 4 strings each and the log: 0 secrets")
	})
}

// TestS27_ShuffledPages proves G4 against a server that ignores page:
// CatalogueAll must neither hammer it nor pass a partial catalogue off as
// complete.
//
// The fake repeats page 1 for every page, or reshuffles page 1's rows on
// each request; CatalogueAll over Europe, 5 per page. Virtual time.
//
// Pass: at most 3 requests per walk (it was 1,000 for a reshuffling
// server); the walk yields page 1's 5 bundles once, then an error
// matching ErrPaginationIgnored.
func TestS27_ShuffledPages(t *testing.T) {
	t.Parallel()
	rec := newRecord(t, "S27", "G4", "CatalogueAll against a server that ignores page: repeats, reshuffles (virtual time)")
	for _, style := range []travelroamtest.PagingStyle{travelroamtest.PagingIgnored, travelroamtest.PagingShuffled} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			r := newRig(t, rec, rigOptions{Virtual: true, Server: []travelroamtest.Option{travelroamtest.WithCataloguePaging(style)}})
			var names []string
			var last error
			for b, err := range r.C.CatalogueAll(t.Context(), travelroam.CatalogueOptions{Region: travelroam.RegionEurope, PerPage: 5}) {
				if err != nil {
					last = err
					continue
				}
				names = append(names, b.Name)
			}
			rec.outcome(last)
			require.ErrorIs(t, last, travelroam.ErrPaginationIgnored)
			require.Len(t, names, 5)
			n := r.Srv.RequestCount(travelroamtest.RouteCatalogue)
			require.LessOrEqual(t, n, 3)
			rec.note("%s: %d requests, 5 bundles, then ErrPaginationIgnored", map[travelroamtest.PagingStyle]string{
				travelroamtest.PagingIgnored: "page ignored", travelroamtest.PagingShuffled: "rows reshuffled"}[style], n)
			rec.addVirtual(time.Since(start))
		})
	}
}

// slogDiscard returns a log.Logger that drops what it gets: a TLS
// server's "handshake error" lines are expected here.
func slogDiscard() *log.Logger { return log.New(io.Discard, "", 0) }
