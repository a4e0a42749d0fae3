package travelroam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/roamkit/travelroam/internal/errmsg"
	"github.com/roamkit/travelroam/internal/redact"
)

// Sentinel errors, matched with [errors.Is]. An [*APIError] matches the
// sentinel of its status. The other typed errors of this package
// ([*ValidationError], [*OutcomeUnknownError], [*AssignmentsPendingError],
// [*AlreadyAttemptedError], [*CallbackError], [*DecodeError]) are matched
// with [errors.As].
var (
	// ErrUnauthorized matches an API answer of 401 or 403: the API key or
	// the client secret is wrong. A 403 may also mean that the ICCID is
	// not yours or that no bundles are left for you (eSIM Go's wording,
	// which Travel Roam passes through): read the [*APIError]'s Message.
	ErrUnauthorized = errors.New("travelroam: unauthorized")

	// ErrNotFound matches an API answer of 404, a 400 whose message says
	// that the bundle, ICCID or order was not found (the API uses both),
	// and a 410 (see [ErrGone]).
	ErrNotFound = errors.New("travelroam: not found")

	// ErrGone matches an API answer of 410: the eSIM was deactivated
	// (eSIM Go answers its install details that way). It also matches
	// [ErrNotFound].
	ErrGone = errors.New("travelroam: gone")

	// ErrRateLimited matches an API answer of 429. The [*APIError] carries
	// the server's Retry-After in RetryAfter. The limit is shared: eSIM
	// Go, whose API Travel Roam resells, allows 10 requests per second per
	// IP address, so a 429 may come from load outside your account (other
	// resellers behind Travel Roam), not only from your own calls.
	ErrRateLimited = errors.New("travelroam: rate limited")

	// ErrUnavailable matches an API answer of 503, which Travel Roam
	// documents as "unavailable, try again later". For a purchase it means
	// the order was not processed. Like [ErrRateLimited], it may come from
	// load outside your account: the upstream limit (10 requests per
	// second per IP address at eSIM Go) is shared by everyone behind
	// Travel Roam.
	ErrUnavailable = errors.New("travelroam: service unavailable")

	// ErrNotSent matches an error of [Client.ProcessOrder] or
	// [Client.RevokeESIM] that provably never reached Travel Roam (the
	// connection, the TLS handshake or the wait for the purchase slot
	// failed, or ctx ended first): nothing was bought or revoked, and the
	// call can be made again.
	ErrNotSent = errors.New("nothing sent")

	// ErrAssignmentsNotReady matches the answer of [Client.Assignments]
	// while the installation data of an order is still being prepared.
	ErrAssignmentsNotReady = errors.New("travelroam: assignments not ready")

	// ErrPaginationIgnored matches the error that ends
	// [Client.CatalogueAll] when the server ignores the page asked for:
	// a later page repeats or reshuffles the earlier ones while more
	// pages are expected (the changelog's "identical results repeatedly").
	// The bundles yielded before it are a partial catalogue: do not cache
	// them as complete.
	ErrPaginationIgnored = errors.New("travelroam: pagination ignored by the server")

	// ErrResponseTooLarge is returned when a response body is larger than
	// the SDK accepts.
	ErrResponseTooLarge = errors.New("travelroam: response too large")

	// ErrRetryBudgetExhausted matches a read that failed without using all
	// its retries because the Client's retry budget was empty: during an
	// outage, reads make one attempt and fail fast instead of multiplying
	// the traffic. The error also matches the last failure (an [*APIError]
	// such as a 503, or a network error). Successful reads refill the
	// budget.
	ErrRetryBudgetExhausted = errors.New("travelroam: retry budget exhausted")
)

// maxErrorBody is how much of an error response body an [*APIError] keeps.
const maxErrorBody = 64 << 10

