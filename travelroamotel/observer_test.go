package travelroamotel

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// TestRetriedRead: a read answered 503 then 200 is one internal call span
// with two client attempt spans, the second marked as a resend with the
// backoff it waited; the metrics count one call, two attempts and one
// retry.
func TestRetriedRead(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork())
		defer srv.Close()
		c := newClient(t, srv, h.obs)
		defer c.CloseIdleConnections()
		srv.InjectFault(travelroamtest.RouteOrganisation, travelroamtest.Status(503, "busy"))

		ctx, parent := h.tp.Tracer("test").Start(t.Context(), "checkout")
		_, err := c.Organisation(ctx)
		parent.End()
		require.NoError(t, err)

		spans := h.spans.Ended()
		calls := named(spans, "travelroam.Organisation")
		require.Len(t, calls, 1)
		call := calls[0]
		require.Equal(t, parent.SpanContext().SpanID(), call.Parent().SpanID(), "the call span is a child of the caller's span")
		require.Equal(t, trace.SpanKindInternal, call.SpanKind())
		require.Equal(t, codes.Unset, call.Status().Code)
		ca := attrs(call.Attributes())
		require.Equal(t, "Organisation", ca[attrCall].AsString())
		require.Equal(t, "organisation", ca[attrOperation].AsString())
		require.Equal(t, "succeeded", ca[attrOutcome].AsString())
		require.Equal(t, int64(2), ca[attrAttempts].AsInt64())
		require.False(t, ca[attrRetryBudgetRefused].AsBool())
		require.Equal(t, int64(200), ca[attrLastStatusCode].AsInt64())
		require.NotContains(t, ca, attribute.Key("error.type"))

		attempts := children(spans, call)
		require.Len(t, attempts, 2)
		for i, a := range attempts {
			require.Equal(t, "GET /organisation", a.Name())
			require.Equal(t, trace.SpanKindClient, a.SpanKind())
			aa := attrs(a.Attributes())
			require.Equal(t, "GET", aa["http.request.method"].AsString())
			require.Equal(t, "travelroam.fake.test", aa["server.address"].AsString())
			require.Equal(t, int64(80), aa["server.port"].AsInt64(), "the in-memory fake's http URL names no port")
			require.Equal(t, "/organisation", aa["url.template"].AsString())
			require.Equal(t, "organisation", aa[attrOperation].AsString())
			if i == 0 {
				require.NotContains(t, aa, attribute.Key("http.request.resend_count"))
				require.NotContains(t, aa, attrRetryDelay)
				require.Equal(t, int64(503), aa["http.response.status_code"].AsInt64())
				require.Equal(t, "503", aa["error.type"].AsString())
				require.Equal(t, codes.Error, a.Status().Code)
			} else {
				require.Equal(t, int64(1), aa["http.request.resend_count"].AsInt64())
				require.Positive(t, aa[attrRetryDelay].AsFloat64(), "the backoff waited")
				require.Equal(t, a.StartTime().Sub(attempts[0].EndTime()).Seconds(), aa[attrRetryDelay].AsFloat64())
				require.Equal(t, int64(200), aa["http.response.status_code"].AsInt64())
				require.NotContains(t, aa, attribute.Key("error.type"))
				require.Equal(t, codes.Unset, a.Status().Code)
			}
		}
		require.Empty(t, children(spans, attempts[0]))

		rm := h.metrics(t)
		org := []attribute.KeyValue{attrCall.String("Organisation"), attrOperation.String("organisation")}
		require.Equal(t, int64(1), sumOf(t, rm, "travelroam.client.calls", append(org, attrOutcome.String("succeeded"))...))
		require.Equal(t, int64(2), sumOf(t, rm, "travelroam.client.attempts", org...))
		require.Equal(t, int64(1), sumOf(t, rm, "travelroam.client.retries", org...))
		require.Zero(t, sumOf(t, rm, "travelroam.client.retry_budget.refusals"))
		n, sum := histogramOf(t, rm, "travelroam.client.call.duration", org...)
		require.Equal(t, uint64(1), n)
		require.Equal(t, call.EndTime().Sub(call.StartTime()).Seconds(), sum)
		n, _ = histogramOf(t, rm, "http.client.request.duration", attribute.String("http.request.method", "GET"),
			attribute.String("url.template", "/organisation"), attribute.Int("http.response.status_code", 503),
			attribute.String("error.type", "503"), attribute.String("server.address", "travelroam.fake.test"),
			attribute.Int("server.port", 80))
		require.Equal(t, uint64(1), n)
		n, _ = histogramOf(t, rm, "http.client.request.duration", attribute.Int("http.response.status_code", 200))
		require.Equal(t, uint64(1), n)
	})
}

