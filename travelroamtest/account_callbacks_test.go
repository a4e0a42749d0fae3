package travelroamtest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSendBalanceCallback: the fake sends eSIM Go's balance notifications,
// without iccid, with the wallet's exact balance; a re-send is the same
// bytes.
func TestSendBalanceCallback(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	srv := newTestServer(t, WithCallbackURL(rc.URL), WithBalance(Sandbox, 129930), WithCallbackSigningKey("k"))
	require.NoError(t, srv.SendBalanceCallback(t.Context(), AlertLowBalance))
	for range 3 {
		require.NoError(t, srv.SendBalanceCallback(t.Context(), AlertInsufficientBalance))
	}
	require.Error(t, srv.SendBalanceCallback(t.Context(), "Utilisation"))

	got := rc.take()
	require.Len(t, got, 4)
	require.JSONEq(t, `{"alertType":"LowBalance","balanceInfo":{"balance":1299.3,"threshold":100,"thresholdPercentRemaining":1299.3}}`,
		string(got[0].body))
	var p map[string]any
	require.NoError(t, json.Unmarshal(got[1].body, &p))
	require.NotContains(t, p, "iccid")
	require.Equal(t, AlertInsufficientBalance, p["alertType"])
	require.Equal(t, got[1].body, got[3].body, "a re-send is the same body")
	require.Equal(t, Sign([]byte("k"), got[0].body), got[0].signature)

	cbs := srv.Callbacks()
	require.Len(t, cbs, 4)
	require.Empty(t, cbs[0].ICCID)
	require.Equal(t, AlertLowBalance, cbs[0].AlertType)

	noURL := newTestServer(t)
	require.ErrorIs(t, noURL.SendBalanceCallback(t.Context(), AlertLowBalance), ErrNoCallbackURL)
}

func TestThousandthsRendering(t *testing.T) {
	t.Parallel()
	for v, want := range map[int64]string{49973: "49.973", 1299300: "1299.3", 100000: "100", 0: "0", 5: "0.005", -1500: "-1.5"} {
		b, err := thousandths(v).MarshalJSON()
		require.NoError(t, err)
		require.Equal(t, want, string(b))
	}
}
