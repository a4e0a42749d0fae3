package travelroamtest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestICCIDPrefixesOfTheEvidence: new eSIMs get today's 8944 prefix and
// the real ones of the evidence, 8943 and 8932, in turn; 19 digits with a
// Luhn check digit.
func TestICCIDPrefixesOfTheEvidence(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	var prefixes []string
	for range 4 {
		iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
		require.Len(t, iccid, 19)
		require.Equal(t, itoa(luhnDigit(iccid[:18])), iccid[18:])
		prefixes = append(prefixes, iccid[:4])
	}
	require.Equal(t, []string{"8944", "8943", "8932", "8944"}, prefixes)
}

// TestCallbackSignatureEncodings: signed callbacks carry hex by default
// (eSIM Go's webhooks guide), base64 with the switch.
func TestCallbackSignatureEncodings(t *testing.T) {
	t.Parallel()
	for enc, sign := range map[SignatureEncoding]func(k, b []byte) string{SignatureHex: Sign, SignatureBase64: SignBase64} {
		rc := newReceiver(t)
		opts := []Option{WithCallbackURL(rc.URL), WithCallbackSigningKey("k")}
		if enc == SignatureBase64 {
			opts = append(opts, WithCallbackSignatureEncoding(SignatureBase64))
		}
		srv := newTestServer(t, opts...)
		require.NoError(t, srv.SendBalanceCallback(t.Context(), AlertLowBalance))
		got := rc.take()
		require.Len(t, got, 1)
		require.Equal(t, sign([]byte("k"), got[0].body), got[0].signature)
		if enc == SignatureHex {
			require.Len(t, got[0].signature, 64)
			require.Equal(t, strings.ToLower(got[0].signature), got[0].signature)
		} else {
			require.Len(t, got[0].signature, 44)
		}
	}
}

// TestBadCredentialsForbidden: bad credentials get eSIM Go's 403
// {"message":"Forbidden"}.
func TestBadCredentialsForbidden(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	resp := send(t, srv, http.MethodGet, srv.URL+"/organisation", "", http.Header{"X-Api-Key": {"nope"}})
	require.Equal(t, http.StatusForbidden, resp.status)
	require.JSONEq(t, `{"message":"Forbidden"}`, string(resp.body))
}

// TestFixturesMatchTheFakesNewShapes: the fixtures of the 2026-12-07
// evidence and the fake agree on keys and value types: the balance
// notification, the order's ready eSIM, the ended applied bundle (but for
// the bundleState the real output does not show) and the 403 body.
func TestFixturesMatchTheFakesNewShapes(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	srv := newTestServer(t, WithCallbackURL(rc.URL), WithOrderInstallationData(), WithAssignmentDelay(0))
	require.NoError(t, srv.SendBalanceCallback(t.Context(), AlertLowBalance))
	require.Equal(t, shape(t, readFixture(t, "callback_low_balance.json")), shape(t, rc.take()[0].body))

	resp := post(t, srv, RouteProcessOrders, purchaseBody("esim_1GB_7D_TR_V2", ""))
	require.Equal(t, http.StatusOK, resp.status)
	esimOf := func(body []byte) any {
		return shape(t, body).(map[string]any)["order"].([]any)[0].(map[string]any)["esims"]
	}
	require.Equal(t, esimOf(readFixture(t, "order_esims_ready.json")), esimOf(resp.body))

	iccid := srv.Orders()[0].ICCID
	require.NoError(t, srv.ConsumeData(t.Context(), iccid, 1_000_000_000))
	require.NoError(t, srv.ExpireBundles(iccid))
	got := shape(t, post(t, srv, RouteAppliedBundles, iccidBody(iccid)).body)
	want := shape(t, readFixture(t, "applied_bundles_ended.json"))
	want.(map[string]any)["bundles"].([]any)[0].(map[string]any)["assignments"].([]any)[0].(map[string]any)["bundleState"] = "string"
	require.Equal(t, want, got)

	bad := send(t, srv, http.MethodGet, srv.URL+"/organisation", "", http.Header{"X-Api-Key": {"nope"}})
	require.JSONEq(t, string(readFixture(t, "error_403_forbidden.json")), string(bad.body))
}
