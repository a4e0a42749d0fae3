// Package testrig is the harness shared by the SDK's black-box suites
// (internal/e2e and internal/reliability): a rig of a fresh
// travelroamtest fake and a Client that reaches it through a counting
// transport, a watch that fails a test whose logs or errors leak a
// secret, and small helpers. It is test support, not part of the SDK.
package testrig

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

// TestBundle is a cheap bundle of the fake's catalogue.
const TestBundle = "esim_1GB_7D_TR_V2"

// NetStats counts what crossed a rig's transport.
type NetStats struct {
	Dials, Refused, Opened, ConnsClosed atomic.Int64
	BytesRead                           atomic.Int64
	BodiesOpened, BodiesClosed          atomic.Int64
}

// Options configures a rig.
type Options struct {
	// virtual serves the fake on its in-memory network; the rig must
	// then be made inside a synctest bubble.
	Virtual bool
	Server  []travelroamtest.Option
	Client  []travelroam.Option
	// NoKeepAlive makes every request dial, so that refusals hit calls.
	NoKeepAlive bool
	// Refuse, when set, is asked at every dial; true refuses it with a
	// *net.OpError{Op: "dial"} before anything is sent.
	Refuse func() bool
	// Wrap, when set, wraps the counting transport (S19's racing
	// RoundTripper).
	Wrap func(http.RoundTripper) http.RoundTripper
	// OnClose, when set, is called with the rig when it has been closed
	// and checked (the reliability suite records its figures).
	OnClose func(*Rig)
}

// Rig is one test's world: a fresh fake, and a Client that reaches it
// through a transport that counts dials, bytes read, connections and
// response bodies, and can refuse dials.
type Rig struct {
	t *testing.T
	// Srv is the fake, C the Client under test.
	Srv *travelroamtest.Server
	C   *travelroam.Client
	// Net counts what crossed the transport.
	Net *NetStats
	// Tr is the transport under the counting layer.
	Tr *http.Transport
}

// New returns a rig; it is closed and checked when the test ends: every
// response body closed, every connection closed once the client's idle
// connections and the server are.
func New(t *testing.T, o Options) *Rig {
	t.Helper()
	sopts := append([]travelroamtest.Option{travelroamtest.WithBalance(travelroamtest.Sandbox, 1<<40)}, o.Server...)
	if o.Virtual {
		sopts = append(sopts, travelroamtest.WithInMemoryNetwork())
	}
	srv := travelroamtest.NewServer(sopts...)
	r := &Rig{t: t, Srv: srv, Net: &NetStats{}}
	r.Tr = srv.Client().Transport.(*http.Transport).Clone()
	r.Tr.DisableKeepAlives = o.NoKeepAlive
	r.Tr.DialContext = r.dialer(r.Tr.DialContext, o.Refuse)
	var rt http.RoundTripper = CountingTransport{Base: r.Tr, Stats: r.Net}
	if o.Wrap != nil {
		rt = o.Wrap(rt)
	}
	copts := append([]travelroam.Option{
		travelroam.WithBaseURL(srv.URL),
		travelroam.WithHTTPClient(&http.Client{Transport: rt}),
	}, o.Client...)
	c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, copts...)
	require.NoError(t, err)
	r.C = c
	t.Cleanup(func() { r.close(o) })
	return r
}

// close shuts the rig down and checks that nothing was left open.
func (r *Rig) close(o Options) {
	r.C.CloseIdleConnections()
	r.Srv.Close()
	r.Tr.CloseIdleConnections()
	st := r.Net
	opened := st.Opened.Load
	if o.Virtual {
		synctest.Wait()
	} else {
		require.Eventually(r.t, func() bool { return st.ConnsClosed.Load() == opened() }, time.Minute, time.Millisecond)
	}
	require.Equal(r.t, st.BodiesOpened.Load(), st.BodiesClosed.Load(), "every response body closed")
	require.Equal(r.t, opened(), st.ConnsClosed.Load(), "every connection closed")
	if o.OnClose != nil {
		o.OnClose(r)
	}
}

// dialer wraps the transport's dial: it counts, refuses when asked, and
// wraps connections to count bytes read and closes.
func (r *Rig) dialer(inner func(context.Context, string, string) (net.Conn, error), refuse func() bool) func(context.Context, string, string) (net.Conn, error) {
	if inner == nil {
		inner = (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		r.Net.Dials.Add(1)
		if refuse != nil && refuse() {
			r.Net.Refused.Add(1)
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		conn, err := inner(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		r.Net.Opened.Add(1)
		return &countingConn{Conn: conn, st: r.Net}, nil
	}
}

type countingConn struct {
	net.Conn
	st   *NetStats
	once sync.Once
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.st.BytesRead.Add(int64(n))
	return n, err
}

func (c *countingConn) Close() error {
	c.once.Do(func() { c.st.ConnsClosed.Add(1) })
	return c.Conn.Close()
}

// CountingTransport counts response bodies opened and closed.
type CountingTransport struct {
	Base  *http.Transport
	Stats *NetStats
}

// RoundTrip sends req through Base and counts its response body.
func (t CountingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.Base.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		t.Stats.BodiesOpened.Add(1)
		resp.Body = &countingBody{ReadCloser: resp.Body, st: t.Stats}
	}
	return resp, err
}

// CloseIdleConnections closes Base's idle connections.
func (t CountingTransport) CloseIdleConnections() { t.Base.CloseIdleConnections() }

type countingBody struct {
	io.ReadCloser
	st   *NetStats
	once sync.Once
}

func (b *countingBody) Close() error {
	b.once.Do(func() { b.st.BodiesClosed.Add(1) })
	return b.ReadCloser.Close()
}

// RefuseNext returns a Refuse function for Options and a way to arm it:
// arm(n) makes the next n dials fail.
func RefuseNext() (refuse func() bool, arm func(n int)) {
	var left atomic.Int64
	return func() bool { return left.Add(-1) >= 0 }, func(n int) { left.Store(int64(n)) }
}

// RefuseRandomly refuses each dial with probability p, from a seeded
// generator shared by all goroutines.
func RefuseRandomly(seed uint64, p float64) func() bool {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		return rng.Float64() < p
	}
}

// NewRand returns a seeded generator for fault schedules.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

// purchases returns the ledger's purchase requests, in order of arrival.
func Purchases(srv *travelroamtest.Server) []travelroamtest.Request {
	return RequestsTo(srv, travelroamtest.RouteProcessOrders)
}

// RequestsTo returns the ledger's requests to route, in order of arrival.
func RequestsTo(srv *travelroamtest.Server, route travelroamtest.Route) []travelroamtest.Request {
	var out []travelroamtest.Request
	for _, r := range srv.Requests() {
		if r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

// RequireNoIdempotencyHeaders audits every request the fake received: the
// SDK must never send a header that makes net/http replay a POST.
func RequireNoIdempotencyHeaders(t *testing.T, srv *travelroamtest.Server) {
	t.Helper()
	for _, r := range srv.Requests() {
		require.Empty(t, r.Header.Values("Idempotency-Key"), "%s", r)
		require.Empty(t, r.Header.Values("X-Idempotency-Key"), "%s", r)
	}
}

// IsDialRefused reports an error that proves the request was never sent.
func IsDialRefused(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial" && !errors.As(err, new(*travelroam.OutcomeUnknownError))
}

// OrderRefs returns the references of the ledger's orders.
func OrderRefs(srv *travelroamtest.Server) []string {
	var refs []string
	for _, o := range srv.Orders() {
		refs = append(refs, o.Reference)
	}
	slices.Sort(refs)
	return refs
}
