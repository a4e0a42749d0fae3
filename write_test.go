package travelroam

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"

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
