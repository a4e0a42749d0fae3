package travelroam

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

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

// TestWriteTraceNotSent: what a failed write's trace proves. A transport
// that reports to httptrace and started no request header proves that
// nothing left; one that reports nothing proves it only with a failed
// dial, DNS lookup or certificate check.
func TestWriteTraceNotSent(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	cert := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	for _, tc := range []struct {
		name            string
		traced, started bool
		err             error
		want            bool
	}{
		{"traced, nothing written, ctx ended", true, false, context.Canceled, true},
		{"traced, nothing written, reset", true, false, reset, true},
		{"traced, headers started", true, true, dial, false},
		{"untraced, dial", false, false, dial, true},
		{"untraced, certificate", false, false, cert, true},
		{"untraced, reset", false, false, reset, false},
		{"untraced, ctx ended", false, false, context.Canceled, false},
	} {
		var w writeTrace
		w.traced.Store(tc.traced)
		w.started.Store(tc.started)
		require.Equal(t, tc.want, w.notSent(tc.err), tc.name)
	}
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

// TestProcessOrderAllocatesNoMoreThanBaseline: with the in-memory journal
// and gate, a purchase allocates no more than the hand-written net/http
// call of BenchmarkRoundTripPurchase, on the same in-memory transport
// (94 against 73 before the purchase path was trimmed). Allocation
// counts are exact, unlike times; not under the race detector.
func TestProcessOrderAllocatesNoMoreThanBaseline(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	const path = "/api/whitelabel/processorders"
	rt := memoryTransport{path: path, body: fixture(t, "order_completed.json")}
	hc := &http.Client{Transport: rt, Timeout: defaultReadTimeout}
	in := struct {
		BundleName string `json:"bundleName"`
		OrderType  string `json:"orderType"`
	}{"esim_1GB_7D_TR_V2", "COUNTRY"}
	baseline := testing.AllocsPerRun(200, func() {
		var got baselineOrder
		require.NoError(t, baselineCall(hc, "http://api.test"+path, in, &got))
	})
	c, err := NewClient(testAPIKey, testSecret, WithBaseURL("http://api.test/api/whitelabel"),
		WithHTTPClient(&http.Client{Transport: rt}), WithPurchaseInterval(0))
	require.NoError(t, err)
	sdk := testing.AllocsPerRun(200, func() {
		_, err := c.ProcessOrder(t.Context(), OrderRequest{BundleName: "esim_1GB_7D_TR_V2"})
		require.NoError(t, err)
	})
	t.Logf("allocations per purchase: baseline %.0f, SDK %.0f", baseline, sdk)
	require.LessOrEqual(t, sdk, baseline)
}
