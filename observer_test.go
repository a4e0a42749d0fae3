package travelroam

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// observed records what an Observer was told, in order.
type observed struct {
	mu     sync.Mutex
	events []any
}

type ctxKey string

func (l *observed) add(e any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *observed) all() []any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]any(nil), l.events...)
}

// The events of observed: the hooks of a start and of an end receive one
// type, recorded apart.
type (
	callStarted    CallInfo
	callEnded      CallInfo
	attemptStarted AttemptInfo
	attemptEnded   AttemptInfo
)

// observer records every event; the call's context carries "call" and
// the attempt's "attempt", which the next hooks check.
func (l *observed) observer(t *testing.T) *Observer {
	return &Observer{
		CallStart: func(ctx context.Context, e CallInfo) context.Context {
			require.Zero(t, e.Outcome, "no end yet")
			l.add(callStarted(e))
			return context.WithValue(ctx, ctxKey("call"), e.Call)
		},
		CallEnd: func(ctx context.Context, e CallInfo) {
			require.Equal(t, e.Call, ctx.Value(ctxKey("call")), "CallEnd gets CallStart's context")
			l.add(callEnded(e))
		},
		AttemptStart: func(ctx context.Context, e AttemptInfo) context.Context {
			require.Equal(t, e.Call, ctx.Value(ctxKey("call")), "attempts run in the call's context")
			require.Zero(t, e.Status, "no answer yet")
			l.add(attemptStarted(e))
			return context.WithValue(ctx, ctxKey("attempt"), e.Attempt)
		},
		AttemptEnd: func(ctx context.Context, e AttemptInfo) {
			require.Equal(t, e.Attempt, ctx.Value(ctxKey("attempt")), "AttemptEnd gets AttemptStart's context")
			l.add(attemptEnded(e))
		},
		Poll:     func(_ context.Context, e Poll) { l.add(e) },
		Callback: func(_ context.Context, e CallbackDecision) { l.add(e) },
	}
}

// TestObserverRetriedRead: a read answered 503 then 200 is one call with
// two attempts; the second attempt carries the backoff it waited, and
// the request goes out in the context AttemptStart returned.
func TestObserverRetriedRead(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var log observed
		c, mt := newMockClient(t, WithObserver(log.observer(t)))
		n := 0
		mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", func(req *http.Request) (*http.Response, error) {
			n++
			require.Equal(t, n, req.Context().Value(ctxKey("attempt")), "the request carries the attempt's context")
			if n == 1 {
				return httpmock.NewStringResponse(503, `{"message":"busy"}`), nil
			}
			return httpmock.NewBytesResponse(200, fixture(t, "organisation_wrapped.json")), nil
		})
		_, err := c.Organisation(t.Context())
		require.NoError(t, err)
		start := CallInfo{Call: "Organisation", Op: OpOrganisation, Method: "GET", Route: "/organisation"}
		a1 := AttemptInfo{Call: "Organisation", Op: OpOrganisation, Method: "GET", Route: "/organisation", Scheme: "https", Host: "api.test", Attempt: 1}
		a2 := a1
		a2.Attempt, a2.RetryDelay = 2, 250*time.Millisecond
		a1end, a2end, end := a1, a2, start
		a1end.Status, a2end.Status = 503, 200
		end.Outcome, end.Status, end.Attempts, end.Duration = OutcomeSucceeded, 200, 2, 250*time.Millisecond
		require.Equal(t, []any{
			callStarted(start),
			attemptStarted(a1), attemptEnded(a1end),
			attemptStarted(a2), attemptEnded(a2end),
			callEnded(end),
		}, log.all())
	})
}