// TestAmbiguousPurchase: a purchase answered 500 after the order was
// created is a call span with the unknown outcome and the Error status,
// counted as an unknown purchase; it was sent once.
func TestAmbiguousPurchase(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork())
		defer srv.Close()
		c := newClient(t, srv, h.obs)
		defer c.CloseIdleConnections()
		srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(500, "oops").AfterHandling())

		_, err := c.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: bundleName})
		require.ErrorAs(t, err, new(*travelroam.OutcomeUnknownError))
		require.Len(t, srv.Orders(), 1, "the order exists")

		spans := h.spans.Ended()
		calls := named(spans, "travelroam.ProcessOrder")
		require.Len(t, calls, 1)
		call := calls[0]
		require.Equal(t, sdktrace.Status{Code: codes.Error, Description: "unknown"}, call.Status())
		ca := attrs(call.Attributes())
		require.Equal(t, "unknown", ca[attrOutcome].AsString())
		require.Equal(t, "unknown", ca["error.type"].AsString())
		require.Equal(t, int64(1), ca[attrAttempts].AsInt64())
		require.Equal(t, int64(500), ca[attrLastStatusCode].AsInt64())
		attempts := children(spans, call)
		require.Len(t, attempts, 1, "a purchase is never re-sent")
		require.Equal(t, "POST /processorders", attempts[0].Name())
		require.Equal(t, "500", attrs(attempts[0].Attributes())["error.type"].AsString())

		rm := h.metrics(t)
		require.Equal(t, int64(1), sumOf(t, rm, "travelroam.client.purchases", attrOutcome.String("unknown")))
		require.Equal(t, int64(1), sumOf(t, rm, "travelroam.client.purchases"))
		require.Equal(t, int64(1), sumOf(t, rm, "travelroam.client.calls", attrCall.String("ProcessOrder"),
			attrOperation.String("process_order"), attrOutcome.String("unknown")))
		require.Zero(t, sumOf(t, rm, "travelroam.client.retries"))
	})
}

// TestOutcomeStatuses: each outcome gives the span status the package doc
// promises; a refused purchase, a purchase that never left (the network
// is down) and a read the empty retry budget stopped are reported as
// such.
func TestOutcomeStatuses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork())
		defer srv.Close()
		c := newClient(t, srv, h.obs, travelroam.WithMaxRetries(0))
		defer c.CloseIdleConnections()

		srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(400, "Insufficient balance"))
		_, err := c.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: bundleName})
		require.Error(t, err)
		srv.InjectFault(travelroamtest.RouteBundle, travelroamtest.ResetBeforeBody())
		_, err = c.Bundle(t.Context(), bundleName)
		require.Error(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err = c.WaitForAssignments(ctx, "0b3b2b7e-8c1e-4f5e-9a55-3c4d1f7f0b21")
		require.Error(t, err)

		spans := h.spans.Ended()
		status := func(name string) (string, codes.Code) {
			s := named(spans, name)
			require.Len(t, s, 1, name)
			return attrs(s[0].Attributes())[attrOutcome].AsString(), s[0].Status().Code
		}
		outcome, code := status("travelroam.ProcessOrder")
		require.Equal(t, "refused", outcome)
		require.Equal(t, codes.Error, code)
		outcome, code = status("travelroam.Bundle")
		require.Equal(t, "failed", outcome)
		require.Equal(t, codes.Error, code)
		bundle := named(spans, "travelroam.Bundle")[0]
		attempt := children(spans, bundle)
		require.Len(t, attempt, 1)
		aa := attrs(attempt[0].Attributes())
		require.NotContains(t, aa, attribute.Key("http.response.status_code"))
		require.Equal(t, "transport_error", aa["error.type"].AsString(), "no answer: the SDK's class of failure")
		outcome, code = status("travelroam.WaitForAssignments")
		require.Equal(t, "canceled", outcome)
		require.Equal(t, codes.Error, code)

		require.False(t, callFailed(travelroam.OutcomePending), "pending: the order exists, wait again")
		require.False(t, callFailed(travelroam.OutcomeAlreadyAttempted), "the journal refused a second purchase, by design")
		require.True(t, callFailed(travelroam.OutcomeNotSent))
	})
}

