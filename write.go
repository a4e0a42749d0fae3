package travelroam

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// maxPreSendResend is how many times a write that provably never left is
// re-sent.
const maxPreSendResend = 2

// writeOutcome is what [Client.write] learnt of a purchase or a revoke.
type writeOutcome struct {
	resp   *response
	sentAt time.Time
	// notSent is true when the request provably never reached the server
	// (err is then the reason); otherwise an error means the outcome is
	// unknown.
	notSent bool
	err     error
	// sends is how many times the transport wrote the request's headers:
	// more than one means it re-sent the request by itself (a retrying
	// transport, an HTTP/2 replay), and whatever the answer, the outcome
	// is unknown.
	sends int
	// attempts is how many requests the write handed to the transport.
	attempts int
}

// replayed reports whether the transport sent the request more than once.
func (o writeOutcome) replayed() bool { return o.sends > 1 }

// writeTrace follows one write through httptrace: whether the transport
// reports to httptrace at all, whether it started writing the request,
// and how many times it wrote the request headers.
type writeTrace struct {
	traced  atomic.Bool
	started atomic.Bool
	sends   atomic.Int32
	hooks   httptrace.ClientTrace // built once, by clientTrace
}

// clientTrace returns the hooks that follow the write. net/http's
// Transport calls GetConn before it looks up or dials anything, so the
// DNS and dial hooks are not asked for: they would make httptrace hook
// into package net too, at six allocations a purchase. A custom transport
// that dials without calling GetConn is then "not traced", and its
// failures are judged by their error alone (provablyNotSent), which never
// takes a sent request for an unsent one.
func (w *writeTrace) clientTrace() *httptrace.ClientTrace {
	if w.hooks.GetConn != nil {
		return &w.hooks
	}
	saw := func() { w.traced.Store(true) }
	start := func() { w.traced.Store(true); w.started.Store(true) }
	w.hooks = httptrace.ClientTrace{
		GetConn:              func(string) { saw() },
		GotConn:              func(httptrace.GotConnInfo) { saw() },
		TLSHandshakeStart:    saw,
		WroteHeaderField:     func(string, []string) { start() },
		WroteHeaders:         func() { start(); w.sends.Add(1) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { start() },
		GotFirstResponseByte: start,
	}
	return &w.hooks
}

// notSent reports whether the attempt that failed with err provably put
// no byte of the request on the wire: the transport reports to httptrace
// and never started writing the request (the dial, the TLS handshake or
// the wait for a connection failed, or ctx ended before), or, for a
// transport that reports nothing, err is a failed dial, DNS lookup or
// certificate check.
func (w *writeTrace) notSent(err error) bool {
	switch {
	case w.started.Load():
		return false
	case w.traced.Load():
		return true
	}
	return provablyNotSent(err) || certificateError(err)
}

// write sends a purchase or a revoke. It re-sends only when an attempt
// provably never left the client after a failed dial or DNS lookup, at
// most maxPreSendResend times, and never adds an Idempotency-Key header
// (net/http would silently replay such a POST). It counts how many times
// the transport wrote the request: a transport that re-sends by itself
// makes the outcome unknown, even when its last answer is a success.
func (c *Client) write(ctx context.Context, r request) writeOutcome {
	out := c.writeBy(ctx, r, time.Time{})
	r.capture(out.resp, out.attempts)
	return out
}

// writeBy is write without the response capture, whose re-sends all end
// by sendBy (none when zero): a purchase's send must end inside its lease.
// The first attempt needs no deadline of its own: attemptTransport ends it
// after the write timeout, before sendBy; only a re-send after a failed
// dial gets one (which spares the common path a timer and its context).
func (c *Client) writeBy(ctx context.Context, r request, sendBy time.Time) writeOutcome {
	ctx = c.withCallInfo(ctx, r)
	trace := new(writeTrace)
	tctx := httptrace.WithClientTrace(ctx, trace.clientTrace())
	for attempt := 0; ; attempt++ {
		if attempt == 1 && !sendBy.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, sendBy)
			defer cancel()
			tctx = httptrace.WithClientTrace(ctx, trace.clientTrace())
		}
		if err := ctx.Err(); err != nil {
			return writeOutcome{notSent: true, err: err, attempts: attempt}
		}
		req, err := c.newHTTPRequest(tctx, r)
		if err != nil {
			return writeOutcome{notSent: true, err: err, attempts: attempt}
		}
		sentAt := time.Now()
		resp, err := c.writeHTTP.Do(req)
		if err != nil {
			out := writeOutcome{sentAt: sentAt, err: unwrapURLError(err), sends: int(trace.sends.Load()), attempts: attempt + 1}
			if !trace.notSent(err) {
				return out
			}
			if provablyNotSent(err) && attempt < maxPreSendResend {
				if err := sleepCtx(ctx, backoffBase<<attempt); err != nil {
					return writeOutcome{notSent: true, err: err, attempts: attempt + 1}
				}
				continue
			}
			out.notSent = true
			return out
		}
		b, rerr := readResponse(resp, responseCap(r.op))
		resp.Body.Close()
		return writeOutcome{sentAt: sentAt, resp: &response{status: resp.StatusCode, header: resp.Header, body: b}, err: rerr,
			sends: int(trace.sends.Load()), attempts: attempt + 1}
	}
}