// TestObserverOutcomes: the outcome class of each kind of call end.
func TestObserverOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		respond httpmock.Responder
		call    func(*Client) error
		want    Outcome
		status  int
		tries   int
	}{
		{"purchase unknown", httpmock.NewStringResponder(500, `{}`), buy, OutcomeUnknown, 500, 1},
		{"purchase refused", httpmock.NewStringResponder(400, `{"message":"Insufficient balance"}`), buy, OutcomeRefused, 400, 1},
		{"purchase not processed", httpmock.NewStringResponder(503, `{}`), buy, OutcomeRefused, 503, 1},
		{"purchase not sent", httpmock.NewErrorResponder(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), buy, OutcomeNotSent, 0,
			1 + maxPreSendResend},
		{"purchase succeeded", httpmock.NewBytesResponder(200, []byte(`{"orderReference":"ref-1"}`)), buy, OutcomeSucceeded, 200, 1},
		{"revoke unknown", httpmock.NewStringResponder(502, ``), func(c *Client) error { return c.RevokeESIM(context.Background(), testICCID) },
			OutcomeUnknown, 502, 1},
		{"read failed", httpmock.NewStringResponder(200, `{`), func(c *Client) error {
			_, err := c.Organisation(context.Background())
			return err
		}, OutcomeFailed, 200, 1},
		{"read refused", httpmock.NewStringResponder(404, `{"message":"Bundle not found"}`), func(c *Client) error {
			_, err := c.Bundle(context.Background(), "x")
			return err
		}, OutcomeRefused, 404, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var log observed
				c, mt := newMockClient(t, WithObserver(log.observer(t)))
				mt.RegisterNoResponder(tc.respond)
				_ = tc.call(c)
				events := log.all()
				end, ok := events[len(events)-1].(callEnded)
				require.True(t, ok, "%#v", events)
				require.Equal(t, tc.want, end.Outcome)
				require.Equal(t, tc.status, end.Status)
				require.Equal(t, tc.tries, end.Attempts)
			})
		})
	}
}

func buy(c *Client) error {
	_, err := c.ProcessOrder(context.Background(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2", ICCID: testICCID})
	return err
}

// TestObserverWait: a wait is one call whose polls are its attempts; each
// answer that is not ready yet is a Poll with the delay that follows.
func TestObserverWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var log observed
		c, mt := newMockClient(t, WithObserver(log.observer(t)))
		newPollServer(t, mt, func(n int, _ time.Duration) (*http.Response, error) {
			if n < 3 {
				return unavailable("")
			}
			return ready(t)
		})
		_, err := c.WaitForAssignments(t.Context(), testOrderRef)
		require.NoError(t, err)
		var polls []Poll
		var calls []string
		var end callEnded
		for _, e := range log.all() {
			switch e := e.(type) {
			case Poll:
				polls = append(polls, e)
			case callStarted:
				calls = append(calls, e.Call)
			case callEnded:
				end = e
			case attemptStarted:
				require.Equal(t, "WaitForAssignments", e.Call)
			}
		}
		require.Equal(t, []string{"WaitForAssignments"}, calls, "the polls are attempts of the wait, not calls")
		require.Equal(t, []Poll{
			{Poll: 1, Elapsed: 0, Next: 2 * time.Second, Status: 503},
			{Poll: 2, Elapsed: 2 * time.Second, Next: 4 * time.Second, Status: 503},
		}, polls)
		require.Equal(t, OutcomeSucceeded, end.Outcome)
		require.Equal(t, 3, end.Attempts)
		require.Equal(t, 6*time.Second, end.Duration)
	})
}

// TestObserverBudgetRefused: a read that the empty retry budget stopped
// says so at its end.
func TestObserverBudgetRefused(t *testing.T) {
	t.Parallel()
	var log observed
	c, mt := newMockClient(t, WithObserver(log.observer(t)))
	c.budget.tokens = 0
	mt.RegisterNoResponder(httpmock.NewStringResponder(503, `{}`))
	_, err := c.Organisation(t.Context())
	require.ErrorIs(t, err, ErrRetryBudgetExhausted)
	events := log.all()
	end := events[len(events)-1].(callEnded)
	require.True(t, end.RetryBudgetRefused)
	require.Equal(t, 1, end.Attempts)
}