// TestWaitPolls: a wait is one span whose attempts are its polls; each
// answer that is not ready yet is a poll event on it, numbered from 1,
// and the wait's duration is recorded once, not as retries.
func TestWaitPolls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(), travelroamtest.WithAssignmentDelay(10*time.Second))
		defer srv.Close()
		c := newClient(t, srv, h.obs)
		defer c.CloseIdleConnections()

		order, err := c.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: bundleName})
		require.NoError(t, err)
		esims, err := c.WaitForAssignments(t.Context(), order.Reference)
		require.NoError(t, err)
		require.Len(t, esims, 1)

		spans := h.spans.Ended()
		waits := named(spans, "travelroam.WaitForAssignments")
		require.Len(t, waits, 1)
		wait := waits[0]
		attempts := children(spans, wait)
		polls := wait.Events()
		require.GreaterOrEqual(t, len(polls), 2, "a 10 s delay takes several polls")
		require.Len(t, attempts, len(polls)+1, "every attempt but the last was not ready")
		require.Equal(t, int64(len(attempts)), attrs(wait.Attributes())[attrAttempts].AsInt64())
		for i, e := range polls {
			require.Equal(t, eventPoll, e.Name)
			ea := attrs(e.Attributes)
			require.Equal(t, int64(i+1), ea[attrPollNumber].AsInt64())
			require.Equal(t, attempts[i].EndTime().Sub(wait.StartTime()).Seconds(), ea[attrPollElapsed].AsFloat64())
			require.Equal(t, attempts[i+1].StartTime().Sub(attempts[i].EndTime()).Seconds(), ea[attrPollNextDelay].AsFloat64(),
				"the next poll came after the announced delay")
			require.Equal(t, int64(503), ea["http.response.status_code"].AsInt64(), "the fake's pending answer")
		}
		for i, a := range attempts {
			require.Equal(t, "GET /getesimassignments", a.Name())
			if i > 0 {
				require.Equal(t, int64(i), attrs(a.Attributes())["http.request.resend_count"].AsInt64())
			}
		}

		rm := h.metrics(t)
		n, sum := histogramOf(t, rm, "travelroam.client.assignment_wait.duration", attrOutcome.String("succeeded"))
		require.Equal(t, uint64(1), n)
		require.Equal(t, wait.EndTime().Sub(wait.StartTime()).Seconds(), sum)
		require.GreaterOrEqual(t, sum, 10.0, "the wait lasted until the installation data was ready")
		wa := []attribute.KeyValue{attrCall.String("WaitForAssignments")}
		require.Equal(t, int64(len(attempts)), sumOf(t, rm, "travelroam.client.attempts", wa...))
		require.Zero(t, sumOf(t, rm, "travelroam.client.retries", wa...), "polls are not retries")
		require.Equal(t, int64(1), sumOf(t, rm, "travelroam.client.purchases", attrOutcome.String("succeeded")))
	})
}

// TestCallbackDecisions: every request a callback handler answers is
// counted by decision, reason and alert type, and is an event on the
// request's span.
func TestCallbackDecisions(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		key := "callback-signing-key"
		handler := travelroam.NewCallbackHandler(func(context.Context, *travelroam.CallbackEvent) error { return nil },
			travelroam.WithObserver(h.obs), travelroam.WithCallbackSignature("", []byte(key)))
		tracer := h.tp.Tracer("test")
		server := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, span := tracer.Start(r.Context(), "POST /cb", trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			handler.ServeHTTP(w, r.WithContext(ctx))
		})
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(),
			travelroamtest.WithCallbackURL("http://receiver.test/cb"), travelroamtest.WithCallbackSigningKey(key),
			travelroamtest.WithCallbackClient(&http.Client{Transport: handlerTransport{server}}))
		defer srv.Close()
		c := newClient(t, srv, h.obs)
		defer c.CloseIdleConnections()

		_, err := c.ProcessOrder(t.Context(), travelroam.OrderRequest{BundleName: bundleName})
		require.NoError(t, err)
		iccid := srv.Orders()[0].ICCID
		require.NoError(t, srv.ConsumeData(t.Context(), iccid, 600_000_000))
		sent := srv.Callbacks()
		require.GreaterOrEqual(t, len(sent), 2, "FirstUse, then 50 %")
		require.NoError(t, srv.SendRawCallback(t.Context(), sent[0].Body), "a duplicate is acknowledged")
		require.NoError(t, srv.SendRawCallback(t.Context(), []byte(`{"alertType":"Surprise","iccid":"`+iccid+`"}`)),
			"an alert type the SDK does not know is delivered")
		unsigned := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(),
			travelroamtest.WithCallbackURL("http://receiver.test/cb"),
			travelroamtest.WithCallbackClient(&http.Client{Transport: handlerTransport{server}}))
		defer unsigned.Close()
		require.Error(t, unsigned.SendRawCallback(t.Context(), sent[0].Body), "an unsigned callback is refused")
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://receiver.test/cb", nil)
		require.NoError(t, err)
		resp, err := handlerTransport{server}.RoundTrip(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

		rm := h.metrics(t)
		decided := func(kvs ...attribute.KeyValue) int64 { return sumOf(t, rm, "travelroam.callback.requests", kvs...) }
		require.Equal(t, int64(len(sent)+1), decided(attrCallbackDecision.String("delivered")))
		require.Equal(t, int64(1), decided(attrCallbackDecision.String("delivered"), attrCallbackAlertType.String("FirstUse"),
			attribute.Int("http.response.status_code", 200)))
		require.Equal(t, int64(1), decided(attrCallbackDecision.String("duplicate")))
		require.Equal(t, int64(1), decided(attrCallbackDecision.String("refused"), attrCallbackReason.String("unauthorized"),
			attribute.Int("http.response.status_code", 401)))
		require.Equal(t, int64(1), decided(attrCallbackDecision.String("refused"), attrCallbackReason.String("method")))
		require.Equal(t, int64(len(sent)+4), decided())
		other := decided(attrCallbackAlertType.String("_OTHER"))
		require.Equal(t, int64(1), other, "an alert type the SDK does not know is not copied into a metric")
		require.Zero(t, decided(attrCallbackAlertType.String("Surprise")))

		var events []string
		for _, s := range named(h.spans.Ended(), "POST /cb") {
			for _, e := range s.Events() {
				require.Equal(t, eventCallback, e.Name)
				events = append(events, attrs(e.Attributes)[attrCallbackDecision].AsString())
			}
		}
		require.Len(t, events, len(sent)+4, "one event per request, on the request's span")
		require.Contains(t, events, "duplicate")
	})
}

