package travelroam

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Limits of the request path.
const (
	maxResponseBytes = 128 << 20 // a 50,000-bundle catalogue is about 40 MiB
	backoffBase      = 500 * time.Millisecond
	backoffCap       = 30 * time.Second
	maxRetryAfter    = 60 * time.Second // a longer Retry-After is returned, not slept
	// maxRetryAfterValue bounds the Retry-After the SDK reports (one year).
	maxRetryAfterValue = 365 * 24 * time.Hour
	maxPreSendResend   = 2       // re-sends of a write that provably never left
	maxPresize         = 8 << 20 // most bytes allocated up front for a declared Content-Length
)

// request is one API operation: what the single request path needs.
type request struct {
	method string
	route  string     // from the route table, e.g. routeCatalogue
	query  url.Values // nil for none
	body   any        // marshalled to JSON; nil for none
	// retry, when set, replaces the client's read retry policy for this
	// one call (polling sends single attempts); nil for the default.
	retry *retryablehttp.Client
}

// response is a complete, size-capped answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// callInfo travels in the request context so that CheckRetry and the
// logging transport know which call an attempt belongs to.
type callInfo struct {
	route   string
	attempt atomic.Int32
	// Retry budget bookkeeping of a read, touched only by CheckRetry and
	// read, which run on the calling goroutine: retries paid for, the
	// cost of the last one, and whether the budget refused a retry.
	retries, lastCost int
	budgetOut         bool
	// last is the last answer a retry was made after: when ctx ends during
	// the backoff that follows, it stays reachable from the error.
	last *response
}

type callInfoKey struct{}

// encodeBody marshals the body of r; nil when it has none.
func encodeBody(r request) ([]byte, error) {
	if r.body == nil {
		return nil, nil
	}
	body, err := json.Marshal(r.body)
	if err != nil {
		return nil, fmt.Errorf("travelroam: encoding request: %w", err)
	}
	return body, nil
}

// requestURL returns the absolute URL of r: the route's URL, computed
// once in NewClient, and the query.
func (c *Client) requestURL(r request) string {
	u, ok := c.routeURLs[r.route]
	if !ok {
		u = routeURL(c.baseURL, r.route)
	}
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	return u
}

// routeURL joins the base URL and a route.
func routeURL(base *url.URL, route string) string {
	u := *base
	u.Path = strings.TrimRight(u.Path, "/") + route
	u.RawPath = ""
	return u.String()
}

// setHeaders puts the contract's headers on h, a fresh request's empty
// header: one clone of the Client's, which costs fewer allocations than
// setting them one by one.
func (c *Client) setHeaders(req *http.Request) {
	req.Header = c.headers()
}

// contractHeader returns the headers every request carries.
func contractHeader(apiKey, clientSecret, userAgent string) http.Header {
	h := make(http.Header, 5)
	h.Set("X-API-KEY", apiKey)
	h.Set("Clientsecret", clientSecret)
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("User-Agent", userAgent)
	return h
}

// withCallInfo puts a callInfo for r in ctx for the logging transport;
// without logging nothing reads it, so nothing is added.
func (c *Client) withCallInfo(ctx context.Context, r request) context.Context {
	if !c.logRequests {
		return ctx
	}
	return context.WithValue(ctx, callInfoKey{}, &callInfo{route: r.route})
}

// newHTTPRequest builds a write's request with the contract's headers.
// The body can be read once only: the request has no GetBody, so neither
// net/http's HTTP/1 transport nor its HTTP/2 transport can re-send it by
// itself (HTTP/2 would after a RST_STREAM or a GOAWAY, which a buggy
// server or proxy may send after carrying the request out).
func (c *Client) newHTTPRequest(ctx context.Context, r request) (*http.Request, error) {
	body, err := encodeBody(r)
	if err != nil {
		return nil, err
	}
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.requestURL(r), rd)
	if err != nil {
		return nil, fmt.Errorf("travelroam: building request: %w", err)
	}
	req.GetBody = nil
	c.setHeaders(req)
	return req, nil
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
	req, err := retryablehttp.NewRequestWithContext(ctx, r.method, c.requestURL(r), raw)
	if err != nil {
		return nil, fmt.Errorf("travelroam: building request: %w", err)
	}
	if body == nil {
		req.Body = http.NoBody // as net/http sets it, for RoundTrippers that read it
	}
	c.setHeaders(req.Request)
	return req, nil
}

