package travelroamtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Order is an order the server created (one per successful purchase), as
// recorded in the ledger.
type Order struct {
	// Reference is the orderReference answered (a UUID).
	Reference string
	// Environment is the environment whose wallet paid.
	Environment Environment
	// APIKey is the account that ordered.
	APIKey string
	// BundleName and OrderType are as sent.
	BundleName, OrderType string
	// ICCID is the eSIM bought or topped up.
	ICCID string
	// TopUp is true when the order added a bundle to an existing eSIM.
	TopUp bool
	// PriceCents is what the wallet was charged, in US cents.
	PriceCents int64
	// CreatedAt is when the order was created (the server's clock).
	CreatedAt time.Time
}

// Request is a request the server received, as recorded in the ledger.
type Request struct {
	// Seq numbers requests from 1 in order of arrival.
	Seq int
	// Time is the arrival time; End is when the answer was finished (or
	// the connection dropped); both on the server's clock.
	Time, End time.Time
	// Method, Path and RawQuery are as received.
	Method, Path, RawQuery string
	// Route is the API route, or "" for a path outside the API.
	Route Route
	// Environment is the environment the path reached.
	Environment Environment
	// Header is a copy of the request headers, credentials included (use
	// String to print a request safely).
	Header http.Header
	// Body is the request body as read (nil when a fault dropped the
	// connection before reading it).
	Body []byte
	// Status is the status answered; 0 when the connection was dropped
	// without an answer or the answer was cut short by the client.
	Status int
	// Fault names the injected fault applied, or is "" when none was.
	Fault string
	// SincePreviousPurchase is, for a purchase, the time from the end of
	// the previous purchase's answer to this arrival (0 for the first
	// purchase or when the previous one was still in flight).
	SincePreviousPurchase time.Duration
	// TooSoon flags a purchase that arrived less than [MinPurchaseGap]
	// after the previous purchase ended, or while it was still in flight.
	TooSoon bool
}

// String describes the request without credentials or body, e.g.
// "#3 POST /api/whitelabel/processorders → 200 (fault: none)".
func (r Request) String() string {
	fault := r.Fault
	if fault == "" {
		fault = "none"
	}
	return fmt.Sprintf("#%d %s %s → %d (%d-byte body, key %s, fault: %s)",
		r.Seq, r.Method, r.Path, r.Status, len(r.Body), maskSecret(r.Header.Get("X-API-KEY")), fault)
}

// Callback is a callback the server sent.
type Callback struct {
	// Time is when it was sent (the server's clock).
	Time time.Time
	// ICCID and AlertType (e.g. "FirstUse", "Utilisation", "CountryChange")
	// are as in the body; AlertType is "" for a payload without one (an
	// event or a profile status change).
	ICCID, AlertType string
	// Event is the body's "event" (e.g. "esim.deleted"), or "".
	Event string
	// Body is the JSON body sent; Signature the X-Signature-SHA256 header
	// ("" when unsigned).
	Body      []byte
	Signature string
	// Status is the receiver's status; 0 when delivery failed (see Err).
	Status int
	// Err describes a delivery failure, or is "".
	Err string
}

// Orders returns the orders created so far, oldest first.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.orderLog)
}

// Requests returns every request received so far, in order of arrival
// (those still in flight have no End and no Status yet).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Header = r.Header.Clone()
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// RequestCount returns how many requests to route arrived so far, faulted
// or not ("" counts paths outside the API).
func (s *Server) RequestCount(route Route) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Route == route {
			n++
		}
	}
	return n
}

// Callbacks returns the callbacks sent so far, oldest first.
func (s *Server) Callbacks() []Callback {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callbackLog)
}

// begin records a request's arrival, counts it against the rate limit and,
// unless it is over the limit, takes its route's next fault.
func (s *Server) begin(r *http.Request, env Environment, route Route) (int, Fault, rateDecision) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rate := s.countRate(now)
	var f Fault
	if !rate.limited {
		f = s.popFault(route)
	}
	req := Request{
		Seq: len(s.requests) + 1, Time: now, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Route: route, Environment: env, Header: r.Header.Clone(),
	}
	if f.kind != faultNone {
		req.Fault = f.String()
	}
	if route == RouteProcessOrders {
		s.spacePurchase(&req)
		s.lastPurchase = len(s.requests)
	}
	s.requests = append(s.requests, req)
	return len(s.requests) - 1, f, rate
}

// spacePurchase measures the gap since the previous purchase. The caller
// holds s.mu.
func (s *Server) spacePurchase(req *Request) {
	if s.lastPurchase < 0 {
		return
	}
	prev := s.requests[s.lastPurchase]
	if prev.End.IsZero() {
		req.TooSoon = true
		return
	}
	req.SincePreviousPurchase = req.Time.Sub(prev.End)
	req.TooSoon = req.SincePreviousPurchase < MinPurchaseGap
}

func (s *Server) recordBody(idx int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[idx].Body = body
}

func (s *Server) finish(idx, status int) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[idx].Status = status
	s.requests[idx].End = now
}

// maskSecret shows at most the first four characters of a credential.
func maskSecret(v string) string {
	if len(v) < 12 {
		return strings.Repeat("*", len(v))
	}
	return v[:4] + "…"
}
