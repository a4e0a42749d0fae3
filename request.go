package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// request is one API operation: what the single request path needs.
type request struct {
	method string
	route  string     // from the route table, e.g. routeCatalogue
	query  url.Values // nil for none
	body   any        // marshalled to JSON; nil for none
	// single makes a read one attempt, re-sent only when it provably never
	// left (polls: their schedule replaces retries).
	single bool
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