// read performs a read with retries and decodes a 2xx answer with decode.
// A body that cannot be read or decoded counts as a transient failure.
// It settles the call with the client's retry budget: a success refunds,
// and a failure that the budget cut short matches ErrRetryBudgetExhausted.
func read[T any](ctx context.Context, c *Client, r request, decode func([]byte) (T, error)) (T, error) {
	info := &callInfo{route: r.route}
	v, err := readAttempts(context.WithValue(ctx, callInfoKey{}, info), c, r, decode)
	switch {
	case err == nil:
		c.budget.settle(info)
	case info.budgetOut:
		err = fmt.Errorf("%w (%w)", err, ErrRetryBudgetExhausted)
	}
	return v, err
}

// readAttempts is read without the budget's settlement; ctx carries the
// call's callInfo.
func readAttempts[T any](ctx context.Context, c *Client, r request, decode func([]byte) (T, error)) (T, error) {
	var zero T
	rreq, err := c.newRetryableRequest(ctx, r)
	if err != nil {
		return zero, err
	}
	var (
		result  T
		got     *response      // the handled answer, body read
		handled *http.Response // the answer got belongs to
		decoded bool           // got was a 2xx and decoded into result
	)
	limit := int64(maxResponseBytes)
	if c.maxResponse > 0 {
		limit = c.maxResponse
	}
	rreq.SetResponseHandler(func(resp *http.Response) error {
		handled, got, decoded = resp, nil, false
		b, err := readResponse(resp, limit)
		resp.Body.Close()
		resp.Body = http.NoBody
		if err != nil {
			return err
		}
		got = &response{status: resp.StatusCode, header: resp.Header, body: b}
		if resp.StatusCode/100 != 2 {
			return nil
		}
		v, err := decode(b)
		if err != nil {
			return &DecodeError{Method: r.method, Route: r.route, Err: err}
		}
		result, decoded = v, true
		return nil
	})
	rc := c.retry
	if r.retry != nil {
		rc = r.retry
	}
	resp, err := rc.Do(rreq)
	// final is the answer the call ends with; an earlier attempt's never
	// counts.
	final := got
	switch {
	case resp == nil:
		final = nil
	case resp != handled:
		// Retries ran out, or CheckRetry stopped early: the body is unread.
		b, _ := readResponse(resp, maxErrorBody)
		resp.Body.Close()
		final = &response{status: resp.StatusCode, header: resp.Header, body: b}
	}
	ok := err == nil && resp != nil && resp == handled && decoded
	if ctxErr := ctx.Err(); ctxErr != nil && !ok {
		last := final
		if info, _ := ctx.Value(callInfoKey{}).(*callInfo); last == nil && info != nil {
			last = info.last
		}
		if last != nil && last.status/100 != 2 {
			// Keep the server's answer: errors.As finds the *APIError,
			// errors.Is the context's error.
			return zero, fmt.Errorf("travelroam: %s %s: %w (last answer: %w)", r.method, r.route, ctxErr, newAPIError(r, last))
		}
		return zero, fmt.Errorf("travelroam: %s %s: %w", r.method, r.route, ctxErr)
	}
	switch {
	case final != nil && final.status/100 != 2:
		return zero, newAPIError(r, final)
	case err != nil:
		return zero, wrapTransportError(r, err)
	case !ok:
		return zero, fmt.Errorf("travelroam: %s %s: no usable response", r.method, r.route)
	}
	return result, nil
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
	if !retry || cerr != nil || info == nil || info.retries >= c.retry.RetryMax {
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

// keepAnswer reads (up to maxErrorBody of) the body of an answer that is
// about to be retried, and puts the bytes back for retryablehttp to
// drain.
func keepAnswer(resp *http.Response) *response {
	b, _ := readCapped(resp.Body, maxErrorBody, resp.ContentLength)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

func isTimeout(err error) bool {
	var ne net.Error
	return err != nil && (errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()))
}

// retryPolicy is the read policy: retry transport errors, unreadable or
// undecodable bodies, 408, 429, 500, 502, 503 and 504; never other 4xx.
// A Retry-After above maxRetryAfter, or past ctx's deadline, stops at
// once so that the caller gets the typed error instead of a long sleep. A received 2xx is never dropped
// because the context ended.
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return retryableError(err), nil
	}
	if resp == nil {
		return false, nil
	}
	if !retryableStatus(resp.StatusCode) {
		return false, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		if d > maxRetryAfter {
			return false, nil
		}
		if deadline, has := ctx.Deadline(); has && time.Now().Add(d).After(deadline) {
			return false, nil // the wait would outlast ctx: return the answer now
		}
	}
	return true, nil
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func retryableError(err error) bool {
	if errors.Is(err, ErrResponseTooLarge) {
		return false
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		dnsErr   *net.DNSError
	)
	switch {
	case errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid):
		return false
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return false
	}
	msg := err.Error()
	for _, s := range []string{"unsupported protocol scheme", "stopped after", "invalid header", "certificate"} {
		if strings.Contains(msg, s) {
			return false
		}
	}
	return true
}

