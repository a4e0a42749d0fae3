package travelroam_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
	"github.com/stretchr/testify/require"
)

// The reliability suite (reliability_*_test.go) proves the guarantees
// listed in RELIABILITY.md (G1-G10 of the team's reliability note) with
// its scenarios (S1-S20, W1-W14), against the travelroamtest fake. Every scenario runs on a
// rig: a fresh fake, and a Client that reaches it through a transport that
// counts dials, bytes read, connections and response bodies (opened and
// closed), and can refuse dials. Each rig checks on cleanup that every
// response body was closed and every connection closed once the client's
// idle connections and the server are closed (S16), and adds its ledger's
// figures to the scenario's record (reliability_report_test.go).

// testBundle is a cheap bundle of the fake's catalogue.
const testBundle = "esim_1GB_7D_TR_V2"

// netStats counts what crossed a rig's transport.
type netStats struct {
	dials, refused, opened, connsClosed atomic.Int64
	bytesRead                           atomic.Int64
	bodiesOpened, bodiesClosed          atomic.Int64
}

// rigOptions configures a rig.
type rigOptions struct {
	// virtual serves the fake on its in-memory network; the rig must
	// then be made inside a synctest bubble.
	virtual bool
	server  []travelroamtest.Option
	client  []travelroam.Option
	// noKeepAlive makes every request dial, so that refusals hit calls.
	noKeepAlive bool
	// refuse, when set, is asked at every dial; true refuses it with a
	// *net.OpError{Op: "dial"} before anything is sent.
	refuse func() bool
	// wrap, when set, wraps the counting transport (S19's racing
	// RoundTripper).
	wrap func(http.RoundTripper) http.RoundTripper
}

// rig is one scenario's world; see the comment at the top of the file.
type rig struct {
	t   *testing.T
	srv *travelroamtest.Server
	c   *travelroam.Client
	net *netStats
	tr  *http.Transport
}

func newRig(t *testing.T, rec *record, o rigOptions) *rig {
	t.Helper()
	sopts := append([]travelroamtest.Option{travelroamtest.WithBalance(travelroamtest.Sandbox, 1<<40)}, o.server...)
	if o.virtual {
		sopts = append(sopts, travelroamtest.WithInMemoryNetwork())
	}
	srv := travelroamtest.NewServer(sopts...)
	r := &rig{t: t, srv: srv, net: &netStats{}}
	r.tr = srv.Client().Transport.(*http.Transport).Clone()
	r.tr.DisableKeepAlives = o.noKeepAlive
	r.tr.DialContext = r.dialer(r.tr.DialContext, o.refuse)
	var rt http.RoundTripper = countingTransport{base: r.tr, st: r.net}
	if o.wrap != nil {
		rt = o.wrap(rt)
	}
	copts := append([]travelroam.Option{
		travelroam.WithBaseURL(srv.URL),
		travelroam.WithHTTPClient(&http.Client{Transport: rt}),
	}, o.client...)
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, copts...)
	require.NoError(t, err)
	r.c = c
	t.Cleanup(func() { r.close(rec, o.virtual) })
	return r
}

// close shuts the rig down and checks that nothing was left open.
func (r *rig) close(rec *record, virtual bool) {
	r.c.CloseIdleConnections()
	r.srv.Close()
	r.tr.CloseIdleConnections()
	st := r.net
	opened := st.opened.Load
	if virtual {
		synctest.Wait()
	} else {
		require.Eventually(r.t, func() bool { return st.connsClosed.Load() == opened() }, 5*time.Second, time.Millisecond)
	}
	require.Equal(r.t, st.bodiesOpened.Load(), st.bodiesClosed.Load(), "every response body closed")
	require.Equal(r.t, opened(), st.connsClosed.Load(), "every connection closed")
	rec.addRig(r)
}

// dialer wraps the transport's dial: it counts, refuses when asked, and
// wraps connections to count bytes read and closes.
func (r *rig) dialer(inner func(context.Context, string, string) (net.Conn, error), refuse func() bool) func(context.Context, string, string) (net.Conn, error) {
	if inner == nil {
		inner = (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		r.net.dials.Add(1)
		if refuse != nil && refuse() {
			r.net.refused.Add(1)
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		conn, err := inner(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		r.net.opened.Add(1)
		return &countingConn{Conn: conn, st: r.net}, nil
	}
}

type countingConn struct {
	net.Conn
	st   *netStats
	once sync.Once
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.st.bytesRead.Add(int64(n))
	return n, err
}

func (c *countingConn) Close() error {
	c.once.Do(func() { c.st.connsClosed.Add(1) })
	return c.Conn.Close()
}

// countingTransport counts response bodies opened and closed.
type countingTransport struct {
	base *http.Transport
	st   *netStats
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		t.st.bodiesOpened.Add(1)
		resp.Body = &countingBody{ReadCloser: resp.Body, st: t.st}
	}
	return resp, err
}

func (t countingTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

type countingBody struct {
	io.ReadCloser
	st   *netStats
	once sync.Once
}

func (b *countingBody) Close() error {
	b.once.Do(func() { b.st.bodiesClosed.Add(1) })
	return b.ReadCloser.Close()
}

// refuseNext returns a refuse function for rigOptions and a way to arm it:
// arm(n) makes the next n dials fail.
func refuseNext() (refuse func() bool, arm func(n int)) {
	var left atomic.Int64
	return func() bool { return left.Add(-1) >= 0 }, func(n int) { left.Store(int64(n)) }
}

// refuseRandomly refuses each dial with probability p, from a seeded
// generator shared by all goroutines.
func refuseRandomly(seed uint64, p float64) func() bool {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		return rng.Float64() < p
	}
}

// newRand returns a seeded generator for fault schedules.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

// purchases returns the ledger's purchase requests, in order of arrival.
func purchases(srv *travelroamtest.Server) []travelroamtest.Request {
	return requestsTo(srv, travelroamtest.RouteProcessOrders)
}

func requestsTo(srv *travelroamtest.Server, route travelroamtest.Route) []travelroamtest.Request {
	var out []travelroamtest.Request
	for _, r := range srv.Requests() {
		if r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

// requireNoIdempotencyHeaders audits every request the fake received: the
// SDK must never send a header that makes net/http replay a POST.
func requireNoIdempotencyHeaders(t *testing.T, srv *travelroamtest.Server) {
	t.Helper()
	for _, r := range srv.Requests() {
		require.Empty(t, r.Header.Values("Idempotency-Key"), "%s", r)
		require.Empty(t, r.Header.Values("X-Idempotency-Key"), "%s", r)
	}
}

// isDialRefused reports an error that proves the request was never sent.
func isDialRefused(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial" && !errors.Is(err, travelroam.ErrOutcomeUnknown)
}

// orderRefs returns the references of the ledger's orders.
func orderRefs(srv *travelroamtest.Server) []string {
	var refs []string
	for _, o := range srv.Orders() {
		refs = append(refs, o.Reference)
	}
	slices.Sort(refs)
	return refs
}
