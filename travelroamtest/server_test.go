package travelroamtest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAuthRequiresBothCredentials(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	cases := map[string]http.Header{
		"no key":       {"X-Api-Key": {""}},
		"no secret":    {"Clientsecret": {""}},
		"wrong key":    {"X-Api-Key": {"nope"}},
		"wrong secret": {"Clientsecret": {srv.ClientSecret + "x"}},
		"swapped":      {"X-Api-Key": {srv.ClientSecret}, "Clientsecret": {srv.APIKey}},
	}
	for name, h := range cases {
		resp := send(t, srv, http.MethodGet, srv.URL+"/organisation", "", h)
		require.Equal(t, http.StatusForbidden, resp.status, name)
		require.Equal(t, "Forbidden", resp.message(t), name)
		require.Equal(t, "application/json", resp.header.Get("Content-Type"))
	}
	require.Equal(t, len(cases), srv.RequestCount(RouteOrganisation))
}

func TestAuthHeaderNamesAreCaseInsensitive(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/organisation", nil)
	require.NoError(t, err)
	// Set the names exactly as the Python client does, bypassing Go's
	// canonicalisation on our side.
	req.Header["x-api-key"] = []string{srv.APIKey}
	req.Header["clientSecret"] = []string{srv.ClientSecret}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestAuthFailureStatus401(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithAuthFailureStatus(http.StatusUnauthorized))
	resp := send(t, srv, http.MethodGet, srv.URL+"/organisation", "", http.Header{"Clientsecret": {"bad"}})
	require.Equal(t, http.StatusUnauthorized, resp.status)
	require.Equal(t, "Unauthorised", resp.message(t))
}

func TestCustomCredentials(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithCredentials("key-1", "secret-1"))
	require.Equal(t, "key-1", srv.APIKey)
	require.Equal(t, "secret-1", srv.ClientSecret)
	require.Equal(t, http.StatusOK, get(t, srv, "/organisation").status)
	resp := send(t, srv, http.MethodGet, srv.URL+"/organisation", "", http.Header{"X-Api-Key": {DefaultAPIKey}})
	require.Equal(t, http.StatusForbidden, resp.status)
}

func TestRoutingPrefixesMethodsAndBodies(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	require.True(t, strings.HasSuffix(srv.URL, "/api/whitelabel"), srv.URL)
	short := strings.TrimSuffix(srv.URL, "/whitelabel")
	require.Equal(t, http.StatusOK, send(t, srv, http.MethodGet, short+"/organisation", "", nil).status)
	require.Equal(t, http.StatusOK, send(t, srv, http.MethodGet, srv.URL+"/organisation/", "", nil).status)

	resp := send(t, srv, http.MethodGet, srv.URL+"/nope", "", nil)
	require.Equal(t, http.StatusNotFound, resp.status)
	require.Equal(t, "Not found", resp.message(t))
	require.Equal(t, 1, srv.RequestCount(""))

	resp = get(t, srv, "/catalogue")
	require.Equal(t, http.StatusMethodNotAllowed, resp.status)
	require.Equal(t, "POST", resp.header.Get("Allow"))

	for _, body := range []string{"", "{", "[1,2]", "null", `"x"`, `{"region":"Europe"} {}`} {
		resp = post(t, srv, RouteCatalogue, body)
		require.Equal(t, http.StatusBadRequest, resp.status, "body %q", body)
		require.Equal(t, "Request body must be a JSON object", resp.message(t))
	}
	resp = post(t, srv, RouteCatalogue, strings.Repeat(" ", maxRequestBody+1))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.status)
}

func TestEnvironmentsShareCredentialsNotWallets(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithEnvironment(Live))
	require.Equal(t, srv.EnvURL(Live), strings.Replace(srv.URL, "/api", "/live/api", 1))
	b, found := srv.Bundle("esim_1GB_7D_TR_V2")
	require.True(t, found)

	o := buy(t, srv, b.Name, "") // srv.URL is live
	require.Equal(t, DefaultLiveBalanceCents-b.PriceCents, srv.Balance(Live))
	require.Equal(t, DefaultSandboxBalanceCents, srv.Balance(Sandbox))

	sandbox := srv.EnvURL(Sandbox)
	resp := send(t, srv, http.MethodPost, sandbox+"/esims/details", iccidBody(o.Order[0].ICCIDs[0]), nil)
	require.Equal(t, http.StatusBadRequest, resp.status, "a live eSIM is not in the sandbox")
	require.Equal(t, "ICCID not found", resp.message(t))

	resp = send(t, srv, http.MethodPost, sandbox+"/processorders", purchaseBody(b.Name, ""), nil)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, DefaultSandboxBalanceCents-b.PriceCents, srv.Balance(Sandbox))
	orders := srv.Orders()
	require.Len(t, orders, 2)
	require.Equal(t, Live, orders[0].Environment)
	require.Equal(t, Sandbox, orders[1].Environment)
	require.Equal(t, Sandbox, srv.Requests()[1].Environment)
}

func TestOrganisation(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithBalance(Sandbox, 48237), WithCallbackURL("https://example.com/hook"))
	resp := get(t, srv, "/organisation")
	require.Equal(t, http.StatusOK, resp.status)
	require.Contains(t, string(resp.body), `"balance":482.37,`)
	org := resp.json(t)["organisations"].([]any)[0].(map[string]any)
	require.Equal(t, "USD", org["currency"])
	require.Equal(t, "Fake Travel Ltd", org["name"])
	require.Equal(t, "https://example.com/hook", org["callbackUrl"])
	require.Equal(t, http.StatusOK, post(t, srv, RouteOrganisation, `{}`).status, "POST with {} is the fallback")

	srv.SetBalance(Sandbox, 100)
	require.Contains(t, string(get(t, srv, "/organisation").body), `"balance":1,`)
}

func TestInvalidOptionsPanic(t *testing.T) {
	t.Parallel()
	require.PanicsWithValue(t, "travelroamtest: assignment delay must not be negative", func() {
		NewServer(WithAssignmentDelay(-1))
	})
	require.Panics(t, func() { NewServer(WithEnvironment("prod")) })
	require.Panics(t, func() { NewServer(WithICCIDNotFoundStatus(500)) })
}