// APIError is a non-2xx answer from the Travel Roam API. Nothing of the
// server's answer is dropped: the status, the message, Retry-After and
// the raw body (up to 64 KiB) are all here.
//
// APIError matches [ErrUnauthorized], [ErrNotFound], [ErrGone],
// [ErrRateLimited] or [ErrUnavailable] with [errors.Is], depending on its
// status. A 422 (a validation refusal, seen from Travel Roam on orders
// made with sandbox test credentials) matches none of them: it is a
// refusal, never retried, whose Body keeps the field errors.
type APIError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Message is the server's message, taken from the "message", "error",
	// "msg" or "errors" field of a JSON body, or the body itself when it
	// is short text. It is empty when the server said nothing readable.
	// Secrets the server may echo are masked in it: the Client's API key
	// and client secret, activation codes, matching IDs, PINs, PUKs and
	// all but the last four digits of ICCIDs.
	Message string
	// RetryAfter is the server's Retry-After header (seconds or HTTP
	// date), zero when absent.
	RetryAfter time.Duration
	// Body is the raw response body, cut at 64 KiB, exactly as the server
	// sent it: it may hold anything, your credentials, ICCIDs or an
	// activation code included. It stays bytes, unmasked: the error
	// prints only its Error text (every fmt verb, slog, JSON), which
	// never shows it; do not log it yourself.
	Body []byte
	// Method and Route name the request, e.g. "POST" and "/catalogue".
	Method, Route string
	// Header is the answer's header without credentials or cookies
	// (Set-Cookie, Authorization, the API key and client secret headers,
	// and any header whose name speaks of a key, secret, token or
	// session), for support tickets: [APIError.RequestID] reads the
	// request id from it.
	Header http.Header
}

// RequestID returns the id the server or a proxy in front of it gave the
// request, from the first of X-Request-Id, Request-Id, X-Correlation-Id,
// X-Amz-Request-Id, X-Amzn-RequestId, X-Amzn-Trace-Id and CF-Ray that the
// answer carried, or "" when it carried none. Quote it to Travel Roam's
// support.
func (e *APIError) RequestID() string { return requestID(e.Header) }

// Error returns "travelroam: <method> <route>: <status>[: <message>]
// [(retry after …)] [(request id …)]". Any ICCID-like number in the
// message is masked.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("travelroam: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Route)
	fmt.Fprintf(&b, ": %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(redact.Digits(e.Message))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	writeRequestID(&b, e.Header)
	return b.String()
}

// Format makes every fmt verb, %#v and %d included, print the error's
// text: its fields hold the message and body as sent, which may hold
// anything. Its receiver is the struct, so that a copy (*e) prints the
// same; so is MarshalJSON's.
func (e APIError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// MarshalJSON writes the error's text, for the same reason.
func (e APIError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// Is reports whether the error's status matches target.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.notFound() || e.StatusCode == http.StatusGone
	case ErrGone:
		return e.StatusCode == http.StatusGone
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrUnavailable:
		return e.StatusCode == http.StatusServiceUnavailable
	}
	return false
}

// notFound reports a "not found" answer: a 404, or a 400 whose message
// says "not found" (eSIM Go answers an unknown ICCID or order that way).
func (e *APIError) notFound() bool {
	return e.StatusCode == http.StatusNotFound ||
		(e.StatusCode == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Message), "not found"))
}

// ValidationError reports input that the SDK refused before sending
// anything; match it with [errors.As].
type ValidationError struct {
	// Op is the operation, e.g. "catalogue".
	Op string
	// Field is the input at fault, e.g. "Countries".
	Field string
	// Reason says what is wrong and what to do instead.
	Reason string
}

// Error returns "travelroam: <op>: invalid <field>: <reason>".
func (e *ValidationError) Error() string {
	return "travelroam: " + e.Op + ": invalid " + e.Field + ": " + e.Reason
}

