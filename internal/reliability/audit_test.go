package reliability_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/internal/testrig"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Secrets of the audit: long and distinctive, so that any leak is found.
const (
	auditToken      = "cbtoken_AUDIT_6f1d2c9a4b7e4e0f9a510c2b7d3e8f10"
	auditSigningKey = "whkey_AUDIT_0123456789abcdefABCDEF"
)

// captureStderr sends os.Stderr and the log package's output to a buffer
// until the returned function is called, which restores them and returns
// what was written.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	saved, savedLog := os.Stderr, log.Writer()
	os.Stderr = w
	log.SetOutput(w)
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(&out, r)
	}()
	var once sync.Once
	restore := func() string {
		once.Do(func() {
			os.Stderr = saved
			log.SetOutput(savedLog)
			_ = w.Close()
			<-done
			_ = r.Close()
		})
		return out.String()
	}
	t.Cleanup(func() { restore() })
	return restore
}

// inProcess is an http.Client that serves requests with h directly (the
// fake's callbacks reach a receiver inside a synctest bubble this way).
func inProcess(h http.Handler) *http.Client {
	return &http.Client{Transport: testrig.RoundTripFunc(func(req *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result(), nil
	})}
}

// TestS14_NoSecretsInErrorsOrLogs proves G6: no credential, full ICCID,
// activation code or callback token in error strings or logs.
//
// A tour of the API with a debug-level slog logger on the Client and on a
// callback receiver: purchases under every fault (503, drop, timeout,
// 500, truncated, malformed, HTML 502, refused dial, unknown bundle), a
// top-up and a revoke dropped after handling (OutcomeUnknown carrying an
// ICCID), reads of eSIM details whose error message echoes the ICCID,
// applied bundles with malformed answers, a wait that times out, and
// signed usage callbacks sent by the fake to a receiver with a path token
// (rejected, failing, panicking with the ICCID in the message). Every
// error is formatted with %v and %+v (its Error string; %#v shows the
// typed errors' fields, e.g. OutcomeUnknownError.ICCID, by design).
// os.Stderr and the log package are captured.
//
// Pass: 0 occurrences of the API key, the client secret, any full ICCID
// the fake issued, any matching ID or "LPA:1$" activation code, the
// callback token or the signing key in the errors, the logs and stderr;
// nothing written to stderr; the logs are not empty (the test sees them).
func TestS14_NoSecretsInErrorsOrLogs(t *testing.T) {
	// Not parallel: it captures the process's stderr.
	rec := newRecord(t, "S14", "G6", "error strings and logs of a tour through every fault")
	stderr := captureStderr(t)
	var texts []string
	logs := &testrig.Buffer{}
	var secrets []string
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		defer func() { rec.addVirtual(time.Since(start)) }()
		logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		receiver := auditReceiver(logger)
		refuse, arm := refuseNext()
		r := newRig(t, rec, rigOptions{
			Virtual: true,
			Refuse:  refuse,
			Server: []travelroamtest.Option{
				travelroamtest.WithCallbackURL("http://receiver.test/hooks/travelroam/" + auditToken),
				travelroamtest.WithCallbackSigningKey(auditSigningKey),
				travelroamtest.WithCallbackClient(inProcess(receiver)),
				travelroamtest.WithAssignmentDelay(0),
			},
			Client: []travelroam.Option{travelroam.WithLogger(logger), travelroam.WithPurchaseInterval(0)},
		})
		keep := func(err error) {
			rec.outcome(err)
			if err != nil {
				texts = append(texts, fmt.Sprintf("%v | %+v", err, err))
			}
		}
		texts = append(texts, auditPurchases(t, r, arm, keep)...)
		texts = append(texts, auditCallbacks(t, r, receiver, keep)...)
		for _, o := range r.Srv.Orders() {
			secrets = append(secrets, o.ICCID)
		}
		secrets = append(secrets, r.Srv.APIKey, r.Srv.ClientSecret)
		for _, o := range r.Srv.Orders() {
			if list, err := r.C.Assignments(t.Context(), o.Reference); err == nil {
				for _, a := range list {
					secrets = append(secrets, a.MatchingID.Reveal())
				}
			}
		}
	})
	secrets = append(secrets, auditToken, auditSigningKey, "LPA:1$")
	errOut := stderr()
	require.Empty(t, errOut, "nothing on stderr")
	require.Contains(t, logs.String(), "route=/processorders", "the logs were captured")
	all := strings.Join(texts, "\n") + "\n" + logs.String()
	for _, s := range secrets {
		require.NotEmpty(t, s)
		require.NotContains(t, all, s)
	}
	rec.note("%d error strings and %d log lines scanned for %d secrets: 0 found; stderr: %d bytes",
		len(texts), strings.Count(logs.String(), "\n"), len(secrets), len(errOut))
}

