package travelroam

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/stretchr/testify/require"
)

// h2Mode says what the hostile HTTP/2 server does with the first request
// it receives, after recording it as an order.
type h2Mode int

const (
	// h2Refuse answers the first request with RST_STREAM(REFUSED_STREAM):
	// "not processed", a lie, since the order was made.
	h2Refuse h2Mode = iota
	// h2GoAway answers the first request with a GOAWAY whose last stream
	// ID (0) does not cover it, then closes the connection.
	h2GoAway
)

// h2Server is a minimal HTTP/2 server speaking raw frames over TLS: it
// records every request with a body as an order, lies about the first
// one as its mode says, and answers the others 200 with an order. It
// exists because net/http's server cannot send REFUSED_STREAM or a
// GOAWAY that leaves a processed stream uncovered, which is what a buggy
// proxy does and what makes net/http's HTTP/2 client replay a request.
type h2Server struct {
	t      *testing.T
	mode   h2Mode
	ln     net.Listener
	pool   *x509.CertPool
	orders atomic.Int32
	wg     sync.WaitGroup
}

func newH2Server(t *testing.T, mode h2Mode) *h2Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS() // only for its certificate
	cert := ts.TLS.Certificates[0]
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	ts.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	require.NoError(t, err)
	s := &h2Server{t: t, mode: mode, ln: ln, pool: pool}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *h2Server) URL() string { return "https://" + s.ln.Addr().String() }

// client returns an HTTP client that trusts the server and speaks HTTP/2.
func (s *h2Server) client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: s.pool, ServerName: "example.com"},
		ForceAttemptHTTP2: true,
	}}
}

func (s *h2Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.serveConn(conn)
		}()
	}
}

const (
	h2FrameData      = 0x0
	h2FrameHeaders   = 0x1
	h2FrameRSTStream = 0x3
	h2FrameSettings  = 0x4
	h2FramePing      = 0x6
	h2FrameGoAway    = 0x7
	h2FlagEndStream  = 0x1
	h2FlagAck        = 0x1
	h2FlagEndHeaders = 0x4
	h2RefusedStream  = 0x7
)

func (s *h2Server) serveConn(conn net.Conn) {
	r := bufio.NewReader(conn)
	preface := make([]byte, len(http2Preface))
	if _, err := io.ReadFull(r, preface); err != nil || string(preface) != http2Preface {
		return
	}
	w := &h2Writer{conn: conn}
	w.frame(h2FrameSettings, 0, 0, nil)
	for {
		typ, flags, stream, payload, err := readH2Frame(r)
		if err != nil {
			return
		}
		switch {
		case typ == h2FrameSettings && flags&h2FlagAck == 0:
			w.frame(h2FrameSettings, h2FlagAck, 0, nil)
		case typ == h2FramePing && flags&h2FlagAck == 0:
			w.frame(h2FramePing, h2FlagAck, 0, payload)
		case (typ == h2FrameData || typ == h2FrameHeaders) && flags&h2FlagEndStream != 0:
			if typ == h2FrameData { // a request with a body: an order
				n := s.orders.Add(1)
				if !s.answer(w, stream, n) {
					return
				}
			}
		}
	}
}

// answer replies to the n-th order on stream; false means hang up.
func (s *h2Server) answer(w *h2Writer, stream uint32, n int32) bool {
	if n == 1 {
		switch s.mode {
		case h2Refuse:
			w.frame(h2FrameRSTStream, 0, stream, binary.BigEndian.AppendUint32(nil, h2RefusedStream))
			return true
		case h2GoAway:
			w.frame(h2FrameGoAway, 0, 0, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 0), 0))
			return false
		}
	}
	// HPACK: ":status: 200" (static index 8), then content-type (static
	// name index 31) as a literal without indexing.
	hdr := append([]byte{0x88, 0x0f, 0x10, byte(len("application/json"))}, "application/json"...)
	w.frame(h2FrameHeaders, h2FlagEndHeaders, stream, hdr)
	body := fmt.Sprintf(`{"orderReference":"ref-%d","status":"completed","total":1.85,"currency":"USD"}`, n)
	w.frame(h2FrameData, h2FlagEndStream, stream, []byte(body))
	return true
}

const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

type h2Writer struct {
	mu   sync.Mutex
	conn net.Conn
}