// backoff returns the wait before retry number attempt+1: "equal jitter"
// exponential backoff (d/2 + rand[0, d/2) with d = base·2^attempt, capped),
// raised to the server's Retry-After when that is longer.
func (c *Client) backoff(base, capDur time.Duration, attempt int, resp *http.Response) time.Duration {
	d := base << min(attempt, 16)
	if d <= 0 || d > capDur {
		d = capDur
	}
	wait := d/2 + c.jitter(d/2)
	if resp != nil {
		if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && ra > wait {
			wait = min(ra, maxRetryAfter)
		}
	}
	return wait
}

func randomJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date
// (relative to now; a date in the past gives 0). ok is false for an absent
// or unreadable value.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return min(time.Duration(min(n, int64(maxRetryAfterValue/time.Second)))*time.Second, maxRetryAfterValue), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := min(max(t.Sub(now), 0), maxRetryAfterValue)
	return d.Round(time.Second), true
}

func (c *Client) newRetryClient(maxRetries int) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   c.readHTTP,
		Logger:       nil, // it would print URLs; the SDK logs through slog
		RetryWaitMin: backoffBase,
		RetryWaitMax: backoffCap,
		RetryMax:     maxRetries,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// The retry budget is AWS's standard retry quota: one bucket per Client,
// shared by all its reads, so that an outage cannot multiply the traffic.
const (
	retryBudgetCapacity = 500 // tokens in a full bucket
	retryCost           = 5   // taken by a retry
	retryTimeoutCost    = 10  // taken by a retry after a timeout
	noRetryRefund       = 1   // given back by a success at the first attempt
)

// retryBudget is a token bucket. A retry takes retryCost tokens
// (retryTimeoutCost after a timeout); when the bucket cannot pay, reads
// make one attempt and fail fast. A read that succeeds at its first
// attempt puts noRetryRefund back; one that succeeds after retries gives
// back the cost of its last retry, as AWS does. It never holds more than
// retryBudgetCapacity.
type retryBudget struct {
	mu     sync.Mutex
	tokens int
}

func newRetryBudget() *retryBudget { return &retryBudget{tokens: retryBudgetCapacity} }

// take withdraws cost tokens; it takes nothing and returns false when
// fewer are left.
func (b *retryBudget) take(cost int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// settle refunds a successful read.
func (b *retryBudget) settle(info *callInfo) {
	n := noRetryRefund
	if info.retries > 0 {
		n = info.lastCost
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.tokens+n, retryBudgetCapacity)
}

// sleepCtx waits for d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readResponse reads resp's body: a 2xx body up to limit (more is
// ErrResponseTooLarge), any other body up to maxErrorBody, cut there or
// where it broke off, without error, so that the status is never lost. The declared length
// only sizes the buffer: a 2xx that declares more than limit fails at once
// without reading (closing the body then closes the connection), a length
// within limit (and maxPresize) is read into one allocation of that size,
// and a body of unknown length costs about the cap in memory when it is
// over it.
func readResponse(resp *http.Response, limit int64) ([]byte, error) {
	if resp.StatusCode/100 != 2 {
		// Whatever arrived of the body is kept: the status decides, even
		// when the body breaks off.
		b, _ := readCapped(resp.Body, min(limit, maxErrorBody), resp.ContentLength)
		return b, nil
	}
	size := resp.ContentLength
	if size > limit {
		return nil, ErrResponseTooLarge
	}
	if size <= 0 || size > maxPresize {
		// Unknown, or too large to trust before the bytes arrive.
		return readUnsized(resp.Body, limit)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(resp.Body, b); err != nil {
		return nil, err
	}
	rest, err := readCapped(resp.Body, limit-size, 0) // nothing, unless the length lied
	return append(b, rest...), err
}

// readUnsized reads r to its end, up to limit bytes; more is
// ErrResponseTooLarge. On any error it returns no bytes. Like io.ReadAll
// it reads into chunks that grow by half and joins them once, but only
// when the body fits, so that a body over the cap costs the cap, not
// twice as much.
func readUnsized(r io.Reader, limit int64) ([]byte, error) {
	var (
		chunks [][]byte
		total  int64
		next   int64 = 512
	)
	for {
		buf := make([]byte, 0, min(next, limit+1-total))
		for len(buf) < cap(buf) {
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf, total = buf[:len(buf)+n], total+int64(n)
			if err == io.EOF {
				if total > limit { // the last bytes came with EOF
					return nil, ErrResponseTooLarge
				}
				return slices.Concat(append(chunks, buf)...), nil
			}
			if err != nil {
				return nil, err
			}
		}
		if total > limit {
			return nil, ErrResponseTooLarge
		}
		chunks, next = append(chunks, buf), next+next/2
	}
}

// readCapped reads at most limit bytes of r; more is ErrResponseTooLarge.
// sizeHint is the declared Content-Length (-1 when unknown): the buffer
// is then allocated at that size at once, up to maxPresize, instead of
// being assembled from growing chunks and copied.
func readCapped(r io.Reader, limit, sizeHint int64) ([]byte, error) {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	var (
		b   []byte
		err error
	)
	if sizeHint < 0 {
		b, err = io.ReadAll(lr)
	} else {
		// One byte more than declared, to see the end without growing.
		b, err = readInto(make([]byte, 0, min(sizeHint, limit, maxPresize)+1), lr)
	}
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return b[:limit], ErrResponseTooLarge
	}
	return b, nil
}

// readInto appends all of r to b, growing it only when it is full.
func readInto(b []byte, r io.Reader) ([]byte, error) {
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the next size
		}
	}
}

