package travelroam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// maxAssignmentsWait is the longest [Client.WaitForAssignments] waits:
// Travel Roam says preparing the data can take up to 10 minutes.
const maxAssignmentsWait = 10 * time.Minute

// waitConfig is what the wait options of a [Client.WaitForAssignments]
// call say.
type waitConfig struct {
	maxWait  time.Duration
	progress func(attempt int, next time.Duration)
	order    *Order // WithOrder; nil for none
}

// WithProgress makes [Client.WaitForAssignments] call f after each answer
// that is not ready yet (or each transient failure): attempt is the number
// of requests made so far (1, 2, …) and next the wait before the next one,
// or 0 when time has run out and no request follows. f runs on the
// caller's goroutine and should return quickly. A nil f is ignored. Only
// WaitForAssignments takes it.
func WithProgress(f func(attempt int, next time.Duration)) CallOption {
	return func(c *callConfig) error {
		c.used |= kindWait
		c.wait.progress = f
		return nil
	}
}

// WithMaxWait limits [Client.WaitForAssignments] to d in all, instead of
// the default (and maximum) 10 minutes. d must be positive and at most 10
// minutes; any other value is a [*ValidationError]. Only
// WaitForAssignments takes it.
func WithMaxWait(d time.Duration) CallOption {
	return func(c *callConfig) error {
		c.used |= kindWait
		if d <= 0 || d > maxAssignmentsWait {
			return invalid(c.op, "max wait", "%s is not in (0s, %s]", d, maxAssignmentsWait)
		}
		c.wait.maxWait = d
		return nil
	}
}

// WaitForAssignments waits for the installation data of the eSIMs bought in
// the order with the given reference, polling on the schedule Travel Roam
// asks for: at once, then 2 s, 4 s and 6 s after each answer, then every
// 8 s, for at most 10 minutes in all (about 77 requests; see
// [WithMaxWait]). No request is started after that time.
//
// An answer that is not ready yet (a 503, a 404, or no matching ID or
// SM-DP+ address) and transient failures (408, 429, 5xx, timeouts,
// network errors, unreadable bodies) do not end the wait and do not reset
// the schedule. A Retry-After longer than the next delay replaces it; when
// it would end after the time left, the wait ends at once. Each poll is a
// single request (re-sent once only when it provably never left). Any
// other answer ends the wait with its error: 401/403 ([ErrUnauthorized]),
// 400 and other 4xx ([*APIError]).
//
// When time runs out (10 minutes, [WithMaxWait] or ctx's deadline,
// whichever comes first), the error is an [*AssignmentsPendingError]:
// the order exists and is paid for;
// wait again later with the same reference, never buy again; when ctx's
// deadline cuts a request short, the wait ends the same way. When ctx is
// cancelled, the call returns at once with an error matching
// context.Canceled and sends nothing more.
//
// With [WithOrder], installation data already in the purchase answer is
// returned at once, without a request (and without Observer events);
// polling stays the default.
//
// Besides the wait options, it takes [WithHeader], [WithExtraField] and
// [WithResponseInto] (applied to every poll; the capture holds the last
// poll's answer and the requests of all polls) and [WithTimeout] (which
// acts as a deadline on ctx).
func (c *Client) WaitForAssignments(ctx context.Context, orderReference string, opts ...CallOption) ([]Assignment, error) {
	const op = labelWaitForAssignments
	if err := checkOrderReference(op, orderReference); err != nil {
		return nil, err
	}
	cfg, err := callOptions(op, kindsWait, opts)
	if err != nil {
		return nil, err
	}
	ref := strings.TrimSpace(orderReference)
	if o := cfg.wait.order; o != nil {
		if strings.TrimSpace(o.Reference) != ref {
			return nil, invalid(op, "WithOrder", "the order's reference is not the one waited for")
		}
		if ready, ok := readyFromOrder(o); ok {
			return ready, nil
		}
	}
	ctx, cancel := cfg.context(ctx)
	defer cancel()
	p := poller{c: c, ref: ref, cfg: cfg.wait, opts: &cfg}
	ctx, p.call = c.startCall(ctx, callWaitForAssignments, c.newRequest(OpAssignments, nil))
	list, err := p.run(ctx)
	p.call.end(err)
	return list, err
}