// auditPurchases runs the API part of S14 and returns extra texts to scan.
func auditPurchases(t *testing.T, r *rig, arm func(int), keep func(error)) []string {
	ctx := t.Context()
	for _, f := range []travelroamtest.Fault{
		travelroamtest.Status(503, "Service temporarily unavailable").WithRetryAfter("60"),
		travelroamtest.ResetAfterHandling(),
		travelroamtest.Latency(2 * time.Minute).AfterHandling(),
		travelroamtest.Status(500, "Internal Server Error").AfterHandling(),
		travelroamtest.TruncatedBody(),
		travelroamtest.MalformedJSON(),
		travelroamtest.HTMLBadGateway().AfterHandling(),
	} {
		r.Srv.InjectFault(travelroamtest.RouteProcessOrders, f)
		_, err := r.C.ProcessOrder(ctx, buy)
		keep(err)
	}
	r.C.CloseIdleConnections()
	arm(3)
	_, err := r.C.ProcessOrder(ctx, buy)
	require.True(t, isDialRefused(err), "%v", err)
	keep(err)
	_, err = r.C.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: "esim_no_such_bundle"})
	keep(err)

	order, err := r.C.ProcessOrder(ctx, buy)
	require.NoError(t, err)
	iccid := r.Srv.Orders()[len(r.Srv.Orders())-1].ICCID
	list, err := r.C.WaitForAssignments(ctx, order.Reference)
	require.NoError(t, err)
	code, err := list[0].ActivationCode()
	require.NoError(t, err)
	texts := []string{fmt.Sprint(list[0]), fmt.Sprintf("%#v", list[0])}

	r.Srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.ResetAfterHandling())
	_, err = r.C.ProcessOrder(ctx, travelroam.OrderRequest{BundleName: testBundle, ICCID: travelroam.ICCID(iccid)})
	keep(err)
	r.Srv.InjectFault(travelroamtest.RouteESIMDetails, travelroamtest.Status(400, "ICCID "+iccid+" not found"))
	for range 4 {
		r.Srv.InjectFault(travelroamtest.RouteAppliedBundles, travelroamtest.MalformedJSON())
	}
	_, err = r.C.ESIM(ctx, travelroam.ICCID(iccid))
	keep(err)
	_, err = r.C.AppliedBundles(ctx, travelroam.ICCID(iccid))
	keep(err)
	_, err = r.C.Location(ctx, travelroam.ICCID(iccid))
	keep(err)
	e, err := r.C.ESIM(ctx, travelroam.ICCID(iccid))
	require.NoError(t, err)
	texts = append(texts, fmt.Sprint(e), fmt.Sprintf("%#v", e))

	late, err := r.C.ProcessOrder(ctx, buy)
	require.NoError(t, err)
	r.Srv.InjectFault(travelroamtest.RouteAssignments, travelroamtest.Status(503, "busy"), travelroamtest.Status(503, "busy"))
	_, err = r.C.WaitForAssignments(ctx, late.Reference, travelroam.WithMaxWait(3*time.Second))
	keep(err)

	r.Srv.InjectFault(travelroamtest.RouteRevoke, travelroamtest.ResetAfterHandling())
	keep(r.C.RevokeESIM(ctx, travelroam.ICCID(iccid)))
	require.NotEmpty(t, fmt.Sprint(code))
	return texts
}

// auditReceiver is a callback handler with a path token and a signature
// key that fails or panics on some events, logging to logger.
func auditReceiver(logger *slog.Logger) http.Handler {
	var n int
	var mu sync.Mutex
	fn := func(_ context.Context, ev *travelroam.CallbackEvent) error {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		switch k % 3 {
		case 1:
			return fmt.Errorf("queue full for eSIM %s", ev.ICCID)
		case 2:
			panic("cannot handle eSIM " + ev.ICCID)
		}
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/hooks/travelroam/", travelroam.NewCallbackHandler(fn,
		travelroam.WithCallbackPathToken(auditToken),
		travelroam.WithCallbackSignature("", []byte(auditSigningKey)),
		travelroam.WithLogger(logger)))
	return mux
}