// newAPIError builds the error for a non-2xx answer.
func newAPIError(r request, resp *response) *APIError {
	body := resp.body
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	e := &APIError{
		StatusCode: resp.status,
		Message:    errorMessage(body),
		Body:       bytes.Clone(body),
		Method:     r.method,
		Route:      r.route,
	}
	if d, ok := parseRetryAfter(resp.header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = d
	}
	return e
}

// errorMessage finds the server's message in an error body: the
// "message", "error", "msg" or "errors" field of a JSON object (a string,
// a list of strings, or an object of lists as Laravel sends), or the body
// itself when it is short plain text.
func errorMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err == nil {
		for _, k := range []string{"message", "error", "msg", "errors"} {
			if raw, ok := obj[k]; ok {
				if s := flattenMessage(raw); s != "" {
					return s
				}
			}
		}
		return ""
	}
	if body[0] == '<' || len(body) > 200 {
		return "" // an HTML page from a proxy: keep it in Body only
	}
	return string(body)
}

func flattenMessage(raw json.RawMessage) string { return flattenMessageAt(raw, 0) }

// flattenMessageAt stops at maxWrapperDepth levels of nesting: each level
// re-reads its part of the body.
func flattenMessageAt(raw json.RawMessage, depth int) string {
	if depth > maxWrapperDepth {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		var parts []string
		for _, item := range list {
			if s := flattenMessageAt(item, depth+1); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "; ")
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		if m, ok := obj["message"]; ok {
			return flattenMessageAt(m, depth+1)
		}
		var parts []string
		for k, v := range obj {
			if s := flattenMessageAt(v, depth+1); s != "" {
				parts = append(parts, k+": "+s)
			}
		}
		slices.Sort(parts)
		return strings.Join(parts, "; ")
	}
	return ""
}

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
}

func (w *writeTrace) clientTrace() *httptrace.ClientTrace {
	saw := func() { w.traced.Store(true) }
	start := func() { w.traced.Store(true); w.started.Store(true) }
	return &httptrace.ClientTrace{
		GetConn:              func(string) { saw() },
		GotConn:              func(httptrace.GotConnInfo) { saw() },
		DNSStart:             func(httptrace.DNSStartInfo) { saw() },
		ConnectStart:         func(string, string) { saw() },
		TLSHandshakeStart:    saw,
		WroteHeaderField:     func(string, []string) { start() },
		WroteHeaders:         func() { start(); w.sends.Add(1) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { start() },
		GotFirstResponseByte: start,
	}
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
	ctx = c.withCallInfo(ctx, r)
	trace := new(writeTrace)
	tctx := httptrace.WithClientTrace(ctx, trace.clientTrace())
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return writeOutcome{notSent: true, err: err}
		}
		req, err := c.newHTTPRequest(tctx, r)
		if err != nil {
			return writeOutcome{notSent: true, err: err}
		}
		sentAt := time.Now()
		resp, err := c.writeHTTP.Do(req)
		if err != nil {
			out := writeOutcome{sentAt: sentAt, err: unwrapURLError(err), sends: int(trace.sends.Load())}
			if !trace.notSent(err) {
				return out
			}
			if provablyNotSent(err) && attempt < maxPreSendResend {
				if err := sleepCtx(ctx, backoffBase<<attempt); err != nil {
					return writeOutcome{notSent: true, err: err}
				}
				continue
			}
			out.notSent = true
			return out
		}
		b, rerr := readResponse(resp, maxResponseBytes)
		resp.Body.Close()
		return writeOutcome{sentAt: sentAt, resp: &response{status: resp.StatusCode, header: resp.Header, body: b}, err: rerr,
			sends: int(trace.sends.Load())}
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
