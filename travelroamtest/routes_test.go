package travelroamtest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOrganisationAlternativeRoutes(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithBalance(Sandbox, 48237))
	for _, route := range []Route{RouteOrganisation, RouteOrganization, RouteOrganizationDetails} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			body := ""
			if method == http.MethodPost {
				body = `{}`
			}
			resp := send(t, srv, method, srv.URL+string(route), body, nil)
			require.Equal(t, http.StatusOK, resp.status, "%s %s", method, route)
			require.Contains(t, string(resp.body), `"balance":482.37`, "%s %s", method, route)
		}
		require.Equal(t, 2, srv.RequestCount(route), "the ledger names the route called")
		resp := send(t, srv, http.MethodDelete, srv.URL+string(route), "", nil)
		require.Equal(t, http.StatusMethodNotAllowed, resp.status)
	}
	resp := send(t, srv, http.MethodGet, srv.URL+"/organizations", "", nil)
	require.Equal(t, http.StatusNotFound, resp.status)

	srv.InjectFault(RouteOrganization, Status(503, "down"))
	require.Equal(t, http.StatusServiceUnavailable, get(t, srv, string(RouteOrganization)).status, "faults per alternative route")
	require.Equal(t, http.StatusOK, get(t, srv, string(RouteOrganisation)).status)
}

func TestRevokeAlternativeRoutes(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	calls := []struct{ method, route string }{
		{http.MethodPost, string(RouteRevoke)}, // the default
		{http.MethodPost, string(RouteRevokeESIM)},
		{http.MethodDelete, string(RouteRevoke)},
	}
	for _, c := range calls {
		iccid := buy(t, srv, "esim_1GB_7D_TR_V2", "").Order[0].ICCIDs[0]
		resp := send(t, srv, c.method, srv.URL+c.route, iccidBody(iccid), nil)
		require.Equal(t, http.StatusOK, resp.status, "%s %s: %s", c.method, c.route, resp.body)
		require.JSONEq(t, `{"status":"Successfully revoked eSIM"}`, string(resp.body))
		resp = post(t, srv, RouteESIMDetails, iccidBody(iccid))
		require.Equal(t, "ICCID not found", resp.message(t), "%s %s revoked it", c.method, c.route)

		resp = send(t, srv, c.method, srv.URL+c.route, iccidBody(iccid), nil)
		require.Equal(t, http.StatusBadRequest, resp.status, "twice")
	}
	resp := send(t, srv, http.MethodDelete, srv.URL+string(RouteRevoke), "", nil)
	require.Equal(t, http.StatusBadRequest, resp.status, "DELETE carries a JSON body")
	require.Equal(t, "Request body must be a JSON object", resp.message(t))
	resp = send(t, srv, http.MethodDelete, srv.URL+string(RouteRevoke), `{}`, nil)
	require.Equal(t, "iccid is required", resp.message(t))
	require.Equal(t, http.StatusMethodNotAllowed, send(t, srv, http.MethodDelete, srv.URL+string(RouteRevokeESIM), `{}`, nil).status)
	require.Equal(t, http.StatusMethodNotAllowed, get(t, srv, string(RouteRevoke)).status)
}