// auditCallbacks makes the fake send usage callbacks, and sends rejected
// ones.
func auditCallbacks(t *testing.T, r *rig, receiver http.Handler, keep func(error)) []string {
	iccid := r.Srv.Orders()[len(r.Srv.Orders())-1].ICCID
	var texts []string
	for range 4 {
		if err := r.Srv.ConsumeData(t.Context(), iccid, 300<<20); err != nil {
			texts = append(texts, err.Error()) // deliveries the receiver refused: 500s
		}
	}
	cbs := r.Srv.Callbacks()
	require.NotEmpty(t, cbs)
	body := cbs[0].Body
	for _, tc := range []struct{ path, sig string }{
		{"/hooks/travelroam/wrong-token-0123456789", cbs[0].Signature},
		{"/hooks/travelroam/" + auditToken, "bad"},
		{"/hooks/travelroam/" + auditToken, ""},
	} {
		req := httptest.NewRequest(http.MethodPost, tc.path, bytes.NewReader(body))
		req.Header.Set(travelroamtest.SignatureHeader, tc.sig)
		w := httptest.NewRecorder()
		receiver.ServeHTTP(w, req)
		require.GreaterOrEqual(t, w.Code, 400)
		texts = append(texts, w.Body.String())
		_, err := travelroam.ParseCallback(httptest.NewRequest(http.MethodPost, tc.path, bytes.NewReader(body)),
			travelroam.WithCallbackPathToken(auditToken), travelroam.WithCallbackSignature("", []byte(auditSigningKey)))
		keep(err)
	}
	return texts
}

// TestS16_NothingLeftOpen proves G5's "every body closed, nothing
// outlives the call" over real loopback TCP.
//
// Every fault the fake has, on a read, a purchase and a revoke, through a
// Client without read retries: normal answers, 503, 500 after handling,
// a 10 s wait cut by a 50 ms context, a drop before reading the body, a
// drop after handling, a truncated body, malformed JSON, a 2 MiB body
// over a 1 MiB cap, an HTML 502, and a body sent one byte per
// millisecond.
//
// Pass: after each call, every response body the transport opened has
// been closed; at the end, with the client's idle connections and the
// server closed, every connection opened is closed and goleak finds no
// goroutine left (every other scenario's rig checks the same counters).
func TestS16_NothingLeftOpen(t *testing.T) {
	// Not parallel: goleak.VerifyNone looks at the whole process.
	rec := newRecord(t, "S16", "G5", "every fault on a read, a purchase and a revoke, over loopback TCP")
	t.Cleanup(func() { goleak.VerifyNone(t) })
	r := newRig(t, rec, rigOptions{Client: []travelroam.Option{travelroam.WithMaxRetries(0), travelroam.WithPurchaseInterval(0)}})
	_, err := r.C.ProcessOrder(t.Context(), buy)
	require.NoError(t, err)
	iccid := r.Srv.Orders()[0].ICCID
	faults := []travelroamtest.Fault{
		travelroamtest.Pass(),
		travelroamtest.Status(503, "busy"),
		travelroamtest.Status(500, "oops").AfterHandling(),
		travelroamtest.Latency(10 * time.Second),
		travelroamtest.ResetBeforeBody(),
		travelroamtest.ResetAfterHandling(),
		travelroamtest.TruncatedBody(),
		travelroamtest.MalformedJSON(),
		travelroamtest.HugeBody(200, 2<<20),
		travelroamtest.HTMLBadGateway(),
		travelroamtest.Trickle(time.Millisecond),
	}
	calls := []struct {
		route travelroamtest.Route
		call  func(ctx context.Context) error
	}{
		{travelroamtest.RouteOrganisation, func(ctx context.Context) error { _, err := r.C.Organisation(ctx); return err }},
		{travelroamtest.RouteProcessOrders, func(ctx context.Context) error { _, err := r.C.ProcessOrder(ctx, buy); return err }},
		{travelroamtest.RouteRevoke, func(ctx context.Context) error { return r.C.RevokeESIM(ctx, travelroam.ICCID(iccid)) }},
	}
	for _, c := range calls {
		for _, f := range faults {
			r.Srv.InjectFault(c.route, f)
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			err := c.call(ctx)
			cancel()
			rec.outcome(err)
			require.Equal(t, r.Net.BodiesOpened.Load(), r.Net.BodiesClosed.Load(), "%s with %s: every body closed on return", c.route, f)
		}
	}
	rec.note("%d bodies opened and closed, %d connections", r.Net.BodiesOpened.Load(), r.Net.Opened.Load())
}
