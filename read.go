package travelroam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/hashicorp/go-retryablehttp"
)

// The read loop. Reads (catalogue, bundle, eSIM details, organisation,
// assignments…) are retried by go-retryablehttp, configured by the SDK:
// its logger off, its error handler passing the last answer through, and
// the SDK's own policy (retry.go), backoff (retry.go) and budget
// (retry_budget.go). This is the only file that imports go-retryablehttp.

// readers are the two retry loops of a Client: the default one of reads,
// and the one of polls, which sends a single attempt (re-sent once only
// when it provably never left: any other failure is left to the polling
// schedule).
type readers struct {
	normal, single *retryablehttp.Client
}

func (c *Client) newReaders(maxRetries int) readers {
	return readers{
		normal: c.readLoop(maxRetries, c.checkRetry),
		single: c.readLoop(min(1, maxRetries), checkPollRetry),
	}
}

// readLoop returns a retry loop of reads with the given retries and
// policy; a read with its own retries (WithCallRetries) gets its own.
func (c *Client) readLoop(retries int, check retryablehttp.CheckRetry) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:     c.readHTTP,
		Logger:         nil, // it would print URLs; the SDK logs through slog
		RetryWaitMin:   backoffBase,
		RetryWaitMax:   backoffCap,
		RetryMax:       retries,
		CheckRetry:     check,
		Backoff:        c.backoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: countAttempt,
	}
}

// countAttempt counts, before each attempt of a read, the requests of its
// call (for WithResponseInto).
func countAttempt(_ retryablehttp.Logger, req *http.Request, _ int) {
	if info, ok := req.Context().Value(callInfoKey{}).(*callInfo); ok {
		info.sent++
	}
}

// newRetryableRequest builds a read's request with the contract's
// headers. The body is a []byte so that retries rewind it without data
// races, and without the copy retryablehttp.FromRequest would make.
func (c *Client) newRetryableRequest(ctx context.Context, r request) (*retryablehttp.Request, error) {
	body, err := encodeBody(r)
	if err != nil {
		return nil, err
	}
	var raw any // an untyped nil for no body: a nil []byte would be sent chunked
	if body != nil {
		raw = body
	}
	u, err := c.requestURL(r)
	if err != nil {
		return nil, err
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.method, u, raw)
	if err != nil {
		return nil, fmt.Errorf("travelroam: building request: %w", err)
	}
	if body == nil {
		req.Body = http.NoBody // as net/http sets it, for RoundTrippers that read it
	}
	c.setHeaders(req.Request, r)
	return req, nil
}

// read performs a read with retries and decodes a 2xx answer with decode.
// A body that cannot be read or decoded counts as a transient failure.
// It settles the call with the client's retry budget: a success refunds,
// and a failure that the budget cut short matches ErrRetryBudgetExhausted.
//
// A read reports its call to the Client's observer, unless r.call says
// that its caller reports the call (the polls of a wait).
func read[T any](ctx context.Context, c *Client, r request, decode func([]byte) (T, error)) (T, error) {
	return readAnswer(ctx, c, r, func(b []byte, _ http.Header, _ jsonv2.Options) (T, error) { return decode(b) })
}

// readInPlace is read for a decoder of public types decoded in place,
// which gets the Client's rules (rules_decode.go).
func readInPlace[T any](ctx context.Context, c *Client, r request, decode func([]byte, jsonv2.Options) (T, error)) (T, error) {
	return readAnswer(ctx, c, r, func(b []byte, _ http.Header, rules jsonv2.Options) (T, error) { return decode(b, rules) })
}

// answerDecoder decodes the body of a 2xx answer, given its headers and
// the Client's rules (rules_decode.go).
type answerDecoder[T any] func(b []byte, h http.Header, rules jsonv2.Options) (T, error)

// readAnswer is read for a decoder that also looks at the answer's
// headers (the assignments route answers CSV or JSON).
func readAnswer[T any](ctx context.Context, c *Client, r request, decode answerDecoder[T]) (T, error) {
	own := r.call == nil
	if own {
		ctx, r.call = c.startCall(ctx, c.routes[r.op].call, r)
	}
	info := &callInfo{route: r.route, call: r.call, maxRetries: c.reads.normal.RetryMax}
	if r.ownRetries {
		info.maxRetries = r.retries
	}
	v, err := readAttempts(context.WithValue(ctx, callInfoKey{}, info), c, r, decode)
	switch {
	case err == nil:
		c.budget.settle(info)
	case info.budgetOut:
		err = fmt.Errorf("%w (%w)", err, ErrRetryBudgetExhausted)
		if r.call != nil {
			r.call.budgetOut.Store(true)
		}
	}
	if own {
		r.call.end(err)
	}
	return v, err
}

// readAttempts is read without the budget's settlement; ctx carries the
// call's callInfo.
func readAttempts[T any](ctx context.Context, c *Client, r request, decode answerDecoder[T]) (T, error) {
	var zero T
	rreq, err := c.newRetryableRequest(ctx, r)
	if err != nil {
		return zero, err
	}
	s := &readState[T]{r: r, decode: decode, rules: c.rules, limit: responseCap(r.op)}
	rreq.SetResponseHandler(s.handle)
	resp, err := c.readLoopFor(r).Do(rreq)
	final := s.final(resp)
	captureRead(ctx, r, final)
	ok := err == nil && resp != nil && resp == s.handled && s.decoded
	if ctxErr := ctx.Err(); ctxErr != nil && !ok {
		return zero, canceledRead(ctx, r, final, ctxErr)
	}
	switch {
	case final != nil && final.status/100 != 2:
		return zero, newAPIError(r, final)
	case err != nil:
		return zero, wrapTransportError(r, err)
	case !ok:
		return zero, fmt.Errorf("travelroam: %s %s: no usable response", r.method, r.route)
	}
	return s.result, nil
}