func (w *h2Writer) frame(typ, flags byte, stream uint32, payload []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	hdr := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags}
	hdr = binary.BigEndian.AppendUint32(hdr, stream&0x7fffffff)
	_, _ = w.conn.Write(append(hdr, payload...))
}

func readH2Frame(r *bufio.Reader) (typ, flags byte, stream uint32, payload []byte, err error) {
	var hdr [9]byte
	if _, err = io.ReadFull(r, hdr[:]); err != nil {
		return
	}
	n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return
	}
	return hdr[3], hdr[4], binary.BigEndian.Uint32(hdr[5:]) & 0x7fffffff, payload, nil
}

func h2Client(t *testing.T, s *h2Server) *Client {
	t.Helper()
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(s.URL()), WithHTTPClient(s.client()), WithPurchaseInterval(0))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// TestWriteNoHTTP2Replay: over real HTTP/2, a server (or proxy) that makes
// the order and then claims it did not (RST_STREAM REFUSED_STREAM, or a
// GOAWAY that does not cover the stream) must not get the purchase or the
// revoke a second time, and the call must not report success.
func TestWriteNoHTTP2Replay(t *testing.T) {
	t.Parallel()
	for _, mode := range []h2Mode{h2Refuse, h2GoAway} {
		name := map[h2Mode]string{h2Refuse: "RST_STREAM", h2GoAway: "GOAWAY"}[mode]
		t.Run("purchase/"+name, func(t *testing.T) {
			t.Parallel()
			s := newH2Server(t, mode)
			c := h2Client(t, s)
			order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
			require.ErrorIs(t, err, ErrOutcomeUnknown, "order %v", order)
			require.Nil(t, order)
			require.Equal(t, int32(1), s.orders.Load(), "one call, one order")
			// The next purchase works over HTTP/2: the first answer was
			// not an artefact of a broken client.
			order, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
			require.NoError(t, err)
			require.Equal(t, "ref-2", order.Reference)
		})
		t.Run("revoke/"+name, func(t *testing.T) {
			t.Parallel()
			s := newH2Server(t, mode)
			c := h2Client(t, s)
			err := c.RevokeESIM(t.Context(), "8944538532012345678")
			require.ErrorIs(t, err, ErrOutcomeUnknown)
			require.Equal(t, int32(1), s.orders.Load(), "one call, one revoke")
		})
	}
}

// TestWriteRetryingTransport: a transport passed with WithHTTPClient that
// re-sends a purchase by itself (go-retryablehttp's StandardClient here)
// makes the call OutcomeUnknown, even when its last answer is a success:
// the SDK counts the requests the transport wrote.
func TestWriteRetryingTransport(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError) // nothing made
			return
		}
		w.Write(fixture(t, "order_completed.json"))
	})
	rc := retryablehttp.NewClient()
	rc.Logger = nil
	rc.RetryWaitMin, rc.RetryWaitMax = 0, 0
	rc.HTTPClient = srv.Client()
	c := realClient(t, srv, rc.StandardClient())
	order, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.Nil(t, order)
	require.Contains(t, err.Error(), "2 times")
	require.Equal(t, int32(2), posts.Load(), "the user's transport re-sent it; the SDK reports it")
	var ue *OutcomeUnknownError
	require.ErrorAs(t, err, &ue)
	require.NotEmpty(t, ue.Body, "the last answer is kept for the caller to check")
}

// TestWriteIdempotencyKeyMiddleware: a user middleware that adds an
// Idempotency-Key header makes net/http treat a POST as replayable. On a
// reused connection that dies after the server made the order, the
// purchase must still not go out twice.
func TestWriteIdempotencyKeyMiddleware(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			hj, _ := w.(http.Hijacker)
			conn, _, err := hj.Hijack()
			require.NoError(t, err)
			conn.Close() // the order is made; the answer never comes
			return
		}
		w.Write(fixture(t, "order_completed.json"))
	})
	base := srv.Client().Transport
	hc := &http.Client{Transport: roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		req = req.Clone(req.Context())
		req.Header.Set("Idempotency-Key", "middleware-1")
		return base.RoundTrip(req)
	})}
	c := realClient(t, srv, hc)
	_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err) // leaves a keep-alive connection
	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.Equal(t, int32(2), posts.Load(), "two calls, two POSTs: no replay")
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// TestWriteRedirectIsOutcomeUnknown: a 3xx answer to a purchase or a
// revoke may mean "processed, see other" (303, or PHP's 302): unknown,
// never a refusal, and never followed.
func TestWriteRedirectIsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "/elsewhere")
				w.WriteHeader(status)
			})
			c := realClient(t, srv, nil)
			_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
			require.ErrorIs(t, err, ErrOutcomeUnknown)
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, status, ae.StatusCode)
			err = c.RevokeESIM(t.Context(), "8944538532012345678")
			require.ErrorIs(t, err, ErrOutcomeUnknown)
			require.Equal(t, int32(2), posts.Load(), "never followed")
		})
	}
}

