package travelroam

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"time"
)

// httpClients returns the clients for reads and for writes: copies of the
// user's client, or of a default one with sane timeouts (never
// http.DefaultClient).
//
// Each attempt's timeout (the user's Timeout, else 30 s for reads and 90
// s for writes) is applied by attemptTransport rather than by
// http.Client.Timeout, which starts a goroutine that a panicking
// transport would leave behind.
func httpClients(user *http.Client, logger *slog.Logger, report bool) (read, write *http.Client) {
	var base http.Client
	if user != nil {
		base = *user
	} else {
		base = http.Client{Transport: defaultTransport()}
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if report {
		rt = &reportTransport{base: rt, logger: logger}
	}
	// Never follow a redirect: net/http would send the API key and the
	// client secret to whatever host it names, and re-send (307/308) or
	// turn into a GET (302) a purchase. A 3xx comes back as an *APIError.
	base.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	readTimeout, writeTimeout := defaultReadTimeout, defaultWriteTimeout
	if base.Timeout > 0 {
		readTimeout, writeTimeout = base.Timeout, base.Timeout
	}
	base.Timeout = 0
	read, write = new(http.Client), new(http.Client)
	*read, *write = base, base
	read.Transport = &attemptTransport{base: rt, timeout: readTimeout}
	write.Transport = &attemptTransport{base: rt, timeout: writeTimeout}
	return read, write
}

func defaultTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// attemptTransport bounds each HTTP attempt, the round trip and the
// reading of its body, by timeout, and makes an early Close of a body
// close the connection. Since Go 1.27, net/http reads up to 256 KiB of a
// body closed before its end to keep the connection; the SDK closes early
// only a body it refuses (over a size cap), whose rest must not be read.
type attemptTransport struct {
	base    http.RoundTripper
	timeout time.Duration
}

func (t *attemptTransport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	defer func() {
		if resp == nil { // an error, or a panic of the transport
			cancel()
		}
	}()
	resp, err = t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		return nil, err
	}
	if resp.Body == nil {
		// A hand-written RoundTripper may answer without a body: net/http's
		// Client gives such an answer an empty one (or an error when its
		// length says otherwise); wrapping nil would panic on the first Read.
		cancel()
		return resp, nil
	}
	resp.Body = &attemptBody{ReadCloser: resp.Body, cancel: cancel, resp: resp}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the wrapped
// transport.
func (t *attemptTransport) CloseIdleConnections() { closeIdle(t.base) }

// attemptBody ends its attempt's context on Close; before its end, it
// ends the context first, which makes net/http close the connection.
type attemptBody struct {
	io.ReadCloser
	cancel context.CancelFunc
	resp   *http.Response
	eof    bool
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *attemptBody) Close() error {
	if !b.eof {
		// Ending the context alone is not enough with Go 1.27's HTTP/1
		// transport: its read loop may see the early Close and the ended
		// context at once, pick the Close at random, and then read up to
		// 256 KiB more of a body whose length is unknown or small (it reads
		// resp.ContentLength after Close returns). A length above that
		// limit makes it give up the connection instead, every time;
		// nothing reads the length of a refused body after this.
		b.resp.ContentLength = math.MaxInt64
		b.cancel()
	}
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func closeIdle(rt http.RoundTripper) {
	if ci, ok := rt.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// reportTransport reports each attempt of a call: to the Client's
// logger at debug level (the method, the route template, the status, the
// attempt number and the duration; never URLs, headers or bodies), and
// to its Observer. It reads the call from the request's callInfo.
type reportTransport struct {
	base   http.RoundTripper
	logger *slog.Logger // nil: no logging
}

func (t *reportTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	info, ok := req.Context().Value(callInfoKey{}).(*callInfo)
	if !ok {
		return t.base.RoundTrip(req)
	}
	attempt := int(info.attempt.Add(1))
	var observed func(*http.Response, error)
	if info.call != nil {
		var ctx context.Context
		ctx, observed = info.call.attempt(req)
		req = req.WithContext(ctx)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	if observed != nil {
		observed(resp, err)
	}
	if t.logger != nil {
		t.log(req, info.route, attempt, time.Since(start), resp, err)
	}
	return resp, err
}

func (t *reportTransport) log(req *http.Request, route string, attempt int, d time.Duration, resp *http.Response, err error) {
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("route", route),
		slog.Int("attempt", attempt),
		slog.Duration("duration", d),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", errorClass(err)))
	} else {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	}
	t.logger.LogAttrs(req.Context(), slog.LevelDebug, "travelroam: request", attrs...)
}

// CloseIdleConnections closes the idle connections of the wrapped
// transport.
func (t *reportTransport) CloseIdleConnections() { closeIdle(t.base) }

// errorClass names a transport error without its text (which may carry
// the URL).
func errorClass(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case provablyNotSent(err):
		return "dial_failed"
	}
	return "transport_error"
}
