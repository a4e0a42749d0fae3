package travelroam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

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

// benchServer answers POST path with body (Content-Type JSON) after
// reading the request body, and counts the connections it accepted. A
// body over 2 KiB goes out chunked unless withLength sets Content-Length
// (net/http's server sets it by itself for a smaller one).
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

// BenchmarkRoundTripCatalogue fetches one catalogue page of 50 bundles
// (36 KB) and of 500 (360 KB), sent chunked, and the page of 500 with a
// Content-Length too.
func BenchmarkRoundTripCatalogue(b *testing.B) {
	for _, tc := range []struct {
		n          int
		withLength bool
	}{{50, false}, {500, false}, {500, true}} {
		n, framing := tc.n, "chunked"
		if tc.withLength {
			framing = "length"
		}
		b.Run(fmt.Sprintf("bundles=%d/body=%s", n, framing), func(b *testing.B) {
			roundTrip(b, "/api/whitelabel/catalogue", catalogueBenchJSON(n), tc.withLength,
				func(hc *http.Client, url string) error {
					in := struct {
						Region  string `json:"region"`
						PerPage int    `json:"perPage"`
					}{"Europe", n}
					var page baselinePage
					if err := baselineCall(hc, url, in, &page); err != nil || len(page.Bundles) != n {
						return fmt.Errorf("%d bundles, %v", len(page.Bundles), err)
					}
					return nil
				},
				func(c *Client) error {
					page, err := c.Catalogue(b.Context(), CatalogueOptions{Region: RegionEurope, PerPage: n})
					if err != nil || len(page.Bundles) != n {
						return fmt.Errorf("%v, %v", page, err)
					}
					return nil
				})
		})
	}
}

// BenchmarkRoundTripBundle looks one bundle up.
func BenchmarkRoundTripBundle(b *testing.B) {
	var page baselinePage
	if err := json.Unmarshal(catalogueBenchJSON(11), &page); err != nil {
		b.Fatal(err)
	}
	one, err := json.Marshal(page.Bundles[10]) // a regional bundle of 20 countries
	if err != nil {
		b.Fatal(err)
	}
	name := page.Bundles[10].Name
	roundTrip(b, "/api/whitelabel/bundle", one, false,
		func(hc *http.Client, url string) error {
			in := struct {
				Name string `json:"bundlename"`
			}{name}
			var got baselineBundle
			if err := baselineCall(hc, url, in, &got); err != nil || got.Name != name {
				return fmt.Errorf("%q, %v", got.Name, err)
			}
			return nil
		},
		func(c *Client) error {
			got, err := c.Bundle(b.Context(), name)
			if err != nil || got.Name != name {
				return fmt.Errorf("%v, %v", got, err)
			}
			return nil
		})
}

// baselineOrder is the plain struct a user would decode an order into.
type baselineOrder struct {
	Order []struct {
		Type         string   `json:"type"`
		Item         string   `json:"item"`
		Quantity     int      `json:"quantity"`
		SubTotal     float64  `json:"subTotal"`
		PricePerUnit float64  `json:"pricePerUnit"`
		ICCIDs       []string `json:"iccids"`
		ESIMs        []struct {
			ICCID       string `json:"iccid"`
			MatchingID  string `json:"matchingId"`
			SMDPAddress string `json:"smdpAddress"`
		} `json:"esims"`
		AllowReassign bool `json:"allowReassign"`
	} `json:"order"`
	Total          float64   `json:"total"`
	Currency       string    `json:"currency"`
	Status         string    `json:"status"`
	StatusMessage  string    `json:"statusMessage"`
	OrderReference string    `json:"orderReference"`
	CreatedDate    time.Time `json:"createdDate"`
	Assigned       bool      `json:"assigned"`
}

// BenchmarkRoundTripPurchase buys one bundle (pacing off).
func BenchmarkRoundTripPurchase(b *testing.B) {
	const ref = "6f1d2c9a-4b7e-4e0f-9a51-0c2b7d3e8f10"
	roundTrip(b, "/api/whitelabel/processorders", fixture(b, "order_completed.json"), false,
		func(hc *http.Client, url string) error {
			in := struct {
				BundleName string `json:"bundleName"`
				OrderType  string `json:"orderType"`
			}{"esim_1GB_7D_TR_V2", "COUNTRY"}
			var got baselineOrder
			if err := baselineCall(hc, url, in, &got); err != nil || got.OrderReference != ref || len(got.Order) != 1 {
				return fmt.Errorf("%+v, %v", got, err)
			}
			return nil
		},
		func(c *Client) error {
			got, err := c.ProcessOrder(b.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
			if err != nil || got.Reference != ref || len(got.Lines) != 1 {
				return fmt.Errorf("%+v, %v", got, err)
			}
			return nil
		})
}
