package travelroam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// Test credentials. They are long and distinctive so that a leak test can
// search every log line and error string for them.
const (
	testAPIKey    = "tk_live_SECRETKEY_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
	testSecret    = "cs_SECRETSECRET_9876543210zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQ"
	testBaseURL   = "https://api.test/api/whitelabel"
	testICCID     = "8944538532012345678"
	testMatchingI = "K2-1Z8QAB-3XYV7P"
)

// newMockClient returns a Client whose requests go to a fresh httpmock
// transport (no network), with jitter off and pacing off unless opts say
// otherwise.
func newMockClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{
		WithBaseURL(testBaseURL),
		WithHTTPClient(&http.Client{Transport: mt}),
		WithPurchaseInterval(0),
	}, opts...)
	c, err := NewClient(testAPIKey, testSecret, all...)
	require.NoError(t, err)
	c.jitter = func(time.Duration) time.Duration { return 0 }
	return c, mt
}

// fixture returns the bytes of testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// fixtureResponder answers with status and the fixture's bytes.
func fixtureResponder(t testing.TB, status int, name string) httpmock.Responder {
	return httpmock.NewBytesResponder(status, fixture(t, name)).HeaderSet(http.Header{"Content-Type": {"application/json"}})
}

// requireContractHeaders asserts the headers every request must carry.
func requireContractHeaders(t *testing.T, req *http.Request) {
	t.Helper()
	require.Equal(t, testAPIKey, req.Header.Get("X-API-KEY"))
	require.Equal(t, testSecret, req.Header.Get("Clientsecret"))
	require.Equal(t, "application/json", req.Header.Get("Content-Type"))
	require.Equal(t, "application/json", req.Header.Get("Accept"))
	require.Equal(t, "travelroam-go/"+Version, req.Header.Get("User-Agent"))
	require.Empty(t, req.Header.Get("Idempotency-Key"))
	require.Empty(t, req.Header.Get("X-Idempotency-Key"))
}

// requireJSONBody asserts that the request body is a JSON object equal to
// want (exact keys and values).
func requireJSONBody(t *testing.T, req *http.Request, want map[string]any) {
	t.Helper()
	b, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	req.Body = io.NopCloser(bytes.NewReader(b))
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got), "body %s", b)
	require.Equal(t, want, got)
}

// benchServer answers POST path with body (Content-Type JSON) after
// reading the request body, and counts the connections it accepted. A
// body over 2 KiB goes out chunked unless withLength sets Content-Length
// (net/http's server sets it by itself for a smaller one).
// The round-trip benchmarks make one API call over loopback against an
// httptest server that answers a canned body, first with a hand-written
// net/http + encoding/json call (impl=baseline), then with the SDK
// (impl=sdk), in the same run. Compare them with
// benchstat -col /impl (see BENCHMARKS.md).
//
// The baseline is what a careful user writes by hand: the same headers,
// json.Marshal of the body, client.Do, a status check,
// json.NewDecoder(resp.Body).Decode into plain structs, then draining and
// closing the body (without the drain a chunked answer's connection is
// not reused, and the baseline would measure TCP handshakes). Both sides
// use the same kind of http.Client: the httptest one, with the 30 s
// timeout the SDK puts on reads (a careful user sets one too).

type benchServer struct {
	*httptest.Server
	conns atomic.Int64
}

func newBenchServer(b *testing.B, path string, body []byte, withLength bool) *benchServer {
	s := &benchServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != path || r.Header.Get("X-API-KEY") != testAPIKey ||
			r.Header.Get("Clientsecret") != testSecret {
			http.Error(w, `{"message":"bad request"}`, http.StatusBadRequest)
			return
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if withLength {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		_, _ = w.Write(body)
	}))
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	b.Cleanup(s.Close)
	return s
}

// client returns the httptest client with the SDK's read timeout.
func (s *benchServer) client() *http.Client {
	hc := s.Client()
	hc.Timeout = defaultReadTimeout
	return hc
}

// sdk returns a Client for the server, with purchase pacing off.
func (s *benchServer) sdk(b *testing.B) *Client {
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL(s.URL+"/api/whitelabel"),
		WithHTTPClient(s.Client()), WithPurchaseInterval(0))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// reportConns fails the benchmark when connections were not reused: the
// numbers would measure dials, not the client.
func (s *benchServer) reportConns(b *testing.B) {
	if n := s.conns.Load(); n > 2 {
		b.Fatalf("%d connections opened: keep-alive is not working", n)
	}
}

// baselineCall is the hand-written call.
func baselineCall(hc *http.Client, url string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-API-KEY", testAPIKey)
	req.Header.Set("Clientsecret", testSecret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "myshop/1.0")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// memoryTransport answers every request in memory with body, as the
// bench server would, so that a benchmark measures the client alone.
type memoryTransport struct {
	path       string
	body       []byte
	withLength bool
}

func (t memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	if req.Method != http.MethodPost || req.URL.Path != t.path || req.Header.Get("X-API-KEY") != testAPIKey {
		return nil, fmt.Errorf("unexpected request %s %s", req.Method, req.URL.Path)
	}
	size := int64(-1)
	if t.withLength || len(t.body) <= 2048 {
		size = int64(len(t.body))
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: size,
		Request:       req,
	}, nil
}

// roundTrip runs the baseline then the SDK, over loopback against
// servers answering body on path (net=loopback), and then against a
// transport that answers in memory (net=memory: the client's own cost,
// without the server's and the network's, and with far less noise).
func roundTrip(b *testing.B, path string, body []byte, withLength bool, baseline func(*http.Client, string) error, sdk func(*Client) error) {
	b.Run("net=loopback/impl=baseline", func(b *testing.B) {
		s := newBenchServer(b, path, body, withLength)
		hc, url := s.client(), s.URL+path
		b.ReportAllocs()
		for b.Loop() {
			if err := baseline(hc, url); err != nil {
				b.Fatal(err)
			}
		}
		s.reportConns(b)
	})
	b.Run("net=loopback/impl=sdk", func(b *testing.B) {
		s := newBenchServer(b, path, body, withLength)
		c := s.sdk(b)
		b.ReportAllocs()
		for b.Loop() {
			if err := sdk(c); err != nil {
				b.Fatal(err)
			}
		}
		s.reportConns(b)
	})
	rt := memoryTransport{path: path, body: body, withLength: withLength}
	b.Run("net=memory/impl=baseline", func(b *testing.B) {
		hc := &http.Client{Transport: rt, Timeout: defaultReadTimeout}
		b.ReportAllocs()
		for b.Loop() {
			if err := baseline(hc, "http://api.test"+path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net=memory/impl=sdk", func(b *testing.B) {
		c, err := NewClient(testAPIKey, testSecret, WithBaseURL("http://api.test/api/whitelabel"),
			WithHTTPClient(&http.Client{Transport: rt}), WithPurchaseInterval(0))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := sdk(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// amountFromCents returns an amount of n hundredths, e.g. 185 gives 1.85.
func amountFromCents(n int64) Amount { return Amount{units: n, scale: 2} }
