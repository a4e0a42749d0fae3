package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

const appleLink = "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata="

// TestRunUsesTheFake runs the program as `go run ./examples/quickstart`
// does on a machine without credentials.
func TestRunUsesTheFake(t *testing.T) {
	t.Setenv("TRAVELROAM_API_KEY", "")
	t.Setenv("TRAVELROAM_CLIENT_SECRET", "")
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), nil, &out))

	text := out.String()
	first, _, _ := strings.Cut(text, "\n")
	require.Contains(t, first, "FAKE")
	require.Contains(t, text, "Activation code: LPA:1$"+travelroamtest.SMDPAddress+"$")
	require.Contains(t, text, appleLink+"LPA%3A1%24")
	require.Contains(t, text, "SIMULATED")
	require.Contains(t, text, "▀", "the QR code is printed")
	require.Contains(t, text, "Fake server ledger: 1 order(s), 1 revoke(s)")
	require.NotContains(t, text, travelroamtest.DefaultAPIKey)
	require.NotContains(t, text, travelroamtest.DefaultClientSecret)
}

// TestDemoLedger checks what the demo did on the fake's side.
func TestDemoLedger(t *testing.T) {
	t.Parallel()
	srv, s, out := newFakeSession(t)
	require.NoError(t, advise(s.demo(context.Background())))

	orders := srv.Orders()
	require.Len(t, orders, 1)
	want := cheapestLimited(t, srv, "TR")
	require.Equal(t, want.Name, orders[0].BundleName)
	require.False(t, orders[0].TopUp)
	require.Equal(t, travelroamtest.DefaultSandboxBalanceCents-want.PriceCents, srv.Balance(travelroamtest.Sandbox))

	require.Equal(t, 1, srv.RequestCount(travelroamtest.RouteRevoke))
	for _, r := range srv.Requests() {
		require.Equal(t, http.StatusOK, r.Status, "request %s", r)
		require.False(t, r.TooSoon)
	}
	_, err := s.client.ESIM(context.Background(), travelroam.ICCID(orders[0].ICCID))
	require.ErrorIs(t, err, travelroam.ErrNotFound, "the eSIM was revoked")

	code := regexp.MustCompile(`Activation code: (\S+)`).FindStringSubmatch(out.String())
	require.NotNil(t, code, out.String())
	ac, err := travelroam.ParseActivationCode(code[1])
	require.NoError(t, err)
	require.Equal(t, travelroamtest.SMDPAddress, ac.SMDPAddress)
	// What the traveller must type is shown whole: a Secret or an ICCID
	// printed with %s would show "[redacted]" or "…1234".
	require.Contains(t, out.String(), "ICCID "+orders[0].ICCID+" (keep it")
	require.Contains(t, out.String(), "activation code "+ac.MatchingID.Reveal()+"\n")
	require.Contains(t, out.String(), appleLink+strings.NewReplacer("$", "%24", ":", "%3A").Replace(code[1]))
	require.Contains(t, out.String(), "Data left: 600 MB of 1000 MB")
	require.Contains(t, out.String(), fmt.Sprintf("Spent: %s USD", amountFromCents(want.PriceCents)))
}

// TestDemoErrors checks that each failure stops the demo with the advice
// the SDK's documentation promises, and buys nothing more than it says.
func TestDemoErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(srv *travelroamtest.Server, o *options)
		is      any // a sentinel (errors.Is) or a pointer to an error type (errors.As)
		advice  string
		orders  int
		revokes int
	}{
		{"insufficient balance", func(srv *travelroamtest.Server, _ *options) { srv.SetBalance(travelroamtest.Sandbox, 10) },
			nil, "top up the wallet", 0, 0},
		{"unavailable", func(srv *travelroamtest.Server, _ *options) {
			srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.Status(503, "Service temporarily unavailable"))
		}, travelroam.ErrUnavailable, "nothing was bought", 0, 0},
		{"outcome unknown", func(srv *travelroamtest.Server, _ *options) {
			srv.InjectFault(travelroamtest.RouteProcessOrders, travelroamtest.ResetAfterHandling())
		}, new(*travelroam.OutcomeUnknownError), "Do NOT buy again", 1, 0},
		{"assignments pending", func(_ *travelroamtest.Server, o *options) { o.maxWait = 50 * time.Millisecond },
			new(*travelroam.AssignmentsPendingError), "order exists and is paid for", 1, 0},
		{"live without confirmation", func(_ *travelroamtest.Server, o *options) { o.live = true },
			nil, "-yes-spend-real-money", 0, 0},
		{"no limited bundle", func(_ *travelroamtest.Server, o *options) { o.country = "AQ" }, nil, "try another -country", 0, 0},
		{"bad country", func(_ *travelroamtest.Server, o *options) { o.country = "Turkey" },
			new(*travelroam.ValidationError), "two-letter ISO code", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, s, _ := newFakeSession(t, travelroamtest.WithAssignmentDelay(time.Hour))
			tt.setup(srv, &s.opts)
			err := advise(s.demo(context.Background()))
			require.Error(t, err)
			if sentinel, ok := tt.is.(error); ok {
				require.ErrorIs(t, err, sentinel)
			} else if tt.is != nil {
				require.ErrorAs(t, err, tt.is)
			}
			require.Contains(t, err.Error(), tt.advice)
			require.Len(t, srv.Orders(), tt.orders)
			require.LessOrEqual(t, srv.RequestCount(travelroamtest.RouteProcessOrders), 1, "never a second purchase")
			require.Equal(t, tt.revokes, srv.RequestCount(travelroamtest.RouteRevoke))
			require.NotContains(t, err.Error(), srv.APIKey)
		})
	}
}