// TestObserverCallbackDecisions: the handler reports each decision.
func TestObserverCallbackDecisions(t *testing.T) {
	t.Parallel()
	var log observed
	fail := false
	h := NewCallbackHandler(func(context.Context, *CallbackEvent) error {
		if fail {
			return fmt.Errorf("queue full")
		}
		return nil
	}, WithObserver(log.observer(t)), WithCallbackSignature("", []byte("k")))
	body := fixture(t, "callback_v3.json")
	send := func(method string, body []byte, sig string) {
		req := httptest.NewRequest(method, "/cb", bytes.NewReader(body))
		req.Header.Set(defaultSignatureHeader, sig)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	good := signHex([]byte("k"), body)
	send(http.MethodPost, body, good)
	send(http.MethodPost, body, good)
	send(http.MethodGet, body, good)
	send(http.MethodPost, body, "bad")
	send(http.MethodPost, []byte(`{"iccid":`), signHex([]byte("k"), []byte(`{"iccid":`)))
	fail = true
	other := bytes.Replace(body, []byte("500000000"), []byte("400000000"), 1)
	send(http.MethodPost, other, signHex([]byte("k"), other))
	var got []string
	for _, e := range log.all() {
		d := e.(CallbackDecision)
		got = append(got, fmt.Sprintf("%s/%s/%d", d.Decision, d.Reason, d.Status))
	}
	require.Equal(t, []string{"delivered//200", "duplicate//200", "refused/method/405", "refused/unauthorized/401",
		"refused/malformed/400", "failed/handler_error/500"}, got)
	require.Equal(t, AlertType("Utilisation"), log.all()[0].(CallbackDecision).AlertType)
}

// TestObserverSeesNoSecrets: nothing an Observer receives, printed with
// %+v, holds a credential, the ICCID or the activation code.
func TestObserverSeesNoSecrets(t *testing.T) {
	t.Parallel()
	var log observed
	c, mt := newMockClient(t, WithObserver(log.observer(t)))
	mt.RegisterNoResponder(httpmock.NewBytesResponder(200, fixture(t, "esim_details_ms.json")))
	_, err := c.ESIM(t.Context(), testICCID)
	require.NoError(t, err)
	_ = buy(c)
	_ = c.RevokeESIM(t.Context(), testICCID)
	out := fmt.Sprintf("%+v", log.all())
	for _, secret := range []string{testAPIKey, testSecret, testICCID, testMatchingI} {
		require.NotContains(t, out, secret)
	}
	require.NotEmpty(t, log.all())
}

// BenchmarkObserver measures a round trip without an observer, with one
// whose hooks are all nil, and with one whose hooks all do nothing: an
// unset observer costs nothing.
func BenchmarkObserver(b *testing.B) {
	body := fixture(b, "bundle.json")
	for _, bc := range []struct {
		name string
		opts []Option
	}{
		{"unset", nil},
		{"nil hooks", []Option{WithObserver(&Observer{})}},
		{"no-op hooks", []Option{WithObserver(&Observer{
			CallStart:    func(ctx context.Context, _ CallInfo) context.Context { return ctx },
			CallEnd:      func(context.Context, CallInfo) {},
			AttemptStart: func(ctx context.Context, _ AttemptInfo) context.Context { return ctx },
			AttemptEnd:   func(context.Context, AttemptInfo) {},
		})}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tr := memoryTransport{path: "/api/whitelabel/bundle", body: body}
			opts := append([]Option{WithBaseURL(testBaseURL), WithHTTPClient(&http.Client{Transport: tr})}, bc.opts...)
			c, err := NewClient(testAPIKey, testSecret, opts...)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Bundle(context.Background(), "esim_1GB_7D_TR_V2"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestObserverWithoutHooksIsIgnored: an Observer without a Client hook is
// dropped, so that the Client does the work of none.
func TestObserverWithoutHooksIsIgnored(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testAPIKey, testSecret, WithObserver(&Observer{Callback: func(context.Context, CallbackDecision) {}}))
	require.NoError(t, err)
	require.Nil(t, c.observer)
	require.False(t, c.reportAttempts)
	var nilObserver *Observer
	c, err = NewClient(testAPIKey, testSecret, WithObserver(nilObserver))
	require.NoError(t, err)
	require.Nil(t, c.observer)
}
