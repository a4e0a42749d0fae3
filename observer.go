package travelroam

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"
)

// Observer watches what a [Client] and a callback handler do, for
// metrics, traces or logs: pass it with [WithObserver] (to [NewClient],
// and to [NewCallbackHandler] for its Callback hook). The OpenTelemetry
// adapter github.com/roamkit/travelroam/travelroamotel builds one.
//
// Set the hooks you need; a nil hook, or a nil *Observer, costs nothing.
// Like net/http/httptrace's ClientTrace, it is a struct of functions
// rather than an interface, so that later versions can add hooks without
// breaking yours. Hooks run synchronously on the goroutine of the call:
// they must return quickly and be safe for concurrent use. They never
// receive the API key, the client secret, an activation code or a full
// ICCID: only operations, routes, statuses, counts, durations and
// classes.
//
// Each SDK call that talks to Travel Roam (Catalogue — once per page of
// CatalogueAll —, Bundle, ProcessOrder, Assignments, WaitForAssignments,
// ESIM, AppliedBundles, Location, RevokeESIM, Organisation) makes one
// CallStart and one CallEnd (both given a [CallInfo]), and, in between,
// an AttemptStart and an AttemptEnd (both given an [AttemptInfo]) per
// HTTP attempt (a poll of WaitForAssignments is an
// attempt of that call). Calls refused before anything is sent (bad
// input) make no event.
type Observer struct {
	// CallStart runs when a call starts; the context it returns is the
	// call's, and reaches the call's other hooks (a tracer puts its span
	// in it). Returning nil keeps ctx.
	// Its CallInfo's end fields are zero.
	CallStart func(ctx context.Context, e CallInfo) context.Context
	// CallEnd runs when the call returns, with every field of CallInfo
	// set.
	CallEnd func(ctx context.Context, e CallInfo)
	// AttemptStart runs before each HTTP attempt; the context it returns
	// is the request's (nil keeps ctx). Its AttemptInfo's end fields are
	// zero.
	AttemptStart func(ctx context.Context, e AttemptInfo) context.Context
	// AttemptEnd runs when the attempt's answer has arrived (or failed),
	// with every field of AttemptInfo set.
	AttemptEnd func(ctx context.Context, e AttemptInfo)
	// Poll runs after each answer of WaitForAssignments that is not ready
	// yet, before the wait for the next poll.
	Poll func(ctx context.Context, e Poll)
	// Callback runs once per request a callback handler answered, with
	// its decision.
	Callback func(ctx context.Context, e CallbackDecision)
}

// CallInfo describes a call: [Observer.CallStart] receives it as the call
// starts, with the fields from Outcome on zero; [Observer.CallEnd] as it
// returns, with every field set.
type CallInfo struct {
	// Call is the SDK method, e.g. "ProcessOrder" or "WaitForAssignments".
	Call string
	// Op is the API operation the call uses.
	Op Operation
	// Method and Route are the operation's route, e.g. "POST" and
	// "/processorders".
	Method, Route string

	// The end of the call (zero in CallStart):

	// Outcome classifies how the call ended.
	Outcome Outcome
	// Status is the HTTP status of the last answer, 0 when none came.
	Status int
	// Attempts is how many HTTP attempts the call made (retries, re-sends
	// and polls included).
	Attempts int
	// RetryBudgetRefused is true when a read stopped retrying because the
	// Client's retry budget was empty.
	RetryBudgetRefused bool
	// Duration is how long the call took.
	Duration time.Duration
}

// AttemptInfo describes an HTTP attempt of a call:
// [Observer.AttemptStart] receives it as the attempt starts, with the
// fields from Status on zero; [Observer.AttemptEnd] as its answer arrives
// (or fails), with every field set.
type AttemptInfo struct {
	// Call, Op, Method and Route are the call's, as in [CallInfo].
	Call          string
	Op            Operation
	Method, Route string
	// Scheme is the URL's scheme, "https" or "http".
	Scheme string
	// Host is the server's host (and port, if any).
	Host string
	// Attempt numbers the call's attempts from 1.
	Attempt int
	// RetryDelay is how long the call waited since the previous attempt
	// ended (a backoff, a Retry-After, a poll's delay); 0 for the first.
	RetryDelay time.Duration

	// The end of the attempt (zero in AttemptStart):

	// Status is the HTTP status, 0 when no answer came.
	Status int
	// ErrorType names the failure when no answer came: "timeout",
	// "canceled", "deadline_exceeded", "dial_failed" or "transport_error".
	ErrorType string
	// Duration is how long the attempt took until its answer's headers.
	Duration time.Duration
}

// Poll describes an answer of WaitForAssignments that is not ready yet.
type Poll struct {
	// Poll numbers the polls from 1.
	Poll int
	// Elapsed is the time since the wait started.
	Elapsed time.Duration
	// Next is the wait before the next poll; 0 when none follows.
	Next time.Duration
	// Status is the answer's HTTP status (200 for an answer without
	// installation data), 0 when no answer came.
	Status int
}