func TestAdvise(t *testing.T) {
	t.Parallel()
	require.NoError(t, advise(nil))
	plain := errors.New("plain")
	require.Equal(t, plain, advise(plain))
	for err, hint := range map[error]string{
		&travelroam.APIError{StatusCode: 403}:                                       "check TRAVELROAM_API_KEY",
		&travelroam.APIError{StatusCode: 429}:                                       "slow down",
		&travelroam.APIError{StatusCode: 400, Message: "Bundle not found"}:          "HTTP 400",
		&travelroam.OutcomeUnknownError{Op: "process order", Err: context.Canceled}: "Do NOT buy again",
		fmt.Errorf("waiting: %w", context.Canceled):                                 "Interrupted",
	} {
		got := advise(err)
		require.ErrorIs(t, got, err)
		require.Contains(t, got.Error(), hint)
	}
}

func TestConnectAndFlags(t *testing.T) {
	t.Setenv("TRAVELROAM_API_KEY", "")
	t.Setenv("TRAVELROAM_CLIENT_SECRET", "")
	_, err := connect(options{live: true}, io.Discard)
	require.ErrorContains(t, err, "-live needs")

	t.Setenv("TRAVELROAM_API_KEY", "only-the-key")
	_, err = connect(options{}, io.Discard)
	require.ErrorContains(t, err, "set both")

	t.Setenv("TRAVELROAM_CLIENT_SECRET", "and-the-secret")
	var out bytes.Buffer
	s, err := connect(options{}, &out)
	require.NoError(t, err)
	defer s.close()
	require.Nil(t, s.fake)
	require.Equal(t, "https://sandbox.travelroam.com/api/whitelabel", s.client.BaseURL(), "the default")
	require.Contains(t, out.String(), "sandbox")

	o, err := parseOptions([]string{"-country", " jp ", "-revoke"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, options{country: "JP", revoke: true, maxWait: 10 * time.Minute}, o)
	_, err = parseOptions([]string{"-h"}, io.Discard)
	require.ErrorIs(t, err, flag.ErrHelp)
	_, err = parseOptions([]string{"extra"}, io.Discard)
	require.ErrorContains(t, err, "unexpected arguments")
}

// newFakeSession starts a fake (assignments ready at once unless opts say
// otherwise) and a demo session on it with the default flags.
func newFakeSession(t *testing.T, opts ...travelroamtest.Option) (*travelroamtest.Server, *session, *bytes.Buffer) {
	t.Helper()
	srv := travelroamtest.NewServer(append([]travelroamtest.Option{travelroamtest.WithAssignmentDelay(0)}, opts...)...)
	o, err := parseOptions(nil, io.Discard)
	require.NoError(t, err)
	out := new(bytes.Buffer)
	s, err := fakeSession(srv, o, out)
	require.NoError(t, err)
	t.Cleanup(s.close)
	return srv, s, out
}

// cheapestLimited is the bundle the demo should pick, from the fake's own
// catalogue.
func cheapestLimited(t *testing.T, srv *travelroamtest.Server, iso string) travelroamtest.Bundle {
	t.Helper()
	var best travelroamtest.Bundle
	for _, b := range srv.Bundles() {
		covers := false
		for _, c := range b.Countries {
			covers = covers || c.ISO == iso
		}
		if covers && !b.Unlimited && (best.Name == "" || b.PriceCents < best.PriceCents) {
			best = b
		}
	}
	require.NotEmpty(t, best.Name)
	return best
}

// amountFromCents returns an amount of n hundredths, e.g. 185 gives
// "1.85", through travelroam.ParseAmount.
func amountFromCents(n int64) travelroam.Amount {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	a, err := travelroam.ParseAmount(fmt.Sprintf("%s%d.%02d", sign, n/100, n%100))
	if err != nil {
		panic(err)
	}
	return a
}