// TestWriteNothingSent: failures that provably happened before any byte
// of the request was written are "nothing sent", not "outcome unknown":
// an untrusted certificate, a failed TLS handshake, a context that ended
// before the connection was made or while the handshake ran.
func TestWriteNothingSent(t *testing.T) {
	t.Parallel()
	tlsSrv, tlsPosts := tlsOrderServer(t)
	hangSrv := hangingTLSListener(t)
	cases := []struct {
		name string
		run  func(t *testing.T) (*atomic.Int32, error)
	}{
		{"untrusted certificate", func(t *testing.T) (*atomic.Int32, error) {
			c := realClient(t, tlsSrv, &http.Client{Transport: &http.Transport{}}) // trusts nothing of the test CA
			_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
			var cv *tls.CertificateVerificationError
			require.ErrorAs(t, err, &cv)
			return tlsPosts, err
		}},
		{"expired context before the connection", func(t *testing.T) (*atomic.Int32, error) {
			ctx, cancel := context.WithCancel(t.Context())
			hc := &http.Client{Transport: &http.Transport{
				TLSClientConfig: tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig,
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					cancel() // the caller gives up while the connection is being made
					<-ctx.Done()
					return nil, ctx.Err()
				},
			}}
			c := realClient(t, tlsSrv, hc)
			_, err := c.ProcessOrder(ctx, OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
			require.ErrorIs(t, err, context.Canceled)
			return tlsPosts, err
		}},
		{"context ends during the TLS handshake", func(t *testing.T) (*atomic.Int32, error) {
			ctx, cancel := context.WithCancel(t.Context())
			hc := &http.Client{Transport: &http.Transport{
				TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					conn, err := (&net.Dialer{}).DialContext(ctx, network, hangSrv.addr)
					go func() { <-hangSrv.accepted; cancel() }() // the server never answers the ClientHello
					return conn, err
				},
			}}
			c, err := NewClient(testAPIKey, testSecret, WithBaseURL("https://"+hangSrv.addr), WithHTTPClient(hc), WithPurchaseInterval(0))
			require.NoError(t, err)
			_, err = c.ProcessOrder(ctx, OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
			require.ErrorIs(t, err, context.Canceled)
			return new(atomic.Int32), err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			posts, err := tc.run(t)
			require.Error(t, err)
			require.NotErrorIs(t, err, ErrOutcomeUnknown)
			require.Contains(t, err.Error(), "nothing sent")
			require.Zero(t, posts.Load())
		})
	}
}

func tlsOrderServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var posts atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.Write(fixture(t, "order_completed.json"))
	}))
	t.Cleanup(srv.Close)
	return srv, &posts
}

// hangingListener accepts TCP connections and never answers.
type hangingListener struct {
	addr     string
	accepted chan struct{}
}

func hangingTLSListener(t *testing.T) *hangingListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &hangingListener{addr: ln.Addr().String(), accepted: make(chan struct{}, 16)}
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			h.accepted <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return h
}

// TestWritePanicReleasesThePurchaseSlot: a transport that panics (buggy
// middleware) must not leave the purchase slot held: the next purchase
// goes out at once.
func TestWritePanicReleasesThePurchaseSlot(t *testing.T) {
	t.Parallel()
	srv, posts := orderServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(fixture(t, "order_completed.json"))
	})
	var calls atomic.Int32
	base := srv.Client().Transport
	hc := &http.Client{Transport: roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			panic("middleware bug")
		}
		return base.RoundTrip(req)
	})}
	c := realClient(t, srv, hc)
	func() {
		defer func() { require.Equal(t, "middleware bug", recover()) }()
		_, _ = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	}()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	order, err := c.ProcessOrder(ctx, OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
	require.NoError(t, err, "the slot was released")
	require.NotEmpty(t, order.Reference)
	require.Equal(t, int32(1), posts.Load())
}
