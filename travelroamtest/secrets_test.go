package travelroamtest

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSecretsListsWhatWasHandedOut: Secrets holds both accounts'
// credentials, the signing key and, for every eSIM (a revoked one too),
// the ICCID, matching ID, activation code, PIN and PUK that the details
// route answers.
func TestSecretsListsWhatWasHandedOut(t *testing.T) {
	srv := newTestServer(t, WithAccount("OTHERKEY0123456789", "OTHERSECRET0123456789"), WithCallbackSigningKey("SIGNINGKEY0123456789"))
	require.Equal(t, []string{srv.APIKey, srv.ClientSecret, "OTHERKEY0123456789", "OTHERSECRET0123456789", "SIGNINGKEY0123456789"}, srv.Secrets())
	var want []string
	for range 2 {
		iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
		resp := post(t, srv, RouteESIMDetails, iccidBody(iccid))
		require.Equal(t, http.StatusOK, resp.status)
		var d detailsJSON
		require.NoError(t, json.Unmarshal(resp.body, &d))
		want = append(want, d.ICCID, d.MatchingID, "LPA:1$"+SMDPAddress+"$"+d.MatchingID, d.PIN, d.PUK)
		require.Equal(t, http.StatusOK, post(t, srv, RouteRevoke, iccidBody(iccid)).status)
	}
	got := srv.Secrets()
	require.Len(t, got, 5+len(want))
	require.Equal(t, want, got[5:], "revoked eSIMs' secrets stay listed")
}