// poller is one WaitForAssignments call.
type poller struct {
	c    *Client
	ref  string
	cfg  waitConfig
	call *observedCall // nil when the Client has no observer
	opts *callConfig   // the call's options, for each poll
}

func (p *poller) run(ctx context.Context) ([]Assignment, error) {
	start := time.Now()
	deadline := start.Add(p.cfg.maxWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		// ctx's deadline ends the wait sooner: the schedule stops before
		// it, with the pending error rather than a bare context error.
		deadline = d
	}
	// Requests also end at the deadline, so that the wait never lasts
	// longer than allowed even when the server hangs.
	rctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for attempt := 1; ; attempt++ {
		list, err := p.c.assignments(rctx, p.ref, p.call, p.opts)
		switch {
		case err == nil:
			return list, nil
		case errors.Is(ctx.Err(), context.Canceled):
			return nil, p.canceled(ctx)
		case rctx.Err() != nil: // the request was cut at the deadline (ours or ctx's)
			return nil, p.pending(attempt, start, err)
		case !pollNotReady(err, time.Since(start)):
			return nil, err
		}
		delay := pollDelay(attempt, err)
		if !time.Now().Add(delay).Before(deadline) { // polls start before the deadline
			return nil, p.pending(attempt, start, err)
		}
		p.notify(attempt, delay)
		p.call.poll(Poll{Poll: attempt, Elapsed: time.Since(start), Next: delay, Status: pollStatus(err)})
		if sleepCtx(ctx, delay) != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, p.pending(attempt, start, err)
			}
			return nil, p.canceled(ctx)
		}
		if rctx.Err() != nil { // the timer fired late, past the deadline
			return nil, p.pending(attempt, start, err)
		}
	}
}

// pending ends the wait when time has run out.
func (p *poller) pending(attempts int, start time.Time, last error) error {
	p.notify(attempts, 0)
	return &AssignmentsPendingError{OrderReference: p.ref, Attempts: attempts, Elapsed: time.Since(start), Last: last}
}

func (p *poller) notify(attempt int, next time.Duration) {
	if p.cfg.progress != nil {
		p.cfg.progress(attempt, next)
	}
}

func (p *poller) canceled(ctx context.Context) error {
	return fmt.Errorf("travelroam: waiting for assignments of order %s (the order exists: wait again, do not buy again): %w", p.ref, ctx.Err())
}

// pollDelay is the wait after request number attempt: 2 s, 4 s, 6 s, then
// 8 s, or the server's Retry-After when that is longer.
func pollDelay(attempt int, err error) time.Duration {
	d := time.Duration(min(2*attempt, 8)) * time.Second
	var ae *APIError
	if errors.As(err, &ae) && ae.RetryAfter > d {
		d = ae.RetryAfter
	}
	return d
}

// notFoundGrace is how long after a wait starts a "not found" answer
// means "not ready yet": right after a purchase, the order may not be
// known yet; later, the reference or the route is wrong, and waiting ten
// minutes would not help.
const notFoundGrace = time.Minute

// pollNotReady reports whether err, elapsed into the wait, leaves the
// wait going: not ready yet, a "not found" (404, or a 400 whose message
// says so) during the first minute, or a transient failure. Bad input,
// other 4xx and permanent transport failures (TLS, unknown host) end it.
func pollNotReady(err error, elapsed time.Duration) bool {
	var (
		ae *APIError
		ve *ValidationError
		de *DecodeError
	)
	switch {
	case errors.As(err, &ae) && ae.notFound():
		return elapsed < notFoundGrace
	case errors.Is(err, ErrAssignmentsNotReady):
		return true
	case errors.As(err, &ae):
		return ae.StatusCode == http.StatusRequestTimeout || ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode >= 500
	case errors.As(err, &ve):
		return false
	case errors.As(err, &de), errors.Is(err, ErrResponseTooLarge):
		return true
	}
	return retryableError(err)
}

// pollStatus is the HTTP status behind a "not ready" poll: the answer's
// status, 200 for an answer without installation data, 0 for none.
func pollStatus(err error) int {
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		return ae.StatusCode
	case errors.Is(err, ErrAssignmentsNotReady):
		return http.StatusOK
	}
	return 0
}
