package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"

	"github.com/roamkit/travelroam/internal/redact"
)

// request is one API operation: what the single request path needs.
type request struct {
	op     Operation
	method string // the operation's method and path, from the client's routes
	route  string
	url    string     // the absolute URL, without a query
	query  url.Values // sent in the query string whatever the method; nil for none
	// fields are the operation's fields (a struct or a map; nil for
	// none): a JSON body, or the query string of a GET.
	fields any
	// single makes a read one attempt, re-sent only when it provably never
	// left (polls: their schedule replaces retries).
	single bool
	// call is the observed call the request belongs to, when its caller
	// reports the call itself (a purchase, a wait); nil lets a read
	// report its own call.
	call *observedCall
	// scrub masks the Client's credentials and other secrets in text the
	// server sent (internal/redact); nil masks all but the credentials.
	scrub func(string) string
	// header holds the call's extra headers (WithHeader); nil for none.
	header http.Header
	// retries replaces the Client's retries of a read when ownRetries
	// (WithCallRetries).
	retries    int
	ownRetries bool
	// meta receives the call's final answer (WithResponseInto); nil for
	// none.
	meta *Response
}

// redact masks secrets in s, text the server sent about r.
func (r request) redact(s string) string {
	if r.scrub == nil {
		return redact.Text(s)
	}
	return r.scrub(s)
}

// newRequest returns the request of op with the given fields, on the
// client's route for op.
func (c *Client) newRequest(op Operation, fields any) request {
	rt := c.routes[op]
	return request{op: op, method: rt.Method, route: rt.Path, url: rt.url, fields: fields, single: rt.single, scrub: c.scrub}
}

// fieldsInQuery reports whether r's fields go in the query string: they
// do for GET and HEAD, which carry no body.
func (r request) fieldsInQuery() bool {
	return r.method == http.MethodGet || r.method == http.MethodHead
}

// response is a complete, size-capped answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// callInfo travels in the request context so that CheckRetry and the
// reporting transport know which call an attempt belongs to.
type callInfo struct {
	route   string
	call    *observedCall // nil when the Client has no observer
	attempt atomic.Int32
	// Retry budget bookkeeping of a read, touched only by CheckRetry and
	// read, which run on the calling goroutine: retries paid for, the
	// cost of the last one, and whether the budget refused a retry.
	retries, lastCost int
	budgetOut         bool
	// maxRetries is the read's retries (the Client's or WithCallRetries);
	// sent counts its attempts.
	maxRetries, sent int
	// last is the last answer a retry was made after: when ctx ends during
	// the backoff that follows, it stays reachable from the error.
	last *response
}

type callInfoKey struct{}

// encodeBody marshals the JSON body of r: its fields, or {} when it has
// none; nil for a GET or HEAD.
func encodeBody(r request) ([]byte, error) {
	if r.fieldsInQuery() {
		return nil, nil
	}
	if r.fields == nil {
		return []byte("{}"), nil
	}
	body, err := json.Marshal(r.fields)
	if err != nil {
		return nil, fmt.Errorf("travelroam: encoding request: %w", err)
	}
	return body, nil
}

// requestURL returns the absolute URL of r: the route's URL, computed
// once in NewClient, with r's query and, for a GET, its fields.
func (c *Client) requestURL(r request) (string, error) {
	q := r.query
	if r.fieldsInQuery() && r.fields != nil {
		fq, err := fieldsQuery(r.fields)
		if err != nil {
			return "", err
		}
		for k, v := range r.query {
			fq[k] = v
		}
		q = fq
	}
	if len(q) == 0 {
		return r.url, nil
	}
	return r.url + "?" + q.Encode(), nil
}

// fieldsQuery turns fields, marshalled to a JSON object, into query
// parameters: strings as they are, numbers and booleans as their JSON
// text; null is left out.
func fieldsQuery(fields any) (url.Values, error) {
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("travelroam: encoding request: %w", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("travelroam: encoding request: %w", err)
	}
	q := make(url.Values, len(obj))
	for k, raw := range obj {
		var s string
		switch {
		case string(raw) == "null":
			continue
		case json.Unmarshal(raw, &s) == nil:
			q.Set(k, s)
		default:
			q.Set(k, string(raw))
		}
	}
	return q, nil
}

// setHeaders puts the contract's headers on h, a fresh request's empty
// header: one clone of the Client's, which costs fewer allocations than
// setting them one by one.
func (c *Client) setHeaders(req *http.Request, r request) {
	req.Header = c.headers()
	for name, v := range r.header {
		req.Header[name] = slices.Clone(v)
	}
}

// contractHeader returns the headers every request carries.
func contractHeader(apiKey, clientSecret Secret, userAgent string) http.Header {
	h := make(http.Header, 5)
	h.Set("X-API-KEY", apiKey.Reveal())
	h.Set("Clientsecret", clientSecret.Reveal())
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("User-Agent", userAgent)
	return h
}

// withCallInfo puts a callInfo for r in ctx for the reporting transport;
// without a logger or an observer nothing reads it, so nothing is added.
func (c *Client) withCallInfo(ctx context.Context, r request) context.Context {
	if !c.reportAttempts {
		return ctx
	}
	return context.WithValue(ctx, callInfoKey{}, &callInfo{route: r.route, call: r.call})
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
	u, err := c.requestURL(r)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("travelroam: building request: %w", err)
	}
	req.GetBody = nil
	c.setHeaders(req, r)
	return req, nil
}