// TestDefaultsAndNoop: without options the observer uses the global
// providers (no-ops by default): its hooks keep working and record
// nothing.
func TestDefaultsAndNoop(t *testing.T) {
	t.Parallel()
	obs, err := NewObserver(nil)
	require.NoError(t, err)
	ctx := obs.CallStart(t.Context(), travelroam.CallInfo{Call: "Bundle", Op: travelroam.OpBundle, Method: "POST", Route: "/bundle"})
	require.NotNil(t, ctx)
	actx := obs.AttemptStart(ctx, travelroam.AttemptInfo{Host: "api.test", Attempt: 1})
	obs.AttemptEnd(actx, travelroam.AttemptInfo{Host: "api.test", Attempt: 1, Status: 200})
	obs.Poll(ctx, travelroam.Poll{Poll: 1})
	obs.CallEnd(ctx, travelroam.CallInfo{Call: "Bundle", Op: travelroam.OpBundle, Method: "POST", Route: "/bundle", Outcome: travelroam.OutcomeSucceeded})
	obs.Callback(t.Context(), travelroam.CallbackDecision{Decision: "delivered", Status: 200})
	require.False(t, trace.SpanFromContext(actx).IsRecording())
}

// TestHTTPAttributes: methods outside the semantic conventions' list and
// hosts with and without a port.
func TestHTTPAttributes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, method, original string }{
		{"GET", "GET", ""}, {"POST", "POST", ""}, {"DELETE", "DELETE", ""}, {"PROPFIND", "_OTHER", "PROPFIND"}, {"get", "_OTHER", "get"},
	} {
		m, o := httpMethod(tc.in)
		require.Equal(t, tc.method, m, tc.in)
		require.Equal(t, tc.original, o, tc.in)
	}
	for _, tc := range []struct {
		in, scheme string
		host       string
		port       int
	}{
		{"sandbox.travelroam.com", "https", "sandbox.travelroam.com", 443},
		{"travelroam.fake.test", "http", "travelroam.fake.test", 80},
		{"127.0.0.1:41234", "http", "127.0.0.1", 41234},
		{"[::1]:8080", "https", "::1", 8080},
		{"[::1]", "https", "::1", 443},
	} {
		host, port := hostPort(tc.in, tc.scheme)
		require.Equal(t, tc.host, host, tc.in)
		require.Equal(t, tc.port, port, tc.in)
	}

	h := newHarness(t)
	ctx := h.obs.AttemptStart(t.Context(), travelroam.AttemptInfo{
		Call: "Organisation", Op: travelroam.OpOrganisation, Method: "PROPFIND", Route: "/organization",
		Host: "api.test", Attempt: 1,
	})
	h.obs.AttemptEnd(ctx, travelroam.AttemptInfo{Status: 207})
	s := named(h.spans.Ended(), "HTTP /organization")
	require.Len(t, s, 1, "the span name of an unknown method is HTTP")
	a := attrs(s[0].Attributes())
	require.Equal(t, "_OTHER", a["http.request.method"].AsString())
	require.Equal(t, "PROPFIND", a["http.request.method_original"].AsString())
}