// readLoopFor is the retry loop of a read: the Client's, one attempt for
// the routes that get one, or one with the call's own retry count.
func (c *Client) readLoopFor(r request) *retryablehttp.Client {
	switch {
	case r.single:
		return c.reads.single
	case r.ownRetries:
		return c.readLoop(r.retries, c.checkRetry)
	}
	return c.reads.normal
}

// captureRead fills the call's WithResponseInto, if any, with the final
// answer (or the last one seen, when the call ended in a backoff) and the
// number of requests sent.
func captureRead(ctx context.Context, r request, final *response) {
	info, _ := ctx.Value(callInfoKey{}).(*callInfo)
	if r.meta == nil || info == nil {
		return
	}
	answer := final
	if answer == nil {
		answer = info.last
	}
	r.capture(answer, info.sent)
}

// readState is what the response handler learnt of the latest attempt of
// a read.
type readState[T any] struct {
	r      request
	decode answerDecoder[T]
	rules  jsonv2.Options
	limit  int64

	result  T
	got     *response      // the handled answer, body read
	handled *http.Response // the answer got belongs to
	decoded bool           // got was a 2xx and decoded into result
}

// handle reads an attempt's answer and decodes a 2xx one; its error makes
// the retry policy see an unreadable or undecodable body.
func (s *readState[T]) handle(resp *http.Response) error {
	s.handled, s.got, s.decoded = resp, nil, false
	b, err := readResponse(resp, s.limit)
	resp.Body.Close()
	resp.Body = http.NoBody
	if err != nil {
		return err
	}
	s.got = &response{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode/100 != 2 {
		return nil
	}
	if err := checkObjectDensity(b); err != nil {
		return &DecodeError{Method: s.r.method, Route: s.r.route, Err: err}
	}
	v, err := s.decode(trimBOM(b), resp.Header, s.rules)
	if err != nil {
		return &DecodeError{Method: s.r.method, Route: s.r.route, Err: err}
	}
	s.result, s.decoded = v, true
	return nil
}

// final returns the answer the call ends with, resp as the loop returned
// it: an earlier attempt's answer never counts.
func (s *readState[T]) final(resp *http.Response) *response {
	switch {
	case resp == nil:
		return nil
	case resp != s.handled:
		// Retries ran out, or CheckRetry stopped early: the body is unread.
		b, _ := readResponse(resp, maxErrorBody)
		resp.Body.Close()
		return &response{status: resp.StatusCode, header: resp.Header, body: b}
	}
	return s.got
}

// canceledRead is the error of a read whose ctx ended before it
// succeeded. It keeps the server's last non-2xx answer, if any (the final
// one, or the one a retry was made after): errors.As finds the
// *APIError, errors.Is the context's error.
func canceledRead(ctx context.Context, r request, final *response, ctxErr error) error {
	last := final
	if info, _ := ctx.Value(callInfoKey{}).(*callInfo); last == nil && info != nil {
		last = info.last
	}
	if last != nil && last.status/100 != 2 {
		return fmt.Errorf("travelroam: %s %s: %w (last answer: %w)", r.method, r.route, ctxErr, newAPIError(r, last))
	}
	return fmt.Errorf("travelroam: %s %s: %w", r.method, r.route, ctxErr)
}

// wrapTransportError strips the URL from a net/http error (it would be
// repeated in every message) and names the operation.
func wrapTransportError(r request, err error) error {
	var de *DecodeError
	if errors.As(err, &de) || errors.Is(err, ErrResponseTooLarge) {
		if errors.Is(err, ErrResponseTooLarge) {
			return fmt.Errorf("travelroam: %s %s: %w", r.method, r.route, ErrResponseTooLarge)
		}
		return de
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("travelroam: %s %s: %w", r.method, r.route, err)
}

// checkRetry is the read policy of c: retryPolicy, with every retry paid
// for from c's retry budget. When the budget cannot pay, the read stops
// with its last failure and the call is marked so that read reports
// ErrRetryBudgetExhausted. A retry the loop would not make anyway (the
// attempts are used up) costs nothing.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	retry, cerr := retryPolicy(ctx, resp, err)
	info, _ := ctx.Value(callInfoKey{}).(*callInfo)
	if !retry || cerr != nil || info == nil || info.retries >= info.maxRetries {
		return retry, cerr
	}
	cost := retryCost
	if isTimeout(err) {
		cost = retryTimeoutCost
	}
	if !c.budget.take(cost) {
		info.budgetOut = true
		return false, nil
	}
	info.retries, info.lastCost, info.budgetOut = info.retries+1, cost, false
	if resp != nil {
		info.last = keepAnswer(resp)
	}
	return true, nil
}

// checkPollRetry re-sends a poll only when it provably never left.
func checkPollRetry(ctx context.Context, _ *http.Response, err error) (bool, error) {
	if err == nil {
		return false, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	return provablyNotSent(err), nil
}

// keepAnswer reads (up to maxErrorBody of) the body of an answer that is
// about to be retried, and puts the bytes back for retryablehttp to
// drain.
func keepAnswer(resp *http.Response) *response {
	b, _ := readCapped(resp.Body, maxErrorBody, resp.ContentLength)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}
