package travelroam

import (
	"context"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The retry policy of reads: how long to back off, and how much of a
// server's Retry-After to honour.
const (
	backoffBase   = 500 * time.Millisecond
	backoffCap    = 30 * time.Second
	maxRetryAfter = 60 * time.Second // a longer Retry-After is returned, not slept
	// maxRetryAfterValue bounds the Retry-After the SDK reports (one year).
	maxRetryAfterValue = 365 * 24 * time.Hour
)

func isTimeout(err error) bool {
	var ne net.Error
	return err != nil && (errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()))
}

// retryPolicy is the read policy: retry transport errors, unreadable
// bodies, 408, 429, 500, 502, 503 and 504; never other 4xx.
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

// A complete 2xx body that cannot be decoded (a *DecodeError) is not
// retried: the same bytes would come back. A body that broke off or could
// not be read is.
func retryableError(err error) bool {
	var de *DecodeError
	if errors.Is(err, ErrResponseTooLarge) || errors.As(err, &de) {
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
