package travelroam

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// TestRequestURLs checks the URLs computed once in NewClient against the
// join done per request before, for base URLs with a trailing slash, an
// escaped character, a port and no path.
func TestRequestURLs(t *testing.T) {
	t.Parallel()
	for base, want := range map[string]string{
		"https://proxy.example/tr/":            "https://proxy.example/tr/catalogue",
		"http://127.0.0.1:8080/api/whitelabel": "http://127.0.0.1:8080/api/whitelabel/catalogue",
		"https://h.example/a%20b/api":          "https://h.example/a%20b/api/catalogue",
		"https://h.example":                    "https://h.example/catalogue",
	} {
		c, err := NewClient(testAPIKey, testSecret, WithBaseURL(base))
		require.NoError(t, err)
		require.Equal(t, want, c.requestURL(request{route: routeCatalogue}), base)
		for _, route := range allRoutes() {
			require.Equal(t, routeURL(c.baseURL, route), c.requestURL(request{route: route}), route)
		}
		// A route outside the table is joined on the fly.
		require.Equal(t, routeURL(c.baseURL, "/other"), c.requestURL(request{route: "/other"}))
		require.Equal(t, want+"?a=1&b=x+y", c.requestURL(request{route: routeCatalogue, query: url.Values{"b": {"x y"}, "a": {"1"}}}))
	}
}

// TestRequestFraming checks what reaches the transport for a read without
// a body (GET, no body, no chunking), a read with one (its exact length),
// and a write: each with its own copy of the contract's headers.
func TestRequestFraming(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var seen []*http.Request
	record := func(status int, body string) httpmock.Responder {
		return func(req *http.Request) (*http.Response, error) {
			requireContractHeaders(t, req)
			seen = append(seen, req)
			b, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			require.Equal(t, req.ContentLength, int64(len(b)))
			require.Empty(t, req.TransferEncoding)
			return httpmock.NewStringResponse(status, body), nil
		}
	}
	mt.RegisterResponder(http.MethodGet, testBaseURL+"/organisation", record(200, `{"name":"Shop","balance":1}`))
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/bundle", record(200, `{"name":"b"}`))
	mt.RegisterResponder(http.MethodPost, testBaseURL+"/processorders", record(200, `{"orderReference":"r"}`))

	_, err := c.Organisation(t.Context())
	require.NoError(t, err)
	_, err = c.Bundle(t.Context(), "b")
	require.NoError(t, err)
	_, err = c.ProcessOrder(t.Context(), OrderRequest{BundleName: "b"})
	require.NoError(t, err)

	require.Len(t, seen, 3)
	require.Zero(t, seen[0].ContentLength)
	require.Equal(t, int64(len(`{"bundlename":"b"}`)), seen[1].ContentLength)
	require.Equal(t, int64(len(`{"bundleName":"b","orderType":"COUNTRY"}`)), seen[2].ContentLength)
	// Changing one request's headers does not change the Client's.
	seen[0].Header.Set("X-Api-Key", "changed")
	require.Equal(t, testAPIKey, c.headers().Get("X-API-KEY"))
	_, err = c.Organisation(t.Context())
	require.NoError(t, err)
}