func invalid(op, field, format string, args ...any) error {
	return &ValidationError{Op: op, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// OutcomeUnknownError reports a purchase (or a revoke) that may or may not
// have been carried out: its bytes may have reached the server, but no
// clear answer came back (a timeout or a reset after sending, a 3xx, a
// 500, 502 or 504, an unreadable success body, the context ending while
// the request was out, or a transport that sent the request more than
// once by itself). The SDK never re-sends such a request.
//
// What to do: do NOT simply buy again. Travel Roam has no order list and no
// idempotency key, so check first:
//   - for a new eSIM, compare the wallet balance ([Client.Organisation])
//     with the balance before SentAt, and ask Travel Roam support with the
//     bundle name and SentAt;
//   - for a top-up, look at the eSIM's bundles ([Client.AppliedBundles])
//     for an assignment of BundleName made after SentAt.
//
// Only when you are sure no order was made, buy again.
type OutcomeUnknownError struct {
	// Op is the operation, "process order" or "revoke eSIM".
	Op string
	// Key is the purchase's key in the purchase journal (the
	// OrderRequest's Key, or the "auto-…" one the SDK chose): once you
	// know what happened, find the attempt with this Key among
	// [Client.UnfinishedPurchases] and pass it to [Client.ResolvePurchase].
	// Empty for a revoke.
	Key string
	// BundleName is the bundle that was being bought (empty for revoke).
	BundleName string
	// ICCID is the eSIM being topped up or revoked (empty for a new
	// eSIM). Error() shows only its last four digits.
	ICCID ICCID
	// SentAt is when the request was handed to the network.
	SentAt time.Time
	// Err is the cause: a network error, a context error, an [*APIError]
	// (3xx, 408, 500, 502, 504…), a decoding error, or the transport
	// having sent the request more than once. errors.Is and errors.As
	// reach it.
	Err error
	// Body is the answer's raw body when one arrived (cut at the size
	// cap), e.g. a success body that could not be read whole or that
	// followed a replay: look in it for an order reference before buying
	// again. It may hold activation data and ICCIDs, so Error never
	// prints it (every fmt verb, slog and JSON print the Error text); do
	// not log it.
	Body []byte
	// Header is the answer's header when one arrived, without credentials
	// or cookies (as [APIError.Header]).
	Header http.Header
}

// RequestID returns the id the server or a proxy gave the request when an
// answer arrived (as [APIError.RequestID]), or "": quote it to Travel
// Roam's support with the time the purchase was sent.
func (e *OutcomeUnknownError) RequestID() string { return requestID(e.Header) }

// Error names the operation, the bundle, the last four digits of the
// ICCID, the send time and the cause, and says to check before retrying.
func (e *OutcomeUnknownError) Error() string {
	var b strings.Builder
	b.WriteString("travelroam: ")
	b.WriteString(e.Op)
	b.WriteString(": outcome unknown")
	if e.BundleName != "" {
		b.WriteString(" for bundle ")
		b.WriteString(e.BundleName)
	}
	if e.ICCID != "" {
		b.WriteString(" on eSIM ")
		b.WriteString(e.ICCID.String())
	}
	if !e.SentAt.IsZero() {
		b.WriteString(" sent at ")
		b.WriteString(e.SentAt.UTC().Format(time.RFC3339Nano))
	}
	b.WriteString(" (check before retrying; it may have been carried out)")
	if ae := (*APIError)(nil); !errors.As(e.Err, &ae) {
		writeRequestID(&b, e.Header) // an APIError cause shows its own
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Format makes every fmt verb print the error's text, not its fields
// (its cause may be any error).
func (e OutcomeUnknownError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// MarshalJSON writes the error's text.
func (e OutcomeUnknownError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// Unwrap returns the cause.
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// AssignmentsPendingError reports that [Client.WaitForAssignments] ran out
// of time before the installation data of an order was ready.
//
// The order exists and has been paid for: call WaitForAssignments (or
// [Client.Assignments]) again later with the same reference. Never buy
// again because of this error.
type AssignmentsPendingError struct {
	// OrderReference is the order being waited for.
	OrderReference string
	// Attempts is how many requests were made.
	Attempts int
	// Elapsed is how long the wait lasted.
	Elapsed time.Duration
	// Last is the last "not ready" answer or transient failure, if any.
	Last error
}

// Error names the order, the attempts and the time waited, and says that
// the order exists.
func (e *AssignmentsPendingError) Error() string {
	attempts := "attempts"
	if e.Attempts == 1 {
		attempts = "attempt"
	}
	s := fmt.Sprintf("travelroam: assignments for order %s still pending after %d %s in %s (the order exists: wait again, do not buy again)",
		e.OrderReference, e.Attempts, attempts, e.Elapsed.Round(time.Millisecond))
	if e.Last != nil {
		s += ": last answer: " + e.Last.Error()
	}
	return s
}

// Format makes every fmt verb print the error's text, not its fields.
func (e AssignmentsPendingError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// MarshalJSON writes the error's text.
func (e AssignmentsPendingError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// Unwrap returns the last answer.
func (e *AssignmentsPendingError) Unwrap() error { return e.Last }

// DecodeError reports a response body that could not be decoded.
type DecodeError struct {
	// Method and Route name the request.
	Method, Route string
	// Err is the decoder's error.
	Err error
}

// Error names the request and the decoder's complaint, with ICCID-like
// numbers masked.
func (e *DecodeError) Error() string {
	return "travelroam: " + e.Method + " " + e.Route + ": decoding response: " + redact.Text(e.Err.Error())
}

// Format makes every fmt verb print the error's text, not what the
// decoder quoted.
func (e DecodeError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.Error()) }

// MarshalJSON writes the error's text.
func (e DecodeError) MarshalJSON() ([]byte, error) { return json.Marshal(e.Error()) }

// Unwrap returns the decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }

var (
	_ error = (*APIError)(nil)
	_ error = (*ValidationError)(nil)
	_ error = (*OutcomeUnknownError)(nil)
	_ error = (*AssignmentsPendingError)(nil)
	_ error = (*DecodeError)(nil)
)

// newAPIError builds the error for a non-2xx answer.
func newAPIError(r request, resp *response) *APIError {
	body := resp.body
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	e := &APIError{
		StatusCode: resp.status,
		Message:    r.redact(errmsg.Extract(body)),
		Body:       bytes.Clone(body),
		Method:     r.method,
		Route:      r.route,
		Header:     responseHeader(resp.header, r.redact),
	}
	if d, ok := parseRetryAfter(resp.header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = d
	}
	return e
}

// requestID returns the first request id in h, or "". It reads the
// headers that carry a request's id, most specific first: the API's own,
// then those of the load balancers and CDNs commonly put in front of an
// API. A value that is not a short token of printable ASCII is ignored:
// it is printed in errors.
func requestID(h http.Header) string {
	for _, name := range requestIDHeaders {
		v := strings.TrimSpace(h.Get(name))
		if v != "" && len(v) <= 200 && strings.IndexFunc(v, func(r rune) bool { return r < ' ' || r > '~' }) < 0 {
			return v
		}
	}
	return ""
}

// requestIDHeaders are the headers requestID reads, in its order.
var requestIDHeaders = [...]string{"X-Request-Id", "Request-Id", "X-Correlation-Id",
	"X-Amz-Request-Id", "X-Amzn-Requestid", "X-Amzn-Trace-Id", "Cf-Ray"}

// writeRequestID appends " (request id …)" when h carries one.
func writeRequestID(b *strings.Builder, h http.Header) {
	if id := requestID(h); id != "" {
		b.WriteString(" (request id ")
		b.WriteString(id)
		b.WriteByte(')')
	}
}

// responseHeader returns a copy of an answer's header without the ones
// that may carry credentials: cookies, authorization, the API's own
// credential headers echoed back, and any whose name speaks of a key, a
// secret, a token, a session or a password. nil for an empty header.
//
// The request id headers, which errors print, pass through scrub (the
// request's redact): a value in which it masks a credential, an
// activation code or a matching ID is kept masked, so that a server or a
// proxy that echoes one there cannot put it in an error's text. A value
// it would only shorten (a trace id with a long run of digits) is kept
// as sent.
func responseHeader(h http.Header, scrub func(string) string) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for name, values := range h {
		if sensitiveHeader(name) {
			continue
		}
		out[name] = slices.Clone(values)
	}
	for _, name := range requestIDHeaders {
		for i, v := range out[name] {
			if masked := scrub(v); strings.Contains(masked, redact.Mask) {
				out[name][i] = masked
			}
		}
	}
	return out
}

func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "set-cookie", "cookie", "set-cookie2", "authorization", "proxy-authorization",
		"www-authenticate", "proxy-authenticate", "x-api-key", "clientsecret":
		return true
	}
	for _, word := range [...]string{"key", "secret", "token", "session", "password", "auth", "credential", "cookie"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}
