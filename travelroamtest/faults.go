package travelroamtest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

type faultKind int

const (
	faultNone faultKind = iota
	faultStatus
	faultLatency
	faultResetBeforeBody
	faultResetAfter
	faultTruncated
	faultMalformed
	faultHuge
	faultGzipBomb
	faultHTML
	faultTrickle
	faultRateLimited
)

// Fault is one injected misbehaviour, applied to one request of a route
// (see [Server.InjectFault]). Build it with the constructors below; the
// zero Fault (or [Pass]) answers normally.
//
// Faults that replace the answer ([Status], [HTMLBadGateway], [HugeBody])
// and [Latency] act before the request is handled (nothing changes on the
// server) unless [Fault.AfterHandling] is applied: then the request is
// handled first (an order is created, money is taken) and only the answer
// misbehaves. [ResetAfterHandling], [TruncatedBody], [MalformedJSON] and
// [Trickle] always act after handling; [ResetBeforeBody] always before.
type Fault struct {
	kind        faultKind
	status      int
	body        string
	contentType string
	retryAfter  string
	after       bool
	delay       time.Duration
	size        int64
}

// Pass returns a Fault that answers normally: queue it in front of a real
// fault to make the N-th request fail.
func Pass() Fault { return Fault{} }

// Status answers status with {"message": message}, e.g. Status(503,
// "Service temporarily unavailable").WithRetryAfter("30").
func Status(status int, message string) Fault {
	mustf(status >= 100 && status <= 599, "invalid status %d", status)
	rp := errorReply(status, "%s", message)
	return Fault{kind: faultStatus, status: status, body: string(rp.encode()), contentType: "application/json"}
}

// Latency waits d before answering (or, with AfterHandling, after handling
// and before answering). The wait ends early, without an answer, when the
// client gives up or the server closes; the request is then not handled
// (or, with AfterHandling, handled but not answered). The wait uses the
// time package (which synctest fakes), not the [WithClock] clock.
func Latency(d time.Duration) Fault {
	mustf(d >= 0, "latency must not be negative")
	return Fault{kind: faultLatency, delay: d}
}

// ResetBeforeBody closes the connection without reading the request body
// or answering: nothing happens on the server.
func ResetBeforeBody() Fault { return Fault{kind: faultResetBeforeBody} }

// ResetAfterHandling handles the request (an order is created) and then
// closes the connection without answering: the client cannot know the
// outcome.
func ResetAfterHandling() Fault { return Fault{kind: faultResetAfter} }

// TruncatedBody handles the request, then sends its status and a
// Content-Length larger than the bytes that follow (half the real body)
// and closes the connection.
func TruncatedBody() Fault { return Fault{kind: faultTruncated} }

// MalformedJSON handles the request, then answers 200 with a body that is
// not valid JSON (the first half of the real body).
func MalformedJSON() Fault { return Fault{kind: faultMalformed} }

// HugeBody answers status with a valid JSON body of size bytes, streamed
// without holding it in memory.
func HugeBody(status int, size int64) Fault {
	mustf(status >= 100 && status <= 599, "invalid status %d", status)
	mustf(size >= 16, "huge body must be at least 16 bytes")
	return Fault{kind: faultHuge, status: status, size: size, contentType: "application/json"}
}

// GzipBomb answers 200 with "Content-Encoding: gzip" and a small gzip
// stream that inflates to size bytes of a JSON body: a client that
// inflates answers transparently (Go's does) must cap the inflated size.
func GzipBomb(size int64) Fault {
	mustf(size > 0, "gzip bomb size %d must be positive", size)
	return Fault{kind: faultGzipBomb, status: http.StatusOK, size: size, contentType: "application/json"}
}

// HTMLBadGateway answers 502 with a load balancer's HTML page.
func HTMLBadGateway() Fault {
	return Fault{kind: faultHTML, status: http.StatusBadGateway, contentType: "text/html", body: badGatewayPage}
}

// RateLimited answers 429 {"message":"Rate limit exceeded"} as eSIM Go
// does: Retry-After: 1, X-Ratelimit-Limit: 10 (or the limit of
// [WithRateLimit]), X-Ratelimit-Remaining: 0,
// X-Ratelimit-Reset (the next second of the server's clock, ISO-8601) and
// X-Ratelimit-Cost: 1. See [WithRateLimit] for a real limiter.
func RateLimited() Fault {
	return Fault{kind: faultRateLimited, status: http.StatusTooManyRequests, contentType: "application/json",
		body: string(errorReply(http.StatusTooManyRequests, "%s", rateLimitMessage).encode()), retryAfter: "1"}
}

// Trickle handles the request and sends the answer one byte every
// perByte, so that a client timeout fires in the middle of the body.
func Trickle(perByte time.Duration) Fault {
	mustf(perByte > 0, "trickle interval must be positive")
	return Fault{kind: faultTrickle, delay: perByte}
}

// WithRetryAfter adds a Retry-After header with value (seconds such as
// "7", an HTTP date, or garbage) to a Status, HTMLBadGateway or HugeBody
// answer.
func (f Fault) WithRetryAfter(value string) Fault {
	f.retryAfter = value
	return f
}

// WithBody replaces the body of a Status answer with body sent as
// contentType, e.g. WithBody("application/json", `{"error":"busy"}`).
func (f Fault) WithBody(contentType, body string) Fault {
	f.contentType, f.body = contentType, body
	return f
}

// AfterHandling makes a Status, RateLimited, HTMLBadGateway, HugeBody or
// Latency fault
// act after the request was handled (a "lying" 503 whose order was really
// created, or a slow answer to a purchase that went through).
func (f Fault) AfterHandling() Fault {
	f.after = true
	return f
}

// String names the fault, e.g. "status 503 after handling".
func (f Fault) String() string {
	var s string
	switch f.kind {
	case faultNone:
		return "none"
	case faultStatus:
		s = "status " + strconv.Itoa(f.status)
	case faultLatency:
		s = "latency " + f.delay.String()
	case faultResetBeforeBody:
		return "reset before body"
	case faultResetAfter:
		return "reset after handling"
	case faultTruncated:
		return "truncated body"
	case faultMalformed:
		return "malformed JSON"
	case faultHuge:
		s = fmt.Sprintf("huge body %d bytes, status %d", f.size, f.status)
	case faultGzipBomb:
		s = fmt.Sprintf("gzip bomb of %d bytes", f.size)
	case faultHTML:
		s = "HTML 502"
	case faultTrickle:
		return "trickle " + f.delay.String() + "/byte"
	case faultRateLimited:
		s = "rate limited"
	}
	if f.after {
		s += " after handling"
	}
	return s
}

// replaces reports whether the fault answers in place of the handler.
func (f Fault) replaces() bool {
	return f.kind == faultStatus || f.kind == faultHTML || f.kind == faultHuge || f.kind == faultRateLimited || f.kind == faultGzipBomb
}

// InjectFault queues faults for route: each request to the route takes
// the next one, first in first out, until the queue is empty. Requests to
// unknown paths never take faults.
func (s *Server) InjectFault(route Route, faults ...Fault) {
	_, known := s.routes[route]
	mustf(known, "unknown route %q", route)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], faults...)
}

// PendingFaults returns how many injected faults of route are still
// waiting for a request.
func (s *Server) PendingFaults(route Route) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults[route])
}

// popFault takes the next fault of route. The caller holds s.mu.
func (s *Server) popFault(route Route) Fault {
	q := s.faults[route]
	if route == "" || len(q) == 0 {
		return Fault{}
	}
	s.faults[route] = q[1:]
	return q[0]
}

const badGatewayPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
	"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
