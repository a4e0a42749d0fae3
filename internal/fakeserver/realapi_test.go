package fakeserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAdminESIMStateAndBalanceAlert: the admin API suspends and
// deactivates an eSIM, and asks for a balance notification.
func TestAdminESIMStateAndBalanceAlert(t *testing.T) {
	f, hc := startAdmin(t)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.Server.URL+"/processorders",
		strings.NewReader(`{"bundleName":"esim_1GB_7D_TR_V2","orderType":"COUNTRY"}`))
	require.NoError(t, err)
	req.Header.Set("X-API-KEY", f.Server.APIKey)
	req.Header.Set("Clientsecret", f.Server.ClientSecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	iccid := f.Server.Orders()[0].ICCID

	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	for _, state := range []string{"Suspended", "Active", "Deactivated"} {
		status, body := call(t, hc, http.MethodPost, f.AdminURL+"/esim-state", `{"iccid":"`+iccid+`","state":"`+state+`"}`, jsonHeader)
		require.Equal(t, http.StatusOK, status, body)
	}
	status, body := call(t, hc, http.MethodPost, f.AdminURL+"/esim-state", `{"iccid":"`+iccid+`","state":"Active"}`, jsonHeader)
	require.Equal(t, http.StatusBadRequest, status, "deactivation is for good: %s", body)
	status, body = call(t, hc, http.MethodPost, f.AdminURL+"/esim-state", `{"iccid":"`+iccid+`","state":"Paused"}`, jsonHeader)
	require.Equal(t, http.StatusBadRequest, status, body)

	status, body = call(t, hc, http.MethodPost, f.AdminURL+"/balance-alert", `{"alertType":"LowBalance"}`, jsonHeader)
	require.Equal(t, http.StatusBadRequest, status, "no callback URL configured: %s", body)
	require.Contains(t, body, "no callback URL")
}