// provablyNotSent reports whether err shows that no connection to the
// server was made: a failed dial or DNS lookup. A custom RoundTripper's
// errors never qualify, so an unknown case is treated as "maybe sent".
func provablyNotSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// certificateError reports whether err is a failed check of the server's
// certificate: the TLS handshake failed, so no request was written.
func certificateError(err error) bool {
	var (
		cv       *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// writeReleasing is write followed by release, which also runs when the
// transport panics: a buggy middleware must not keep the purchase slot.
func (c *Client) writeReleasing(ctx context.Context, r request, sendBy time.Time, release func()) writeOutcome {
	defer release()
	out := c.writeBy(ctx, r, sendBy)
	r.capture(out.resp, out.attempts)
	return out
}

// replayError is the cause of an unknown outcome when the transport sent
// the request more than once by itself; it carries the last answer.
func replayError(r request, out writeOutcome) error {
	last := fmt.Sprintf("%d %s", out.resp.status, http.StatusText(out.resp.status))
	if out.resp.status/100 != 2 {
		return fmt.Errorf("the transport sent the request %d times by itself (a retrying or replaying transport): last answer: %w",
			out.sends, newAPIError(r, out.resp))
	}
	return fmt.Errorf("the transport sent the request %d times by itself (a retrying or replaying transport): last answer: %s", out.sends, last)
}

// ambiguousStatus reports whether a write answered with status, not a
// 2xx, may or may not have been carried out: anything but a 4xx refusal
// and 503 (which Travel Roam documents as "not processed"). That is any
// 3xx (303 is the standard "processed, see other", and PHP's redirect
// sends 302), 408, every 5xx but 503 (a 524 from a proxy, for one, means
// the origin timed out while working on it), a final 1xx (a 101 from a
// broken server or proxy: the request reached it) and any status outside
// 100-599 a custom transport may return.
func ambiguousStatus(status int) bool {
	switch {
	case status == http.StatusServiceUnavailable:
		return false
	case status == http.StatusRequestTimeout:
		return true
	}
	return status < 400 || status >= 500
}

// writeCall names a purchase or a revoke for the errors of its outcome.
type writeCall struct {
	op         string
	key        string // the purchase's journal key, if any
	bundleName string // the bundle bought, if any
	iccid      ICCID  // the eSIM topped up or revoked, if any
	// needBody makes a 2xx whose body broke off unknown: a purchase needs
	// the order reference in it, a revoke needs only the status.
	needBody bool
}

// settle turns a write's outcome into its 2xx answer or its error. The
// status line decides, even when the body broke off:
//   - nothing sent: an error that says so, with the cause;
//   - a 2xx, sent once: the answer, for the caller to decode;
//   - 503 or 429 (Travel Roam's "not processed") and other 4xx: the
//     *APIError;
//   - 1xx, 3xx, 408 and other 5xx (see ambiguousStatus), a failure after
//     sending, or a request the transport sent more than once: an
//     *OutcomeUnknownError.
func (w writeCall) settle(r request, out writeOutcome) (*response, error) {
	if out.resp == nil {
		if out.notSent {
			return nil, w.notSent(out.err)
		}
		return nil, w.unknown(r, out, out.err)
	}
	switch status := out.resp.status; {
	case out.replayed():
		return nil, w.unknown(r, out, replayError(r, out))
	case status/100 == 2 && out.err != nil && w.needBody:
		return nil, w.unknown(r, out, out.err)
	case status/100 == 2:
		return out.resp, nil
	case ambiguousStatus(status):
		return nil, w.unknown(r, out, newAPIError(r, out.resp))
	}
	return nil, newAPIError(r, out.resp)
}

// notSent is the error of a write that provably never reached the server.
func (w writeCall) notSent(cause error) error {
	if w.iccid != "" {
		return fmt.Errorf("travelroam: %s on eSIM %s: %w: %w", w.op, w.iccid, ErrNotSent, cause)
	}
	return fmt.Errorf("travelroam: %s: %w: %w", w.op, ErrNotSent, cause)
}

// unknown is the error of a write that may or may not have been carried
// out; it keeps whatever answer arrived.
func (w writeCall) unknown(r request, out writeOutcome, cause error) *OutcomeUnknownError {
	e := &OutcomeUnknownError{Op: w.op, Key: w.key, BundleName: w.bundleName, ICCID: w.iccid, SentAt: out.sentAt, Err: cause}
	if out.resp != nil {
		e.Body = out.resp.body
		e.Header = responseHeader(out.resp.header, r.redact)
	}
	return e
}