// CallbackDecision describes how a callback handler answered a request.
type CallbackDecision struct {
	// Decision is what the handler did: "delivered" (the function
	// accepted the event; 200), "duplicate" (an event already delivered,
	// acknowledged without calling the function; 200), "in_flight" (a
	// duplicate of an event still being processed; 503, the provider
	// delivers again later), "refused" (405, 401, 413 or 400) or "failed"
	// (the function or the deduper failed; 500 or 503, the provider
	// delivers again).
	Decision string
	// Reason says why a request was refused or failed: "method",
	// "unauthorized", "too_large", "malformed", "handler_error",
	// "handler_panic" or "deduper"; empty otherwise.
	Reason string
	// Status is the HTTP status answered.
	Status int
	// AlertType is the event's type, when the body was decoded; an
	// account event (no ICCID, e.g. "LowBalance") carries its type
	// too. No hook ever receives the ICCID.
	AlertType AlertType
	// Duration is how long the handler took.
	Duration time.Duration
}

// WithObserver makes the Client report its calls and their HTTP attempts
// to o (see [Observer]); given to [NewCallbackHandler], it makes the
// handler report each decision to o's Callback hook. A nil o, or one
// without hooks for where it is given, is ignored: it costs nothing.
func WithObserver(o *Observer) Option {
	return func(c *config) error {
		c.observer = o
		return nil
	}
}

// orNil returns o, or nil when o has no hook for a Client.
func (o *Observer) orNil() *Observer {
	if o == nil || (o.CallStart == nil && o.CallEnd == nil && o.AttemptStart == nil && o.AttemptEnd == nil && o.Poll == nil) {
		return nil
	}
	return o
}

// observedCall is one call being reported to an Observer. Its attempts
// may run on the goroutines of the transport, hence the atomics.
type observedCall struct {
	obs   *Observer
	start CallInfo // the start fields only
	began time.Time
	ctx   context.Context // the context CallStart returned

	attempts   atomic.Int32
	lastEnd    atomic.Int64 // unix nanoseconds of the last attempt's end
	lastStatus atomic.Int32
	budgetOut  atomic.Bool
}

// startCall reports the start of a call named name of r's operation. It
// returns the call's context and the call, for r.call and end; both are
// ctx and nil when the Client has no observer.
func (c *Client) startCall(ctx context.Context, name string, r request) (context.Context, *observedCall) {
	if c.observer == nil {
		return ctx, nil
	}
	oc := &observedCall{obs: c.observer, start: CallInfo{Call: name, Op: r.op, Method: r.method, Route: r.route}, began: time.Now()}
	if f := c.observer.CallStart; f != nil {
		if nctx := f(ctx, oc.start); nctx != nil {
			ctx = nctx
		}
	}
	oc.ctx = ctx
	return ctx, oc
}

// end reports the end of the call with its error. A nil oc does nothing.
func (oc *observedCall) end(err error) {
	if oc == nil || oc.obs.CallEnd == nil {
		return
	}
	e := oc.start
	e.Outcome, e.Status, e.Attempts = callOutcome(err), int(oc.lastStatus.Load()), int(oc.attempts.Load())
	e.RetryBudgetRefused, e.Duration = oc.budgetOut.Load(), time.Since(oc.began)
	oc.obs.CallEnd(oc.ctx, e)
}

// callOutcome classifies a call's error.
func callOutcome(err error) Outcome {
	var ae *APIError
	switch {
	case err == nil:
		return OutcomeSucceeded
	case errors.As(err, new(*OutcomeUnknownError)):
		return OutcomeUnknown
	case errors.As(err, new(*AlreadyAttemptedError)):
		return OutcomeAlreadyAttempted
	case errors.Is(err, ErrNotSent):
		return OutcomeNotSent
	case errors.As(err, new(*AssignmentsPendingError)):
		return OutcomePending
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return OutcomeCanceled
	case errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 600:
		return OutcomeRefused
	}
	return OutcomeFailed
}

// attempt reports the start of an HTTP attempt of the call, and returns
// the request's context and a func that reports its end.
func (oc *observedCall) attempt(req *http.Request) (context.Context, func(*http.Response, error)) {
	now := time.Now()
	e := AttemptInfo{Call: oc.start.Call, Op: oc.start.Op, Method: oc.start.Method, Route: oc.start.Route,
		Scheme: req.URL.Scheme, Host: req.URL.Host, Attempt: int(oc.attempts.Add(1))}
	if prev := oc.lastEnd.Load(); prev != 0 {
		e.RetryDelay = now.Sub(time.Unix(0, prev))
	}
	ctx := req.Context()
	if f := oc.obs.AttemptStart; f != nil {
		if nctx := f(ctx, e); nctx != nil {
			ctx = nctx
		}
	}
	return ctx, func(resp *http.Response, err error) {
		end := time.Now()
		oc.lastEnd.Store(end.UnixNano())
		ae := e
		ae.Duration = end.Sub(now)
		if resp != nil {
			ae.Status = resp.StatusCode
			oc.lastStatus.Store(int32(resp.StatusCode))
		} else {
			ae.ErrorType = errorClass(err)
		}
		if f := oc.obs.AttemptEnd; f != nil {
			f(ctx, ae)
		}
	}
}

// poll reports an answer of a wait that is not ready yet.
func (oc *observedCall) poll(p Poll) {
	if oc != nil && oc.obs.Poll != nil {
		oc.obs.Poll(oc.ctx, p)
	}
}
